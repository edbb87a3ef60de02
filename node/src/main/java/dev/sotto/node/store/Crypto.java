package dev.sotto.node.store;

import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The primitives of the identity file and the store: ChaCha20-Poly1305, HMAC and HKDF are the
 * protocol library's own (dev.sotto.internal.crypto: the JDK's SHA-256, and its ChaCha20-Poly1305
 * where the JDK has it intrinsified), Argon2id Bouncy Castle's. The bytes are those of any RFC
 * implementation: a store written with Bouncy Castle's primitives opens with these.
 */
final class Crypto {
  static final int KEY_LENGTH = 32;
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;

  private Crypto() {}

  /** ChaCha20-Poly1305 (RFC 8439): ciphertext || 16-byte tag. */
  static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    return Aead.seal(key, nonce, aad, plaintext);
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
    byte[] out = new byte[length - TAG_LENGTH];
    try {
      Aead.open(key, nonce, aad, in, offset, length, out, 0);
    } catch (SottoException e) {
      throw new InvalidCipherTextException("the tag does not verify");
    }
    return out;
  }

  /** HMAC-SHA-256 (RFC 2104) of the concatenated parts. */
  static byte[] hmac(byte[] key, byte[]... parts) {
    return Hmac.sha256(key, parts);
  }

  /** A key for HMAC-SHA-256, held as its own copy and cleared by {@link #destroy}. */
  static final class MacKey {
    private final byte[] key;

    MacKey(byte[] key) {
      this.key = key.clone();
    }

    /** HMAC-SHA-256 of the concatenated parts under this key. */
    byte[] mac(byte[]... parts) {
      return Hmac.sha256(key, parts);
    }

    void destroy() {
      Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
      return "MacKey[secret]";
    }
  }

  /** HKDF-SHA-256 (RFC 5869), extract and expand. */
  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
    return Hkdf.derive(salt, ikm, info, length);
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
