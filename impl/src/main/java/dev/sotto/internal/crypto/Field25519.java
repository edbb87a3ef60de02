package dev.sotto.internal.crypto;

/**
 * Arithmetic in GF(p), p = 2^255 - 19, for X25519. spec: suite.adoc#x25519
 *
 * <p>An element is five 51-bit limbs in a {@code long[5]}, little-endian: f = f0 + f1·2^51 +
 * f2·2^102 + f3·2^153 + f4·2^204. Limbs are kept loosely reduced rather than canonical: the
 * outputs of {@link #mul}, {@link #square}, {@link #mulSmall} and {@link #carry} have limbs below
 * 2^51 + 2^17 ("loosely reduced"); {@link #add} and {@link #sub} of such elements give limbs below
 * 2^53.33, which is what {@link #mul}, {@link #square} and {@link #mulSmall} accept. Only {@link #encode} produces the canonical value.
 *
 * <p>Every operation is constant time: the same instructions run whatever the values, with no
 * branch and no memory index that depends on them. A product of two limbs is 128 bits wide:
 * {@link Math#multiplyHigh} gives its upper half (one instruction on 64-bit platforms). Each
 * product p = H·2^64 + L is split at bit 51 as (L mod 2^51) + (L >> 51)·2^51 + H·2^64, each
 * part summed on its own per column, so that the sums fit in a {@code long} with no carry to
 * track (the bounds are beside each method).
 */
final class Field25519 {
  static final int LIMBS = 5;
  private static final long MASK = (1L << 51) - 1;

  private Field25519() {}

  static long[] create() {
    return new long[LIMBS];
  }

  static void one(long[] h) {
    h[0] = 1;
    h[1] = 0;
    h[2] = 0;
    h[3] = 0;
    h[4] = 0;
  }

  static void zero(long[] h) {
    h[0] = 0;
    h[1] = 0;
    h[2] = 0;
    h[3] = 0;
    h[4] = 0;
  }

  static void copy(long[] h, long[] f) {
    h[0] = f[0];
    h[1] = f[1];
    h[2] = f[2];
    h[3] = f[3];
    h[4] = f[4];
  }

  /**
   * The 255 low bits of 32 little-endian bytes; bit 255 is ignored (RFC 7748 section 5). A value
   * in [p, 2^255) is kept as it is: arithmetic modulo p reduces it.
   */
  static void decode(long[] h, byte[] s) {
    long w0 = le64(s, 0);
    long w1 = le64(s, 8);
    long w2 = le64(s, 16);
    long w3 = le64(s, 24);
    h[0] = w0 & MASK;
    h[1] = ((w0 >>> 51) | (w1 << 13)) & MASK;
    h[2] = ((w1 >>> 38) | (w2 << 26)) & MASK;
    h[3] = ((w2 >>> 25) | (w3 << 39)) & MASK;
    h[4] = (w3 >>> 12) & MASK;
  }

  /** The canonical encoding (value in [0, p)) of a loosely reduced element, 32 bytes little-endian. */
  static void encode(byte[] s, long[] f) {
    long[] h = new long[LIMBS];
    copy(h, f);
    carry(h);
    carry(h);
    // Now h < 2^255 + 19 < 2p, with every limb below 2^51 except h0 (below 2^51 + 19).
    // q = floor((h + 19) / 2^255) is 1 exactly when h >= p; h - q·p = h + 19q - q·2^255.
    long q = (h[0] + 19) >>> 51;
    q = (h[1] + q) >>> 51;
    q = (h[2] + q) >>> 51;
    q = (h[3] + q) >>> 51;
    q = (h[4] + q) >>> 51;
    h[0] += 19 * q;
    h[1] += h[0] >>> 51;
    h[0] &= MASK;
    h[2] += h[1] >>> 51;
    h[1] &= MASK;
    h[3] += h[2] >>> 51;
    h[2] &= MASK;
    h[4] += h[3] >>> 51;
    h[3] &= MASK;
    h[4] &= MASK; // drops q·2^255
    long w0 = h[0] | (h[1] << 51);
    long w1 = (h[1] >>> 13) | (h[2] << 38);
    long w2 = (h[2] >>> 26) | (h[3] << 25);
    long w3 = (h[3] >>> 39) | (h[4] << 12);
    put64(s, 0, w0);
    put64(s, 8, w1);
    put64(s, 16, w2);
    put64(s, 24, w3);
  }

