package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Frame;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import dev.sotto.node.store.StoreException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The links a node opened to other nodes, one per address, kept open between requests
 * (spec: transport.adoc#node-delivery). Each phase of an exchange has a total budget (see
 * {@link Budgets}), enforced by a watchdog that closes the socket when it runs out, so that an
 * address that answers one byte at a time (a tarpit) costs its budget and no more: a per-read
 * timeout alone would let it hold the caller for as long as it keeps dribbling.
 *
 * <p>Each address has its own lock: an exchange with one address never waits for another. An
 * address that failed rests before it is tried again (see {@link #resting}): 2 s after a refused
 * connection (cheap to find out again), else 1 s doubling up to 60 s (a silent or slow address
 * costs a budget each time). What each address last did is kept as its {@link Health}.
 */
final class LinkPool implements AutoCloseable {
  /**
   * The total time each phase of an exchange may take: the TCP connect, the link handshake, a
   * request and its responses (a FETCH, whose answer can hold 64 envelopes, gets longer), and how
   * long an exchange waits for another one to the same address to end.
   */
  record Budgets(Duration connect, Duration handshake, Duration request, Duration fetch, Duration queue) {
    static final Budgets DEFAULT = new Budgets(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(2));
  }

  /** How long an address that refused a connection rests (offline, or reachable only through mailboxes). */
  private static final long REFUSED_REST_MILLIS = 2_000;
  /** The rest after a costlier failure (a deadline, a failed handshake): 1 s, doubling, at most 60 s. */
  private static final Backoff REST = new Backoff(1_000, 60_000);

  /**
   * What is known of an address: whether its last exchange went through ({@code ok}), since
   * when that holds (wall clock, ms), the reason of the last failure (null when ok), when it last
   * went through (0: never), how many failures in a row, and until when it rests (nanoTime).
   */
  record Health(Address address, boolean ok, long sinceMillis, String error, long lastOkMillis, int failures,
      long restUntilNanos) {}

  /** Told when an address goes from working to failing, or back (not at every failure). */
  interface Listener {
    void changed(Health before, Health after);
  }

  /** A link as an exchange sees it: each call has its budget. */
  interface Calls {
    long nextRequestId();

    /** Sends a request and reads its responses (see {@link LinkChannel#call}) within the request budget. */
    List<Frame> call(Frame request) throws IOException, SottoException;

    /** Sends requests ahead and reads their responses (see {@link LinkChannel#callAll}), within the request budget. */
    List<List<Frame>> callAll(List<Frame> requests) throws IOException, SottoException;
  }

  /** What a caller does on a link. */
  interface Exchange<T> {
    T run(Calls link) throws IOException, SottoException, StoreException;
  }

  /** An exchange that took longer than its budget: the watchdog closed the connection. */
  static final class DeadlineExceeded extends IOException {
    private static final long serialVersionUID = 1L;

    DeadlineExceeded(String message) {
      super(message);
    }
  }

  /** The address rests after a failure, or another exchange holds it for longer than the queue budget. */
  static final class NotNow extends IOException {
    private static final long serialVersionUID = 1L;

    NotNow(String message) {
      super(message);
    }
  }

  private final String name;
  private final Clock clock;
  private final RandomSource random;
  private final WireTap tap;
  private final Budgets budgets;
  private final Map<String, Slot> slots = new ConcurrentHashMap<>();
  private volatile Dialer dialer = Dialer.TCP;
  private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ScheduledThreadPoolExecutor watchdog;
  private volatile boolean closed;

  /** One address: its lock, its open link and socket, its health. */
  private static final class Slot {
    final ReentrantLock lock = new ReentrantLock();
    LinkChannel channel;
    Socket socket;
    volatile Health health;
    /** The address's own slot, for a slot of a lane (whose health is the address's); null for the address's own. */
    final Slot main;
    final String lane;

    Slot(Address address) {
      this(address, null, "");
    }

    Slot(Address address, Slot main, String lane) {
      health = new Health(address, true, 0, null, 0, 0, 0);
      this.main = main;
      this.lane = lane;
    }

    /** Where the outcome of an exchange is kept: the address's own slot. */
    Slot owner() {
      return main != null ? main : this;
    }
  }

  LinkPool(String name, Clock clock, RandomSource random, WireTap tap) {
    this(name, clock, random, tap, Budgets.DEFAULT);
  }

  LinkPool(String name, Clock clock, RandomSource random, WireTap tap, Budgets budgets) {
    this.name = name;
    this.clock = clock;
    this.random = random;
    this.tap = tap;
    this.budgets = budgets;
    this.watchdog = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name + "-deadlines");
      t.setDaemon(true);
      return t;
    });
    watchdog.setRemoveOnCancelPolicy(true);
  }

  Budgets budgets() {
    return budgets;
  }

  /** How links are opened from now on: straight over TCP (the default), or through Tor. */
  void dialer(Dialer d) {
    this.dialer = java.util.Objects.requireNonNull(d);
  }

  /** Whether links of different lanes to one address are kept apart on the network (through Tor). */
  boolean isolatesLanes() {
    return dialer.isolatesLanes();
  }

  /** Whether this pool can open a link to {@code address} at all (an onion address needs Tor). */
  boolean reaches(Address address) {
    return dialer.reaches(address);
  }

  void onChange(Listener listener) {
    listeners.add(listener);
  }

  private Slot slot(Address address) {
    return slots.computeIfAbsent(Node.addressText(address), k -> new Slot(address));
  }

  /**
   * The slot of a lane of {@code address}: a link of its own (through Tor, on circuits of its own:
   * the lane is part of the isolation credentials), whose outcomes count for the address.
   */
  private Slot slot(Address address, String lane) {
    if (lane.isEmpty()) {
      return slot(address);
    }
    Slot main = slot(address);
    return slots.computeIfAbsent(Node.addressText(address) + "#" + lane, k -> new Slot(address, main, lane));
  }

  /** Whether the address failed a moment ago and rests. */
  boolean resting(Address address) {
    Slot slot = slots.get(Node.addressText(address));
    return slot != null && resting(slot.health);
  }

  private static boolean resting(Health h) {
    return h.failures() > 0 && System.nanoTime() - h.restUntilNanos() < 0;
  }

  /** What is known of the address; a fresh one (ok, never tried) if nothing. */
  Health health(Address address) {
    Slot slot = slots.get(Node.addressText(address));
    return slot != null ? slot.health : new Health(address, true, 0, null, 0, 0, 0);
  }

  /** Every address tried so far. */
  List<Health> health() {
    List<Health> out = new ArrayList<>();
    slots.values().stream().filter(s -> s.main == null).forEach(s -> out.add(s.health));
    return out;
  }

  /**
   * Runs an exchange on the open link to {@code address}, or on a new one. An open link may have
   * been closed by the other side meanwhile (its idle timeout): a failure on it is tried once
   * more on a fresh link before it counts, unless it was a deadline (the other side is slow,
   * not gone). A link on which an exchange failed is closed.
   *
   * @throws NotNow when the address rests after a failure, or another exchange holds it for
   *     longer than the queue budget (nothing was tried: its health is unchanged)
   * @throws DeadlineExceeded when a phase ran out of its budget
   */
  <T> T exchange(Address address, Exchange<T> exchange) throws IOException, SottoException, StoreException {
    return exchange(address, "", exchange);
  }

  /**
   * As {@link #exchange(Address, Exchange)}, on the link of a lane of the address (an empty lane:
   * the address's own link). The address's health is the lanes' together.
   */
  <T> T exchange(Address address, String lane, Exchange<T> exchange) throws IOException, SottoException, StoreException {
    Slot slot = slot(address, lane);
    if (resting(slot.owner().health)) {
      throw new NotNow("resting after: " + slot.owner().health.error());
    }
    try {
      if (!slot.lock.tryLock(budgets.queue().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new NotNow("busy with another exchange");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotNow("interrupted");
    }
    try {
      if (resting(slot.owner().health)) {
        throw new NotNow("resting after: " + slot.owner().health.error());
      }
      boolean reused = slot.channel != null && !slot.channel.isClosed();
      try {
        T result = runOn(slot, address, exchange);
        succeeded(slot);
        return result;
      } catch (IOException | SottoException | StoreException | RuntimeException e) {
        drop(slot);
        if (!reused || e instanceof StoreException || e instanceof DeadlineExceeded || closed) {
          if (!(e instanceof StoreException)) {
            failed(slot, e);
          }
          throw e;
        }
      }
      try {
        T result = runOn(slot, address, exchange);
        succeeded(slot);
        return result;
      } catch (IOException | SottoException | StoreException | RuntimeException e) {
        drop(slot);
        if (!(e instanceof StoreException)) {
          failed(slot, e);
        }
        throw e;
      }
    } finally {
      slot.lock.unlock();
    }
  }

  private <T> T runOn(Slot slot, Address address, Exchange<T> exchange)
      throws IOException, SottoException, StoreException {
    LinkChannel channel = channel(slot, address);
    Socket socket = slot.socket;
    return exchange.run(new Calls() {
      @Override
      public long nextRequestId() {
        return channel.nextRequestId();
      }

      @Override
      public List<Frame> call(Frame request) throws IOException, SottoException {
        Duration budget = request.type() == Frame.FETCH || request.type() == Frame.FETCH_GROUP
            || request.type() == Frame.FETCH_PREFIX || request.type() == Frame.BACKUP_GET ? budgets.fetch()
            : budgets.request();
        return within(socket, budget, requestName(request.type()), () -> channel.call(request));
      }

      @Override
      public List<List<Frame>> callAll(List<Frame> requests) throws IOException, SottoException {
        return within(socket, budgets.request(), requestName(requests.get(0).type()), () -> channel.callAll(requests));
      }
    });
  }

  private LinkChannel channel(Slot slot, Address address) throws IOException, SottoException {
    if (slot.channel != null && !slot.channel.isClosed()) {
      return slot.channel;
    }
    if (closed) {
      throw new IOException("closed");
    }
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      int connectMillis = (int) budgets.connect().toMillis();
      dialer.dial(socket, address, slot.lane, connectMillis);
      // A bound on each read as well, should the watchdog be late.
      socket.setSoTimeout((int) Math.max(budgets.request().toMillis(), budgets.fetch().toMillis()));
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
    LinkChannel channel = within(socket, budgets.handshake(), "the link handshake",
        () -> LinkChannel.initiate(socket, address, name, clock, random, tap));
    slot.channel = channel;
    slot.socket = socket;
    return channel;
  }

  private interface Phase<T> {
    T run() throws IOException, SottoException;
  }

  /** Runs a phase; if it takes longer than {@code budget}, the socket is closed under it. */
  private <T> T within(Socket socket, Duration budget, String what, Phase<T> phase) throws IOException, SottoException {
    AtomicBoolean fired = new AtomicBoolean();
    ScheduledFuture<?> alarm = watchdog.schedule(() -> {
      fired.set(true);
      closeQuietly(socket);
    }, budget.toMillis(), TimeUnit.MILLISECONDS);
    try {
      T result = phase.run();
      if (fired.get()) {
        throw new DeadlineExceeded(what + " took more than " + seconds(budget));
      }
      return result;
    } catch (IOException | SottoException | RuntimeException e) {
      if (fired.get()) {
        throw new DeadlineExceeded("no answer to " + what + " within " + seconds(budget));
      }
      throw e;
    } finally {
      alarm.cancel(false);
    }
  }

  static String requestName(int type) {
    return switch (type) {
      case Frame.DELIVER -> "DELIVER";
      case Frame.DEPOSIT -> "DEPOSIT";
      case Frame.FETCH -> "FETCH";
      case Frame.ACK -> "ACK";
      case Frame.PUBLISH -> "PUBLISH";
      case Frame.GET_PREKEYS -> "GET_PREKEYS";
      case Frame.DEPOSIT_GROUP -> "DEPOSIT_GROUP";
      case Frame.TAKE -> "TAKE";
      case Frame.FETCH_GROUP -> "FETCH_GROUP";
      case Frame.FETCH_PREFIX -> "FETCH_PREFIX";
      default -> "request 0x" + Integer.toHexString(type);
    };
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private void succeeded(Slot lane) {
    Slot slot = lane.owner();
    Health before = slot.health;
    long now = clock.millis();
    Health after = new Health(before.address(), true, before.ok() && before.sinceMillis() > 0 ? before.sinceMillis() : now,
        null, now, 0, 0);
    slot.health = after;
    if (!before.ok()) {
      listeners.forEach(l -> l.changed(before, after));
    }
  }

  private void failed(Slot lane, Exception e) {
    if (closed || e instanceof NotNow) {
      return;
    }
    Slot slot = lane.owner();
    Health before = slot.health;
    int failures = before.failures() + 1;
    boolean refused = e instanceof ConnectException && !(e instanceof NoRouteToHostException);
    long rest = refused ? REFUSED_REST_MILLIS : REST.afterMillis(failures);
    long now = clock.millis();
    Health after = new Health(before.address(), false, before.ok() ? now : before.sinceMillis(), reason(e),
        before.lastOkMillis(), failures, System.nanoTime() + rest * 1_000_000);
    slot.health = after;
    if (before.ok() || !after.error().equals(before.error())) {
      listeners.forEach(l -> l.changed(before, after));
    }
  }

  /** A failure in words, for the user and the log: never a key, a frame's bytes or a text. */
  static String reason(Exception e) {
    if (e instanceof DeadlineExceeded || e instanceof NotNow) {
      return e.getMessage();
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    if (e instanceof NoRouteToHostException) {
      return "no route to host";
    }
    if (e instanceof UnknownHostException) {
      return "unknown host";
    }
    if (e instanceof SocketTimeoutException) {
      return "no answer in time";
    }
    if (e instanceof EOFException) {
      return "the other side closed the connection";
    }
    if (e instanceof SottoException s) {
      return "refused: " + s.code();
    }
    if (e instanceof StoreException) {
      return "the store: " + e.getMessage(); // its messages name files and tables, never values
    }
    if (e instanceof IOException && e.getMessage() != null) {
      return e.getMessage().startsWith("link error") || e.getMessage().startsWith("the mailbox") ? e.getMessage()
          : "network: " + e.getMessage();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  private static void drop(Slot slot) {
    if (slot.channel != null) {
      slot.channel.close();
    } else if (slot.socket != null) {
      closeQuietly(slot.socket);
    }
    slot.channel = null;
    slot.socket = null;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing: nothing left to do
    }
  }

  /** Closes every link, also those in use (their exchanges fail). */
  @Override
  public void close() {
    closed = true;
    for (Slot slot : slots.values()) {
      Socket s = slot.socket;
      if (s != null) {
        closeQuietly(s);
      }
      if (slot.lock.tryLock()) {
        try {
          drop(slot);
        } finally {
          slot.lock.unlock();
        }
      }
    }
    watchdog.shutdownNow();
  }
}
