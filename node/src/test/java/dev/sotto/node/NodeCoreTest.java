package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.SottoException;
import dev.sotto.node.store.Tx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's logic without the network: every bad envelope or request is refused with its code
 * and leaves the store exactly as it was (sessions, responder, contacts, messages, duplicate
 * memory, mailbox), and a replay is recognised without effect.
 */
class NodeCoreTest {
  @TempDir Path dir;
  private Node alice;
  private Node bob;

  @BeforeEach
  void setUp() throws Exception {
    alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, Node.Options.defaults());
    bob = Node.open(TestNodes.init(dir, "bob", List.of()), null,
        Node.Options.defaults().withPolicy(NodeCore.Policy.DEFAULT.withQuotas(2, 1 << 20)));
    TestNodes.connect(alice, bob);
    bob.addContact("alice", alice.card().text(), false); // cards exchanged: alice's first contact is a contact's
    alice.addContact("bob", bob.card().text());
  }

  @AfterEach
  void tearDown() {
    alice.close();
    bob.close();
  }

  /** Seals what alice queued and takes her outbox, as her worker would send it. */
  private List<Envelope> outbox() throws Exception {
    return outbox(alice);
  }

  private static List<Envelope> outbox(Node sender) throws Exception {
    sender.core().sealPending();
    List<Envelope> out = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    for (NodeCore.Batch batch : sender.core().due(100)) {
      for (Tx.Outgoing o : batch.envelopes()) {
        out.add(Envelope.parse(o.envelope()));
        ids.add(o.id());
      }
    }
    sender.core().sent(ids);
    return out;
  }

  @Test
  void aRenewedCardWorksAndTheOldOneStillDoes() throws Exception {
    String old = bob.card().text();
    String renewed = bob.renewCard().text();
    assertEquals(false, old.equals(renewed));
    assertEquals(renewed, bob.currentCard().text(), "a fresh card is not renewed again");
    // alice added bob from the old card (setUp): her first contact is still accepted.
    for (Envelope e : outbox()) {
      assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(e));
    }
    try (Node carol = Node.open(TestNodes.init(dir, "carol", List.of()), null, Node.Options.defaults())) {
      TestNodes.connect(carol, bob);
      bob.addContact("carol", carol.card().text(), false);
      carol.addContact("bob", renewed);
      carol.send("bob", "from the new card");
      for (Envelope e : outbox(carol)) {
        assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(e));
      }
    }
    assertEquals(List.of("alice", "carol"), bob.contacts().stream().map(Tx.Contact::name).toList());

    // 340 days later the card has less than 30 days left: the node gives out a new one.
    Node.Options d = Node.Options.defaults();
    Node.Options later = new Node.Options(java.time.Clock.offset(d.clock(), java.time.Duration.ofDays(340)), d.random(),
        d.tick(), d.fetchInterval(), d.limits(), d.policy(), d.tap(), d.listen(), d.timing());
    try (Node bobLater = Node.open(bob.home(), null, later)) {
      String third = bobLater.currentCard().text();
      assertEquals(false, third.equals(renewed));
      assertEquals(third, bob.card().text());
    }
  }

  @Test
  void aChangedAddressReachesTheContactInAHelloAndIsShownAsANewCard() throws Exception {
    for (Envelope e : outbox()) {
      assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(e));
    }
    assertEquals(List.of(Node.Kind.JOINED), bob.read().stream().map(Node.Shown::kind).toList());
    List<Envelope> answer = outbox(bob);
    assertEquals(1, answer.size(), "bob's node answers alice's first contact with its HELLO");
    assertEquals(NodeCore.Outcome.ACCEPTED, alice.core().receive(answer.get(0)));
    assertEquals(List.of(Node.Kind.JOINED), alice.read().stream().map(Node.Shown::kind).toList());

    Node.Reconfigured same = bob.reconfigure(bob.config().withListening("0.0.0.0", bob.config().port())
        .withAdvertise(List.of(new HostPort("127.0.0.1", bob.config().port()))));
    assertEquals(false, same.newCard(), "the card gives the same address: no card, no HELLO");
    assertEquals(List.of(), outbox(bob));

    String before = bob.card().text();
    Node.Reconfigured moved = bob.reconfigure(bob.config().withAdvertise(List.of(new HostPort("bob.example.org", 7999))));
    assertEquals(true, moved.newCard());
    assertEquals(1, moved.contactsTold());
    assertEquals(false, before.equals(bob.card().text()));
    List<Envelope> hello = outbox(bob);
    assertEquals(1, hello.size());
    assertEquals(NodeCore.Outcome.ACCEPTED, alice.core().receive(hello.get(0)));
    assertEquals(bob.card(), dev.sotto.Card.parse(alice.contact("bob").card(), java.time.Instant.EPOCH));
    List<Node.Shown> shown = alice.read();
    assertEquals(List.of(Node.Kind.CARD), shown.stream().map(Node.Shown::kind).toList());
    assertEquals("bob.example.org:7999", shown.get(0).text());
    assertEquals(List.of(), bob.conversation("alice").stream().filter(m -> !m.incoming()).toList(),
        "a node does not show its own HELLOs");
  }

  /** Everything of bob's store that an envelope or a request could change, as text. */
  private String snapshot() throws Exception {
    return bob.core().store().read(tx -> {
      StringBuilder s = new StringBuilder();
      HexFormat hex = HexFormat.of();
      for (Tx.SessionRow r : tx.allSessions()) {
        s.append("session ").append(r.id()).append(' ').append(hex.formatHex(r.state())).append('\n');
      }
      s.append("responder ").append(hex.formatHex(tx.get(NodeCore.KV_RESPONDER).orElseThrow())).append('\n');
      s.append("unacked ").append(tx.get(NodeCore.KV_UNACKED).map(hex::formatHex).orElse("-")).append('\n');
      for (Tx.Contact c : tx.contacts()) {
        s.append("contact ").append(c.name()).append(' ').append(c.nextInSeq()).append(' ').append(c.nextOutSeq()).append('\n');
        for (Tx.Message m : tx.messages(c.id())) {
          s.append("message ").append(m.seq()).append(' ').append(m.text()).append(' ').append(m.read()).append('\n');
        }
      }
      for (Tx.Item i : tx.mailboxItems()) {
        s.append("item ").append(i.id()).append(' ').append(hex.formatHex(i.tag())).append('\n');
      }
      return s.toString();
    });
  }

  private static Envelope flip(Envelope e, int index) throws SottoException {
    byte[] bytes = e.encoded();
    bytes[index] ^= 0x01;
    return Envelope.parse(bytes);
  }

  @Test
  void badEnvelopesChangeNothing() throws Exception {
    alice.send("bob", "one");
    List<Envelope> first = outbox();
    assertEquals(2, first.size(), "the first contact (HELLO) and the text");

    // A tampered first contact, then the real one; a replay of it is a duplicate.
    String empty = snapshot();
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
        () -> bob.core().receive(flip(first.get(0), 200))).code());
    assertEquals(empty, snapshot());
    assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(first.get(0)));
    String afterHello = snapshot();
    assertEquals(NodeCore.Outcome.DUPLICATE, bob.core().receive(first.get(0)));
    assertEquals(afterHello, snapshot());

    // Under a session tag: tampered header, tampered body, wrong tag, then the real one.
    Envelope text = first.get(1);
    for (Envelope bad : List.of(flip(text, 20), flip(text, text.length() - 1), flip(text, 3))) {
      SottoException e = assertThrows(SottoException.class, () -> bob.core().receive(bad));
      assertEquals(true, e.code() == ErrorCode.AUTH_FAILED || e.code() == ErrorCode.UNKNOWN_TAG, e.code().name());
      assertEquals(afterHello, snapshot(), "refused with " + e.code());
    }
    assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(text));
    assertEquals(List.of("one"), bob.read().stream().map(Node.Shown::text).filter(t -> !t.isEmpty()).toList());
    String afterText = snapshot();
    assertEquals(NodeCore.Outcome.DUPLICATE, bob.core().receive(text));
    assertEquals(afterText, snapshot());
  }

  @Test
  void refusedRequestsChangeNothing() throws Exception {
    NodeCore.LinkState link = new NodeCore.LinkState();
    byte[] body = new byte[Envelope.BUCKETS.get(0)];
    body[0] = Envelope.VERSION;
    Envelope random = Envelope.parse(body);
    String before = snapshot();
    List<Frame> answers = bob.core().handle(link, Frame.deliver(1, random));
    assertEquals(ErrorCode.UNKNOWN_TAG.number(), answers.get(0).errorNumber());
    assertEquals(ErrorCode.UNSUPPORTED_REQUEST.number(), bob.core().handle(link, Frame.of(0x33, 2, new byte[0])).get(0).errorNumber());
    assertEquals(ErrorCode.INVALID_ENCODING.number(),
        bob.core().handle(link, Frame.of(Frame.FETCH, 3, new byte[] {0, 0})).get(0).errorNumber());
    assertEquals(before, snapshot());

    // The per-tag quota is 2: a third envelope under the tag is refused and not stored.
    for (int i = 0; i < 3; i++) {
      byte[] b = body.clone();
      b[body.length - 1] = (byte) i;
      Frame answer = bob.core().handle(link, Frame.deposit(10 + i, Envelope.parse(b))).get(0);
      assertEquals(i < 2 ? Frame.OK : Frame.ERROR, answer.type());
    }
    String full = snapshot();
    byte[] another = body.clone();
    another[body.length - 1] = 9;
    assertEquals(ErrorCode.LIMIT_EXCEEDED.number(),
        bob.core().handle(link, Frame.deposit(20, Envelope.parse(another))).get(0).errorNumber());
    assertEquals(full, snapshot());
    // An envelope already held is answered OK and not stored twice.
    assertEquals(Frame.OK, bob.core().handle(link, Frame.deposit(21, Envelope.parse(body.clone()))).get(0).type());
    assertEquals(full, snapshot());
    // An ACK of items this link was never handed deletes nothing.
    bob.core().handle(link, Frame.ack(22, List.of(1L, 2L)));
    assertEquals(full, snapshot());
  }

  /**
   * DEPOSITs that come together on one link are stored in one commit, each on its own: in a run
   * of five, the third under a full tag is refused and changes nothing, a duplicate is answered OK
   * and stored once, and the others are stored, durably (still there after the store is reopened).
   */
  @Test
  void depositsThatComeTogetherAreEachTakenOrRefusedOnTheirOwn() throws Exception {
    NodeCore.LinkState link = new NodeCore.LinkState();
    byte[] body = new byte[Envelope.BUCKETS.get(0)];
    body[0] = Envelope.VERSION;
    List<Frame> run = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      byte[] b = body.clone();
      b[body.length - 1] = (byte) i; // one tag: its quota is 2
      run.add(Frame.deposit(10 + i, Envelope.parse(b)));
    }
    run.add(Frame.deposit(13, Envelope.parse(body.clone()))); // the first again
    byte[] other = body.clone();
    other[1] = 1; // another tag
    run.add(Frame.deposit(14, Envelope.parse(other)));
    List<List<Frame>> answers = bob.core().handleAll(link, run);
    assertEquals(List.of(Frame.OK, Frame.OK, Frame.ERROR, Frame.OK, Frame.OK),
        answers.stream().map(a -> a.get(0).type()).toList());
    assertEquals(ErrorCode.LIMIT_EXCEEDED.number(), answers.get(2).get(0).errorNumber());
    assertEquals(3L, bob.core().mailbox().counters().get("mailbox_deposits"));
    assertEquals(1L, bob.core().mailbox().counters().get("mailbox_duplicates"));
    String stored = snapshot();
    Path home = dir.resolve("bob");
    bob.close();
    bob = Node.open(home, null, Node.Options.defaults());
    assertEquals(stored, snapshot(), "the three stored are on disk");
  }
  /**
   * A group commit that fails after its envelopes were received (a disk error at COMMIT) leaves
   * nothing of them, in the store or in memory: the same envelopes, fetched again, are taken and
   * shown (before, the tag index had moved past them, and they were refused as UNKNOWN_TAG).
   */
  @Test
  void aGroupCommitThatFailsLeavesNothingOfItsEnvelopes() throws Exception {
    alice.send("bob", "hello");
    TestNodes.deliver(outbox(), bob); // the session is there before: only its ratchet moves in the group
    bob.read();
    alice.send("bob", "one");
    alice.send("bob", "two");
    List<Envelope> envelopes = outbox();
    assertThrows(IllegalStateException.class, () -> bob.core().inOneCommitWith(() -> {
      for (Envelope e : envelopes) {
        bob.core().receiveFetched(e);
      }
      throw new IllegalStateException("the disk failed at COMMIT");
    }));
    assertEquals(List.of(), bob.read().stream().filter(m -> m.kind() == Node.Kind.TEXT).toList());
    for (Object result : bob.core().receiveFetchedAll(envelopes)) {
      assertEquals(NodeCore.Outcome.ACCEPTED, result);
    }
    assertEquals(List.of("one", "two"), bob.read().stream().filter(m -> m.kind() == Node.Kind.TEXT)
        .map(Node.Shown::text).toList());
  }
}
