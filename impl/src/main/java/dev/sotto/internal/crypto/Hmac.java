package dev.sotto.internal.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;

/**
 * HMAC-SHA-256 (RFC 2104) and SHA-256 (FIPS 180-4). spec: suite.adoc#hmac
 *
 * <p>SHA-256 is the JDK's own (the SUN provider's), whose compression function HotSpot replaces
 * with the processor's SHA instructions or vector code on x86-64 and AArch64 (JDK 17 included):
 * several times Bouncy Castle's pure-Java SHA256Digest, which this class used before and which the
 * tests keep as an oracle. HMAC is computed here over it (RFC 2104, a 64-byte block), so that the
 * padded keys are this class's own arrays, cleared after use. No branch or index depends on the
 * key's bytes, only on its length.
 */
public final class Hmac {
  public static final int LENGTH = 32;
  private static final int BLOCK = 64;
  private static final MessageDigest PROTOTYPE = prototype();

  private Hmac() {}

  /** HMAC-SHA-256(key, part_1 || part_2 || ...). */
  public static byte[] sha256(byte[] key, byte[]... parts) {
    Keyed mac = new Keyed(key);
    for (byte[] part : parts) {
      mac.md.update(part);
    }
    return mac.finish();
  }

  /** HMAC-SHA-256(key, prefix_1 || prefix_2 || ... || data[offset, offset + length)), without copying data. */
  public static byte[] sha256Then(byte[] key, byte[] data, int offset, int length, byte[]... prefix) {
    java.util.Objects.checkFromIndexSize(offset, length, data.length);
    Keyed mac = new Keyed(key);
    for (byte[] part : prefix) {
      mac.md.update(part);
    }
    mac.md.update(data, offset, length);
    return mac.finish();
  }

  /** SHA-256(part_1 || part_2 || ...). */
  public static byte[] hash(byte[]... parts) {
    MessageDigest md = sha256();
    for (byte[] part : parts) {
      md.update(part);
    }
    return md.digest();
  }

  /** A fresh SHA-256 digest (a clone of one prototype: no provider look-up per call). */
  static MessageDigest sha256() {
    try {
      return (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
    }
  }

  /** One HMAC computation: the inner hash under way, and the outer padded key. */
  private static final class Keyed {
    final MessageDigest md = sha256();
    final byte[] outerPad = new byte[BLOCK];

    Keyed(byte[] key) {
      byte[] k = key.length > BLOCK ? md.digest(key) : key; // digest() resets md
      byte[] innerPad = new byte[BLOCK];
      System.arraycopy(k, 0, innerPad, 0, k.length);
      System.arraycopy(k, 0, outerPad, 0, k.length);
      for (int i = 0; i < BLOCK; i++) {
        innerPad[i] ^= 0x36;
        outerPad[i] ^= 0x5c;
      }
      md.update(innerPad);
      Arrays.fill(innerPad, (byte) 0);
      if (k != key) {
        Arrays.fill(k, (byte) 0);
      }
    }

    byte[] finish() {
      byte[] inner = md.digest();
      md.update(outerPad);
      md.update(inner);
      byte[] out = md.digest();
      Arrays.fill(inner, (byte) 0);
      Arrays.fill(outerPad, (byte) 0);
      return out;
    }
  }

  private static MessageDigest prototype() {
    try {
      // The SUN provider's SHA-256 (the intrinsified one), whatever providers an application adds.
      Provider sun = Security.getProvider("SUN");
      return sun != null ? MessageDigest.getInstance("SHA-256", sun) : MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }
}
