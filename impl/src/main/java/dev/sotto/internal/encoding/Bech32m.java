package dev.sotto.internal.encoding;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import java.io.ByteArrayOutputStream;
import java.util.Locale;

/**
 * The text forms of Sotto (spec: encoding.adoc#text-forms): Bech32m (BIP 350) over the bytes
 * regrouped into 5-bit groups, with a fixed human-readable prefix per kind of object. Unlike
 * BIP 173/350, no length limit applies.
 */
public final class Bech32m {
  private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int CONSTANT = 0x2bc830a3;
  private static final int[] GENERATOR = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  private static final int[] VALUES = new int[128];

  static {
    java.util.Arrays.fill(VALUES, -1);
    for (int i = 0; i < CHARSET.length(); i++) {
      VALUES[CHARSET.charAt(i)] = i;
    }
  }

  private Bech32m() {}

  private static int polymod(byte[] values) {
    int chk = 1;
    for (byte v : values) {
      int top = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (int i = 0; i < 5; i++) {
        if (((top >>> i) & 1) != 0) {
          chk ^= GENERATOR[i];
        }
      }
    }
    return chk;
  }

  private static byte[] expandPrefix(String prefix) {
    int n = prefix.length();
    byte[] out = new byte[2 * n + 1];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) (prefix.charAt(i) >>> 5);
      out[n + 1 + i] = (byte) (prefix.charAt(i) & 31);
    }
    return out;
  }

  private static int checksumInput(String prefix, byte[] groups) {
    byte[] expanded = expandPrefix(prefix);
    byte[] all = new byte[expanded.length + groups.length + 6];
    System.arraycopy(expanded, 0, all, 0, expanded.length);
    System.arraycopy(groups, 0, all, expanded.length, groups.length);
    return polymod(all);
  }

  /** Encodes {@code data} under {@code prefix} (lowercase ASCII letters): prefix || "1" || groups || checksum. */
  public static String encode(String prefix, byte[] data) {
    byte[] groups = toGroups(data);
    int mod = checksumInput(prefix, groups) ^ CONSTANT;
    StringBuilder out = new StringBuilder(prefix.length() + 1 + groups.length + 6);
    out.append(prefix).append('1');
    for (byte g : groups) {
      out.append(CHARSET.charAt(g));
    }
    for (int i = 0; i < 6; i++) {
      out.append(CHARSET.charAt((mod >>> (5 * (5 - i))) & 31));
    }
    return out.toString();
  }

  /**
   * Decodes a text form that must carry {@code prefix}. All-lowercase and all-uppercase text
   * are accepted; mixed case is not.
   *
   * @throws SottoException {@link ErrorCode#INVALID_TEXT} for a wrong prefix, a character
   *     outside the alphabet, mixed case, a text too short to hold a checksum, or non-zero
   *     padding bits; {@link ErrorCode#BAD_CHECKSUM} when the checksum does not match
   */
  public static byte[] decode(String prefix, String text, String what) throws SottoException {
    boolean lower = false;
    boolean upper = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 33 || c > 126) {
        throw new SottoException(ErrorCode.INVALID_TEXT, what + ": character outside printable ASCII at position " + i);
      }
      lower |= c >= 'a' && c <= 'z';
      upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper) {
      throw new SottoException(ErrorCode.INVALID_TEXT, what + ": mixed upper and lower case");
    }
    String s = text.toLowerCase(Locale.ROOT);
    int separator = s.lastIndexOf('1');
    if (separator < 0 || !s.substring(0, separator).equals(prefix)) {
      throw new SottoException(ErrorCode.INVALID_TEXT, what + ": must start with '" + prefix + "1'");
    }
    int count = s.length() - separator - 1;
    if (count < 6) {
      throw new SottoException(ErrorCode.INVALID_TEXT, what + ": too short to hold a checksum");
    }
    byte[] groups = new byte[count - 6];
    byte[] withChecksum = new byte[count];
    for (int i = 0; i < count; i++) {
      char c = s.charAt(separator + 1 + i);
      int v = c < 128 ? VALUES[c] : -1;
      if (v < 0) {
        throw new SottoException(
            ErrorCode.INVALID_TEXT, what + ": character '" + c + "' at position " + (separator + 1 + i) + " is not in the alphabet");
      }
      withChecksum[i] = (byte) v;
    }
    System.arraycopy(withChecksum, 0, groups, 0, groups.length);
    byte[] expanded = expandPrefix(prefix);
    byte[] all = new byte[expanded.length + count];
    System.arraycopy(expanded, 0, all, 0, expanded.length);
    System.arraycopy(withChecksum, 0, all, expanded.length, count);
    if (polymod(all) != CONSTANT) {
      throw new SottoException(ErrorCode.BAD_CHECKSUM, what + ": checksum does not match (a typing error?)");
    }
    return fromGroups(groups, what);
  }

  private static byte[] toGroups(byte[] data) {
    byte[] out = new byte[(data.length * 8 + 4) / 5];
    int acc = 0;
    int bits = 0;
    int n = 0;
    for (byte b : data) {
      acc = (acc << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out[n++] = (byte) ((acc >>> bits) & 31);
      }
    }
    if (bits > 0) {
      out[n++] = (byte) ((acc << (5 - bits)) & 31);
    }
    return out;
  }

  private static byte[] fromGroups(byte[] groups, String what) throws SottoException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(groups.length * 5 / 8);
    int acc = 0;
    int bits = 0;
    for (byte g : groups) {
      acc = ((acc << 5) | g) & 0xfff;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out.write((acc >>> bits) & 0xff);
      }
    }
    // Canonical padding: fewer than 5 leftover bits, all zero.
    if (bits >= 5 || (acc & ((1 << bits) - 1)) != 0) {
      throw new SottoException(ErrorCode.INVALID_TEXT, what + ": non-canonical padding bits");
    }
    return out.toByteArray();
  }
}
