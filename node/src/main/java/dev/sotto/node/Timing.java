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
 *   <li>{@code coverPerHour}: cover loops ({@link CoverLoops}): envelopes the node deposits at its
 *       own mailboxes under tags only it derives, at times of a Poisson process of this rate
 *       (loops an hour; zero: none), and fetches and acknowledges like real ones.
 *   <li>{@code padFetch}: every FETCH names as many tags as its frame holds (66, 258 or 1,024), the
 *       real ones and, after them, tags of the node's loop chain ({@link CoverLoops}), so that a
 *       mailbox learns the number of tags watched only to the frame class.
 *   <li>{@code prefixBits}: fetching by tag prefix (spec: transport.adoc#fetch-prefix): every fetch
 *       names the prefixes of this many bits (0 to 16) of the tags watched, takes every item under
 *       them, keeps those under a watched tag and drops the rest, and acknowledges nothing (items
 *       leave the mailbox at expiry), so that the mailbox does not learn which items the node
 *       takes. -1: off (FETCH by tag).
 * </ul>
 */
public record Timing(boolean steadyFetch, Duration fetchJitter, Duration maxSendDelay, double coverPerHour,
    boolean padFetch, int prefixBits) {
  /** The longest sender delay accepted: a day (a message that waits longer is better not sent). */
  public static final Duration MAX_SEND_DELAY = Duration.ofDays(1);

  /** No defence: the schedule of the first revision (after the bounds above, which its constructor reads). */
  public static final Timing OFF = new Timing(false, Duration.ZERO, Duration.ZERO, 0, false, -1);

  /** The highest cover rate 'sotto run' accepts: 3,600 loops an hour (one a second on average); tests go higher. */
  public static final double MAX_COVER_PER_HOUR = 3600;

  /** Without cover loops or padding (the first two defences only). */
  public Timing(boolean steadyFetch, Duration fetchJitter, Duration maxSendDelay) {
    this(steadyFetch, fetchJitter, maxSendDelay, 0, false, -1);
  }

  public Timing {
    if (prefixBits < -1 || prefixBits > dev.sotto.Frame.MAX_PREFIX_BITS) {
      throw new IllegalArgumentException("a tag prefix is 0 to 16 bits");
    }
    if (!(coverPerHour >= 0 && Double.isFinite(coverPerHour))) {
      throw new IllegalArgumentException("a cover rate is 0 loops an hour or more");
    }
    if (fetchJitter.isNegative() || maxSendDelay.isNegative()) {
      throw new IllegalArgumentException("a jitter or delay is not negative");
    }
    if (maxSendDelay.compareTo(MAX_SEND_DELAY) > 0) {
      throw new IllegalArgumentException("a sender delay is at most a day (" + MAX_SEND_DELAY.toHours() + " h)");
    }
  }

  /** Steady fetching, its jitter either way of the interval. */
  public Timing withSteadyFetch(Duration jitter) {
    return new Timing(true, jitter, maxSendDelay, coverPerHour, padFetch, prefixBits);
  }

  public Timing withSendDelay(Duration max) {
    return new Timing(steadyFetch, fetchJitter, max, coverPerHour, padFetch, prefixBits);
  }

  /** Cover loops at this rate, in loops an hour (zero: none). */
  public Timing withCover(double perHour) {
    return new Timing(steadyFetch, fetchJitter, maxSendDelay, perHour, padFetch, prefixBits);
  }

  /** Padded fetch sets, or not. */
  public Timing withPadFetch(boolean on) {
    return new Timing(steadyFetch, fetchJitter, maxSendDelay, coverPerHour, on, prefixBits);
  }

  /** Fetching by tag prefixes of this many bits (0 to 16), or not (-1). */
  public Timing withPrefixFetch(int bits) {
    return new Timing(steadyFetch, fetchJitter, maxSendDelay, coverPerHour, padFetch, bits);
  }

  /** Whether any defence is on. */
  public boolean any() {
    return steadyFetch || !maxSendDelay.isZero() || coverPerHour > 0 || padFetch || prefixBits >= 0;
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
    // 2^64 - 1 - ((2^64 - 1) mod bound), unsigned: a multiple of bound, within bound of 2^64. Draws
    // at or above it are refused, so that each residue is reached by as many draws as any other.
    long limit = -Long.remainderUnsigned(-1L, bound) - 1;
    while (true) {
      long x = java.nio.ByteBuffer.wrap(random.bytes(8)).getLong();
      if (Long.compareUnsigned(x, limit) < 0) {
        return Long.remainderUnsigned(x, bound);
      }
    }
  }
}
