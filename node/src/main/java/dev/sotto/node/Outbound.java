package dev.sotto.node;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a node's outgoing work runs (spec: transport.adoc#node-delivery): one job per
 * destination (a contact's deliveries, one mailbox's fetch or publication, one contact's prekeys),
 * each named by a key, never two of one key at once, on a bounded number of threads, so that a
 * contact with many addresses or many contacts cost no more threads than the bound.
 *
 * <p>Two lanes of {@link #THREADS_PER_LANE} threads each: {@link Lane#PROVEN} for destinations
 * whose last job went through quickly, {@link Lane#UNPROVEN} for the new, the failing and the
 * slow. A tarpit, or any number of them, can fill the second lane only: a contact that answers
 * keeps getting its turn in the first. At most {@code 2 * THREADS_PER_LANE} outgoing exchanges
 * run at once.
 */
final class Outbound implements AutoCloseable {
  static final int THREADS_PER_LANE = 4;

  /** Which threads a job runs on. */
  enum Lane { PROVEN, UNPROVEN }

  /** A job; what it throws is reported to the handler given at construction. */
  interface Job {
    void run() throws Exception;
  }

  /** Told of a job that failed with an exception it did not handle. */
  interface Failures {
    void failed(String key, Exception e);
  }

  private final ThreadPoolExecutor proven;
  private final ThreadPoolExecutor unproven;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final Failures failures;

  Outbound(String name, Failures failures) {
    this.failures = failures;
    this.proven = pool(name + "-out", THREADS_PER_LANE);
    this.unproven = pool(name + "-out-unproven", THREADS_PER_LANE);
  }

  private static ThreadPoolExecutor pool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    // The queue holds at most one job per key: bounded by the contacts and mailboxes there are.
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Queues the job unless one of the same key is queued or running.
   *
   * @return whether it was queued
   */
  boolean submit(String key, Lane lane, Job job) {
    if (!inFlight.add(key)) {
      return false;
    }
    try {
      (lane == Lane.PROVEN ? proven : unproven).execute(() -> {
        try {
          job.run();
        } catch (Exception e) {
          failures.failed(key, e);
        } finally {
          inFlight.remove(key);
        }
      });
      return true;
    } catch (RejectedExecutionException e) {
      inFlight.remove(key);
      return false;
    }
  }

  /** Whether a job of this key is queued or running. */
  boolean busy(String key) {
    return inFlight.contains(key);
  }

  /** The keys queued or running now (a copy). */
  Set<String> inFlight() {
    return Set.copyOf(inFlight);
  }

  /** Jobs running now, in both lanes. */
  int running() {
    return proven.getActiveCount() + unproven.getActiveCount();
  }

  /** Stops taking jobs and interrupts those running; waits a moment for them to end. */
  @Override
  public void close() {
    proven.shutdownNow();
    unproven.shutdownNow();
    try {
      proven.awaitTermination(5, TimeUnit.SECONDS);
      unproven.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
