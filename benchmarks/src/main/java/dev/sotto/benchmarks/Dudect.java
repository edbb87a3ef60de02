package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import java.util.Arrays;
import java.util.Locale;

/**
 * The harness of the dudect-style timing tests ({@link X25519ConstantTime}, {@link
 * AeadConstantTime}; Reparaz, Balasch and Verbauwhede, "Dude, is my code constant time?", 2017):
 * time an operation on a fixed secret and on random secrets, interleaved in a random order, on
 * warm (JIT-compiled) code, and compare the two distributions with Welch's t-test, on all
 * measurements and on measurements cropped at several percentiles (which removes the long tail of
 * interrupts and GC pauses). |t| above 4.5 is the usual sign of a leak; below it, the test found
 * none at this number of measurements.
 */
final class Dudect {
  private static final double[] CROP_PERCENTILES = {100, 99, 95, 90, 75, 50};

  private Dudect() {}

  /** The operation under test, on one secret. */
  interface Target {
    Object run(byte[] secret) throws Exception;
  }

  static void header() {
    System.out.printf(Locale.ROOT, "%-40s %s%n", "target (fixed secret vs random secrets)",
        "Welch's t, cropped at percentile 100 / 99 / 95 / 90 / 75 / 50");
  }

  /** Times {@code target} on {@code fixed} and on random secrets of its length, n times in all, and prints the t values. */
  static void report(String name, Target target, byte[] fixed, int n, RandomSource random) throws Exception {
    // The classes (0 = fixed, 1 = random) in a random order, and every input, drawn before timing.
    byte[] order = random.bytes(n);
    byte[][] inputs = new byte[n][];
    for (int i = 0; i < n; i++) {
      order[i] &= 1;
      inputs[i] = order[i] == 0 ? fixed.clone() : random.bytes(fixed.length);
    }
    // Warm-up on the same mix, so that C2 has compiled the code before anything is timed.
    long sink = 0;
    for (int i = 0; i < Math.min(n, 20_000); i++) {
      sink += target.run(inputs[i]).hashCode();
    }
    long[] times = new long[n];
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      Object result = target.run(inputs[i]);
      times[i] = System.nanoTime() - start;
      sink += result.hashCode();
    }
    long[] sorted = times.clone();
    Arrays.sort(sorted);
    StringBuilder line = new StringBuilder();
    double max = 0;
    for (double percentile : CROP_PERCENTILES) {
      long limit = sorted[Math.min(n - 1, (int) Math.ceil(percentile / 100 * n) - 1)];
      double t = welch(times, order, limit);
      max = Math.max(max, Math.abs(t));
      line.append(String.format(Locale.ROOT, " %7.2f", t));
    }
    System.out.printf(Locale.ROOT, "%-40s%s   max |t| %.2f %s (median %.1f us)%n", name, line, max,
        max > 4.5 ? "LEAK?" : "ok", sorted[n / 2] / 1000.0);
    if (sink == 42) {
      System.out.print("");
    }
  }

  /** Welch's t statistic between class 0 and class 1, over the times at or below {@code limit}. */
  private static double welch(long[] times, byte[] order, long limit) {
    double[] mean = new double[2];
    double[] m2 = new double[2];
    long[] count = new long[2];
    for (int i = 0; i < times.length; i++) {
      if (times[i] > limit) {
        continue;
      }
      int c = order[i];
      count[c]++;
      double delta = times[i] - mean[c];
      mean[c] += delta / count[c];
      m2[c] += delta * (times[i] - mean[c]);
    }
    double var0 = m2[0] / (count[0] - 1);
    double var1 = m2[1] / (count[1] - 1);
    return (mean[0] - mean[1]) / Math.sqrt(var0 / count[0] + var1 / count[1]);
  }

}
