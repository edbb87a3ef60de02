package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL in the middle of a transfer (spec: transport.adoc#node-delivery): a crash before a
 * commit loses nothing, a crash after it delivers nothing twice. Each test kills a process once
 * the recipient's store holds some but not all of the messages, restarts it, and checks that
 * the recipient ends with every message once, in order.
 */
class CrashTest extends ClusterTest {

  /**
   * Polls bob's store until it holds a third or more, but not all, of the {@code count}
   * messages from alice, then kills {@code victim} with SIGKILL; returns what bob had.
   */
  private long killMidway(String victim, long count) throws Exception {
    long[] seen = new long[1];
    cluster.await(Duration.ofSeconds(60), "bob holds a third of alice's messages", () -> {
      seen[0] = cluster.inOrder("bob", "alice") - 1;
      return seen[0] >= count / 3;
    });
    cluster.kill(victim);
    cluster.log("bob had " + seen[0] + " of " + count + " when " + victim + " was killed");
    assertTrue(seen[0] < count, "caught midway: bob had all " + count + " already");
    return seen[0];
  }

  /** Alice and bob running, no mailbox, 300 messages queued at alice. */
  private void directTransferOf300() throws Exception {
    cluster.init("alice", List.of());
    cluster.init("bob", List.of());
    cluster.introduce("alice", "bob");
    Cluster.Running bob = cluster.spawn("bob", "--no-mailbox");
    Cluster.Running alice = cluster.spawn("alice", "--no-mailbox");
    cluster.send("alice", "bob", "crash ", 300);
    bob.port();
    alice.port();
  }

  @Test
  void recipientKilledMidTransfer() throws Exception {
    directTransferOf300();
    long before = killMidway("bob", 300);
    assertTrue(cluster.inOrder("bob", "alice") - 1 >= before, "what bob committed survives SIGKILL");
    cluster.start("bob", "--no-mailbox");
    cluster.awaitInOrder("bob", "alice", 300, Duration.ofSeconds(90));
    cluster.await(Duration.ofSeconds(30), "alice's outbox empties", () -> cluster.node("alice").outboxSize() == 0);
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "crash ", 300);
    assertEquals("ok", cluster.integrityCheck("bob"));
  }

  /** The highest seq from {@code from} to {@code to}, counting up from {@code known}, that {@code from} notes as having left. */
  private long lastLeft(String from, String to, long known) throws Exception {
    var node = cluster.node(from);
    long seq = known;
    while (seq < 300 && node.messageState(to, seq + 1).outcome() != null) {
      seq++;
    }
    return seq;
  }

  /**
   * Group commit keeps its promise: alice notes a message as delivered only after bob's OK, which
   * bob sends only after the commit that holds it; so bob, killed with SIGKILL just after alice
   * noted some, holds every one of them, and once restarted ends with all 300, each once.
   */
  @Test
  void whatTheSenderSawTakenSurvivesTheRecipientsKill() throws Exception {
    directTransferOf300();
    long[] left = {0};
    cluster.await(Duration.ofSeconds(60), "alice notes messages as delivered", () -> {
      left[0] = lastLeft("alice", "bob", left[0]);
      return left[0] >= 10;
    });
    cluster.kill("bob");
    long noted = lastLeft("alice", "bob", left[0]); // also those noted between the look and the kill
    long held = cluster.inOrder("bob", "alice") - 1;
    cluster.log("alice had noted " + noted + " of 300 as delivered; bob held " + held);
    assertTrue(held >= noted, "bob holds every message alice saw taken: " + held + " < " + noted);
    cluster.start("bob", "--no-mailbox");
    cluster.awaitInOrder("bob", "alice", 300, Duration.ofSeconds(90));
    cluster.await(Duration.ofSeconds(30), "alice's outbox empties", () -> cluster.node("alice").outboxSize() == 0);
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "crash ", 300);
    assertEquals("ok", cluster.integrityCheck("bob"));
  }

  @Test
  void senderKilledMidSend() throws Exception {
    directTransferOf300();
    killMidway("alice", 300);
    cluster.start("alice", "--no-mailbox");
    cluster.awaitInOrder("bob", "alice", 300, Duration.ofSeconds(90));
    cluster.await(Duration.ofSeconds(30), "alice's outbox empties", () -> cluster.node("alice").outboxSize() == 0);
    cluster.stop("alice");
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "crash ", 300);
    assertEquals("ok", cluster.integrityCheck("alice"));
  }

  @Test
  void recipientKilledWhileFetchingFromTheMailbox() throws Exception {
    int count = 200;
    aliceDepositsAtBobsMailbox("held ", count);

    cluster.start("bob", "--fetch-ms", "100");
    killMidway("bob", count);
    cluster.start("bob", "--fetch-ms", "100");
    cluster.awaitInOrder("bob", "alice", count, Duration.ofSeconds(90));
    // What bob committed but had not acknowledged when he was killed is fetched again (its tag is
    // remembered in the same transaction), recognised as a duplicate and acknowledged: M empties.
    cluster.await(Duration.ofSeconds(30), "M deletes everything bob committed",
        () -> cluster.node("m").mailboxItems().isEmpty());
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", "held ", count);
    assertEquals("ok", cluster.integrityCheck("bob"));
  }

  /**
   * Fetching by prefix (spec: transport.adoc#node-prefix-fetch) takes a round's items and moves its
   * stored cursor in one commit: bob, killed with SIGKILL after some rounds (or during one), ends
   * with every message once after a restart, none skipped by the cursor and none shown twice. The
   * messages are 40,000 characters, one 64 KiB envelope each, so that a round stops at 4 MiB (64
   * items) and there are several. Opt-in ({@code -Dsotto.crash.prefix=true}): about 25 s, most of it
   * alice depositing 10 MB.
   */
  @Test
  void recipientKilledWhileFetchingByPrefix() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("sotto.crash.prefix"),
        "opt-in: -Dsotto.crash.prefix=true (about 25 s)");
    int count = 150;
    String prefix = "p".repeat(40_000) + " ";
    aliceDepositsAtBobsMailbox(prefix, count);

    cluster.start("bob", "--fetch-ms", "100", "--prefix-fetch", "4", "--no-listen");
    killMidway("bob", count);
    cluster.start("bob", "--fetch-ms", "100", "--prefix-fetch", "4", "--no-listen");
    cluster.awaitInOrder("bob", "alice", count, Duration.ofSeconds(90));
    cluster.stop("bob");
    cluster.assertDelivered("bob", "alice", prefix, count);
    assertEquals(count + 1, cluster.node("m").mailboxItems().size(), "nothing acknowledged: items leave at expiry");
    assertEquals("ok", cluster.integrityCheck("bob"));
  }

  /**
   * Mailbox m (running) holds alice's first contact and {@code count} messages to bob, whose
   * mailbox it is; alice keeps running, bob is not started.
   */
  private void aliceDepositsAtBobsMailbox(String prefix, int count) throws Exception {
    cluster.init("m", List.of());
    Address mailbox = cluster.node("m").mailboxAddress();
    cluster.init("alice", List.of(mailbox));
    cluster.init("bob", List.of(mailbox));
    cluster.introduce("alice", "bob");
    Cluster.Running m = cluster.spawn("m");
    Cluster.Running alice = cluster.spawn("alice");
    cluster.send("alice", "bob", prefix, count);
    m.port();
    alice.port();
    cluster.await(Duration.ofSeconds(90), "alice deposits everything", () -> cluster.node("alice").outboxSize() == 0);
    assertEquals(count + 1, cluster.node("m").mailboxItems().size());
  }
}
