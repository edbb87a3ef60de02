package dev.sotto.internal.crypto;

/**
 * The X25519 function of RFC 7748 section 5: the Montgomery ladder on the u-coordinate of
 * Curve25519, in constant time. spec: suite.adoc#x25519
 *
 * <p>The ladder runs all 255 steps whatever the scalar, and the scalar's bits only ever choose,
 * through {@link Field25519#cswap}'s mask, which of two points is which: no branch and no memory
 * index depends on a secret. The final inversion is a fixed chain of squarings and products.
 */
final class X25519Ladder {
  /** (A - 2) / 4 for Curve25519's A = 486662 (RFC 7748 section 5). */
  private static final long A24 = 121665;

  private static final byte[] BASE_POINT = new byte[32];

  static {
    BASE_POINT[0] = 9;
  }

  private X25519Ladder() {}

  /** out = X25519(k, 9). */
  static void scalarMultBase(byte[] k, byte[] out) {
    scalarMult(k, BASE_POINT, out);
  }

  /**
   * out = X25519(k, u): k is clamped here (a copy; the caller's bytes are not changed), bit 255
   * of u is ignored and a non-canonical u is taken modulo p. The result may be all zero (u of
   * small order); the caller decides what that means.
   */
  static void scalarMult(byte[] k, byte[] u, byte[] out) {
    long[] x1 = Field25519.create();
    long[] x2 = Field25519.create();
    long[] z2 = Field25519.create();
    long[] x3 = Field25519.create();
    long[] z3 = Field25519.create();
    long[] a = Field25519.create();
    long[] aa = Field25519.create();
    long[] b = Field25519.create();
    long[] bb = Field25519.create();
    long[] e = Field25519.create();
    long[] c = Field25519.create();
    long[] d = Field25519.create();
    long[] t = Field25519.create();
    byte[] scalar = X25519.decodeScalar(k);
    try {
      Field25519.decode(x1, u);
      Field25519.one(x2);
      Field25519.zero(z2);
      Field25519.copy(x3, x1);
      Field25519.one(z3);
      long swap = 0;
      for (int i = 254; i >= 0; i--) {
        long bit = (scalar[i >>> 3] >>> (i & 7)) & 1;
        swap ^= bit;
        Field25519.cswap(x2, x3, swap);
        Field25519.cswap(z2, z3, swap);
        swap = bit;

        Field25519.add(a, x2, z2); //        A = x2 + z2
        Field25519.square(aa, a); //         AA = A^2
        Field25519.sub(b, x2, z2); //        B = x2 - z2
        Field25519.square(bb, b); //         BB = B^2
        Field25519.sub(e, aa, bb); //        E = AA - BB
        Field25519.add(c, x3, z3); //        C = x3 + z3
        Field25519.sub(d, x3, z3); //        D = x3 - z3
        Field25519.mul(d, d, a); //          DA = D * A
        Field25519.mul(c, c, b); //          CB = C * B
        Field25519.add(t, d, c); //
        Field25519.square(x3, t); //         x3 = (DA + CB)^2
        Field25519.sub(t, d, c); //
        Field25519.square(t, t); //
        Field25519.mul(z3, x1, t); //        z3 = x1 * (DA - CB)^2
        Field25519.mul(x2, aa, bb); //       x2 = AA * BB
        Field25519.mulSmall(t, e, A24); //
        Field25519.add(t, aa, t); //
        Field25519.mul(z2, e, t); //         z2 = E * (AA + a24 * E)
      }
      Field25519.cswap(x2, x3, swap);
      Field25519.cswap(z2, z3, swap);

      Field25519.invert(t, z2);
      Field25519.mul(x2, x2, t);
      Field25519.encode(out, x2);
    } finally {
      java.util.Arrays.fill(scalar, (byte) 0);
      for (long[] f : new long[][] {x2, z2, x3, z3, a, aa, b, bb, e, c, d, t}) {
        java.util.Arrays.fill(f, 0);
      }
    }
  }
}
