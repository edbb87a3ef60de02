package dev.sotto.node.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The plaintext of a sealed column: a format byte ({@link #ROW} for a row's value,
 * {@link #FILLER} for a filler row's), then fields in an order each column fixes (u64 big-endian
 * integers, one-byte booleans, byte strings as a u32 length, 0xffffffff for null, then the
 * bytes), then zeros up to the padded length. A value that does not read as its column says is
 * {@code CORRUPT}.
 */
final class Fields {
  static final int FILLER = 0;
  static final int ROW = 1;

  private Fields() {}

  /** Writes a row's fields. */
  static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Writer() {
      out.write(ROW);
    }

    Writer u64(long value) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
      return this;
    }

    Writer bool(boolean value) {
      out.write(value ? 1 : 0);
      return this;
    }

    Writer bytes(byte[] value) {
      if (value == null) {
        return u32(0xffffffffL);
      }
      u32(value.length);
      out.writeBytes(value);
      return this;
    }

    Writer string(String value) {
      return bytes(value.getBytes(StandardCharsets.UTF_8));
    }

    Writer u64s(long[] values) {
      u32(values.length);
      for (long v : values) {
        u64(v);
      }
      return this;
    }

    private Writer u32(long value) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
      return this;
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }
  }

  /** Reads a row's fields from an opened, padded plaintext. */
  static final class Reader {
    private final byte[] in;
    private final String what;
    private int at;

    /** @param what the table and column, for the message of a failure */
    Reader(byte[] plaintext, String what) throws StoreException {
      this.in = plaintext;
      this.what = what;
      if (in.length == 0 || (in[0] != ROW && in[0] != FILLER)) {
        throw corrupt();
      }
      at = 1;
    }

    /** Whether this is a filler row's value (which has no fields). */
    boolean filler() {
      return in[0] == FILLER;
    }

    long u64() throws StoreException {
      need(8);
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (in[at++] & 0xff);
      }
      return value;
    }

    boolean bool() throws StoreException {
      need(1);
      int b = in[at++];
      if (b != 0 && b != 1) {
        throw corrupt();
      }
      return b == 1;
    }

    byte[] bytes() throws StoreException {
      need(4);
      long length = 0;
      for (int i = 0; i < 4; i++) {
        length = (length << 8) | (in[at++] & 0xff);
      }
      if (length == 0xffffffffL) {
        return null;
      }
      need(length);
      byte[] out = Arrays.copyOfRange(in, at, at + (int) length);
      at += (int) length;
      return out;
    }

    String string() throws StoreException {
      byte[] utf8 = bytes();
      if (utf8 == null) {
        throw corrupt();
      }
      return new String(utf8, StandardCharsets.UTF_8);
    }

    long[] u64s() throws StoreException {
      need(4);
      long count = 0;
      for (int i = 0; i < 4; i++) {
        count = (count << 8) | (in[at++] & 0xff);
      }
      need(count * 8);
      long[] out = new long[(int) count];
      for (int i = 0; i < out.length; i++) {
        out[i] = u64();
      }
      return out;
    }

    /** Checks that only padding (zeros) is left. */
    void end() throws StoreException {
      for (int i = at; i < in.length; i++) {
        if (in[i] != 0) {
          throw corrupt();
        }
      }
    }

    private void need(long n) throws StoreException {
      if (n > in.length - at) {
        throw corrupt();
      }
    }

    private StoreException corrupt() {
      return new StoreException(StoreException.Kind.CORRUPT, "a sealed value in " + what + " is malformed");
    }
  }
}
