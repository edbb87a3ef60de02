package dev.sotto.node.net;

import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.LinkKey;
import dev.sotto.LinkReplayFilter;
import dev.sotto.LinkResponder;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts links and answers their requests (spec: transport.adoc#requests), within the limits of
 * transport.adoc#mailbox-policy: at most {@link Limits#maxLinks} links at once, a handshake
 * deadline, handshake budgets and a replay filter (#handshake-budgets, #link-replay), an idle
 * timeout and a request rate per link. A hello that is replayed, stale or over budget is closed
 * before any public-key operation; a link that breaks a rule of the framing is closed; one that
 * asks too fast gets {@code ERROR LIMIT_EXCEEDED}. Other links are served meanwhile, each on its
 * own thread.
 */
public final class Server implements Closeable {
  /** The server's limits. */
  public record Limits(int maxLinks, int handshakeMillis, int idleMillis, double requestsPerSecond, int burst,
      HandshakeBudget.Rates handshakes) {
    public static final Limits DEFAULT = new Limits(64, 5_000, 60_000, 1024, 2048, HandshakeBudget.Rates.DEFAULT);

    public Limits withHandshakes(HandshakeBudget.Rates rates) {
      return new Limits(maxLinks, handshakeMillis, idleMillis, requestsPerSecond, burst, rates);
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
    Object newLink(java.net.InetAddress source);

    /** The responses to one request; must not throw for bad input. */
    List<Frame> handle(Object link, Frame request) throws Exception;
  }

  private final ServerSocket socket;
  private final LinkResponder responder;
  private final HandshakeBudget budget;
  private final Clock clock;
  private final String name;
  private final RandomSource random;
  private final Handler handler;
  private final Limits limits;
  private final WireTap tap;
  private final ExecutorService pool;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger links = new AtomicInteger();
  private final AtomicLong keyExchanges = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong replays = new AtomicLong();
  private final AtomicLong overBudget = new AtomicLong();
  private volatile boolean closed;

  /** A server on {@code clock} (the hellos' clock window); budgets run on {@link System#nanoTime()}. */
  public Server(String host, int port, LinkKey key, String name, Clock clock, RandomSource random, Handler handler,
      Limits limits, WireTap tap) throws IOException {
    this.socket = new ServerSocket();
    this.socket.setReuseAddress(true);
    this.socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
    this.responder = new LinkResponder(key, new LinkReplayFilter(limits.handshakes().replayFilterCapacity()));
    this.budget = new HandshakeBudget(limits.handshakes(), System.nanoTime());
    this.clock = clock;
    this.name = name;
    this.random = random;
    this.handler = handler;
    this.limits = limits;
    this.tap = tap;
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, name + "-link");
      t.setDaemon(true);
      return t;
    });
    Thread acceptor = new Thread(this::acceptLoop, name + "-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port the server listens on (useful when started on port 0). */
  public int port() {
    return socket.getLocalPort();
  }

  /** Links open now. */
  public int openLinks() {
    return links.get();
  }

  /** What became of the hellos read so far. */
  public Handshakes handshakes() {
    return new Handshakes(keyExchanges.get(), completed.get(), replays.get(), overBudget.get());
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = socket.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      if (links.incrementAndGet() > limits.maxLinks()) {
        links.decrementAndGet();
        closeQuietly(s);
        continue;
      }
      open.add(s);
      pool.execute(() -> {
        try {
          serve(s);
        } finally {
          open.remove(s);
          closeQuietly(s);
          links.decrementAndGet();
        }
      });
    }
  }

  private void serve(Socket s) {
    LinkChannel channel;
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(limits.handshakeMillis());
      InetAddress source = s.getInetAddress();
      channel = LinkChannel.accept(s, responder, clock, () -> admit(source), name, random, tap);
      completed.incrementAndGet();
      s.setSoTimeout(limits.idleMillis());
    } catch (SottoException e) {
      if (e.code() == ErrorCode.REPLAY) {
        replays.incrementAndGet();
      }
      return; // a refused hello: nothing to answer
    } catch (IOException | RuntimeException e) {
      return; // over budget, a timeout or a peer that went away: nothing to answer
    }
    Object state = handler.newLink(s.getInetAddress());
    double tokens = limits.burst();
    long last = System.nanoTime();
    try {
      while (!closed) {
        Frame request = channel.receive();
        if (!request.isRequest()) {
          return; // a response from the initiator is a link error
        }
        long now = System.nanoTime();
        tokens = Math.min(limits.burst(), tokens + (now - last) / 1e9 * limits.requestsPerSecond());
        last = now;
        List<Frame> responses;
        if (tokens < 1) {
          responses = List.of(Frame.error(request.requestId(), ErrorCode.LIMIT_EXCEEDED));
        } else {
          tokens -= 1;
          responses = handler.handle(state, request);
        }
        for (Frame response : responses) {
          channel.send(response);
        }
        channel.flush();
      }
    } catch (Exception e) {
      // a link error, the peer went away or timed out, or the store failed: close this link,
      // serve the others
    } finally {
      channel.close();
    }
  }

  /** Between the hello's checks and its key exchange (spec: transport.adoc#handshake-budgets). */
  private boolean admit(InetAddress source) {
    if (budget.admit(source, System.nanoTime()) != HandshakeBudget.Outcome.ADMITTED) {
      overBudget.incrementAndGet();
      return false;
    }
    keyExchanges.incrementAndGet();
    return true;
  }

  private static void closeQuietly(Closeable s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(socket);
    for (Socket s : open) {
      closeQuietly(s);
    }
    pool.shutdownNow();
  }

}
