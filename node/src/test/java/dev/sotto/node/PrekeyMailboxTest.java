package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Responder;
import dev.sotto.node.net.HandshakeBudget;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Vault;
import dev.sotto.testing.TestRandom;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mailbox's prekey service under the attacks of spec: security.adoc#malicious-mailbox and item 2's flood. */
class PrekeyMailboxTest {
  @TempDir Path dir;
  private final ResetTest.TestClock clock = new ResetTest.TestClock(Instant.parse("2026-06-01T00:00:00Z"));
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private Store store;
  private PrekeyMailbox mailbox;

  private final Identity bob = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'b'})));
  private Responder responder;
  private Card card;
  private final byte[] credential = new byte[32];
  private long requestId = 1;

  private static final InetAddress HONEST = address("198.51.100.7");
  private static final InetAddress ATTACKER = address("203.0.113.9");

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    store = Store.open(dir, Vault.storeKey(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'k'}))),
        TestRandom.deterministic(new byte[] {'r'}));
    mailbox = new PrekeyMailbox(store, clock, PrekeyMailbox.Policy.DEFAULT, 256L << 20, nanos::get);
    Instant now = clock.instant();
    card = Card.builder(bob).validity(now, now.plus(Duration.ofDays(365))).issue(TestRandom.deterministic(new byte[] {'c'}));
    responder = new Responder(bob);
    responder.addCard(card);
    credential[0] = 7;
  }

  @AfterEach
  void tearDown() throws Exception {
    store.close();
  }

  private PrekeyBundle bundle(int days) {
    Instant now = clock.instant();
    return responder.issueBundle(card, now, now.plus(Duration.ofDays(days)), TestRandom.deterministic(new byte[] {'d', (byte) requestId}));
  }

  private List<OneTimePrekey> oneTime(int x, int kem) {
    return responder.issueOneTimePrekeys(card, clock.instant().plus(Duration.ofDays(3)), x, kem,
        TestRandom.deterministic(new byte[] {'o', (byte) requestId}));
  }

  private Frame publish(byte[] cred, List<Frame.PrekeyItem> items) throws Exception {
    Frame f = Frame.publish(requestId, card.bundleTag(), cred, items);
    return mailbox.publish(requestId++, Frame.of(Frame.PUBLISH, 1, f.body()).publishBody());
  }

  private List<Frame.PrekeyItem> get(InetAddress from) throws Exception {
    Frame answer = mailbox.serve(requestId++, card.bundleTag(), from);
    assertEquals(Frame.PREKEYS, answer.type());
    return Frame.of(Frame.PREKEYS, 1, answer.body()).prekeyItems();
  }

  private static List<Frame.PrekeyItem> items(PrekeyBundle b, List<OneTimePrekey> records) {
    List<Frame.PrekeyItem> items = new ArrayList<>();
    if (b != null) {
      items.add(Frame.PrekeyItem.of(b));
    }
    records.forEach(r -> items.add(Frame.PrekeyItem.of(r)));
    return items;
  }

  @Test
  void servesTheNewestBundlesAndEachOneTimePrekeyOnce() throws Exception {
    PrekeyBundle first = bundle(3);
    assertEquals(Frame.OK, publish(credential, items(first, oneTime(4, 1))).type());
    PrekeyBundle second = bundle(3);
    PrekeyBundle third = bundle(3);
    assertEquals(Frame.OK, publish(credential, items(second, List.of())).type());
    assertEquals(Frame.OK, publish(credential, items(third, List.of())).type());
    List<Frame.PrekeyItem> answer = get(HONEST);
    assertArrayEquals(third.encoded(), answer.get(0).encoded());
    assertArrayEquals(second.encoded(), answer.get(1).encoded());
    assertEquals(Frame.PrekeyItem.Kind.X25519_ONE_TIME, answer.get(2).kind());
    assertEquals(Frame.PrekeyItem.Kind.ML_KEM_ONE_TIME, answer.get(3).kind());
    assertEquals(4, answer.size());
    // Every item the initiator gets verifies under the card.
    PrekeyBundle.parse(answer.get(0).encoded(), card, clock.instant());
    OneTimePrekey.parse(answer.get(2).encoded(), card, clock.instant());
    Set<String> handed = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      for (Frame.PrekeyItem item : get(HONEST)) {
        if (item.kind() != Frame.PrekeyItem.Kind.BUNDLE) {
          assertTrue(handed.add(java.util.HexFormat.of().formatHex(item.encoded())), "a one-time prekey handed out twice");
        }
      }
    }
    assertEquals(3, handed.size()); // the other 3 X25519 ones; the only ML-KEM one went first
    assertEquals(2, get(HONEST).size()); // only the bundles, which never run out
  }

  @Test
  void anotherCredentialCannotPublishUnderAnOwnedTag() throws Exception {
    assertEquals(Frame.OK, publish(credential, items(bundle(3), List.of())).type());
    byte[] other = credential.clone();
    other[31] ^= 1;
    Frame refused = publish(other, items(bundle(1), oneTime(2, 0)));
    assertEquals(ErrorCode.AUTH_FAILED.number(), refused.errorNumber());
    assertEquals(1, get(HONEST).size()); // nothing of the refused PUBLISH is held
  }

  @Test
  void oneTimePrekeysAreBoundedPerTagAllOrNothing() throws Exception {
    assertEquals(Frame.OK, publish(credential, items(bundle(3), oneTime(60, 0))).type());
    for (int i = 0; i < 3; i++) {
      assertEquals(Frame.OK, publish(credential, items(null, oneTime(64, 0))).type());
    }
    Frame refused = publish(credential, items(null, oneTime(5, 0))); // 252 held: 257 > 256
    assertEquals(ErrorCode.LIMIT_EXCEEDED.number(), refused.errorNumber());
  }

  @Test
  void aDrainerFromOnePrefixLeavesOneTimePrekeysForOthersAndEveryoneGetsTheBundle() throws Exception {
    PrekeyBundle b = bundle(3);
    assertEquals(Frame.OK, publish(credential, items(b, oneTime(32, 12))).type());
    int drained = 0;
    for (int i = 0; i < 1000; i++) { // a flood of GET_PREKEYS within one second
      List<Frame.PrekeyItem> answer = get(ATTACKER);
      assertArrayEquals(b.encoded(), answer.get(0).encoded(), "the bundle is served to everyone, always");
      drained += answer.size() - 1;
    }
    HandshakeBudget.Rates r = PrekeyMailbox.Policy.DEFAULT.handouts();
    assertTrue(drained <= 2 * r.prefixBurst(), "one prefix took " + drained + " one-time prekeys");
    assertEquals(2 * r.prefixBurst(), drained);
    List<Frame.PrekeyItem> honest = get(HONEST);
    assertEquals(3, honest.size(), "the honest initiator still gets one of each kind: " + honest);
  }

  @Test
  void expiredItemsAreNeitherKeptNorServed() throws Exception {
    PrekeyBundle b = bundle(3);
    assertEquals(Frame.OK, publish(credential, items(b, oneTime(2, 1))).type());
    clock.advance(Duration.ofDays(3));
    assertEquals(0, get(HONEST).size());
    assertEquals(0, (int) store.read(tx -> tx.prekeyItems(card.bundleTag(), 0, 0).size()));
  }
}
