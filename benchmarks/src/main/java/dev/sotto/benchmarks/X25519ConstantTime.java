package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.internal.crypto.X25519;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Locale;

/**
 * A dudect-style timing test of Sotto's X25519 (Reparaz, Balasch and Verbauwhede, "Dude, is my
 * code constant time?", 2017): time the operation on a fixed secret and on random secrets,
 * interleaved in a random order, on warm (JIT-compiled) code, and compare the two distributions
 * with Welch's t-test, on all measurements and on measurements cropped at several percentiles
 * (which removes the long tail of interrupts and GC pauses). |t| above 4.5 is the usual sign of a
 * leak; below it, the test found none at this number of measurements.
 *
 * <p>Each target is run against a control that leaks on purpose ({@code BigInteger.modPow} with
 * the secret as exponent: its time follows the exponent's bits), to show that the test, on this
 * machine and at this number of measurements, does find a leak where there is one.
 *
 * <pre>
 * java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.X25519ConstantTime [measurements per target]
 * </pre>
 *
 * Default 100,000 measurements per target (about 20 s on 2 cores, warm-up included). Not a unit
 * test: it takes too long and its result depends on the machine's noise.
 */
public final class X25519ConstantTime {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  private static final double[] CROP_PERCENTILES = {100, 99, 95, 90, 75, 50};

  private X25519ConstantTime() {}

  /** The operation under test, on one secret. */
  private interface Target {
    Object run(byte[] secret) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    RandomSource random = Fixtures.random("x25519-constant-time");
    byte[] peerPublic = X25519.publicKey(X25519.generatePrivateKey(random));

    Target agree = secret -> X25519.agree(secret, peerPublic);
    Target publicKey = X25519::publicKey;
    Target leakyControl = secret -> BigInteger.valueOf(9).modPow(new BigInteger(1, clamp(secret)), P);

    // Fixed secrets: the clamped zero (one bit set: the least like a random scalar), all ones,
    // and 88..88.
    byte[] zero = new byte[32];
    byte[] ones = new byte[32];
    Arrays.fill(ones, (byte) 0xff);
    // For the fixed-base public key: every signed digit is -8 (the table's last entry, negated).
    byte[] eights = new byte[32];
    Arrays.fill(eights, (byte) 0x88);

    System.out.printf(Locale.ROOT, "dudect-style test, %,d measurements per line, Java %s%n", n,
        System.getProperty("java.version"));
    System.out.printf(Locale.ROOT, "%-40s %s%n", "target (fixed secret vs random secrets)",
        "Welch's t, cropped at percentile 100 / 99 / 95 / 90 / 75 / 50");
    report("X25519.agree, fixed = 0 (clamped)", agree, zero, n, random);
    report("X25519.agree, fixed = ff..ff", agree, ones, n, random);
    report("X25519.publicKey, fixed = 0 (clamped)", publicKey, zero, n, random);
    report("X25519.publicKey, fixed = ff..ff", publicKey, ones, n, random);
    report("X25519.publicKey, fixed = 88..88", publicKey, eights, n, random);
    report("control: modPow, fixed = 0 (clamped)", leakyControl, zero, n, random);
  }

  private static void report(String name, Target target, byte[] fixed, int n, RandomSource random) throws Exception {
    // The classes (0 = fixed, 1 = random) in a random order, and every input, drawn before timing.
    byte[] order = random.bytes(n);
    byte[][] inputs = new byte[n][];
    for (int i = 0; i < n; i++) {
      order[i] &= 1;
      inputs[i] = order[i] == 0 ? fixed.clone() : random.bytes(32);
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

  private static byte[] clamp(byte[] k) {
    byte[] c = k.clone();
    c[0] &= (byte) 248;
    c[31] &= 127;
    c[31] |= 64;
    byte[] bigEndian = new byte[32];
    for (int i = 0; i < 32; i++) {
      bigEndian[i] = c[31 - i];
    }
    return bigEndian;
  }
}
