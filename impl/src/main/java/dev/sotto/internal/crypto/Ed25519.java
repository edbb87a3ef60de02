package dev.sotto.internal.crypto;

import dev.sotto.internal.encoding.Bytes;

/**
 * Ed25519 (RFC 8032, pure, no context), as suite SOTTO-1 uses it: verification is the
 * strict one (S < L, canonical encodings), so that a signature is not malleable.
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

  /** Whether {@code signature} is a valid signature of {@code message} under {@code publicKey}. */
  public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    if (publicKey.length != PUBLIC_KEY_LENGTH || signature.length != SIGNATURE_LENGTH) {
      return false;
    }
    return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
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
