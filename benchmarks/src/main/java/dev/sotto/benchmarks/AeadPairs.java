package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Sotto's primitives beside the Bouncy Castle code they replaced, in the manner of {@link FloorPairs},
 * which a loaded machine does not upset: ChaCha20-Poly1305 sealing and opening through this
 * project's pure Java ({@code Aead.Backend.JAVA}) and through Bouncy Castle's, for each length;
 * HMAC-SHA-256 (of a 28-byte label, 1 KiB, 16 KiB) and HKDF-SHA-256 (44 bytes, as a ratchet message
 * key) through {@code Hmac} and {@code Hkdf} (the JDK's SHA-256) and through Bouncy Castle's HMac and
 * HKDFBytesGenerator. Each pair alternated in 200 ms blocks in one JVM, each block timed in thread
 * CPU time. It prints the median CPU µs per operation of each and the median and quartiles of the
 * per-round ratios Sotto / Bouncy Castle.
 *
 * <p>With a third argument {@code jdk}, it compares instead the pure-Java backend with the JDK's
 * cipher (forced), sealing and opening, for each length: where {@code Aead.JDK_THRESHOLD} comes
 * from (run it on JDK 20 or later, whose cipher is intrinsified; the first column is then Sotto's
 * pure Java and the second the JDK's).
 *
 * <pre>java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.AeadPairs [rounds] [lengths, comma-separated] [jdk]</pre>
 */
public final class AeadPairs {
  private AeadPairs() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int[] lengths = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {1024, 16384};
    RandomSource random = Fixtures.random("aead");
    byte[] key = random.bytes(Aead.KEY_LENGTH);
    byte[] nonce = random.bytes(Aead.NONCE_LENGTH);
    byte[] aad = random.bytes(32);
    Map<String, FloorPairs.Op[]> pairs = new LinkedHashMap<>();
    if (args.length > 2 && args[2].equals("jdk")) {
      // Where Aead.JDK_THRESHOLD comes from: the pure Java against the JDK's cipher (forced).
      for (int length : lengths) {
        byte[] plaintext = random.bytes(length);
        byte[] sealed = Aead.seal(Aead.Backend.JAVA, key, nonce, aad, plaintext);
        pairs.put("seal " + length + " (java / jdk)", new FloorPairs.Op[] {
            () -> Aead.seal(Aead.Backend.JAVA, key, nonce, aad, plaintext),
            () -> Aead.seal(Aead.Backend.JDK, key, nonce, aad, plaintext)});
        pairs.put("open " + length + " (java / jdk)", new FloorPairs.Op[] {
            () -> Aead.open(Aead.Backend.JAVA, key, nonce, aad, sealed),
            () -> Aead.open(Aead.Backend.JDK, key, nonce, aad, sealed)});
      }
      run(pairs, rounds, "java", "jdk");
      return;
    }
    for (int length : lengths) {
      byte[] plaintext = random.bytes(length);
      byte[] sealed = Aead.seal(Aead.Backend.BOUNCY_CASTLE, key, nonce, aad, plaintext);
      Fixtures.check(Arrays.equals(sealed, Aead.seal(Aead.Backend.JAVA, key, nonce, aad, plaintext)),
          "the backends agree");
      pairs.put("seal " + length, new FloorPairs.Op[] {
          () -> Aead.seal(Aead.Backend.JAVA, key, nonce, aad, plaintext),
          () -> Aead.seal(Aead.Backend.BOUNCY_CASTLE, key, nonce, aad, plaintext)});
      pairs.put("open " + length, new FloorPairs.Op[] {
          () -> Aead.open(Aead.Backend.JAVA, key, nonce, aad, sealed),
          () -> Aead.open(Aead.Backend.BOUNCY_CASTLE, key, nonce, aad, sealed)});
    }
    // HMAC-SHA-256 and HKDF-SHA-256 as the ratchet calls them (Hmac and Hkdf, over the JDK's
    // SHA-256) beside Bouncy Castle's HMac and HKDFBytesGenerator, which they replaced.
    byte[] macKey = random.bytes(32);
    byte[] label = "sotto/v1/ratchet/message-key".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int length : new int[] {label.length, 1024, 16384}) {
      byte[] data = length == label.length ? label : random.bytes(length);
      Fixtures.check(Arrays.equals(Hmac.sha256(macKey, data), bcHmac(macKey, data)), "the HMACs agree");
      pairs.put("hmac " + length, new FloorPairs.Op[] {() -> Hmac.sha256(macKey, data), () -> bcHmac(macKey, data)});
    }
    byte[] salt = random.bytes(12);
    Fixtures.check(Arrays.equals(Hkdf.derive(salt, macKey, label, 44), bcHkdf(salt, macKey, label, 44)),
        "the HKDFs agree");
    pairs.put("hkdf 44", new FloorPairs.Op[] {() -> Hkdf.derive(salt, macKey, label, 44),
        () -> bcHkdf(salt, macKey, label, 44)});
    run(pairs, rounds, "sotto", "bouncy castle");
  }

  private static void run(Map<String, FloorPairs.Op[]> pairs, int rounds, String first, String second)
      throws Exception {
    FloorPairs.compare(pairs, rounds, first, second, "ratio", 200_000_000L);
  }

  private static byte[] bcHmac(byte[] key, byte[] data) {
    HMac mac = new HMac(new SHA256Digest());
    mac.init(new KeyParameter(key));
    mac.update(data, 0, data.length);
    byte[] out = new byte[32];
    mac.doFinal(out, 0);
    return out;
  }

  private static byte[] bcHkdf(byte[] salt, byte[] ikm, byte[] info, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }
}
