package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sotto.internal.encoding.Bytes;
import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The X25519 ladder against Bouncy Castle's (the differential oracle, used in tests only), on
 * random scalars with random u-coordinates and with u-coordinates at the edges: small values,
 * values around p (non-canonical ones included) and values with bit 255 set. 2 × 1,000 tries (and 200 of the public key),
 * two scalar multiplications each: 2 to 4 s on the loaded 2-core machine. The fixed-base public
 * key ({@link X25519Base}) against both, on 1,000 random scalars and 300 of extreme digits.
 */
class X25519Properties {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

  @Property(tries = 1000)
  void agreesWithBouncyCastleOnRandomInputs(@ForAll("bytes32") byte[] k, @ForAll("bytes32") byte[] u) {
    assertSame(k, u);
  }

  @Property(tries = 1000)
  void agreesWithBouncyCastleOnEdgeCoordinates(@ForAll("bytes32") byte[] k, @ForAll("edgeU") byte[] u) {
    assertSame(k, u);
  }

  @Property(tries = 200)
  void publicKeyAgreesWithBouncyCastle(@ForAll("bytes32") byte[] k) {
    byte[] expected = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(k, 0, expected, 0);
    byte[] actual = new byte[32];
    X25519Ladder.scalarMultBase(k, actual);
    assertEquals(Bytes.hex(expected), Bytes.hex(actual));
  }

  /** The fixed-base path (what {@link X25519#publicKey} runs) against Bouncy Castle's and the ladder. */
  @Property(tries = 1000)
  void fixedBaseAgreesWithBouncyCastleAndTheLadder(@ForAll("bytes32") byte[] k) {
    byte[] bouncyCastle = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(k, 0, bouncyCastle, 0);
    byte[] ladder = new byte[32];
    X25519Ladder.scalarMultBase(k, ladder);
    byte[] fixedBase = new byte[32];
    X25519Base.scalarMultBase(k, fixedBase);
    assertEquals(Bytes.hex(bouncyCastle), Bytes.hex(fixedBase), () -> "k " + Bytes.hex(k));
    assertEquals(Bytes.hex(ladder), Bytes.hex(fixedBase), () -> "k " + Bytes.hex(k));
  }

  /**
   * Scalars made of few distinct nibbles (0, 7, 8, 9, f), where the signed digits are at the ends
   * of their range and the carries run far: each nibble drawn from those.
   */
  @Property(tries = 300)
  void fixedBaseAgreesOnExtremeDigits(@ForAll("extremeNibbles") byte[] k) {
    byte[] ladder = new byte[32];
    X25519Ladder.scalarMultBase(k, ladder);
    byte[] fixedBase = new byte[32];
    X25519Base.scalarMultBase(k, fixedBase);
    assertEquals(Bytes.hex(ladder), Bytes.hex(fixedBase), () -> "k " + Bytes.hex(k));
  }

  @Provide
  Arbitrary<byte[]> extremeNibbles() {
    Arbitrary<Integer> nibble = Arbitraries.of(0, 7, 8, 9, 15);
    return nibble.list().ofSize(64).map(n -> {
      byte[] k = new byte[32];
      for (int i = 0; i < 32; i++) {
        k[i] = (byte) (n.get(2 * i) | (n.get(2 * i + 1) << 4));
      }
      return k;
    });
  }

  @Provide
  Arbitrary<byte[]> bytes32() {
    return Arbitraries.bytes().array(byte[].class).ofSize(32);
  }

  /** u = c + d for c in {0, p, 2^255} and a small d of either sign, or small-order points, maybe with bit 255 set. */
  @Provide
  Arbitrary<byte[]> edgeU() {
    Arbitrary<BigInteger> base = Arbitraries.of(BigInteger.ZERO, P, BigInteger.TWO.pow(255), BigInteger.TWO.pow(51),
        BigInteger.TWO.pow(204), BigInteger.TWO.pow(255).subtract(BigInteger.TWO.pow(51)));
    Arbitrary<Integer> delta = Arbitraries.integers().between(-40, 40);
    Arbitrary<byte[]> near = base.flatMap(c -> delta.map(d -> encode(c.add(BigInteger.valueOf(d)))));
    Arbitrary<byte[]> smallOrder = Arbitraries.of(
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").map(Bytes::unhex);
    Arbitrary<byte[]> plain = Arbitraries.oneOf(near, smallOrder);
    return plain.flatMap(u -> Arbitraries.of(false, true).map(top -> {
      byte[] v = u.clone();
      if (top) {
        v[31] |= (byte) 0x80;
      }
      return v;
    }));
  }

  private static void assertSame(byte[] k, byte[] u) {
    byte[] expected = new byte[32];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(k, 0, u, 0, expected, 0);
    byte[] actual = new byte[32];
    X25519Ladder.scalarMult(k, u, actual);
    assertEquals(Bytes.hex(expected), Bytes.hex(actual), () -> "k " + Bytes.hex(k) + ", u " + Bytes.hex(u));
  }

  /** Little-endian 32 bytes of c mod 2^256 (c may be negative or past 2^255). */
  private static byte[] encode(BigInteger c) {
    BigInteger v = c.mod(BigInteger.TWO.pow(256));
    byte[] big = v.toByteArray();
    byte[] out = new byte[32];
    for (int i = 0; i < 32 && i < big.length; i++) {
      out[i] = big[big.length - 1 - i];
    }
    return out;
  }
}
