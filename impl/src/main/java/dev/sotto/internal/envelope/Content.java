package dev.sotto.internal.envelope;

import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;

/**
 * The padded plaintext that a ratchet message carries (spec: envelope.adoc#content): a whole
 * payload or one chunk of a larger one, then zero bytes up to the size the envelope's bucket fixes.
 *
 * <pre>
 *   whole: kind u8 = 0x01 || length u32 || data || zeros
 *   chunk: kind u8 = 0x02 || payload_id u32 || index u16 || count u16 || length u32 || data || zeros
 * </pre>
 */
public record Content(int kind, long payloadId, int index, int count, byte[] data) {
  public static final int KIND_WHOLE = 0x01;
  public static final int KIND_CHUNK = 0x02;
  public static final int WHOLE_OVERHEAD = 1 + 4;
  public static final int CHUNK_OVERHEAD = 1 + 4 + 2 + 2 + 4;
  /** A payload is cut into at most this many chunks (spec: envelope.adoc#chunking). */
  public static final int MAX_CHUNKS = 256;
  /** Never written: the padding of any bucket is compared against it. */

  public static Content whole(byte[] data) {
    return new Content(KIND_WHOLE, 0, 0, 1, data);
  }

  public static Content chunk(long payloadId, int index, int count, byte[] data) {
    return new Content(KIND_CHUNK, payloadId, index, count, data);
  }

  /** The content padded with zeros to exactly {@code size} bytes. */
  public byte[] encode(int size) {
    byte[] out = new byte[size];
    encodeInto(out, 0, size);
    return out;
  }

  /**
   * Writes the content padded to {@code size} bytes into {@code out} from {@code offset}: the
   * data is copied once (into the envelope that will carry it), the padding is written as zeros.
   */
  public void encodeInto(byte[] out, int offset, int size) {
    encodeInto(kind, payloadId, index, count, data, 0, data.length, out, offset, size);
  }

  /**
   * Writes a content whose data is {@code source[from, from + length)} (a whole payload, or one
   * chunk's part of it, never copied apart), padded to {@code size} bytes, into {@code out} from
   * {@code offset}.
   */
  public static void encodeInto(int kind, long payloadId, int index, int count, byte[] source, int from, int length,
      byte[] out, int offset, int size) {
    Writer w = new Writer().u8(kind);
    if (kind == KIND_CHUNK) {
      w.u32(payloadId).u16(index).u16(count);
    }
    byte[] head = w.u32(length).toByteArray();
    if (head.length + length > size) {
      throw new IllegalArgumentException("content of " + (head.length + length) + " bytes does not fit " + size);
    }
    java.util.Objects.checkFromIndexSize(from, length, source.length);
    java.util.Objects.checkFromIndexSize(offset, size, out.length);
    System.arraycopy(head, 0, out, offset, head.length);
    System.arraycopy(source, from, out, offset + head.length, length);
    java.util.Arrays.fill(out, offset + head.length + length, offset + size, (byte) 0);
  }

  /**
   * Reads padded content.
   *
   * @throws SottoException TRUNCATED, INVALID_ENCODING (an unknown kind, a chunk index or count out
   *     of range, a non-zero padding byte)
   */
  public static Content parse(byte[] padded) throws SottoException {
    return parse(padded, 0, padded.length);
  }

  /** {@link #parse(byte[])} of {@code buffer[offset, offset + length)} (a content opened in place). */
  public static Content parse(byte[] buffer, int offset, int size) throws SottoException {
    Reader in = Reader.decrypted(buffer, offset, offset + size, "content");
    int kindOffset = in.position();
    int kind = in.u8("kind");
    long payloadId = 0;
    int index = 0;
    int count = 1;
    if (kind == KIND_CHUNK) {
      payloadId = in.u32("payload_id");
      int indexOffset = in.position();
      index = in.u16("index");
      int countOffset = in.position();
      count = in.u16("count");
      if (count < 2 || count > MAX_CHUNKS) {
        throw in.invalid("count", countOffset, count + " chunks; a chunked payload has 2 to " + MAX_CHUNKS);
      }
      if (index >= count) {
        throw in.invalid("index", indexOffset, "chunk " + index + " of " + count);
      }
    } else if (kind != KIND_WHOLE) {
      throw in.invalid("kind", kindOffset, "content kind " + kind);
    }
    long length = in.u32("length");
    byte[] data = in.bytes(length, "data");
    in.zeros("padding");
    return new Content(kind, payloadId, index, count, data);
  }
}
