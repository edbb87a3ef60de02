package dev.sotto.internal.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/** HMAC-SHA-256 (RFC 2104) and SHA-256 (FIPS 180-4). spec: suite.adoc#hmac */
public final class Hmac {
  public static final int LENGTH = 32;

  private Hmac() {}

  /** HMAC-SHA-256(key, part_1 || part_2 || ...). */
  public static byte[] sha256(byte[] key, byte[]... parts) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(key));
    for (byte[] part : parts) {
      mac.update(part, 0, part.length);
    }
    byte[] out = new byte[LENGTH];
    mac.doFinal(out, 0);
    return out;
  }

  /** HMAC-SHA-256(key, prefix_1 || prefix_2 || ... || data[offset, offset + length)), without copying data. */
  public static byte[] sha256Then(byte[] key, byte[] data, int offset, int length, byte[]... prefix) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(key));
    for (byte[] part : prefix) {
      mac.update(part, 0, part.length);
    }
    mac.update(data, offset, length);
    byte[] out = new byte[LENGTH];
    mac.doFinal(out, 0);
    return out;
  }

  /** SHA-256(part_1 || part_2 || ...). */
  public static byte[] hash(byte[]... parts) {
    SHA256Digest digest = new SHA256Digest();
    for (byte[] part : parts) {
      digest.update(part, 0, part.length);
    }
    byte[] out = new byte[LENGTH];
    digest.doFinal(out, 0);
    return out;
  }
}
