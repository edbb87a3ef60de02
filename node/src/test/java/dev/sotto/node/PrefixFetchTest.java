package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.RandomSource;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import dev.sotto.node.store.Tx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FETCH_PREFIX at a running node's mailbox, over real links on loopback (spec:
 * transport.adoc#fetch-prefix): every item under a named prefix, after the given id, at most 64 in
 * id order with {@code more}; never deleted by an ACK (a prefix of 0 bits names everything); bad
 * bodies refused with their error, the link open and the items unchanged; and a running node that
 * fetches by prefix ({@code Timing.prefixBits}), seen by a mailbox that logs every request: it names
 * no tag, takes its messages among others' items, and acknowledges nothing; its cursor, kept in the
 * store, outlives a restart, and an item passed before its tag was watched is read once it is.
 * About 20 s.
 */
class PrefixFetchTest {
  private static final RandomSource RANDOM = RandomSource.secure();

  @TempDir Path dir;

  private final Random random = new Random(18);

  private Envelope envelope(int first, int second) throws Exception {
    byte[] b = new byte[1024];
    random.nextBytes(b);
    b[0] = Envelope.VERSION;
    b[1] = (byte) first;
    b[2] = (byte) second;
    return Envelope.parse(b);
  }

  private static LinkChannel link(Node mailbox, String name) throws Exception {
    return LinkChannel.connect(mailbox.mailboxAddress(), name, RANDOM, 5_000, WireTap.NONE);
  }

  private static List<Frame> call(LinkChannel link, Frame.PrefixFetch fetch) throws Exception {
    return link.call(Frame.fetchPrefix(link.nextRequestId(), fetch));
  }

  private static List<Long> ids(List<Frame> answer) throws Exception {
    List<Long> ids = new ArrayList<>();
    for (Frame f : answer) {
      if (f.type() == Frame.ITEM) {
        ids.add(f.itemId());
      }
    }
    return ids;
  }

  private static boolean more(List<Frame> answer) throws Exception {
    Frame done = answer.get(answer.size() - 1);
    assertEquals(Frame.DONE, done.type());
    return done.more();
  }

