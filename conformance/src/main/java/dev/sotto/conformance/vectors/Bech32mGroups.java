package dev.sotto.conformance.vectors;

/**
 * A second, independent Bech32m checksum writer over 5-bit groups given as characters: the
 * generator uses it to make texts that the library's own encoder would never write (non-zero
 * padding bits) but whose checksum is right.
 */
final class Bech32mGroups {
  private static final String ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int[] GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};

  private Bech32mGroups() {}

  static String encodeGroups(String prefix, String dataChars) {
    int chk = 1;
    int[] values = new int[prefix.length() * 2 + 1 + dataChars.length() + 6];
    int n = 0;
    for (char c : prefix.toCharArray()) {
      values[n++] = c >> 5;
    }
    values[n++] = 0;
    for (char c : prefix.toCharArray()) {
      values[n++] = c & 31;
    }
    for (char c : dataChars.toCharArray()) {
      values[n++] = ALPHABET.indexOf(c);
    }
    for (int v : values) {
      int top = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (int i = 0; i < 5; i++) {
        if (((top >>> i) & 1) != 0) {
          chk ^= GEN[i];
        }
      }
    }
    int mod = chk ^ 0x2bc830a3;
    StringBuilder out = new StringBuilder(prefix).append('1').append(dataChars);
    for (int i = 0; i < 6; i++) {
      out.append(ALPHABET.charAt((mod >>> (5 * (5 - i))) & 31));
    }
    return out.toString();
  }
}
