package dev.sotto.node.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.LinkKey;
import dev.sotto.RandomSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server's own rules, in one process with short deadlines (spec: transport.adoc#serving-policy):
 * deadlines in total whatever trickles in, and when the links run out, the oldest connection
 * without a hello, else the link idle longest, makes room for a newcomer.
 */
class ServerTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private final LinkKey key = LinkKey.generate(RANDOM);
  private final List<AutoCloseable> open = new ArrayList<>();
  private Server server;

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Server start(Server.Limits limits) throws IOException {
    server = new Server("127.0.0.1", 0, key, "test", Clock.systemUTC(), RANDOM, new Server.Handler() {
      @Override
      public Object newLink(java.net.InetAddress source) {
        return new Object();
      }

      @Override
      public List<Frame> handle(Object link, Frame request) {
        return List.of(Frame.error(request.requestId(), ErrorCode.UNSUPPORTED_REQUEST));
      }
    }, limits, WireTap.NONE);
    return server;
  }

  private LinkChannel link() throws Exception {
    LinkChannel c = LinkChannel.connect(Address.peer("127.0.0.1", server.port(), key.publicKey()), "client", RANDOM,
        5_000, WireTap.NONE);
    open.add(c);
    return c;
  }

  private Socket raw() throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", server.port()));
    open.add(s);
    return s;
  }

  /** Milliseconds until the node closes {@code s}, writing {@code trickle} bytes one by one every {@code every} ms. */
  private static long closedAfter(Socket s, int trickle, long every, long within) throws IOException {
    long start = System.nanoTime();
    InputStream in = s.getInputStream();
    long next = start;
    int written = 0;
    while ((System.nanoTime() - start) / 1_000_000 < within) {
      if (written < trickle && System.nanoTime() - next >= 0) {
        try {
          s.getOutputStream().write(0);
        } catch (IOException e) {
          return (System.nanoTime() - start) / 1_000_000;
        }
        written++;
        next += every * 1_000_000;
      }
      s.setSoTimeout(20);
      try {
        if (in.read() < 0) {
          return (System.nanoTime() - start) / 1_000_000;
        }
      } catch (SocketTimeoutException e) {
        // still open
      } catch (IOException e) {
        return (System.nanoTime() - start) / 1_000_000;
      }
    }
    return -1;
  }

  private static boolean serves(LinkChannel c) {
    try {
      return c.call(Frame.of(0x33, c.nextRequestId(), new byte[0])).get(0).errorNumber()
          == ErrorCode.UNSUPPORTED_REQUEST.number();
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void deadlinesAreInTotalWhateverTricklesIn() throws Exception {
    start(Server.Limits.DEFAULT.withDeadlines(600, 600, 900));
    // A hello sent a byte every 100 ms: closed at 600 ms, not kept alive by the bytes.
    long hello = closedAfter(raw(), 100, 100, 5_000);
    assertTrue(hello >= 500 && hello < 2_000, "hello deadline: " + hello);
    // An authenticated link that trickles a frame: closed 600 ms after its first byte.
    LinkChannel trickler = link();
    Socket s = socketOf(trickler);
    long frame = closedAfter(s, 100, 100, 5_000);
    assertTrue(frame >= 500 && frame < 2_000, "request deadline: " + frame);
    // An idle link: closed 900 ms after its last request.
    LinkChannel idle = link();
    assertTrue(serves(idle));
    long quiet = closedAfter(socketOf(idle), 0, 0, 5_000);
    assertTrue(quiet >= 800 && quiet < 2_500, "idle deadline: " + quiet);
    assertEquals(1, server.count(Server.Counter.HANDSHAKE_TIMEOUTS));
    assertEquals(1, server.count(Server.Counter.REQUEST_TIMEOUTS));
    assertEquals(1, server.count(Server.Counter.IDLE_CLOSED));
  }

  @Test
  void whenTheLinksRunOutTheOldestUnauthenticatedThenTheOldestIdleMakeRoom() throws Exception {
    start(Server.Limits.DEFAULT.withMaxLinks(3));
    LinkChannel first = link();
    LinkChannel second = link();
    Socket silent = raw();
    awaitOpen(3);
    // A fourth: the silent connection, not an authenticated link, makes room.
    LinkChannel third = link();
    assertTrue(closedAfter(silent, 0, 0, 2_000) >= 0, "the silent connection was closed");
    assertEquals(1, server.count(Server.Counter.EVICTED_UNAUTHENTICATED));
    assertTrue(serves(second) && serves(third), "the links are served");
    // A fifth: every place is an authenticated link; the one idle longest (first) makes room.
    LinkChannel fourth = link();
    assertTrue(serves(fourth), "the newcomer is served");
    assertEquals(1, server.count(Server.Counter.EVICTED_IDLE));
    assertThrows(Exception.class, () -> first.call(Frame.of(0x33, first.nextRequestId(), new byte[0])),
        "the link idle longest was closed");
    assertEquals(0, server.count(Server.Counter.REFUSED_FULL));
  }

  private void awaitOpen(int n) throws InterruptedException {
    for (int i = 0; i < 200 && server.openLinks() < n; i++) {
      Thread.sleep(10);
    }
    assertEquals(n, server.openLinks());
  }

  private static Socket socketOf(LinkChannel c) {
    return c.socket();
  }
}
