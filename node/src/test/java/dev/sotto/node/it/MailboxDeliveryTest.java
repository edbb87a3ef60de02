package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sotto.Address;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Delivery through a mailbox process while the recipient is offline (spec:
 * transport.adoc#node-delivery): alice deposits at M, bob fetches later, M deletes what bob
 * acknowledged; and M keeps what it holds across a crash (spec: transport.adoc#mailbox).
 */
class MailboxDeliveryTest extends ClusterTest {
  private static final int COUNT = 20;

  @BeforeEach
  void setUp() throws Exception {
    cluster.init("m", List.of());
    // M's address from its configuration: M does not run yet.
    Address mailbox = cluster.node("m").mailboxAddress();
    cluster.init("alice", List.of(mailbox));
    cluster.init("bob", List.of(mailbox));
    cluster.introduce("alice", "bob");
  }

  /** Alice sends while bob is offline; everything waits at M (the HELLO too), then alice's outbox is empty. */
  private void depositWhileBobIsOffline() throws Exception {
    Cluster.Running m = cluster.spawn("m");
    Cluster.Running alice = cluster.spawn("alice", "--fetch-ms", "200");
    cluster.send("alice", "bob", "via mailbox ", COUNT);
    m.port();
    alice.port();
    cluster.await(Duration.ofSeconds(60), "alice's outbox empties", () -> cluster.node("alice").outboxSize() == 0);
    assertEquals(COUNT + 1, cluster.node("m").mailboxItems().size(), "M holds the HELLO and every message");
    assertEquals(0, cluster.inOrder("bob", "alice"), "bob has nothing yet");
  }

  private void bobFetchesEverything() throws Exception {
    cluster.start("bob", "--fetch-ms", "100");
    cluster.awaitInOrder("bob", "alice", COUNT, Duration.ofSeconds(60));
    cluster.await(Duration.ofSeconds(30), "M deletes what bob acknowledged", () -> cluster.node("m").mailboxItems().isEmpty());
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "via mailbox ", COUNT);
  }

  @Test
  void offlineRecipientFetchesFromTheMailbox() throws Exception {
    depositWhileBobIsOffline();
    bobFetchesEverything();
  }

  @Test
  void mailboxKilledWhileHoldingEnvelopesKeepsThem() throws Exception {
    depositWhileBobIsOffline();
    cluster.kill("m");
    assertEquals(COUNT + 1, cluster.node("m").mailboxItems().size(), "the items survive SIGKILL");
    cluster.start("m");
    bobFetchesEverything();
  }
}
