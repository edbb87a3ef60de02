package dev.sotto.internal.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/** HKDF-SHA-256 (RFC 5869). spec: suite.adoc#hkdf */
public final class Hkdf {
  public static final int MAX_LENGTH = 255 * 32;

  private Hkdf() {}

  /**
   * HKDF-Expand(HKDF-Extract(salt, ikm), info, length). An empty salt is the empty string,
   * which RFC 5869 treats like 32 zero bytes.
   */
  public static byte[] derive(byte[] salt, byte[] ikm, byte[] info, int length) {
    if (length < 0 || length > MAX_LENGTH) {
      throw new IllegalArgumentException("HKDF-SHA-256 output length must be 0.." + MAX_LENGTH);
    }
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt.length == 0 ? null : salt, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }
}
