package dev.sotto;

import java.util.List;
import java.util.Objects;

/**
 * One written backup (spec: backup.adoc#backup-incremental): its head, its chunks, which chunks are
 * new since the lineage's previous backup, which of that backup's chunks it no longer uses, and the
 * writer for the next one.
 *
 * <p>To store it at a mailbox: upload {@link #newChunks()} (or every chunk the mailbox reports it
 * lacks), then {@link #head()}, then delete {@link #obsoleteTags()}; then keep {@link #next()}.
 */
public final class Backup {
  private final Envelope head;
  private final List<Envelope> chunks;
  private final List<Envelope> newChunks;
  private final List<byte[]> obsoleteTags;
  private final BackupManifest manifest;
  private final BackupWriter next;
  private final Trace trace;

  Backup(Envelope head, List<Envelope> chunks, List<Envelope> newChunks, List<byte[]> obsoleteTags,
      BackupManifest manifest, BackupWriter next, Trace trace) {
    this.head = head;
    this.chunks = List.copyOf(chunks);
    this.newChunks = List.copyOf(newChunks);
    this.obsoleteTags = obsoleteTags.stream().map(byte[]::clone).toList();
    this.manifest = manifest;
    this.next = next;
    this.trace = trace;
  }

  /** The head envelope, under the identity's head tag: upload it last. */
  public Envelope head() {
    return head;
  }

  /** Every chunk envelope, each once, in the order the manifest first names them. */
  public List<Envelope> chunks() {
    return chunks;
  }

  /** The chunks the lineage's previous backup did not have, in the same order. */
  public List<Envelope> newChunks() {
    return newChunks;
  }

  /** The tags of the previous backup's chunks that this one no longer names: delete them once the head is stored. */
  public List<byte[]> obsoleteTags() {
    return obsoleteTags.stream().map(byte[]::clone).toList();
  }

  /** The backup's manifest, as a restorer opens it. */
  public BackupManifest manifest() {
    return manifest;
  }

  /** The writer of the next backup of this lineage. */
  public BackupWriter next() {
    return next;
  }

  /** The backup as a local file (spec: backup.adoc#backup-file). */
  public byte[] file() {
    return BackupFile.encode(head, chunks);
  }

  /** The intermediate values, for the conformance generator. */
  public Trace trace(InsecureSecretAccess access) {
    Objects.requireNonNull(access, "access");
    return trace;
  }

  /**
   * What a backup was made of: the records (each whole), the chunks' data, their ids and the
   * manifest (signature included).
   */
  public record Trace(List<byte[]> records, List<byte[]> chunkData, List<byte[]> chunkIds, byte[] manifest) {
    @Override
    public String toString() {
      return "Trace[redacted]";
    }
  }

  @Override
  public String toString() {
    return "Backup[" + manifest + ", " + newChunks.size() + " new chunks]";
  }
}