  /** h = f + g, limb by limb (no carry). */
  static void add(long[] h, long[] f, long[] g) {
    h[0] = f[0] + g[0];
    h[1] = f[1] + g[1];
    h[2] = f[2] + g[2];
    h[3] = f[3] + g[3];
    h[4] = f[4] + g[4];
  }

  /**
   * h = f - g + 4p, limb by limb (no carry): 4p in limbs is (2^53 - 76, 2^53 - 4, ...), which is
   * above every limb of a loosely reduced g, so no limb goes negative. Limbs of h are below
   * 2^51 + 2^17 + 2^53 < 2^53.33.
   */
  static void sub(long[] h, long[] f, long[] g) {
    h[0] = f[0] + 0x1fffffffffffb4L - g[0];
    h[1] = f[1] + 0x1ffffffffffffcL - g[1];
    h[2] = f[2] + 0x1ffffffffffffcL - g[2];
    h[3] = f[3] + 0x1ffffffffffffcL - g[3];
    h[4] = f[4] + 0x1ffffffffffffcL - g[4];
  }

  /** Propagates carries once around, leaving limbs below 2^51 + 2^17 (for limbs below 2^62). */
  static void carry(long[] h) {
    long c;
    c = h[0] >>> 51;
    h[0] &= MASK;
    h[1] += c;
    c = h[1] >>> 51;
    h[1] &= MASK;
    h[2] += c;
    c = h[2] >>> 51;
    h[2] &= MASK;
    h[3] += c;
    c = h[3] >>> 51;
    h[3] &= MASK;
    h[4] += c;
    c = h[4] >>> 51;
    h[4] &= MASK;
    h[0] += 19 * c;
  }

