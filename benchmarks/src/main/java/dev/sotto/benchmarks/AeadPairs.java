package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.internal.crypto.Aead;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link AeadBenchmark}'s comparison of the pure-Java backends in the manner of {@link FloorPairs},
 * which a loaded machine does not upset: for each length, sealing (and opening) through this
 * project's pure Java ({@code Aead.Backend.JAVA}) and through Bouncy Castle's, alternated in 200 ms
 * blocks in one JVM, each block timed in thread CPU time. It prints the median CPU µs per
 * operation of each and the median and quartiles of the per-round ratios Java / Bouncy Castle.
 *
 * <pre>java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.AeadPairs [rounds] [lengths, comma-separated]</pre>
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
    for (Map.Entry<String, FloorPairs.Op[]> e : pairs.entrySet()) {
      FloorPairs.Op java = e.getValue()[0];
      FloorPairs.Op bc = e.getValue()[1];
      for (int i = 0; i < 10; i++) { // warm-up: both sides compiled
        FloorPairs.block(java, 200_000_000L);
        FloorPairs.block(bc, 200_000_000L);
      }
      double[] js = new double[rounds];
      double[] bs = new double[rounds];
      double[] ratios = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        js[i] = FloorPairs.block(java, 200_000_000L);
        bs[i] = FloorPairs.block(bc, 200_000_000L);
        ratios[i] = js[i] / bs[i];
      }
      Arrays.sort(js);
      Arrays.sort(bs);
      Arrays.sort(ratios);
      System.out.printf("%-12s java %9.2f  bouncy castle %9.2f  java/bc %.3f  (quartiles %.3f .. %.3f)%n",
          e.getKey(), js[rounds / 2], bs[rounds / 2], ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]);
    }
  }
}
