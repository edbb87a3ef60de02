package dev.sotto.internal.crypto;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.engines.ChaCha7539Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * ChaCha20-Poly1305 (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag appended. spec: suite.adoc#aead
 *
 * <p>Three backends compute the same bytes. {@link ChaCha20Poly1305}, this package's pure Java
 * (64-bit Poly1305 limbs, keystream XORed in place), serves every input on JDK 17 to 19 and short
 * inputs everywhere; Bouncy Castle's ChaCha20 and Poly1305 (pure Java) are kept as a reference for
 * the tests and benchmarks, chosen by no runtime. On JDK 20 and later, whose SunJCE
 * ChaCha20 and Poly1305 are intrinsified (vector code), inputs of at least {@link #JDK_THRESHOLD}
 * bytes go to javax.crypto's "ChaCha20-Poly1305" instead. The choice is made once, at class
 * initialization, from {@code Runtime.version()} and the presence of the SunJCE provider; it
 * depends on nothing secret (a length is public: it is the envelope's bucket).
 *
 * <p>Every backend verifies the tag before they write any plaintext: a refused input leaves the
 * output (in place: the input) untouched. The JDK's cipher copies the key into a
 * {@code SecretKeySpec} and its own state, which this class cannot clear: zeroization is best
 * effort (spec: security.adoc).
 */
public final class Aead {
  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;
  /**
   * Inputs (plaintext or ciphertext without its tag) of at least this many bytes use the JDK's
   * cipher when it is intrinsified. Below it, the cost of a JCE cipher object (looked up and
   * initialized per operation) outweighs the faster core: on Temurin 25 the pure-Java backend
   * took 0.91 of the JDK's time at 384 bytes, 1.16 to 1.18 at 512 and 2.06 at 1 KiB, sealing and
   * opening ({@code AeadPairs 10 384,512,1024 jdk}; README). It was 2048 while Bouncy Castle's
   * was the alternative.
   */
  public static final int JDK_THRESHOLD = 512;

  /** Which implementation computes an operation. */
  public enum Backend {
    /** Bouncy Castle's ChaCha7539Engine and Poly1305: kept as a reference (tests, benchmarks). */
    BOUNCY_CASTLE,
    /** {@link ChaCha20Poly1305}: pure Java, 64-bit Poly1305 limbs, keystream XORed in place. */
    JAVA,
    /** javax.crypto's SunJCE cipher, intrinsified on JDK 20 and later. */
    JDK
  }

  private static final byte[] ZEROS = new byte[16];
  // After ZEROS: the provider's check seals through the Bouncy Castle backend.
  private static final Provider SUN_JCE = jdkProvider();

  private Aead() {}

  /** Whether inputs of {@link #JDK_THRESHOLD} bytes or more go to the JDK's cipher on this runtime. */
  public static boolean jdkBackendInUse() {
    return SUN_JCE != null;
  }

  /** The backend that serves an input of {@code length} bytes on this runtime. */
  public static Backend backendFor(int length) {
    return SUN_JCE != null && length >= JDK_THRESHOLD ? Backend.JDK : Backend.JAVA;
  }

  /** Returns ciphertext || tag. */
  public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    return seal(backendFor(plaintext.length), key, nonce, aad, plaintext);
  }

  /** {@link #seal(byte[], byte[], byte[], byte[])} through a chosen backend (tests and benchmarks). */
  public static byte[] seal(Backend backend, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    byte[] out = new byte[plaintext.length + TAG_LENGTH];
    seal(backend, key, nonce, aad, plaintext, 0, plaintext.length, out, 0);
    return out;
  }

  /**
   * Seals {@code length} bytes of {@code in} from {@code inOffset} and writes ciphertext || tag
   * ({@code length + 16} bytes) into {@code out} from {@code outOffset}. {@code in} and
   * {@code out} may be the same array at the same offset (sealing in place); other overlaps are
   * not allowed.
   */
  public static void seal(byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOffset, int length,
      byte[] out, int outOffset) {
    seal(backendFor(length), key, nonce, aad, in, inOffset, length, out, outOffset);
  }

  static void seal(Backend backend, byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOffset, int length,
      byte[] out, int outOffset) {
    checkKeyAndNonce(key, nonce);
    Objects.checkFromIndexSize(inOffset, length, in.length);
    Objects.checkFromIndexSize(outOffset, length + TAG_LENGTH, out.length);
    requireNoPartialOverlap(in, inOffset, out, outOffset);
    if (backend == Backend.JDK) {
      Cipher cipher = jdkCipher(Cipher.ENCRYPT_MODE, key, nonce, aad);
      try {
        cipher.doFinal(in, inOffset, length, out, outOffset);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("encryption cannot fail"); // no cause: it could name the key's state
      }
      return;
    }
    if (backend == Backend.JAVA) {
      ChaCha20Poly1305.seal(key, nonce, aad, in, inOffset, length, out, outOffset);
      return;
    }
    ChaCha7539Engine chacha = chacha(key, nonce);
    Poly1305 mac = poly1305(chacha);
    chacha.processBytes(in, inOffset, length, out, outOffset);
    authenticate(mac, aad, out, outOffset, length);
    mac.doFinal(out, outOffset + length);
  }

  /**
   * Opens ciphertext || tag.
   *
   * @throws SottoException {@link ErrorCode#AUTH_FAILED} when the input is shorter than a
   *     tag or the tag does not verify; no plaintext is released
   */
  public static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws SottoException {
    return open(backendFor(sealed.length - TAG_LENGTH), key, nonce, aad, sealed);
  }

  /** {@link #open(byte[], byte[], byte[], byte[])} through a chosen backend (tests and benchmarks). */
  public static byte[] open(Backend backend, byte[] key, byte[] nonce, byte[] aad, byte[] sealed)
      throws SottoException {
    // Key and nonce lengths first: API misuse is an IllegalArgumentException whatever the input.
    checkKeyAndNonce(key, nonce);
    if (sealed.length < TAG_LENGTH) {
      throw authFailed();
    }
    byte[] out = new byte[sealed.length - TAG_LENGTH];
    open(backend, key, nonce, aad, sealed, 0, sealed.length, out, 0);
    return out;
  }

  /**
   * Opens {@code length} bytes of ciphertext || tag in {@code in} from {@code inOffset}, and
   * writes the {@code length - 16} bytes of plaintext into {@code out} from {@code outOffset},
   * only after the tag has verified: when it does not, nothing is written. {@code in} and
   * {@code out} may be the same array at the same offset (opening in place).
   *
   * @return the plaintext's length
   * @throws SottoException {@link ErrorCode#AUTH_FAILED} when {@code length} is shorter than a
   *     tag or the tag does not verify; {@code out} is unchanged
   */
  public static int open(byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOffset, int length,
      byte[] out, int outOffset) throws SottoException {
    return open(backendFor(length - TAG_LENGTH), key, nonce, aad, in, inOffset, length, out, outOffset);
  }

  static int open(Backend backend, byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOffset, int length,
      byte[] out, int outOffset) throws SottoException {
    checkKeyAndNonce(key, nonce);
    Objects.checkFromIndexSize(inOffset, length, in.length);
    if (length < TAG_LENGTH) {
      throw authFailed();
    }
    int plaintextLength = length - TAG_LENGTH;
    Objects.checkFromIndexSize(outOffset, plaintextLength, out.length);
    requireNoPartialOverlap(in, inOffset, out, outOffset);
    if (backend == Backend.JDK) {
      // SunJCE computes and compares the tag over the whole input before it decrypts a byte.
      Cipher cipher = jdkCipher(Cipher.DECRYPT_MODE, key, nonce, aad);
      try {
        return cipher.doFinal(in, inOffset, length, out, outOffset);
      } catch (AEADBadTagException e) {
        throw authFailed();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK's ChaCha20-Poly1305 failed unexpectedly"); // no cause: see seal
      }
    }
    if (backend == Backend.JAVA) {
      if (!ChaCha20Poly1305.open(key, nonce, aad, in, inOffset, plaintextLength, out, outOffset)) {
        throw authFailed();
      }
      return plaintextLength;
    }
    ChaCha7539Engine chacha = chacha(key, nonce);
    Poly1305 mac = poly1305(chacha);
    authenticate(mac, aad, in, inOffset, plaintextLength);
    byte[] tag = new byte[TAG_LENGTH];
    mac.doFinal(tag, 0);
    if (!org.bouncycastle.util.Arrays.constantTimeAreEqual(TAG_LENGTH, tag, 0, in, inOffset + plaintextLength)) {
      chacha.reset();
      throw authFailed();
    }
    chacha.processBytes(in, inOffset, plaintextLength, out, outOffset);
    chacha.reset();
    return plaintextLength;
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

  private static SottoException authFailed() {
    return new SottoException(ErrorCode.AUTH_FAILED, "authenticated decryption failed");
  }

  private static void checkKeyAndNonce(byte[] key, byte[] nonce) {
    Bytes.requireLength(key, KEY_LENGTH, "AEAD key");
    Bytes.requireLength(nonce, NONCE_LENGTH, "AEAD nonce");
  }

  private static void requireNoPartialOverlap(byte[] in, int inOffset, byte[] out, int outOffset) {
    if (in == out && inOffset != outOffset) {
      throw new IllegalArgumentException("input and output overlap at different offsets");
    }
  }

  // RFC 8439, section 2.8: the Poly1305 key is the first 32 bytes of ChaCha20 block 0; the
  // message is encrypted from block 1 on.
  private static ChaCha7539Engine chacha(byte[] key, byte[] nonce) {
    ChaCha7539Engine chacha = new ChaCha7539Engine();
    chacha.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
    return chacha;
  }

  private static Poly1305 poly1305(ChaCha7539Engine chacha) {
    byte[] block0 = new byte[64];
    chacha.processBytes(block0, 0, 64, block0, 0);
    Poly1305 mac = new Poly1305();
    mac.init(new KeyParameter(block0, 0, 32));
    Arrays.fill(block0, (byte) 0);
    return mac;
  }

  private static void authenticate(Poly1305 mac, byte[] aad, byte[] ciphertext, int offset, int length) {
    mac.update(aad, 0, aad.length);
    mac.update(ZEROS, 0, (16 - aad.length % 16) % 16);
    mac.update(ciphertext, offset, length);
    mac.update(ZEROS, 0, (16 - length % 16) % 16);
    byte[] lengths = new byte[16];
    littleEndian64(aad.length, lengths, 0);
    littleEndian64(length, lengths, 8);
    mac.update(lengths, 0, 16);
  }

  private static void littleEndian64(long v, byte[] out, int offset) {
    for (int i = 0; i < 8; i++) {
      out[offset + i] = (byte) (v >>> (8 * i));
    }
  }

  // A new cipher object for every operation: a JCE ChaCha20-Poly1305 cipher refuses to encrypt
  // twice under one key and nonce, and a fresh one shares no state between threads.
  private static Cipher jdkCipher(int mode, byte[] key, byte[] nonce, byte[] aad) {
    try {
      // Forced (tests) on a runtime that does not choose it, SunJCE still computes the same bytes.
      Cipher cipher = Cipher.getInstance("ChaCha20-Poly1305", SUN_JCE != null ? SUN_JCE : Security.getProvider("SunJCE"));
      cipher.init(mode, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
      cipher.updateAAD(aad);
      return cipher;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's ChaCha20-Poly1305 cannot be initialized"); // no cause: see seal
    }
  }

  /** SunJCE on JDK 20 and later, where its ChaCha20 and Poly1305 are intrinsified; otherwise null. */
  private static Provider jdkProvider() {
    if (Runtime.version().feature() < 20) {
      return null;
    }
    Provider p = Security.getProvider("SunJCE");
    if (p == null) {
      return null;
    }
    try {
      // The provider is used only if it agrees with the Bouncy Castle backend on one sealing.
      byte[] key = new byte[KEY_LENGTH];
      byte[] nonce = new byte[NONCE_LENGTH];
      key[0] = 1;
      byte[] msg = new byte[100];
      Cipher c = Cipher.getInstance("ChaCha20-Poly1305", p);
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
      byte[] jdk = c.doFinal(msg);
      byte[] bc = new byte[msg.length + TAG_LENGTH];
      seal(Backend.BOUNCY_CASTLE, key, nonce, new byte[0], msg, 0, msg.length, bc, 0);
      return Arrays.equals(jdk, bc) ? p : null;
    } catch (GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }
}