  /**
   * h = f·g mod p (h may be f or g). Limbs of f and g below 2^53.33 (outputs of add or sub of
   * loosely reduced elements): a product with a factor 19 (the columns that wrap past 2^255,
   * which is 19 mod p) is below 2^110.91, its part above bit 51 below 2^59.91; a column holds at
   * most four such parts and one plain one, below 2^62. Column 4 has only plain parts, each below
   * 2^55.66, so 19 times their sum is below 2^62.25.
   */
  static void mul(long[] h, long[] f, long[] g) {
    long f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    long g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    long g1x19 = 19 * g1, g2x19 = 19 * g2, g3x19 = 19 * g3, g4x19 = 19 * g4;

    // Column k collects f_i·g_j for i + j = k, and 19·f_i·g_j for i + j = k + 5. Each product
    // p is added as (p mod 2^51) into column k ("lo") and (p >> 51) into column k + 1 ("hi").
    long lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4, l;
    long hh0, hh1, hh2, hh3, hh4; // upper 64-bit words of the products, summed per column

    l = f0 * g0;
    lo0 = l & MASK;
    hi0 = l >>> 51;
    hh0 = Math.multiplyHigh(f0, g0);
    l = f1 * g4x19;
    lo0 += l & MASK;
    hi0 += l >>> 51;
    hh0 += Math.multiplyHigh(f1, g4x19);
    l = f2 * g3x19;
    lo0 += l & MASK;
    hi0 += l >>> 51;
    hh0 += Math.multiplyHigh(f2, g3x19);
    l = f3 * g2x19;
    lo0 += l & MASK;
    hi0 += l >>> 51;
    hh0 += Math.multiplyHigh(f3, g2x19);
    l = f4 * g1x19;
    lo0 += l & MASK;
    hi0 += l >>> 51;
    hh0 += Math.multiplyHigh(f4, g1x19);

    long d0 = hi0 + (hh0 << 13);
    l = f0 * g1;
    lo1 = l & MASK;
    hi1 = l >>> 51;
    hh1 = Math.multiplyHigh(f0, g1);
    l = f1 * g0;
    lo1 += l & MASK;
    hi1 += l >>> 51;
    hh1 += Math.multiplyHigh(f1, g0);
    l = f2 * g4x19;
    lo1 += l & MASK;
    hi1 += l >>> 51;
    hh1 += Math.multiplyHigh(f2, g4x19);
    l = f3 * g3x19;
    lo1 += l & MASK;
    hi1 += l >>> 51;
    hh1 += Math.multiplyHigh(f3, g3x19);
    l = f4 * g2x19;
    lo1 += l & MASK;
    hi1 += l >>> 51;
    hh1 += Math.multiplyHigh(f4, g2x19);

    long r1 = lo1 + d0;
    long d1 = hi1 + (hh1 << 13);
    l = f0 * g2;
    lo2 = l & MASK;
    hi2 = l >>> 51;
    hh2 = Math.multiplyHigh(f0, g2);
    l = f1 * g1;
    lo2 += l & MASK;
    hi2 += l >>> 51;
    hh2 += Math.multiplyHigh(f1, g1);
    l = f2 * g0;
    lo2 += l & MASK;
    hi2 += l >>> 51;
    hh2 += Math.multiplyHigh(f2, g0);
    l = f3 * g4x19;
    lo2 += l & MASK;
    hi2 += l >>> 51;
    hh2 += Math.multiplyHigh(f3, g4x19);
    l = f4 * g3x19;
    lo2 += l & MASK;
    hi2 += l >>> 51;
    hh2 += Math.multiplyHigh(f4, g3x19);

    long r2 = lo2 + d1;
    long d2 = hi2 + (hh2 << 13);
    l = f0 * g3;
    lo3 = l & MASK;
    hi3 = l >>> 51;
    hh3 = Math.multiplyHigh(f0, g3);
    l = f1 * g2;
    lo3 += l & MASK;
    hi3 += l >>> 51;
    hh3 += Math.multiplyHigh(f1, g2);
    l = f2 * g1;
    lo3 += l & MASK;
    hi3 += l >>> 51;
    hh3 += Math.multiplyHigh(f2, g1);
    l = f3 * g0;
    lo3 += l & MASK;
    hi3 += l >>> 51;
    hh3 += Math.multiplyHigh(f3, g0);
    l = f4 * g4x19;
    lo3 += l & MASK;
    hi3 += l >>> 51;
    hh3 += Math.multiplyHigh(f4, g4x19);

    long r3 = lo3 + d2;
    long d3 = hi3 + (hh3 << 13);
    l = f0 * g4;
    lo4 = l & MASK;
    hi4 = l >>> 51;
    hh4 = Math.multiplyHigh(f0, g4);
    l = f1 * g3;
    lo4 += l & MASK;
    hi4 += l >>> 51;
    hh4 += Math.multiplyHigh(f1, g3);
    l = f2 * g2;
    lo4 += l & MASK;
    hi4 += l >>> 51;
    hh4 += Math.multiplyHigh(f2, g2);
    l = f3 * g1;
    lo4 += l & MASK;
    hi4 += l >>> 51;
    hh4 += Math.multiplyHigh(f3, g1);
    l = f4 * g0;
    lo4 += l & MASK;
    hi4 += l >>> 51;
    hh4 += Math.multiplyHigh(f4, g0);

    long r4 = lo4 + d3;
    reduce(h, lo0 + 19 * (hi4 + (hh4 << 13)), r1, r2, r3, r4);
  }

