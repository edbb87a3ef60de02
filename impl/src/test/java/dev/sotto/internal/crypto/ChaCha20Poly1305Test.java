package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.encoding.Bytes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * This package's pure-Java {@link dev.sotto.internal.crypto.ChaCha20Poly1305}: RFC 8439's test
 * vectors for each part (the ChaCha20 block and encryption of sections 2.3.2 and 2.4.2, the
 * Poly1305 of 2.5.2 and appendix A.3's edge cases of the reduction, the key generation of 2.6.2,
 * the AEAD of 2.8.2 and appendix A.5), and a property against Bouncy Castle's own
 * {@code ChaCha20Poly1305} on random keys, nonces, AAD and lengths (the block edges and multi-KiB
 * lengths drawn often), with tampered tags, bodies and AAD refused and nothing written. The
 * Wycheproof cases run through it in ChaCha20Poly1305WycheproofTest and AeadBackendsTest.
 */
class ChaCha20Poly1305Test {
  private static byte[] hex(String s) {
    return Bytes.unhex(s.replaceAll("[^0-9a-fA-F]", ""));
  }

  private static final byte[] KEY_2_3 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

  @Test
  void chacha20Block_rfc8439_2_3_2() {
    int[] s = state(KEY_2_3, hex("000000090000004a00000000"), 1);
    byte[] out = new byte[64];
    dev.sotto.internal.crypto.ChaCha20Poly1305.block(s, out);
    assertArrayEquals(hex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
        + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"), out);
  }

  @Test
  void chacha20Encryption_rfc8439_2_4_2() {
    byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
        + "the future, sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    // xor starts at block 1, as the AEAD does; RFC 8439 2.4.2 starts its counter at 1 too.
    int[] s = state(KEY_2_3, hex("000000000000004a00000000"), 0);
    byte[] out = new byte[plaintext.length];
    dev.sotto.internal.crypto.ChaCha20Poly1305.xor(s, plaintext, 0, plaintext.length, out, 0);
    assertArrayEquals(hex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
        + "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
        + "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
        + "5af90bbf74a35be6b40b8eedf2785e42874d"), out);
  }

