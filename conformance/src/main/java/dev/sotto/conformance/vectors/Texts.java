package dev.sotto.conformance.vectors;

import dev.sotto.internal.encoding.Bech32m;
import java.util.Arrays;

/** Small edits that make invalid inputs from valid ones. */
final class Texts {
  private static final String ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

  private Texts() {}

  /** Replaces the character at {@code index} by the next one of the Bech32 alphabet. */
  static String substitute(String text, int index) {
    char c = text.charAt(index);
    char next = ALPHABET.charAt((ALPHABET.indexOf(c) + 1) % ALPHABET.length());
    return text.substring(0, index) + next + text.substring(index + 1);
  }

  /** Swaps the characters at {@code index} and {@code index + 1}, which must differ. */
  static String swap(String text, int index) {
    while (text.charAt(index) == text.charAt(index + 1)) {
      index++;
    }
    return text.substring(0, index) + text.charAt(index + 1) + text.charAt(index) + text.substring(index + 2);
  }

  /**
   * A text form of {@code data} whose last data character carries a non-zero padding bit, with a
   * correct checksum: only the padding rule rejects it. Requires a data length whose bit count is
   * not a multiple of 5.
   */
  static String withPaddingBit(String prefix, byte[] data) {
    if ((data.length * 8) % 5 == 0) {
      throw new IllegalArgumentException("no padding bits at this length");
    }
    String good = Bech32m.encode(prefix, data);
    int lastData = good.length() - 7;
    int value = ALPHABET.indexOf(good.charAt(lastData)) | 1;
    String edited = good.substring(0, lastData) + ALPHABET.charAt(value);
    // Recompute the checksum over the edited groups by re-encoding them through the group form.
    return Bech32mGroups.encodeGroups(prefix, edited.substring(prefix.length() + 1));
  }

  /**
   * The text form of {@code data} with one more data character, of value zero, and a correct
   * checksum: 5 more bits, all zero. When the text's own padding is 0, 1 or 2 bits, 5, 6 or 7
   * bits are then left after the last whole byte, which a reader rejects with INVALID_TEXT; with
   * 3 or 4 bits of padding the extra character completes one more byte, of value zero.
   */
  static String withExtraZeroGroup(String prefix, byte[] data) {
    String good = Bech32m.encode(prefix, data);
    String dataChars = good.substring(prefix.length() + 1, good.length() - 6);
    return Bech32mGroups.encodeGroups(prefix, dataChars + ALPHABET.charAt(0));
  }

  /** The number of padding bits of the text form of {@code length} bytes. */
  static int paddingBits(int length) {
    return (5 - (length * 8) % 5) % 5;
  }

  static byte[] with(byte[] data, int index, int value) {
    byte[] out = data.clone();
    out[index] = (byte) value;
    return out;
  }

  static byte[] replace(byte[] data, int offset, byte[] replacement) {
    byte[] out = data.clone();
    System.arraycopy(replacement, 0, out, offset, replacement.length);
    return out;
  }

  /** {@code data} with byte {@code index} XORed with {@code mask} (default: the lowest bit). */
  static byte[] flip(byte[] data, int index, int mask) {
    byte[] out = data.clone();
    out[index] ^= (byte) mask;
    return out;
  }

  static byte[] flip(byte[] data, int index) {
    return flip(data, index, 0x01);
  }

  static byte[] cut(byte[] data, int length) {
    return Arrays.copyOf(data, length);
  }
}
