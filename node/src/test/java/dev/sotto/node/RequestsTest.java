package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import dev.sotto.node.store.Unseal;
import dev.sotto.node.store.Vault;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contact requests (spec: transport.adoc#node-requests), in one process: a stranger's first
 * contact is held until the user accepts it, costs no fetching and gets no answer meanwhile;
 * requests are bounded per card and in all, and a dropped requester is told (DROPPED) and makes
 * its first contact again later; a blocked identity is refused for good; a revoked card takes no
 * more first contacts; a first contact over its budget is refused before anything is opened.
 */
class RequestsTest {
  /** Small bounds, so that a test reaches them: 2 requests a card, 3 in all, 2 texts of 100 bytes each. */
  private static final NodeCore.RequestPolicy SMALL = new NodeCore.RequestPolicy(2, 3, 2, 100, 4, 1000, 1000, 1000,
      1000);

  @TempDir Path dir;
  private final List<Node> open = new ArrayList<>();
  private Node bob;

  @BeforeEach
  void setUp() throws Exception {
    bob = open("bob", NodeCore.Policy.DEFAULT.withRequests(SMALL));
  }

  @AfterEach
  void tearDown() {
    open.forEach(Node::close);
  }

  private Node open(String name, NodeCore.Policy policy) throws Exception {
    Node node = Node.open(TestNodes.init(dir, name, List.of()), null, Node.Options.defaults().withPolicy(policy));
    open.add(node);
    return node;
  }

  /** A stranger who adds bob from {@code card} and writes {@code texts}; its first contact and texts delivered to bob. */
  private Node stranger(String name, String card, String... texts) throws Exception {
    Node s = open(name, NodeCore.Policy.DEFAULT);
    TestNodes.connect(s, bob);
    s.addContact("bob", card);
    for (String t : texts) {
      s.send("bob", t);
    }
    TestNodes.deliver(TestNodes.outbox(s), bob);
    return s;
  }

  private static List<String> names(List<Tx.Contact> contacts) {
    return contacts.stream().map(Tx.Contact::name).toList();
  }

  private List<String> watched(Node node) throws Exception {
    return node.core().watchedTags().stream().map(HexFormat.of()::formatHex).toList();
  }

  @Test
  void aStrangersFirstContactIsARequestUntilAccepted() throws Exception {
    int tagsBefore = watched(bob).size();
    Node alice = stranger("alice", bob.card().text(), "hi, it's alice from the conference");
    assertEquals(List.of(), bob.contacts(), "a request is not a contact");
    assertEquals(tagsBefore, watched(bob).size(), "nor does it cost fetching");
    assertEquals(List.of(), TestNodes.outbox(bob), "nor is it answered");
    List<ContactBook.Request> requests = bob.contactBook().requests();
    assertEquals(1, requests.size());
    ContactBook.Request r = requests.get(0);
    assertEquals("alice", r.name());
    assertEquals(alice.fingerprint(), r.fingerprint());
    assertEquals(Requests.cardId(bob.card()), r.card());
    assertEquals(List.of("hi, it's alice from the conference"), r.texts().stream().map(Node.Shown::text).toList());
    assertThrows(StoreException.class, () -> bob.contact(Requests.placeholder(alice.publicIdentity().encoded())));
    assertThrows(StoreException.class, () -> bob.send("alice", "no"));

    List<Node.Shown> shown = bob.read();
    assertEquals(1, shown.size(), "the user is told of the request, not shown its texts");
    assertEquals(Node.Kind.REQUEST, shown.get(0).kind());
    assertEquals(alice.fingerprint().text(), shown.get(0).text());
    assertEquals(List.of(), bob.read(), "once");

    // alice writes more before she is accepted: held, and still nothing goes back.
    alice.send("bob", "are you there?");
    TestNodes.deliver(TestNodes.outbox(alice), bob);
    assertEquals(2, bob.contactBook().requests().get(0).texts().size());
    assertEquals(List.of(), TestNodes.outbox(bob));

    Tx.Contact accepted = bob.contactBook().accept("alice", "ally");
    assertEquals(List.of("ally"), names(bob.contacts()));
    assertEquals(accepted.id(), r.number());
    assertEquals(List.of(), bob.contactBook().requests());
    assertTrue(watched(bob).size() > tagsBefore, "an accepted request's tags are fetched");
    List<Envelope> answer = TestNodes.outbox(bob);
    assertEquals(1, answer.size(), "the answer (bob's HELLO) leaves once the request is accepted");
    TestNodes.deliver(answer, alice);
    assertEquals(FirstContacts.State.ANSWERED, alice.firstContactStatus(alice.contact("bob").id()).state());
    assertEquals(List.of("", "hi, it's alice from the conference", "are you there?"),
        bob.read().stream().map(Node.Shown::text).toList(), "its HELLO and texts are shown now, in order");
  }

  @Test
  void requestsAreBoundedPerCardAndInAllAndADroppedRequesterIsToldAndTriesAgain() throws Exception {
    String cardA = bob.card().text();
    stranger("a1", cardA);
    stranger("a2", cardA);
    // The third through card A finds its card's share used up: dropped, and answered.
    Node a3 = stranger("a3", cardA);
    a3.send("bob", "let me in");
    List<Envelope> lost = TestNodes.outbox(a3);
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class, () -> bob.core().receive(lost.get(0))).code(),
        "what a3 sent after its first contact goes nowhere: its session was not kept");
    assertEquals(List.of("a1", "a2"), bob.contactBook().requests().stream().map(ContactBook.Request::name).toList());
    assertEquals(1L, bob.core().requestCounters().get("requestsDropped"));
    List<Requests.Tell> tells = bob.core().tells();
    assertEquals(1, tells.size(), "a DROPPED waits to be sent to a3's card");
    assertArrayEquals(a3.card().encoded(), tells.get(0).card());

    // A request through another card (bob's renewed one) takes no room from card A's, and
    // evicts none of them; the total bound (3) then drops one through card B.
    String cardB = bob.renewCard().text();
    stranger("b1", cardB);
    assertEquals(List.of("a1", "a2", "b1"), bob.contactBook().requests().stream()
        .map(ContactBook.Request::name).toList());
    stranger("b2", cardB);
    assertEquals(3, bob.contactBook().requests().size(), "the total bound holds");
    assertEquals(2, bob.core().tells().size());

    // a3's node opens the DROPPED: its first contact was not kept; it waits a day, then tries again.
    assertEquals(FirstContacts.State.UNANSWERED, a3.firstContactStatus(a3.contact("bob").id()).state());
    assertEquals(NodeCore.Outcome.ACCEPTED, a3.core().receive(Envelope.parse(tells.get(0).envelope())));
    FirstContacts.Status s = a3.firstContactStatus(a3.contact("bob").id());
    assertEquals(FirstContacts.State.DROPPED, s.state());
    assertTrue(s.nextFetchMillis() > System.currentTimeMillis() + 23 * 3600_000L, "made again after 24 h");
    assertEquals(List.of(), TestNodes.outbox(a3), "nothing more is sent meanwhile");
    assertEquals(2, a3.core().sealPending() + a3.outboxSize(), "its HELLO and text wait for the next first contact");
    bob.core().told(tells.get(0));
    assertEquals(1, bob.core().tells().size());

    // Bob rejects a2: card A has room again, and a3's next first contact (its HELLO and text again) is held.
    bob.contactBook().reject("a2");
    dayLater(a3);
    TestNodes.deliver(TestNodes.outbox(a3), bob);
    ContactBook.Request again = bob.contactBook().requests().stream().filter(r -> r.name().equals("a3")).findFirst()
        .orElseThrow();
    assertEquals(List.of("let me in"), again.texts().stream().map(Node.Shown::text).toList());
  }

  /** Makes a contact's next prekey fetch due now, as it is a day after a DROPPED. */
  private static void dayLater(Node node) throws Exception {
    long id = node.contact("bob").id();
    node.core().store().write(tx -> {
      Tx.FirstContacts f = tx.firstContacts(id);
      tx.setFirstContacts(new Tx.FirstContacts(id, f.made(), 0, 0));
      return null;
    });
  }

  @Test
  void aRequestHoldsBoundedTextsAndARefusedOneChangesNothing() throws Exception {
    Node alice = stranger("alice", bob.card().text(), "one", "two");
    alice.send("bob", "three: over the bound of two texts");
    List<Envelope> third = TestNodes.outbox(alice);
    byte[] before = Unseal.sealedKv(bob.home(), Vault.open(bob.home(), null), Requests.KV);
    SottoException refused = assertThrows(SottoException.class, () -> bob.core().receive(third.get(0)));
    assertEquals(ErrorCode.LIMIT_EXCEEDED, refused.code());
    assertArrayEquals(before, Unseal.sealedKv(bob.home(), Vault.open(bob.home(), null), Requests.KV));
    assertEquals(2, bob.contactBook().requests().get(0).texts().size());
    // Accepted, the request takes it (the sender tries it again).
    bob.contactBook().accept("alice", null);
    TestNodes.deliver(third, bob);
    assertEquals(List.of("", "one", "two", "three: over the bound of two texts"),
        bob.read().stream().map(Node.Shown::text).toList());
  }

  @Test
  void aBlockedIdentityIsRefusedForGoodAcrossRestarts() throws Exception {
    Node mallory = stranger("mallory", bob.card().text(), "buy now");
    assertEquals("mallory", bob.contactBook().block("mallory"));
    assertEquals(List.of(), bob.contactBook().requests());
    Path home = bob.home();
    bob.close();
    open.remove(bob);
    bob = Node.open(home, null, Node.Options.defaults().withPolicy(NodeCore.Policy.DEFAULT.withRequests(SMALL)));
    open.add(bob);
    // mallory makes a first contact again (a RESET): accepted and dropped unseen.
    TestNodes.connect(mallory, bob);
    mallory.requestReset("bob");
    List<Envelope> again = TestNodes.outbox(mallory);
    assertFalse(again.isEmpty());
    TestNodes.deliver(again, bob);
    assertEquals(List.of(), bob.contactBook().requests());
    assertEquals(List.of(), bob.contacts());
    assertEquals(1L, bob.core().requestCounters().get("firstContactsBlocked"));
    assertEquals(List.of(), bob.core().tells(), "not told");
    assertEquals(1, bob.contactBook().blocked().size());
    assertTrue(bob.contactBook().unblock(mallory.fingerprint().text()));
    assertEquals(List.of(), bob.contactBook().blocked());
  }

  @Test
  void aContactCanBeRenamedAndRemoved() throws Exception {
    Node alice = stranger("alice", bob.card().text());
    String number = "#" + bob.contactBook().requests().get(0).number();
    bob.contactBook().accept(number, null);
    assertEquals(List.of("alice"), names(bob.contacts()));
    assertThrows(StoreException.class, () -> bob.contactBook().accept(number, null), "no such request any more");
    bob.contactBook().rename("alice", "al");
    assertEquals(List.of("al"), names(bob.contacts()));
    bob.send("al", "hello al");
    bob.contactBook().remove("al");
    assertEquals(List.of(), bob.contacts());
    assertEquals(0, bob.outboxSize(), "what was queued for it went with it");
    // alice writes again: a request, as from a stranger.
    alice.send("bob", "still there?");
    List<Envelope> lost = TestNodes.outbox(alice);
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
        () -> bob.core().receive(lost.get(0))).code(), "the session went with the contact");
    alice.requestReset("bob");
    TestNodes.deliver(TestNodes.outbox(alice), bob);
    assertEquals(1, bob.contactBook().requests().size());
    assertTrue(bob.contactBook().requests().get(0).reset());
  }

  @Test
  void aRevokedCardTakesNoMoreFirstContactsAndItsRequestsStay() throws Exception {
    String old = bob.card().text();
    stranger("early", old);
    // late holds the old card and its prekeys (fetched before the revocation, as a mailbox may still serve them).
    Node late = open("late", NodeCore.Policy.DEFAULT);
    TestNodes.connect(late, bob);
    late.addContact("bob", old);
    String id = Requests.cardId(bob.card());
    Node.Revoked revoked = bob.revokeCard(id);
    assertTrue(revoked.revoked().current());
    assertEquals(1, revoked.revoked().requests());
    assertFalse(id.equals(Requests.cardId(revoked.current())), "a new current card");
    assertFalse(bob.cards().stream().anyMatch(c -> c.id().equals(id)));
    assertEquals(1, bob.contactBook().requests().size(), "the request through it stays");
    List<Envelope> throughOld = TestNodes.outbox(late);
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
        () -> bob.core().receive(throughOld.get(0))).code(), "refused before anything is opened");
    Node late2 = open("late2", NodeCore.Policy.DEFAULT);
    TestNodes.connect(late2, bob);
    late2.addContact("bob", revoked.current().text());
    TestNodes.deliver(TestNodes.outbox(late2), bob);
    assertEquals(2, bob.contactBook().requests().size(), "the new card takes first contacts");
    assertThrows(StoreException.class, () -> bob.revokeCard("00000000"));
  }

  @Test
  void aFirstContactOverItsBudgetIsRefusedBeforeAnythingIsOpened() throws Exception {
    Node tight = open("tight", NodeCore.Policy.DEFAULT.withRequests(SMALL.withRates(0.001, 1, 0.001, 1)));
    Node a = open("a", NodeCore.Policy.DEFAULT);
    Node b = open("b", NodeCore.Policy.DEFAULT);
    TestNodes.connect(a, b, tight);
    a.addContact("tight", tight.card().text());
    b.addContact("tight", tight.card().text());
    TestNodes.deliver(TestNodes.outbox(a), tight);
    List<Envelope> second = TestNodes.outbox(b);
    byte[] responder = Unseal.sealedKv(tight.home(), Vault.open(tight.home(), null), "responder");
    SottoException refused = assertThrows(SottoException.class, () -> tight.core().receive(second.get(0)));
    assertEquals(ErrorCode.LIMIT_EXCEEDED, refused.code());
    assertArrayEquals(responder, Unseal.sealedKv(tight.home(), Vault.open(tight.home(), null), "responder"));
    assertEquals(1L, tight.core().requestCounters().get("firstContactsOverBudget"));
    assertEquals(1, tight.contactBook().requests().size());
    // Fetched from a mailbox, it is opened all the same (charged: the budget goes into debt) ...
    assertEquals(NodeCore.Outcome.ACCEPTED, tight.core().receiveFetched(second.get(0)));
    assertEquals(2, tight.contactBook().requests().size());
    // ... and the invite tag is not fetched while the budget is in debt.
    String invite = HexFormat.of().formatHex(tight.card().inviteTag());
    assertTrue(watched(tight).contains(invite));
    assertFalse(tight.core().fetchTags().stream().map(HexFormat.of()::formatHex).toList().contains(invite));
  }
}
