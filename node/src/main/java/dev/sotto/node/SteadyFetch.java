package dev.sotto.node;

import dev.sotto.RandomSource;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Steady fetching (spec: transport.adoc#node-timing): a clock of its own, on a thread of its own,
 * that starts a round at each mailbox at times drawn in advance, the gaps between them independent
 * of one another and of everything the node does: uniform in [interval - jitter, interval +
 * jitter], from the node's random source. The rounds run on threads of their own too, one per
 * destination at a time, so that neither the worker's turns (woken by messages to send) nor the
 * delivery jobs queued on {@link Outbound} move a fetch. A round still running when its next slot
 * comes (a mailbox that is slow, or holds more than one FETCH hands out) makes that slot pass with
 * no request, and is counted ({@link #missed}).
 */
final class SteadyFetch implements AutoCloseable {
  /** The schedule alone: gaps drawn from the source, nothing else. */
  static final class Schedule {
    private final long intervalNanos;
    private final long jitterNanos;
    private final RandomSource random;

    Schedule(Duration interval, Duration jitter, RandomSource random) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("a fetch interval is positive");
      }
      if (jitter.compareTo(interval) >= 0 || jitter.isNegative()) {
        throw new IllegalArgumentException("the fetch jitter (" + jitter.toMillis() + " ms) must be below the interval ("
            + interval.toMillis() + " ms)");
      }
      this.intervalNanos = interval.toNanos();
      this.jitterNanos = jitter.toNanos();
      this.random = random;
    }

    /** The gap to the next slot, in nanoseconds: uniform in [interval - jitter, interval + jitter]. */
    long nextGap() {
      return intervalNanos - jitterNanos + (jitterNanos == 0 ? 0 : Timing.uniform(random, 2 * jitterNanos + 1));
    }
  }

  /** One destination's round: a mailbox's fetch, or the groups'. */
  interface Round {
    void run() throws Exception;
  }

  private final Schedule schedule;
  private final Supplier<Map<String, Round>> rounds;
  private final System.Logger log;
  private final ExecutorService pool;
  private final Map<String, Boolean> running = new ConcurrentHashMap<>();
  private final Thread clock;
  private volatile boolean open = true;
  /** Slots passed, and rounds not started because the destination's last one was still running. */
  final AtomicLong slots = new AtomicLong();
  final AtomicLong missed = new AtomicLong();

  /**
   * @param rounds the rounds of one slot, by destination, asked for anew at each slot (the
   *     mailboxes may change)
   */
  SteadyFetch(String name, Schedule schedule, Supplier<Map<String, Round>> rounds, System.Logger log) {
    this.schedule = schedule;
    this.rounds = rounds;
    this.log = log;
    AtomicInteger n = new AtomicInteger();
    // At most one round per destination at a time: as many threads as mailboxes, and one for the groups.
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, name + "-fetch-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.clock = new Thread(this::tick, name + "-fetch-clock");
    clock.setDaemon(true);
  }

  void start() {
    clock.start();
  }

  private void tick() {
    long next = System.nanoTime();
    while (open) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue; // woken early (or interrupted to close): look again
      }
      slots.incrementAndGet();
      try {
        for (Map.Entry<String, Round> e : rounds.get().entrySet()) {
          String key = e.getKey();
          if (running.putIfAbsent(key, Boolean.TRUE) != null) {
            missed.incrementAndGet();
            continue;
          }
          Round round = e.getValue();
          pool.execute(() -> {
            try {
              round.run();
            } catch (Exception x) {
              log.log(System.Logger.Level.DEBUG, () -> "fetch round " + key + ": " + x);
            } finally {
              running.remove(key);
            }
          });
        }
      } catch (RuntimeException x) {
        if (!open) {
          return;
        }
        log.log(System.Logger.Level.WARNING, () -> "steady fetching: " + x);
      }
      // From the slot's time, not from now: a late slot does not shift the ones after it.
      next += schedule.nextGap();
      if (System.nanoTime() - next > schedule.intervalNanos) {
        next = System.nanoTime(); // the process was suspended (a laptop asleep): no burst of slots to catch up
      }
    }
  }

  @Override
  public void close() {
    open = false;
    clock.interrupt();
    pool.shutdownNow();
    try {
      clock.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
