package dev.sotto.node;

/**
 * A back-off that doubles: {@code firstMillis} after the first failure in a row, twice that after
 * the second, and so on, never more than {@code maxMillis}; no jitter. A value: whoever counts the
 * failures (an outbox row, an address's health, a contact's fetches, a restore's loop) keeps the
 * count and what it does with the wait.
 */
record Backoff(long firstMillis, long maxMillis) {
  Backoff {
    if (firstMillis <= 0 || maxMillis < firstMillis) {
      throw new IllegalArgumentException("a back-off needs 0 < first <= max");
    }
  }

  /** The wait after {@code failures} failures in a row (1 or more), in milliseconds. */
  long afterMillis(long failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures must be 1 or more");
    }
    // Past the shift that reaches max, more doublings change nothing; the cap keeps the sign bit clear.
    int shift = (int) Math.min(failures - 1, Long.numberOfLeadingZeros(firstMillis) - 1);
    return Math.min(maxMillis, firstMillis << shift);
  }
}