  /**
   * h = f² mod p (h may be f), with 15 products instead of 25. Same bounds as {@link #mul}; the
   * doubled and 38-fold factors stay within them (38·2^53.33 < 2^58.6, products below 2^112,
   * parts above bit 51 below 2^61, columns of at most three below 2^62.7).
   */
  static void square(long[] h, long[] f) {
    long f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    long f0x2 = 2 * f0, f1x2 = 2 * f1;
    long f1x38 = 38 * f1, f2x38 = 38 * f2, f3x38 = 38 * f3;
    long f3x19 = 19 * f3, f4x19 = 19 * f4;
    long lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4, l;
    long hh0, hh1, hh2, hh3, hh4; // upper 64-bit words of the products, summed per column

    // column 0: f0² + 38·f1·f4 + 38·f2·f3
    l = f0 * f0;
    lo0 = l & MASK;
    hi0 = l >>> 51;
    hh0 = Math.multiplyHigh(f0, f0);
    l = f1x38 * f4;
    lo0 += l & MASK;
    hi0 += l >>> 51;
    hh0 += Math.multiplyHigh(f1x38, f4);
    l = f2x38 * f3;
    lo0 += l & MASK;
    hi0 += l >>> 51;
    hh0 += Math.multiplyHigh(f2x38, f3);

    // column 1: 2·f0·f1 + 38·f2·f4 + 19·f3²
    long d0 = hi0 + (hh0 << 13);
    l = f0x2 * f1;
    lo1 = l & MASK;
    hi1 = l >>> 51;
    hh1 = Math.multiplyHigh(f0x2, f1);
    l = f2x38 * f4;
    lo1 += l & MASK;
    hi1 += l >>> 51;
    hh1 += Math.multiplyHigh(f2x38, f4);
    l = f3x19 * f3;
    lo1 += l & MASK;
    hi1 += l >>> 51;
    hh1 += Math.multiplyHigh(f3x19, f3);

    // column 2: 2·f0·f2 + f1² + 38·f3·f4
    long r1 = lo1 + d0;
    long d1 = hi1 + (hh1 << 13);
    l = f0x2 * f2;
    lo2 = l & MASK;
    hi2 = l >>> 51;
    hh2 = Math.multiplyHigh(f0x2, f2);
    l = f1 * f1;
    lo2 += l & MASK;
    hi2 += l >>> 51;
    hh2 += Math.multiplyHigh(f1, f1);
    l = f3x38 * f4;
    lo2 += l & MASK;
    hi2 += l >>> 51;
    hh2 += Math.multiplyHigh(f3x38, f4);

    // column 3: 2·f0·f3 + 2·f1·f2 + 19·f4²
    long r2 = lo2 + d1;
    long d2 = hi2 + (hh2 << 13);
    l = f0x2 * f3;
    lo3 = l & MASK;
    hi3 = l >>> 51;
    hh3 = Math.multiplyHigh(f0x2, f3);
    l = f1x2 * f2;
    lo3 += l & MASK;
    hi3 += l >>> 51;
    hh3 += Math.multiplyHigh(f1x2, f2);
    l = f4x19 * f4;
    lo3 += l & MASK;
    hi3 += l >>> 51;
    hh3 += Math.multiplyHigh(f4x19, f4);

    // column 4: 2·f0·f4 + 2·f1·f3 + f2²
    long r3 = lo3 + d2;
    long d3 = hi3 + (hh3 << 13);
    l = f0x2 * f4;
    lo4 = l & MASK;
    hi4 = l >>> 51;
    hh4 = Math.multiplyHigh(f0x2, f4);
    l = f1x2 * f3;
    lo4 += l & MASK;
    hi4 += l >>> 51;
    hh4 += Math.multiplyHigh(f1x2, f3);
    l = f2 * f2;
    lo4 += l & MASK;
    hi4 += l >>> 51;
    hh4 += Math.multiplyHigh(f2, f2);

    long r4 = lo4 + d3;
    reduce(h, lo0 + 19 * (hi4 + (hh4 << 13)), r1, r2, r3, r4);
  }

  /** h = f^(2^n) mod p, n >= 1. */
  static void squareTimes(long[] h, long[] f, int n) {
    square(h, f);
    for (int i = 1; i < n; i++) {
      square(h, h);
    }
  }

  /**
   * h = f·c mod p for a small constant 0 <= c < 2^20 (h may be f). Limbs of f below 2^53.33, so a
   * product is below 2^73.33; its part above bit 51 is below 2^22.33.
   */
  static void mulSmall(long[] h, long[] f, long c) {
    long l0 = f[0] * c, l1 = f[1] * c, l2 = f[2] * c, l3 = f[3] * c, l4 = f[4] * c;
    long hi0 = (Math.multiplyHigh(f[0], c) << 13) | (l0 >>> 51);
    long hi1 = (Math.multiplyHigh(f[1], c) << 13) | (l1 >>> 51);
    long hi2 = (Math.multiplyHigh(f[2], c) << 13) | (l2 >>> 51);
    long hi3 = (Math.multiplyHigh(f[3], c) << 13) | (l3 >>> 51);
    long hi4 = (Math.multiplyHigh(f[4], c) << 13) | (l4 >>> 51);
    h[0] = (l0 & MASK) + 19 * hi4;
    h[1] = (l1 & MASK) + hi0;
    h[2] = (l2 & MASK) + hi1;
    h[3] = (l3 & MASK) + hi2;
    h[4] = (l4 & MASK) + hi3;
    carry(h);
  }

