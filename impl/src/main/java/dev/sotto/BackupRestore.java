package dev.sotto;

import dev.sotto.internal.backup.Chunks;
import dev.sotto.internal.backup.ContentKeys;
import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.encoding.Bytes;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Restoring a backup (spec: backup.adoc#backup-restore): from the heads found at every mailbox and
 * in a file, the newest is taken; it is refused if it is older than a known floor; its contents are
 * read from its chunks; and a new lineage starts. All or nothing, and pure: the caller commits the
 * result.
 */
public final class BackupRestore {
  private BackupRestore() {}

  /** A head that did not open, by its index in the list given, with the reason. */
  public record Refused(int index, SottoException error) {}

  /** The newest head that opened, if any, and those that did not. */
  public record Selection(Optional<BackupManifest> newest, List<Refused> refused) {}

  /**
   * Opens every head and picks the one of the highest rank (spec: backup.adoc#backup-generations).
   * Draws nothing.
   */
  public static Selection newest(BackupKeys keys, List<byte[]> heads) {
    BackupManifest best = null;
    List<Refused> refused = new ArrayList<>();
    for (int i = 0; i < heads.size(); i++) {
      try {
        BackupManifest m = BackupManifest.open(keys, heads.get(i));
        if (best == null || m.rank().compareTo(best.rank()) > 0) {
          best = m;
        }
      } catch (SottoException e) {
        refused.add(new Refused(i, e));
      }
    }
    return new Selection(Optional.ofNullable(best), List.copyOf(refused));
  }

  /**
   * A restore refused because the newest head given is older than the floor (spec:
   * backup.adoc#backup-restore, step 2): the code is {@code REPLAY}; {@link #refused()} and
   * {@link #floor()} say what was refused, for the user (not in the message, which logs may keep).
   */
  public static final class Rollback extends SottoException {
    private static final long serialVersionUID = 1L;
    private final transient BackupManifest refused;
    private final transient BackupManifest.Rank floor;

    Rollback(BackupManifest refused, BackupManifest.Rank floor) {
      super(ErrorCode.REPLAY, "backup: the newest backup given is older than the newest one known");
      this.refused = refused;
      this.floor = floor;
    }

    /** The manifest that was refused (its rank and {@code created}). */
    public BackupManifest refused() {
      return refused;
    }

    /** The floor it fell below. */
    public BackupManifest.Rank floor() {
      return floor;
    }
  }

  /** What a restore gives back: the manifest it restored, the contents, and the writer of the new lineage. */
  public record Restored(BackupManifest manifest, BackupContents contents, BackupWriter writer) {}

  /**
   * Restores the newest of {@code heads} from {@code chunks} (envelopes in any order; others are not
   * read), in the order of spec: backup.adoc#backup-restore. Draws 16 bytes (the new lineage's
   * device number), after every check has passed.
   *
   * @param floor the rank of the newest manifest known to be authentic, or null (a fresh machine)
   * @param passphrase the passphrase, needed when the manifest has one (see
   *     {@link BackupManifest#passphrase()}); not used otherwise
   * @throws Rollback (REPLAY) when the newest head is below {@code floor}
   * @throws SottoException the first head's error when no head opens; LIMIT_EXCEEDED for the last
   *     generation; AUTH_FAILED for a wrong passphrase; a chunk's errors, TRUNCATED for a chunk that
   *     is missing; the records' errors
   * @throws IllegalArgumentException when the manifest needs a passphrase and none is given
   */
  public static Restored restore(BackupKeys keys, List<byte[]> heads, List<byte[]> chunks, BackupManifest.Rank floor,
      char[] passphrase, RandomSource random) throws SottoException {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(chunks, "chunks");
    if (heads.isEmpty()) {
      throw new IllegalArgumentException("no head to restore from");
    }
    Selection selection = newest(keys, heads);
    if (selection.newest().isEmpty()) {
      throw selection.refused().get(0).error();
    }
    BackupManifest chosen = selection.newest().get();
    if (floor != null && chosen.rank().compareTo(floor) < 0) {
      throw new Rollback(chosen, floor);
    }
    Manifest m = chosen.internal();
    if (m.generation() == Manifest.MAX_GENERATION) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "backup: the last restore generation cannot be restored");
    }
    ContentKeys content = contentKeys(keys, m, passphrase);
    byte[] records = records(keys, chosen, content, chunks);
    BackupContents contents = BackupRecords.decode(records, m.parts(), keys.owner());
    byte[] device = random.bytes(Manifest.DEVICE_LENGTH);
    BackupWriter writer = new BackupWriter(keys, content, m.passphrase(), m.generation() + 1, device, m.counter(),
        m.chunkIds());
    return new Restored(chosen, contents, writer);
  }

  private static ContentKeys contentKeys(BackupKeys keys, Manifest m, char[] passphrase) throws SottoException {
    Manifest.Passphrase p = m.passphrase();
    if (p == null) {
      return keys.internal().content(null);
    }
    if (passphrase == null) {
      throw new IllegalArgumentException("this backup needs its passphrase");
    }
    byte[] normalized = BackupProtection.normalized(passphrase);
    try {
      ContentKeys content = BackupProtection.derive(keys.internal(), normalized, p.memory(), p.iterations(),
          p.parallelism());
      if (!Bytes.constantTimeEquals(content.check(), p.check())) {
        throw new SottoException(ErrorCode.AUTH_FAILED, "backup: the passphrase does not open this backup");
      }
      return content;
    } finally {
      Arrays.fill(normalized, (byte) 0);
    }
  }

  /** Reads every chunk in the manifest's order and joins their data (spec: backup.adoc#backup-restore, step 5). */
  private static byte[] records(BackupKeys keys, BackupManifest manifest, ContentKeys content, List<byte[]> chunks)
      throws SottoException {
    Map<String, List<byte[]>> byTag = new LinkedHashMap<>();
    for (byte[] envelope : chunks) {
      if (envelope.length >= Envelope.HEADER_LENGTH) {
        byTag.computeIfAbsent(Bytes.hex(Arrays.copyOfRange(envelope, 1, Envelope.HEADER_LENGTH)),
            k -> new ArrayList<>()).add(envelope);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<byte[]> ids = manifest.internal().chunkIds();
    List<byte[]> tags = manifest.chunkTags();
    for (int i = 0; i < ids.size(); i++) {
      List<byte[]> candidates = byTag.get(Bytes.hex(tags.get(i)));
      if (candidates == null) {
        throw new SottoException(ErrorCode.TRUNCATED, "backup: a chunk of the manifest is missing");
      }
      byte[] data = null;
      SottoException first = null;
      for (byte[] candidate : candidates) {
        try {
          data = Chunks.open(candidate, ids.get(i), content);
          break;
        } catch (SottoException e) {
          if (first == null) {
            first = e;
          }
        }
      }
      if (data == null) {
        throw first;
      }
      out.write(data, 0, data.length);
    }
    return out.toByteArray();
  }
}
