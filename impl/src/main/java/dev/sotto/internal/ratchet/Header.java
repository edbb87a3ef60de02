package dev.sotto.internal.ratchet;

import dev.sotto.SottoException;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;

/**
 * A ratchet header (spec: ratchet.adoc#header): flags u8 = 0 || the sender's ratchet key (typed
 * X25519) || pn u32 || n u32; 42 bytes, always encrypted.
 */
public record Header(byte[] ratchetKey, long previousChainLength, long messageNumber) {
  public static final int LENGTH = 1 + KeyCodec.X25519_ENCODED_LENGTH + 4 + 4;

  public byte[] encode() {
    return new Writer().u8(0).bytes(KeyCodec.x25519(ratchetKey)).u32(previousChainLength).u32(messageNumber)
        .toByteArray();
  }

  /** Reads a decrypted header: flags must be zero (the bits are reserved for the post-quantum step). */
  public static Header parse(byte[] encoded) throws SottoException {
    Reader in = Reader.decrypted(encoded, "ratchet header");
    int flags = in.u8("flags");
    if (flags != 0) {
      throw in.invalid("flags", 0, String.format("undefined header flags 0x%02x", flags));
    }
    byte[] key = KeyCodec.readX25519(in, "ratchet key");
    long pn = in.u32("pn");
    if (pn > RatchetState.MAX_CHAIN) {
      throw in.invalid("pn", 34, "at most the chain bound");
    }
    long n = in.u32("n");
    if (n >= RatchetState.MAX_CHAIN) {
      throw in.invalid("n", 38, "below the chain bound");
    }
    in.end();
    return new Header(key, pn, n);
  }
}
