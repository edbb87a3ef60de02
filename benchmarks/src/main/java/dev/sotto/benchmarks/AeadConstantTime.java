package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import java.util.Arrays;
import java.util.Locale;

/**
 * A dudect-style timing test ({@link Dudect}) of the pure-Java ChaCha20-Poly1305 backend
 * ({@code Aead.Backend.JAVA}, which serves every input on JDK 17 to 19): sealing and opening under
 * a fixed key against random keys, and sealing a fixed plaintext against random ones, at 64 bytes
 * (one ChaCha20 block, four Poly1305 blocks with the lengths) and 1 KiB. The key and the plaintext
 * are the secrets; the nonce, the associated data and the lengths are public. A control that leaks
 * on purpose ({@code BigInteger.modPow} with the key as exponent, as in {@link X25519ConstantTime})
 * shows that the test finds a leak on this machine at this number of measurements.
 *
 * <pre>
 * java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.AeadConstantTime [measurements per target]
 * </pre>
 *
 * Default 100,000 measurements per target. Not a unit test: it takes too long and its result
 * depends on the machine's noise.
 */
public final class AeadConstantTime {
  private AeadConstantTime() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    RandomSource random = Fixtures.random("aead-constant-time");
    byte[] nonce = new byte[12];
    byte[] aad = "aad".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] small = random.bytes(64);
    byte[] kib = random.bytes(1024);
    byte[] key = random.bytes(32);

    Dudect.Target seal64 = k -> Aead.seal(Aead.Backend.JAVA, k, nonce, aad, small);
    Dudect.Target seal1k = k -> Aead.seal(Aead.Backend.JAVA, k, nonce, aad, kib);
    Dudect.Target sealPlain = p -> Aead.seal(Aead.Backend.JAVA, key, nonce, aad, p);
    // Opening: each key's own sealed box, so that every tag verifies in both classes.
    Dudect.Target open64 = k -> {
      try {
        return Aead.open(Aead.Backend.JAVA, k, nonce, aad, Aead.seal(Aead.Backend.JAVA, k, nonce, aad, small));
      } catch (SottoException e) {
        throw new IllegalStateException("a box sealed here did not open", e);
      }
    };
    java.math.BigInteger p = java.math.BigInteger.TWO.pow(255).subtract(java.math.BigInteger.valueOf(19));
    Dudect.Target leakyControl = k -> java.math.BigInteger.valueOf(9).modPow(new java.math.BigInteger(1, k), p);

    byte[] zeros = new byte[32];
    byte[] ones = new byte[32];
    Arrays.fill(ones, (byte) 0xff);
    System.out.printf(Locale.ROOT, "dudect-style test, %,d measurements per line, Java %s, backend JAVA%n", n,
        System.getProperty("java.version"));
    Dudect.header();
    Dudect.report("seal 64 B, fixed key = 00..00", seal64, zeros, n, random);
    Dudect.report("seal 64 B, fixed key = ff..ff", seal64, ones, n, random);
    Dudect.report("seal 1 KiB, fixed key = 00..00", seal1k, zeros, n, random);
    Dudect.report("seal+open 64 B, fixed key = 00..00", open64, zeros, n, random);
    Dudect.report("seal 64 B, fixed plaintext = 00..00", sealPlain, new byte[64], n, random);
    Dudect.report("seal 1 KiB, fixed plaintext = ff..ff", sealPlain, filled(1024, 0xff), n, random);
    Dudect.report("control: modPow, fixed key = 00..00", leakyControl, zeros, n, random);
  }

  private static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
