package dev.sotto.internal.crypto;

import dev.sotto.ErrorCode;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.util.Arrays;

/**
 * X25519 (RFC 7748), as suite SOTTO-1 uses it. spec: suite.adoc#x25519
 *
 * <p>The scalar multiplications are Sotto's own, in constant time, with field arithmetic in
 * {@link Field25519}: the Montgomery ladder ({@link X25519Ladder}) for X25519(k, u), and a
 * fixed-base table on Edwards25519 ({@link X25519Base}) for the public key X25519(k, 9), about
 * three times fewer field operations. Bouncy Castle's X25519 remains as the differential oracle of
 * their tests.
 */
public final class X25519 {
  public static final int PRIVATE_KEY_LENGTH = 32;
  public static final int PUBLIC_KEY_LENGTH = 32;
  public static final int SHARED_SECRET_LENGTH = 32;

  private X25519() {}

  /** Draws a private key: 32 bytes from the source, used as they are (clamping happens inside the scalar multiplication). */
  public static byte[] generatePrivateKey(RandomSource random) {
    return random.bytes(PRIVATE_KEY_LENGTH);
  }

  /** X25519(k, 9), by the fixed-base table (equal to the ladder's result on every k). */
  public static byte[] publicKey(byte[] privateKey) {
    Bytes.requireLength(privateKey, PRIVATE_KEY_LENGTH, "private key");
    byte[] out = new byte[PUBLIC_KEY_LENGTH];
    X25519Base.scalarMultBase(privateKey, out);
    return out;
  }

  /**
   * X25519(k, u) as RFC 7748 section 5 defines it (the top bit of u is ignored, non-canonical
   * u is reduced), rejecting an all-zero result as the suite requires.
   *
   * @throws SottoException {@link ErrorCode#INVALID_KEY} when the shared secret is all zero
   *     (u is of small order)
   */
  public static byte[] agree(byte[] privateKey, byte[] publicKey) throws SottoException {
    Bytes.requireLength(privateKey, PRIVATE_KEY_LENGTH, "private key");
    Bytes.requireLength(publicKey, PUBLIC_KEY_LENGTH, "public key");
    byte[] out = new byte[SHARED_SECRET_LENGTH];
    X25519Ladder.scalarMult(privateKey, publicKey, out);
    // Whether the result is zero is public (it decides an error); the bytes are ORed, not compared one by one.
    int acc = 0;
    for (byte b : out) {
      acc |= b;
    }
    if (acc == 0) {
      Arrays.fill(out, (byte) 0);
      throw new SottoException(ErrorCode.INVALID_KEY, "X25519 shared secret is all zero (public key of small order)");
    }
    return out;
  }

  /**
   * decodeScalar25519 of RFC 7748 section 5: a copy of {@code k} with the three low bits and bit
   * 255 cleared and bit 254 set (the caller's bytes are not changed). The caller clears the copy
   * when done.
   */
  static byte[] decodeScalar(byte[] k) {
    byte[] scalar = k.clone();
    scalar[0] &= (byte) 248;
    scalar[31] &= 127;
    scalar[31] |= 64;
    return scalar;
  }

  /**
   * Whether a public key is in canonical form: u < 2^255 - 19 and the top bit clear. Sotto's
   * encodings accept only canonical keys, so that each key has one encoding.
   */
  public static boolean isCanonical(byte[] publicKey) {
    if (publicKey.length != PUBLIC_KEY_LENGTH || (publicKey[31] & 0x80) != 0) {
      return false;
    }
    // u >= p = 2^255 - 19 exactly when the top 250 bits are all one and the low byte >= 0xed.
    if ((publicKey[31] & 0xff) != 0x7f) {
      return true;
    }
    for (int i = 30; i >= 1; i--) {
      if ((publicKey[i] & 0xff) != 0xff) {
        return true;
      }
    }
    return (publicKey[0] & 0xff) < 0xed;
  }
}
