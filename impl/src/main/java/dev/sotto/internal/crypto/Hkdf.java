package dev.sotto.internal.crypto;

import java.util.Arrays;

/**
 * HKDF-SHA-256 (RFC 5869), over {@link Hmac} (the JDK's intrinsified SHA-256). spec: suite.adoc#hkdf
 */
public final class Hkdf {
  public static final int MAX_LENGTH = 255 * 32;
  private static final byte[] EMPTY = new byte[0];

  private Hkdf() {}

  /**
   * HKDF-Expand(HKDF-Extract(salt, ikm), info, length). An empty salt is the empty string,
   * which RFC 5869 treats like 32 zero bytes (HMAC pads either to the same block).
   */
  public static byte[] derive(byte[] salt, byte[] ikm, byte[] info, int length) {
    if (length < 0 || length > MAX_LENGTH) {
      throw new IllegalArgumentException("HKDF-SHA-256 output length must be 0.." + MAX_LENGTH);
    }
    byte[] prk = Hmac.sha256(salt, ikm);
    byte[] out = new byte[length];
    byte[] t = EMPTY;
    try {
      for (int i = 1, offset = 0; offset < length; i++, offset += Hmac.LENGTH) {
        byte[] next = Hmac.sha256(prk, t, info, new byte[] {(byte) i});
        Arrays.fill(t, (byte) 0);
        t = next;
        System.arraycopy(t, 0, out, offset, Math.min(Hmac.LENGTH, length - offset));
      }
      return out;
    } finally {
      Arrays.fill(prk, (byte) 0);
      Arrays.fill(t, (byte) 0);
    }
  }
}
