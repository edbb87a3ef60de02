package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Frame;
import dev.sotto.node.Mailbox;
import dev.sotto.node.store.Tx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A flood of deposits at the most a link may send, under tags of the flooder's making, from one
 * address and then from many prefixes, against a mailbox that holds a recipient's messages while
 * he is offline (issue 14 item 3; spec: transport.adoc#mailbox-policy). The mailbox counts loopback
 * sources by /24 here ({@code --loopback-by-prefix}), as if 127.0.7.0/24 and the others were
 * networks of their own: the flood from one address meets its prefix's share (1/16 of the quota),
 * the flood from 64 prefixes fills the room open to unwatched tags (half the quota), and through
 * both, alice's deposits for bob (under tags bob fetched before he went offline) are accepted, and
 * bob, back, gets every message. Behind Tor (loopback by default) there are no per-prefix shares and
 * the flood from one address does what the one from many prefixes does here.
 *
 * <p>Timing margins: alice's outbox must empty within 60 s while each flood goes on (a few seconds
 * here); bob must have everything within 60 s of his start.
 */
class DepositFloodTest extends ClusterTest {
  /** The mailbox's total quota: 2 MiB, of which 1 MiB is open to unwatched tags and 128 KiB is a prefix's share. */
  private static final long QUOTA = 2L << 20;

  @Test
  void honestDepositsAreAcceptedThroughAFloodFromOneAddressAndFromManyPrefixes() throws Exception {
    cluster.init("m", List.of());
    Address mailbox = cluster.node("m").mailboxAddress();
    cluster.init("alice", List.of());
    cluster.init("bob", List.of(mailbox));
    cluster.introduce("alice", "bob");
    Cluster.Running m = cluster.spawn("m", "--total-quota", String.valueOf(QUOTA), "--loopback-by-prefix");
    cluster.spawn("alice", "--no-mailbox");
    cluster.start("bob", "--no-listen", "--fetch-ms", "200");
    int port = m.port();
    byte[] key = cluster.node("m").peerAddress().linkKey();
    // Bob fetches (his tags become watched at m), receives alice's first contact, and goes offline.
    cluster.send("alice", "bob", "before ", 1);
    cluster.awaitInOrder("bob", "alice", 1, Duration.ofSeconds(60));
    cluster.stop("bob");

    // One address: four links from 127.0.7.2.
    int sent = 1;
    long flooded;
    try (Flood flood = new Flood(port, key, List.of("127.0.7.2"), 4, id -> deposit(id))) {
      cluster.await(Duration.ofSeconds(30), "the flood meets its prefix's share",
          () -> cluster.counters("m").get("mailbox_refused_prefix") > 100);
      cluster.send("alice", "bob", "flood ", 10);
      cluster.await(Duration.ofSeconds(60), "alice's deposits accepted during the flood from one address",
          () -> cluster.node("alice").outboxSize() == 0);
      sent += 10;
      cluster.log("flood from one address: " + flood);
      long share = (long) (QUOTA * Mailbox.PREFIX_SHARE) / 1024;
      assertTrue(flood.ok.get() <= share + 1, "at most the prefix's share stored: " + flood);
      assertTrue(flood.limited.get() > 100, "the rest refused: " + flood);
      flooded = flood.ok.get();
    }

    // Many prefixes: sixteen links, from 127.0.10.0/24 to 127.0.25.0/24, more than enough shares to fill half.
    List<String> many = SlowClientsTest.manyAddresses().stream().filter(a -> a.endsWith(".2")).limit(16).toList();
    try (Flood flood = new Flood(port, key, many, 16, id -> deposit(id))) {
      cluster.await(Duration.ofSeconds(60), "the flood fills the room open to unwatched tags",
          () -> cluster.counters("m").get("mailbox_refused_open_full") > 100);
      cluster.send("alice", "bob", "flood ", 10);
      cluster.await(Duration.ofSeconds(60), "alice's deposits accepted during the flood from many prefixes",
          () -> cluster.node("alice").outboxSize() == 0);
      sent += 10;
      cluster.log("flood from 16 prefixes: " + flood);
      flooded += flood.ok.get();
    }
    Map<String, Long> counters = cluster.counters("m");
    cluster.log("m's counters: " + counters);
    long held = 0;
    for (Tx.Item item : cluster.node("m").mailboxItems()) {
      held += item.envelope().length;
    }
    cluster.log("m holds " + held + " bytes, " + flooded + " KiB of them the floods'");
    assertTrue(flooded * 1024 <= QUOTA * Mailbox.OPEN_SHARE, "the floods filled at most the open half: " + flooded);
    assertTrue(held <= QUOTA, "the mailbox keeps to its quota: " + held);
    assertTrue(counters.get("mailbox_refused_open_full") > 100, counters.toString());
    assertTrue(counters.get("mailbox_refused_prefix") > 100, counters.toString());
    assertEquals(0, counters.get("mailbox_refused_full"), "no deposit under a watched tag refused: " + counters);

    cluster.start("bob", "--no-listen", "--fetch-ms", "200");
    cluster.awaitInOrder("bob", "alice", sent, Duration.ofSeconds(60));
    cluster.stop("bob");
    assertEquals(sent + 1, cluster.node("bob").conversation("alice").stream().filter(s -> s.incoming()).count(),
        "bob has the HELLO and every message, once");
  }

  private static Frame deposit(long id) {
    try {
      return Frame.deposit(id, RawClient.randomEnvelope());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