  @Test
  void poly1305_rfc8439_2_5_2() {
    assertArrayEquals(hex("a8061dc1305136c6c22b8baf0c0127a9"),
        macMessage(hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"),
            "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
  }

  /**
   * RFC 8439, appendix A.3, vectors 1 and 5 to 11 (the reduction's edge cases: h at p, above p,
   * s overflowing, carries through every limb, a 131-bit intermediate), all of whole blocks, as
   * the AEAD feeds Poly1305. Vectors 2 to 4 have a partial last block, which the AEAD never has.
   */
  @Test
  void poly1305_rfc8439_appendixA3() {
    String z16 = "00".repeat(16);
    assertArrayEquals(new byte[16], mac(new byte[32], new byte[64]), "#1");
    assertArrayEquals(hex("03" + "00".repeat(15)), mac(hex("02" + "00".repeat(15) + z16), hex("ff".repeat(16))), "#5");
    assertArrayEquals(hex("03" + "00".repeat(15)),
        mac(hex("02" + "00".repeat(15) + "ff".repeat(16)), hex("02" + "00".repeat(15))), "#6");
    assertArrayEquals(hex("05" + "00".repeat(15)), mac(hex("01" + "00".repeat(15) + z16),
        hex("ff".repeat(16) + "f0" + "ff".repeat(15) + "11" + "00".repeat(15))), "#7");
    assertArrayEquals(hex(z16), mac(hex("01" + "00".repeat(15) + z16),
        hex("ff".repeat(16) + "fb" + "fe".repeat(15) + "01".repeat(16))), "#8");
    assertArrayEquals(hex("fa" + "ff".repeat(15)), mac(hex("02" + "00".repeat(15) + z16), hex("fd" + "ff".repeat(15))),
        "#9");
    byte[] k10 = hex("01000000000000000400000000000000" + z16);
    assertArrayEquals(hex("14000000000000005500000000000000"), mac(k10, hex("e33594d7505e43b90000000000000000"
        + "3394d7505e4379cd0100000000000000" + z16 + "01" + "00".repeat(15))), "#10");
    assertArrayEquals(hex("13" + "00".repeat(15)), mac(k10, hex("e33594d7505e43b90000000000000000"
        + "3394d7505e4379cd0100000000000000" + z16)), "#11");
  }

  @Test
  void keyGeneration_rfc8439_2_6_2() {
    int[] s = state(hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
        hex("000000000001020304050607"), 0);
    byte[] block0 = new byte[64];
    dev.sotto.internal.crypto.ChaCha20Poly1305.block(s, block0);
    assertArrayEquals(hex("8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646"),
        java.util.Arrays.copyOf(block0, 32));
  }

  @Test
  void aead_rfc8439_2_8_2() {
    byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
        + "the future, sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    byte[] nonce = hex("070000004041424344454647");
    byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
    byte[] expected = hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        + "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");
    checkAead(key, nonce, aad, plaintext, expected);
  }

  @Test
  void aead_rfc8439_appendixA5() {
    byte[] key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    byte[] nonce = hex("000000000102030405060708");
    byte[] aad = hex("f33388860000000000004e91");
    byte[] ciphertext = hex("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
        + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
        + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
        + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
        + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
        + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
        + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
        + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
        + "a6ad5cb4022b02709b");
    byte[] tag = hex("eead9d67890cbb22392336fea1851f38");
    byte[] plaintext = new byte[ciphertext.length];
    byte[] sealed = Bytes.concat(ciphertext, tag);
    assertTrue(dev.sotto.internal.crypto.ChaCha20Poly1305.open(key, nonce, aad, sealed, 0, ciphertext.length,
        plaintext, 0));
    String text = new String(plaintext, java.nio.charset.StandardCharsets.US_ASCII);
    assertTrue(text.startsWith("Internet-Drafts are draft documents valid for a maximum of six months"), text);
    checkAead(key, nonce, aad, plaintext, sealed);
  }

  private static void checkAead(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext, byte[] expected) {
    byte[] out = new byte[plaintext.length + 16];
    dev.sotto.internal.crypto.ChaCha20Poly1305.seal(key, nonce, aad, plaintext, 0, plaintext.length, out, 0);
    assertArrayEquals(expected, out, "seal");
    assertArrayEquals(expected, oracle(key, nonce, aad, plaintext), "Bouncy Castle agrees");
    byte[] opened = new byte[plaintext.length];
    assertTrue(dev.sotto.internal.crypto.ChaCha20Poly1305.open(key, nonce, aad, expected, 0, plaintext.length,
        opened, 0));
    assertArrayEquals(plaintext, opened, "open");
  }

  @Provide
  Arbitrary<Integer> lengths() {
    return Arbitraries.oneOf(Arbitraries.of(0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1024, 2047, 2048, 16_384),
        Arbitraries.integers().between(0, 300), Arbitraries.integers().between(0, 20_000));
  }

  /** Against Bouncy Castle: seal, open, in place, and refusals that write nothing. */
  @Property(tries = 300)
  void agreesWithBouncyCastle(@ForAll @Size(32) byte[] key, @ForAll @Size(12) byte[] nonce,
      @ForAll @Size(max = 80) byte[] aad, @ForAll("lengths") int length, @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 7) int bit) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    byte[] plaintext = new byte[length];
    for (int i = 0; i < length; i++) {
      plaintext[i] = (byte) random.nextInt(256);
    }
    byte[] expected = oracle(key, nonce, aad, plaintext);
    byte[] sealed = new byte[length + 16];
    dev.sotto.internal.crypto.ChaCha20Poly1305.seal(key, nonce, aad, plaintext, 0, length, sealed, 0);
    assertArrayEquals(expected, sealed, "seal");

