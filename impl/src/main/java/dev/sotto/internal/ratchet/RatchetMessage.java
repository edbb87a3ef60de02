package dev.sotto.internal.ratchet;

import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;

/**
 * A ratchet message on the wire (spec: ratchet.adoc#message): version u8 = 2 || siv bytes[12]
 * (the synthetic IV, also the header's nonce) || encrypted_header bytes[58] || body (the rest, at
 * least 16 bytes).
 */
public record RatchetMessage(byte[] siv, byte[] encryptedHeader, byte[] body) {
  public static final int VERSION = 0x02;
  public static final int ENCRYPTED_HEADER_LENGTH = Header.LENGTH + Aead.TAG_LENGTH;
  /** version || siv || encrypted_header: the bytes before the body. */
  public static final int PREFIX_LENGTH = 1 + Kdf.SIV_LENGTH + ENCRYPTED_HEADER_LENGTH;
  public static final int OVERHEAD = PREFIX_LENGTH + Aead.TAG_LENGTH;

  public byte[] encode() {
    // One exact allocation: bodies reach 64 KiB, and a stream would copy them twice more.
    byte[] out = new byte[1 + siv.length + encryptedHeader.length + body.length];
    out[0] = VERSION;
    System.arraycopy(siv, 0, out, 1, siv.length);
    System.arraycopy(encryptedHeader, 0, out, 1 + siv.length, encryptedHeader.length);
    System.arraycopy(body, 0, out, 1 + siv.length + encryptedHeader.length, body.length);
    return out;
  }

  /** The body's associated data after the session's: version || siv || encrypted_header. */
  public byte[] prefix() {
    return new Writer().u8(VERSION).bytes(siv).bytes(encryptedHeader).toByteArray();
  }

  /**
   * A ratchet message read where it lies, in {@code buffer[offset, offset + length)}: its siv and
   * encrypted header copied (70 bytes), its body only located. The same checks and errors as
   * {@link #parse}.
   */
  public record InPlace(byte[] siv, byte[] encryptedHeader, byte[] buffer, int offset, int bodyLength) {
    public int bodyOffset() {
      return offset + PREFIX_LENGTH;
    }

    /** The body's associated data: the session's {@code ad}, then version || siv || encrypted_header. */
    public byte[] bodyAd(byte[] ad) {
      byte[] out = java.util.Arrays.copyOf(ad, ad.length + PREFIX_LENGTH);
      System.arraycopy(buffer, offset, out, ad.length, PREFIX_LENGTH);
      return out;
    }
  }

  public static InPlace parseInPlace(byte[] buffer, int offset, int length) throws SottoException {
    Reader in = Reader.slice(buffer, offset, offset + length, "ratchet message");
    in.version(VERSION, "ratchet message");
    byte[] siv = in.bytes(Kdf.SIV_LENGTH, "siv");
    byte[] header = in.bytes(ENCRYPTED_HEADER_LENGTH, "encrypted_header");
    int bodyLength = Math.max(Aead.TAG_LENGTH, in.remaining());
    if (in.remaining() < bodyLength) {
      in.bytes(bodyLength, "body"); // TRUNCATED, with parse's text
    }
    return new InPlace(siv, header, buffer, offset, bodyLength);
  }

  public static RatchetMessage parse(byte[] encoded) throws SottoException {
    Reader in = new Reader(encoded, "ratchet message");
    in.version(VERSION, "ratchet message");
    byte[] siv = in.bytes(Kdf.SIV_LENGTH, "siv");
    byte[] header = in.bytes(ENCRYPTED_HEADER_LENGTH, "encrypted_header");
    byte[] body = in.bytes(Math.max(Aead.TAG_LENGTH, in.remaining()), "body");
    return new RatchetMessage(siv, header, body);
  }
}
