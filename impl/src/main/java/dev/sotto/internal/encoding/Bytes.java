package dev.sotto.internal.encoding;

import java.security.MessageDigest;
import java.util.HexFormat;

/** Small byte-array helpers. */
public final class Bytes {
  private static final HexFormat HEX = HexFormat.of();

  private Bytes() {}

  public static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int offset = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, offset, part.length);
      offset += part.length;
    }
    return out;
  }

  /** Lowercase hex, the form of every byte string in the vectors. */
  public static String hex(byte[] value) {
    return HEX.formatHex(value);
  }

  /** Parses hex (either case); throws IllegalArgumentException on anything else. */
  public static byte[] unhex(String value) {
    return HEX.parseHex(value);
  }

  /** Constant-time equality (for secrets and tags). */
  public static boolean constantTimeEquals(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }

  /** Throws IllegalArgumentException (API misuse, not bad input) unless {@code value} has {@code length} bytes. */
  public static void requireLength(byte[] value, int length, String what) {
    if (value == null || value.length != length) {
      throw new IllegalArgumentException(what + " must be " + length + " bytes");
    }
  }
}
