package dev.sotto.node;

import dev.sotto.RandomSource;
import java.time.Duration;

/**
 * The node's defences against timing correlation (spec: security.adoc#security-timing), each
 * switchable, all off by default ({@link #OFF}):
 *
 * <ul>
 *   <li>{@code steadyFetch}: fetching from the mailboxes on a clock of its own, at the fetch
 *       interval with a random jitter of up to {@code fetchJitter} either way, whatever the
 *       traffic (spec: transport.adoc#node-timing). Off, the worker fetches at its first turn
 *       after the interval has passed since the last fetch, and a turn comes sooner when there is
 *       work to do.
 *   <li>{@code maxSendDelay}: every message waits a delay drawn uniformly from [0, maxSendDelay]
 *       (milliseconds, from the node's random source) after it is sealed before it is first
 *       offered to any address. Zero: none.
 *   <li>{@code coverPerMinute}: cover loops, envelopes that the node deposits at its own
 *       mailboxes under tags only it fetches, at this mean rate (a Poisson process). Zero: none.
 * </ul>
 */
public record Timing(boolean steadyFetch, Duration fetchJitter, Duration maxSendDelay, double coverPerMinute) {
  /** The longest sender delay accepted: a day (a message that waits longer is better not sent). */
  public static final Duration MAX_SEND_DELAY = Duration.ofDays(1);

  /** The highest cover rate accepted, a minute's worth of loops per second. */
  public static final double MAX_COVER_PER_MINUTE = 60;

  /** No defence: the schedule of the first revision (after the bounds above, which its constructor reads). */
  public static final Timing OFF = new Timing(false, Duration.ZERO, Duration.ZERO, 0);

  public Timing {
    if (fetchJitter.isNegative() || maxSendDelay.isNegative()) {
      throw new IllegalArgumentException("a jitter or delay is not negative");
    }
    if (maxSendDelay.compareTo(MAX_SEND_DELAY) > 0) {
      throw new IllegalArgumentException("a sender delay is at most a day (" + MAX_SEND_DELAY.toHours() + " h)");
    }
    if (!(coverPerMinute >= 0 && coverPerMinute <= MAX_COVER_PER_MINUTE)) {
      throw new IllegalArgumentException("cover loops: 0 to " + (int) MAX_COVER_PER_MINUTE + " a minute");
    }
  }

  /** Steady fetching, its jitter either way of the interval. */
  public Timing withSteadyFetch(Duration jitter) {
    return new Timing(true, jitter, maxSendDelay, coverPerMinute);
  }

  public Timing withSendDelay(Duration max) {
    return new Timing(steadyFetch, fetchJitter, max, coverPerMinute);
  }

  public Timing withCover(double perMinute) {
    return new Timing(steadyFetch, fetchJitter, maxSendDelay, perMinute);
  }

  /** Whether any defence is on. */
  public boolean any() {
    return steadyFetch || !maxSendDelay.isZero() || coverPerMinute > 0;
  }

  /**
   * A number drawn uniformly from [0, bound) with the given source: 8 bytes read as an unsigned
   * 64-bit integer, drawn again while it falls in the last, incomplete multiple of {@code bound}
   * (so no value is likelier than another; the chance of a second draw is below bound / 2^64).
   */
  static long uniform(RandomSource random, long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound " + bound);
    }
    // The largest multiple of bound that fits in 2^64, as an unsigned value: draws at or above it are refused.
    long limit = -Long.remainderUnsigned(-1L, bound) - 1; // 2^64 - (2^64 mod bound), mod 2^64
    while (true) {
      byte[] b = random.bytes(8);
      long x = java.nio.ByteBuffer.wrap(b).getLong();
      if (limit == 0 || Long.compareUnsigned(x, limit) < 0) {
        return Long.remainderUnsigned(x, bound);
      }
    }
  }

  /**
   * The time to the next event of a Poisson process of {@code perSecond}, in nanoseconds:
   * {@code -ln(U) / rate} with U uniform in (0, 1], drawn with 53 bits from the source.
   */
  static long exponentialNanos(RandomSource random, double perSecond) {
    double u = (uniform(random, 1L << 53) + 1) / (double) (1L << 53);
    return (long) (-Math.log(u) / perSecond * 1e9);
  }
}
