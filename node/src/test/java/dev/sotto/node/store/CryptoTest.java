package dev.sotto.node.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * The store's primitives give the bytes Bouncy Castle's gave (what stores and identity files were
 * written with before they moved to the protocol library's): each against Bouncy Castle on random
 * inputs, sealing and opening both ways; a tampered value is refused.
 */
class CryptoTest {
  private final Random random = new Random(20261206);

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] bcSeal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) throws Exception {
    ChaCha20Poly1305 aead = new ChaCha20Poly1305();
    aead.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
    byte[] out = new byte[plaintext.length + 16];
    aead.doFinal(out, aead.processBytes(plaintext, 0, plaintext.length, out, 0));
    return out;
  }

  @Test
  void aeadMatchesBouncyCastleBothWays() throws Exception {
    for (int length : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 511, 512, 513, 1000, 4096, 70_000}) {
      byte[] key = bytes(32);
      byte[] nonce = bytes(12);
      byte[] aad = bytes(random.nextInt(40));
      byte[] plaintext = bytes(length);
      byte[] theirs = bcSeal(key, nonce, aad, plaintext);
      assertArrayEquals(theirs, Crypto.seal(key, nonce, aad, plaintext), "length " + length);
      byte[] framed = new byte[theirs.length + 5];
      System.arraycopy(theirs, 0, framed, 3, theirs.length);
      assertArrayEquals(plaintext, Crypto.open(key, nonce, aad, framed, 3, theirs.length));
      framed[3 + random.nextInt(theirs.length)] ^= 1;
      assertThrows(InvalidCipherTextException.class, () -> Crypto.open(key, nonce, aad, framed, 3, theirs.length));
    }
    assertThrows(InvalidCipherTextException.class, () -> Crypto.open(bytes(32), bytes(12), new byte[0], new byte[15], 0, 15));
  }

  @Test
  void macsAndKeysMatchBouncyCastle() {
    for (int i = 0; i < 200; i++) {
      byte[] key = bytes(i % 3 == 0 ? 32 : random.nextInt(100));
      byte[] a = bytes(random.nextInt(80));
      byte[] b = bytes(random.nextInt(200));
      HMac mac = new HMac(new SHA256Digest());
      mac.init(new KeyParameter(key));
      mac.update(a, 0, a.length);
      mac.update(b, 0, b.length);
      byte[] theirs = new byte[32];
      mac.doFinal(theirs, 0);
      assertArrayEquals(theirs, Crypto.hmac(key, a, b));
      assertArrayEquals(theirs, new Crypto.MacKey(key).mac(a, b));

      byte[] salt = i % 2 == 0 ? new byte[0] : bytes(32); // the store key's HKDF has an empty salt
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      hkdf.init(new HKDFParameters(key, salt, a));
      byte[] okm = new byte[64];
      hkdf.generateBytes(okm, 0, 64);
      assertArrayEquals(okm, Crypto.hkdf(key, salt, a, 64));
    }
  }
}
