package dev.sotto.node.net;

import dev.sotto.Frame;
import dev.sotto.LinkKey;
import dev.sotto.LinkReplayFilter;
import dev.sotto.LinkResponder;
import dev.sotto.RandomSource;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.Closeable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts links and answers their requests (spec: transport.adoc#requests), within the limits of
 * transport.adoc#mailbox-policy, on a non-blocking engine (Netty, NIO transport): a connection
 * costs a channel and a few small objects, not a thread, so a slow or silent one holds nothing
 * that an honest one needs.
 *
 * <p>One event-loop thread reads and writes every connection and keeps the table of links
 * ({@link LinkTable}); it does nothing that costs more than a hash. A {@code LinkHello} is
 * checked there (the checks of transport.adoc#link-accept steps 1 to 6, the replay filter among
 * them) and then against the handshake budgets (#handshake-budgets), so that a hello refused by
 * them costs no public-key operation; only then does the key exchange run, on a small bounded pool
 * of its own. Requests are opened, answered (the {@link Handler}: the node's logic and its store)
 * and sealed on a second bounded pool, one request at a time per link, in the order links asked:
 * a link waits for at most one request of each other link.
 *
 * <p>Deadlines are per exchange, in total, never per read: a connection has {@link
 * Limits#handshakeMillis} from its accept to a complete hello; a request frame has {@link
 * Limits#requestMillis} from its first byte to its last, and its responses as long to be taken by
 * the peer; a link with no request under way is closed {@link Limits#idleMillis} after its last
 * one ended. Bytes that trickle in extend none of them.
 *
 * <p>When the links run out ({@link Limits#maxLinks}, at most the process's file descriptors less a
 * reserve), a newcomer is not refused: the connection that has not completed its hello for the
 * longest is closed to make room, else the link slowest in sending a request, else the link idle
 * for the longest. Likewise when the bytes buffered for incomplete hellos and frames and for
 * responses not yet taken pass {@link Limits#maxBufferedBytes}, the oldest holders are closed.
 * Every such close is counted ({@link #counters}); none is logged.
 */
public final class Server implements Closeable {
  /** A pace for the bytes of requests: sustained bytes per second and burst. */
  public record Pace(double perSecond, long burst) {
    public Pace {
      if (!(perSecond > 0) || burst < 1) {
        throw new IllegalArgumentException("a pace must be positive");
      }
    }
  }

  /**
   * The server's limits: links at once; the deadlines of a handshake, of a request (to read its
   * frame, and again to write its responses) and of an idle link; the request rate per link
   * (sustained, burst); the pace at which request bytes are read, per link and in all; the
   * handshake budgets; the bytes buffered in all; the threads that run key exchanges and requests.
   */
  public record Limits(int maxLinks, int handshakeMillis, int requestMillis, int idleMillis, double requestsPerSecond,
      int burst, Pace linkPace, Pace pace, HandshakeBudget.Rates handshakes, long maxBufferedBytes, int workers) {
    /**
     * The reference node's (spec: transport.adoc#mailbox-policy); the bytes buffered in all are 64
     * MiB, or an eighth of the heap if that is less (answers that a peer does not take are held in
     * the heap until it does).
     */
    public static final Limits DEFAULT = new Limits(16_384, 5_000, 10_000, 60_000, 1024, 2048,
        new Pace(4 << 20, 16 << 20), new Pace(16 << 20, 32 << 20), HandshakeBudget.Rates.DEFAULT,
        Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8), 2);

    public Limits {
      if (maxLinks < 1 || handshakeMillis < 1 || requestMillis < 1 || idleMillis < 1 || burst < 1
          || !(requestsPerSecond > 0) || maxBufferedBytes < 1 || workers < 1) {
        throw new IllegalArgumentException("limits must be positive");
      }
    }

    public Limits withHandshakes(HandshakeBudget.Rates rates) {
      return new Limits(maxLinks, handshakeMillis, requestMillis, idleMillis, requestsPerSecond, burst, linkPace, pace,
          rates, maxBufferedBytes, workers);
    }

    public Limits withMaxLinks(int n) {
      return new Limits(n, handshakeMillis, requestMillis, idleMillis, requestsPerSecond, burst, linkPace, pace,
          handshakes, maxBufferedBytes, workers);
    }

    public Limits withIdleMillis(int millis) {
      return withDeadlines(handshakeMillis, requestMillis, millis);
    }

    public Limits withDeadlines(int handshake, int request, int idle) {
      return new Limits(maxLinks, handshake, request, idle, requestsPerSecond, burst, linkPace, pace, handshakes,
          maxBufferedBytes, workers);
    }
  }

  /**
   * What became of the hellos this server read (for tests and operators): key exchanges begun
   * (proof checks; each admitted by the budgets), handshakes completed, replays refused, and
   * connections refused by the budgets.
   */
  public record Handshakes(long keyExchanges, long completed, long replays, long overBudget) {}

  /** What the server does with each request: the node's logic. */
  public interface Handler {
    /** A fresh per-link state object for a link from {@code source}. */
    Object newLink(InetAddress source);

    /** The responses to one request; must not throw for bad input (an exception closes the link). */
    List<Frame> handle(Object link, Frame request) throws Exception;

    /**
     * The responses to requests that came together on one link, in order: those of each request
     * in turn (a handler may commit them together, answering only after the commit).
     */
    default List<List<Frame>> handleAll(Object link, List<Frame> requests) throws Exception {
      List<List<Frame>> answers = new java.util.ArrayList<>();
      for (Frame request : requests) {
        answers.add(handle(link, request));
      }
      return answers;
    }
  }

  /** The server's counters, by name. */
  public enum Counter {
    /** Connections accepted. */
    ACCEPTED,
    /** Key exchanges begun: hellos that passed the checks and the budgets. */
    KEY_EXCHANGES,
    /** Handshakes completed (LinkAccept sent). */
    COMPLETED,
    /** Hellos refused as REPLAY. */
    REPLAYS,
    /** Hellos refused by the handshake budgets. */
    OVER_BUDGET,
    /** Hellos refused for another reason (version, time, key, proof, a full replay filter). */
    BAD_HELLOS,
    /** Connections closed for not completing their hello in time. */
    HANDSHAKE_TIMEOUTS,
    /** Links closed for a request frame, or the taking of its responses, not completed in time. */
    REQUEST_TIMEOUTS,
    /** Links closed after the idle limit. */
    IDLE_CLOSED,
    /** Connections closed, before their hello was complete, to make room for a newcomer. */
    EVICTED_UNAUTHENTICATED,
    /** Links closed, in the middle of sending a request, to make room for a newcomer. */
    EVICTED_SLOW,
    /** Idle links closed to make room for a newcomer. */
    EVICTED_IDLE,
    /** Connections closed because the bytes buffered in all passed the limit. */
    EVICTED_BUFFERS,
    /** Newcomers closed because every link was busy. */
    REFUSED_FULL,
    /** Connections closed because a worker pool's queue was full. */
    OVERLOADED,
    /** Links closed for a link error (a frame that does not open, a response from the initiator). */
    LINK_ERRORS,
    /** Requests answered. */
    REQUESTS,
    /** Requests answered with LIMIT_EXCEEDED by the request rate. */
    RATE_LIMITED,
    /** Times a link's next request waited for the pace of request bytes (its own, or every link's). */
    PACED,
    /** Links closed because answering a request failed (the store). */
    HANDLER_FAILURES
  }

  private final LinkResponder responder;
  private final HandshakeBudget budget;
  private final Clock clock;
  private final String name;
  private final RandomSource random;
  private final Handler handler;
  private final Limits limits;
  private final int maxLinks;
  private final WireTap tap;
  private final EventLoopGroup group;
  private final Channel listener;
  private final ThreadPoolExecutor keyExchanges;
  private final ThreadPoolExecutor requests;
  private final LinkTable table;
  /** The event loop of every connection. */
  private final EventLoop loop;
  /** The bytes of requests every link together may still have read now (used on the event loop only). */
  private double paceLevel;
  private long paceLast;
  /** Links waiting for the pace of every link together, in the order they came: each is served in turn. */
  private final ArrayDeque<ServedLink> paceQueue = new ArrayDeque<>();
  private boolean paceTimer;
  private final AtomicLong[] counters = new AtomicLong[Counter.values().length];
  /** Links open now (written on the event loop, read anywhere). */
  final AtomicInteger open = new AtomicInteger();
  private volatile boolean closed;

  /** A server on {@code clock} (the hellos' clock window); budgets and deadlines run on {@link System#nanoTime()}. */
  public Server(String host, int port, LinkKey key, String name, Clock clock, RandomSource random, Handler handler,
      Limits limits, WireTap tap) throws IOException {
    for (int i = 0; i < counters.length; i++) {
      counters[i] = new AtomicLong();
    }
    this.responder = new LinkResponder(key, new LinkReplayFilter(limits.handshakes().replayFilterCapacity()));
    this.budget = new HandshakeBudget(limits.handshakes(), System.nanoTime());
    this.clock = clock;
    this.name = name;
    this.random = random;
    this.handler = handler;
    this.limits = limits;
    this.maxLinks = (int) Math.min(limits.maxLinks(), Math.max(16, fileDescriptors() - FD_RESERVE));
    this.tap = tap;
    this.paceLevel = limits.pace().burst();
    this.paceLast = System.nanoTime();
    // Key exchanges come at most at the global budget's rate: its burst bounds the queue.
    this.keyExchanges = pool(name + "-kex", limits.workers(), limits.handshakes().globalBurst() + 16);
    // At most one request per link is under way: the number of links bounds the queue.
    this.requests = pool(name + "-req", limits.workers(), maxLinks + 16);
    this.group = new MultiThreadIoEventLoopGroup(1, r -> {
      Thread t = new Thread(r, name + "-io");
      t.setDaemon(true);
      return t;
    }, NioIoHandler.newFactory());
    this.loop = group.next();
    this.table = new LinkTable(this, loop);
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(loop)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        // One read of at most 16 KiB each time a link asks for bytes: what a link reads ahead of
        // the request it waits on is bounded.
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(64, 1024, 16 * 1024)
            .maxMessagesPerRead(1))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new ServedLink(Server.this, table, ch.remoteAddress()));
          }
        });
    try {
      this.listener = bootstrap.bind(new InetSocketAddress(InetAddress.getByName(host), port)).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdown();
      throw new IOException("interrupted while binding " + host + ":" + port, e);
    } catch (RuntimeException e) {
      shutdown();
      throw new IOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    table.start();
  }

  /** File descriptors kept for everything but links: the store, outgoing links, the JVM's own files. */
  static final int FD_RESERVE = 512;

  private static long fileDescriptors() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return Long.MAX_VALUE;
  }

  private static ThreadPoolExecutor pool(String name, int threads, int queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queue), r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** The port the server listens on (useful when started on port 0). */
  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Links open now: connections accepted and not closed, authenticated or not. */
  public int openLinks() {
    return open.get();
  }

  /** The most links held at once: {@link Limits#maxLinks}, or fewer if the process has fewer file descriptors. */
  public int maxLinks() {
    return maxLinks;
  }

  /** What became of the hellos read so far. */
  public Handshakes handshakes() {
    return new Handshakes(count(Counter.KEY_EXCHANGES), count(Counter.COMPLETED), count(Counter.REPLAYS),
        count(Counter.OVER_BUDGET));
  }

  /** One counter's value since start. */
  public long count(Counter c) {
    return counters[c.ordinal()].get();
  }

  /** Every counter, by its lower-case name, and the links open now ({@code open_links}, {@code max_links}). */
  public Map<String, Long> counters() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Counter c : Counter.values()) {
      m.put(c.name().toLowerCase(java.util.Locale.ROOT), count(c));
    }
    m.put("open_links", (long) open.get());
    m.put("max_links", (long) maxLinks);
    return m;
  }

  void add(Counter c) {
    counters[c.ordinal()].incrementAndGet();
  }

  Limits limits() {
    return limits;
  }

  int linkCapacity() {
    return maxLinks;
  }

  LinkResponder responder() {
    return responder;
  }

  Clock clock() {
    return clock;
  }

  String name() {
    return name;
  }

  RandomSource random() {
    return random;
  }

  Handler handler() {
    return handler;
  }

  WireTap tap() {
    return tap;
  }

  ExecutorService keyExchanges() {
    return keyExchanges;
  }

  ExecutorService requests() {
    return requests;
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Takes a frame of {@code bytes} from the pace of every link together, on the event loop: true
   * when it may be read now (the level may go into debt by one frame); else the link waits in line
   * behind those that came before it, and {@link ServedLink#paced} is called when its turn comes.
   */
  /** As {@link #pace}, but never waits: false when the bytes are not to be had now (nothing is queued). */
  boolean tryPace(long bytes) {
    refill(System.nanoTime());
    if (paceQueue.isEmpty() && paceLevel > 0) {
      paceLevel -= bytes;
      return true;
    }
    return false;
  }

  boolean pace(ServedLink link, long bytes) {
    refill(System.nanoTime());
    if (paceQueue.isEmpty() && paceLevel > 0) {
      paceLevel -= bytes;
      return true;
    }
    link.waitingBytes = bytes;
    paceQueue.add(link);
    schedulePace();
    return false;
  }

  private void refill(long now) {
    if (now - paceLast > 0) {
      paceLevel = Math.min(limits.pace().burst(), paceLevel + (now - paceLast) / 1e9 * limits.pace().perSecond());
      paceLast = now;
    }
  }

  private void schedulePace() {
    if (paceTimer) {
      return;
    }
    paceTimer = true;
    long wait = (long) Math.ceil(Math.max(1, 1 - paceLevel) / limits.pace().perSecond() * 1e9);
    loop.schedule(() -> {
      paceTimer = false;
      refill(System.nanoTime());
      while (paceLevel > 0 && !paceQueue.isEmpty()) {
        ServedLink next = paceQueue.poll();
        if (next.paced()) {
          paceLevel -= next.waitingBytes;
        }
      }
      if (!paceQueue.isEmpty()) {
        schedulePace();
      }
    }, wait, TimeUnit.NANOSECONDS);
  }

  /** Between the hello's checks and its key exchange (spec: transport.adoc#handshake-budgets). */
  boolean admit(InetAddress source) {
    if (budget.admit(source, System.nanoTime()) != HandshakeBudget.Outcome.ADMITTED) {
      add(Counter.OVER_BUDGET);
      return false;
    }
    add(Counter.KEY_EXCHANGES);
    return true;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    listener.close().awaitUninterruptibly(2_000);
    shutdown();
  }

  private void shutdown() {
    closed = true;
    // Closing the loop closes every channel; each link destroys its keys as it goes.
    group.shutdownGracefully(0, 1_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5_000);
    keyExchanges.shutdownNow();
    requests.shutdownNow();
  }
}
