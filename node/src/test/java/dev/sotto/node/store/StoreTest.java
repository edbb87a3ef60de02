package dev.sotto.node.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.ErrorCode;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.store.Tx.Contact;
import dev.sotto.node.store.Tx.DepositResult;
import dev.sotto.node.store.Tx.Item;
import dev.sotto.node.store.Tx.Message;
import dev.sotto.node.store.Tx.Outgoing;
import dev.sotto.node.store.Tx.Pending;
import dev.sotto.node.store.Tx.SessionRow;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
  private static final byte[] ALICE_ID = bytes("alice-identity");
  private static final byte[] BOB_ID = bytes("bob-identity");

  @TempDir Path home;

  private final RandomSource random = TestRandom.deterministic(bytes("store-test"));
  private final StoreKey key = Vault.storeKey(IdentitySeed.generate(random));
  private Store store;

  @BeforeEach
  void open() throws StoreException {
    store = Store.open(home, key, random);
  }

  @AfterEach
  void close() {
    store.close();
  }

  // ---- key-value

  @Test
  void keyValue() throws Exception {
    assertTrue(store.read(tx -> tx.get("k")).isEmpty());
    store.write(tx -> {
      tx.put("k", bytes("one"));
      return null;
    });
    assertArrayEquals(bytes("one"), store.read(tx -> tx.get("k")).orElseThrow());
    store.write(tx -> {
      tx.put("k", bytes("two"));
      return null;
    });
    assertArrayEquals(bytes("two"), store.read(tx -> tx.get("k")).orElseThrow());
    store.write(tx -> {
      tx.delete("k");
      tx.delete("absent");
      return null;
    });
    assertTrue(store.read(tx -> tx.get("k")).isEmpty());
  }

  // ---- contacts

  @Test
  void contacts() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 100));
    long bob = store.write(tx -> tx.insertContact("bob", BOB_ID, bytes("bob-card"), 200));
    Contact a = store.read(tx -> tx.contact(alice)).orElseThrow();
    assertEquals("alice", a.name());
    assertArrayEquals(ALICE_ID, a.identity());
    assertNull(a.card());
    assertEquals(0, a.nextOutSeq());
    assertEquals(0, a.nextInSeq());
    assertEquals(100, a.created());
    assertArrayEquals(bytes("bob-card"), store.read(tx -> tx.contact(bob)).orElseThrow().card());
    assertEquals(bob, store.read(tx -> tx.contactByName("bob")).orElseThrow().id());
    assertEquals(alice, store.read(tx -> tx.contactByIdentity(ALICE_ID)).orElseThrow().id());
    assertTrue(store.read(tx -> tx.contactByName("Bob")).isEmpty());
    assertTrue(store.read(tx -> tx.contactByIdentity(bytes("nobody"))).isEmpty());
    assertTrue(store.read(tx -> tx.contact(99)).isEmpty());
    assertEquals(List.of(alice, bob), store.read(tx -> tx.contacts()).stream().map(Contact::id).toList());

    assertKind(StoreException.Kind.EXISTS, () -> store.write(tx -> tx.insertContact("alice", bytes("x"), null, 1)));
    assertKind(StoreException.Kind.EXISTS, () -> store.write(tx -> tx.insertContact("carol", BOB_ID, null, 1)));

    store.write(tx -> {
      tx.updateContact(new Contact(alice, "alice2", ALICE_ID, bytes("alice-card"), 5, 7, 999));
      return null;
    });
    Contact updated = store.read(tx -> tx.contactByName("alice2")).orElseThrow();
    assertEquals(alice, updated.id());
    assertArrayEquals(bytes("alice-card"), updated.card());
    assertEquals(5, updated.nextOutSeq());
    assertEquals(7, updated.nextInSeq());
    assertEquals(100, updated.created(), "the creation time stays");
    assertTrue(store.read(tx -> tx.contactByName("alice")).isEmpty());

    assertKind(StoreException.Kind.EXISTS, () -> store.write(tx -> {
      tx.updateContact(new Contact(alice, "bob", ALICE_ID, null, 0, 0, 0));
      return null;
    }));
    assertKind(StoreException.Kind.MISSING, () -> store.write(tx -> {
      tx.updateContact(new Contact(42, "dave", bytes("dave"), null, 0, 0, 0));
      return null;
    }));
  }

  @Test
  void sequenceMarksAloneChange() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, bytes("card"), 1));
    store.write(tx -> {
      tx.setSeqs(alice, 7, 3);
      return null;
    });
    Contact c = store.read(tx -> tx.contact(alice)).orElseThrow();
    assertEquals(7, c.nextOutSeq());
    assertEquals(3, c.nextInSeq());
    assertEquals("alice", c.name());
    assertArrayEquals(bytes("card"), c.card());
    assertKind(StoreException.Kind.MISSING, () -> store.write(tx -> {
      tx.setSeqs(alice + 1, 1, 1);
      return null;
    }));
  }

  // ---- sessions

  @Test
  void sessions() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long first = store.write(tx -> tx.insertSession(alice, bytes("state-1"), 10));
    long second = store.write(tx -> tx.insertSession(alice, bytes("state-2"), 20));
    assertEquals(List.of(second, first), ids(store.read(tx -> tx.sessions(alice))));
    store.write(tx -> {
      tx.updateSession(first, bytes("state-1b"), 30);
      return null;
    });
    List<SessionRow> rows = store.read(tx -> tx.sessions(alice));
    assertEquals(List.of(first, second), ids(rows));
    assertArrayEquals(bytes("state-1b"), rows.get(0).state());
    assertEquals(10, rows.get(0).created());
    assertEquals(30, rows.get(0).updated());
    assertFalse(rows.get(0).toString().contains("state-1b"));
    assertEquals(List.of(first, second), ids(store.read(tx -> tx.allSessions())));
    assertTrue(store.read(tx -> tx.sessions(alice + 1)).isEmpty());
    assertEquals(first, store.read(tx -> tx.sendingSession(alice)).orElseThrow().id());
    assertTrue(store.read(tx -> tx.sendingSession(alice + 1)).isEmpty());
    assertEquals(first, store.read(tx -> tx.session(first)).orElseThrow().id());

    assertKind(StoreException.Kind.MISSING, () -> store.write(tx -> {
      tx.updateSession(99, bytes("x"), 1);
      return null;
    }));
    assertKind(StoreException.Kind.MISSING, () -> store.write(tx -> tx.insertSession(99, bytes("x"), 1)));
  }

  @Test
  void sessionsOfResets() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long hello = store.write(tx -> tx.insertSession(alice, bytes("hello"), 10));
    long reset = store.write(tx -> tx.insertSession(alice, bytes("reset"), 20, 1_000, true));
    SessionRow r = store.read(tx -> tx.session(reset)).orElseThrow();
    assertEquals(List.of(1_000L, true, -1L, false, -1L),
        List.of(r.resetAt(), r.initiated(), r.superseded(), r.heard(), r.resentFrom()));
    SessionRow h = store.read(tx -> tx.session(hello)).orElseThrow();
    assertEquals(List.of(-1L, false, true), List.of(h.resetAt(), h.initiated(), h.heard()), "accepted: heard at once");
    store.write(tx -> {
      tx.supersede(reset, 30);
      tx.updateSession(reset, bytes("reset-2"), 40);
      return null;
    });
    assertEquals(hello, store.read(tx -> tx.sendingSession(alice)).orElseThrow().id(), "superseded: not sent in");
    assertEquals(List.of(reset), ids(store.read(tx -> tx.supersededBefore(30))));
    assertTrue(store.read(tx -> tx.supersededBefore(29)).isEmpty());
    store.write(tx -> {
      tx.supersede(hello, 50);
      long again = tx.insertSession(alice, bytes("again"), 60, 1_001, true);
      assertEquals(List.of(alice), tx.unansweredResets(60));
      assertTrue(tx.unansweredResets(59).isEmpty());
      tx.markHeard(again);
      tx.setResentFrom(again, 7);
      assertTrue(tx.unansweredResets(60).isEmpty());
      assertEquals(7, tx.sendingSession(alice).orElseThrow().resentFrom());
      tx.deleteSession(hello);
      return null;
    });
    assertEquals(2, store.read(tx -> tx.sessions(alice)).size());
    assertFalse(store.read(tx -> tx.sessions(alice)).toString().contains("again"), "no state in toString");
  }

  @Test
  void resetsNoticesAndResending() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    assertEquals(new Tx.Resets(alice, 0, 0, -1, -1, false), store.read(tx -> tx.resets(alice)));
    store.write(tx -> {
      tx.setResets(new Tx.Resets(alice, 2, 5, 100, 101, true));
      tx.insertMessage(alice, false, 0, 1, 1, "", 1);
      tx.insertMessage(alice, false, 1, 2, 2, "one");
      tx.insertMessage(alice, false, 2, 3, 3, "two");
      tx.insertMessage(alice, true, 0, 3, 3, "in");
      tx.insertMessage(alice, true, 2, 3, 3, "in after a gap");
      tx.queueEnvelope(alice, bytes("e1"), 1);
      tx.queueEnvelope(alice, bytes("e2"), 1);
      return null;
    });
    assertEquals(new Tx.Resets(alice, 2, 5, 100, 101, true), store.read(tx -> tx.resets(alice)));
    assertEquals(List.of(alice), store.read(Tx::resetsWanted));
    assertEquals(List.of(1L, 2L), store.read(tx -> tx.sent(alice, 1, 9)).stream().map(Message::seq).toList());
    assertEquals(1, store.read(tx -> tx.sent(alice, 0, 1)).get(0).kind());
    assertEquals(2L, (long) store.read(tx -> tx.countInRange(alice, true, 0, 5)));
    assertEquals(1L, (long) store.read(tx -> tx.countInRange(alice, true, 1, 5)));
    assertEquals(2, (int) store.write(tx -> tx.deleteOutbox(alice)));
    assertTrue(store.read(tx -> tx.outbox(alice)).isEmpty());
    long n = store.write(tx -> tx.insertNotice(alice, 9_000, true, 3, 2));
    assertEquals(List.of(new Tx.Notice(n, alice, 9_000, true, 3, 2, false)), store.read(Tx::unreadNotices));
    store.write(tx -> {
      tx.markNoticeRead(n);
      return null;
    });
    assertTrue(store.read(Tx::unreadNotices).isEmpty());
    assertTrue(store.read(tx -> tx.notices(alice)).get(0).read());
    assertKind(StoreException.Kind.MISSING, () -> store.read(tx -> tx.resets(alice + 1)));
  }

  // ---- plaintext queue

  @Test
  void pendingQueue() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    List<Long> queued = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      byte[] payload = bytes("payload-" + i);
      queued.add(store.write(tx -> tx.queuePending(alice, payload, 5)));
    }
    List<Pending> two = store.read(tx -> tx.pending(2));
    assertEquals(queued.subList(0, 2), two.stream().map(Pending::id).toList());
    assertArrayEquals(bytes("payload-0"), two.get(0).payload());
    assertEquals(alice, two.get(0).contactId());
    assertEquals(5, two.get(0).created());
    store.write(tx -> {
      tx.deletePending(queued.get(0));
      tx.deletePending(12345);
      return null;
    });
    assertEquals(queued.subList(1, 3), store.read(tx -> tx.pending(10)).stream().map(Pending::id).toList());
  }

  // ---- outbox

  @Test
  void outbox() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long bob = store.write(tx -> tx.insertContact("bob", BOB_ID, null, 1));
    long a1 = store.write(tx -> tx.queueEnvelope(alice, bytes("env-a1"), 100));
    long b1 = store.write(tx -> tx.queueEnvelope(bob, bytes("env-b1"), 100));
    long a2 = store.write(tx -> tx.queueEnvelope(alice, bytes("env-a2"), 200));
    assertEquals(3, store.read(Tx::outboxSize));
    assertEquals(List.of(a1, b1), store.read(tx -> tx.due(150, 10)).stream().map(Outgoing::id).toList());
    assertEquals(List.of(a1), store.read(tx -> tx.due(150, 1)).stream().map(Outgoing::id).toList());
    Outgoing first = store.read(tx -> tx.due(150, 1)).get(0);
    assertArrayEquals(bytes("env-a1"), first.envelope());
    assertEquals(0, first.attempts());
    assertEquals(100, first.nextAttemptMillis());
    assertEquals(100, first.created());

    store.write(tx -> {
      tx.reschedule(a1, 1, 1000);
      return null;
    });
    // a2 waits behind a1, which waits out its back-off: a contact's envelopes leave in order.
    assertEquals(List.of(b1), store.read(tx -> tx.due(500, 10)).stream().map(Outgoing::id).toList());
    assertEquals(List.of(a1, b1, a2), store.read(tx -> tx.due(1000, 10)).stream().map(Outgoing::id).toList());
    List<Outgoing> ofAlice = store.read(tx -> tx.outbox(alice));
    assertEquals(List.of(a1, a2), ofAlice.stream().map(Outgoing::id).toList());
    assertEquals(1, ofAlice.get(0).attempts());
    assertEquals(1000, ofAlice.get(0).nextAttemptMillis());

    store.write(tx -> {
      tx.deleteEnvelope(b1);
      return null;
    });
    assertEquals(2, store.read(Tx::outboxSize));
    assertKind(StoreException.Kind.MISSING, () -> store.write(tx -> {
      tx.reschedule(b1, 1, 1);
      return null;
    }));
  }

  // ---- messages

  @Test
  void messages() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long bob = store.write(tx -> tx.insertContact("bob", BOB_ID, null, 1));
    assertTrue(store.<Boolean>write(tx -> tx.insertMessage(alice, true, 1, 50, 300, "a-in-1")));
    assertTrue(store.<Boolean>write(tx -> tx.insertMessage(alice, false, 1, 60, 100, "a-out-1")));
    assertTrue(store.<Boolean>write(tx -> tx.insertMessage(alice, true, 0, 40, 300, "a-in-0")));
    assertTrue(store.<Boolean>write(tx -> tx.insertMessage(bob, true, 0, 70, 200, "b-in-0")));
    assertFalse(store.<Boolean>write(tx -> tx.insertMessage(alice, true, 1, 99, 999, "replayed")));
    assertEquals(4, store.read(Tx::countMessages));

    List<Message> conversation = store.read(tx -> tx.messages(alice));
    assertEquals(List.of("a-out-1", "a-in-1", "a-in-0"), conversation.stream().map(Message::text).toList());
    Message out = conversation.get(0);
    assertFalse(out.incoming());
    assertTrue(out.read(), "outgoing messages are stored read");
    assertEquals(1, out.seq());
    assertEquals(60, out.sentAt());
    assertEquals(100, out.storedAt());
    assertFalse(out.toString().contains("a-out-1"));

    List<Message> unread = store.read(Tx::unread);
    assertEquals(List.of("a-in-0", "a-in-1", "b-in-0"), unread.stream().map(Message::text).toList());
    store.write(tx -> {
      tx.markRead(unread.get(0).id());
      return null;
    });
    assertEquals(List.of("a-in-1", "b-in-0"), store.read(Tx::unread).stream().map(Message::text).toList());
    assertKind(StoreException.Kind.MISSING, () -> store.write(tx -> {
      tx.markRead(999);
      return null;
    }));
  }

  /**
   * A contact's unread mark: messages past a gap stay unread; outgoing ones and read ones let it
   * move; it is found again after the gap fills.
   */
  @Test
  void unreadAcrossGapsOutgoingMessagesAndMarks() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    store.write(tx -> {
      for (int i = 0; i < 40; i++) {
        tx.insertMessage(alice, false, i, 1, 1, "out-" + i);
      }
      for (long seq : new long[] {0, 1, 3}) {
        tx.insertMessage(alice, true, seq, 1, 2, "in-" + seq);
      }
      tx.insertMessage(alice, false, 40, 1, 3, "out-40");
      return null;
    });
    assertEquals(List.of("in-0", "in-1", "in-3"), messageTexts(store.<List<Message>>read(Tx::unread)));
    markRead(store.<List<Message>>read(Tx::unread).subList(0, 2));
    assertEquals(List.of("in-3"), messageTexts(store.<List<Message>>read(Tx::unread)));
    store.write(tx -> tx.insertMessage(alice, true, 2, 1, 4, "in-2"));
    assertEquals(List.of("in-2", "in-3"), messageTexts(store.<List<Message>>read(Tx::unread)));
    markRead(store.<List<Message>>read(Tx::unread));
    assertEquals(List.<String>of(), messageTexts(store.<List<Message>>read(Tx::unread)));
    store.write(tx -> tx.insertMessage(alice, true, 4, 1, 5, "in-4"));
    assertEquals(List.of("in-4"), messageTexts(store.<List<Message>>read(Tx::unread)));
    assertEquals(46, store.<List<Message>>read(tx -> tx.messages(alice)).size());
  }

  /** A seq range is looked up seq by seq, or found by walking the conversation when it is longer: the same answer. */
  @Test
  void rangesOfSeqsShortAndLong() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    store.write(tx -> {
      for (int i = 0; i < 30; i++) {
        if (i % 4 != 3) {
          tx.insertMessage(alice, i % 2 == 0, i, 1, 1, "m-" + i);
        }
      }
      tx.insertMessage(alice, true, 1L << 40, 1, 1, "far ahead");
      return null;
    });
    for (long[] range : new long[][] {{0, 10}, {0, 30}, {5, 1L << 41}, {0, Long.MAX_VALUE}, {20, 10}}) {
      long expectedIn = 0;
      List<Long> expectedOut = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        if (i % 4 != 3 && i >= range[0] && i < range[1]) {
          if (i % 2 == 0) {
            expectedIn++;
          } else {
            expectedOut.add((long) i);
          }
        }
      }
      if (range[0] <= 1L << 40 && 1L << 40 < range[1]) {
        expectedIn++;
      }
      assertEquals(expectedIn, (long) store.<Long>read(tx -> tx.countInRange(alice, true, range[0], range[1])));
      assertEquals(expectedOut, store.<List<Message>>read(tx -> tx.sent(alice, range[0], range[1])).stream().map(Message::seq).toList());
    }
  }

  /** Each sealed table holds its real rows and fillers, rounded up; counts of real rows stay exact. */
  @Test
  void tablesHoldRoundedRowCounts() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    assertEquals(16, rowsInFile("messages"));
    store.write(tx -> {
      for (int i = 0; i < 17; i++) {
        tx.insertMessage(alice, false, i, 1, 1_000 + i, "m-" + i);
      }
      return null;
    });
    assertEquals(17L, store.read(Tx::countMessages));
    assertEquals(32, rowsInFile("messages"));
    assertEquals(10, store.<Integer>write(tx -> tx.deleteMessagesBefore(alice, 1_010)));
    assertEquals(7L, store.read(Tx::countMessages));
    assertEquals(16, rowsInFile("messages"));
    assertEquals(7, store.<List<Message>>read(tx -> tx.messages(alice)).size());
    // A transaction that fails leaves the counters and fillers as they were.
    assertThrows(IllegalStateException.class, () -> store.write(tx -> {
      for (int i = 17; i < 40; i++) {
        tx.insertMessage(alice, false, i, 1, 2_000, "m-" + i);
      }
      throw new IllegalStateException("rolled back");
    }));
    assertEquals(7L, store.read(Tx::countMessages));
    assertEquals(16, rowsInFile("messages"));
    for (String table : List.of("kv", "contacts", "sessions", "pending", "outbox", "notices", "received")) {
      assertEquals(16, rowsInFile(table), table);
    }
  }

  /** A contact's sessions are found through the contact; a deleted one leaves its list. */
  @Test
  void aContactsSessionsComeAndGo() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long bob = store.write(tx -> tx.insertContact("bob", BOB_ID, null, 1));
    long[] ids = store.write(tx -> new long[] {tx.insertSession(alice, bytes("s1"), 10),
        tx.insertSession(bob, bytes("b1"), 11), tx.insertSession(alice, bytes("s2"), 12),
        tx.insertSession(alice, bytes("s3"), 13)});
    store.write(tx -> {
      tx.deleteSession(ids[3]);
      tx.deleteSession(ids[3]);
      return null;
    });
    assertEquals(List.of(ids[2], ids[0]), store.<List<SessionRow>>read(tx -> tx.sessions(alice)).stream().map(SessionRow::id).toList());
    assertEquals(ids[2], store.<java.util.Optional<SessionRow>>read(tx -> tx.sendingSession(alice)).orElseThrow().id());
    assertEquals(List.of(ids[1]), store.<List<SessionRow>>read(tx -> tx.sessions(bob)).stream().map(SessionRow::id).toList());
    assertEquals(3, store.<List<SessionRow>>read(Tx::allSessions).size());
  }

  private static List<String> messageTexts(List<Message> messages) {
    return messages.stream().map(Message::text).toList();
  }

  private void markRead(List<Message> messages) throws Exception {
    store.write(tx -> {
      for (Message m : messages) {
        tx.markRead(m.id());
      }
      return null;
    });
  }

  private long rowsInFile(String table) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("store.db"));
        ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
      r.next();
      return r.getLong(1);
    }
  }

  // ---- received-envelope dedupe

  @Test
  void receivedDigests() throws Exception {
    assertTrue(store.<Boolean>write(tx -> tx.markReceived(bytes("digest-1"), 100)));
    assertFalse(store.<Boolean>write(tx -> tx.markReceived(bytes("digest-1"), 150)));
    assertTrue(store.<Boolean>write(tx -> tx.markReceived(bytes("digest-2"), 200)));
    assertEquals(1, store.<Integer>write(tx -> tx.forgetReceivedBefore(200)));
    assertTrue(store.<Boolean>write(tx -> tx.markReceived(bytes("digest-1"), 300)));
    assertFalse(store.<Boolean>write(tx -> tx.markReceived(bytes("digest-2"), 300)));
  }

  // ---- mailbox

  @Test
  void mailboxQuotas() throws Exception {
    byte[] tag = bytes("tag-1");
    assertEquals(DepositResult.STORED, deposit(tag, "env-1", 0, 1000, 2, 100));
    assertEquals(DepositResult.DUPLICATE, deposit(tag, "env-1", 0, 1000, 2, 100));
    assertEquals(DepositResult.STORED, deposit(tag, "env-2", 0, 1000, 2, 100));
    assertEquals(DepositResult.DUPLICATE, deposit(tag, "env-2", 0, 1000, 2, 100), "a duplicate, even when full");
    assertEquals(DepositResult.TAG_FULL, deposit(tag, "env-3", 0, 1000, 2, 100));
    assertEquals(DepositResult.STORED, deposit(bytes("tag-2"), "env-1", 0, 1000, 2, 100), "the same envelope, another tag");
    assertEquals(3, store.read(Tx::mailboxCount));
    assertEquals(15, store.read(Tx::mailboxBytes));
    assertEquals(DepositResult.STORE_FULL, deposit(bytes("tag-3"), "env-4", 0, 1000, 2, 19));
    assertEquals(DepositResult.STORED, deposit(bytes("tag-3"), "env-4", 0, 1000, 2, 20));
    // Once expired, items no longer count against either quota.
    assertEquals(DepositResult.STORED, deposit(tag, "env-3", 1000, 2000, 2, 5));
    assertEquals(1, store.read(Tx::mailboxCount));
  }

  @Test
  void mailboxFetchOrderExpiryAndDeletion() throws Exception {
    byte[] t1 = bytes("tag-1");
    byte[] t2 = bytes("tag-2");
    deposit(t1, "e1", 0, 500, 10, 1000);
    deposit(t2, "e2", 0, 1000, 10, 1000);
    deposit(bytes("other"), "e3", 0, 1000, 10, 1000);
    deposit(t1, "e4", 0, 1000, 10, 1000);
    assertEquals(List.of("e1", "e2", "e4"), texts(store.read(tx -> tx.fetch(List.of(t1, t2), 100, 10))));
    assertEquals(List.of("e1", "e2"), texts(store.read(tx -> tx.fetch(List.of(t2, t1), 100, 2))));
    assertEquals(List.of("e2", "e4"), texts(store.read(tx -> tx.fetch(List.of(t1, t2), 500, 10))), "expired at 500");
    assertTrue(store.read(tx -> tx.fetch(List.of(), 0, 10)).isEmpty());
    Item first = store.read(tx -> tx.fetch(List.of(t1), 0, 1)).get(0);
    assertArrayEquals(t1, first.tag());
    assertEquals(0, first.deposited());
    assertEquals(500, first.expires());

    assertEquals(4, store.read(Tx::mailboxItems).size());
    assertEquals(1, store.<Integer>write(tx -> tx.expire(500)));
    List<Long> ids = store.read(tx -> tx.fetch(List.of(t2), 0, 10)).stream().map(Item::id).toList();
    assertEquals(1, store.<Integer>write(tx -> tx.deleteItems(List.of(ids.get(0), 9999L))));
    assertEquals(List.of("e3", "e4"), texts(store.read(Tx::mailboxItems)));
    assertEquals(4, store.read(Tx::mailboxBytes));
  }

  @Test
  void fetchAcrossManyTags() throws Exception {
    List<byte[]> tags = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      tags.add(bytes("tag-" + i));
    }
    store.write(tx -> {
      for (int i = tags.size() - 1; i >= 0; i--) {
        tx.deposit(tags.get(i), bytes("env-" + i), 0, 1000, 10, 1 << 20);
      }
      return null;
    });
    List<Item> items = store.read(tx -> tx.fetch(tags, 0, 5));
    assertEquals(List.of("env-1199", "env-1198", "env-1197", "env-1196", "env-1195"), texts(items));
    assertEquals(1200, store.read(tx -> tx.fetch(tags, 0, 5000)).size());
  }

  // ---- transactions

  @Test
  void anExceptionRollsBackEverything() throws Exception {
    SottoException thrown = new SottoException(ErrorCode.AUTH_FAILED, "test");
    SottoException caught = assertThrows(SottoException.class, () -> store.write(tx -> {
      long id = tx.insertContact("alice", ALICE_ID, null, 1);
      tx.insertMessage(id, true, 0, 1, 1, "text");
      tx.put("k", bytes("v"));
      tx.deposit(bytes("tag"), bytes("env"), 0, 10, 1, 100);
      throw thrown;
    }));
    assertSame(thrown, caught);
    assertThrows(IllegalArgumentException.class, () -> store.write(tx -> {
      tx.insertContact("alice", ALICE_ID, null, 1);
      throw new IllegalArgumentException("test");
    }));
    assertKind(StoreException.Kind.EXISTS, () -> store.write(tx -> {
      tx.insertContact("alice", ALICE_ID, null, 1);
      return tx.insertContact("alice", BOB_ID, null, 1);
    }));
    store.read(tx -> {
      assertTrue(tx.contacts().isEmpty());
      assertEquals(0, tx.countMessages());
      assertTrue(tx.get("k").isEmpty());
      assertEquals(0, tx.mailboxCount());
      return null;
    });
    // The store is still usable, and ids of rolled-back rows are free again.
    assertEquals(1L, store.<Long>write(tx -> tx.insertContact("alice", ALICE_ID, null, 1)));
  }

  @Test
  void misuseIsRefused() throws Exception {
    assertThrows(IllegalStateException.class, () -> store.read(tx -> tx.insertContact("alice", ALICE_ID, null, 1)));
    assertThrows(IllegalStateException.class, () -> store.write(tx -> store.read(Tx::contacts)));
    Tx escaped = store.read(tx -> tx);
    assertThrows(IllegalStateException.class, escaped::contacts);
    store.close();
    assertThrows(IllegalStateException.class, () -> store.read(Tx::contacts));
  }

  @Test
  void idsAreNeverReused() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long first = store.write(tx -> tx.queuePending(alice, bytes("p"), 1));
    store.write(tx -> {
      tx.deletePending(first);
      return null;
    });
    assertTrue(store.<Long>write(tx -> tx.queuePending(alice, bytes("p"), 1)) > first);
  }

  @Test
  void dataSurvivesReopening() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    store.write(tx -> tx.insertMessage(alice, true, 0, 1, 1, "hello"));
    store.close();
    store = Store.open(home, key, random);
    assertEquals("hello", store.read(tx -> tx.messages(alice)).get(0).text());
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("store.db"));
        ResultSet r = c.createStatement().executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
      assertTrue(r.next());
      assertEquals(String.valueOf(Store.SCHEMA_VERSION), new String(r.getBytes(1), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void aStoreOfRevision1IsRefusedWithAClearMessage() throws Exception {
    store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 5_000));
    store.close();
    for (String version : List.of("1", "2", "3")) {
      setSchemaVersion(version);
      StoreException e = assertThrows(StoreException.class, () -> Store.open(home, key, random));
      assertEquals(StoreException.Kind.OLD, e.kind());
      assertTrue(e.getMessage().contains(version.equals("3") ? "schema 3" : "revision 1")
          && e.getMessage().contains("sotto init"), e.getMessage());
    }
    setSchemaVersion(String.valueOf(Store.SCHEMA_VERSION));
    store = Store.open(home, key, random);
    assertEquals("alice", store.read(Tx::contacts).get(0).name(), "refusing changed nothing");
  }

  private void setSchemaVersion(String version) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("store.db"));
        PreparedStatement s = c.prepareStatement("UPDATE meta SET value = ? WHERE name = 'schema_version'")) {
      s.setBytes(1, version.getBytes(StandardCharsets.US_ASCII));
      assertEquals(1, s.executeUpdate());
    }
  }

  @Test
  void aContactsPrekeysAreSealedAndKeptApartFromItsCard() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, bytes("alice-card"), 1));
    assertEquals(null, store.read(tx -> tx.prekeys(alice)).bundle());
    store.write(tx -> {
      tx.setPrekeys(alice, new Tx.ContactPrekeys(bytes("the-secret-bundle"), List.of(bytes("otp-1"), bytes("otp-22"))));
      return null;
    });
    Tx.ContactPrekeys p = store.read(tx -> tx.prekeys(alice));
    assertArrayEquals(bytes("the-secret-bundle"), p.bundle());
    assertEquals(List.of("otp-1", "otp-22"), p.oneTime().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
    assertArrayEquals(bytes("alice-card"), store.read(tx -> tx.contact(alice)).orElseThrow().card());
    store.write(tx -> {
      tx.setPrekeys(alice, new Tx.ContactPrekeys(null, List.of()));
      tx.setFirstContacts(new Tx.FirstContacts(alice, 2, 3, 4_000));
      return null;
    });
    assertEquals(null, store.read(tx -> tx.prekeys(alice)).bundle());
    assertEquals(new Tx.FirstContacts(alice, 2, 3, 4_000), store.read(tx -> tx.firstContacts(alice)));
  }

  @Test
  void anotherKeyIsRefused() throws Exception {
    store.close();
    StoreKey other = Vault.storeKey(IdentitySeed.generate(random));
    assertKind(StoreException.Kind.CORRUPT, () -> Store.open(home, other, random));
    store = Store.open(home, key, random);
  }

  @Test
  void theStoreFileIsOwnerOnly() throws Exception {
    if (Files.getFileStore(home).supportsFileAttributeView("posix")) {
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(home.resolve("store.db")));
    }
  }

  // ---- encryption at rest

  @Test
  void userDataIsNotInTheFiles() throws Exception {
    byte[] state = bytes("SESSION-STATE-0123456789abcdef");
    store.write(tx -> {
      long id = tx.insertContact("alice-secret-name", bytes("alice-secret-identity"), bytes("alice-secret-card"), 1);
      tx.insertSession(id, state, 1);
      tx.insertMessage(id, true, 0, 1, 1, "the-secret-text");
      tx.queuePending(id, bytes("the-secret-payload"), 1);
      tx.queueEnvelope(id, bytes("the-secret-envelope"), 1);
      tx.put("name", bytes("the-secret-value"));
      tx.markReceived(bytes("the-secret-digest"), 1);
      // The control: the mailbox is not sealed, so the scan must find this one.
      tx.deposit(bytes("tag"), bytes("opaque-mailbox-envelope"), 1, 100, 1, 1000);
      return null;
    });
    List<String> secrets = List.of("alice-secret-name", "alice-secret-identity", "alice-secret-card",
        "SESSION-STATE-0123456789abcdef", "the-secret-text", "the-secret-payload", "the-secret-envelope",
        "the-secret-value", "the-secret-digest");
    assertTrue(Files.exists(home.resolve("store.db-wal")));
    assertNotInFiles(secrets); // while open: the data is in the WAL
    store.close();
    assertNotInFiles(secrets);
    store = Store.open(home, key, random);
    assertEquals("the-secret-text", store.read(tx -> tx.unread()).get(0).text());
  }

  private void assertNotInFiles(List<String> secrets) throws Exception {
    StringBuilder all = new StringBuilder();
    for (String suffix : List.of("", "-wal")) {
      Path file = home.resolve("store.db" + suffix);
      if (Files.exists(file)) {
        all.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
      }
    }
    assertTrue(all.indexOf("opaque-mailbox-envelope") >= 0, "the scan sees what is stored in clear");
    for (String secret : secrets) {
      assertTrue(all.indexOf(secret) < 0, secret + " is in the files");
    }
  }

  @Test
  void sealedValuesCannotMove() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long bob = store.write(tx -> tx.insertContact("bob", BOB_ID, bytes("card"), 1));
    store.write(tx -> {
      tx.insertMessage(alice, true, 0, 1, 1, "to alice");
      tx.insertMessage(alice, true, 1, 1, 1, "also to alice");
      tx.put("one", bytes("1"));
      tx.put("two", bytes("2"));
      return null;
    });
    store.close();
    Rows ids = new Rows(null, new Sealer(key, random));
    long aliceRow = ids.rowId(Table.CONTACTS, alice);
    long bobRow = ids.rowId(Table.CONTACTS, bob);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("store.db"))) {
      swap(c, "contacts", "who", "id", aliceRow, bobRow);
      swap(c, "messages", "body", "id", ids.rowId(Table.MESSAGES, 1), ids.rowId(Table.MESSAGES, 2));
      swap(c, "kv", "body", "id", ids.rowId(Table.KV, bytes("one")), ids.rowId(Table.KV, bytes("two")));
      // Within one row: the prekeys' sealed bytes where the state's belong.
      c.createStatement().executeUpdate("UPDATE contacts SET state = prekeys WHERE id = " + bobRow);
    }
    store = Store.open(home, key, random);
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.contact(alice)));
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.contact(bob)));
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.messages(alice)));
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.get("one")));
  }

  /** The store remembers opened values (Sealer): bytes changed under a running store still fail. */
  @Test
  void valuesChangedUnderAnOpenStoreStillFail() throws Exception {
    long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
    long bob = store.write(tx -> tx.insertContact("bob", BOB_ID, bytes("card"), 1));
    long envelope = store.write(tx -> tx.queueEnvelope(alice, bytes("envelope"), 1));
    // Read once: every one of these values is remembered now.
    store.read(tx -> List.of(tx.contact(alice), tx.contact(bob), tx.outbox(alice)));
    Rows ids = new Rows(null, new Sealer(key, random));
    long aliceRow = ids.rowId(Table.CONTACTS, alice);
    long bobRow = ids.rowId(Table.CONTACTS, bob);
    long envelopeRow = ids.rowId(Table.OUTBOX, envelope);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("store.db"))) {
      swap(c, "contacts", "who", "id", aliceRow, bobRow);
      // One byte of a sealed meta changed.
      byte[] meta;
      try (PreparedStatement s = c.prepareStatement("SELECT meta FROM outbox WHERE id = ?")) {
        s.setLong(1, envelopeRow);
        try (ResultSet r = s.executeQuery()) {
          assertTrue(r.next());
          meta = r.getBytes(1);
        }
      }
      meta[meta.length - 1] ^= 1;
      try (PreparedStatement s = c.prepareStatement("UPDATE outbox SET meta = ? WHERE id = ?")) {
        s.setBytes(1, meta);
        s.setLong(2, envelopeRow);
        assertEquals(1, s.executeUpdate());
      }
    }
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.contact(alice)));
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.contact(bob)));
    assertKind(StoreException.Kind.CORRUPT, () -> store.read(tx -> tx.outbox(alice)));
  }

  private static void swap(Connection c, String table, String column, String keyColumn, Object a, Object b)
      throws Exception {
    byte[][] values = new byte[2][];
    Object[] keys = {a, b};
    for (int i = 0; i < 2; i++) {
      try (PreparedStatement s = c.prepareStatement("SELECT " + column + " FROM " + table + " WHERE " + keyColumn + " = ?")) {
        s.setObject(1, keys[i]);
        try (ResultSet r = s.executeQuery()) {
          assertTrue(r.next());
          values[i] = r.getBytes(1);
        }
      }
    }
    for (int i = 0; i < 2; i++) {
      try (PreparedStatement s = c.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE " + keyColumn + " = ?")) {
        s.setBytes(1, values[1 - i]);
        s.setObject(2, keys[i]);
        assertEquals(1, s.executeUpdate());
      }
    }
  }

  // ---- several processes

  @Test
  void twoStoresOnOneFileBothWrite() throws Exception {
    try (Store other = Store.open(home, key, RandomSource.secure())) {
      long alice = store.write(tx -> tx.insertContact("alice", ALICE_ID, null, 1));
      assertEquals("alice", other.read(tx -> tx.contact(alice)).orElseThrow().name());
      ExecutorService threads = Executors.newFixedThreadPool(2);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (Store s : List.of(store, other)) {
          done.add(threads.submit(() -> {
            for (int i = 0; i < 50; i++) {
              s.write(tx -> {
                long seq = tx.contact(alice).orElseThrow().nextInSeq();
                tx.updateContact(new Contact(alice, "alice", ALICE_ID, null, 0, seq + 1, 1));
                return tx.insertMessage(alice, true, seq, 1, 1, "m" + seq);
              });
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        threads.shutdownNow();
      }
      assertEquals(100, other.read(Tx::countMessages));
      assertEquals(100, store.read(tx -> tx.contact(alice)).orElseThrow().nextInSeq(), "no lost update");
    }
  }

  // ---- helpers

  private DepositResult deposit(byte[] tag, String envelope, long now, long expires, int maxPerTag, long maxBytes)
      throws Exception {
    return store.write(tx -> tx.deposit(tag, bytes(envelope), now, expires, maxPerTag, maxBytes));
  }

  private static List<String> texts(List<Item> items) {
    return items.stream().map(i -> new String(i.envelope(), StandardCharsets.UTF_8)).toList();
  }

  private static List<Long> ids(List<SessionRow> rows) {
    return rows.stream().map(SessionRow::id).toList();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @FunctionalInterface
  private interface Action {
    void run() throws Exception;
  }

  @Test
  void openExistingNeverMakesAStore(@TempDir Path other) throws Exception {
    Path file = other.resolve(Store.FILE_NAME);
    assertEquals(Store.FileState.ABSENT, Store.fileState(other));
    assertKind(StoreException.Kind.MISSING, () -> Store.openExisting(other, key, random));
    assertFalse(Files.exists(file));
    Files.write(file, new byte[0]);
    assertEquals(Store.FileState.EMPTY, Store.fileState(other));
    assertKind(StoreException.Kind.MISSING, () -> Store.openExisting(other, key, random));
    assertEquals(0, Files.size(file), "an empty store stays empty");

    assertKind(StoreException.Kind.EXISTS, () -> Store.create(other, key, random));
    Files.delete(file);
    Store.create(other, key, random).close();
    assertEquals(Store.FileState.PRESENT, Store.fileState(other));
    assertKind(StoreException.Kind.EXISTS, () -> Store.create(other, key, random));
    Store.openExisting(other, key, random).close();
    assertKind(StoreException.Kind.CORRUPT, () -> Store.openExisting(other, Vault.storeKey(IdentitySeed.generate(random)),
        random));

    // A SQLite file without the store's tables (its creation was cut short) is no store either.
    Store.deleteFiles(other);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
      st.execute("PRAGMA user_version = 1");
    }
    assertEquals(Store.FileState.PRESENT, Store.fileState(other));
    assertKind(StoreException.Kind.MISSING, () -> Store.openExisting(other, key, random));
  }

  private static void assertKind(StoreException.Kind kind, Action action) {
    StoreException e = assertThrows(StoreException.class, action::run);
    assertEquals(kind, e.kind(), e.getMessage());
  }

  /** Store.group: each write a savepoint (a refused one changes nothing, the others stay); one commit for all. */
  @Test
  void aGroupCommitsItsWritesTogetherAndARefusedOneAlone() throws Exception {
    store.group(() -> {
      store.write(tx -> {
        tx.put("one", bytes("1"));
        return null;
      });
      assertThrows(SottoException.class, () -> store.write(tx -> {
        tx.put("two", bytes("2"));
        throw new SottoException(ErrorCode.UNKNOWN_TAG, "refused");
      }));
      // a read inside the group sees the writes before it
      assertArrayEquals(bytes("1"), store.read(tx -> tx.get("one")).orElseThrow());
      store.write(tx -> {
        tx.put("three", bytes("3"));
        return null;
      });
    });
    store.close();
    store = Store.open(home, key, random); // what was committed, as another process reads it
    assertArrayEquals(bytes("1"), store.read(tx -> tx.get("one")).orElseThrow());
    assertFalse(store.read(tx -> tx.get("two")).isPresent());
    assertArrayEquals(bytes("3"), store.read(tx -> tx.get("three")).orElseThrow());
    // A group that fails as a whole leaves nothing of its writes, and the store usable.
    assertThrows(StoreException.class, () -> store.group(() -> {
      store.write(tx -> {
        tx.put("four", bytes("4"));
        return null;
      });
      throw new StoreException(StoreException.Kind.IO, "failed");
    }));
    assertFalse(store.read(tx -> tx.get("four")).isPresent());
    assertThrows(IllegalStateException.class, () -> store.write(tx -> {
      store.group(() -> { });
      return null;
    }), "a group inside a transaction");
    store.write(tx -> {
      tx.put("five", bytes("5"));
      return null;
    });
    assertArrayEquals(bytes("5"), store.read(tx -> tx.get("five")).orElseThrow());
  }
}
