package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.RandomSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Cover loops' clock (spec: transport.adoc#node-cover): a thread of its own that deposits a loop
 * ({@link CoverLoops#next}) at one of the node's mailboxes, drawn uniformly, at the times of a
 * Poisson process: each gap exponential with mean {@code 1 / rate}, from the node's random source,
 * independent of everything the node does. A loop goes on the link lane {@value #LANE} (through
 * Tor, circuits of its own), never on the link the node fetches on.
 */
final class CoverClock implements AutoCloseable {
  static final String LANE = "cover";

  private final CoverLoops loops;
  private final LinkPool links;
  private final Supplier<List<Address>> mailboxes;
  private final RandomSource random;
  private final double meanNanos;
  private final System.Logger log;
  private final Thread thread;
  private volatile boolean open = true;
  final AtomicLong failed = new AtomicLong();

  CoverClock(String name, CoverLoops loops, LinkPool links, Supplier<List<Address>> mailboxes, RandomSource random,
      double perHour, System.Logger log) {
    if (!(perHour > 0)) {
      throw new IllegalArgumentException("a cover rate is positive");
    }
    this.loops = loops;
    this.links = links;
    this.mailboxes = mailboxes;
    this.random = random;
    this.meanNanos = 3600e9 / perHour;
    this.log = log;
    this.thread = new Thread(this::run, name + "-cover");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** An exponential gap with the given mean: -ln(U) * mean, U uniform in (0, 1] in steps of 2^-53. */
  static long gap(RandomSource random, double meanNanos) {
    double u = (Timing.uniform(random, 1L << 53) + 1) / (double) (1L << 53);
    return (long) (-Math.log(u) * meanNanos);
  }

  private void run() {
    long next = System.nanoTime() + gap(random, meanNanos);
    while (open) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue;
      }
      List<Address> all = mailboxes.get();
      if (!all.isEmpty()) {
        Address mailbox = all.get((int) Timing.uniform(random, all.size()));
        try {
          Envelope loop = loops.next();
          Frame answer = links.exchange(mailbox, LANE, link -> link.call(Frame.deposit(link.nextRequestId(), loop)).get(0));
          if (answer.type() != Frame.OK) {
            failed.incrementAndGet();
          }
        } catch (Exception e) {
          if (!open) {
            return;
          }
          failed.incrementAndGet();
          log.log(System.Logger.Level.DEBUG, () -> "cover loop: " + LinkPool.reason(e));
        }
      }
      next += gap(random, meanNanos);
      if (System.nanoTime() - next > 60_000_000_000L) {
        next = System.nanoTime(); // suspended: no burst of loops to catch up
      }
    }
  }

  @Override
  public void close() {
    open = false;
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
