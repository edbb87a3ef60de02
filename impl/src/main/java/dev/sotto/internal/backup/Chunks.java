package dev.sotto.internal.backup;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cutting the records into chunks and sealing each into an envelope, and the reverse
 * (spec: backup.adoc#backup-chunking).
 */
public final class Chunks {
  /** A chunk ends at a record end chosen by the keyed hash once it holds at least this many bytes. */
  public static final int MIN = 49_152;
  /** The most data a chunk holds: what a 64 KiB envelope leaves after its header, tag and length. */
  public static final int MAX = 65_536 - Envelope.HEADER_LENGTH - Aead.TAG_LENGTH - 4;
  /** Envelope header, AEAD tag and the length field. */
  public static final int OVERHEAD = Envelope.HEADER_LENGTH + Aead.TAG_LENGTH + 4;

  private Chunks() {}

  /** One sealed chunk: its id, its tag and its envelope's bytes. */
  public record Sealed(byte[] id, byte[] tag, byte[] envelope, byte[] data) {}

  /**
   * The chunks' data, by the writer's cut rule, from the records in order (each the whole
   * encoded record: type, length and body).
   */
  public static List<byte[]> cut(List<byte[]> records, ContentKeys keys) {
    List<byte[]> chunks = new ArrayList<>();
    ByteArrayOutputStream current = new ByteArrayOutputStream();
    for (byte[] record : records) {
      int from = 0;
      // while e - start > MAX: cut at start + MAX
      while (current.size() + (record.length - from) > MAX) {
        int take = MAX - current.size();
        current.write(record, from, take);
        from += take;
        chunks.add(current.toByteArray());
        current.reset();
      }
      current.write(record, from, record.length - from);
      if (current.size() >= MIN && keys.cutsAfter(record, 0, record.length)) {
        chunks.add(current.toByteArray());
        current.reset();
      }
    }
    if (current.size() > 0) {
      chunks.add(current.toByteArray());
    }
    return chunks;
  }

  /** The smallest bucket that holds {@code fixed + length} bytes. */
  public static int bucket(long needed) {
    for (int b : Envelope.BUCKETS) {
      if (needed <= b) {
        return b;
      }
    }
    throw new IllegalArgumentException(needed + " bytes fit no envelope");
  }

  /** Seals one chunk's data (spec: backup.adoc#backup-chunking). */
  public static Sealed seal(byte[] data, ContentKeys content, SeedKeys seed) {
    if (data.length < 1 || data.length > MAX) {
      throw new IllegalArgumentException("a chunk holds 1.." + MAX + " bytes");
    }
    byte[] id = content.chunkId(data);
    return seal(data, id, seed.chunkTag(id), content);
  }

  /** The length of the envelope of a chunk of {@code dataLength} bytes: a bucket size. */
  public static int envelopeLength(int dataLength) {
    return bucket((long) OVERHEAD + dataLength);
  }

  /**
   * Seals one chunk's data whose id ({@code HMAC(K_id, data)}) and tag the caller computed already
   * (spec: backup.adoc#backup-chunking): the envelope is the same as {@link #seal(byte[],
   * ContentKeys, SeedKeys)}'s.
   */
  public static Sealed seal(byte[] data, byte[] id, byte[] tag, ContentKeys content) {
    if (data.length < 1 || data.length > MAX) {
      throw new IllegalArgumentException("a chunk holds 1.." + MAX + " bytes");
    }
    int bucket = bucket((long) OVERHEAD + data.length);
    byte[] plaintext = new byte[bucket - Envelope.HEADER_LENGTH - Aead.TAG_LENGTH];
    byte[] length = new Writer().u32(data.length).toByteArray();
    System.arraycopy(length, 0, plaintext, 0, 4);
    System.arraycopy(data, 0, plaintext, 4, data.length);
    byte[] keyAndNonce = content.chunkKeyAndNonce(id);
    try {
      byte[] body = Aead.sealWith(keyAndNonce, new byte[0], plaintext);
      return new Sealed(id, tag, Bytes.concat(new byte[] {Envelope.VERSION}, tag, body), data);
    } finally {
      Arrays.fill(keyAndNonce, (byte) 0);
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * Opens the chunk envelope {@code envelope} as the chunk {@code chunkId}; its tag has been
   * matched by the caller. Returns the chunk's data.
   *
   * @throws SottoException TRUNCATED, UNSUPPORTED_VERSION, INVALID_ENCODING (the envelope; a zero
   *     length or non-zero padding), AUTH_FAILED (the AEAD, or data whose id is not {@code chunkId})
   */
  public static byte[] open(byte[] envelope, byte[] chunkId, ContentKeys content) throws SottoException {
    Envelope.parse(envelope);
    byte[] keyAndNonce = content.chunkKeyAndNonce(chunkId);
    byte[] plaintext;
    try {
      plaintext = Aead.openWith(keyAndNonce, new byte[0],
          Arrays.copyOfRange(envelope, Envelope.HEADER_LENGTH, envelope.length));
    } finally {
      Arrays.fill(keyAndNonce, (byte) 0);
    }
    Reader in = Reader.decrypted(plaintext, "backup chunk");
    long length = in.u32("length");
    if (length == 0) {
      throw in.invalid("length", 0, "a chunk holds at least one byte");
    }
    byte[] data = in.bytes(length, "data");
    in.zeros("padding");
    if (!Bytes.constantTimeEquals(content.chunkId(data), chunkId)) {
      throw new SottoException(ErrorCode.AUTH_FAILED, "authenticated decryption failed");
    }
    return data;
  }
}
