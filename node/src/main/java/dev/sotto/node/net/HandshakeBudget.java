package dev.sotto.node.net;

import dev.sotto.LinkReplayFilter;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key exchanges a server may do, spent from token buckets (spec:
 * transport.adoc#handshake-budgets): one per source prefix (the /24 of an IPv4 address, the /64
 * of an IPv6 one) and one for every source together. The server asks {@link #admit} after a
 * {@code LinkHello} passed the checks that cost no public-key operation and before the key
 * exchange; a refused connection is closed at once.
 *
 * <p>Loopback sources meet only the global bucket: behind a Tor onion service or another local
 * proxy every link comes from loopback, and the address says nothing of who connects. Tests on
 * one machine turn {@link Rates#loopbackByPrefix} on to see the per-prefix bucket.
 *
 * <p>No I/O and no clock: time comes with each call, in nanoseconds of any monotonic clock
 * ({@link System#nanoTime()} in the server). Safe for use by several threads.
 */
public final class HandshakeBudget {
  /**
   * The buckets' sizes: per prefix and global, each a sustained rate per second and a burst.
   * {@code loopbackByPrefix} gives loopback sources a per-prefix bucket like any other (tests).
   */
  public record Rates(double perPrefix, int prefixBurst, double global, int globalBurst, boolean loopbackByPrefix) {
    /** The reference node's budgets: 8 a second (burst 32) per prefix, 200 a second (burst 400) in all. */
    public static final Rates DEFAULT = new Rates(8, 32, 200, 400, false);

    public Rates {
      if (!(perPrefix > 0) || !(global > 0) || prefixBurst < 1 || globalBurst < 1) {
        throw new IllegalArgumentException("rates and bursts must be positive");
      }
    }

    public Rates withLoopbackByPrefix(boolean on) {
      return new Rates(perPrefix, prefixBurst, global, globalBurst, on);
    }

    /** The replay filter's capacity that this global budget can never fill (spec: transport.adoc#link-replay). */
    public int replayFilterCapacity() {
      return LinkReplayFilter.capacityFor(global, globalBurst);
    }
  }

  /** Why a connection was refused, or that it was admitted. */
  public enum Outcome { ADMITTED, PREFIX_SPENT, GLOBAL_SPENT }

  /**
   * A source prefix: the family (4 or 6) and its first 24 or 64 bits (spec:
   * transport.adoc#handshake-budgets); the mailbox's budgets count by it too.
   */
  public record Prefix(int family, long bits) {
    /** The /24 of an IPv4 address (an IPv4-mapped IPv6 address counts as IPv4), the /64 of an IPv6 one. */
    public static Prefix of(InetAddress source) {
      byte[] a = source.getAddress();
      if (source instanceof Inet6Address && isIpv4Mapped(a)) {
        a = new byte[] {a[12], a[13], a[14], a[15]};
      }
      if (a.length == 4) {
        return new Prefix(4, ((a[0] & 0xffL) << 16) | ((a[1] & 0xffL) << 8) | (a[2] & 0xffL));
      }
      long bits = 0;
      for (int i = 0; i < 8; i++) {
        bits = (bits << 8) | (a[i] & 0xffL);
      }
      return new Prefix(6, bits);
    }
  }

  private final Rates rates;
  private final TokenBucket global;
  /** Per-prefix buckets, the one whose token was taken longest ago first; one that would be full again is dropped. */
  private final LinkedHashMap<Prefix, TokenBucket> prefixes = new LinkedHashMap<>();
  /** How long an unused prefix bucket takes to fill up from empty: after that it equals a new one. */
  private final long refillNanos;

  public HandshakeBudget(Rates rates, long now) {
    this.rates = rates;
    this.global = new TokenBucket(rates.globalBurst(), now);
    this.refillNanos = (long) Math.ceil(rates.prefixBurst() / rates.perPrefix() * 1e9);
  }

  public Rates rates() {
    return rates;
  }

  /**
   * Takes a token for a key exchange with {@code source} at {@code now}: from its prefix's bucket
   * (asked first; none for loopback unless {@link Rates#loopbackByPrefix}) and from the global
   * one. A refusal takes nothing.
   */
  public synchronized Outcome admit(InetAddress source, long now) {
    forgetFull(now);
    Prefix prefix = prefixOf(source);
    TokenBucket bucket = null;
    if (prefix != null) {
      bucket = prefixes.get(prefix);
      if (bucket == null) {
        bucket = new TokenBucket(rates.prefixBurst(), now);
      }
      if (bucket.at(now, rates.perPrefix(), rates.prefixBurst()) < 1) {
        return Outcome.PREFIX_SPENT;
      }
    }
    if (global.at(now, rates.global(), rates.globalBurst()) < 1) {
      return Outcome.GLOBAL_SPENT;
    }
    global.take(now, rates.global(), rates.globalBurst());
    if (bucket != null) {
      bucket.take(now, rates.perPrefix(), rates.prefixBurst());
      prefixes.remove(prefix);
      prefixes.put(prefix, bucket); // to the end: its token is the newest
    }
    return Outcome.ADMITTED;
  }

  /** Prefix buckets held now: each took a token within the last {@code prefixBurst / perPrefix} seconds (4 by default). */
  public synchronized int prefixesHeld() {
    return prefixes.size();
  }

  /** Drops, oldest first, the prefix buckets whose last token was taken long enough ago for them to be full again. */
  private void forgetFull(long now) {
    Iterator<Map.Entry<Prefix, TokenBucket>> it = prefixes.entrySet().iterator();
    while (it.hasNext()) {
      if (now - it.next().getValue().last() < refillNanos) {
        return;
      }
      it.remove();
    }
  }

  /** The /24 of an IPv4 address, the /64 of an IPv6 one; null for loopback unless counted by prefix. */
  Prefix prefixOf(InetAddress source) {
    if (source.isLoopbackAddress() && !rates.loopbackByPrefix()) {
      return null;
    }
    return Prefix.of(source);
  }

  private static boolean isIpv4Mapped(byte[] a) {
    if (a.length != 16) {
      return false;
    }
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  @Override
  public synchronized String toString() {
    return "HandshakeBudget[" + rates + ", " + prefixes.size() + " prefixes]";
  }
}
