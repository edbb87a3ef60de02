package dev.sotto.node.it;

import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Honest peers beside an attack: each of {@code initiators} threads makes, one after another, a
 * fresh connection, the link handshake and a DELIVER that the node answers (UNKNOWN_TAG: a random
 * tag, so the node reads the envelope and looks it up in its store), each timed from the connect to
 * the answer, from its own loopback address (127.0.0.1, 127.0.0.2, ...). A probe that fails counts
 * as one that took for ever. Two initiators or more give enough samples in a few seconds that a
 * p99 is not merely the slowest one.
 */
final class Probes implements AutoCloseable {
  /** What a failed probe counts as. */
  static final long FAILED = Long.MAX_VALUE;

  /** One probe: when it began (ms after the probes started), its handshake (connect included), its whole time. */
  record Sample(long began, long handshake, long total) {}

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
  private final long born = System.nanoTime();
  private final List<Thread> threads = new ArrayList<>();

  /** {@code initiators} threads probing the node at {@code port}, each pausing {@code pauseMillis} between probes. */
  Probes(int initiators, int port, byte[] key, long pauseMillis) {
    for (int i = 0; i < initiators; i++) {
      String from = "127.0.0." + (1 + i);
      Thread t = new Thread(() -> {
        while (running.get()) {
          long start = System.nanoTime();
          boolean ok;
          long linked = -1;
          try (RawClient c = RawClient.linkFrom(from, port, key)) {
            linked = System.nanoTime();
            ok = RawClient.outcome(c.callOne(Frame.deliver(c.nextRequestId(), RawClient.randomEnvelope())))
                == ErrorCode.UNKNOWN_TAG.number();
          } catch (Exception e) {
            ok = false;
          }
          samples.add(new Sample((start - born) / 1_000_000, linked < 0 ? FAILED : (linked - start) / 1_000_000,
              ok ? (System.nanoTime() - start) / 1_000_000 : FAILED));
          try {
            Thread.sleep(pauseMillis);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "probe-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** The handshakes' times (connect and handshake, the first part of each probe). */
  List<Long> handshakes() {
    synchronized (samples) {
      return samples.stream().map(Sample::handshake).toList();
    }
  }

  /** The probes slower than {@code millis}: when each began, its handshake and its whole time. */
  String slowest(long millis) {
    StringBuilder out = new StringBuilder();
    synchronized (samples) {
      for (Sample s : samples) {
        if (s.total() > millis) {
          out.append(String.format(" [at %d ms: handshake %s ms, in all %s ms]", s.began(), show(s.handshake()),
              show(s.total())));
        }
      }
    }
    return out.toString();
  }

  /** Stops probing; the whole times so far. */
  List<Long> stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(60_000);
    }
    synchronized (samples) {
      return samples.stream().map(Sample::total).toList();
    }
  }

  @Override
  public void close() {
    running.set(false);
  }

  /** The {@code q}-quantile (0.99 for p99) of the times, by the nearest-rank method. */
  static long quantile(List<Long> times, double q) {
    List<Long> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(q * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  /** "n probes (f failed): median M ms, p99 P ms, max X ms" for the log. */
  static String describe(List<Long> times) {
    long failed = times.stream().filter(t -> t == FAILED).count();
    return String.format("%d probes (%d failed): median %s ms, p99 %s ms, max %s ms", times.size(), failed,
        show(quantile(times, 0.5)), show(quantile(times, 0.99)), show(quantile(times, 1.0)));
  }

  private static String show(long t) {
    return t == FAILED ? "failed" : Long.toString(t);
  }
}
