package dev.sotto.internal.encoding;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.Suite;
import java.util.Arrays;

/**
 * Reads Sotto's binary encodings (spec: encoding.adoc): fixed-width big-endian integers and
 * fixed-length byte strings, front to back. Every read past the end is
 * {@link ErrorCode#TRUNCATED}; {@link #end()} rejects what is left as {@link ErrorCode#TRAILING_DATA}.
 */
public final class Reader {
  private final byte[] input;
  private final String structure;
  private final boolean decrypted;
  private final int base;
  private final int end;
  private int position;

  public Reader(byte[] input, String structure) {
    this(input, 0, input.length, structure, false);
  }

  private Reader(byte[] input, int from, int to, String structure, boolean decrypted) {
    java.util.Objects.checkFromToIndex(from, to, input.length);
    this.input = input;
    this.structure = structure;
    this.decrypted = decrypted;
    this.position = from;
    this.base = from;
    this.end = to;
  }

  /**
   * A reader of {@code input[from, to)}, as if it were the whole input: its error texts count
   * offsets from {@code from} (a ratchet message read in place inside its envelope).
   */
  public static Reader slice(byte[] input, int from, int to, String structure) {
    return new Reader(input, from, to, structure, false);
  }

  /**
   * A reader for bytes that were decrypted (a ratchet header, a content, a node message, an
   * initiator's identity): its error texts name the structure and the field, and never a value,
   * a length or an offset read from the input (spec: errors.adoc#error-texts).
   */
  public static Reader decrypted(byte[] input, String structure) {
    return new Reader(input, 0, input.length, structure, true);
  }

  /** As {@link #decrypted(byte[], String)}, over {@code input[from, to)} only (a content opened in place). */
  public static Reader decrypted(byte[] input, int from, int to, String structure) {
    return new Reader(input, from, to, structure, true);
  }

  public int position() {
    return position;
  }

  public int remaining() {
    return end - position;
  }

  private void need(long length, String field) throws SottoException {
    if (remaining() < length) {
      if (decrypted) {
        throw new SottoException(ErrorCode.TRUNCATED, structure + " truncated: field '" + field + "'");
      }
      throw new SottoException(
          ErrorCode.TRUNCATED,
          structure + " truncated: field '" + field + "' needs " + length + " bytes at offset " + (position - base)
              + ", " + remaining() + " left");
    }
  }

  public int u8(String field) throws SottoException {
    need(1, field);
    return input[position++] & 0xff;
  }

  public int u16(String field) throws SottoException {
    need(2, field);
    int value = ((input[position] & 0xff) << 8) | (input[position + 1] & 0xff);
    position += 2;
    return value;
  }

  public long u32(String field) throws SottoException {
    need(4, field);
    long value = 0;
    for (int i = 0; i < 4; i++) {
      value = (value << 8) | (input[position + i] & 0xff);
    }
    position += 4;
    return value;
  }

  /** A u64 that must be below 2^63 (so it fits a Java long); larger values are {@link ErrorCode#INVALID_ENCODING}. */
  public long u64(String field) throws SottoException {
    need(8, field);
    int start = position;
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (input[position + i] & 0xff);
    }
    position += 8;
    if (value < 0) {
      throw invalid(field, start, "value must be below 2^63");
    }
    return value;
  }

  /** The next {@code length} bytes; a length read from a {@code u32} may exceed an int: TRUNCATED all the same. */
  public byte[] bytes(long length, String field) throws SottoException {
    need(length, field);
    byte[] out = Arrays.copyOfRange(input, position, position + (int) length);
    position += (int) length;
    return out;
  }

  /**
   * Reads the rest of the input as padding: every byte must be zero, otherwise INVALID_ENCODING
   * at the first one that is not.
   */
  public void zeros(String field) throws SottoException {
    for (int from = position; from < end; from += ZEROS.length) {
      int to = Math.min(end, from + ZEROS.length);
      int mismatch = Arrays.mismatch(input, from, to, ZEROS, 0, to - from);
      if (mismatch >= 0) {
        throw invalid(field, from + mismatch, "padding byte is not zero");
      }
    }
    position = end;
  }

  private static final byte[] ZEROS = new byte[4096];

  /** Reads the u8 version of a structure: UNSUPPORTED_VERSION unless it is {@code expected}. */
  public void version(int expected, String what) throws SottoException {
    int version = u8("version");
    if (version != expected) {
      throw new SottoException(ErrorCode.UNSUPPORTED_VERSION, decrypted ? what + ": unsupported version" : what + " version " + version);
    }
  }

  /** Reads a u16 suite id: UNSUPPORTED_SUITE unless it is SOTTO-1's (spec: suite.adoc). */
  public void suite() throws SottoException {
    int suite = u16("suite");
    if (suite != Suite.SOTTO_1.id()) {
      throw new SottoException(ErrorCode.UNSUPPORTED_SUITE,
          decrypted ? structure + ": unsupported suite" : String.format("suite 0x%04x", suite));
    }
  }

  /** Requires that the whole input has been read. */
  public void end() throws SottoException {
    if (remaining() != 0) {
      if (decrypted) {
        throw new SottoException(ErrorCode.TRAILING_DATA, structure + ": bytes after the end");
      }
      throw new SottoException(
          ErrorCode.TRAILING_DATA, structure + ": " + remaining() + " bytes after the end at offset " + (position - base));
    }
  }

  /** An {@link ErrorCode#INVALID_ENCODING} error for the field that started at {@code offset}. */
  public SottoException invalid(String field, int offset, String why) {
    if (decrypted) {
      return new SottoException(ErrorCode.INVALID_ENCODING, structure + ": field '" + field + "' is invalid");
    }
    return new SottoException(ErrorCode.INVALID_ENCODING, structure + ": field '" + field + "' at offset " + (offset - base) + ": " + why);
  }
}
