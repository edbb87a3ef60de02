package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.IdentitySeed;
import dev.sotto.LinkKey;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.ResetTest.TestClock;
import dev.sotto.node.net.Server;
import dev.sotto.node.net.WireTap;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Tx;
import dev.sotto.node.store.Unseal;
import dev.sotto.node.store.Vault;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revision 2's prekeys in the node (design r2-prekeys, sections 9 and 10): expired private prekeys
 * leave no byte in the store, first contacts wait for prekeys and are retried, a double-served
 * one-time prekey costs one day and no message, stale or foreign bundles are refused, each
 * one-time prekey is handed out once (by the node itself or by one mailbox), and cards are short.
 */
class PrekeysTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
  private final List<AutoCloseable> open = new ArrayList<>();
  /** The fake mailboxes asked for prekeys, in order. */
  private final List<String> askedInOrder = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private Node.Options options() {
    Node.Options d = Node.Options.defaults();
    return new Node.Options(clock, d.random(), Duration.ofMillis(20), Duration.ofMillis(100), d.limits(), d.policy(),
        d.tap(), d.listen(), d.timing());
  }

  private Path init(String name, IdentitySeed seed, List<Address> mailboxes) throws Exception {
    Path home = dir.resolve(name);
    Node.init(home, seed, null, TestNodes.CHEAP, new Node.Config(name, "127.0.0.1", TestNodes.freePort(), mailboxes),
        RandomSource.secure(), clock);
    return home;
  }

  private Node open(Path home) throws Exception {
    Node node = Node.open(home, null, options());
    open.add(node);
    return node;
  }

  private static FirstContacts.State state(Node node, String contact) throws Exception {
    return node.firstContactStatus(node.contact(contact).id()).state();
  }

  private static List<Frame.PrekeyItem> served(Node node, byte[] tag)
      throws dev.sotto.node.store.StoreException, SottoException {
    Frame answer = node.core().handle(new NodeCore.LinkState(), Frame.getPrekeys(7, tag)).get(0);
    assertEquals(Frame.PREKEYS, answer.type());
    assertEquals(7, answer.requestId());
    return answer.prekeyItems();
  }

  // ---------------------------------------------------------------- (a) deletion

  /** The private prekeys in a responder state (spec: handshake.adoc#responder-state), each as hex. */
  private static Set<String> privateKeys(byte[] state) {
    ByteBuffer in = ByteBuffer.wrap(state);
    Set<String> keys = new HashSet<>();
    in.get();
    in.getShort();
    in.getInt();
    in.getLong();
    for (int cards = in.get() & 0xff; cards > 0; cards--) {
      int length = in.getShort() & 0xffff;
      in.position(in.position() + length);
    }
    for (int bundles = in.get() & 0xff; bundles > 0; bundles--) {
      in.get();
      in.position(in.position() + PrekeyBundle.LENGTH);
      byte[] spk = new byte[32];
      byte[] seed = new byte[64];
      in.get(spk).get(seed);
      keys.add(java.util.HexFormat.of().formatHex(spk));
      keys.add(java.util.HexFormat.of().formatHex(seed));
      int replay = in.getShort() & 0xffff;
      in.position(in.position() + replay * 40);
    }
    for (int oneTime = in.getShort() & 0xffff; oneTime > 0; oneTime--) {
      in.get();
      int length = in.getShort() & 0xffff;
      in.position(in.position() + length);
      byte[] secret = new byte[length == OneTimePrekey.X25519_LENGTH ? 32 : 64];
      in.get(secret);
      keys.add(java.util.HexFormat.of().formatHex(secret));
    }
    assertFalse(in.hasRemaining(), "the whole state was read");
    return keys;
  }

  private static byte[] sealedResponder(Path home, IdentitySeed seed) throws Exception {
    return Unseal.sealedKv(home, seed, "responder");
  }

  private static void checkpoint(Path home) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(Store.FILE_NAME));
        Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
      assertTrue(r.next());
      assertEquals(0, r.getInt(1), "the checkpoint finished");
    }
  }

  @Test
  void expiredPrivatePrekeysLeaveNoByteInTheStoreOrItsLog() throws Exception {
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Path home = init("bob", seed, List.of());
    Node bob = open(home);
    bob.start();
    byte[] oldSealed = sealedResponder(home, seed);
    Set<String> oldKeys = privateKeys(Unseal.kv(seed, "responder", oldSealed));
    assertEquals(2 + OwnPrekeys.ONE_TIME_X25519 + OwnPrekeys.ONE_TIME_KEM, oldKeys.size(),
        "a bundle's two private keys and the node's own one-time prekeys");
    // A value this long spans overflow pages, each with a header of its own: look for its pieces.
    List<byte[]> oldPieces = new ArrayList<>();
    for (int at = 16; at + 48 <= oldSealed.length - 16; at += 48) {
      oldPieces.add(Arrays.copyOfRange(oldSealed, at, at + 48));
    }
    byte[] before = TestNodes.storeFiles(home);
    long found = oldPieces.stream().filter(p -> TestNodes.contains(before, p)).count();
    assertTrue(found > oldPieces.size() / 2, "the sealed state is in the files while it is current: " + found + " of "
        + oldPieces.size() + " pieces");

    // Past the bundle's and the one-time prekeys' expiry (3 days) plus the first-contact window (4 days).
    clock.advance(OwnPrekeys.BUNDLE_VALIDITY.plus(dev.sotto.Responder.FIRST_CONTACT_WINDOW).plusMinutes(1));
    OwnPrekeys.Maintained m = bob.maintainPrekeys(false);
    assertTrue(m.changed());
    bob.close();
    checkpoint(home);
    assertEquals(0, Files.exists(home.resolve(Store.FILE_NAME + "-wal")) ? Files.size(home.resolve(Store.FILE_NAME + "-wal"))
        : 0, "the log is truncated");

    byte[] now = Unseal.kv(seed, "responder", sealedResponder(home, seed));
    Set<String> newKeys = privateKeys(now);
    assertFalse(newKeys.isEmpty(), "a fresh bundle and one-time prekeys are held");
    for (String key : oldKeys) {
      assertFalse(newKeys.contains(key), "an expired private prekey is still held");
      assertFalse(TestNodes.contains(now, java.util.HexFormat.of().parseHex(key)), "an expired private prekey is in the state");
    }
    byte[] all = TestNodes.storeFiles(home);
    assertEquals(0, oldPieces.stream().filter(p -> TestNodes.contains(all, p)).count(),
        "pieces of the old sealed state in store.db or its log");
    for (String key : oldKeys) {
      assertFalse(TestNodes.contains(all, java.util.HexFormat.of().parseHex(key)), "a private prekey is in the files in clear");
    }
  }

  // ---------------------------------------------------------------- (b) no prekeys yet

  @Test
  void aContactAddedWhileNoAddressServesPrekeysIsReachedOnceOneDoes() throws Exception {
    Node alice = open(init("alice", IdentitySeed.generate(RandomSource.secure()), List.of()));
    Path bobHome = init("bob", IdentitySeed.generate(RandomSource.secure()), List.of());
    String bobCard;
    try (Node bobOffline = Node.open(bobHome, null, options())) {
      bobCard = bobOffline.card().text();
    }
    alice.start();
    alice.addContact("bob", bobCard); // bob's node is not running: its address refuses
    alice.send("bob", "waiting for you");
    FirstContacts.Status s = alice.firstContactStatus(alice.contact("bob").id());
    assertEquals(FirstContacts.State.WAITING_FOR_PREKEYS, s.state());
    assertEquals(1, s.fetchFailures());
    assertEquals(2, alice.outboxSize(), "the HELLO and the text wait, unsealed");

    Node bob = open(bobHome);
    bob.addContact("alice", alice.card().text(), false);
    bob.start();
    // The next fetch is due after the back-off, on alice's clock.
    clock.advance(Duration.ofMillis(FirstContacts.fetchBackoff(1)).plusSeconds(1));
    TestNodes.await(TIMEOUT, () -> state(alice, "bob") == FirstContacts.State.ANSWERED
        && bob.conversation("alice").stream().anyMatch(m -> m.text().equals("waiting for you")));
    assertEquals(1, alice.firstContactStatus(alice.contact("bob").id()).made(), "one first contact, answered");
  }

  // ---------------------------------------------------------------- (c) a one-time prekey served twice

  @Test
  void aDoubleServedOneTimePrekeyCostsADayAndNoMessage() throws Exception {
    Node bob = open(init("bob", IdentitySeed.generate(RandomSource.secure()), List.of()));
    Node alice = open(init("alice", IdentitySeed.generate(RandomSource.secure()), List.of()));
    Node carol = open(init("carol", IdentitySeed.generate(RandomSource.secure()), List.of()));
    // A dishonest server: the first answer it gave is given again to the next one who asks.
    List<Frame.PrekeyItem> recorded = new CopyOnWriteArrayList<>();
    Node.PrekeyChannel dishonest = (address, tag) -> {
      if (recorded.isEmpty()) {
        recorded.addAll(served(bob, tag));
      }
      return recorded;
    };
    alice.prekeysFrom(dishonest);
    carol.prekeysFrom(dishonest);
    String card = bob.card().text();
    bob.addContact("alice", alice.card().text(), false);
    bob.addContact("carol", carol.card().text(), false);
    alice.addContact("bob", card);
    carol.addContact("bob", card);
    assertTrue(recorded.stream().anyMatch(i -> i.kind() == Frame.PrekeyItem.Kind.X25519_ONE_TIME));
    carol.send("bob", "hello from carol");

    TestNodes.deliver(TestNodes.outbox(alice), bob);
    List<Envelope> fromCarol = TestNodes.outbox(carol);
    SottoException refused = assertThrows(SottoException.class, () -> bob.core().receive(fromCarol.get(0)));
    assertEquals(ErrorCode.UNKNOWN_PREKEY, refused.code(), "its one-time prekey was used by alice's first contact");
    List<Envelope> bobAnswers = TestNodes.outbox(bob);
    assertEquals(1, bobAnswers.size(), "bob answers alice only");
    TestNodes.deliver(bobAnswers, alice);
    assertEquals(FirstContacts.State.ANSWERED, state(alice, "bob"));
    assertEquals(FirstContacts.State.UNANSWERED, state(carol, "bob"));
    assertEquals(0, carol.core().firstContacts().retry(), "not before 24 h");

    clock.advance(FirstContacts.FIRST_CONTACT_ANSWER.plusMinutes(1));
    TestNodes.connect(carol, bob); // honest from now on
    assertEquals(1, carol.core().firstContacts().retry());
    List<Envelope> again = TestNodes.outbox(carol);
    assertFalse(again.isEmpty());
    TestNodes.deliver(again, bob);
    TestNodes.deliver(TestNodes.outbox(bob), carol);
    assertEquals(FirstContacts.State.ANSWERED, state(carol, "bob"));
    assertEquals(2, carol.firstContactStatus(carol.contact("bob").id()).made());
    assertEquals(List.of("hello from carol"), bob.conversation("carol").stream()
        .filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList(), "sent again in the new session, once");
  }

  @Test
  void anUnansweredFirstContactIsMadeAgainAtMostSevenTimes() throws Exception {
    Node bob = open(init("bob", IdentitySeed.generate(RandomSource.secure()), List.of()));
    Node alice = open(init("alice", IdentitySeed.generate(RandomSource.secure()), List.of()));
    TestNodes.connect(alice, bob);
    alice.addContact("bob", bob.card().text());
    for (int made = 1; made <= FirstContacts.MAX_FIRST_CONTACTS; made++) {
      assertEquals(1, TestNodes.outbox(alice).size(), "first contact " + made + " (lost)");
      assertEquals(made, alice.firstContactStatus(alice.contact("bob").id()).made());
      clock.advance(FirstContacts.FIRST_CONTACT_ANSWER.plusMinutes(1));
      bob.maintainPrekeys(false); // bob's running node keeps a fresh bundle
      assertEquals(made < FirstContacts.MAX_FIRST_CONTACTS ? 1 : 0, alice.core().firstContacts().retry());
    }
    assertEquals(List.of(), TestNodes.outbox(alice));
    assertEquals(FirstContacts.State.GAVE_UP, state(alice, "bob"));
  }

  // ---------------------------------------------------------------- (d) stale and foreign bundles

  /** A mailbox that answers GET_PREKEYS with what the test gives it and records what it is asked and sent. */
  private final class FakeMailbox implements AutoCloseable {
    final LinkKey key = LinkKey.generate(RandomSource.secure());
    final Server server;
    volatile List<Frame.PrekeyItem> serves = List.of();
    final List<Frame.Publish> published = new CopyOnWriteArrayList<>();

    FakeMailbox(String name) throws IOException {
      server = new Server("127.0.0.1", 0, key, name, clock, RandomSource.secure(), new Server.Handler() {
        @Override
        public Object newLink(java.net.InetAddress source) {
          return new Object();
        }

        @Override
        public List<Frame> handle(Object link, Frame request) throws Exception {
          return switch (request.type()) {
            case Frame.GET_PREKEYS -> {
              askedInOrder.add(name);
              yield List.of(Frame.prekeys(request.requestId(), serves));
            }
            case Frame.PUBLISH -> {
              published.add(request.publishBody());
              yield List.of(Frame.ok(request.requestId()));
            }
            default -> List.of(Frame.error(request.requestId(), ErrorCode.UNSUPPORTED_REQUEST));
          };
        }
      }, Server.Limits.DEFAULT, WireTap.NONE);
      open.add(this);
    }

    Address address() {
      return Address.mailbox("127.0.0.1", server.port(), key.publicKey());
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @Test
  void aStaleBundleFromAMailboxIsRefusedAndTheNextAddressAsked() throws Exception {
    FakeMailbox first = new FakeMailbox("first");
    FakeMailbox second = new FakeMailbox("second");
    Node bob = open(init("bob", IdentitySeed.generate(RandomSource.secure()), List.of(first.address(), second.address())));
    Node carol = open(init("carol", IdentitySeed.generate(RandomSource.secure()), List.of()));
    Card card = bob.card();
    assertEquals(List.of(Address.KIND_PEER_TCP, Address.KIND_MAILBOX_TCP, Address.KIND_MAILBOX_TCP),
        card.addresses().stream().map(Address::kind).toList());
    byte[] stale = bob.core().store().read(tx -> NodeCore.ownBundle(tx)).encoded();
    clock.advance(OwnPrekeys.BUNDLE_VALIDITY.plusMinutes(1));
    bob.maintainPrekeys(false);
    PrekeyBundle fresh = bob.core().store().read(tx -> NodeCore.ownBundle(tx));
    assertTrue(fresh.serial() > 0);
    // The first mailbox holds a stale bundle and a bundle of carol's card, the second a fresh one.
    PrekeyBundle carols = carol.core().store().read(tx -> NodeCore.ownBundle(tx));
    first.serves = List.of(new Frame.PrekeyItem(Frame.PrekeyItem.Kind.BUNDLE, stale), Frame.PrekeyItem.of(carols));
    second.serves = List.of(Frame.PrekeyItem.of(fresh));

    Node alice = open(init("alice", IdentitySeed.generate(RandomSource.secure()), List.of()));
    Optional<Prekeys> got = alice.fetchPrekeys(card); // bob's own node does not run: refused
    assertTrue(got.isPresent());
    assertEquals(fresh, got.get().bundle());
    assertEquals(List.of("first", "second"), askedInOrder, "the stale one first (card order), then the next");

    second.serves = List.of();
    assertEquals(Optional.empty(), alice.fetchPrekeys(card), "every address failed or withheld a valid bundle");
  }

  // ---------------------------------------------------------------- serving and publishing

  @Test
  void eachOneTimePrekeyIsHandedOutOnceByTheNodeOrOneMailbox() throws Exception {
    FakeMailbox first = new FakeMailbox("first");
    FakeMailbox second = new FakeMailbox("second");
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Path home = init("bob", seed, List.of(first.address(), second.address()));
    Node running = open(home);
    running.start();
    Node bob = running;
    TestNodes.await(TIMEOUT, () -> first.published.size() == 1 && second.published.size() == 1
        && running.maintainPrekeys(false).publications().isEmpty());
    Card card = bob.card();
    Set<Long> toMailboxes = new HashSet<>();
    for (FakeMailbox m : List.of(first, second)) {
      Frame.Publish p = m.published.get(0);
      assertTrue(Arrays.equals(card.bundleTag(), p.bundleTag()));
      assertTrue(Arrays.equals(Vault.publishCredential(seed, card.bundleTag(), m.address().linkKey()), p.credential()));
      assertEquals(1, p.items().stream().filter(i -> i.kind() == Frame.PrekeyItem.Kind.BUNDLE).count());
      assertEquals(OwnPrekeys.ONE_TIME_X25519,
          p.items().stream().filter(i -> i.kind() == Frame.PrekeyItem.Kind.X25519_ONE_TIME).count());
      assertEquals(OwnPrekeys.ONE_TIME_KEM,
          p.items().stream().filter(i -> i.kind() == Frame.PrekeyItem.Kind.ML_KEM_ONE_TIME).count());
      for (Frame.PrekeyItem item : p.items()) {
        if (item.kind() != Frame.PrekeyItem.Kind.BUNDLE) {
          assertTrue(toMailboxes.add(OneTimePrekey.parse(item.encoded(), card, clock.instant()).prekey().id()),
              "a one-time prekey given to two mailboxes");
        }
      }
    }
    assertEquals(2 * (OwnPrekeys.ONE_TIME_X25519 + OwnPrekeys.ONE_TIME_KEM), toMailboxes.size());

    // The node serves its own one-time prekeys, one of each kind per request, each once, across a restart.
    Set<Long> served = new HashSet<>();
    for (int i = 0; i < OwnPrekeys.ONE_TIME_KEM + 1; i++) {
      if (i == 2) {
        bob.close();
        bob = open(home);
      }
      List<Frame.PrekeyItem> items = served(bob, card.bundleTag());
      assertEquals(Frame.PrekeyItem.Kind.BUNDLE, items.get(0).kind());
      for (Frame.PrekeyItem item : items.subList(1, items.size())) {
        long id = OneTimePrekey.parse(item.encoded(), card, clock.instant()).prekey().id();
        assertFalse(toMailboxes.contains(id), "served a one-time prekey given to a mailbox");
        assertTrue(served.add(id), "served a one-time prekey twice");
      }
      assertEquals(i < OwnPrekeys.ONE_TIME_KEM ? 3 : 2, items.size(), "the bundle, and one of each kind while any is left");
    }
    assertEquals(List.of(), served(bob, new byte[Card.BUNDLE_TAG_LENGTH]), "another tag: the mailbox side (none held)");
    Frame publish = bob.core().handle(new NodeCore.LinkState(), Frame.publish(9, new byte[16], new byte[32],
        List.of(first.published.get(0).items().get(0)))).get(0);
    assertEquals(Frame.OK, publish.type(), "the node's mailbox holds another's prekeys");
    assertEquals(9, publish.requestId());
    assertEquals(1, served(bob, new byte[16]).size(), "and serves them under that tag");
  }


  // ---------------------------------------------------------------- item 2: a flood of valid first contacts

  /** A first contact from a fresh identity to the bundle given, carrying a HELLO, as any card holder can make. */
  private Envelope firstContact(int who, PrekeyBundle bundle) throws Exception {
    RandomSource r = dev.sotto.testing.TestRandom.deterministic(new byte[] {'f', (byte) who, (byte) (who >> 8)});
    dev.sotto.Identity id = dev.sotto.Identity.fromSeed(IdentitySeed.generate(r));
    Instant now = clock.instant();
    Card own = Card.builder(id).validity(now, now.plus(Duration.ofDays(30))).issue(r);
    dev.sotto.Responder mine = new dev.sotto.Responder(id);
    mine.addCard(own);
    PrekeyBundle ownBundle = mine.issueBundle(own, now, now.plus(Duration.ofDays(3)), r);
    byte[] hello = dev.sotto.NodeMessage.hello(0, now.getEpochSecond(), "f" + who, ownBundle).encode();
    return dev.sotto.Session.initiate(id, Prekeys.of(bundle), now, hello, r).envelopes().get(0);
  }

  @Test
  void aFloodOfValidFirstContactsRotatesTheBundleAndHonestOnesGetThrough() throws Exception {
    // First-contact budgets out of the way: this is about the replay cache (the budgets: RequestsTest).
    NodeCore.RequestPolicy unbounded = NodeCore.RequestPolicy.DEFAULT.withRates(1e9, 1 << 30, 1e9, 1 << 30);
    Node bob = Node.open(init("bob", IdentitySeed.generate(RandomSource.secure()), List.of()), null,
        options().withPolicy(NodeCore.Policy.DEFAULT.withRequests(unbounded)));
    open.add(bob);
    bob.maintainPrekeys(false);
    Card card = bob.card();
    PrekeyBundle first = PrekeyBundle.parse(served(bob, card.bundleTag()).get(0).encoded(), card, clock.instant());
    List<Envelope> flood = new ArrayList<>();
    for (int i = 0; i < OwnPrekeys.REPLAY_RENEW; i++) {
      Envelope e = firstContact(i, first);
      flood.add(e);
      assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(e));
      if (i == OwnPrekeys.REPLAY_RENEW / 2) {
        // An honest first contact in the middle of the flood, to the same bundle: accepted.
        assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(firstContact(60_000, first)));
      }
      clock.advance(Duration.ofMillis(50)); // 2,048 in about 100 s
    }
    bob.maintainPrekeys(false);
    PrekeyBundle next = PrekeyBundle.parse(served(bob, card.bundleTag()).get(0).encoded(), card, clock.instant());
    assertTrue(next.serial() > first.serial(), "a full replay cache made the node issue a new bundle");
    // An honest initiator who fetches now gets the new bundle, whose cache is empty: accepted.
    assertEquals(NodeCore.Outcome.ACCEPTED, bob.core().receive(firstContact(60_001, next)));
    // The flood's messages replayed: refused (REPLAY: the node's own duplicate memory may answer
    // first, which is also a refusal that changes nothing).
    for (Envelope e : List.of(flood.get(0), flood.get(flood.size() - 1))) {
      byte[] before = Unseal.sealedKv(bob.home(), Vault.open(bob.home(), null), "responder");
      try {
        assertEquals(NodeCore.Outcome.DUPLICATE, bob.core().receive(e));
      } catch (SottoException refused) {
        assertEquals(ErrorCode.REPLAY, refused.code());
      }
      assertTrue(Arrays.equals(before, Unseal.sealedKv(bob.home(), Vault.open(bob.home(), null), "responder")), "a replay changes nothing");
    }
  }

  // ---------------------------------------------------------------- (e) cards are short

  @Test
  void aCardWithTwoAddressesIsShort() throws Exception {
    FakeMailbox mailbox = new FakeMailbox("mailbox");
    Node bob = open(init("bob", IdentitySeed.generate(RandomSource.secure()), List.of(mailbox.address())));
    Card card = bob.card();
    assertEquals(2, card.addresses().size());
    String text = card.text();
    System.out.println("a card with 2 addresses: " + card.encoded().length + " bytes, " + text.length() + " characters");
    assertTrue(text.length() < 600, text.length() + " characters");
    assertEquals(OwnPrekeys.CARD_VALIDITY, Duration.between(card.created(), card.expires()));
    assertNotEquals(0, bob.core().store().read(tx -> NodeCore.ownBundle(tx)).encoded().length);
  }

  /** A stored prekey state whose address length is negative or runs past its end is CORRUPT, and allocates nothing. */
  @Test
  void aPrekeyStateWithABadLengthIsCorrupt() {
    for (int length : new int[] {-1, Integer.MAX_VALUE}) {
      ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + 4 + Card.BUNDLE_TAG_LENGTH + 4 + 2);
      b.put((byte) 1).putLong(0).putInt(0).putInt(1).put(new byte[Card.BUNDLE_TAG_LENGTH]).putInt(length);
      dev.sotto.node.store.StoreException e = assertThrows(dev.sotto.node.store.StoreException.class,
          () -> OwnPrekeys.State.decode(b.array()));
      assertEquals(dev.sotto.node.store.StoreException.Kind.CORRUPT, e.kind());
    }
  }
}
