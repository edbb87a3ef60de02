package dev.sotto.node.it;

import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An honest peer beside an attack: one after another, a fresh connection, the link handshake and
 * a DELIVER that the node answers (UNKNOWN_TAG: a random tag, so the node reads the envelope and
 * looks it up in its store), each timed from the connect to the answer. A probe that fails counts
 * as one that took for ever.
 */
final class Probes implements AutoCloseable {
  /** What a failed probe counts as. */
  static final long FAILED = Long.MAX_VALUE;

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Long> millis = Collections.synchronizedList(new ArrayList<>());
  /** The handshake's part of each probe (connect and handshake), and when each probe began. */
  private final List<Long> handshakes = Collections.synchronizedList(new ArrayList<>());
  private final List<Long> began = Collections.synchronizedList(new ArrayList<>());
  private final long born = System.nanoTime();
  private final CompletableFuture<Void> loop;

  /** Probes from {@code from} (a loopback address) to the node at {@code port}, every {@code pauseMillis}. */
  Probes(String from, int port, byte[] key, long pauseMillis) {
    loop = CompletableFuture.runAsync(() -> {
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
        began.add((start - born) / 1_000_000);
        handshakes.add(linked < 0 ? FAILED : (linked - start) / 1_000_000);
        millis.add(ok ? (System.nanoTime() - start) / 1_000_000 : FAILED);
        try {
          Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
  }

  /** The handshakes' times (connect and handshake, the first part of each probe), in order. */
  List<Long> handshakes() {
    return List.copyOf(handshakes);
  }

  /** The probes slower than {@code millis}: when each began (ms after the first), its handshake and its whole time. */
  String slowest(long millis) {
    StringBuilder out = new StringBuilder();
    synchronized (this.millis) {
      for (int i = 0; i < this.millis.size(); i++) {
        if (this.millis.get(i) > millis) {
          out.append(String.format(" [at %d ms: handshake %d ms, in all %d ms]", began.get(i), handshakes.get(i),
              this.millis.get(i)));
        }
      }
    }
    return out.toString();
  }

  /** Stops probing; the times so far, in the order they were taken. */
  List<Long> stop() throws Exception {
    running.set(false);
    loop.get(60, TimeUnit.SECONDS);
    return List.copyOf(millis);
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

  /** "n probes: median M ms, p99 P ms, max X ms" for the log. */
  static String describe(List<Long> times) {
    long failed = times.stream().filter(t -> t == FAILED).count();
    return String.format("%d probes (%d failed): median %s ms, p99 %s ms, max %s ms", times.size(), failed,
        show(quantile(times, 0.5)), show(quantile(times, 0.99)), show(quantile(times, 1.0)));
  }

  private static String show(long t) {
    return t == FAILED ? "failed" : Long.toString(t);
  }
}
