package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sotto.internal.encoding.Bytes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fixed-base public key ({@link X25519Base}) on RFC 7748's keys and on scalars at the edges of
 * clamping, against the ladder and Bouncy Castle's X25519.
 */
class X25519BaseTest {
  /** RFC 7748 section 6.1: Alice's and Bob's public keys. */
  @Test
  void rfc7748PublicKeys() {
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        fixedBase("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        fixedBase("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  }

  /**
   * Scalars whose clamped value is 2^254, 2^254 + 8, 2^255 - 8 and neighbours, every byte the same
   * (nibbles 0, 7, 8, f: the signed digits' extremes), single bits, and the bits that clamping
   * clears or sets (bits 0 to 2, 254 and 255), which must not change the result.
   */
  @Test
  void clampingEdges() {
    List<byte[]> scalars = new ArrayList<>();
    for (int v : new int[] {0x00, 0x01, 0x07, 0x08, 0x0f, 0x10, 0x77, 0x78, 0x80, 0x87, 0x88, 0x89, 0x7f, 0xf0, 0xf8,
        0xff}) {
      byte[] k = new byte[32];
      Arrays.fill(k, (byte) v);
      scalars.add(k);
    }
    for (int bit = 0; bit < 256; bit++) {
      byte[] k = new byte[32];
      k[bit / 8] = (byte) (1 << (bit % 8));
      scalars.add(k);
      byte[] notK = new byte[32];
      Arrays.fill(notK, (byte) 0xff);
      notK[bit / 8] ^= (byte) (1 << (bit % 8));
      scalars.add(notK);
    }
    byte[] justAbove = new byte[32];
    justAbove[0] = 8; // clamped: 2^254 + 8
    scalars.add(justAbove);
    for (byte[] k : scalars) {
      String expected = ladder(k);
      assertEquals(expected, bouncyCastle(k), () -> "oracle, k " + Bytes.hex(k));
      assertEquals(expected, fixedBase(k), () -> "k " + Bytes.hex(k));
      byte[] flipped = k.clone();
      flipped[0] ^= 7;
      flipped[31] ^= (byte) 0xc0;
      assertEquals(expected, fixedBase(flipped), () -> "clamped bits flipped, k " + Bytes.hex(k));
    }
  }

  @Test
  void publicKeyIsTheFixedBaseOneAndLeavesItsInputAlone() {
    byte[] k = Bytes.unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    byte[] copy = k.clone();
    assertEquals(ladder(k), Bytes.hex(X25519.publicKey(k)));
    assertEquals(Bytes.hex(copy), Bytes.hex(k));
  }

  private static String fixedBase(String k) {
    return fixedBase(Bytes.unhex(k));
  }

  private static String fixedBase(byte[] k) {
    byte[] out = new byte[32];
    X25519Base.scalarMultBase(k, out);
    return Bytes.hex(out);
  }

  private static String ladder(byte[] k) {
    byte[] out = new byte[32];
    X25519Ladder.scalarMultBase(k, out);
    return Bytes.hex(out);
  }

  private static String bouncyCastle(byte[] k) {
    byte[] out = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(k, 0, out, 0);
    return Bytes.hex(out);
  }
}
