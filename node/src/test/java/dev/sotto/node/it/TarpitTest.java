package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.LinkKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 1 (docs: attacks.md, "plant a contact whose address is a tarpit"): a tarpit (a
 * listener that accepts and sends one byte every 1.5 s) and a silent listener (accepts, says
 * nothing) stand on the cards of three of alice's contacts (as their node, their mailbox, and
 * where their prekeys are to be fetched), in alice's own list of mailboxes (she fetches from them
 * and publishes her prekeys to them), and in carol's. While alice keeps writing to those contacts,
 * she writes to bob (delivered directly) and to carol (who does not listen: through the mailbox
 * M), one message each a second, and each must arrive within a few seconds, for the whole life of
 * the tarpit. Before the change, one worker thread did all of alice's sending and a timeout bounded
 * each read, not the exchange: one message to bob waited 81 s.
 */
class TarpitTest extends ClusterTest {
  /** How long the attack lasts, alice writing to bob and carol all along. */
  private static final Duration ATTACK = Duration.ofSeconds(40);
  /**
   * Margins, for a loaded 2-core CI machine running the six JVMs of this test and more. Direct:
   * alice's node sees the queued message at its next tick (50 ms), seals it (one commit), delivers
   * it (bob's commit), and this JVM polls every 20 ms: about 0.1 s when idle; 4 s leaves room for GC
   * pauses and fsyncs queued behind other processes, and stays under the 5 s handshake budget
   * that a message queued behind a tarpit's exchange would wait out. Through M, add the deposit's
   * commit and carol's fetch every 200 ms: 5 s.
   */
  private static final Duration DIRECT_MARGIN = Duration.ofSeconds(4);
  private static final Duration MAILBOX_MARGIN = Duration.ofSeconds(5);
  /** Alice's first message to each must also get through, behind the first round of hostile jobs. */
  private static final Duration FIRST_MARGIN = Duration.ofSeconds(20);

  @Test
  void aTarpitOrASilentAddressDelaysNoOtherContact() throws Exception {
    try (Tarpit tarpit = Tarpit.dribbling(); Tarpit silent = Tarpit.silent()) {
      byte[] anyKey = LinkKey.generate(RawClient.RANDOM).publicKey();
      Address tarpitMailbox = Address.mailbox("127.0.0.1", tarpit.port(), anyKey);
      Address silentMailbox = Address.mailbox("127.0.0.1", silent.port(), anyKey);
      cluster.init("m", List.of());
      Address m = cluster.node("m").mailboxAddress();
      // Alice's own mailboxes: the two hostile ones first.
      cluster.init("alice", List.of(tarpitMailbox, silentMailbox, m));
      cluster.init("bob", List.of());
      cluster.init("carol", List.of(m, tarpitMailbox, silentMailbox));
      // Cards that point at them: made by identities whose nodes never run.
      cluster.init("mallory1", tarpit.port(), List.of(silentMailbox));
      cluster.init("mallory2", silent.port(), List.of(tarpitMailbox));
      cluster.init("mallory3", tarpit.port(), List.of(silentMailbox));
      for (String to : List.of("bob", "carol", "mallory1", "mallory2")) {
        cluster.introduce("alice", to);
      }
      // No prekeys for mallory3 here: alice's node asks its card's addresses, the tarpit first.
      cluster.node("alice").addContact("mallory3", cluster.node("mallory3").card().text());
      cluster.send("alice", "mallory3", "to the tarpit ", 1);

      Cluster.Running mProcess = cluster.spawn("m");
      Cluster.Running bobProcess = cluster.spawn("bob", "--no-mailbox");
      Cluster.Running carolProcess = cluster.spawn("carol", "--no-listen", "--no-mailbox", "--fetch-ms", "200");
      mProcess.port();
      bobProcess.port();
      carolProcess.port();
      cluster.await(Duration.ofSeconds(60), "carol's prekeys are at M", () -> cluster.node("m").prekeyItemsHeld() > 0);
      int carolsItems = cluster.node("m").prekeyItemsHeld();
      long aliceStarts = System.nanoTime();
      cluster.start("alice", "--fetch-ms", "200");
      // Alice's publication to M goes out beside those to the tarpit and the silent listener.
      cluster.await(FIRST_MARGIN, "alice's prekeys are at M", () -> cluster.node("m").prekeyItemsHeld() > carolsItems);
      cluster.log("alice's prekeys at M " + millis(aliceStarts) + " ms after her start");

      List<Long> direct = new ArrayList<>();
      List<Long> viaMailbox = new ArrayList<>();
      long end = System.nanoTime() + ATTACK.toNanos();
      int n = 0;
      while (System.nanoTime() - end < 0) {
        n++;
        long round = System.nanoTime();
        cluster.send("alice", "mallory1", "to the tarpit ", 1);
        cluster.send("alice", "mallory2", "to the silent one ", 1);
        cluster.send("alice", "bob", "direct ", n, n);
        cluster.send("alice", "carol", "held ", n, n);
        long sent = System.nanoTime();
        Duration first = n == 1 ? FIRST_MARGIN : Duration.ZERO;
        int seq = n;
        cluster.await(first.plus(Duration.ofSeconds(60)), "bob has message " + n, () -> cluster.inOrder("bob", "alice") > seq);
        direct.add(millis(sent));
        cluster.await(first.plus(Duration.ofSeconds(60)), "carol has message " + n,
            () -> cluster.inOrder("carol", "alice") > seq);
        viaMailbox.add(millis(sent));
        Thread.sleep(Math.max(0, 1_000 - millis(round)));
      }
      cluster.log("delays bob (ms): " + direct);
      cluster.log("delays carol (ms): " + viaMailbox);
      cluster.log(tarpit + "; " + silent);
      System.out.println("TarpitTest: " + n + " rounds in " + ATTACK.toSeconds() + " s; first messages: bob "
          + direct.get(0) + " ms, carol " + viaMailbox.get(0) + " ms; then bob max " + max(direct) + " ms, carol max "
          + max(viaMailbox) + " ms; " + tarpit + "; " + silent);

      assertTrue(tarpit.accepted() >= 3 && silent.accepted() >= 3, "the hostile addresses were tried: " + tarpit + ", "
          + silent);
      assertTrue(direct.get(0) <= FIRST_MARGIN.toMillis() && viaMailbox.get(0) <= FIRST_MARGIN.toMillis(),
          "first messages within " + FIRST_MARGIN + ": bob " + direct.get(0) + " ms, carol " + viaMailbox.get(0) + " ms");
      assertTrue(max(direct) <= DIRECT_MARGIN.toMillis(), "bob within " + DIRECT_MARGIN + " every time: " + direct);
      assertTrue(max(viaMailbox) <= MAILBOX_MARGIN.toMillis(), "carol within " + MAILBOX_MARGIN + " every time: "
          + viaMailbox);
      assertTrue(n >= ATTACK.toSeconds() / 4, "rounds: " + n);

      // Every message once, in order.
      cluster.stop("alice");
      cluster.stop("bob");
      cluster.stop("carol");
      cluster.assertDelivered("bob", "alice", "direct ", n);
      cluster.assertDelivered("carol", "alice", "held ", n);
    }
  }

  private static long millis(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1_000_000;
  }

  /** The largest after the first (the first messages wait for the sessions' start: see FIRST_MARGIN). */
  private static long max(List<Long> delays) {
    return delays.stream().skip(1).mapToLong(Long::longValue).max().orElse(0);
  }
}
