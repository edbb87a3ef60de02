package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * X25519 against the test vectors of RFC 7748: section 5.2 (two single products, and the
 * iterated function after 1 and 1,000 iterations; 1,000,000 iterations only when the system
 * property {@code sotto.x25519.long} is {@code true}, see README.adoc, "Quick start"), and the
 * Diffie-Hellman example of section 6.1. Cost in the default run: about 1,000 scalar
 * multiplications, well under a second.
 */
class X25519Rfc7748Test {
  @Test
  void firstVector() throws SottoException {
    assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        Bytes.hex(X25519.agree(
            Bytes.unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            Bytes.unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))));
  }

  /** Its u-coordinate has bit 255 set, which X25519 ignores. */
  @Test
  void secondVector() throws SottoException {
    assertEquals("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        Bytes.hex(X25519.agree(
            Bytes.unhex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            Bytes.unhex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))));
  }

  @Test
  void iteratedOnce() throws SottoException {
    assertEquals("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", iterate(1));
  }

  @Test
  void iteratedThousandTimes() throws SottoException {
    assertEquals("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", iterate(1_000));
  }

  /** 1,000,000 scalar multiplications: 106 to 127 s on the loaded 2-core machine, hence not by default. */
  @Test
  @EnabledIfSystemProperty(named = "sotto.x25519.long", matches = "true")
  void iteratedMillionTimes() throws SottoException {
    assertEquals("7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424", iterate(1_000_000));
  }

  @Test
  void diffieHellman() throws SottoException {
    byte[] alicePrivate = Bytes.unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bobPrivate = Bytes.unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    byte[] alicePublic = X25519.publicKey(alicePrivate);
    byte[] bobPublic = X25519.publicKey(bobPrivate);
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Bytes.hex(alicePublic));
    assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Bytes.hex(bobPublic));
    String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assertEquals(shared, Bytes.hex(X25519.agree(alicePrivate, bobPublic)));
    assertEquals(shared, Bytes.hex(X25519.agree(bobPrivate, alicePublic)));
  }

  @Test
  void allZeroSharedSecretIsRejected() {
    byte[] privateKey = Bytes.unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] zeroPoint = new byte[32]; // u = 0: the point of order 2
    byte[] onePoint = new byte[32]; // u = 1: a point of order 4; a clamped k is a multiple of 8
    onePoint[0] = 1;
    for (byte[] u : new byte[][] {zeroPoint, onePoint}) {
      SottoException e = assertThrows(SottoException.class, () -> X25519.agree(privateKey, u));
      assertEquals(ErrorCode.INVALID_KEY, e.code());
    }
  }

  @Test
  void callerBytesAreNotChanged() throws SottoException {
    byte[] privateKey = Bytes.unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    byte[] publicKey = Bytes.unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    byte[] privateCopy = privateKey.clone();
    byte[] publicCopy = publicKey.clone();
    X25519.agree(privateKey, publicKey);
    X25519.publicKey(privateKey);
    assertEquals(Bytes.hex(privateCopy), Bytes.hex(privateKey));
    assertEquals(Bytes.hex(publicCopy), Bytes.hex(publicKey));
  }

  /** RFC 7748 section 5.2: k = u = 9; then k, u = X25519(k, u), k, n times; the result is k. */
  private static String iterate(int n) {
    byte[] k = new byte[32];
    byte[] u = new byte[32];
    k[0] = 9;
    u[0] = 9;
    byte[] out = new byte[32];
    for (int i = 0; i < n; i++) {
      X25519Ladder.scalarMult(k, u, out);
      byte[] previousK = k;
      k = out;
      u = previousK;
      out = new byte[32];
    }
    return Bytes.hex(k);
  }
}
