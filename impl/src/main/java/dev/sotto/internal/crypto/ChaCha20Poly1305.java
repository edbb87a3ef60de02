package dev.sotto.internal.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * ChaCha20-Poly1305 (RFC 8439, section 2.8) in pure Java, for the runtimes whose own cipher is not
 * intrinsified (JDK 17 to 19). spec: suite.adoc#aead
 *
 * <p>ChaCha20 keeps its state in sixteen local ints and XORs the keystream into the data four bytes
 * at a time, in place when input and output are one array, with no keystream buffer. Poly1305 keeps
 * its accumulator in 64-bit limbs (two full limbs and two bits above them, as in OpenSSL's scalar
 * code): a block costs four 64 × 64 → 128-bit products ({@code Math.multiplyHigh}, intrinsified on
 * JDK 17) where Bouncy Castle's 26-bit limbs take twenty-five 32 × 32 → 64-bit ones.
 *
 * <p>Constant time: no branch and no array index depends on the key, the nonce, the data or the
 * tag; carries are computed with masks, the final reduction selects with a mask, and the tag is
 * compared by OR-ing the XOR of all sixteen bytes. Branches depend only on lengths, which are
 * public. Checked against RFC 8439's vectors, Wycheproof and Bouncy Castle (ChaCha20Poly1305Test).
 */
final class ChaCha20Poly1305 {
  static final int KEY_LENGTH = 32;
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;

  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  // "expand 32-byte k"
  private static final int C0 = 0x61707865;
  private static final int C1 = 0x3320646e;
  private static final int C2 = 0x79622d32;
  private static final int C3 = 0x6b206574;

  private ChaCha20Poly1305() {}

  /**
   * Seals {@code length} bytes of {@code in} from {@code inOffset} into ciphertext || tag at
   * {@code out[outOffset, outOffset + length + 16)}. {@code in} and {@code out} may be the same
   * array at the same offset. Bounds and lengths are the caller's to check.
   */
  static void seal(byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOffset, int length, byte[] out,
      int outOffset) {
    int[] state = state(key, nonce);
    Poly1305 mac = new Poly1305(state);
    xor(state, in, inOffset, length, out, outOffset);
    mac.aead(aad, out, outOffset, length);
    mac.finish(out, outOffset + length);
    java.util.Arrays.fill(state, 0);
  }

  /**
   * Opens {@code length} bytes of ciphertext (without its tag) at {@code in[inOffset]}, followed
   * by the tag, into {@code out[outOffset]}; returns false, having written nothing, when the tag
   * does not verify.
   */
  static boolean open(byte[] key, byte[] nonce, byte[] aad, byte[] in, int inOffset, int length, byte[] out,
      int outOffset) {
    int[] state = state(key, nonce);
    try {
      Poly1305 mac = new Poly1305(state);
      mac.aead(aad, in, inOffset, length);
      byte[] tag = new byte[TAG_LENGTH];
      mac.finish(tag, 0);
      int diff = 0;
      for (int i = 0; i < TAG_LENGTH; i++) {
        diff |= tag[i] ^ in[inOffset + length + i];
      }
      if (diff != 0) {
        return false; // the tag is public once it has been refused: a branch on the verdict only
      }
      xor(state, in, inOffset, length, out, outOffset);
      return true;
    } finally {
      java.util.Arrays.fill(state, 0);
    }
  }

  /** The initial state, counter 0: constants, key, counter, nonce (RFC 8439, section 2.3). */
  private static int[] state(byte[] key, byte[] nonce) {
    int[] s = new int[16];
    s[0] = C0;
    s[1] = C1;
    s[2] = C2;
    s[3] = C3;
    for (int i = 0; i < 8; i++) {
      s[4 + i] = (int) INT.get(key, 4 * i);
    }
    s[12] = 0;
    s[13] = (int) INT.get(nonce, 0);
    s[14] = (int) INT.get(nonce, 4);
    s[15] = (int) INT.get(nonce, 8);
    return s;
  }

