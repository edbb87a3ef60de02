package dev.sotto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import java.util.Arrays;
import java.util.List;

/**
 * What the network and a mailbox see (spec: envelope.adoc): a version byte, a 16-byte mailbox
 * tag and an opaque body, in one of four fixed sizes. Nothing else.
 */
public final class Envelope {
  public static final int VERSION = 0x02;
  public static final int TAG_LENGTH = 16;
  public static final int HEADER_LENGTH = 1 + TAG_LENGTH;
  /** The envelope sizes: 1 KiB, 4 KiB, 16 KiB, 64 KiB. */
  public static final List<Integer> BUCKETS = List.of(1024, 4096, 16384, 65536);

  private final byte[] encoded;

  private Envelope(byte[] encoded) {
    this.encoded = encoded;
  }

  static Envelope of(byte[] tag, byte[] body) {
    Bytes.requireLength(tag, TAG_LENGTH, "tag");
    byte[] encoded = Bytes.concat(new byte[] {VERSION}, tag, body);
    if (!BUCKETS.contains(encoded.length)) {
      throw new IllegalStateException("envelope of " + encoded.length + " bytes is not a bucket size");
    }
    return new Envelope(encoded);
  }

  /**
   * The envelope whose bytes are {@code buffer}, taken as they are (no copy): its ratchet message
   * was sealed in place from offset {@link #HEADER_LENGTH}; the version and {@code tag} are
   * written here.
   */
  static Envelope wrap(byte[] tag, byte[] buffer) {
    Bytes.requireLength(tag, TAG_LENGTH, "tag");
    if (!BUCKETS.contains(buffer.length)) {
      throw new IllegalStateException("envelope of " + buffer.length + " bytes is not a bucket size");
    }
    buffer[0] = VERSION;
    System.arraycopy(tag, 0, buffer, 1, TAG_LENGTH);
    return new Envelope(buffer);
  }

  /**
   * Reads an envelope.
   *
   * @throws SottoException TRUNCATED (empty), UNSUPPORTED_VERSION, INVALID_ENCODING (a length that
   *     is not one of the bucket sizes)
   */
  public static Envelope parse(byte[] encoded) throws SottoException {
    Reader in = new Reader(encoded, "envelope");
    in.version(VERSION, "envelope");
    if (!BUCKETS.contains(encoded.length)) {
      throw in.invalid("length", 0, "an envelope of " + encoded.length + " bytes is not one of the sizes " + BUCKETS);
    }
    return new Envelope(encoded.clone());
  }

  /** The mailbox tag. */
  public byte[] tag() {
    return Arrays.copyOfRange(encoded, 1, HEADER_LENGTH);
  }

  /** This envelope's own bytes, not a copy: for opening in place an envelope that was parsed for it. */
  byte[] buffer() {
    return encoded;
  }

  byte[] body() {
    return Arrays.copyOfRange(encoded, HEADER_LENGTH, encoded.length);
  }

  /** The envelope's bytes, as they travel. */
  public byte[] encoded() {
    return encoded.clone();
  }

  public int length() {
    return encoded.length;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Envelope that && Arrays.equals(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "Envelope[" + encoded.length + " bytes, tag " + Bytes.hex(tag()) + "]";
  }
}