    int offset = random.nextInt(9);
    byte[] buffer = new byte[offset + length + 16];
    System.arraycopy(plaintext, 0, buffer, offset, length);
    dev.sotto.internal.crypto.ChaCha20Poly1305.seal(key, nonce, aad, buffer, offset, length, buffer, offset);
    assertArrayEquals(expected, java.util.Arrays.copyOfRange(buffer, offset, buffer.length), "seal in place");
    assertTrue(dev.sotto.internal.crypto.ChaCha20Poly1305.open(key, nonce, aad, buffer, offset, length, buffer,
        offset));
    assertArrayEquals(plaintext, java.util.Arrays.copyOfRange(buffer, offset, offset + length), "open in place");

    // A flipped bit in the tag, the body or the AAD: refused, and nothing written.
    byte[] tamperedTag = expected.clone();
    tamperedTag[length + random.nextInt(16)] ^= (byte) (1 << bit);
    refused(key, nonce, aad, tamperedTag, length);
    if (length > 0) {
      byte[] tamperedBody = expected.clone();
      tamperedBody[random.nextInt(length)] ^= (byte) (1 << bit);
      refused(key, nonce, aad, tamperedBody, length);
    }
    if (aad.length > 0) {
      byte[] tamperedAad = aad.clone();
      tamperedAad[random.nextInt(aad.length)] ^= (byte) (1 << bit);
      refused(key, nonce, tamperedAad, expected, length);
    }
  }

  private static void refused(byte[] key, byte[] nonce, byte[] aad, byte[] sealed, int length) {
    byte[] out = new byte[length];
    java.util.Arrays.fill(out, (byte) 0x5a);
    byte[] before = out.clone();
    assertFalse(dev.sotto.internal.crypto.ChaCha20Poly1305.open(key, nonce, aad, sealed, 0, length, out, 0));
    assertArrayEquals(before, out, "nothing written on refusal");
    byte[] inPlace = sealed.clone();
    assertFalse(dev.sotto.internal.crypto.ChaCha20Poly1305.open(key, nonce, aad, inPlace, 0, length, inPlace, 0));
    assertArrayEquals(sealed, inPlace, "input unchanged on refusal");
  }

  private static byte[] macMessage(byte[] key, byte[] message) {
    dev.sotto.internal.crypto.ChaCha20Poly1305.Poly1305 p = new dev.sotto.internal.crypto.ChaCha20Poly1305.Poly1305(key);
    p.message(message, 0, message.length);
    byte[] tag = new byte[16];
    p.finish(tag, 0);
    return tag;
  }

  private static byte[] mac(byte[] key, byte[] wholeBlocks) {
    dev.sotto.internal.crypto.ChaCha20Poly1305.Poly1305 p = new dev.sotto.internal.crypto.ChaCha20Poly1305.Poly1305(key);
    p.padded(wholeBlocks, 0, wholeBlocks.length);
    byte[] tag = new byte[16];
    p.finish(tag, 0);
    return tag;
  }

  private static int[] state(byte[] key, byte[] nonce, int counter) {
    int[] s = new int[16];
    s[0] = 0x61707865;
    s[1] = 0x3320646e;
    s[2] = 0x79622d32;
    s[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) {
      s[4 + i] = (key[4 * i] & 0xff) | (key[4 * i + 1] & 0xff) << 8 | (key[4 * i + 2] & 0xff) << 16 | key[4 * i + 3] << 24;
    }
    s[12] = counter;
    for (int i = 0; i < 3; i++) {
      s[13 + i] = (nonce[4 * i] & 0xff) | (nonce[4 * i + 1] & 0xff) << 8 | (nonce[4 * i + 2] & 0xff) << 16
          | nonce[4 * i + 3] << 24;
    }
    return s;
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
}
