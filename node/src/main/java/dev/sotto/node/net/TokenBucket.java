package dev.sotto.node.net;

/**
 * A token bucket: {@code tokens} at {@code last} (nanoseconds), refilled at a rate a second up to a
 * burst that the caller gives on each use. A token may stand for one request ({@link #take}) or for
 * one unit of a cost ({@link #charge}: the mailbox's FETCH and deposit budgets count bytes). Only
 * taking or charging changes it, so that a refused request changes nothing. Not thread-safe: its
 * owner synchronizes.
 */
public final class TokenBucket {
  private double tokens;
  private long last;

  /** A bucket holding {@code tokens} at {@code now}. */
  public TokenBucket(double tokens, long now) {
    this.tokens = tokens;
    this.last = now;
  }

  /** The tokens at {@code now}: refilled at {@code rate} a second since the last take, never above {@code burst}. */
  public double at(long now, double rate, long burst) {
    return now - last > 0 ? Math.min(burst, tokens + (now - last) / 1e9 * rate) : tokens;
  }

  /** Takes one token at {@code now} (the count may go below zero: a debt that the refill pays). */
  public void take(long now, double rate, long burst) {
    charge(now, rate, burst, 1);
  }

  /** Takes {@code cost} tokens at {@code now} (the count may go below zero: a debt that the refill pays). */
  public void charge(long now, double rate, long burst, double cost) {
    tokens = at(now, rate, burst) - cost;
    last = Math.max(last, now);
  }

  /** When a token was last taken (or the bucket made). */
  public long last() {
    return last;
  }
}
