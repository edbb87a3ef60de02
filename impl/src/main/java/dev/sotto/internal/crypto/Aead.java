package dev.sotto.internal.crypto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** ChaCha20-Poly1305 (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag appended. spec: suite.adoc#aead */
public final class Aead {
  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;

  private Aead() {}

  /** Returns ciphertext || tag. */
  public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    ChaCha20Poly1305 cipher = init(true, key, nonce, aad);
    byte[] out = new byte[plaintext.length + TAG_LENGTH];
    int n = cipher.processBytes(plaintext, 0, plaintext.length, out, 0);
    try {
      cipher.doFinal(out, n);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("encryption cannot fail", e);
    }
    return out;
  }

  /**
   * Opens ciphertext || tag.
   *
   * @throws SottoException {@link ErrorCode#AUTH_FAILED} when the input is shorter than a
   *     tag or the tag does not verify; no plaintext is released
   */
  public static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws SottoException {
    // Key and nonce lengths first: API misuse is an IllegalArgumentException whatever the input.
    ChaCha20Poly1305 cipher = init(false, key, nonce, aad);
    if (sealed.length < TAG_LENGTH) {
      throw new SottoException(ErrorCode.AUTH_FAILED, "authenticated decryption failed");
    }
    byte[] out = new byte[sealed.length - TAG_LENGTH];
    try {
      int n = cipher.processBytes(sealed, 0, sealed.length, out, 0);
      cipher.doFinal(out, n);
      return out;
    } catch (InvalidCipherTextException e) {
      Arrays.fill(out, (byte) 0);
      throw new SottoException(ErrorCode.AUTH_FAILED, "authenticated decryption failed");
    }
  }

  /** {@link #seal} under a key and nonce derived together: {@code keyAndNonce} is key (32) || nonce (12). */
  public static byte[] sealWith(byte[] keyAndNonce, byte[] aad, byte[] plaintext) {
    Bytes.requireLength(keyAndNonce, KEY_LENGTH + NONCE_LENGTH, "AEAD key and nonce");
    byte[] key = Arrays.copyOf(keyAndNonce, KEY_LENGTH);
    try {
      return seal(key, Arrays.copyOfRange(keyAndNonce, KEY_LENGTH, KEY_LENGTH + NONCE_LENGTH), aad, plaintext);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** {@link #open} under a key and nonce derived together: {@code keyAndNonce} is key (32) || nonce (12). */
  public static byte[] openWith(byte[] keyAndNonce, byte[] aad, byte[] sealed) throws SottoException {
    Bytes.requireLength(keyAndNonce, KEY_LENGTH + NONCE_LENGTH, "AEAD key and nonce");
    byte[] key = Arrays.copyOf(keyAndNonce, KEY_LENGTH);
    try {
      return open(key, Arrays.copyOfRange(keyAndNonce, KEY_LENGTH, KEY_LENGTH + NONCE_LENGTH), aad, sealed);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static ChaCha20Poly1305 init(boolean encrypt, byte[] key, byte[] nonce, byte[] aad) {
    Bytes.requireLength(key, KEY_LENGTH, "AEAD key");
    Bytes.requireLength(nonce, NONCE_LENGTH, "AEAD nonce");
    ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
    cipher.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_LENGTH * 8, nonce, aad));
    return cipher;
  }
}
