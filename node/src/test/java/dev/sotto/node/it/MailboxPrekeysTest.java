package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A first contact to an owner who is offline (spec: transport.adoc#prekey-service): bob's node
 * publishes its prekeys at its mailbox M and goes away; alice adds bob's card, which M's prekeys
 * make possible, and writes; bob, back later, reads everything. Real processes on loopback.
 */
class MailboxPrekeysTest extends ClusterTest {
  private static final int COUNT = 3;

  @Test
  void aContactWhoseOwnerIsOfflineIsAddedWithTheMailboxsPrekeys() throws Exception {
    cluster.init("m", List.of());
    Address mailbox = cluster.node("m").mailboxAddress();
    cluster.init("alice", List.of(mailbox));
    cluster.init("bob", List.of(mailbox));
    cluster.start("m");
    cluster.start("bob");
    cluster.await(Duration.ofSeconds(60), "bob publishes its prekeys at M", () -> cluster.node("m").prekeyItemsHeld() > 0);
    String card = cluster.node("bob").card().text();
    cluster.stop("bob");

    cluster.node("bob").addContact("alice", cluster.node("alice").card().text(), false); // cards exchanged
    var bob = cluster.node("alice").addContact("bob", card); // bob's own address refuses; M serves
    assertEquals(0, cluster.node("alice").firstContactStatus(bob.id()).fetchFailures(),
        "alice got bob's prekeys from M while bob was offline");
    assertTrue(cluster.node("m").prekeyItemsHeld() > 0);
    cluster.send("alice", "bob", "while you were away ", COUNT);
    cluster.start("alice", "--fetch-ms", "200");
    cluster.await(Duration.ofSeconds(60), "alice's outbox empties", () -> cluster.node("alice").outboxSize() == 0);
    cluster.start("bob", "--fetch-ms", "100");
    cluster.awaitInOrder("bob", "alice", COUNT, Duration.ofSeconds(60));
    cluster.assertDelivered("bob", "alice", "while you were away ", COUNT);
  }
}
