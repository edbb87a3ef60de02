package dev.sotto;

import dev.sotto.internal.backup.Chunks;
import dev.sotto.internal.backup.ContentKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One written backup (spec: backup.adoc#backup-incremental): its head, its chunks, which chunks are
 * new since the lineage's previous backup, which of that backup's chunks it no longer uses, and the
 * writer for the next one.
 *
 * <p>A chunk is sealed when its envelope is first asked for ({@link #chunk(int)}, {@link #chunks()},
 * {@link #newChunks()}, {@link #file()}), once: the same data under the same key always gives the
 * same envelope, so a chunk the previous backup had, and which a mailbox holds already, need not be
 * sealed again. {@link #chunkTags()} and {@link #chunkLengths()} seal nothing.
 *
 * <p>To store it at a mailbox: upload {@link #newChunks()} (or every chunk the mailbox reports it
 * lacks, found by {@link #chunkTags()}), then {@link #head()}, then delete {@link #obsoleteTags()};
 * then keep {@link #next()}.
 */
public final class Backup {
  /** One distinct chunk: its id, tag and data; its envelope once sealed. */
  static final class Chunk {
    private final byte[] id;
    private final byte[] tag;
    private final byte[] data;
    private Envelope sealed;

    Chunk(byte[] id, byte[] tag, byte[] data) {
      this.id = id;
      this.tag = tag;
      this.data = data;
    }

    byte[] id() {
      return id;
    }
  }

  private final Envelope head;
  private final List<Chunk> chunks;
  private final List<Integer> fresh;
  private final ContentKeys content;
  private final List<byte[]> obsoleteTags;
  private final BackupManifest manifest;
  private final BackupWriter next;
  private final Trace trace;
  private int sealedCount;

  Backup(Envelope head, List<Chunk> chunks, List<Integer> fresh, ContentKeys content, List<byte[]> obsoleteTags,
      BackupManifest manifest, BackupWriter next, Trace trace) {
    this.head = head;
    this.chunks = List.copyOf(chunks);
    this.fresh = List.copyOf(fresh);
    this.content = content;
    this.obsoleteTags = obsoleteTags.stream().map(byte[]::clone).toList();
    this.manifest = manifest;
    this.next = next;
    this.trace = trace;
  }

  /** The head envelope, under the identity's head tag: upload it last. */
  public Envelope head() {
    return head;
  }

  /** How many distinct chunks the backup has. */
  public int chunkCount() {
    return chunks.size();
  }

  /** The tags of every distinct chunk, in the order the manifest first names them; seals nothing. */
  public List<byte[]> chunkTags() {
    return chunks.stream().map(c -> c.tag.clone()).toList();
  }

  /** The envelope lengths (bucket sizes) of every distinct chunk, in the same order; seals nothing. */
  public List<Integer> chunkLengths() {
    return chunks.stream().map(c -> Chunks.envelopeLength(c.data.length)).toList();
  }

  /** The {@code i}-th distinct chunk's envelope (in {@link #chunkTags()}'s order), sealed now if it was not yet. */
  public synchronized Envelope chunk(int i) {
    Chunk c = chunks.get(i);
    if (c.sealed == null) {
      Chunks.Sealed s = Chunks.seal(c.data, c.id, c.tag, content);
      c.sealed = Envelope.of(c.tag, java.util.Arrays.copyOfRange(s.envelope(), Envelope.HEADER_LENGTH,
          s.envelope().length));
      sealedCount++;
    }
    return c.sealed;
  }

  /** How many chunks this backup has sealed so far (each at most once). */
  public synchronized int sealedCount() {
    return sealedCount;
  }

  /** Every chunk envelope, each once, in the order the manifest first names them (each sealed now if it was not yet). */
  public List<Envelope> chunks() {
    List<Envelope> all = new ArrayList<>(chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      all.add(chunk(i));
    }
    return all;
  }

  /** The indexes (in {@link #chunkTags()}'s order) of the chunks the lineage's previous backup did not have. */
  public List<Integer> newChunkIndexes() {
    return fresh;
  }

  /** The chunks the lineage's previous backup did not have, in the same order (only these are sealed now). */
  public List<Envelope> newChunks() {
    List<Envelope> out = new ArrayList<>(fresh.size());
    for (int i : fresh) {
      out.add(chunk(i));
    }
    return out;
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
    return BackupFile.encode(head, chunks());
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
    return "Backup[" + manifest + ", " + fresh.size() + " new chunks]";
  }
}
