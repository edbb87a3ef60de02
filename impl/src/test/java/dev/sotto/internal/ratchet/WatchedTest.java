package dev.sotto.internal.ratchet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The watched message numbers (spec: envelope.adoc#tags), computed one at a time for the tag
 * look-up, against the list as it was built before, for every start and a few windows.
 */
class WatchedTest {
  /** The list as DoubleRatchet built it before its numbers were computed one at a time. */
  static long[] listed(long from, int window) {
    long last = RatchetState.MAX_CHAIN - 1;
    long windowEnd = Math.min(from + window, RatchetState.MAX_CHAIN);
    long[] out = new long[window + RatchetState.MAX_CHAIN / window + 1];
    int i = 0;
    for (long n = from; n < windowEnd; n++) {
      out[i++] = n;
    }
    for (long n = (windowEnd + window - 1) / window * window; n < last; n += window) {
      out[i++] = n;
    }
    if (windowEnd <= last) {
      out[i++] = last;
    }
    return Arrays.copyOf(out, i);
  }

  @Test
  void theNumbersOneAtATimeAreTheList() {
    for (int window : new int[] {1, 3, 7, 32, 37, 333, 999, 1000}) {
      for (long from = 0; from <= RatchetState.MAX_CHAIN; from++) {
        assertArrayEquals(listed(from, window), DoubleRatchet.watched(from, window),
            "from " + from + ", window " + window);
      }
    }
  }
}
