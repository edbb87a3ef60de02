package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Expiry deletes for real (design r2-prekeys section 6, step 0): a private prekey is gone from the
 * responder, and from any state it serialises, once its expiry plus the first-contact window has
 * passed, whichever call given {@code now} comes first. A thief who takes the device (the
 * responder's state and Bob's identity) after that cannot open a first contact made before, nor
 * read anything the initiator sent in that session before an answer.
 *
 * <p>The private keys are recomputed from the deterministic sources the responder drew from (a
 * bundle draws the signed prekey's 32 bytes, then the ML-KEM seed's 64; one-time prekeys draw each
 * X25519 key's 32 bytes, then each ML-KEM seed's 64), and the serialised state is searched for them.
 */
class ExpiryTest {
  static final Duration W = Responder.FIRST_CONTACT_WINDOW;
  static final Instant CREATED = CardTest.CREATED;
  static final Instant NOW = CardTest.NOW;
  /** Bundle 1 and its one-time prekeys expire at this time: their private keys go at it plus W. */
  static final Instant B1_EXPIRES = CREATED.plus(Duration.ofDays(3));
  static final Instant B1_GONE = B1_EXPIRES.plus(W);
  /** A one-time prekey that expires earlier than bundle 1. */
  static final Instant EARLY_EXPIRES = CREATED.plus(Duration.ofDays(1));
  /** Bundle 2 is valid later: its keys stay throughout (the search's positive control). */
  static final Instant B2_EXPIRES = CREATED.plus(Duration.ofDays(5));

  final Identity alice = CardTest.identity("alice");
  final Identity bob = CardTest.identity("bob");
  final Card card = Card.builder(bob).validity(CREATED, CardTest.EXPIRES).issue(TestRandom.deterministic(new byte[] {'c'}));
  final Responder responder = new Responder(bob);
  final PrekeyBundle b1;
  final PrekeyBundle b2;
  final OneTimePrekey x1;
  final OneTimePrekey kem1;
  final OneTimePrekey early;
  /** Every recorded private key, by name. */
  final Map<String, byte[]> secrets = new LinkedHashMap<>();

