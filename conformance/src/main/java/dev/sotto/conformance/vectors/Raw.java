package dev.sotto.conformance.vectors;

import java.io.ByteArrayOutputStream;

/** Big-endian integers for the raw encoders, written without the library's writer. */
final class Raw {
  private Raw() {}

  static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  static void u32(ByteArrayOutputStream out, long v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift));
    }
  }

  static void u64(ByteArrayOutputStream out, long v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift));
    }
  }

  static byte[] u64(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    u64(out, v);
    return out.toByteArray();
  }

  static byte[] u32(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    u32(out, v);
    return out.toByteArray();
  }
}
