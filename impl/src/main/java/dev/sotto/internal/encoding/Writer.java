package dev.sotto.internal.encoding;

import java.io.ByteArrayOutputStream;

/** Writes Sotto's binary encodings (spec: encoding.adoc): big-endian fixed-width integers and raw bytes. */
public final class Writer {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public Writer u8(int value) {
    if (value < 0 || value > 0xff) {
      throw new IllegalArgumentException("u8 out of range");
    }
    out.write(value);
    return this;
  }

  public Writer u16(int value) {
    if (value < 0 || value > 0xffff) {
      throw new IllegalArgumentException("u16 out of range");
    }
    out.write(value >>> 8);
    out.write(value);
    return this;
  }

  public Writer u32(long value) {
    if (value < 0 || value > 0xffffffffL) {
      throw new IllegalArgumentException("u32 out of range");
    }
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.write((int) (value >>> shift));
    }
    return this;
  }

  public Writer u64(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("u64 must be below 2^63");
    }
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (value >>> shift));
    }
    return this;
  }

  public Writer bytes(byte[] value) {
    out.write(value, 0, value.length);
    return this;
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
