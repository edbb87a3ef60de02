package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two node processes, no mailbox: what alice's store queues arrives at bob's, in order, once. */
class DirectDeliveryTest extends ClusterTest {

  @Test
  void fiftyMessagesArriveInOrderOnce() throws Exception {
    cluster.init("alice", List.of());
    cluster.init("bob", List.of());
    cluster.introduce("alice", "bob");
    Cluster.Running bob = cluster.spawn("bob", "--no-mailbox");
    Cluster.Running alice = cluster.spawn("alice", "--no-mailbox");
    cluster.send("alice", "bob", "direct ", 50);
    int bobPort = bob.port();
    alice.port();

    cluster.awaitInOrder("bob", "alice", 50, Duration.ofSeconds(60));
    // A node that runs no mailbox serves DELIVER only.
    try (RawClient c = RawClient.link(bobPort, cluster.node("bob").peerAddress().linkKey())) {
      int unsupported = ErrorCode.UNSUPPORTED_REQUEST.number();
      assertEquals(unsupported, RawClient.outcome(c.callOne(Frame.deposit(c.nextRequestId(), RawClient.randomEnvelope()))));
      assertEquals(unsupported, RawClient.outcome(c.callOne(Frame.fetch(c.nextRequestId(), List.of(new byte[16])))));
      assertEquals(unsupported, RawClient.outcome(c.callOne(Frame.ack(c.nextRequestId(), List.of(1L)))));
    }
    cluster.await(Duration.ofSeconds(20), "alice's outbox empties", () -> cluster.node("alice").outboxSize() == 0);
    // SIGTERM: both close through their shutdown hooks before the stores are checked.
    cluster.stop("bob");
    cluster.stop("alice");
    cluster.assertDelivered("bob", "alice", "direct ", 50);
  }
}
