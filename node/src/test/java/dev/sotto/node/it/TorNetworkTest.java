package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.node.tor.PrivateTorNetwork;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tor mode over a real, private Tor network on loopback (spec: transport.adoc#node-tor-mode):
 * three node processes (alice, bob and a mailbox M), each with its own Tor daemon, whose cards
 * give onion addresses only. Alice and bob exchange messages directly, onion service to onion
 * service, while M is down; then alice writes while bob is offline, through M, and bob fetches
 * from M through Tor. Fails (never skips) where {@code tor} is missing.
 *
 * <p>Cost on a 2-core machine shared with other builds (three runs): the network bootstrapped in
 * 18 to 38 s (reported on standard output and in the cluster's log), each node's own Tor in 4 to
 * 10 s more; the direct exchange took 8 to 16 s after both were ready, the mailbox leg 24 to 42 s
 * (bob's Tor restarting included); 64 to 101 s for the whole test, most of it waiting on Tor, not
 * on the CPU. The timeouts (network 120 s, with one retry; each wait 150 s) leave
 * room for a loaded CI machine; the hard bound for the whole test is 9 minutes.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class TorNetworkTest extends ClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(150);

  @Test
  void twoNodesThatKnowEachOtherOnlyByOnionAddressTalkDirectlyAndThroughAMailbox() throws Exception {
    try (PrivateTorNetwork net = PrivateTorNetwork.start(dir.resolve("tor-network"), Duration.ofSeconds(120))) {
      String figure = "private Tor network (3 authorities, 2 relays) bootstrapped in " + net.bootstrap().toMillis()
          + " ms, attempt " + net.attempts();
      cluster.log(figure);
      System.out.println("TorNetworkTest: " + figure);
      cluster.readyTimeout(Duration.ofSeconds(150)); // a node is READY once its own Tor has bootstrapped

      cluster.initTor("m", List.of(), net.clientInclude());
      Address mailbox = cluster.node("m").mailboxAddress();
      assertTrue(mailbox.isOnion(), "M's address is its onion service");
      cluster.initTor("alice", List.of(mailbox), net.clientInclude());
      cluster.initTor("bob", List.of(mailbox), net.clientInclude());
      for (String name : List.of("alice", "bob")) {
        List<Address> card = cluster.node(name).card().addresses();
        assertFalse(card.isEmpty());
        assertTrue(card.stream().allMatch(Address::isOnion), name + "'s card gives onion addresses only: " + card);
      }
      cluster.introduce("alice", "bob");

      // Directly: M is down, so nothing can go through it.
      cluster.start("alice", "--fetch-ms", "500");
      cluster.start("bob", "--fetch-ms", "500");
      cluster.send("alice", "bob", "direct ", 3);
      cluster.awaitInOrder("bob", "alice", 3, WAIT);
      cluster.send("bob", "alice", "reply ", 2);
      cluster.awaitInOrder("alice", "bob", 2, WAIT);
      System.out.println("TorNetworkTest: direct exchange done at " + cluster.elapsed() + " ms");

      // Through the mailbox: bob is offline.
      cluster.stop("bob");
      cluster.start("m");
      cluster.send("alice", "bob", "direct ", 4, 6);
      cluster.await(WAIT, "alice's outbox empties into M", () -> cluster.node("alice").outboxSize() == 0);
      assertTrue(cluster.node("m").mailboxItems().size() >= 3, "M holds alice's messages for bob");
      cluster.start("bob", "--fetch-ms", "500");
      cluster.awaitInOrder("bob", "alice", 6, WAIT);
      cluster.stop("bob");
      cluster.stop("alice");
      cluster.assertDelivered("bob", "alice", "direct ", 6);
      cluster.assertDelivered("alice", "bob", "reply ", 2);
      System.out.println("TorNetworkTest: through the mailbox done at " + cluster.elapsed() + " ms");
    }
  }
}
