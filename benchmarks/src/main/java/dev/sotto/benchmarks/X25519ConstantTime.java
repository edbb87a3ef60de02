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

  private X25519ConstantTime() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    RandomSource random = Fixtures.random("x25519-constant-time");
    byte[] peerPublic = X25519.publicKey(X25519.generatePrivateKey(random));

    Dudect.Target agree = secret -> X25519.agree(secret, peerPublic);
    Dudect.Target publicKey = X25519::publicKey;
    Dudect.Target leakyControl = secret -> BigInteger.valueOf(9).modPow(new BigInteger(1, clamp(secret)), P);

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
    Dudect.header();
    Dudect.report("X25519.agree, fixed = 0 (clamped)", agree, zero, n, random);
    Dudect.report("X25519.agree, fixed = ff..ff", agree, ones, n, random);
    Dudect.report("X25519.publicKey, fixed = 0 (clamped)", publicKey, zero, n, random);
    Dudect.report("X25519.publicKey, fixed = ff..ff", publicKey, ones, n, random);
    Dudect.report("X25519.publicKey, fixed = 88..88", publicKey, eights, n, random);
    Dudect.report("control: modPow, fixed = 0 (clamped)", leakyControl, zero, n, random);
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
