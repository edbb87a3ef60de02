package dev.sotto.benchmarks;

import static dev.sotto.benchmarks.Fixtures.NOW;

import dev.sotto.Initiator;
import dev.sotto.Responder;
import dev.sotto.internal.ratchet.DoubleRatchet;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A cross-check of the JMH ratios protocol / floor that a loaded machine does not upset: each
 * protocol operation and its floor (the same states and floor methods as {@link RatchetBenchmark},
 * {@link EnvelopeBenchmark} and {@link HandshakeBenchmark}) run in one JVM, alternated in blocks
 * of 200 ms, and each block is timed in thread CPU time. Both sides of a pair share the JIT's
 * compiled primitives, and time stolen by other processes counts for neither. It prints, per
 * pair, the median CPU µs per operation of each side and the median and quartiles of the per-round
 * ratios. Not JMH: the usual caveats of a hand-written loop apply (its results go to a volatile
 * field, the floors' to a {@link Blackhole}).
 *
 * <pre>java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.FloorPairs [rounds] [groups]</pre>
 *
 * <p>{@code groups}, a regular expression, selects among "ratchet 1KiB", "ratchet 16KiB",
 * "envelope B100", "envelope KIB1", "envelope KIB16" and "handshake" (default: all; 20 rounds).
 */
public final class FloorPairs {
  private FloorPairs() {}

  /** One operation. */
  interface Op {
    Object run() throws Exception;
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static volatile Object sink;

  /** CPU µs per operation over a block of about {@code nanos} of wall time. */
  static double block(Op op, long nanos) throws Exception {
    long cpu = THREADS.getCurrentThreadCpuTime();
    long ops = 0;
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 4; i++) {
        sink = op.run();
      }
      ops += 4;
    }
    return (THREADS.getCurrentThreadCpuTime() - cpu) / 1000.0 / ops;
  }

  /**
   * Times each pair in blocks of 200 ms of wall time, {@code rounds} times, the two sides
   * alternated, after ten warm-up blocks of {@code warmNanos} each (both sides compiled), and prints
   * the median CPU µs per operation of each side and the median ratio first / second with its
   * quartiles.
   */
  static void compare(Map<String, Op[]> pairs, int rounds, String first, String second, String ratio, long warmNanos)
      throws Exception {
    for (Map.Entry<String, Op[]> e : pairs.entrySet()) {
      Op a = e.getValue()[0];
      Op b = e.getValue()[1];
      for (int i = 0; i < 10; i++) {
        block(a, warmNanos);
        block(b, warmNanos);
      }
      double[] as = new double[rounds];
      double[] bs = new double[rounds];
      double[] ratios = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        as[i] = block(a, 200_000_000L);
        bs[i] = block(b, 200_000_000L);
        ratios[i] = as[i] / bs[i];
      }
      Arrays.sort(as);
      Arrays.sort(bs);
      Arrays.sort(ratios);
      System.out.printf("%-34s %s %9.2f  %s %9.2f  %s %.3f  (quartiles %.3f .. %.3f)%n", e.getKey(), first,
          as[rounds / 2], second, bs[rounds / 2], ratio, ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]);
    }
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    String only = args.length > 1 ? args[1] : ".*";
    Blackhole bh = RatchetFloor.blackhole();
    Map<String, Op[]> pairs = new LinkedHashMap<>();
    for (int size : new int[] {RatchetBenchmark.KIB, 16 * RatchetBenchmark.KIB}) {
      String s = size == RatchetBenchmark.KIB ? "1KiB" : "16KiB";
      if (!("ratchet " + s).matches(only)) {
        continue;
      }
      RatchetBenchmark.EncryptStream encrypt = new RatchetBenchmark.EncryptStream() {};
      encrypt.setUp(size);
      RatchetBenchmark.DecryptStream decrypt = new RatchetBenchmark.DecryptStream() {};
      decrypt.trial(size);
      decrypt.iteration(size);
      RatchetBenchmark.Alternating alternating = new RatchetBenchmark.Alternating() {};
      alternating.setUp(size);
      RatchetBenchmark.DhSend send = new RatchetBenchmark.DhSend() {};
      send.setUp(size);
      RatchetBenchmark.DhStep receive = new RatchetBenchmark.DhStep() {};
      receive.setUp(size);
      RatchetBenchmark.FloorInputs f = new RatchetBenchmark.FloorInputs() {};
      f.setUp(size);
      pairs.put("ratchet encrypt " + s, new Op[] {encrypt::encrypt, () -> RatchetFloor.seal(f.outgoing, null, bh)});
      pairs.put("ratchet decrypt " + s,
          new Op[] {decrypt::decrypt, () -> RatchetFloor.open(f.pool[f.nextIndex()], null, bh)});
      pairs.put("ratchet alternating " + s, new Op[] {alternating::op, () -> {
        bh.consume(RatchetFloor.seal(f.dhOutgoing, f.dhStep, bh));
        return RatchetFloor.open(f.dhIncoming, f.dhStep, bh);
      }});
      pairs.put("ratchet alternatingEncrypt " + s,
          new Op[] {send::encrypt, () -> RatchetFloor.seal(f.dhOutgoing, f.dhStep, bh)});
      pairs.put("ratchet alternatingDecrypt " + s, new Op[] {() -> DoubleRatchet.decrypt(receive.receiver, receive.message),
          () -> RatchetFloor.open(f.dhIncoming, f.dhStep, bh)});
    }
    for (EnvelopeBenchmark.Shape shape : new EnvelopeBenchmark.Shape[] {EnvelopeBenchmark.Shape.B100,
        EnvelopeBenchmark.Shape.KIB1, EnvelopeBenchmark.Shape.KIB16}) {
      if (!("envelope " + shape).matches(only)) {
        continue;
      }
      EnvelopeBenchmark.SealStream seal = new EnvelopeBenchmark.SealStream() {};
      seal.setUp(shape);
      EnvelopeBenchmark.OpenStream open = new EnvelopeBenchmark.OpenStream() {};
      open.trial(shape);
      open.iteration();
      EnvelopeBenchmark.FloorInputs f = new EnvelopeBenchmark.FloorInputs() {};
      f.setUp(shape);
      pairs.put("envelope seal " + shape, new Op[] {seal::seal, () -> EnvelopeBenchmark.sealFloor(f, bh)});
      pairs.put("envelope open " + shape, new Op[] {open::open, () -> EnvelopeBenchmark.openFloor(f, bh)});
    }
    if ("handshake".matches(only)) {
      HandshakeBenchmark.Parties p = new HandshakeBenchmark.Parties();
      p.setUp();
      HandshakeBenchmark.Floor f = new HandshakeBenchmark.Floor();
      f.setUp(p);
      HandshakeBenchmark.Responding r = new HandshakeBenchmark.Responding();
      r.makeMessages(p);
      Responder[] responder = {p.responder(p.fixtureResponder)};
      int[] next = {0};
      Op respond = () -> {
        if (next[0] == r.pool.messages.length) {
          responder[0] = p.responder(p.fixtureResponder); // once per pass: a restore, measured
          next[0] = 0;
        }
        return responder[0].accept(r.pool.messages[next[0]++], NOW);
      };
      pairs.put("handshake initiate",
          new Op[] {() -> Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, p.random), () -> {
            HandshakeBenchmark.initiatorFloor(f.plain, bh);
            return null;
          }});
      pairs.put("handshake respond", new Op[] {respond, () -> {
        HandshakeBenchmark.responderFloor(f.plain, bh);
        return null;
      }});
    }
    compare(pairs, rounds, "protocol", "floor", "ratio", 300_000_000L);
    RatchetFloor.evaporate(bh);
  }
}
