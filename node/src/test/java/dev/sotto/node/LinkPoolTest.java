package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.LinkKey;
import dev.sotto.RandomSource;
import dev.sotto.node.net.WireTap;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pool's budgets are totals: a listener that sends a byte every 100 ms (each read returns
 * in time) still costs no more than the handshake budget; the address then rests; and an exchange
 * with another address does not wait for it.
 */
class LinkPoolTest {
  private static final LinkPool.Budgets SHORT = new LinkPool.Budgets(Duration.ofSeconds(1), Duration.ofMillis(500),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(200));
  private static final byte[] KEY = LinkKey.generate(RandomSource.secure()).publicKey();

  private final List<Socket> held = new CopyOnWriteArrayList<>();
  private ServerSocket tarpit;

  @AfterEach
  void close() throws IOException {
    if (tarpit != null) {
      tarpit.close();
    }
    for (Socket s : held) {
      s.close();
    }
  }

  /** Accepts, then writes one byte every 100 ms. */
  private int dribbler() throws IOException {
    tarpit = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      try {
        while (true) {
          Socket s = tarpit.accept();
          held.add(s);
          Thread d = new Thread(() -> {
            try (OutputStream out = s.getOutputStream()) {
              while (true) {
                Thread.sleep(100);
                out.write(0x42);
                out.flush();
              }
            } catch (IOException | InterruptedException e) {
              // closed
            }
          });
          d.setDaemon(true);
          d.start();
        }
      } catch (IOException e) {
        // closed
      }
    });
    t.setDaemon(true);
    t.start();
    return tarpit.getLocalPort();
  }

  private static int refusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Frame deliverOnce(LinkPool pool, Address address) throws Exception {
    byte[] encoded = RandomSource.secure().bytes(Envelope.BUCKETS.get(0));
    encoded[0] = Envelope.VERSION;
    Envelope envelope = Envelope.parse(encoded);
    return pool.exchange(address, link -> link.call(Frame.deliver(link.nextRequestId(), envelope)).get(0));
  }

  @Test
  void aDribblingAddressCostsItsBudgetOnceThenRestsAndHoldsUpNoOther() throws Exception {
    Address slow = Address.peer("127.0.0.1", dribbler(), KEY);
    Address gone = Address.peer("127.0.0.1", refusedPort(), KEY);
    try (LinkPool pool = new LinkPool("test", Clock.systemUTC(), RandomSource.secure(), WireTap.NONE, SHORT)) {
      long start = System.nanoTime();
      CompletableFuture<Exception> slowOne = CompletableFuture.supplyAsync(() -> {
        try {
          deliverOnce(pool, slow);
          return null;
        } catch (Exception e) {
          return e;
        }
      });
      Thread.sleep(100); // the slow exchange is in its handshake
      long other = System.nanoTime();
      assertThrows(ConnectException.class, () -> deliverOnce(pool, gone), "another address is tried at once");
      assertTrue(System.nanoTime() - other < 400_000_000L, "not held up by the slow address");

      Exception e = slowOne.get(10, TimeUnit.SECONDS);
      long took = (System.nanoTime() - start) / 1_000_000;
      assertTrue(e instanceof LinkPool.DeadlineExceeded, "deadline, not " + e);
      assertEquals("no answer to the link handshake within 500 ms", e.getMessage());
      assertTrue(took >= 450 && took < 2_000, "the handshake budget, not longer: " + took + " ms");

      LinkPool.Health h = pool.health(slow);
      assertFalse(h.ok());
      assertEquals(1, h.failures());
      assertTrue(pool.resting(slow), "it rests after the failure");
      assertThrows(LinkPool.NotNow.class, () -> deliverOnce(pool, slow), "not tried while it rests");
      assertEquals(1, pool.health(slow).failures(), "a skipped attempt is no failure");
      assertEquals("connection refused", pool.health(gone).error());
    }
  }

  /**
   * Lanes (security.adoc#security-tor): through a dialer that isolates them, each lane of one
   * address is a link of its own, dialled with its lane (Tor: circuits of its own), while a failure
   * on any lane counts for the address, which then rests, and the address is listed once.
   */
  @Test
  void eachLaneDialsItsOwnLinkAndItsFailuresCountForTheAddress() throws Exception {
    List<String> dialled = new CopyOnWriteArrayList<>();
    Dialer recording = new Dialer() {
      @Override
      public void dial(Socket socket, Address address, String lane, int timeoutMillis) throws IOException {
        dialled.add(lane);
        socket.connect(new java.net.InetSocketAddress(address.host(), address.port()), timeoutMillis);
      }

      @Override
      public boolean reaches(Address address) {
        return true;
      }

      @Override
      public boolean isolatesLanes() {
        return true;
      }
    };
    Address gone = Address.peer("127.0.0.1", refusedPort(), KEY);
    try (LinkPool pool = new LinkPool("test", Clock.systemUTC(), RandomSource.secure(), WireTap.NONE, SHORT)) {
      pool.dialer(recording);
      assertTrue(pool.isolatesLanes());
      assertThrows(IOException.class, () -> pool.exchange(gone, "deposits/7", link -> null));
      assertEquals(List.of("deposits/7"), dialled);
      assertFalse(pool.health(gone).ok(), "a lane's failure is the address's");
      assertThrows(LinkPool.NotNow.class, () -> pool.exchange(gone, link -> null), "the address rests, every lane");
      assertEquals(1, pool.health().size(), "the address is listed once, whatever its lanes");
    }
  }
}