  /**
   * XORs the keystream from block 1 on into {@code length} bytes. Full blocks go four bytes at a
   * time; the last partial block through a 64-byte keystream buffer, cleared after use.
   */
  static void xor(int[] s, byte[] in, int inOffset, int length, byte[] out, int outOffset) {
    final int k0 = s[4], k1 = s[5], k2 = s[6], k3 = s[7], k4 = s[8], k5 = s[9], k6 = s[10], k7 = s[11];
    final int n0 = s[13], n1 = s[14], n2 = s[15];
    int counter = 1;
    int done = 0;
    for (; length - done >= 64; done += 64, counter++) {
      int x0 = C0, x1 = C1, x2 = C2, x3 = C3;
      int x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
      int x12 = counter, x13 = n0, x14 = n1, x15 = n2;
      for (int r = 0; r < 10; r++) {
        x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16);
        x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
        x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8);
        x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
        x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16);
        x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
        x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8);
        x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
        x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16);
        x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
        x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8);
        x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
        x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16);
        x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
        x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8);
        x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);

        x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16);
        x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
        x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8);
        x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
        x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16);
        x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
        x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8);
        x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
        x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16);
        x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
        x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8);
        x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
        x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16);
        x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
        x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8);
        x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
      }
      int i = inOffset + done;
      int o = outOffset + done;
      INT.set(out, o, (int) INT.get(in, i) ^ (x0 + C0));
      INT.set(out, o + 4, (int) INT.get(in, i + 4) ^ (x1 + C1));
      INT.set(out, o + 8, (int) INT.get(in, i + 8) ^ (x2 + C2));
      INT.set(out, o + 12, (int) INT.get(in, i + 12) ^ (x3 + C3));
      INT.set(out, o + 16, (int) INT.get(in, i + 16) ^ (x4 + k0));
      INT.set(out, o + 20, (int) INT.get(in, i + 20) ^ (x5 + k1));
      INT.set(out, o + 24, (int) INT.get(in, i + 24) ^ (x6 + k2));
      INT.set(out, o + 28, (int) INT.get(in, i + 28) ^ (x7 + k3));
      INT.set(out, o + 32, (int) INT.get(in, i + 32) ^ (x8 + k4));
      INT.set(out, o + 36, (int) INT.get(in, i + 36) ^ (x9 + k5));
      INT.set(out, o + 40, (int) INT.get(in, i + 40) ^ (x10 + k6));
      INT.set(out, o + 44, (int) INT.get(in, i + 44) ^ (x11 + k7));
      INT.set(out, o + 48, (int) INT.get(in, i + 48) ^ (x12 + counter));
      INT.set(out, o + 52, (int) INT.get(in, i + 52) ^ (x13 + n0));
      INT.set(out, o + 56, (int) INT.get(in, i + 56) ^ (x14 + n1));
      INT.set(out, o + 60, (int) INT.get(in, i + 60) ^ (x15 + n2));
    }
    if (done < length) {
      s[12] = counter;
      byte[] ks = new byte[64];
      block(s, ks);
      s[12] = 0;
      for (int j = 0; done + j < length; j++) {
        out[outOffset + done + j] = (byte) (in[inOffset + done + j] ^ ks[j]);
      }
      java.util.Arrays.fill(ks, (byte) 0);
    }
  }

  /** One ChaCha20 block of state {@code s} (its counter as set) into {@code out}, 64 bytes. */
  static void block(int[] s, byte[] out) {
    int x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3], x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
    int x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11], x12 = s[12], x13 = s[13], x14 = s[14], x15 = s[15];
    for (int r = 0; r < 10; r++) {
      x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16);
      x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
      x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8);
      x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
      x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16);
      x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
      x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8);
      x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
      x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16);
      x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
      x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8);
      x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
      x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16);
      x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
      x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8);
      x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);

      x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16);
      x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
      x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8);
      x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
      x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16);
      x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
      x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8);
      x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
      x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16);
      x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
      x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8);
      x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
      x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16);
      x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
      x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8);
      x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
    }
    INT.set(out, 0, x0 + s[0]);
    INT.set(out, 4, x1 + s[1]);
    INT.set(out, 8, x2 + s[2]);
    INT.set(out, 12, x3 + s[3]);
    INT.set(out, 16, x4 + s[4]);
    INT.set(out, 20, x5 + s[5]);
    INT.set(out, 24, x6 + s[6]);
    INT.set(out, 28, x7 + s[7]);
    INT.set(out, 32, x8 + s[8]);
    INT.set(out, 36, x9 + s[9]);
    INT.set(out, 40, x10 + s[10]);
    INT.set(out, 44, x11 + s[11]);
    INT.set(out, 48, x12 + s[12]);
    INT.set(out, 52, x13 + s[13]);
    INT.set(out, 56, x14 + s[14]);
    INT.set(out, 60, x15 + s[15]);
  }

  /**
   * Poly1305 (RFC 8439, section 2.5) over whole 16-byte blocks, each with its 2^128 bit set, which
   * is all that the AEAD construction feeds it (every part is padded to 16 bytes). The accumulator
   * is h2 · 2^128 + h1 · 2^64 + h0, partly reduced (h2 at most 4 between blocks).
   */
  static final class Poly1305 {
    // Not final: finish() clears the key with the accumulator.
    private long r0;
    private long r1;
    private long s1; // 5 · r1 / 4: r1's low two bits are clamped to zero
    private long pad0;
    private long pad1;
    private long h0;
    private long h1;
    private long h2;

    /** The one-time key from ChaCha20 block 0 of {@code s} (RFC 8439, section 2.6). */
    Poly1305(int[] s) {
      byte[] block0 = new byte[64];
      s[12] = 0;
      ChaCha20Poly1305.block(s, block0);
      r0 = (long) LONG.get(block0, 0) & 0x0ffffffc0fffffffL;
      r1 = (long) LONG.get(block0, 8) & 0x0ffffffc0ffffffcL;
      s1 = r1 + (r1 >>> 2);
      pad0 = (long) LONG.get(block0, 16);
      pad1 = (long) LONG.get(block0, 24);
      java.util.Arrays.fill(block0, (byte) 0);
    }

    /** Poly1305 key from 32 bytes r || s, for the tests of section 2.5 of RFC 8439. */
    Poly1305(byte[] key) {
      r0 = (long) LONG.get(key, 0) & 0x0ffffffc0fffffffL;
      r1 = (long) LONG.get(key, 8) & 0x0ffffffc0ffffffcL;
      s1 = r1 + (r1 >>> 2);
      pad0 = (long) LONG.get(key, 16);
      pad1 = (long) LONG.get(key, 24);
    }

    /** aad || pad16 || ciphertext || pad16 || len(aad) u64le || len(ciphertext) u64le. */
    void aead(byte[] aad, byte[] ct, int offset, int length) {
      padded(aad, 0, aad.length);
      padded(ct, offset, length);
      absorb(aad.length, length);
    }

    /** {@code length} bytes, zero-padded to a multiple of 16. */
    void padded(byte[] in, int offset, int length) {
      int full = length & ~15;
      blocks(in, offset, full, 1);
      if (full < length) {
        byte[] last = new byte[16];
        System.arraycopy(in, offset + full, last, 0, length - full);
        blocks(last, 0, 16, 1);
        java.util.Arrays.fill(last, (byte) 0);
      }
    }

    /**
     * Poly1305 of a message of any length as RFC 8439, section 2.5 defines it (a partial last block
     * gets a 1 byte after it and no 2^128 bit): for the RFC's own Poly1305 vectors in the tests.
     */
    void message(byte[] in, int offset, int length) {
      int full = length & ~15;
      blocks(in, offset, full, 1);
      if (full < length) {
        byte[] last = new byte[16];
        System.arraycopy(in, offset + full, last, 0, length - full);
        last[length - full] = 1;
        blocks(last, 0, 16, 0);
      }
    }

    /** Whole blocks, each with {@code hibit} (1, or 0 for the RFC's partial block) added at 2^128. */
    private void blocks(byte[] in, int offset, int length, long hibit) {
      long a0 = h0, a1 = h1, a2 = h2;
      final long q0 = r0, q1 = r1, t1 = s1; // locals: the loop keeps them in registers
      for (int i = offset, end = offset + length; i < end; i += 16) {
        long m0 = (long) LONG.get(in, i);
        long m1 = (long) LONG.get(in, i + 8);
        // h += m || 1
        long x0 = a0 + m0;
        long c = carry(a0, m0, x0);
        long y = a1 + m1;
        long x1 = y + c;
        c = carry(a1, m1, y) | carry(y, c, x1);
        a2 += c + hibit;
        a0 = x0;
        a1 = x1;
        // d = h · r, with 2^130 = 5 (mod p): d0 = h0 r0 + h1 s1, d1 = h0 r1 + h1 r0 + h2 s1, d2 = h2 r0
        long lo00 = a0 * q0;
        long hi00 = mulHigh(a0, q0);
        long lo11 = a1 * t1;
        long hi11 = mulHigh(a1, t1);
        long d0 = lo00 + lo11;
        long d0hi = hi00 + hi11 + carry(lo00, lo11, d0);
        long lo01 = a0 * q1;
        long hi01 = mulHigh(a0, q1);
        long lo10 = a1 * q0;
        long hi10 = mulHigh(a1, q0);
        long e = lo01 + lo10;
        long ehi = hi01 + hi10 + carry(lo01, lo10, e);
        long f = e + a2 * t1;
        ehi += carry(e, a2 * t1, f);
        long d1 = f + d0hi;
        ehi += carry(f, d0hi, d1);
        long d2 = a2 * q0 + ehi;
        // partial reduction: the bits from 2^130 on, times 5, back into the low limbs
        long k = (d2 >>> 2) + (d2 & ~3L);
        a2 = d2 & 3;
        a0 = d0 + k;
        c = carry(d0, k, a0);
        long z = d1 + c;
        c = carry(d1, c, z);
        a1 = z;
        a2 += c;
      }
      h0 = a0;
      h1 = a1;
      h2 = a2;
    }

    private void absorb(long m0, long m1) {
      byte[] b = new byte[16];
      LONG.set(b, 0, m0);
      LONG.set(b, 8, m1);
      blocks(b, 0, 16, 1);
    }

    /** The tag, (h mod p) + s mod 2^128, into {@code out[offset, offset + 16)}. */
    void finish(byte[] out, int offset) {
      // g = h + 5 - 2^130: h >= p exactly when g does not go below zero, i.e. h + 5 reaches 2^130
      long g0 = h0 + 5;
      long c = carry(h0, 5, g0);
      long g1 = h1 + c;
      c = carry(h1, c, g1);
      long g2 = h2 + c;
      long mask = -(g2 >>> 2);
      long t0 = (h0 & ~mask) | (g0 & mask);
      long t1 = (h1 & ~mask) | (g1 & mask);
      long u0 = t0 + pad0;
      c = carry(t0, pad0, u0);
      long u1 = t1 + pad1 + c;
      LONG.set(out, offset, u0);
      LONG.set(out, offset + 8, u1);
      h0 = 0;
      h1 = 0;
      h2 = 0;
      r0 = 0;
      r1 = 0;
      s1 = 0;
      pad0 = 0;
      pad1 = 0;
    }

    /** The carry out of {@code sum = a + b} (unsigned), as 0 or 1, without a branch. */
    private static long carry(long a, long b, long sum) {
      return ((a & b) | ((a | b) & ~sum)) >>> 63;
    }

    /** The high 64 bits of a · b unsigned, where b < 2^63 (r0, r1, s1 are below 2^61). */
    private static long mulHigh(long a, long b) {
      return Math.multiplyHigh(a, b) + ((a >> 63) & b);
    }
  }
}
