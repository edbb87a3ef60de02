package dev.sotto.internal.crypto;

import dev.sotto.internal.encoding.Bytes;

/**
 * Ed25519 (RFC 8032, pure, no context), as suite SOTTO-1 uses it: verification is the
 * strict, cofactorless one (S &lt; L, canonical encodings, [S]B = R + [k]A without the
 * multiplication by 8), so that a signature is not malleable and every verifier agrees on it.
 * spec: suite.adoc#ed25519
 */
public final class Ed25519 {
  public static final int PRIVATE_KEY_LENGTH = 32;
  public static final int PUBLIC_KEY_LENGTH = 32;
  public static final int SIGNATURE_LENGTH = 64;

  private Ed25519() {}

  /** The public key A of the 32-byte private key (RFC 8032 section 5.1.5). */
  public static byte[] publicKey(byte[] privateKey) {
    Bytes.requireLength(privateKey, PRIVATE_KEY_LENGTH, "private key");
    byte[] out = new byte[PUBLIC_KEY_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(privateKey, 0, out, 0);
    return out;
  }

  /** The deterministic signature of {@code message}. */
  public static byte[] sign(byte[] privateKey, byte[] message) {
    Bytes.requireLength(privateKey, PRIVATE_KEY_LENGTH, "private key");
    byte[] out = new byte[SIGNATURE_LENGTH];
    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(privateKey, 0, message, 0, message.length, out, 0);
    return out;
  }

  /** The encoding of the neutral point (0, 1). */
  private static final byte[] NEUTRAL = Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000");

  /**
   * Whether {@code signature} is a valid signature of {@code message} under {@code publicKey}, a
   * key of order l (one that {@link #isValidPublicKey} accepts; any other key verifies nothing).
   *
   * <p>BouncyCastle's verify is the cofactored one ([8][S]B = [8]R + [8][k]A, RFC 8032 section
   * 5.1.7 as written): it also accepts a signature whose R carries a component of small order.
   * With A of order l, [S]B - [k]A is in the subgroup of order l, so the cofactorless equation
   * [S]B = R + [k]A holds exactly when the cofactored one does and R is in that subgroup too:
   * R is the neutral point or a point of order l. That is what is checked here.
   */
  public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    if (publicKey.length != PUBLIC_KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
      return false;
    }
    if (!isValidPublicKey(publicKey)) {
      return false;
    }
    if (!org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length)) {
      return false;
    }
    // R is canonical here (checked by the verify above); require it to have no component of small order.
    byte[] r = java.util.Arrays.copyOf(signature, PUBLIC_KEY_LENGTH);
    return java.util.Arrays.equals(r, NEUTRAL) || org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFull(r, 0);
  }

  /**
   * Whether a public key is acceptable as a long-lived identity key: a canonical encoding of
   * a point on the curve, in the prime-order subgroup and not of small order.
   */
  public static boolean isValidPublicKey(byte[] publicKey) {
    return publicKey.length == PUBLIC_KEY_LENGTH
        && org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFull(publicKey, 0);
  }
}
