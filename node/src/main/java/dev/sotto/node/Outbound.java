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
 * <p>Two lanes: {@link Lane#PROVEN}, {@value #PROVEN_THREADS} threads, for destinations whose
 * last job went through quickly; {@link Lane#UNPROVEN}, {@value #UNPROVEN_THREADS} threads, for
 * the new, the failing and the slow. A tarpit, or any number of them, can fill the second lane
 * only: a contact that answers keeps getting its turn in the first. A new contact's first job
 * waits behind hostile ones only when more than {@value #UNPROVEN_THREADS} of them are due at
 * once, and then for one of their budgets. At most {@code PROVEN_THREADS + UNPROVEN_THREADS}
 * outgoing exchanges run at once, however many contacts there are.
 */
final class Outbound implements AutoCloseable {
  static final int PROVEN_THREADS = 4;
  static final int UNPROVEN_THREADS = 8;

  /** Which threads a job runs on. */
  enum Lane { PROVEN, UNPROVEN }

  /** A job; how it ended is reported to the handler given at construction. */
  interface Job {
    void run() throws Exception;
  }

  /** Told of each job's end: {@code failure} is what it did not handle, or null. */
  interface Ends {
    void ended(String key, Exception failure);
  }

  private final ThreadPoolExecutor proven;
  private final ThreadPoolExecutor unproven;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final Ends ends;

  Outbound(String name, Ends ends) {
    this.ends = ends;
    this.proven = pool(name + "-out", PROVEN_THREADS);
    this.unproven = pool(name + "-out-unproven", UNPROVEN_THREADS);
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
        Exception failure = null;
        try {
          job.run();
        } catch (Exception e) {
          failure = e;
        } finally {
          inFlight.remove(key);
        }
        ends.ended(key, failure);
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
