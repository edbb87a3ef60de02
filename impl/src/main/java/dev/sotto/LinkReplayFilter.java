package dev.sotto;

import dev.sotto.internal.transport.LinkSchedule;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * The link responder's memory of the {@code LinkHello} messages it accepted (spec:
 * transport.adoc#link-replay): the SHA-256 of each, with the second at which it was accepted,
 * kept 240 seconds. A hello can pass the clock check for 240 seconds at most, so a hello
 * forgotten by this filter is refused as EXPIRED anyway.
 *
 * <p>It holds no clock and does no I/O: the time comes with each call. The node that owns the
 * responder owns one filter and sizes it from its handshake budget ({@link #capacityFor}): a
 * budget that admits at most {@code capacity} handshakes in any 241 seconds never fills it. A
 * full filter refuses new hellos with LIMIT_EXCEEDED rather than forget one it would still need
 * (which would let a replay cost a key exchange). Safe for use by several threads.
 */
public final class LinkReplayFilter {
  private final int capacity;
  /** Entries in the order they were accepted; at non-decreasing times, also the order they expire. */
  private final ArrayDeque<Entry> order = new ArrayDeque<>();
  private final Set<Entry> held = new HashSet<>();

  /** One accepted hello: its 32-byte hash as four longs, and the second it was accepted. */
  private static final class Entry {
    final long h0;
    final long h1;
    final long h2;
    final long h3;
    final long acceptedAt;

    Entry(byte[] hash, long acceptedAt) {
      ByteBuffer b = ByteBuffer.wrap(hash);
      this.h0 = b.getLong();
      this.h1 = b.getLong();
      this.h2 = b.getLong();
      this.h3 = b.getLong();
      this.acceptedAt = acceptedAt;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && e.h0 == h0 && e.h1 == h1 && e.h2 == h2 && e.h3 == h3;
    }

    @Override
    public int hashCode() {
      return (int) h0; // the first bytes of a SHA-256 are as good a hash as any
    }
  }

  /**
   * A filter that holds at most {@code capacity} hellos at once.
   *
   * @throws IllegalArgumentException if {@code capacity} is not positive
   */
  public LinkReplayFilter(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
  }

  /**
   * The capacity that a token bucket of {@code ratePerSecond} and {@code burst} can never fill:
   * {@code burst + ceil(ratePerSecond × 241)}, the most it admits in an interval of 240 seconds
   * measured in whole seconds.
   */
  public static int capacityFor(double ratePerSecond, int burst) {
    if (ratePerSecond < 0 || burst < 0) {
      throw new IllegalArgumentException("rate and burst must not be negative");
    }
    return Math.toIntExact(burst + (long) Math.ceil(ratePerSecond * (LinkSchedule.REPLAY_WINDOW_SECONDS + 1)));
  }

  /** The most hellos this filter holds. */
  public int capacity() {
    return capacity;
  }

  /** Hellos held now (some may have expired since the last call). */
  public synchronized int size() {
    return held.size();
  }

  /** REPLAY if the hello of this hash was accepted within the 240 seconds up to {@code now}. */
  synchronized void check(byte[] hash, long now) throws SottoException {
    forget(now);
    if (held.contains(new Entry(hash, now))) {
      throw new SottoException(ErrorCode.REPLAY, "link_hello was already accepted");
    }
  }

  /**
   * Remembers a hello whose proof verified: REPLAY if a copy of it got there first (two copies
   * read at once), LIMIT_EXCEEDED if the filter is full.
   */
  synchronized void add(byte[] hash, long now) throws SottoException {
    forget(now);
    Entry entry = new Entry(hash, now);
    if (held.contains(entry)) {
      throw new SottoException(ErrorCode.REPLAY, "link_hello was already accepted");
    }
    if (held.size() >= capacity) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "the link replay filter is full");
    }
    held.add(entry);
    order.addLast(entry);
  }

  /** Drops the entries accepted more than 240 seconds before {@code now}, oldest first. */
  private void forget(long now) {
    while (!order.isEmpty() && now - order.peekFirst().acceptedAt > LinkSchedule.REPLAY_WINDOW_SECONDS) {
      held.remove(order.removeFirst());
    }
  }

  @Override
  public synchronized String toString() {
    return "LinkReplayFilter[" + held.size() + " of " + capacity + "]";
  }
}
