package dev.sotto.node.store;

/**
 * The sizes a stolen store shows: the lengths of sealed values and the row counts of tables,
 * both rounded up so that they tell little.
 *
 * <p>A sealed value's plaintext is padded with zeros to {@link #length}: at least the column's
 * minimum, and above it Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files
 * and Communication with PURBs", PETS 2019, section 4): a length L whose highest bit is bit E
 * keeps only its top floor(log2 E) + 1 bits, so that a padded length shows O(log log L) bits
 * and costs at most 12 % more. A table holds {@link #rows} rows: its real ones, and filler rows
 * that look like them.
 */
final class Padding {
  /** A table never shows fewer rows than this, nor a count that is not a multiple of it. */
  static final int MIN_ROWS = 16;

  private Padding() {}

  /** The padded length of a plaintext of {@code length} bytes in a column whose minimum is {@code min}. */
  static int length(int length, int min) {
    if (length <= min) {
      return min;
    }
    int e = 31 - Integer.numberOfLeadingZeros(length); // floor(log2 L)
    int s = 32 - Integer.numberOfLeadingZeros(e); // floor(log2 E) + 1
    int mask = (1 << (e - s)) - 1;
    long padded = ((long) length + mask) & ~mask;
    if (padded > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a value of " + length + " bytes is too long to seal");
    }
    return (int) padded;
  }

  /**
   * How many rows a table of {@code real} rows holds: {@code real} rounded up to a multiple of
   * 16, or of an eighth of the largest power of two not above it when that is larger (so 7 rows
   * show as 16, 200 as 208, 2,006 as 2,048, 5,000 as 5,120); never fewer than 16.
   */
  static long rows(long real) {
    if (real < 0) {
      throw new IllegalArgumentException("a negative row count");
    }
    long step = Math.max(MIN_ROWS, Long.highestOneBit(real) / 8);
    return Math.max(step, (real + step - 1) / step * step);
  }
}
