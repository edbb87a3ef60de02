package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.NodeMessage;
import dev.sotto.SottoException;
import dev.sotto.node.store.Tx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A contact's messages lost on the way (a mailbox that drops what it accepted, a link that
 * fails after OK), without the network (spec: transport.adoc#node-gaps): the receiver holds
 * what comes after the gap, asks with a SYNC once the oldest held message has waited the gap
 * wait, the sender sends the missing messages again, and every message is shown once, in order,
 * with no reset and no notice; a copy lost again is asked for again; a contact's SYNCs do not make
 * the node send its history again and again.
 */
class GapRepairTest {
  private static final Duration WAIT = Duration.ofMinutes(15);
  @TempDir Path dir;
  private final ResetTest.TestClock clock = new ResetTest.TestClock(Instant.now());
  private Node alice;
  private Node bob;
  private Path bobHome;

  private Node.Options options() {
    Node.Options d = Node.Options.defaults();
    return new Node.Options(clock, d.random(), d.tick(), d.fetchInterval(), d.limits(), d.policy(), d.tap(), d.listen(),
        d.timing());
  }

  @BeforeEach
  void setUp() throws Exception {
    alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, options());
    bobHome = TestNodes.init(dir, "bob", List.of());
    bob = Node.open(bobHome, null, options());
    TestNodes.connect(alice, bob);
    bob.addContact("alice", alice.card().text(), false);
    alice.addContact("bob", bob.card().text());
    settle();
    alice.read();
    bob.read();
  }

  @AfterEach
  void tearDown() {
    alice.close();
    bob.close();
  }

  /**
   * Hands each side's envelopes to the other as a mailbox would: one under a tag the receiver does
   * not watch yet stays (it waits at the mailbox) and is tried again after the others.
   */
  private final List<Envelope> waitingForBob = new ArrayList<>();
  private final List<Envelope> waitingForAlice = new ArrayList<>();

  private void settle() throws Exception {
    for (int round = 0; round < 20; round++) {
      List<Envelope> fromA = TestNodes.outbox(alice);
      List<Envelope> fromB = TestNodes.outbox(bob);
      waitingForBob.addAll(fromA);
      waitingForAlice.addAll(fromB);
      boolean moved = hand(waitingForBob, bob) | hand(waitingForAlice, alice);
      if (fromA.isEmpty() && fromB.isEmpty() && !moved) {
        return;
      }
    }
    throw new AssertionError("the two nodes did not settle");
  }

  private static boolean hand(List<Envelope> waiting, Node to) throws Exception {
    boolean any = false;
    for (boolean moved = true; moved; ) {
      moved = false;
      for (Envelope e : List.copyOf(waiting)) {
        try {
          NodeCore.Outcome outcome = to.core().receive(e);
          assertTrue(outcome == NodeCore.Outcome.ACCEPTED || outcome == NodeCore.Outcome.DUPLICATE, outcome.toString());
          waiting.remove(e);
          moved = any = true;
        } catch (SottoException refused) {
          assertEquals(ErrorCode.UNKNOWN_TAG, refused.code(), "only a tag not watched yet waits");
        }
      }
    }
    return any;
  }

  private static List<String> texts(List<Node.Shown> shown) {
    return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList();
  }

  private static List<String> numbered(String prefix, int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> prefix + i).toList();
  }

  /** Sends each text; what the sender seals is lost (taken from its outbox and never handed over). */
  private static void lose(Node from, List<String> texts) throws Exception {
    for (String t : texts) {
      from.send(other(from), t);
    }
    TestNodes.outbox(from);
  }

  private static String other(Node n) {
    return n.config().name().equals("alice") ? "bob" : "alice";
  }

  private void send(Node from, List<String> texts) throws Exception {
    for (String t : texts) {
      from.send(other(from), t);
    }
  }

  /**
   * Loss in bursts (attacks.md): 1, 31, 32 and 33 of alice's messages lost, then 32 more sent (the
   * first of them under an anchor tag at the latest, envelope.adoc#loss-recovery), with and without
   * bob's replies in between: bob shows nothing after the gap until he asks, asks only once the
   * oldest held message has waited the gap wait, and then shows every message once, in order.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 31, 32, 33, -1, -33})
  void aLostBurstIsAskedForAndEveryMessageIsShownOnceInOrder(int burst) throws Exception {
    boolean replies = burst < 0;
    int lost = Math.abs(burst);
    List<String> sent = new ArrayList<>(numbered("lost", 0, lost));
    lose(alice, sent);
    if (replies) {
      send(bob, List.of("reply"));
      settle();
      assertEquals(List.of("reply"), texts(alice.read()));
    }
    List<String> later = numbered("later", 0, 32);
    send(alice, later);
    settle();
    sent.addAll(later);
    assertEquals(List.of(), texts(bob.read()), "held after the gap");
    assertEquals(0, bob.core().askForGaps(), "not before the gap wait");
    clock.advance(WAIT.minusSeconds(1));
    assertEquals(0, bob.core().askForGaps());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, bob.core().askForGaps(), "once the oldest held message waited the gap wait");
    assertEquals(0, bob.core().askForGaps(), "asked once");
    settle();
    assertEquals(sent, texts(bob.read()), "every message once, in order");
    assertEquals(List.of(), alice.read().stream().filter(m -> m.kind() == Node.Kind.RESET).toList(), "no notice");
    assertEquals(0, bob.core().askForGaps(), "nothing held: nothing asked");
    clock.advance(WAIT.multipliedBy(4));
    assertEquals(0, bob.core().askForGaps());
    // The conversation goes on in both directions.
    send(alice, List.of("on"));
    send(bob, List.of("on too"));
    settle();
    assertEquals(List.of("on"), texts(bob.read()));
    assertEquals(List.of("on too"), texts(alice.read()));
  }

  /**
   * The copy sent again is lost too: bob asks again after a pause that doubles while his in-order
   * mark does not move, and alice sends it again (at most once a gap wait).
   */
  @Test
  void aCopyLostAgainIsAskedForAgain() throws Exception {
    lose(alice, List.of("lost"));
    send(alice, List.of("later"));
    settle();
    clock.advance(WAIT);
    assertEquals(1, bob.core().askForGaps());
    TestNodes.deliver(TestNodes.outbox(bob), alice); // bob's SYNC reaches alice, whose copy of "lost" is sealed ...
    assertEquals(2, TestNodes.outbox(alice).size(), "the copies of both (from bob's in-order mark on), lost again");
    assertEquals(List.of(), texts(bob.read()));
    clock.advance(WAIT.minusSeconds(1));
    assertEquals(0, bob.core().askForGaps(), "the pause after the first SYNC is the gap wait");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, bob.core().askForGaps());
    settle();
    assertEquals(List.of("lost", "later"), texts(bob.read()));
  }

  /**
   * A stranger's message lost while its request waits, the next one held: nothing is asked while
   * it is a request (nothing is sent to a requester), and once it is accepted the gap is asked for
   * with no new message needed.
   */
  @Test
  void aGapHeldByARequestIsAskedForOnceItIsAccepted() throws Exception {
    try (Node carol = Node.open(TestNodes.init(dir, "carol", List.of()), null, options())) {
      TestNodes.connect(carol, bob);
      carol.addContact("bob", bob.card().text()); // a stranger to bob
      carol.send("bob", "hi");
      TestNodes.deliver(TestNodes.outbox(carol), bob);
      assertEquals(1, bob.contactBook().requests().size());
      carol.send("bob", "lost");
      TestNodes.outbox(carol);
      carol.send("bob", "later");
      TestNodes.deliver(TestNodes.outbox(carol), bob);
      assertEquals(0, bob.core().askForGaps());
      clock.advance(WAIT);
      assertEquals(0, bob.core().askForGaps(), "not while a request");
      bob.contactBook().accept("carol", null);
      clock.advance(WAIT);
      assertEquals(1, bob.core().askForGaps(), "asked once accepted, with nothing new from carol");
      List<Envelope> toCarol = new ArrayList<>();
      List<Envelope> toBob = new ArrayList<>();
      for (int round = 0; round < 10; round++) {
        toCarol.addAll(TestNodes.outbox(bob));
        toBob.addAll(TestNodes.outbox(carol));
        hand(toCarol, carol);
        hand(toBob, bob);
      }
      assertEquals(List.of("hi", "lost", "later"), bob.conversation("carol").stream()
          .filter(m -> m.incoming() && m.kind() == Node.Kind.TEXT)
          .sorted(java.util.Comparator.comparingLong(Node.Shown::seq)).map(Node.Shown::text).toList());
    }
  }

  /**
   * Being away (attacks.md): bob is away longer than the mailbox retention (8 days, a month), so
   * alice's messages of that time expired at the mailbox. Alice's next message is held behind the
   * gap, bob asks, and gets everything.
   */
  @ParameterizedTest
  @ValueSource(ints = {8, 31})
  void aContactAwayLongerThanTheRetentionGetsWhatExpiredOnItsReturn(int days) throws Exception {
    List<String> expired = numbered("while away ", 0, 5);
    lose(alice, expired); // deposited, and expired at the mailbox while bob was away
    clock.advance(Duration.ofDays(days));
    send(alice, List.of("back"));
    settle();
    assertEquals(List.of(), texts(bob.read()));
    clock.advance(WAIT);
    assertEquals(1, bob.core().askForGaps());
    settle();
    List<String> all = new ArrayList<>(expired);
    all.add("back");
    assertEquals(all, texts(bob.read()));
  }

  /** The times are kept in memory only: after a restart the node looks at every contact and asks all the same. */
  @Test
  void aGapHeldAcrossARestartIsAskedFor() throws Exception {
    lose(alice, List.of("lost"));
    send(alice, List.of("later"));
    settle();
    bob.close();
    bob = Node.open(bobHome, null, options());
    TestNodes.connect(alice, bob);
    assertEquals(0, bob.core().askForGaps());
    clock.advance(WAIT);
    assertEquals(1, bob.core().askForGaps());
    settle();
    assertEquals(List.of("lost", "later"), texts(bob.read()));
  }

  /**
   * A contact whose SYNCs keep asking for messages sent again already (a dishonest or confused
   * peer) has them sent again at most once a gap wait, at most {@value SessionResets#REPAIR_MAX} at a time.
   */
  @Test
  void aContactsSyncsDoNotMakeTheNodeSendItsHistoryAgainAndAgain() throws Exception {
    send(alice, numbered("m", 0, 40));
    settle();
    assertEquals(40, texts(bob.read()).size());
    long aliceId = bob.contact("alice").id();
    long out = alice.contact("bob").nextOutSeq();
    // bob asks from seq 1 five times over, in one turn: 1 is below alice's out_seq, nothing was resent yet.
    for (int i = 0; i < 5; i++) {
      long now = clock.millis();
      bob.core().store().write(tx -> {
        tx.queuePending(aliceId, NodeMessage.sync(tx.contact(aliceId).orElseThrow().nextOutSeq(), now / 1000, 1, 0)
            .encode(), now);
        return null;
      });
    }
    List<Envelope> syncs = TestNodes.outbox(bob);
    assertEquals(5, syncs.size());
    TestNodes.deliver(syncs, alice);
    long queued = alice.core().store().read(tx -> (long) tx.pending(100_000).size());
    assertEquals(out - 1, queued, "the first SYNC: everything from 1 again, once; the four others: nothing");
    TestNodes.outbox(alice);
    clock.advance(WAIT);
    long now = clock.millis();
    bob.core().store().write(tx -> {
      tx.queuePending(aliceId, NodeMessage.sync(tx.contact(aliceId).orElseThrow().nextOutSeq(), now / 1000, 1, 0)
          .encode(), now);
      return null;
    });
    TestNodes.deliver(TestNodes.outbox(bob), alice);
    assertEquals(out - 1, (long) alice.core().store().read(tx -> tx.pending(100_000).size()),
        "a gap wait later, once more");
  }
  /**
   * Over the network (loopback; the receiver does not listen, so everything goes through its
   * mailbox): a stranger writes twice before its request is accepted, and the mailbox drops the
   * second message after answering OK (a dishonest mailbox, attacks.md). After the acceptance the
   * stranger's next message is held behind the gap, the receiver asks, and every message is shown
   * once, in order. (Before gaps were asked for, such a conversation stayed stuck for good.)
   */
  @Test
  void aMessageTheMailboxDroppedIsAskedForAndTheConversationGoesOn() throws Exception {
    Node.Options fast = TestNodes.fast().withPolicy(NodeCore.Policy.DEFAULT.withGapWait(Duration.ofMillis(300)));
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      try (Node carol = Node.open(TestNodes.init(dir, "carol", List.of()), null, fast);
          Node dave = Node.open(TestNodes.init(dir, "dave", List.of(mailbox.mailboxAddress())), null,
              fast.withListening(false))) {
        TestNodes.connect(carol, dave);
        carol.start();
        dave.start();
        carol.addContact("dave", dave.card().text()); // a stranger to dave
        carol.send("dave", "hi");
        TestNodes.await(Duration.ofSeconds(20), () -> dave.contactBook().requests().size() == 1);
        carol.send("dave", "more");
        // "hi" and "more" wait at the mailbox (a request's tags are not fetched); it drops "more".
        TestNodes.await(Duration.ofSeconds(20), () -> mailbox.mailboxItems().size() == 2);
        long more = mailbox.mailboxItems().stream().mapToLong(Tx.Item::id).max().orElseThrow();
        mailbox.core().store().write(tx -> tx.deleteItems(List.of(more)));
        dave.contactBook().accept("carol", null);
        carol.send("dave", "after");
        TestNodes.await(Duration.ofSeconds(30), () -> dave.conversation("carol").stream()
            .anyMatch(m -> "after".equals(m.text())));
        assertEquals(List.of("hi", "more", "after"), dave.conversation("carol").stream()
            .filter(m -> m.incoming() && m.kind() == Node.Kind.TEXT)
            .sorted(java.util.Comparator.comparingLong(Node.Shown::seq)).map(Node.Shown::text).toList(), "by seq, once each");
      }
    }
  }
}
