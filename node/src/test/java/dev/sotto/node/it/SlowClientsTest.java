package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.node.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * 1,000 connections that never complete a hello (half silent, half sending one byte every 2 s,
 * each reopened as soon as the node closes it), from one address and from many addresses of
 * 127.0.0.0/8, against a node and against a mailbox, while honest peers connect and deliver
 * (issue 14 item 2; spec: transport.adoc#mailbox-policy). Under the old thread-per-link server, 64
 * such connections locked every honest peer out.
 *
 * <p>Timing margins, for a loaded 2-core CI machine: the honest probes' p99 (connect, handshake,
 * one DELIVER answered) must be under 1 s, as the issue asks; on this machine, with three other
 * builds running, it is a few tens of ms, so the bound has a margin of more than 10x. A slow
 * connection must be closed by its hello's deadline (5 s) and an authenticated link that trickles a
 * frame by its request's (10 s); the test allows each 3.5 s more (the sweep runs every 250 ms; the
 * rest is scheduling). The freshly started receiver must have its messages within 60 s (it takes
 * a few seconds: its JVM's start and one fetch).
 */
class SlowClientsTest extends ClusterTest {
  private static final int SWARM = 1_000;
  private static final Duration EVERY = Duration.ofSeconds(2);
  /** How long each attack lasts: two hello deadlines and more, so that every slow connection is closed and reopened. */
  private static final Duration ATTACK = Duration.ofSeconds(12);
  private static final long P99_MILLIS = 1_000;

  private final AtomicBoolean sending = new AtomicBoolean(true);

  @AfterEach
  void stopSending() {
    sending.set(false);
  }

  /** 256 source addresses in 64 /24 prefixes of 127.0.0.0/8. */
  static List<String> manyAddresses() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      out.add("127.0." + (10 + i / 4) + "." + (2 + i % 4));
    }
    return out;
  }

  /** Runs a swarm for {@link #ATTACK} while probing; returns the probes' times. */
  private List<Long> attack(String what, int port, byte[] key, List<String> from) throws Exception {
    List<Long> times;
    try (Swarm swarm = new Swarm(port, SWARM, from, EVERY)) {
      Thread.sleep(2_000); // the swarm is up before the first probe
      try (Probes probes = new Probes(2, port, key, 20)) {
        Thread.sleep(ATTACK.toMillis());
        times = probes.stop();
      }
      cluster.log(what + ": " + swarm + "; honest " + Probes.describe(times));
      assertTrue(swarm.closedByNode.get() >= SWARM / 2, "the node closed the slow connections at their deadline: " + swarm);
    }
    assertTrue(times.size() >= 20, "probes made: " + times.size());
    long p99 = Probes.quantile(times, 0.99);
    assertTrue(p99 < P99_MILLIS, what + ": honest p99 " + p99 + " ms, at most " + P99_MILLIS + ": " + Probes.describe(times));
    return times;
  }

  @Test
  void slowAndSilentConnectionsFromOneAndFromManyAddressesLeaveHonestPeersLinkingAndDelivering() throws Exception {
    cluster.init("alice", List.of());
    cluster.init("bob", List.of());
    cluster.introduce("alice", "bob");
    Cluster.Running bob = cluster.spawn("bob", "--no-mailbox");
    Cluster.Running alice = cluster.spawn("alice", "--no-mailbox");
    int port = bob.port();
    alice.port();
    byte[] key = cluster.node("bob").peerAddress().linkKey();
    Node aliceNode = cluster.node("alice");
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
      try {
        while (sending.get()) {
          aliceNode.send("bob", "steady " + (sent.get() + 1));
          sent.incrementAndGet();
          Thread.sleep(50);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    cluster.awaitInOrder("bob", "alice", 1, Duration.ofSeconds(60));

    // Authenticated links that trickle a frame, one byte every 2 s: closed by the request's
    // deadline, 10 s after its first byte, however many bytes follow.
    List<RawClient> tricklers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      tricklers.add(RawClient.link(port, key));
    }
    long trickleStart = System.nanoTime();
    AtomicBoolean trickling = new AtomicBoolean(true);
    CompletableFuture<Long> trickle = CompletableFuture.supplyAsync(() -> {
      boolean[] closed = new boolean[tricklers.size()];
      int left = closed.length;
      long nextByte = System.nanoTime();
      while (trickling.get() && left > 0) {
        boolean write = System.nanoTime() - nextByte >= 0;
        for (int i = 0; i < closed.length; i++) {
          try {
            if (!closed[i] && tricklers.get(i).closedNow()) {
              closed[i] = true;
              left--;
            } else if (!closed[i] && write) {
              tricklers.get(i).write(new byte[] {0});
            }
          } catch (Exception e) {
            closed[i] = true;
            left--;
          }
        }
        if (write) {
          nextByte += EVERY.toNanos();
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return -1L;
        }
      }
      return left == 0 ? (System.nanoTime() - trickleStart) / 1_000_000 : -1L;
    });

    long before = cluster.inOrder("bob", "alice");
    attack("1,000 from 127.0.0.1", port, key, List.of("127.0.0.1"));
    long during = cluster.inOrder("bob", "alice") - before;
    assertTrue(during > 0, "alice delivered during the attack from one address");
    long trickled = trickle.get(30, TimeUnit.SECONDS);
    trickling.set(false);
    tricklers.forEach(RawClient::close);
    cluster.log("8 authenticated links trickling a frame: all closed after " + trickled + " ms");
    assertTrue(trickled >= 10_000 - 2_000 - 500 && trickled <= 10_000 + 3_500,
        "closed by the 10 s request deadline, not later (nor by the idle one): " + trickled + " ms");

    before = cluster.inOrder("bob", "alice");
    attack("1,000 from 256 addresses", port, key, manyAddresses());
    during = cluster.inOrder("bob", "alice") - before;
    assertTrue(during > 0, "alice delivered during the attack from many addresses");

    Map<String, Long> counters = cluster.counters("bob");
    cluster.log("bob's counters: " + counters);
    assertTrue(counters.get("handshake_timeouts") >= SWARM, "slow connections closed at the hello deadline: " + counters);
    assertTrue(counters.get("request_timeouts") >= 8, "tricklers closed at the request deadline: " + counters);
    assertEquals(0, counters.get("refused_full"), "no newcomer refused: " + counters);

    sending.set(false);
    sender.get(30, TimeUnit.SECONDS);
    cluster.awaitInOrder("bob", "alice", sent.get(), Duration.ofSeconds(60));
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "steady ", sent.get());
  }

  @Test
  void aMailboxUnderSlowConnectionsServesAFreshlyStartedReceiver() throws Exception {
    cluster.init("m", List.of());
    Address mailbox = cluster.node("m").mailboxAddress();
    cluster.init("alice", List.of());
    cluster.init("bob", List.of(mailbox));
    cluster.introduce("alice", "bob");
    Cluster.Running m = cluster.spawn("m");
    Cluster.Running alice = cluster.spawn("alice", "--no-mailbox");
    int port = m.port();
    alice.port();
    byte[] key = cluster.node("m").peerAddress().linkKey();
    int count = 5;
    cluster.send("alice", "bob", "waiting ", count);
    cluster.await(Duration.ofSeconds(60), "alice's messages wait at the mailbox",
        () -> cluster.node("alice").outboxSize() == 0);

    List<String> from = new ArrayList<>(manyAddresses());
    from.add("127.0.0.1");
    List<Long> times;
    long took;
    try (Swarm swarm = new Swarm(port, SWARM, from, EVERY)) {
      Thread.sleep(6_000); // past the first deadline: the slow connections are closed and reopened
      try (Probes probes = new Probes(2, port, key, 20)) {
        long start = System.nanoTime();
        cluster.start("bob", "--no-listen", "--fetch-ms", "200");
        cluster.awaitInOrder("bob", "alice", count, Duration.ofSeconds(60));
        took = (System.nanoTime() - start) / 1_000_000;
        Thread.sleep(Math.max(0, 8_000 - took)); // enough probes for a p99
        times = probes.stop();
      }
      cluster.log("mailbox: " + swarm + "; honest " + Probes.describe(times) + "; bob started and had his "
          + count + " messages after " + took + " ms");
    }
    long p99 = Probes.quantile(times, 0.99);
    assertTrue(p99 < P99_MILLIS, "honest p99 at the mailbox " + p99 + " ms: " + Probes.describe(times));
    Map<String, Long> counters = cluster.counters("m");
    cluster.log("m's counters: " + counters);
    assertTrue(counters.get("handshake_timeouts") >= SWARM / 2, counters.toString());
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "waiting ", count);
  }
}