  ExpiryTest() {
    responder.addCard(card);
    b1 = responder.issueBundle(card, CREATED, B1_EXPIRES, TestRandom.deterministic(new byte[] {'1'}));
    RandomSource d1 = TestRandom.deterministic(new byte[] {'1'});
    secrets.put("b1.spk", d1.bytes(32));
    secrets.put("b1.pqspk", d1.bytes(64));
    List<OneTimePrekey> records = responder.issueOneTimePrekeys(card, B1_EXPIRES, 1, 1,
        TestRandom.deterministic(new byte[] {'o'}));
    x1 = records.get(0);
    kem1 = records.get(1);
    RandomSource o = TestRandom.deterministic(new byte[] {'o'});
    secrets.put("x1", o.bytes(32));
    secrets.put("kem1", o.bytes(64));
    early = responder.issueOneTimePrekeys(card, EARLY_EXPIRES, 1, 0, TestRandom.deterministic(new byte[] {'y'})).get(0);
    secrets.put("early", TestRandom.deterministic(new byte[] {'y'}).bytes(32));
    b2 = responder.issueBundle(card, CREATED.plus(Duration.ofDays(2)), B2_EXPIRES,
        TestRandom.deterministic(new byte[] {'2'}));
    RandomSource d2 = TestRandom.deterministic(new byte[] {'2'});
    secrets.put("b2.spk", d2.bytes(32));
    secrets.put("b2.pqspk", d2.bytes(64));
    // The recorded keys are the issued ones.
    assertArrayEquals(b1.signedPrekey().publicKey(), X25519.publicKey(secrets.get("b1.spk")));
    assertArrayEquals(b1.kemPrekey().publicKey(), MlKem768.encapsulationKey(secrets.get("b1.pqspk")));
    assertArrayEquals(x1.prekey().publicKey(), X25519.publicKey(secrets.get("x1")));
    assertArrayEquals(kem1.prekey().publicKey(), MlKem768.encapsulationKey(secrets.get("kem1")));
    assertArrayEquals(early.prekey().publicKey(), X25519.publicKey(secrets.get("early")));
    assertArrayEquals(b2.signedPrekey().publicKey(), X25519.publicKey(secrets.get("b2.spk")));
    assertArrayEquals(b2.kemPrekey().publicKey(), MlKem768.encapsulationKey(secrets.get("b2.pqspk")));
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** The names of the recorded private keys that the state holds. */
  List<String> held(byte[] state) {
    List<String> held = new ArrayList<>();
    secrets.forEach((name, key) -> {
      if (contains(state, key)) {
        held.add(name);
      }
    });
    return held;
  }

  /** A call given {@code now} that the test makes on a responder; refused or not. */
  interface Call {
    void on(Responder r, Instant now) throws Exception;
  }

  /** Alice's unanswered session with Bob: the first contact and two more envelopes of her first chain. */
  record Unanswered(Session alice, List<Envelope> envelopes) {}

  Unanswered firstContact(Prekeys prekeys, int seed) throws SottoException {
    RandomSource random = TestRandom.deterministic(new byte[] {'a', (byte) seed});
    Session.Started started = Session.initiate(alice, prekeys, NOW, "first".getBytes(StandardCharsets.UTF_8), random);
    List<Envelope> envelopes = new ArrayList<>(started.envelopes());
    envelopes.addAll(started.session().seal("second".getBytes(StandardCharsets.UTF_8), random));
    envelopes.addAll(started.session().seal("third".getBytes(StandardCharsets.UTF_8), random));
    assertEquals(3, envelopes.size());
    return new Unanswered(started.session(), envelopes);
  }

  Map<String, Call> everyCallGivenNow() throws SottoException {
    byte[] stale = firstContact(Prekeys.of(b1), 9).envelopes().get(0).encoded();
    Map<String, Call> calls = new LinkedHashMap<>();
    calls.put("expire", Responder::expire);
    calls.put("accept of garbage", (r, now) -> r.accept(new byte[] {1, 2, 3}, now));
    calls.put("accept of an empty message", (r, now) -> r.accept(new byte[0], now));
    calls.put("accept of a first message of the expired bundle",
        (r, now) -> r.accept(java.util.Arrays.copyOfRange(stale, Envelope.HEADER_LENGTH, stale.length), now));
    calls.put("Session.accept of the expired bundle's first contact", (r, now) -> Session.accept(r, stale, now,
        TestRandom.deterministic(new byte[] {0})));
    calls.put("Session.accept of no envelope", (r, now) -> Session.accept(r, new byte[] {9}, now,
        TestRandom.deterministic(new byte[] {0})));
    byte[] unknownTag = stale.clone();
    unknownTag[1] ^= 1;
    calls.put("Session.accept under an unknown tag", (r, now) -> Session.accept(r, unknownTag, now,
        TestRandom.deterministic(new byte[] {0})));
    return calls;
  }

  @Test
  void everyCallGivenNowDeletesAtExpiryPlusTheWindowAndNotASecondBefore() throws Exception {
    byte[] state = responder.serialize();
    assertEquals(List.copyOf(secrets.keySet()), held(state), "the search finds every key while it is held");
    for (Map.Entry<String, Call> call : everyCallGivenNow().entrySet()) {
      // The early one-time prekey: held until its expiry plus W, gone at it.
      Responder r = Responder.restore(bob, state);
      try {
        call.getValue().on(r, EARLY_EXPIRES.plus(W).minusSeconds(1));
      } catch (SottoException expected) {
        // whatever the call's own outcome
      }
      assertEquals(List.copyOf(secrets.keySet()), held(r.serialize()), call.getKey() + ", a second before");
      try {
        call.getValue().on(r, EARLY_EXPIRES.plus(W));
      } catch (SottoException expected) {
        // whatever the call's own outcome
      }
      assertEquals(List.of("b1.spk", "b1.pqspk", "x1", "kem1", "b2.spk", "b2.pqspk"), held(r.serialize()),
          call.getKey() + ": the early one-time prekey");
      // Bundle 1 and its one-time prekeys.
      try {
        call.getValue().on(r, B1_GONE.minusSeconds(1));
      } catch (SottoException expected) {
        // whatever the call's own outcome
      }
      assertEquals(List.of("b1.spk", "b1.pqspk", "x1", "kem1", "b2.spk", "b2.pqspk"), held(r.serialize()),
          call.getKey() + ", a second before");
      try {
        call.getValue().on(r, B1_GONE);
      } catch (SottoException expected) {
        // whatever the call's own outcome
      }
      byte[] after = r.serialize();
      assertEquals(List.of("b2.spk", "b2.pqspk"), held(after), call.getKey());
      assertEquals(List.of(b2), r.bundles(card), call.getKey());
      assertEquals(List.of(), r.oneTimePrekeys(card), call.getKey());
      // And from a responder that slept through it all: one call at the end deletes everything due.
      Responder asleep = Responder.restore(bob, state);
      try {
        call.getValue().on(asleep, B1_GONE.plus(Duration.ofDays(1)));
      } catch (SottoException expected) {
        // whatever the call's own outcome
      }
      assertEquals(List.of("b2.spk", "b2.pqspk"), held(asleep.serialize()), call.getKey());
      try {
        call.getValue().on(asleep, B2_EXPIRES.plus(W));
      } catch (SottoException expected) {
        // whatever the call's own outcome
      }
      assertEquals(List.of(), held(asleep.serialize()), call.getKey());
      assertEquals(List.of(card), asleep.cards(), "the card is valid for longer");
    }
  }

  @Test
  void aThiefOfTheStateAfterExpiryCannotOpenFirstContactsMadeBefore() throws Exception {
    Unanswered plain = firstContact(Prekeys.of(b1), 1);
    Unanswered oneTime = firstContact(Prekeys.of(b1, x1, kem1), 2);
    // The thief captured these in transit; they never reached Bob.

    // Control: with the state of before, the thief (holding Bob's identity too) reads them all.
    for (Unanswered u : List.of(plain, oneTime)) {
      Responder stolenEarly = Responder.restore(bob, responder.serialize());
      Session.Accepted opened = Session.accept(stolenEarly, u.envelopes().get(0).encoded(), NOW,
          TestRandom.deterministic(new byte[] {'t'}));
      assertArrayEquals("first".getBytes(StandardCharsets.UTF_8), opened.payload().orElseThrow());
      assertArrayEquals("second".getBytes(StandardCharsets.UTF_8),
          opened.session().open(u.envelopes().get(1).encoded(), TestRandom.deterministic(new byte[] {'t'})).orElseThrow());
      assertArrayEquals("third".getBytes(StandardCharsets.UTF_8),
          opened.session().open(u.envelopes().get(2).encoded(), TestRandom.deterministic(new byte[] {'t'})).orElseThrow());
    }

    // Bob's device lives on; the thief takes its state after bundle 1's expiry plus the window.
    responder.expire(B1_GONE);
    byte[] stolen = responder.serialize();
    assertEquals(List.of("b2.spk", "b2.pqspk"), held(stolen));
    for (Unanswered u : List.of(plain, oneTime)) {
      // Whatever clock the thief sets, its own too (before the expiry, when Bob would have accepted).
      for (Instant clock : List.of(NOW, B1_EXPIRES.minusSeconds(1), B1_GONE)) {
        Responder thief = Responder.restore(bob, stolen);
        byte[] first = u.envelopes().get(0).encoded();
        assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class,
            () -> Session.accept(thief, first, clock, TestRandom.deterministic(new byte[] {'t'}))).code(), "at " + clock);
        assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class, () -> thief.accept(
            java.util.Arrays.copyOfRange(first, Envelope.HEADER_LENGTH, first.length), clock)).code());
        // The rest of Alice's first chain is under her ratchet's tags: no session of the thief expects them.
        for (Envelope later : u.envelopes().subList(1, 3)) {
          assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
              () -> Session.accept(thief, later.encoded(), clock, TestRandom.deterministic(new byte[] {'t'}))).code());
        }
      }
    }
  }

  @Test
  void aUsedOneTimePrekeyIsGoneFromTheStateAtOnce() throws SottoException {
    Unanswered u = firstContact(Prekeys.of(b1, x1, kem1), 3);
    Session.accept(responder, u.envelopes().get(0).encoded(), NOW.plusSeconds(5), TestRandom.deterministic(new byte[] {1}));
    assertEquals(List.of("b1.spk", "b1.pqspk", "early", "b2.spk", "b2.pqspk"), held(responder.serialize()));
    // A refused first contact deletes nothing (beyond what expired): the one-time prekeys stay.
    Responder other = Responder.restore(bob, responder.serialize());
    assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class,
        () -> Session.accept(other, u.envelopes().get(0).encoded(), NOW.plusSeconds(6),
            TestRandom.deterministic(new byte[] {1}))).code());
  }

  @Test
  void aCardGoesAtItsExpiryPlusTheWindowWithEveryPrekeyOfIt() throws SottoException {
    Card shortCard = Card.builder(bob).validity(CREATED, CREATED.plus(Duration.ofDays(2)))
        .issue(TestRandom.deterministic(new byte[] {'s'}));
    responder.addCard(shortCard);
    PrekeyBundle outlives = responder.issueBundle(shortCard, CREATED, CREATED.plus(Duration.ofDays(30)),
        TestRandom.deterministic(new byte[] {'3'}));
    RandomSource d3 = TestRandom.deterministic(new byte[] {'3'});
    secrets.put("b3.spk", d3.bytes(32));
    secrets.put("b3.pqspk", d3.bytes(64));
    responder.issueOneTimePrekeys(shortCard, CREATED.plus(Duration.ofDays(30)), 1, 0,
        TestRandom.deterministic(new byte[] {'4'}));
    secrets.put("x3", TestRandom.deterministic(new byte[] {'4'}).bytes(32));
    Instant gone = shortCard.expires().plus(W);
    responder.expire(gone.minusSeconds(1));
    assertTrue(held(responder.serialize()).containsAll(List.of("b3.spk", "b3.pqspk", "x3")));
    assertEquals(List.of(card, shortCard), responder.cards());
    responder.expire(gone);
    assertEquals(List.of(card), responder.cards());
    assertFalse(held(responder.serialize()).contains("b3.spk"));
    assertFalse(held(responder.serialize()).contains("b3.pqspk"));
    assertFalse(held(responder.serialize()).contains("x3"));
    assertEquals(List.of(), responder.bundles(shortCard));
    assertFalse(responder.snapshot().bundles().stream().anyMatch(b -> b.signedPrekeyId() == outlives.signedPrekey().id()));
  }

  @Test
  void replayEntriesGoAtTheirMessagesTimePlusTheWindow() throws SottoException {
    Unanswered u = firstContact(Prekeys.of(b1), 4);
    byte[] envelope = u.envelopes().get(0).encoded();
    Session.accept(responder, envelope, NOW.plusSeconds(30), TestRandom.deterministic(new byte[] {1}));
    assertEquals(1, responder.replayEntries(b1.signedPrekey().id()));
    responder.expire(NOW.plus(W).minusSeconds(1));
    assertEquals(1, responder.replayEntries(b1.signedPrekey().id()));
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class, () -> Session.accept(responder, envelope,
        NOW.plus(W).minusSeconds(1), TestRandom.deterministic(new byte[] {1}))).code());
    byte[] before = responder.serialize();
    // At the time plus W the message itself is too old: the entry is no longer needed, and goes.
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class, () -> Session.accept(responder, envelope,
        NOW.plus(W), TestRandom.deterministic(new byte[] {1}))).code());
    assertEquals(0, responder.replayEntries(b1.signedPrekey().id()));
    assertEquals(before.length - 40, responder.serialize().length);
  }

  @Test
  void aWithdrawnBundleAndARemovedCardTakeTheirKeys() throws SottoException {
    // Issuing a 17th bundle withdraws the one that expires first: bundle 1 (b2 and 14 more expire later).
    for (int i = 0; i < Responder.MAX_BUNDLES - 2; i++) {
      responder.issueBundle(card, CREATED, B2_EXPIRES, TestRandom.deterministic(new byte[] {'w', (byte) i}));
    }
    assertEquals(Responder.MAX_BUNDLES, responder.snapshot().bundles().size());
    assertTrue(held(responder.serialize()).contains("b1.spk"));
    responder.issueBundle(card, CREATED, B2_EXPIRES, TestRandom.deterministic(new byte[] {'w', 99}));
    assertEquals(Responder.MAX_BUNDLES, responder.snapshot().bundles().size());
    assertEquals(List.of("x1", "kem1", "early", "b2.spk", "b2.pqspk"), held(responder.serialize()));
    Unanswered u = firstContact(Prekeys.of(b1), 5);
    assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class, () -> Session.accept(responder,
        u.envelopes().get(0).encoded(), NOW, TestRandom.deterministic(new byte[] {1}))).code());

    responder.removeCard(card);
    assertEquals(List.of(), held(responder.serialize()));
    assertEquals(new Responder(bob).serialize().length, responder.serialize().length, "nothing left");
    Optional<Card> none = responder.cards().stream().findAny();
    assertTrue(none.isEmpty());
  }

  /**
   * The responder's first ratchet key is the signed prekey (spec: ratchet), but an accepted session
   * keeps no copy of its private key: the receiving half of the first DH step drops it. So deleting
   * the bundle deletes the last copy, whether or not the session ever answered.
   */
  @Test
  void anAcceptedSessionKeepsNoCopyOfThePrivatePrekeys() throws SottoException {
    Unanswered u = firstContact(Prekeys.of(b1, x1, kem1), 6);
    RandomSource random = TestRandom.deterministic(new byte[] {'b'});
    Session bobs = Session.accept(responder, u.envelopes().get(0).encoded(), NOW, random).session();
    assertEquals(List.of(), held(bobs.serialize()), "unanswered");
    bobs.open(u.envelopes().get(1).encoded(), random);
    assertEquals(List.of(), held(bobs.serialize()), "after receiving");
    bobs.seal("answer".getBytes(StandardCharsets.UTF_8), random);
    assertEquals(List.of(), held(bobs.serialize()), "after the first reply");
    assertEquals(List.of(), held(u.alice().serialize()), "nor the initiator's");
  }
}
