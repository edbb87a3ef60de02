package dev.sotto;

import dev.sotto.internal.backup.Chunks;
import dev.sotto.internal.backup.ContentKeys;
import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes the backups of one lineage (spec: backup.adoc#backup-incremental): immutable; each
 * {@link #write} returns the {@link Backup} and, in it, the writer for the next backup, which the
 * caller keeps once the backup is stored. Writing draws nothing.
 *
 * <p>The writer holds the content key (derived once, with Argon2id for a passphrase), so that
 * scheduled backups need not ask for the passphrase: {@link #serialize()} gives it to the caller's
 * encrypted store; {@link #toString()} shows nothing secret.
 */
public final class BackupWriter {
  static final int STATE_VERSION = 0x01;

  private final BackupKeys keys;
  private final ContentKeys content;
  /** The manifest's passphrase fields, or null without a passphrase. */
  private final Manifest.Passphrase passphrase;
  private final long generation;
  private final byte[] device;
  /** The counter of the last backup written in this lineage (0: none yet). */
  private final long counter;
  /** The chunk ids of the lineage's last backup (empty before the first). */
  private final List<byte[]> previous;

  BackupWriter(BackupKeys keys, ContentKeys content, Manifest.Passphrase passphrase, long generation, byte[] device,
      long counter, List<byte[]> previous) {
    this.keys = keys;
    this.content = content;
    this.passphrase = passphrase;
    this.generation = generation;
    this.device = device.clone();
    this.counter = counter;
    this.previous = List.copyOf(previous);
  }

  /**
   * Starts a lineage of generation 0 (a device that starts an identity and finds no backup of it):
   * draws the device number, 16 bytes, from {@code random}. Runs Argon2id once for a passphrase.
   */
  public static BackupWriter start(BackupKeys keys, BackupProtection protection, RandomSource random) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(protection, "protection");
    ContentKeys content = protection.derive(keys.internal());
    byte[] device = random.bytes(Manifest.DEVICE_LENGTH);
    return new BackupWriter(keys, content, fields(protection, content), 0, device, 0, List.of());
  }

  /**
   * Continues the lineage of {@code previous}, this device's own last backup: the next backup has its
   * generation and device and the next counter, and keeps its unchanged chunks. The protection may
   * differ from the previous one's (a new passphrase makes every chunk new).
   */
  public static BackupWriter resume(BackupKeys keys, BackupProtection protection, BackupManifest previous) {
    Objects.requireNonNull(previous, "previous");
    ContentKeys content = protection.derive(keys.internal());
    Manifest m = previous.internal();
    if (m.counter() == Long.MAX_VALUE) {
      throw new IllegalStateException("the lineage's counter is exhausted");
    }
    return new BackupWriter(keys, content, fields(protection, content), m.generation(), m.device(), m.counter(),
        m.chunkIds());
  }

  /**
   * Continues a lineage known by the rank of its last backup ({@code last.counter()} 0: none written
   * yet) and that backup's chunk ids (empty: none), for a caller that keeps them itself (and the
   * conformance vectors). Runs Argon2id once for a passphrase.
   */
  public static BackupWriter continuing(BackupKeys keys, BackupProtection protection, BackupManifest.Rank last,
      List<byte[]> previousChunkIds) {
    Objects.requireNonNull(last, "last");
    for (byte[] id : previousChunkIds) {
      Bytes.requireLength(id, Manifest.CHUNK_ID_LENGTH, "chunk id");
    }
    if (last.counter() == Long.MAX_VALUE) {
      throw new IllegalStateException("the lineage's counter is exhausted");
    }
    ContentKeys content = protection.derive(keys.internal());
    return new BackupWriter(keys, content, fields(protection, content), last.generation(), last.device(),
        last.counter(), previousChunkIds);
  }

  /**
   * This lineage under another protection (a passphrase chosen, changed or dropped): the same
   * generation, device, counter and previous chunks, so that the next backup continues the lineage and
   * names the old chunks obsolete. Runs Argon2id once for a passphrase. The key changes, so every
   * chunk of the next backup is new (spec: backup.adoc#backup-passphrase-effect), unless the
   * passphrase is the same as before.
   */
  public BackupWriter protectedBy(BackupProtection protection) {
    Objects.requireNonNull(protection, "protection");
    ContentKeys next = protection.derive(keys.internal());
    return new BackupWriter(keys, next, fields(protection, next), generation, device, counter, previous);
  }

  /** Whether this lineage's backups are sealed under a passphrase. */
  public boolean hasPassphrase() {
    return passphrase != null;
  }

  private static Manifest.Passphrase fields(BackupProtection protection, ContentKeys content) {
    return protection.argon2().map(a -> new Manifest.Passphrase(a.memory(), a.iterations(), a.parallelism(),
        content.check())).orElse(null);
  }

  /** The rank the next backup will have. */
  public BackupManifest.Rank next() {
    return new BackupManifest.Rank(generation, device, counter + 1);
  }

  /**
   * Writes a backup of {@code contents} at {@code now} (spec: backup.adoc#backup-incremental). Pure:
   * this writer is unchanged; the result's {@link Backup#next()} continues the lineage.
   *
   * @throws IllegalArgumentException when the contents need more than 2,000 chunks, or an own card
   *     is not the owner's, or {@code now} is not a time
   */
  public Backup write(BackupContents contents, Instant now) {
    Objects.requireNonNull(contents, "contents");
    long created = now.getEpochSecond();
    if (created < 0 || created > Card.MAX_TIME) {
      throw new IllegalArgumentException("now must be a time from 1970 to 9999");
    }
    for (Card card : contents.ownCards()) {
      if (!card.identity().equals(keys.owner())) {
        throw new IllegalArgumentException("an own card of another identity");
      }
    }
    List<byte[]> records = BackupRecords.encode(contents);
    List<byte[]> data = Chunks.cut(records, content);
    if (data.size() > Manifest.MAX_CHUNKS) {
      throw new IllegalArgumentException("a backup holds at most " + Manifest.MAX_CHUNKS + " chunks ("
          + data.size() + " needed): back up less history");
    }
    // Each chunk's id and tag; no chunk is sealed here: the Backup seals a chunk when its envelope is
    // first asked for, so that a backup whose chunks a mailbox holds already seals only the new ones.
    List<byte[]> ids = new ArrayList<>();
    Map<String, Backup.Chunk> unique = new LinkedHashMap<>();
    for (byte[] d : data) {
      byte[] id = content.chunkId(d);
      ids.add(id);
      unique.computeIfAbsent(Bytes.hex(id), k -> new Backup.Chunk(id, keys.internal().chunkTag(id), d));
    }
    Manifest manifest = new Manifest(generation, device, counter + 1, created, contents.parts(), passphrase, ids);
    byte[] head = manifest.seal(keys.internal());
    Set<String> before = new HashSet<>();
    previous.forEach(id -> before.add(Bytes.hex(id)));
    List<Backup.Chunk> all = new ArrayList<>(unique.values());
    List<Integer> fresh = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (!before.contains(Bytes.hex(all.get(i).id()))) {
        fresh.add(i);
      }
    }
    Set<String> now2 = unique.keySet();
    List<byte[]> obsolete = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (byte[] id : previous) {
      String h = Bytes.hex(id);
      if (!now2.contains(h) && seen.add(h)) {
        obsolete.add(keys.internal().chunkTag(id));
      }
    }
    BackupManifest opened = new BackupManifest(manifest, head, keys);
    BackupWriter next = new BackupWriter(keys, content, passphrase, generation, device, counter + 1, ids);
    Backup.Trace trace = new Backup.Trace(records, data, ids, manifest.encode(keys.internal()));
    return new Backup(Envelope.of(keys.headTag(), bodyOf(head)), all, fresh, content, obsolete, opened, next, trace);
  }

  private static byte[] bodyOf(byte[] envelope) {
    return java.util.Arrays.copyOfRange(envelope, Envelope.HEADER_LENGTH, envelope.length);
  }

  /**
   * The writer's state, for the caller's encrypted store (the reference implementation's own
   * format, not the protocol's): it holds the content key.
   */
  public byte[] serialize() {
    Writer w = new Writer().u8(STATE_VERSION).bytes(content.contentKey());
    if (passphrase == null) {
      w.u8(0);
    } else {
      w.u8(1).u32(passphrase.memory()).u32(passphrase.iterations()).u8(passphrase.parallelism())
          .bytes(passphrase.check());
    }
    w.u32(generation).bytes(device).u64(counter).u16(previous.size());
    previous.forEach(w::bytes);
    return w.toByteArray();
  }

  /** A writer from {@link #serialize()}'s bytes, for the identity of {@code keys}. */
  public static BackupWriter deserialize(BackupKeys keys, byte[] state) throws SottoException {
    Reader in = new Reader(state, "backup writer state");
    in.version(STATE_VERSION, "backup writer state");
    ContentKeys content = new ContentKeys(in.bytes(32, "content key"));
    int protection = in.u8("protection");
    Manifest.Passphrase passphrase = null;
    if (protection == 1) {
      long memory = in.u32("memory");
      long iterations = in.u32("iterations");
      int parallelism = in.u8("parallelism");
      if (!Manifest.Passphrase.withinBounds(memory, iterations, parallelism)) {
        throw in.invalid("argon2id parameters", 34, "out of bounds");
      }
      passphrase = new Manifest.Passphrase(memory, iterations, parallelism, in.bytes(16, "check"));
      if (!Bytes.constantTimeEquals(passphrase.check(), content.check())) {
        throw in.invalid("check", 0, "not the content key's");
      }
    } else if (protection != 0) {
      throw in.invalid("protection", 33, "neither 0 nor 1");
    }
    long generation = in.u32("generation");
    byte[] device = in.bytes(Manifest.DEVICE_LENGTH, "device");
    long counter = in.u64("counter");
    int count = in.u16("count");
    if (count > Manifest.MAX_CHUNKS) {
      throw in.invalid("count", in.position() - 2, "more than " + Manifest.MAX_CHUNKS);
    }
    List<byte[]> previous = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      previous.add(in.bytes(Manifest.CHUNK_ID_LENGTH, "chunk id"));
    }
    in.end();
    return new BackupWriter(keys, content, passphrase, generation, device, counter, previous);
  }

  @Override
  public String toString() {
    return "BackupWriter[generation " + generation + ", next counter " + (counter + 1) + "]";
  }
}
