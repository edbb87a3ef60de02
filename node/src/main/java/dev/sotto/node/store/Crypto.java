package dev.sotto.node.store;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** The primitives of the identity file and the store, over Bouncy Castle's lightweight API. */
final class Crypto {
  static final int KEY_LENGTH = 32;
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;

  private Crypto() {}

  /** ChaCha20-Poly1305 (RFC 8439): ciphertext || 16-byte tag. */
  static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    ChaCha20Poly1305 aead = aead(true, key, nonce, aad);
    byte[] out = new byte[plaintext.length + TAG_LENGTH];
    int n = aead.processBytes(plaintext, 0, plaintext.length, out, 0);
    try {
      aead.doFinal(out, n);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("encryption cannot fail", e);
    }
    return out;
  }

  /**
   * Opens what {@link #seal} made from {@code in[offset, offset + length)}.
   *
   * @throws InvalidCipherTextException if the tag does not verify, whatever the cause
   */
  static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] in, int offset, int length)
      throws InvalidCipherTextException {
    if (length < TAG_LENGTH) {
      throw new InvalidCipherTextException("too short");
    }
    ChaCha20Poly1305 aead = aead(false, key, nonce, aad);
    byte[] out = new byte[length - TAG_LENGTH];
    int n = aead.processBytes(in, offset, length, out, 0);
    aead.doFinal(out, n);
    return out;
  }

  private static ChaCha20Poly1305 aead(boolean encrypt, byte[] key, byte[] nonce, byte[] aad) {
    ChaCha20Poly1305 aead = new ChaCha20Poly1305();
    aead.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_LENGTH * 8, nonce, aad));
    return aead;
  }

  /** HMAC-SHA-256 (RFC 2104) of the concatenated parts. */
  static byte[] hmac(byte[] key, byte[]... parts) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(key));
    for (byte[] part : parts) {
      mac.update(part, 0, part.length);
    }
    byte[] out = new byte[mac.getMacSize()];
    mac.doFinal(out, 0);
    return out;
  }

  /** An HMAC-SHA-256 keyed once: each {@link #hmac(HMac, byte[]...)} leaves it keyed for the next. */
  static HMac hmacKeyed(byte[] key) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(key));
    return mac;
  }

  /** HMAC-SHA-256 of the concatenated parts, under the key {@code mac} was made with. */
  static byte[] hmac(HMac mac, byte[]... parts) {
    for (byte[] part : parts) {
      mac.update(part, 0, part.length);
    }
    byte[] out = new byte[mac.getMacSize()];
    mac.doFinal(out, 0);
    return out;
  }

  /** HKDF-SHA-256 (RFC 5869), extract and expand. */
  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }

  /**
   * Argon2id, version 0x13 (RFC 9106). {@code secret} and {@code ad} are the optional inputs K
   * and X; the identity file uses neither, the RFC's test vector uses both.
   */
  static byte[] argon2id(byte[] password, byte[] salt, byte[] secret, byte[] ad, Vault.Params params, int length) {
    Argon2Parameters.Builder builder = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withSalt(salt)
        .withMemoryAsKB(params.memoryKiB())
        .withIterations(params.iterations())
        .withParallelism(params.parallelism());
    if (secret != null) {
      builder.withSecret(secret);
    }
    if (ad != null) {
      builder.withAdditional(ad);
    }
    Argon2BytesGenerator argon2 = new Argon2BytesGenerator();
    argon2.init(builder.build());
    byte[] out = new byte[length];
    argon2.generateBytes(password, out);
    return out;
  }
}