  /**
   * h = 1/f mod p as f^(p-2), p - 2 = 2^255 - 21, by a fixed chain of 254 squarings and 11
   * multiplications (the same for every f; 1/0 gives 0).
   */
  static void invert(long[] h, long[] f) {
    long[] z2 = new long[LIMBS];
    long[] z9 = new long[LIMBS];
    long[] z11 = new long[LIMBS];
    long[] a = new long[LIMBS]; // z^(2^5 - 1), then longer runs of ones
    long[] b = new long[LIMBS];
    long[] c = new long[LIMBS];
    long[] t = new long[LIMBS];

    square(z2, f); //                     2
    squareTimes(t, z2, 2); //             8
    mul(z9, t, f); //                     9
    mul(z11, z9, z2); //                  11
    square(t, z11); //                    22
    mul(a, t, z9); //                     2^5 - 1
    squareTimes(t, a, 5);
    mul(b, t, a); //                      2^10 - 1
    squareTimes(t, b, 10);
    mul(c, t, b); //                      2^20 - 1
    squareTimes(t, c, 20);
    mul(t, t, c); //                      2^40 - 1
    squareTimes(t, t, 10);
    mul(a, t, b); //                      2^50 - 1
    squareTimes(t, a, 50);
    mul(b, t, a); //                      2^100 - 1
    squareTimes(t, b, 100);
    mul(t, t, b); //                      2^200 - 1
    squareTimes(t, t, 50);
    mul(t, t, a); //                      2^250 - 1
    squareTimes(t, t, 5); //              2^255 - 2^5
    mul(h, t, z11); //                    2^255 - 21
  }

  /**
   * Swaps f and g when swap is 1, leaves them when it is 0, with the same instructions either
   * way (a mask, not a branch).
   */
  static void cswap(long[] f, long[] g, long swap) {
    long mask = -swap;
    long x;
    x = mask & (f[0] ^ g[0]);
    f[0] ^= x;
    g[0] ^= x;
    x = mask & (f[1] ^ g[1]);
    f[1] ^= x;
    g[1] ^= x;
    x = mask & (f[2] ^ g[2]);
    f[2] ^= x;
    g[2] ^= x;
    x = mask & (f[3] ^ g[3]);
    f[3] ^= x;
    g[3] ^= x;
    x = mask & (f[4] ^ g[4]);
    f[4] ^= x;
    g[4] ^= x;
  }

  /**
   * h = g when flag is 1, h unchanged when it is 0, with the same instructions either way (a
   * mask, not a branch).
   */
  static void cmov(long[] h, long[] g, long flag) {
    long mask = -flag;
    h[0] ^= mask & (h[0] ^ g[0]);
    h[1] ^= mask & (h[1] ^ g[1]);
    h[2] ^= mask & (h[2] ^ g[2]);
    h[3] ^= mask & (h[3] ^ g[3]);
    h[4] ^= mask & (h[4] ^ g[4]);
  }

  /**
   * Carries the folded columns once around: limb k = lo_k + hi_(k-1) (folded by the caller as
   * each column ends, which keeps fewer values live), and hi_4 (at 2^255) has come back as
   * 19·hi_4 into limb 0; hi_4 collects no 19-fold product, so 19·hi_4 < 2^62.25.
   */
  private static void reduce(long[] h, long h0, long h1, long h2, long h3, long h4) {
    long c;
    c = h0 >>> 51;
    h0 &= MASK;
    h1 += c;
    c = h1 >>> 51;
    h1 &= MASK;
    h2 += c;
    c = h2 >>> 51;
    h2 &= MASK;
    h3 += c;
    c = h3 >>> 51;
    h3 &= MASK;
    h4 += c;
    c = h4 >>> 51;
    h4 &= MASK;
    h0 += 19 * c;
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
    h[3] = h3;
    h[4] = h4;
  }

  private static long le64(byte[] s, int off) {
    long w = 0;
    for (int i = 7; i >= 0; i--) {
      w = (w << 8) | (s[off + i] & 0xffL);
    }
    return w;
  }

  private static void put64(byte[] s, int off, long w) {
    for (int i = 0; i < 8; i++) {
      s[off + i] = (byte) (w >>> (8 * i));
    }
  }
}
