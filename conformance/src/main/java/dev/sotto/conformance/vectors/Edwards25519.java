package dev.sotto.conformance.vectors;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Minimal, slow, independent arithmetic on edwards25519 (RFC 8032 section 5.1), with which the
 * generator makes what no signing library would: public keys and signatures that carry a
 * component of small order. Affine coordinates, {@link BigInteger}s; never used on secrets
 * outside the vector generator.
 */
final class Edwards25519 {
  static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  /** The prime order of the base point. */
  static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
  private static final BigInteger D = BigInteger.valueOf(-121665).mod(P)
      .multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
  private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);

  /** A point in affine coordinates. */
  record Point(BigInteger x, BigInteger y) {
    static final Point NEUTRAL = new Point(BigInteger.ZERO, BigInteger.ONE);

    Point add(Point q) {
      BigInteger xy = x.multiply(q.x).multiply(y).multiply(q.y).mod(P).multiply(D).mod(P);
      BigInteger x3 = x.multiply(q.y).add(q.x.multiply(y)).multiply(BigInteger.ONE.add(xy).modInverse(P)).mod(P);
      BigInteger y3 = y.multiply(q.y).add(x.multiply(q.x)).multiply(BigInteger.ONE.subtract(xy).mod(P).modInverse(P))
          .mod(P);
      return new Point(x3, y3);
    }

    Point negate() {
      return new Point(x.negate().mod(P), y);
    }

    Point times(BigInteger k) {
      Point out = NEUTRAL;
      Point base = this;
      for (int i = 0; i < k.bitLength(); i++) {
        if (k.testBit(i)) {
          out = out.add(base);
        }
        base = base.add(base);
      }
      return out;
    }

    boolean isNeutral() {
      return equals(NEUTRAL);
    }

    /** The 32-byte encoding of RFC 8032 section 5.1.2. */
    byte[] encode() {
      byte[] out = littleEndian(y);
      if (x.testBit(0)) {
        out[31] |= (byte) 0x80;
      }
      return out;
    }
  }

  static final Point BASE = decode(
      dev.sotto.internal.encoding.Bytes.unhex("5866666666666666666666666666666666666666666666666666666666666666"));

  private Edwards25519() {}

  /** Decodes a canonical encoding (RFC 8032 section 5.1.3); fails on anything else. */
  static Point decode(byte[] encoded) {
    byte[] e = encoded.clone();
    boolean sign = (e[31] & 0x80) != 0;
    e[31] &= 0x7f;
    BigInteger y = fromLittleEndian(e);
    if (y.compareTo(P) >= 0) {
      throw new IllegalArgumentException("non-canonical y");
    }
    BigInteger u = y.multiply(y).subtract(BigInteger.ONE).mod(P);
    BigInteger v = D.multiply(y).multiply(y).add(BigInteger.ONE).mod(P);
    BigInteger x2 = u.multiply(v.modInverse(P)).mod(P);
    BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (!x.multiply(x).mod(P).equals(x2)) {
      x = x.multiply(SQRT_M1).mod(P);
    }
    if (!x.multiply(x).mod(P).equals(x2)) {
      throw new IllegalArgumentException("not on the curve");
    }
    if (x.signum() == 0 && sign) {
      throw new IllegalArgumentException("non-canonical x = 0 with sign bit");
    }
    if (x.testBit(0) != sign) {
      x = P.subtract(x);
    }
    return new Point(x, y);
  }

  /** A point of order exactly 8. */
  static Point orderEight() {
    Point t = decode(dev.sotto.internal.encoding.Bytes.unhex(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"));
    if (!t.times(BigInteger.valueOf(8)).isNeutral() || t.times(BigInteger.valueOf(4)).isNeutral()) {
      throw new IllegalStateException("not a point of order 8");
    }
    return t;
  }

  /**
   * An Ed25519 signature of {@code message} under the private key {@code privateKey}, made as
   * RFC 8032 section 5.1.6 does, but with R' = rB + T instead of R = rB, T a point of order 8,
   * and k and S computed with R': [8][S]B = [8]R' + [8][k]A holds (a cofactored verifier
   * accepts), [S]B = R' + [k]A does not (a cofactorless verifier rejects).
   */
  static byte[] signWithTorsion(byte[] privateKey, byte[] expectedPublicKey, byte[] message) {
    byte[] h = sha512(privateKey);
    byte[] scalar = Arrays.copyOf(h, 32);
    scalar[0] &= (byte) 0xf8;
    scalar[31] &= 0x7f;
    scalar[31] |= 0x40;
    BigInteger a = fromLittleEndian(scalar);
    byte[] publicKey = BASE.times(a).encode();
    if (!Arrays.equals(publicKey, expectedPublicKey)) {
      throw new IllegalStateException("the private key does not give the expected public key");
    }
    BigInteger r = fromLittleEndian(sha512(Arrays.copyOfRange(h, 32, 64), message)).mod(L);
    Point rPrime = BASE.times(r).add(orderEight());
    byte[] rEncoded = rPrime.encode();
    BigInteger k = fromLittleEndian(sha512(rEncoded, publicKey, message)).mod(L);
    BigInteger s = r.add(k.multiply(a)).mod(L);
    byte[] signature = new byte[64];
    System.arraycopy(rEncoded, 0, signature, 0, 32);
    System.arraycopy(littleEndian(s), 0, signature, 32, 32);
    // Self-check: the cofactored equation holds, the cofactorless one does not.
    Point lhs = BASE.times(s);
    Point rhs = rPrime.add(decode(publicKey).times(k));
    if (lhs.equals(rhs) || !lhs.add(rhs.negate()).times(BigInteger.valueOf(8)).isNeutral()) {
      throw new IllegalStateException("torsion signature does not have the intended property");
    }
    return signature;
  }

  /** The public key {@code publicKey} plus a point of order 8: a valid point, not of order l. */
  static byte[] withTorsion(byte[] publicKey) {
    Point out = decode(publicKey).add(orderEight());
    if (out.times(L).isNeutral()) {
      throw new IllegalStateException("still of order l");
    }
    return out.encode();
  }

  private static byte[] sha512(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-512");
      for (byte[] part : parts) {
        md.update(part);
      }
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigInteger fromLittleEndian(byte[] le) {
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  private static byte[] littleEndian(BigInteger v) {
    byte[] out = new byte[32];
    byte[] be = v.toByteArray();
    for (int i = 0; i < 32 && i < be.length; i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }
}
