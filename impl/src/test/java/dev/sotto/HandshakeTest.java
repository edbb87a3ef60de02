package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The handshake through {@link Initiator} and {@link Responder}. The fixture (Bob's card, a
 * responder holding one bundle and three one-time prekeys of it) is shared by the session, ratchet
 * and responder-state tests.
 */
class HandshakeTest {
  static final Instant CREATED = CardTest.CREATED;
  static final Instant NOW = CardTest.NOW;
  /** Bob's bundle and one-time prekeys are valid 3 days (the reference node's choice). */
  static final Instant PREKEYS_EXPIRE = CREATED.plus(Duration.ofDays(3));
  /** The ids the responder gives: the bundle's first (0 and 1), then the one-time prekeys in issuing order. */
  static final long SPK = 0;
  static final long PQSPK = 1;
  static final long OPK_1 = 2;
  static final long OPK_2 = 3;
  static final long KEM_OPK = 4;

  final Identity alice = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'a'})));
  final Identity bob = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'b'})));
  final Card bobsCard = Card.builder(bob).validity(CardTest.CREATED, CardTest.EXPIRES)
      .issue(TestRandom.deterministic(new byte[] {'c'}));
  final byte[] hello = "hello, Bob".getBytes(StandardCharsets.UTF_8);
  /** What Bob publishes: every responder() issues these same prekeys (all draws are deterministic). */
  final PrekeyBundle bundle;
  final List<OneTimePrekey> oneTime;

  HandshakeTest() {
    Responder template = responder();
    bundle = template.bundles(bobsCard).get(0);
    oneTime = template.oneTimePrekeys(bobsCard);
  }

  /** Bob's responder: the card, a bundle (ids 0, 1), two X25519 one-time prekeys (2, 3), one ML-KEM (4). */
  Responder responder() {
    return responder(new Responder(bob));
  }

  Responder responder(Responder r) {
    r.addCard(bobsCard);
    r.issueBundle(bobsCard, CREATED, PREKEYS_EXPIRE, TestRandom.deterministic(new byte[] {'d'}));
    r.issueOneTimePrekeys(bobsCard, PREKEYS_EXPIRE, 2, 1, TestRandom.deterministic(new byte[] {'e'}));
    return r;
  }

  /** The prekeys an initiator uses: the bundle and the one-time prekeys with these ids (null: none). */
  Prekeys prekeys(Long opk, Long kemOpk) {
    return Prekeys.of(bundle, opk == null ? null : record(opk), kemOpk == null ? null : record(kemOpk));
  }

  OneTimePrekey record(long id) {
    return oneTime.stream().filter(r -> r.prekey().id() == id).findFirst().orElseThrow();
  }

  /** A first message from Alice at {@link #NOW}. */
  byte[] firstMessage(Long opk, Long kemOpk, int seed) throws SottoException {
    return Initiator.to(alice, prekeys(opk, kemOpk)).start(NOW, hello, TestRandom.deterministic(new byte[] {(byte) seed}))
        .message();
  }

  static void assertUnchanged(Responder r, Responder.Snapshot snapshot, byte[] state, String what) {
    assertEquals(snapshot, r.snapshot(), "snapshot changed: " + what);
    assertArrayEquals(state, r.serialize(), "state changed: " + what);
  }

  @Test
  void theFixtureIsWhatTheResponderIssues() throws SottoException {
    assertEquals(List.of(SPK, PQSPK), List.of(bundle.signedPrekey().id(), bundle.kemPrekey().id()));
    assertEquals(List.of(OPK_1, OPK_2, KEM_OPK), oneTime.stream().map(r -> r.prekey().id()).toList());
    assertEquals(List.of(false, false, true), oneTime.stream().map(OneTimePrekey::isKem).toList());
    assertEquals(0, bundle.serial());
    Responder again = responder();
    assertEquals(bundle, again.bundles(bobsCard).get(0));
    assertEquals(oneTime, again.oneTimePrekeys(bobsCard));
    // What the mailbox serves reads back as the same objects.
    assertEquals(bundle, PrekeyBundle.parse(bundle.encoded(), bobsCard, NOW));
    for (OneTimePrekey r : oneTime) {
      assertEquals(r, OneTimePrekey.parse(r.encoded(), bobsCard, NOW));
    }
  }

  @Test
  void everyCombinationOfOneTimePrekeysAgrees() throws SottoException {
    Long[][] choices = {{null, null}, {OPK_1, null}, {null, KEM_OPK}, {OPK_2, KEM_OPK}};
    for (Long[] choice : choices) {
      Responder bobSide = responder();
      FirstContact fc = Initiator.to(alice, prekeys(choice[0], choice[1]))
          .start(NOW, hello, TestRandom.deterministic(new byte[] {'e'}));
      FirstMessage m = FirstMessage.parse(fc.message());
      assertEquals(NOW.getEpochSecond(), m.time(), "the message carries the initiator's clock");
      assertEquals(SPK, m.spkId());
      assertEquals(choice[1] == null ? PQSPK : choice[1], m.kemId());
      assertEquals(choice[0] == null ? FirstMessage.NONE : choice[0], m.opkId());
      Accepted accepted = bobSide.accept(fc.message(), NOW);
      assertEquals(alice.publicIdentity(), accepted.peer());
      assertArrayEquals(hello, accepted.payload());
      assertTrue(fc.secrets().matches(accepted.secrets()));
      assertEquals(bob.publicIdentity(), fc.peer());
    }
  }

  @Test
  void theInitiatorDrawsTheEphemeralKeyThenTheKemRandomnessAndNothingElse() throws SottoException {
    RandomSource source = TestRandom.deterministic(new byte[] {'r'});
    byte[] ek = source.bytes(32);
    byte[] m = source.bytes(32);
    TestRandom.Replay replay = TestRandom.replay(dev.sotto.internal.encoding.Bytes.concat(ek, m));
    FirstContact fc = Initiator.to(alice, prekeys(OPK_1, KEM_OPK)).start(NOW, hello, replay);
    replay.assertExhausted();
    FirstMessage message = FirstMessage.parse(fc.message());
    assertArrayEquals(X25519.publicKey(ek), message.ephemeralKey());
    assertArrayEquals(MlKem768.encapsulate(record(KEM_OPK).prekey().publicKey(), m).ciphertext(), message.ciphertext());
  }

  @Test
  void oneTimePrekeysAreUsedOnceAndRepliesWithoutThemAreCaughtAsReplays() throws SottoException {
    Responder bobSide = responder();
    byte[] withOpk = firstMessage(OPK_1, null, 1);
    bobSide.accept(withOpk, NOW);
    assertEquals(List.of(oneTime.get(1), oneTime.get(2)), bobSide.oneTimePrekeys(bobsCard), "the used one is gone");
    Responder.Snapshot after = bobSide.snapshot();
    byte[] afterState = bobSide.serialize();
    assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class, () -> bobSide.accept(withOpk, NOW)).code());
    assertUnchanged(bobSide, after, afterState, "a used one-time prekey");

    byte[] withKemOpk = firstMessage(null, KEM_OPK, 5);
    bobSide.accept(withKemOpk, NOW);
    assertEquals(List.of(oneTime.get(1)), bobSide.oneTimePrekeys(bobsCard));
    assertEquals(0, bobSide.replayEntries(SPK), "a message with a one-time prekey leaves no replay entry");
    assertEquals(ErrorCode.UNKNOWN_PREKEY,
        assertThrows(SottoException.class, () -> bobSide.accept(withKemOpk, NOW)).code());

    byte[] without = firstMessage(null, null, 2);
    bobSide.accept(without, NOW);
    assertEquals(1, bobSide.replayEntries(SPK));
    Responder.Snapshot cached = bobSide.snapshot();
    byte[] cachedState = bobSide.serialize();
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class, () -> bobSide.accept(without, NOW)).code());
    assertEquals(ErrorCode.REPLAY,
        assertThrows(SottoException.class, () -> bobSide.accept(without, NOW.plusSeconds(60))).code());
    assertUnchanged(bobSide, cached, cachedState, "a replay");
  }

  @Test
  void aOneTimePrekeyOfTheWrongKindOrAnUnknownIdIsUnknown() throws SottoException {
    Responder bobSide = responder();
    // An X25519 one-time prekey named where an ML-KEM one is expected, and the reverse: forged by
    // rewriting the ids of honest messages (the ids are read before anything is decrypted).
    byte[] kemAsX = firstMessage(null, KEM_OPK, 1);
    byte[] wrongKind = kemAsX.clone();
    wrongKind[1 + 2 + 1 + 8 + 4 + 3] = (byte) OPK_1; // kem_id = 2, an X25519 one-time prekey
    byte[] unknownSpk = kemAsX.clone();
    unknownSpk[1 + 2 + 1 + 8 + 3] = 9;
    byte[] bundleKemAsOneTime = kemAsX.clone();
    bundleKemAsOneTime[1 + 2 + 1 + 8 + 4 + 3] = (byte) PQSPK; // the bundle's ML-KEM prekey, named as one-time
    byte[] xAsKem = firstMessage(OPK_1, null, 2);
    byte[] wrongOpk = xAsKem.clone();
    wrongOpk[1 + 2 + 1 + 8 + 4 + 4 + 3] = (byte) KEM_OPK;
    byte[] spkAsOpk = xAsKem.clone();
    spkAsOpk[1 + 2 + 1 + 8 + 4 + 4 + 3] = (byte) SPK;
    byte[] noKem = firstMessage(null, null, 3);
    byte[] otherKem = noKem.clone();
    otherKem[1 + 2 + 1 + 8 + 4 + 3] = (byte) KEM_OPK; // without the flag, kem_id must be the bundle's
    Responder.Snapshot before = bobSide.snapshot();
    byte[] state = bobSide.serialize();
    for (byte[] m : List.of(wrongKind, unknownSpk, bundleKemAsOneTime, wrongOpk, spkAsOpk, otherKem)) {
      assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class, () -> bobSide.accept(m, NOW)).code());
      assertUnchanged(bobSide, before, state, "an unknown prekey");
    }
  }

  @Test
  void everyByteOfTheFirstMessageIsProtectedAndStateIsUnchanged() throws SottoException {
    for (Long[] choice : new Long[][] {{OPK_1, KEM_OPK}, {null, null}}) {
      Responder bobSide = responder();
      byte[] message = firstMessage(choice[0], choice[1], 3);
      Responder.Snapshot before = bobSide.snapshot();
      byte[] state = bobSide.serialize();
      for (int i = 0; i < message.length; i++) {
        byte[] tampered = message.clone();
        tampered[i] ^= 0x40;
        assertThrows(SottoException.class, () -> bobSide.accept(tampered, NOW), "byte " + i);
        assertUnchanged(bobSide, before, state, "byte " + i);
      }
      assertArrayEquals(hello, bobSide.accept(message, NOW).payload());
    }
  }

  @Test
  void replayCacheBoundIsEnforcedWithoutChangingState() throws SottoException {
    Responder bobSide = responder(new Responder(bob, 2));
    for (int i = 0; i < 2; i++) {
      bobSide.accept(firstMessage(null, null, 10 + i), NOW);
    }
    byte[] third = firstMessage(null, null, 99);
    Responder.Snapshot full = bobSide.snapshot();
    byte[] state = bobSide.serialize();
    assertEquals(ErrorCode.LIMIT_EXCEEDED, assertThrows(SottoException.class, () -> bobSide.accept(third, NOW)).code());
    assertUnchanged(bobSide, full, state, "a full replay cache");
    // A replay is still a replay when the cache is full; a one-time prekey still works.
    assertEquals(ErrorCode.REPLAY,
        assertThrows(SottoException.class, () -> bobSide.accept(firstMessage(null, null, 10), NOW)).code());
    bobSide.accept(firstMessage(OPK_1, null, 98), NOW);
    // A new bundle takes new first contacts.
    PrekeyBundle next = bobSide.issueBundle(bobsCard, NOW, PREKEYS_EXPIRE, TestRandom.deterministic(new byte[] {'n'}));
    assertEquals(1, next.serial());
    assertEquals(List.of(5L, 6L), List.of(next.signedPrekey().id(), next.kemPrekey().id()));
    byte[] fresh = Initiator.to(alice, Prekeys.of(next)).start(NOW, hello, TestRandom.deterministic(new byte[] {99}))
        .message();
    assertArrayEquals(hello, bobSide.accept(fresh, NOW).payload());
  }

  @Test
  void expiredPrekeysAreRefusedByTheInitiatorWithoutADraw() {
    TestRandom.Replay nothing = TestRandom.replay(new byte[0]);
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Initiator.to(alice, prekeys(null, null)).start(PREKEYS_EXPIRE, hello, nothing)).code(), "the bundle");
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Session.initiate(alice, prekeys(null, null), PREKEYS_EXPIRE, hello, nothing)).code());
    Card shortCard = Card.builder(bob).validity(CREATED, CREATED.plusSeconds(7200))
        .issue(TestRandom.deterministic(new byte[] {'s'}));
    Responder r = new Responder(bob);
    r.addCard(shortCard);
    PrekeyBundle outlives = r.issueBundle(shortCard, CREATED, PREKEYS_EXPIRE, TestRandom.deterministic(new byte[] {1}));
    OneTimePrekey soon = r.issueOneTimePrekeys(shortCard, CREATED.plusSeconds(3600), 1, 0,
        TestRandom.deterministic(new byte[] {2})).get(0);
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Initiator.to(alice, Prekeys.of(outlives)).start(shortCard.expires(), hello, nothing)).code(), "the card");
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Initiator.to(alice, Prekeys.of(outlives, soon, null)).start(soon.expires(), hello, nothing)).code(),
        "a one-time prekey");
    nothing.assertExhausted();
  }
}