  @Test
  void handsOutEveryItemUnderAPrefixPageByPageAndNoAckDeletesThem() throws Exception {
    Path home = TestNodes.init(dir, "mailbox", List.of());
    try (Node mailbox = Node.open(home, null, TestNodes.fast())) {
      mailbox.start();
      List<Long> under = new ArrayList<>();
      try (LinkChannel d = link(mailbox, "depositor")) {
        for (int i = 0; i < 70; i++) {
          // 0xa5 then any second byte: under the 8-bit prefix 0xa5; 0xa4ff and 0xa600 just outside.
          assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), envelope(0xa5, i * 3))).get(0).type());
          if (i == 10) {
            assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), envelope(0xa4, 0xff))).get(0).type());
            assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), envelope(0xa6, 0x00))).get(0).type());
          }
        }
      }
      for (Tx.Item item : mailbox.mailboxItems()) {
        if ((item.tag()[0] & 0xff) == 0xa5) {
          under.add(item.id());
        }
      }
      assertEquals(70, under.size());
      int held = mailbox.mailboxItems().size();
      try (LinkChannel r = link(mailbox, "receiver")) {
        List<Frame> first = call(r, new Frame.PrefixFetch(0, 8, List.of(0xa500)));
        assertEquals(under.subList(0, 64), ids(first), "the first 64 under the prefix, in id order");
        assertTrue(more(first));
        List<Frame> second = call(r, new Frame.PrefixFetch(under.get(63), 8, List.of(0xa500, 0xa500)));
        assertEquals(under.subList(64, 70), ids(second), "the rest, after the last id handed out");
        assertTrue(!more(second));
        for (Frame f : second.subList(0, second.size() - 1)) {
          assertEquals(0xa5, f.itemEnvelope().tag()[0] & 0xff);
        }
        // 7 bits: 0xa4 and 0xa5 share the prefix 0xa400; 0xa6 does not.
        List<Frame> seven = call(r, new Frame.PrefixFetch(under.get(63), 7, List.of(0xa400)));
        assertEquals(6, ids(seven).size());
        assertEquals(1, ids(call(r, new Frame.PrefixFetch(under.get(10), 7, List.of(0xa400)))).stream()
            .filter(id -> !under.contains(id)).count(), "the 0xa4ff item, not the 0xa600 one");
        // 0 bits: every item.
        List<Frame> all = call(r, new Frame.PrefixFetch(0, 0, List.of(0)));
        assertEquals(64, ids(all).size());
        assertTrue(more(all));
        // An ACK of items handed out by prefix deletes nothing, on this link or any other.
        List<Frame> ok = r.call(Frame.ack(r.nextRequestId(), ids(all)));
        assertEquals(Frame.OK, ok.get(0).type());
        assertEquals(held, mailbox.mailboxItems().size(), "an ACK never deletes an item handed out by prefix");
      }
    }
  }

  @Test
  void badBodiesAreRefusedWithTheirErrorAndChangeNothing() throws Exception {
    Path home = TestNodes.init(dir, "mailbox", List.of());
    try (Node mailbox = Node.open(home, null, TestNodes.fast())) {
      mailbox.start();
      try (LinkChannel d = link(mailbox, "depositor")) {
        assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), envelope(0x01, 0x02))).get(0).type());
      }
      List<Tx.Item> before = mailbox.mailboxItems();
      try (LinkChannel r = link(mailbox, "receiver")) {
        byte[][] bad = {
          new Writer().u64(0).u8(17).u16(1).u16(0).toByteArray(), // bits above 16
          new Writer().u64(0).u8(8).u16(1).u16(0x0101).toByteArray(), // a bit after the prefix
          new Writer().u64(0).u8(8).u16(0).toByteArray(), // count 0
          new Writer().u32(0x80000000L).u32(0).u8(8).u16(1).u16(0x0100).toByteArray(), // after 2^63
        };
        for (byte[] body : bad) {
          List<Frame> answer = r.call(Frame.of(Frame.FETCH_PREFIX, r.nextRequestId(), body));
          assertEquals(List.of(Frame.error(answer.get(0).requestId(), ErrorCode.INVALID_ENCODING)), answer);
        }
        List<Frame> cut = r.call(Frame.of(Frame.FETCH_PREFIX, r.nextRequestId(),
            new Writer().u64(0).u8(8).u16(2).u16(0x0100).toByteArray()));
        assertEquals(Frame.error(cut.get(0).requestId(), ErrorCode.TRUNCATED), cut.get(0));
        List<Frame> trailing = r.call(Frame.of(Frame.FETCH_PREFIX, r.nextRequestId(),
            new Writer().u64(0).u8(8).u16(1).u16(0x0100).u8(0).toByteArray()));
        assertEquals(Frame.error(trailing.get(0).requestId(), ErrorCode.TRAILING_DATA), trailing.get(0));
        // The link is still open, and the item is still there, handed out to a good request.
        assertEquals(1, ids(call(r, new Frame.PrefixFetch(0, 16, List.of(0x0102)))).size());
      }
      assertEquals(before.stream().map(Tx.Item::id).toList(), mailbox.mailboxItems().stream().map(Tx.Item::id).toList());
    }
  }

  @Test
  void aNodeFetchingByPrefixNamesNoTagTakesItsOwnAmongOthersAndAcknowledgesNothing() throws Exception {
    List<Frame> requests = Collections.synchronizedList(new ArrayList<>());
    List<String> handedToBob = Collections.synchronizedList(new ArrayList<>());
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      mailbox.logMailbox((link, request, answers) -> {
        requests.add(request);
        if (request.type() == Frame.FETCH_PREFIX) {
          for (Frame a : answers) {
            if (a.type() == Frame.ITEM) {
              try {
                handedToBob.add(HexFormat.of().formatHex(a.itemEnvelope().tag()));
              } catch (dev.sotto.SottoException e) {
                throw new IllegalStateException(e);
              }
            }
          }
        }
      });
      // Others' items under every prefix of 4 bits: bob is handed them and drops them.
      try (LinkChannel d = link(mailbox, "others")) {
        for (int i = 0; i < 32; i++) {
          assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), envelope(i * 8, i))).get(0).type());
        }
      }
      Node.Options bobs = TestNodes.fast().withListening(false).withTiming(Timing.OFF.withPrefixFetch(4));
      try (Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast());
          Node bob = Node.open(TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress())), null, bobs)) {
        TestNodes.connect(alice, bob);
        alice.start();
        bob.start();
        alice.addContact("bob", bob.card().text());
        bob.addContact("alice", alice.card().text(), false);
        int n = 5;
        for (int i = 0; i < n; i++) {
          alice.send("bob", "m" + i);
        }
        List<Node.Shown> shown = new ArrayList<>();
        TestNodes.await(Duration.ofSeconds(30), () -> {
          shown.addAll(bob.read());
          return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).count() == n;
        });
        for (Node.Shown m : shown) {
          assertEquals("alice", m.contact(), m.toString());
        }
        List<Frame> seen;
        synchronized (requests) {
          seen = new ArrayList<>(requests);
        }
        assertTrue(seen.stream().anyMatch(f -> f.type() == Frame.FETCH_PREFIX), "bob fetches by prefix");
        assertTrue(seen.stream().noneMatch(f -> f.type() == Frame.FETCH || f.type() == Frame.ACK),
            "no FETCH names a tag and no ACK gives an item back");
        for (Frame f : seen) {
          if (f.type() == Frame.FETCH_PREFIX) {
            assertEquals(4, f.prefixFetchBody().bits());
          }
        }
        // alice's 5 texts may travel in fewer envelopes (queued texts are sealed together).
        assertTrue(handedToBob.size() > 32, "bob is handed the others' items as well as his own: "
            + handedToBob.size());
        assertTrue(bob.prefixDropped() >= 32, "and drops the others' unopened: " + bob.prefixDropped());
        assertTrue(mailbox.mailboxItems().size() >= 32 + n, "nothing was deleted: items leave at expiry");
      }
    }
  }

  /**
   * A dishonest mailbox: an answer whose item ids go back, or that hands out an item under no prefix
   * named, is a link error and none of it is used; one that answers {@code more} without end and
   * floods 64 KiB items under the prefix costs the node at most {@link Fetcher#PREFIX_ROUND_BYTES}
   * and one answer a round, and its messages still come.
   */
  @Test
  void aLyingMailboxIsALinkErrorAndAnEndlessOneIsCutShort() throws Exception {
    java.util.concurrent.atomic.AtomicInteger mode = new java.util.concurrent.atomic.AtomicInteger(1);
    java.util.concurrent.atomic.AtomicLong forgedIds = new java.util.concurrent.atomic.AtomicLong(1L << 40);
    java.util.concurrent.atomic.AtomicInteger prefixRequests = new java.util.concurrent.atomic.AtomicInteger();
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      mailbox.forgeMailbox((link, request, answers) -> {
        if (request.type() != Frame.FETCH_PREFIX) {
          return answers;
        }
        prefixRequests.incrementAndGet();
        try {
          Frame.PrefixFetch body = request.prefixFetchBody();
          List<Frame> out = new ArrayList<>(answers.subList(0, answers.size() - 1));
          long id = request.requestId();
          switch (mode.get()) {
            case 1 -> { // an item outside every prefix named, after the real ones
              byte[] tag = new byte[16];
              int outside = (body.prefixes().get(0) + (1 << (16 - body.bits()))) & 0xffff;
              tag[0] = (byte) (outside >>> 8);
              tag[1] = (byte) outside;
              out.add(Frame.item(id, forgedIds.incrementAndGet(), envelope(tag[0] & 0xff, tag[1] & 0xff)));
            }
            case 2 -> { // endless: 64 items of 64 KiB under the first prefix, and more
              for (int i = 0; i < 64; i++) {
                byte[] b = new byte[65536];
                b[0] = Envelope.VERSION;
                b[1] = (byte) (body.prefixes().get(0) >>> 8);
                out.add(Frame.item(id, forgedIds.incrementAndGet(), Envelope.parse(b)));
              }
              out.add(Frame.done(id, true));
              return out;
            }
            default -> {
              return answers;
            }
          }
          out.add(answers.get(answers.size() - 1));
          return out;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Node.Options bobs = TestNodes.fast().withListening(false).withTiming(Timing.OFF.withPrefixFetch(4));
      try (Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast());
          Node bob = Node.open(TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress())), null, bobs)) {
        TestNodes.connect(alice, bob);
        alice.start();
        bob.start();
        alice.addContact("bob", bob.card().text());
        bob.addContact("alice", alice.card().text(), false);
        alice.send("bob", "first");
        // Every answer carries a forged item outside the prefix: every round fails, nothing is shown.
        TestNodes.await(Duration.ofSeconds(20), () -> mailbox.mailboxItems().size() >= 1 && prefixRequests.get() >= 2);
        assertTrue(bob.read().stream().noneMatch(m -> m.kind() == Node.Kind.TEXT), "nothing of a lying answer is used");
        assertEquals(0, bob.prefixDropped(), "nothing of a lying answer is used");
        assertEquals(0, bob.counters()[2], "nothing of a lying answer is used");
        // Endless answers of 4 MiB after the real items: the node takes one answer a round, drops the
        // flood, shows its message, and goes on at the next round.
        mode.set(2);
        List<Node.Shown> shown = new ArrayList<>();
        TestNodes.await(Duration.ofSeconds(20), () -> {
          shown.addAll(bob.read());
          return shown.stream().anyMatch(m -> m.kind() == Node.Kind.TEXT) && bob.prefixDropped() >= 128;
        });
        int rounds = prefixRequests.get();
        long dropped = bob.prefixDropped();
        // At most one answer of 64 a round past the budget of 4 MiB (64 items of 64 KiB): about a page a round.
        assertTrue(dropped <= 64L * rounds, dropped + " dropped in " + rounds + " requests");
      }
    }
  }

  /**
   * A contact request's later items are not taken before it is accepted, as under FETCH, and are
   * read once it is.
   */
  @Test
  void aRequestsItemsWaitUntilItIsAcceptedAndAreThenRead() throws Exception {
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      Node.Options bobs = TestNodes.fast().withListening(false).withTiming(Timing.OFF.withPrefixFetch(4));
      try (Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast());
          Node bob = Node.open(TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress())), null, bobs)) {
        TestNodes.connect(alice, bob);
        alice.start();
        bob.start();
        alice.addContact("bob", bob.card().text()); // a stranger to bob
        alice.send("bob", "hi");
        TestNodes.await(Duration.ofSeconds(20), () -> bob.contactBook().requests().size() == 1);
        alice.send("bob", "more");
        TestNodes.await(Duration.ofSeconds(20), () -> mailbox.mailboxItems().size() >= 2);
        int items = mailbox.mailboxItems().size();
        Thread.sleep(1_500); // rounds that are handed alice's second item and leave it
        assertTrue(bob.contactBook().requests().get(0).texts().stream().noneMatch(m -> "more".equals(m.text())),
            "not taken while a request");
        bob.contactBook().accept("alice", null);
        assertTrue(bob.contactBook().requests().isEmpty());
        TestNodes.await(Duration.ofSeconds(20), () -> bob.conversation("alice").stream()
            .anyMatch(m -> "more".equals(m.text())));
        assertTrue(items >= 2, "both at the mailbox: " + items);
      }
    }
  }

  /** A mailbox that logs the ids of the items each FETCH_PREFIX answer hands out, and counts those requests. */
  private static void logPrefixAnswers(Node mailbox, List<Long> handed, java.util.concurrent.atomic.AtomicInteger requests) {
    mailbox.logMailbox((link, request, answers) -> {
      if (request.type() == Frame.FETCH_PREFIX) {
        requests.incrementAndGet();
        for (Frame a : answers) {
          if (a.type() == Frame.ITEM) {
            try {
              handed.add(a.itemId());
            } catch (dev.sotto.SottoException e) {
              throw new IllegalStateException(e);
            }
          }
        }
      }
    });
  }

  private static List<String> texts(List<Node.Shown> shown) {
    return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList();
  }

  /**
   * An item under a tag the node comes to watch only after a later item was taken (here alice's
   * last message, beyond bob's window, deposited before the others: as after a delivery sent
   * again, or through another mailbox) is handed out, dropped, and read once its tag is watched,
   * as a FETCH would leave it at the mailbox until then: the cursor keeps the ids and tags it
   * passed without taking, and reads again from the lowest whose tag is watched now.
   */
  @Test
  void anItemUnderATagWatchedOnlyAfterALaterItemWasTakenIsStillRead() throws Exception {
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      // 0 bits: every item is handed out, so that the first one is passed before its tag is watched.
      Node.Options bobs = TestNodes.fast().withListening(false).withTiming(Timing.OFF.withPrefixFetch(0));
      try (Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast());
          Node bob = Node.open(TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress())), null, bobs)) {
        TestNodes.connect(alice, bob);
        alice.addContact("bob", bob.card().text());
        bob.addContact("alice", alice.card().text(), false);
        // alice does not run: her envelopes are taken from her outbox, one a message, in order.
        List<Envelope> sealed = new ArrayList<>();
        int n = 41;
        for (int i = 0; i < n; i++) {
          alice.send("bob", "m" + i);
          sealed.addAll(TestNodes.outbox(alice));
        }
        assertTrue(sealed.size() >= n && sealed.size() < 64, "one envelope a message (and a HELLO): " + sealed.size());
        Envelope last = sealed.remove(sealed.size() - 1); // message 40 or 41 of alice's chain: beyond bob's window of 32
        try (LinkChannel d = link(mailbox, "depositor")) {
          assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), last)).get(0).type());
          bob.start();
          TestNodes.await(Duration.ofSeconds(20), () -> bob.prefixDropped() >= 1); // handed out, not watched: dropped
          for (Envelope e : sealed) {
            assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), e)).get(0).type());
          }
        }
        List<Node.Shown> shown = new ArrayList<>();
        TestNodes.await(Duration.ofSeconds(30), () -> {
          shown.addAll(bob.read());
          return texts(shown).size() >= n;
        });
        assertEquals(java.util.stream.IntStream.range(0, n).mapToObj(i -> "m" + i).sorted().toList(),
            texts(shown).stream().sorted().toList(), "every message once, the one passed first included");
      }
    }
  }

  /**
   * The cursor is kept in the store, moved in the commit of the items it passes: after a restart the
   * node is handed none of the items it was handed before (it read up to 7 days again before), and
   * goes on with new ones. A stored cursor that does not read (an unknown version) is not an error:
   * the node reads every prefix from the start again, as with no cursor, and shows nothing twice.
   */
  @Test
  void theCursorOutlivesARestartAndOneThatDoesNotReadIsReadFromTheStart() throws Exception {
    List<Long> handed = Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      logPrefixAnswers(mailbox, handed, requests);
      try (LinkChannel d = link(mailbox, "others")) {
        for (int i = 0; i < 32; i++) {
          assertEquals(Frame.OK, d.call(Frame.deposit(d.nextRequestId(), envelope(i * 8, i))).get(0).type());
        }
      }
      Node.Options bobs = TestNodes.fast().withListening(false).withTiming(Timing.OFF.withPrefixFetch(4));
      Path bobHome = TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress()));
      try (Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast())) {
        alice.start();
        List<Node.Shown> shown = new ArrayList<>();
        try (Node bob = Node.open(bobHome, null, bobs)) {
          TestNodes.connect(alice, bob);
          bob.start();
          alice.addContact("bob", bob.card().text());
          bob.addContact("alice", alice.card().text(), false);
          for (int i = 0; i < 5; i++) {
            alice.send("bob", "m" + i);
          }
          TestNodes.await(Duration.ofSeconds(30), () -> {
            shown.addAll(bob.read());
            return texts(shown).size() == 5;
          });
          int after = requests.get();
          TestNodes.await(Duration.ofSeconds(10), () -> requests.get() >= after + 2);
        }
        List<Long> before = List.copyOf(handed);
        assertTrue(before.size() > 32, "the others' items and alice's: " + before.size());
        handed.clear();
        try (Node bob = Node.open(bobHome, null, bobs)) {
          TestNodes.connect(alice, bob);
          bob.start();
          int after = requests.get();
          TestNodes.await(Duration.ofSeconds(10), () -> requests.get() >= after + 3);
          alice.send("bob", "after the restart");
          TestNodes.await(Duration.ofSeconds(30), () -> {
            shown.addAll(bob.read());
            return texts(shown).contains("after the restart");
          });
          List<Long> again;
          synchronized (handed) {
            again = new ArrayList<>(handed);
          }
          assertTrue(!again.isEmpty(), "the new message is handed out");
          again.retainAll(before);
          assertEquals(List.of(), again, "no item handed out before the restart is handed out again");
        }
        // A stored cursor that does not read: every prefix from the start, nothing shown twice.
        handed.clear();
        try (Node bob = Node.open(bobHome, null, bobs)) {
          TestNodes.connect(alice, bob);
          byte[] junk = {(byte) 0x7f, 1, 2, 3};
          bob.core().store().write(tx -> {
            tx.put(Fetcher.cursorName(mailbox.mailboxAddress()), junk);
            return null;
          });
          bob.start();
          TestNodes.await(Duration.ofSeconds(20), () -> {
            synchronized (handed) {
              return handed.containsAll(before);
            }
          });
          int after = requests.get();
          TestNodes.await(Duration.ofSeconds(10), () -> requests.get() >= after + 2);
          assertEquals(List.of(), texts(bob.read()), "nothing shown twice");
          byte[] stored = bob.core().store().read(tx -> tx.get(Fetcher.cursorName(mailbox.mailboxAddress()))).orElseThrow();
          assertTrue(Fetcher.PrefixCursor.decode(stored) != null, "a cursor that reads is stored again");
        }
      }
    }
  }

  /** The stored cursor's form: it reads back as written; cut, lengthened or out of bounds, it does not read (null). */
  @Test
  void aStoredCursorReadsBackAndAMalformedOneDoesNotRead() {
    java.util.TreeMap<Long, Long> passed = new java.util.TreeMap<>();
    passed.put(3L, 0x1122334455667788L);
    passed.put(9L, -1L);
    Fetcher.PrefixCursor c = new Fetcher.PrefixCursor(41, 4, java.util.Set.of(0x1000, 0xa000), 7, Long.MAX_VALUE,
        java.util.Set.of(5L, 12L), passed);
    byte[] encoded = c.encode();
    assertEquals(c, Fetcher.PrefixCursor.decode(encoded));
    for (int cut = 0; cut < encoded.length; cut++) {
      assertEquals(null, Fetcher.PrefixCursor.decode(java.util.Arrays.copyOf(encoded, cut)), "cut at " + cut);
    }
    assertEquals(null, Fetcher.PrefixCursor.decode(java.util.Arrays.copyOf(encoded, encoded.length + 1)), "trailing");
    byte[] version = encoded.clone();
    version[0] = 2;
    assertEquals(null, Fetcher.PrefixCursor.decode(version), "another version");
    byte[] bits = encoded.clone();
    bits[1] = 17;
    assertEquals(null, Fetcher.PrefixCursor.decode(bits), "bits above 16");
    byte[] negative = encoded.clone();
    negative[2] = (byte) 0x80;
    assertEquals(null, Fetcher.PrefixCursor.decode(negative), "a negative id");
  }

  /**
   * A flood under the prefixes (2,100 items of others, every one handed out and dropped) leaves the
   * notes of the highest {@link Fetcher#MAX_PASSED} ids in the stored cursor, and makes no later
   * round read anything again: a note is read again only once a tag watched begins with its 8 bytes,
   * which a stranger cannot choose.
   */
  @Test
  void aFloodUnderThePrefixesKeepsTheNotesBoundedAndIsNotReadAgain() throws Exception {
    List<Long> handed = Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      logPrefixAnswers(mailbox, handed, requests);
      int flood = Fetcher.MAX_PASSED + 52;
      try (LinkChannel d = link(mailbox, "flooder")) {
        for (int i = 0; i < flood; i += 16) {
          List<Frame> batch = new ArrayList<>();
          for (int j = i; j < Math.min(flood, i + 16); j++) {
            batch.add(Frame.deposit(d.nextRequestId(), envelope(random.nextInt(256), random.nextInt(256))));
          }
          for (List<Frame> answer : d.callAll(batch)) {
            assertEquals(Frame.OK, answer.get(0).type());
          }
        }
      }
      List<Long> ids = mailbox.mailboxItems().stream().map(Tx.Item::id).sorted().toList();
      assertEquals(flood, ids.size());
      Node.Options bobs = TestNodes.fast().withListening(false).withTiming(Timing.OFF.withPrefixFetch(0));
      try (Node bob = Node.open(TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress())), null, bobs)) {
        bob.start();
        TestNodes.await(Duration.ofSeconds(30), () -> bob.prefixDropped() >= flood);
        handed.clear();
        int after = requests.get();
        TestNodes.await(Duration.ofSeconds(10), () -> requests.get() >= after + 5);
        assertEquals(List.of(), List.copyOf(handed), "no round after the flood reads any of it again");
        assertEquals(flood, bob.prefixDropped(), "each flood item dropped once");
        byte[] stored = bob.core().store().read(tx -> tx.get(Fetcher.cursorName(mailbox.mailboxAddress()))).orElseThrow();
        Fetcher.PrefixCursor cursor = Fetcher.PrefixCursor.decode(stored);
        assertEquals(ids.subList(flood - Fetcher.MAX_PASSED, flood), List.copyOf(cursor.passed().keySet()),
            "the notes of the highest ids, at most " + Fetcher.MAX_PASSED);
        assertEquals(ids.get(flood - 1), cursor.after());
      }
    }
  }
}
