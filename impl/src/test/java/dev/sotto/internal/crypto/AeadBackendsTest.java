package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * The ChaCha20-Poly1305 backends of {@link Aead} (this package's pure Java, Bouncy Castle's, the
 * JDK's) against each other and against Bouncy Castle's own {@code ChaCha20Poly1305} as an oracle, on whichever JDK runs the build (the JDK
 * backend is forced where the runtime would not choose it: SunJCE has ChaCha20-Poly1305 since JDK
 * 11). Lengths 0, 1, 63, 64, 65, just under and at the threshold, 16 KiB and 1 MiB, plus random
 * ones; random keys, nonces and AAD from a fixed seed. Costs a few seconds (the 1 MiB cases, three backends).
 */
class AeadBackendsTest {
  private static final long SEED = 0x5077_0019L;
  private static final int[] LENGTHS = {0, 1, 63, 64, 65, Aead.JDK_THRESHOLD - 1, Aead.JDK_THRESHOLD, 16_384, 1 << 20};

  @Test
  void runtimeChoice() {
    boolean jdk = Runtime.version().feature() >= 20 && java.security.Security.getProvider("SunJCE") != null;
    assertEquals(jdk, Aead.jdkBackendInUse(), "JDK backend in use on JDK " + Runtime.version().feature());
    // Bouncy Castle's backend is a reference only: no runtime chooses it.
    assertEquals(Aead.Backend.JAVA, Aead.backendFor(0));
    assertEquals(Aead.Backend.JAVA, Aead.backendFor(Aead.JDK_THRESHOLD - 1));
    assertEquals(jdk ? Aead.Backend.JDK : Aead.Backend.JAVA, Aead.backendFor(Aead.JDK_THRESHOLD));
    assertEquals(jdk ? Aead.Backend.JDK : Aead.Backend.JAVA, Aead.backendFor(1 << 20));
  }

  @Test
  void backendsAgreeByteForByte() throws SottoException {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int length : LENGTHS) {
      check(random, length);
    }
    for (int i = 0; i < 40; i++) {
      check(random, random.nextInt(40_000));
    }
  }

  private static void check(SplittableRandom random, int length) throws SottoException {
    byte[] key = bytes(random, Aead.KEY_LENGTH);
    byte[] nonce = bytes(random, Aead.NONCE_LENGTH);
    byte[] aad = bytes(random, random.nextInt(4) == 0 ? 0 : random.nextInt(200));
    byte[] plaintext = bytes(random, length);
    byte[] expected = oracle(key, nonce, aad, plaintext);
    String where = length + " bytes, aad " + aad.length;
    assertArrayEquals(expected, Aead.seal(key, nonce, aad, plaintext), "default seal, " + where);
    assertArrayEquals(plaintext, Aead.open(key, nonce, aad, expected), "default open, " + where);
    for (Aead.Backend b : Aead.Backend.values()) {
      assertArrayEquals(expected, Aead.seal(b, key, nonce, aad, plaintext), b + " seal, " + where);
      // The JDK refuses a second encryption under one key and nonce in one Cipher: each call has its own.
      assertArrayEquals(expected, Aead.seal(b, key, nonce, aad, plaintext), b + " seal again, " + where);
      assertArrayEquals(plaintext, Aead.open(b, key, nonce, aad, expected), b + " open, " + where);

      // In place, at an offset: seal, then open, in one buffer.
      int offset = random.nextInt(40);
      byte[] buffer = new byte[offset + length + Aead.TAG_LENGTH + 7];
      System.arraycopy(plaintext, 0, buffer, offset, length);
      Aead.seal(b, key, nonce, aad, buffer, offset, length, buffer, offset);
      assertArrayEquals(expected, java.util.Arrays.copyOfRange(buffer, offset, offset + length + Aead.TAG_LENGTH),
          b + " seal in place, " + where);
      assertEquals(length, Aead.open(b, key, nonce, aad, buffer, offset, length + Aead.TAG_LENGTH, buffer, offset));
      assertArrayEquals(plaintext, java.util.Arrays.copyOfRange(buffer, offset, offset + length),
          b + " open in place, " + where);

      // Refusals: a flipped bit in the ciphertext, the tag or the AAD, and a truncated input.
      refused(b, key, nonce, aad, flip(random, expected, 0, expected.length), where + ", tampered body");
      refused(b, key, nonce, aad, flip(random, expected, length, expected.length), where + ", tampered tag");
      if (aad.length > 0) {
        refused(b, key, nonce, flip(random, aad, 0, aad.length), expected, where + ", tampered aad");
      }
      refused(b, key, nonce, aad, java.util.Arrays.copyOf(expected, expected.length - 1), where + ", truncated");
    }
  }

  /** Every backend refuses with the one typed error, releases nothing and writes nothing. */
  private static void refused(Aead.Backend b, byte[] key, byte[] nonce, byte[] aad, byte[] sealed, String where) {
    SottoException e = assertThrows(SottoException.class, () -> Aead.open(b, key, nonce, aad, sealed), b + ", " + where);
    assertEquals(ErrorCode.AUTH_FAILED, e.code());
    assertEquals("authenticated decryption failed", e.getMessage().replaceFirst("^.*: ", ""), b + ", " + where);
    assertNull(e.getCause(), "no cause that could carry cipher state");
    assertEquals(-1, e.getMessage().indexOf(Bytes.hex(key)), "the key stays out of the message");

    // Into a separate buffer, and in place: both untouched.
    byte[] out = new byte[Math.max(0, sealed.length - Aead.TAG_LENGTH)];
    java.util.Arrays.fill(out, (byte) 0x5a);
    byte[] before = out.clone();
    assertThrows(SottoException.class, () -> Aead.open(b, key, nonce, aad, sealed, 0, sealed.length, out, 0));
    assertArrayEquals(before, out, b + ", output written on refusal, " + where);
    byte[] inPlace = sealed.clone();
    assertThrows(SottoException.class, () -> Aead.open(b, key, nonce, aad, inPlace, 0, inPlace.length, inPlace, 0));
    assertArrayEquals(sealed, inPlace, b + ", input changed on refusal, " + where);
  }

  @Test
  void misuseIsAnIllegalArgumentOnEitherBackend() {
    byte[] key = new byte[32];
    byte[] nonce = new byte[12];
    byte[] buffer = new byte[64];
    for (Aead.Backend b : Aead.Backend.values()) {
      assertThrows(IllegalArgumentException.class, () -> Aead.seal(b, new byte[31], nonce, new byte[0], new byte[1]));
      assertThrows(IllegalArgumentException.class, () -> Aead.open(b, key, new byte[8], new byte[0], new byte[16]));
      assertThrows(IllegalArgumentException.class,
          () -> Aead.seal(b, key, nonce, new byte[0], buffer, 0, 16, buffer, 1), "partial overlap");
      assertThrows(IndexOutOfBoundsException.class,
          () -> Aead.seal(b, key, nonce, new byte[0], buffer, 0, 49, buffer, 0), "no room for the tag");
    }
  }

  private static byte[] oracle(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    ChaCha20Poly1305 c = new ChaCha20Poly1305();
    c.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
    byte[] out = new byte[plaintext.length + 16];
    int n = c.processBytes(plaintext, 0, plaintext.length, out, 0);
    try {
      c.doFinal(out, n);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private static byte[] flip(SplittableRandom random, byte[] in, int from, int to) {
    byte[] out = in.clone();
    int i = from + random.nextInt(to - from);
    out[i] ^= (byte) (1 << random.nextInt(8));
    return out;
  }

  private static byte[] bytes(SplittableRandom random, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) random.nextInt(256);
    }
    return b;
  }
}
