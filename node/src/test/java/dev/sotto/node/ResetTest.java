package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.NodeMessage;
import dev.sotto.SottoException;
import dev.sotto.node.store.Tx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session resets without the network (spec: transport.adoc#node-delivery): a reset replaces the
 * session, both sides send again what the other is missing, each message is delivered once and
 * in seq order, the user is told what was missing; replayed and stale resets are refused with
 * the store unchanged; concurrent resets converge; old sessions receive until they expire.
 */
class ResetTest {
  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.now());
  private Path bobBeforeAlice;
  private Node alice;
  private Node bob;

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    private volatile Instant now;

    TestClock(Instant start) {
      now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private Node.Options options() {
    Node.Options d = Node.Options.defaults();
    return new Node.Options(clock, d.random(), d.tick(), d.fetchInterval(), d.limits(), d.policy(), d.tap(), d.listen(), d.timing());
  }

  @BeforeEach
  void setUp() throws Exception {
    Path aliceHome = TestNodes.init(dir, "alice", List.of());
    Path bobHome = TestNodes.init(dir, "bob", List.of());
    // Bob's home as it was before he knew alice: what a restore of an old state gives back.
    bobBeforeAlice = dir.resolve("bob-before-alice");
    copy(bobHome, bobBeforeAlice);
    alice = Node.open(aliceHome, null, options());
    bob = Node.open(bobHome, null, options());
    TestNodes.connect(alice, bob);
    bob.addContact("alice", alice.card().text(), false); // after the copy: the old bob knows no alice
    alice.addContact("bob", bob.card().text());
  }

  @AfterEach
  void tearDown() {
    alice.close();
    bob.close();
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }

  /** Sends back and forth until neither side has anything left to send. */
  private static void settle(Node a, Node b) throws Exception {
    for (int round = 0; round < 10; round++) {
      List<Envelope> fromA = TestNodes.outbox(a);
      List<Envelope> fromB = TestNodes.outbox(b);
      if (fromA.isEmpty() && fromB.isEmpty()) {
        return;
      }
      TestNodes.deliver(fromA, b);
      TestNodes.deliver(fromB, a);
    }
    throw new AssertionError("the two nodes did not settle");
  }

  /** The texts a node holds from a contact, by seq, checking each seq is there once. */
  private static List<String> received(Node node, String from) throws Exception {
    List<Node.Shown> incoming = node.conversation(from).stream().filter(m -> m.incoming() && m.kind() != Node.Kind.RESET)
        .toList();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < incoming.size(); i++) {
      Node.Shown m = incoming.get(i);
      texts.add(m.kind() == Node.Kind.JOINED ? "(joined)" : m.text());
    }
    List<Long> seqs = incoming.stream().map(Node.Shown::seq).sorted().toList();
    for (int i = 0; i < seqs.size(); i++) {
      assertEquals(i, seqs.get(i), "seq " + i + " from " + from + " at " + node.config().name() + ", once");
    }
    return texts;
  }

  private static List<Node.Shown> notices(List<Node.Shown> shown) {
    return shown.stream().filter(m -> m.kind() == Node.Kind.RESET).toList();
  }

  private static List<String> texts(List<Node.Shown> shown) {
    return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList();
  }

  /** Everything of a node's store that receiving or a reset could change, as text. */
  private static String snapshot(Node node) throws Exception {
    return node.core().store().read(tx -> {
      StringBuilder s = new StringBuilder();
      HexFormat hex = HexFormat.of();
      for (Tx.SessionRow r : tx.allSessions()) {
        s.append(r).append(' ').append(hex.formatHex(r.state())).append('\n');
      }
      s.append("responder ").append(hex.formatHex(tx.get(NodeCore.KV_RESPONDER).orElseThrow())).append('\n');
      s.append("unacked ").append(tx.get(NodeCore.KV_UNACKED).map(hex::formatHex).orElse("-")).append('\n');
      for (Tx.Contact c : tx.contacts()) {
        s.append("contact ").append(c.name()).append(' ').append(c.nextInSeq()).append(' ').append(c.nextOutSeq())
            .append(' ').append(hex.formatHex(c.card())).append(' ').append(tx.resets(c.id())).append('\n');
        for (Tx.Message m : tx.messages(c.id())) {
          s.append(m).append(' ').append(m.text()).append('\n');
        }
        for (Tx.Notice n : tx.notices(c.id())) {
          s.append(n).append('\n');
        }
        for (Tx.Outgoing o : tx.outbox(c.id())) {
          s.append("outgoing ").append(o.id()).append(' ').append(hex.formatHex(o.envelope())).append('\n');
        }
      }
      for (Tx.Pending p : tx.pending(100_000)) {
        s.append(p).append(' ').append(hex.formatHex(p.payload())).append('\n');
      }
      for (Tx.Item i : tx.mailboxItems()) {
        s.append("item ").append(i.id()).append(' ').append(hex.formatHex(i.tag())).append('\n');
      }
      return s.toString();
    });
  }

  /**
   * Alice and bob have talked: 2 texts from alice (seq 1, 2 after her HELLO), 1 from bob (seq 1,
   * after the HELLO with which his node answered her first contact).
   */
  private void talk() throws Exception {
    alice.send("bob", "a1");
    alice.send("bob", "a2");
    TestNodes.deliver(TestNodes.outbox(alice), bob);
    bob.send("alice", "b0");
    TestNodes.deliver(TestNodes.outbox(bob), alice);
    alice.read();
    bob.read();
  }

  private static Tx.SessionRow sending(Node node, String contact) throws Exception {
    long id = node.contact(contact).id();
    return node.core().store().read(tx -> tx.sendingSession(id)).orElseThrow();
  }

  @Test
  void aResetResendsWhatWasLostAndDeliversEachMessageOnceInOrder() throws Exception {
    talk();
    // Lost in both directions: alice's seq 3..5 and bob's seq 1..2.
    alice.send("bob", "a3");
    alice.send("bob", "a4");
    alice.send("bob", "a5");
    List<Envelope> lostFromAlice = TestNodes.outbox(alice);
    bob.send("alice", "b1");
    bob.send("alice", "b2");
    List<Envelope> lostFromBob = TestNodes.outbox(bob);
    assertEquals(3, lostFromAlice.size());

    alice.requestReset("bob");
    List<Envelope> reset = TestNodes.outbox(alice);
    assertEquals(1, reset.size(), "the RESET, as a first contact");
    assertTrue(reset.get(0).length() >= 4096, "a first contact never fits 1 KiB");
    TestNodes.deliver(reset, bob);
    assertEquals(List.of(new Node.Reset(true, 3, 2)),
        notices(bob.read()).stream().map(Node.Shown::reset).toList(), "bob: alice's 3..5 missing, his 1..2 resent");

    List<Envelope> answer = TestNodes.outbox(bob);
    assertEquals(3, answer.size(), "the SYNC, then b1 and b2 again");
    TestNodes.deliver(answer, alice);
    List<Node.Shown> aliceSees = alice.read();
    assertEquals(List.of(new Node.Reset(false, 2, 3)), notices(aliceSees).stream().map(Node.Shown::reset).toList());
    assertEquals(List.of("b1", "b2"), texts(aliceSees));
    TestNodes.deliver(TestNodes.outbox(alice), bob);
    assertEquals(List.of("a3", "a4", "a5"), texts(bob.read()));

    // The lost envelopes turn up late: the old sessions still receive them, and the seqs are held already.
    TestNodes.deliver(lostFromAlice, bob);
    TestNodes.deliver(lostFromBob, alice);
    assertEquals(List.of(), bob.read());
    assertEquals(List.of(), alice.read());
    assertEquals(List.of("(joined)", "a1", "a2", "a3", "a4", "a5"), received(bob, "alice"));
    assertEquals(List.of("(joined)", "b0", "b1", "b2"), received(alice, "bob"));

    // Both go on in the new session, which both send in.
    alice.send("bob", "a6");
    bob.send("alice", "b3");
    settle(alice, bob);
    assertEquals(List.of("a6"), texts(bob.read()));
    assertEquals(List.of("b3"), texts(alice.read()));
    assertEquals(sending(alice, "bob").resetAt(), sending(bob, "alice").resetAt());
    assertEquals(new Tx.Resets(alice.contact("bob").id(), 1, 2, -1, sending(alice, "bob").resetAt(), false),
        alice.resets(alice.contact("bob").id()));
    assertEquals(new Tx.Resets(bob.contact("alice").id(), 1, 3, sending(bob, "alice").resetAt(), -1, false),
        bob.resets(bob.contact("alice").id()));
  }

  @Test
  void aReplayedResetEnvelopeIsADuplicateThenRefusedAsAReplayAndChangesNothing() throws Exception {
    talk();
    alice.requestReset("bob");
    List<Envelope> reset = TestNodes.outbox(alice);
    TestNodes.deliver(reset, bob);
    String after = snapshot(bob);
    assertEquals(NodeCore.Outcome.DUPLICATE, bob.core().receive(reset.get(0)));
    assertEquals(after, snapshot(bob));

    // Within the first-contact window, past the duplicate digest (forgotten here by hand), the
    // handshake's replay cache refuses it.
    bob.core().store().write(tx -> tx.forgetReceivedBefore(Long.MAX_VALUE));
    String forgotten = snapshot(bob);
    SottoException e = assertThrows(SottoException.class, () -> bob.core().receive(reset.get(0)));
    assertEquals(ErrorCode.REPLAY, e.code());
    assertEquals(forgotten, snapshot(bob));

    // Past the duplicate memory, the bundle it was made with is gone (its expiry plus the
    // first-contact window): refused for that, and nothing changes.
    clock.advance(Duration.ofDays(9));
    bob.core().expire();
    String expired = snapshot(bob);
    e = assertThrows(SottoException.class, () -> bob.core().receive(reset.get(0)));
    assertEquals(ErrorCode.UNKNOWN_PREKEY, e.code());
    assertEquals(expired, snapshot(bob));
  }

  @Test
  void aStaleResetIsRefusedAndChangesNothing() throws Exception {
    talk();
    alice.requestReset("bob");
    List<Envelope> first = TestNodes.outbox(alice);
    alice.requestReset("bob");
    List<Envelope> second = TestNodes.outbox(alice);
    TestNodes.deliver(second, bob);
    String after = snapshot(bob);
    SottoException e = assertThrows(SottoException.class, () -> bob.core().receive(first.get(0)));
    assertEquals(ErrorCode.REPLAY, e.code(), "its sent_at is not above the last RESET accepted from alice");
    assertEquals(after, snapshot(bob));
    settle(alice, bob);
    alice.send("bob", "after");
    settle(alice, bob);
    assertEquals(List.of("after"), texts(bob.read()));
  }

  @Test
  void concurrentResetsConvergeOnOneSession() throws Exception {
    talk();
    alice.requestReset("bob");
    bob.requestReset("alice");
    List<Envelope> fromAlice = TestNodes.outbox(alice);
    List<Envelope> fromBob = TestNodes.outbox(bob);
    TestNodes.deliver(fromAlice, bob);
    TestNodes.deliver(fromBob, alice);
    settle(alice, bob);

    Tx.SessionRow a = sending(alice, "bob");
    Tx.SessionRow b = sending(bob, "alice");
    assertEquals(a.resetAt(), b.resetAt(), "both send in the same session");
    assertNotEquals(a.initiated(), b.initiated(), "one side started it");
    // The winner by the rule: the larger (sent_at, initiator identity), computed from alice's two resets.
    long contactAtAlice = alice.contact("bob").id();
    List<Tx.SessionRow> resets = alice.core().store().read(tx -> tx.sessions(contactAtAlice)).stream()
        .filter(r -> r.resetAt() >= 0).toList();
    Tx.SessionRow mine = resets.stream().filter(Tx.SessionRow::initiated).findFirst().orElseThrow();
    Tx.SessionRow theirs = resets.stream().filter(r -> !r.initiated()).findFirst().orElseThrow();
    boolean aliceWins = SessionResets.compare(mine.resetAt(), alice.publicIdentity().encoded(), theirs.resetAt(),
        bob.publicIdentity().encoded()) > 0;
    assertEquals(aliceWins, a.initiated(), "alice sends in the winner");
    assertEquals(aliceWins ? mine.id() : theirs.id(), a.id());
    for (Node n : List.of(alice, bob)) {
      long contact = n.contacts().get(0).id();
      List<Tx.SessionRow> rows = n.core().store().read(tx -> tx.sessions(contact));
      assertEquals(1, rows.stream().filter(r -> r.superseded() < 0).count(), "one session to send in");
      assertEquals(2, rows.stream().filter(r -> r.resetAt() >= 0).count(), "both resets kept for receiving");
    }
    alice.send("bob", "a3");
    bob.send("alice", "b1");
    settle(alice, bob);
    assertEquals(List.of("(joined)", "a1", "a2", "a3"), received(bob, "alice"));
    assertEquals(List.of("(joined)", "b0", "b1"), received(alice, "bob"));
    assertEquals(a.id(), sending(alice, "bob").id(), "still the same session");
  }

  @Test
  void aRestoredPeerIsResetToAndNoSeqIsUsedTwice() throws Exception {
    talk();
    bob.send("alice", "b1");
    TestNodes.deliver(TestNodes.outbox(bob), alice);
    alice.read();
    // Bob restores a state from before he knew alice: her next message cannot be opened.
    bob.close();
    bob = Node.open(bobBeforeAlice, null, options());
    TestNodes.connect(alice, bob);
    alice.send("bob", "a3");
    List<Envelope> unreadable = TestNodes.outbox(alice);
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
        () -> bob.core().receive(unreadable.get(0))).code());

    alice.requestReset("bob");
    TestNodes.deliver(TestNodes.outbox(alice), bob);
    assertEquals(List.of(), bob.contacts(), "a RESET from an unknown identity is a request, as a HELLO");
    assertEquals(true, bob.contactBook().requests().get(0).reset());
    assertEquals(List.of(), TestNodes.outbox(bob), "its SYNC waits for the request's acceptance");
    bob.contactBook().accept("alice", null);
    assertEquals("alice", bob.contacts().get(0).name(), "accepted, it is a contact with the name it gives itself");
    assertEquals(3, bob.contact("alice").nextOutSeq(), "raised to alice's in_seq: bob's seq 0 to 2 are taken");
    settle(alice, bob);
    assertEquals(List.of("(joined)", "a1", "a2", "a3"), received(bob, "alice"));
    bob.send("alice", "b2 after the restore");
    settle(alice, bob);
    assertEquals(List.of("(joined)", "b0", "b1", "b2 after the restore"), received(alice, "bob"));
    List<Node.Shown> bobSaw = bob.read();
    assertEquals(new Node.Reset(true, 4, 0), notices(bobSaw).get(0).reset());
  }

  @Test
  void aSealingBoundStartsAResetAndTheMessageGoesInTheNewSession() throws Exception {
    Map<Long, Integer> sealed = new HashMap<>();
    List<Long> refused = new ArrayList<>();
    alice.core().sealWith((id, session, plaintext, random) -> {
      if (sealed.merge(id, 1, Integer::sum) > 3) {
        sealed.merge(id, -1, Integer::sum);
        refused.add(id);
        // What Session.seal raises at its chain bound: transactional, nothing changed.
        throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "test bound: 3 messages in a chain without an answer");
      }
      return session.seal(plaintext, random);
    });
    for (int i = 1; i <= 3; i++) {
      alice.send("bob", "a" + i);
    }
    TestNodes.deliver(TestNodes.outbox(alice), bob); // the HELLO (a first contact) and three sealed in its session
    alice.send("bob", "a4");
    List<Envelope> afterBound = TestNodes.outbox(alice);
    assertEquals(1, refused.size(), "the fourth seal in the session was refused");
    assertEquals(2, afterBound.size(), "the RESET (first contact) and a4 in the new session");
    Tx.SessionRow now = sending(alice, "bob");
    assertTrue(now.initiated() && now.resetAt() >= 0 && now.id() != refused.get(0));
    TestNodes.deliver(afterBound, bob);
    settle(alice, bob);
    assertEquals(List.of("(joined)", "a1", "a2", "a3", "a4"), received(bob, "alice"));
    List<String> read = texts(bob.read());
    assertEquals(List.of("a1", "a2", "a3", "a4"), read, "each once, in seq order");
  }

  @Test
  void oldSessionsAreDeletedAfterTheRetentionAndUnansweredResetsAreMadeAgain() throws Exception {
    talk();
    alice.requestReset("bob");
    List<Envelope> lostReset = TestNodes.outbox(alice);
    assertEquals(1, lostReset.size());
    long contact = alice.contact("bob").id();
    assertEquals(2, alice.core().store().read(tx -> tx.sessions(contact)).size());

    clock.advance(Duration.ofDays(7).plusMinutes(1));
    bob.maintainPrekeys(false); // as bob's running node does: a fresh bundle (alice's expired)
    alice.core().expire();
    assertEquals(1, alice.core().store().read(tx -> tx.sessions(contact)).size(), "the superseded session is gone");
    assertTrue(alice.resets(contact).wanted(), "the reset went unanswered for the retention: another is asked for");
    List<Envelope> again = TestNodes.outbox(alice);
    assertEquals(1, again.size());
    TestNodes.deliver(again, bob);
    settle(alice, bob);
    alice.send("bob", "a3");
    settle(alice, bob);
    assertEquals(List.of("(joined)", "a1", "a2", "a3"), received(bob, "alice"));
    assertEquals(2, alice.resets(contact).resets());
  }

  @Test
  void anEmptyTextIsATextNotAJoin() throws Exception {
    alice.send("bob", "");
    TestNodes.deliver(TestNodes.outbox(alice), bob);
    List<Node.Shown> shown = bob.read();
    assertEquals(List.of(Node.Kind.JOINED, Node.Kind.TEXT), shown.stream().map(Node.Shown::kind).toList());
    assertEquals("", shown.get(1).text());
    long contact = bob.contact("alice").id();
    assertEquals(NodeMessage.HELLO, bob.core().store().read(tx -> tx.messages(contact)).get(0).kind());
  }
}
