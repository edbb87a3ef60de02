package dev.sotto;

import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A backup as a local file (spec: backup.adoc#backup-file): the head, then each chunk, each
 * envelope with its length. The file is not authenticated as a whole; each envelope in it is, when
 * it is restored ({@link BackupRestore}).
 */
public final class BackupFile {
  public static final int VERSION = 0x02;
  /** The most envelopes in a file: a head and 2,000 chunks. */
  public static final int MAX_ENVELOPES = Manifest.MAX_CHUNKS + 1;

  private final byte[] head;
  private final List<byte[]> chunks;

  private BackupFile(byte[] head, List<byte[]> chunks) {
    this.head = head;
    this.chunks = chunks;
  }

  static byte[] encode(Envelope head, List<Envelope> chunks) {
    Writer w = new Writer().u8(VERSION).u16(chunks.size() + 1).u32(head.length()).bytes(head.encoded());
    for (Envelope e : chunks) {
      w.u32(e.length()).bytes(e.encoded());
    }
    return w.toByteArray();
  }

  /**
   * Reads a backup file's structure (its envelopes are checked when they are restored).
   *
   * @throws SottoException UNSUPPORTED_VERSION (the file's or an envelope's version byte),
   *     INVALID_ENCODING (a count of 0 or above 2,001, a length that is no bucket size), TRUNCATED,
   *     TRAILING_DATA
   */
  public static BackupFile parse(byte[] file) throws SottoException {
    Objects.requireNonNull(file, "file");
    Reader in = new Reader(file, "backup file");
    in.version(VERSION, "backup file");
    int at = in.position();
    int count = in.u16("count");
    if (count < 1 || count > MAX_ENVELOPES) {
      throw in.invalid("count", at, "1 to " + MAX_ENVELOPES);
    }
    List<byte[]> envelopes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      at = in.position();
      long length = in.u32("length");
      if (!Envelope.BUCKETS.contains((int) Math.min(length, Integer.MAX_VALUE))) {
        throw in.invalid("length", at, "not a bucket size");
      }
      byte[] envelope = in.bytes(length, "envelope");
      if ((envelope[0] & 0xff) != Envelope.VERSION) {
        throw new SottoException(ErrorCode.UNSUPPORTED_VERSION, "backup file: envelope " + i + " version "
            + (envelope[0] & 0xff));
      }
      envelopes.add(envelope);
    }
    in.end();
    return new BackupFile(envelopes.get(0), List.copyOf(envelopes.subList(1, envelopes.size())));
  }

  /** The head envelope. */
  public byte[] head() {
    return head.clone();
  }

  /** The chunk envelopes, in the file's order. */
  public List<byte[]> chunks() {
    return chunks.stream().map(byte[]::clone).toList();
  }

  @Override
  public String toString() {
    return "BackupFile[" + (chunks.size() + 1) + " envelopes]";
  }
}
