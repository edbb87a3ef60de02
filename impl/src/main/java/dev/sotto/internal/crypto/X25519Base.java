package dev.sotto.internal.crypto;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * X25519(k, 9), the public key of k, by a fixed-base scalar multiplication on Edwards25519, in
 * constant time. spec: suite.adoc#x25519
 *
 * <p>Curve25519 and the twisted Edwards curve Edwards25519 (-x² + y² = 1 + d·x²·y²) are
 * birationally equivalent by u = (1 + y) / (1 - y) (RFC 7748 section 4.1); the map commutes with
 * scalar multiplication and takes Edwards25519's base point B (y = 4/5, RFC 8032 section 5.1) to
 * u = 9. So X25519(k, 9) is the u of [k]B for the clamped k, which this class computes as ref10's
 * {@code ge_scalarmult_base} does: k is written as 64 signed radix-16 digits e_i in [-8, 8], and
 * [k]B = Σ e_i·16^i·B from a table of j·256^m·B (j = 1..8, m = 0..31): first the odd digits, then
 * four doublings, then the even digits. That is 64 mixed additions, 4 doublings and one inversion,
 * against the ladder's 255 steps ({@link X25519Ladder} stays for X25519(k, u) with any u).
 *
 * <p>Constant time: the digits come from the scalar by arithmetic only; each lookup reads all 8
 * entries of its row and keeps one through masks ({@link Field25519#cmov}), then negates it
 * through masks when the digit is negative; which row is read depends only on the loop counter.
 * The addition and doubling formulas (Hisil, Wong, Carter and Dawson, 2008, with a = -1) are
 * complete on Edwards25519 (d is not a square), so the neutral entry of a zero digit and equal
 * points need no special case. The result is never the neutral point (a clamped k is 8·m with
 * 0 &lt; m &lt; l, and B has order l), so the final division is by a non-zero value.
 *
 * <p>The table (32 × 8 points in affine form (y + x, y - x, 2d·x·y), 30 KiB) is computed once,
 * when the class is first used, with {@link BigInteger} in affine coordinates: public data, and a
 * computation independent of the field code that it then feeds.
 */
final class X25519Base {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  /** d = -121665 / 121666 (RFC 8032 section 5.1). */
  private static final BigInteger D =
      BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);

  private static final int ROWS = 32;
  private static final int PER_ROW = 8;
  /** TABLE[3·(8·m + j - 1) + c] is component c (y + x, y - x, 2d·x·y) of j·256^m·B. */
  private static final long[][] TABLE = table();
  private static final long[] ZERO = new long[Field25519.LIMBS];

  private X25519Base() {}

  /**
   * out = X25519(k, 9): k is clamped here (a copy; the caller's bytes are not changed), as RFC
   * 7748 section 5 decodes a scalar.
   */
  static void scalarMultBase(byte[] k, byte[] out) {
    int[] e = new int[64];
    // The accumulator h (extended coordinates: x = X/Z, y = Y/Z, x·y = T/Z), a completed point
    // r (x = rX/rZ, y = rY/rT), the looked-up table entry and temporaries.
    long[] hx = Field25519.create();
    long[] hy = Field25519.create();
    long[] hz = Field25519.create();
    long[] ht = Field25519.create();
    long[] rx = Field25519.create();
    long[] ry = Field25519.create();
    long[] rz = Field25519.create();
    long[] rt = Field25519.create();
    long[] yPlusX = Field25519.create();
    long[] yMinusX = Field25519.create();
    long[] xy2d = Field25519.create();
    long[] a = Field25519.create();
    long[] b = Field25519.create();
    long[] c = Field25519.create();
    long[] d = Field25519.create();
    byte[] scalar = X25519.decodeScalar(k);
    try {
      // The 64 nibbles of the clamped scalar, then signed digits: e_i in [-8, 8), e_63 in [0, 8]
      // (bit 255 is clear, so the top nibble is at most 7 before its carry).
      for (int i = 0; i < 32; i++) {
        int s = scalar[i] & 0xff;
        e[2 * i] = s & 15;
        e[2 * i + 1] = s >>> 4;
      }
      int carry = 0;
      for (int i = 0; i < 63; i++) {
        e[i] += carry;
        carry = (e[i] + 8) >> 4;
        e[i] -= carry << 4;
      }
      e[63] += carry;

      Field25519.zero(hx);
      Field25519.one(hy);
      Field25519.one(hz);
      Field25519.zero(ht);
      for (int i = 1; i < 64; i += 2) {
        select(yPlusX, yMinusX, xy2d, i / 2, e[i], a);
        addMixed(rx, ry, rz, rt, hx, hy, hz, ht, yPlusX, yMinusX, xy2d, a, b, c, d);
        toExtended(hx, hy, hz, ht, rx, ry, rz, rt);
      }
      for (int i = 0; i < 4; i++) {
        dbl(rx, ry, rz, rt, hx, hy, hz, a, b, c, d);
        toExtended(hx, hy, hz, ht, rx, ry, rz, rt);
      }
      for (int i = 0; i < 64; i += 2) {
        select(yPlusX, yMinusX, xy2d, i / 2, e[i], a);
        addMixed(rx, ry, rz, rt, hx, hy, hz, ht, yPlusX, yMinusX, xy2d, a, b, c, d);
        toExtended(hx, hy, hz, ht, rx, ry, rz, rt);
      }

      // u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y)
      Field25519.add(a, hz, hy);
      Field25519.sub(b, hz, hy);
      Field25519.invert(c, b);
      Field25519.mul(a, a, c);
      Field25519.encode(out, a);
    } finally {
      Arrays.fill(scalar, (byte) 0);
      Arrays.fill(e, 0);
      for (long[] f : new long[][] {hx, hy, hz, ht, rx, ry, rz, rt, yPlusX, yMinusX, xy2d, a, b, c, d}) {
        Arrays.fill(f, 0);
      }
    }
  }

  /**
   * The entry digit·256^row·B of the table, digit in [-8, 8] (0 gives the neutral point (1, 1,
   * 0)): all 8 entries of the row are read, and the sign is applied by masks. {@code t} is a
   * temporary.
   */
  private static void select(long[] yPlusX, long[] yMinusX, long[] xy2d, int row, int digit, long[] t) {
    int negative = digit >>> 31;
    int abs = digit - ((-negative & digit) << 1);
    Field25519.one(yPlusX);
    Field25519.one(yMinusX);
    Field25519.zero(xy2d);
    int base = 3 * PER_ROW * row;
    for (int j = 1; j <= PER_ROW; j++) {
      long equal = ((long) (abs ^ j) - 1) >>> 63;
      int at = base + 3 * (j - 1);
      Field25519.cmov(yPlusX, TABLE[at], equal);
      Field25519.cmov(yMinusX, TABLE[at + 1], equal);
      Field25519.cmov(xy2d, TABLE[at + 2], equal);
    }
    // -(x, y) = (-x, y): y + x and y - x trade places, and 2d·x·y changes sign.
    Field25519.cswap(yPlusX, yMinusX, negative);
    Field25519.sub(t, ZERO, xy2d);
    Field25519.carry(t);
    Field25519.cmov(xy2d, t, negative);
  }

  /**
   * r = h + q, h in extended coordinates, q an affine table entry; r is completed (ref10's
   * {@code ge_madd}). Inputs loosely reduced; the outputs are sums and differences of loosely
   * reduced elements, within what {@link Field25519#mul} accepts. a to d are temporaries.
   */
  private static void addMixed(long[] rx, long[] ry, long[] rz, long[] rt, long[] hx, long[] hy, long[] hz,
      long[] ht, long[] yPlusX, long[] yMinusX, long[] xy2d, long[] a, long[] b, long[] c, long[] d) {
    Field25519.add(a, hy, hx);
    Field25519.sub(b, hy, hx);
    Field25519.mul(a, a, yPlusX); //     A = (Y + X)·(y2 + x2)
    Field25519.mul(b, b, yMinusX); //    B = (Y - X)·(y2 - x2)
    Field25519.mul(c, xy2d, ht); //      C = 2d·x2·y2·T
    Field25519.add(d, hz, hz); //        D = 2Z
    Field25519.carry(d); //              (loosely reduced, so that D - C stays in bounds)
    Field25519.sub(rx, a, b);
    Field25519.add(ry, a, b);
    Field25519.add(rz, d, c);
    Field25519.sub(rt, d, c);
  }

  /**
   * r = 2h from h's X, Y, Z; r is completed (ref10's {@code ge_p2_dbl}). The two values that a
   * subtraction takes as its second operand are carried first, so that no limb of it exceeds
   * 4p's. a to d are temporaries.
   */
  private static void dbl(long[] rx, long[] ry, long[] rz, long[] rt, long[] hx, long[] hy, long[] hz, long[] a,
      long[] b, long[] c, long[] d) {
    Field25519.square(a, hx); //         XX
    Field25519.square(b, hy); //         YY
    Field25519.square(c, hz);
    Field25519.add(c, c, c); //          2Z²
    Field25519.carry(c);
    Field25519.add(d, hx, hy);
    Field25519.square(d, d); //          (X + Y)²
    Field25519.add(ry, b, a); //         YY + XX
    Field25519.sub(rz, b, a); //         YY - XX
    Field25519.carry(rz);
    Field25519.sub(rx, d, ry); //        (X + Y)² - YY - XX = 2XY
    Field25519.sub(rt, c, rz); //        2Z² - (YY - XX)
  }

  /** h = r in extended coordinates (ref10's {@code ge_p1p1_to_p3}). */
  private static void toExtended(long[] hx, long[] hy, long[] hz, long[] ht, long[] rx, long[] ry, long[] rz,
      long[] rt) {
    Field25519.mul(hx, rx, rt);
    Field25519.mul(hy, ry, rz);
    Field25519.mul(hz, rz, rt);
    Field25519.mul(ht, rx, ry);
  }

  /** j·256^m·B for m = 0..31, j = 1..8, in affine coordinates with BigInteger (public values). */
  private static long[][] table() {
    BigInteger by = BigInteger.valueOf(4).multiply(BigInteger.valueOf(5).modInverse(P)).mod(P);
    BigInteger[] row = {recoverX(by), by};
    long[][] t = new long[3 * ROWS * PER_ROW][];
    for (int m = 0; m < ROWS; m++) {
      BigInteger[] multiple = row;
      for (int j = 1; j <= PER_ROW; j++) {
        BigInteger x = multiple[0];
        BigInteger y = multiple[1];
        int at = 3 * (PER_ROW * m + j - 1);
        t[at] = limbs(y.add(x).mod(P));
        t[at + 1] = limbs(y.subtract(x).mod(P));
        t[at + 2] = limbs(D.shiftLeft(1).multiply(x).multiply(y).mod(P));
        multiple = add(multiple, row);
      }
      for (int i = 0; i < 8; i++) {
        row = add(row, row);
      }
    }
    return t;
  }

  /** The even x with -x² + y² = 1 + d·x²·y² (RFC 8032 section 5.1.3, steps 2 to 4). */
  private static BigInteger recoverX(BigInteger y) {
    BigInteger y2 = y.multiply(y).mod(P);
    BigInteger x2 = y2.subtract(BigInteger.ONE).multiply(D.multiply(y2).add(BigInteger.ONE).modInverse(P)).mod(P);
    BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
    if (!x.multiply(x).mod(P).equals(x2)) {
      BigInteger sqrtMinusOne = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
      x = x.multiply(sqrtMinusOne).mod(P);
    }
    if (!x.multiply(x).mod(P).equals(x2)) {
      throw new AssertionError("no square root: y is not on Edwards25519");
    }
    return x.testBit(0) ? P.subtract(x) : x;
  }

  /** The affine sum on Edwards25519 (RFC 8032 section 5.1.4, with a = -1). */
  private static BigInteger[] add(BigInteger[] p, BigInteger[] q) {
    BigInteger x1 = p[0];
    BigInteger y1 = p[1];
    BigInteger x2 = q[0];
    BigInteger y2 = q[1];
    BigInteger dxy = D.multiply(x1).multiply(x2).multiply(y1).multiply(y2).mod(P);
    BigInteger x3 = x1.multiply(y2).add(y1.multiply(x2)).multiply(BigInteger.ONE.add(dxy).modInverse(P)).mod(P);
    BigInteger y3 = y1.multiply(y2).add(x1.multiply(x2)).multiply(BigInteger.ONE.subtract(dxy).mod(P).modInverse(P))
        .mod(P);
    return new BigInteger[] {x3, y3};
  }

  /** The five 51-bit limbs of v in [0, p). */
  private static long[] limbs(BigInteger v) {
    long[] h = Field25519.create();
    for (int i = 0; i < Field25519.LIMBS; i++) {
      h[i] = v.shiftRight(51 * i).longValue() & ((1L << 51) - 1);
    }
    return h;
  }
}
