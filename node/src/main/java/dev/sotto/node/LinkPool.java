package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import dev.sotto.node.store.StoreException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The links a node opened to other nodes, one per address, kept open between requests. An
 * address that refused a connection rests for a while before it is tried again.
 */
final class LinkPool implements AutoCloseable {
  private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
  private static final int CALL_TIMEOUT_MILLIS = 10_000;
  /** How long an address that refused a connection is not tried (offline, or reachable only through mailboxes). */
  private static final long REST_NANOS = Duration.ofSeconds(2).toNanos();

  private final String name;
  private final Clock clock;
  private final RandomSource random;
  private final WireTap tap;
  private final Map<String, LinkChannel> channels = new HashMap<>();
  private final Map<String, Long> restingUntil = new ConcurrentHashMap<>();

  LinkPool(String name, Clock clock, RandomSource random, WireTap tap) {
    this.name = name;
    this.clock = clock;
    this.random = random;
    this.tap = tap;
  }

  /** What a caller does on a link. */
  interface Exchange<T> {
    T run(LinkChannel channel) throws IOException, SottoException, StoreException;
  }

  /** Whether the address refused a connection a moment ago. */
  boolean resting(Address address) {
    Long until = restingUntil.get(Node.addressText(address));
    return until != null && System.nanoTime() - until < 0;
  }

  /**
   * Runs an exchange on the open link to {@code address}, or on a new one. An open link may have
   * been closed by the other side meanwhile (its idle timeout): a failure on it is tried once
   * more on a fresh link before it counts. A link on which an exchange failed is closed.
   */
  <T> T exchange(Address address, Exchange<T> exchange) throws IOException, SottoException, StoreException {
    boolean reused = isOpen(address);
    try {
      return exchange.run(channel(address));
    } catch (IOException | SottoException | StoreException | RuntimeException e) {
      drop(address);
      if (!reused || e instanceof StoreException) {
        throw e;
      }
    }
    try {
      return exchange.run(channel(address));
    } catch (IOException | SottoException | StoreException | RuntimeException e) {
      drop(address);
      throw e;
    }
  }

  private boolean isOpen(Address address) {
    synchronized (channels) {
      LinkChannel channel = channels.get(Node.addressText(address));
      return channel != null && !channel.isClosed();
    }
  }

  private LinkChannel channel(Address address) throws IOException, SottoException {
    String key = Node.addressText(address);
    synchronized (channels) {
      LinkChannel channel = channels.get(key);
      if (channel != null && !channel.isClosed()) {
        return channel;
      }
      try {
        channel = LinkChannel.connect(address, name, clock, random, CONNECT_TIMEOUT_MILLIS, tap);
      } catch (IOException e) {
        restingUntil.put(key, System.nanoTime() + REST_NANOS);
        throw e;
      }
      restingUntil.remove(key);
      channel.setTimeout(CALL_TIMEOUT_MILLIS);
      channels.put(key, channel);
      return channel;
    }
  }

  private void drop(Address address) {
    synchronized (channels) {
      LinkChannel channel = channels.remove(Node.addressText(address));
      if (channel != null) {
        channel.close();
      }
    }
  }

  @Override
  public void close() {
    synchronized (channels) {
      channels.values().forEach(LinkChannel::close);
      channels.clear();
    }
  }
}
