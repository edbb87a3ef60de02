package dev.sotto;

import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.encoding.Bytes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An opened and verified backup head (spec: backup.adoc#backup-manifest): which lineage wrote it,
 * its counter and time, which parts it holds, its passphrase parameters, and its chunks. Opening
 * needs the seed alone ({@link BackupKeys}), not the passphrase.
 */
public final class BackupManifest {
  private final Manifest manifest;
  private final byte[] head;
  private final List<byte[]> tags;

  BackupManifest(Manifest manifest, byte[] head, BackupKeys keys) {
    this.manifest = manifest;
    this.head = head.clone();
    List<byte[]> t = new ArrayList<>();
    for (byte[] id : manifest.chunkIds()) {
      t.add(keys.internal().chunkTag(id));
    }
    this.tags = List.copyOf(t);
  }

  /**
   * A manifest's rank (spec: backup.adoc#backup-generations): generation, then device (unsigned),
   * then counter. The greater is the newer.
   */
  public record Rank(long generation, byte[] device, long counter) implements Comparable<Rank> {
    public Rank {
      Objects.requireNonNull(device, "device");
      Bytes.requireLength(device, Manifest.DEVICE_LENGTH, "device");
      device = device.clone();
      if (generation < 0 || generation > Manifest.MAX_GENERATION || counter < 0) {
        throw new IllegalArgumentException("generation is a u32, counter below 2^63");
      }
    }

    @Override
    public byte[] device() {
      return device.clone();
    }

    @Override
    public int compareTo(Rank other) {
      int c = compareLineage(other);
      return c != 0 ? c : Long.compare(counter, other.counter);
    }

    /** Compares (generation, device) only: which lineage is newer. */
    public int compareLineage(Rank other) {
      int c = Long.compare(generation, other.generation);
      return c != 0 ? c : Arrays.compareUnsigned(device, other.device);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Rank r && r.generation == generation && r.counter == counter
          && Arrays.equals(r.device, device);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(generation) * 31 + Long.hashCode(counter);
    }

    @Override
    public String toString() {
      return "Rank[generation " + generation + ", device " + Bytes.hex(device) + ", counter " + counter + "]";
    }
  }

  /**
   * Opens and verifies a head (spec: backup.adoc#backup-manifest). Draws nothing.
   *
   * @throws SottoException in this order: TRUNCATED, UNSUPPORTED_VERSION, INVALID_ENCODING (the
   *     envelope); UNKNOWN_TAG (not this identity's head tag); AUTH_FAILED; UNSUPPORTED_VERSION,
   *     UNSUPPORTED_SUITE, INVALID_ENCODING, TRUNCATED (the manifest's fields and padding);
   *     BAD_SIGNATURE
   */
  public static BackupManifest open(BackupKeys keys, byte[] head) throws SottoException {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(head, "head");
    return new BackupManifest(Manifest.open(head, keys.internal()), head, keys);
  }

  public Rank rank() {
    return new Rank(manifest.generation(), manifest.device(), manifest.counter());
  }

  public long generation() {
    return manifest.generation();
  }

  public long counter() {
    return manifest.counter();
  }

  /** The writing device's 16-byte number. */
  public byte[] device() {
    return manifest.device().clone();
  }

  /** The writer's clock when it wrote the backup. */
  public Instant created() {
    return Instant.ofEpochSecond(manifest.created());
  }

  public boolean hasContacts() {
    return (manifest.parts() & Manifest.PART_CONTACTS) != 0;
  }

  public boolean hasSettings() {
    return (manifest.parts() & Manifest.PART_SETTINGS) != 0;
  }

  public boolean hasHistory() {
    return (manifest.parts() & Manifest.PART_HISTORY) != 0;
  }

  /** The Argon2id parameters when the contents need a passphrase; empty when the seed alone opens them. */
  public Optional<BackupProtection.Argon2> passphrase() {
    Manifest.Passphrase p = manifest.passphrase();
    return p == null ? Optional.empty()
        : Optional.of(new BackupProtection.Argon2((int) p.memory(), (int) p.iterations(), p.parallelism()));
  }

  /** How many chunks the backup has. */
  public int chunkCount() {
    return manifest.chunkIds().size();
  }

  /** The tags of the chunks, in the manifest's order (an id listed twice gives its tag twice). */
  public List<byte[]> chunkTags() {
    return tags.stream().map(byte[]::clone).toList();
  }

  /** The chunk ids, in order. */
  public List<byte[]> chunkIds() {
    return manifest.chunkIds().stream().map(byte[]::clone).toList();
  }

  /** Whether this head ends the lineage {@code own}: another device's, of a greater (generation, device). */
  public boolean supersedes(Rank own) {
    return rank().compareLineage(own) > 0;
  }

  /** The head envelope this manifest came in. */
  public byte[] head() {
    return head.clone();
  }

  Manifest internal() {
    return manifest;
  }

  @Override
  public String toString() {
    return "BackupManifest[generation " + generation() + ", counter " + counter() + ", " + chunkCount() + " chunks]";
  }
}
