package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The responder's state (design r2-prekeys section 7): a restored responder goes on exactly, and
 * every malformed state is refused with the code {@link Responder#restore} documents.
 *
 * <pre>
 *   version u8 || suite u16 || next_id u32 || next_serial u64
 *   || card_count u8 || (card_length u16 || card) x count
 *   || bundle_count u8 || (card_index u8 || bundle[1313] || spk_private[32] || pqspk_seed[64]
 *        || replay_count u16 || (th1[32] || time u64) x replay_count) x count
 *   || one_time_count u16 || (card_index u8 || record_length u16 || record || private[32 or 64]) x count
 * </pre>
 */
class ResponderStateTest {
  final HandshakeTest h = new HandshakeTest();

  // ------------------------------------------------------------------ a writer of states, for malformed ones

  record Held(int cardIndex, PrekeyBundle bundle, byte[] spk, byte[] seed, List<byte[]> replay) {}

  record HeldRecord(int cardIndex, OneTimePrekey record, byte[] secret) {}

  static final class State {
    int version = Responder.STATE_VERSION;
    int suite = Suite.SOTTO_1.id();
    long nextId;
    long nextSerial;
    final List<byte[]> cards = new ArrayList<>();
    final List<Held> bundles = new ArrayList<>();
    final List<HeldRecord> records = new ArrayList<>();
    Integer cardCount;
    Integer bundleCount;
    Integer oneTimeCount;
    Integer replayCount;

    byte[] encode() {
      Writer w = new Writer().u8(version).u16(suite).u32(nextId).u64(nextSerial);
      w.u8(cardCount != null ? cardCount : cards.size());
      cards.forEach(c -> w.u16(c.length).bytes(c));
      w.u8(bundleCount != null ? bundleCount : bundles.size());
      for (Held b : bundles) {
        w.u8(b.cardIndex()).bytes(b.bundle().encoded()).bytes(b.spk()).bytes(b.seed());
        w.u16(replayCount != null ? replayCount : b.replay().size());
        b.replay().forEach(w::bytes);
      }
      w.u16(oneTimeCount != null ? oneTimeCount : records.size());
      for (HeldRecord r : records) {
        byte[] encoded = r.record().encoded();
        w.u8(r.cardIndex()).u16(encoded.length).bytes(encoded).bytes(r.secret());
      }
      return w.toByteArray();
    }
  }

  /** The private keys of the fixture, recomputed from the responder's draws. */
  final byte[] spk;
  final byte[] seed;
  final byte[] opk1;
  final byte[] opk2;
  final byte[] kemOpk;

  ResponderStateTest() {
    RandomSource d = TestRandom.deterministic(new byte[] {'d'});
    spk = d.bytes(32);
    seed = d.bytes(64);
    RandomSource e = TestRandom.deterministic(new byte[] {'e'});
    opk1 = e.bytes(32);
    opk2 = e.bytes(32);
    kemOpk = e.bytes(64);
  }

  /** The fixture responder's state, written by the test, with one replay entry {@code entry}. */
  State fixtureState(byte[] entry) {
    State s = new State();
    s.nextId = 5;
    s.nextSerial = 1;
    s.cards.add(h.bobsCard.encoded());
    s.bundles.add(new Held(0, h.bundle, spk, seed, entry == null ? List.of() : List.of(entry)));
    s.records.add(new HeldRecord(0, h.oneTime.get(0), opk1));
    s.records.add(new HeldRecord(0, h.oneTime.get(1), opk2));
    s.records.add(new HeldRecord(0, h.oneTime.get(2), kemOpk));
    return s;
  }

  /** The fixture responder after one first contact without a one-time prekey, and its replay entry. */
  record WithEntry(Responder responder, byte[] entry) {}

  WithEntry fixtureWithEntry() throws SottoException {
    Responder r = h.responder();
    r.accept(h.firstMessage(null, null, 7), HandshakeTest.NOW);
    byte[] state = r.serialize();
    int at = state.length - 2 - 3 * 3 - OneTimePrekey.X25519_LENGTH * 2 - OneTimePrekey.ML_KEM_LENGTH - 32 * 2 - 64 - 40;
    return new WithEntry(r, Arrays.copyOfRange(state, at, at + 40));
  }

  ErrorCode restoreFails(byte[] state) {
    return assertThrows(SottoException.class, () -> Responder.restore(h.bob, state)).code();
  }

  ErrorCode restoreFails(State state) {
    return restoreFails(state.encode());
  }

  // ------------------------------------------------------------------ tests

  @Test
  void theTestsWriterWritesWhatTheResponderWrites() throws SottoException {
    assertArrayEquals(h.responder().serialize(), fixtureState(null).encode());
    WithEntry w = fixtureWithEntry();
    assertArrayEquals(w.responder().serialize(), fixtureState(w.entry()).encode());
    assertEquals(HandshakeTest.NOW.getEpochSecond(),
        Long.parseLong(Bytes.hex(Arrays.copyOfRange(w.entry(), 32, 40)), 16), "a replay entry is TH_1 || time");
  }

  @Test
  void aRestoredResponderContinuesExactly() throws SottoException {
    Responder bob = h.responder();
    byte[] used = h.firstMessage(HandshakeTest.OPK_1, HandshakeTest.KEM_OPK, 1);
    byte[] plain = h.firstMessage(null, null, 2);
    bob.accept(used, HandshakeTest.NOW);
    bob.accept(plain, HandshakeTest.NOW);

    Responder restored = Responder.restore(h.bob, bob.serialize());
    assertEquals(bob.snapshot(), restored.snapshot());
    assertArrayEquals(bob.serialize(), restored.serialize());
    assertEquals(ErrorCode.UNKNOWN_PREKEY,
        assertThrows(SottoException.class, () -> restored.accept(used, HandshakeTest.NOW)).code());
    assertEquals(ErrorCode.REPLAY,
        assertThrows(SottoException.class, () -> restored.accept(plain, HandshakeTest.NOW)).code());
    byte[] fresh = h.firstMessage(HandshakeTest.OPK_2, null, 3);
    assertArrayEquals(h.hello, restored.accept(fresh, HandshakeTest.NOW).payload());
    // The counters go on: the next bundle has the next serial and fresh ids, in both.
    PrekeyBundle a = bob.issueBundle(h.bobsCard, HandshakeTest.NOW, HandshakeTest.PREKEYS_EXPIRE,
        TestRandom.deterministic(new byte[] {9}));
    PrekeyBundle b = restored.issueBundle(h.bobsCard, HandshakeTest.NOW, HandshakeTest.PREKEYS_EXPIRE,
        TestRandom.deterministic(new byte[] {9}));
    assertEquals(a, b);
    assertEquals(1, b.serial());
    assertEquals(List.of(5L, 6L), List.of(b.signedPrekey().id(), b.kemPrekey().id()));
  }

  /** A restored device raises next_serial (spec: handshake.adoc, "Serials"; backup.adoc#backup-after-restore). */
  @Test
  void theSerialIsRaisedNeverLowered() throws SottoException {
    Responder r = h.responder();
    r.raiseSerial(1_800_000_000L);
    r.raiseSerial(7); // never lowered
    PrekeyBundle b = r.issueBundle(h.bobsCard, HandshakeTest.NOW, HandshakeTest.PREKEYS_EXPIRE,
        TestRandom.deterministic(new byte[] {9}));
    assertEquals(1_800_000_000L, b.serial());
    assertEquals(1_800_000_001L, Responder.restore(h.bob, r.serialize()).issueBundle(h.bobsCard, HandshakeTest.NOW,
        HandshakeTest.PREKEYS_EXPIRE, TestRandom.deterministic(new byte[] {10})).serial(), "kept in the state");
    assertThrows(IllegalArgumentException.class, () -> r.raiseSerial(-1));
    assertThrows(IllegalArgumentException.class, () -> r.raiseSerial(0x100000001L));
  }

  @Test
  void anEmptyResponderAndARestoreWithAnotherReplayBound() throws SottoException {
    Responder empty = new Responder(h.bob);
    byte[] state = empty.serialize();
    assertEquals(1 + 2 + 4 + 8 + 1 + 1 + 2, state.length);
    assertArrayEquals(state, Responder.restore(h.bob, state).serialize());
    WithEntry w = fixtureWithEntry();
    Responder small = Responder.restore(h.bob, w.responder().serialize(), 1);
    assertEquals(ErrorCode.LIMIT_EXCEEDED, assertThrows(SottoException.class,
        () -> small.accept(h.firstMessage(null, null, 8), HandshakeTest.NOW)).code(), "its own bound");
  }

  @Test
  void truncationAtEveryOffsetIsTruncated() throws SottoException {
    byte[] state = fixtureWithEntry().responder().serialize();
    for (int length = 0; length < state.length; length++) {
      byte[] cut = Arrays.copyOf(state, length);
      assertEquals(ErrorCode.TRUNCATED, restoreFails(cut), "length " + length);
    }
    assertEquals(ErrorCode.TRAILING_DATA, restoreFails(Arrays.copyOf(state, state.length + 1)));
  }

  @Test
  void versionAndSuite() {
    byte[] state = h.responder().serialize();
    for (int version : new int[] {0x00, 0x01, 0x03, 0xff}) {
      byte[] other = state.clone();
      other[0] = (byte) version;
      assertEquals(ErrorCode.UNSUPPORTED_VERSION, restoreFails(other), "version " + version);
    }
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, restoreFails(new byte[] {0x01}), "before TRUNCATED");
    byte[] suite = state.clone();
    suite[2] = 2;
    assertEquals(ErrorCode.UNSUPPORTED_SUITE, restoreFails(suite));
  }

  @Test
  void eachCountAboveItsBoundIsInvalid() throws SottoException {
    State cards = fixtureState(null);
    cards.cardCount = Responder.MAX_CARDS + 1;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(cards), "card_count 17");
    State bundles = fixtureState(null);
    bundles.bundleCount = Responder.MAX_BUNDLES + 1;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(bundles), "bundle_count 17");
    State oneTime = fixtureState(null);
    oneTime.oneTimeCount = Responder.MAX_ONE_TIME_PREKEYS + 1;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(oneTime), "one_time_count 1025");
    State replays = fixtureState(null);
    replays.replayCount = Responder.REPLAY_CACHE_LIMIT + 1;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(replays), "replay_count 4097");
    // The replay bound is the restoring responder's.
    WithEntry w = fixtureWithEntry();
    Responder.restore(h.bob, withReplays(w.entry(), 1), 1);
    assertEquals(ErrorCode.INVALID_ENCODING,
        assertThrows(SottoException.class, () -> Responder.restore(h.bob, withReplays(w.entry(), 2), 1)).code(),
        "2 replay entries for a bound of 1");
    // next_serial: at most 2^32 (every serial used); a u64 of 2^63 or more is no u64 here at all.
    State serial = fixtureState(null);
    serial.nextSerial = 0x1_0000_0000L + 1;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(serial), "next_serial above 2^32");
    byte[] huge = fixtureState(null).encode();
    huge[7] = (byte) 0x80;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(huge), "next_serial of 2^63");
    State lastSerial = fixtureState(null);
    lastSerial.nextSerial = 0x1_0000_0000L;
    Responder exhausted = Responder.restore(h.bob, lastSerial.encode());
    assertThrows(IllegalArgumentException.class, () -> exhausted.issueBundle(h.bobsCard, HandshakeTest.NOW,
        HandshakeTest.PREKEYS_EXPIRE, TestRandom.deterministic(new byte[] {1})), "every serial was used");
    // A count within its bound with fewer entries than it says is a truncation.
    State fewer = fixtureState(null);
    fewer.oneTimeCount = 4;
    assertEquals(ErrorCode.TRUNCATED, restoreFails(fewer));
  }

  /** The fixture state with {@code count} distinct replay entries, the first {@code entry}. */
  byte[] withReplays(byte[] entry, int count) {
    List<byte[]> entries = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] e = entry.clone();
      e[0] ^= (byte) i;
      entries.add(e);
    }
    State s = fixtureState(null);
    s.bundles.set(0, new Held(0, h.bundle, spk, seed, entries));
    return s.encode();
  }

  @Test
  void theBoundsThemselvesAreAllowed() throws SottoException {
    // 16 cards, 16 bundles, 1,024 one-time prekeys: a full responder restores as it was.
    Responder full = new Responder(h.bob);
    List<Card> cards = new ArrayList<>();
    for (int i = 0; i < Responder.MAX_CARDS; i++) {
      Card card = Card.builder(h.bob).validity(CardTest.CREATED, CardTest.EXPIRES)
          .issue(TestRandom.deterministic(new byte[] {'k', (byte) i}));
      full.addCard(card);
      cards.add(card);
    }
    RandomSource random = TestRandom.deterministic(new byte[] {'f'});
    for (int i = 0; i < Responder.MAX_BUNDLES; i++) {
      full.issueBundle(cards.get(i), HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE, random);
    }
    for (int i = 0; i < Responder.MAX_CARDS; i++) {
      full.issueOneTimePrekeys(cards.get(i), HandshakeTest.PREKEYS_EXPIRE, 64, 0, random);
    }
    assertThrows(IllegalArgumentException.class,
        () -> full.issueOneTimePrekeys(cards.get(0), HandshakeTest.PREKEYS_EXPIRE, 1, 0, random), "1,025");
    assertThrows(IllegalArgumentException.class, () -> full.addCard(Card.builder(h.bob)
        .validity(CardTest.CREATED, CardTest.EXPIRES).issue(TestRandom.deterministic(new byte[] {'k', 99}))), "17 cards");
    byte[] state = full.serialize();
    Responder restored = Responder.restore(h.bob, state);
    assertArrayEquals(state, restored.serialize());
    assertEquals(full.snapshot(), restored.snapshot());
  }

  @Test
  void aCardIndexThatNamesNoCardIsInvalid() {
    for (int index : new int[] {1, 16, 255}) {
      State bundle = fixtureState(null);
      bundle.bundles.set(0, new Held(index, h.bundle, spk, seed, List.of()));
      assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(bundle), "bundle card_index " + index);
      State record = fixtureState(null);
      record.records.set(1, new HeldRecord(index, h.oneTime.get(1), opk2));
      assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(record), "one-time card_index " + index);
    }
    State none = fixtureState(null);
    none.cards.clear();
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(none), "card_index 0 without cards");
  }

  @Test
  void repeatedCardsIdsAndReplayEntriesAreInvalid() throws SottoException {
    State twoCards = fixtureState(null);
    twoCards.cards.add(h.bobsCard.encoded());
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(twoCards), "one invite tag twice");

    State twoBundles = fixtureState(null);
    twoBundles.bundles.add(new Held(0, h.bundle, spk, seed, List.of()));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(twoBundles), "a bundle twice");

    State twoRecords = fixtureState(null);
    twoRecords.records.add(new HeldRecord(0, h.oneTime.get(0), opk1));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(twoRecords), "a one-time prekey twice");

    // Another responder of Bob's gives the same ids to other keys: a one-time prekey with id 0
    // (the bundle's signed prekey id here), one with id 1 (its ML-KEM prekey id), and a bundle with ids 2, 3.
    Responder other = new Responder(h.bob);
    other.addCard(h.bobsCard);
    RandomSource random = TestRandom.deterministic(new byte[] {'o'});
    RandomSource replayed = TestRandom.deterministic(new byte[] {'o'});
    List<OneTimePrekey> clash = other.issueOneTimePrekeys(h.bobsCard, HandshakeTest.PREKEYS_EXPIRE, 1, 1, random);
    byte[] clashX = replayed.bytes(32);
    byte[] clashKem = replayed.bytes(64);
    PrekeyBundle clashBundle = other.issueBundle(h.bobsCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE,
        random);
    byte[] clashSpk = replayed.bytes(32);
    byte[] clashSeed = replayed.bytes(64);
    assertEquals(List.of(0L, 1L, 2L, 3L), List.of(clash.get(0).prekey().id(), clash.get(1).prekey().id(),
        clashBundle.signedPrekey().id(), clashBundle.kemPrekey().id()));
    // Each restores where it clashes with nothing (so the keys are right).
    State alone = new State();
    alone.cards.add(h.bobsCard.encoded());
    alone.bundles.add(new Held(0, clashBundle, clashSpk, clashSeed, List.of()));
    alone.records.add(new HeldRecord(0, clash.get(0), clashX));
    alone.records.add(new HeldRecord(0, clash.get(1), clashKem));
    Responder.restore(h.bob, alone.encode());

    State spkId = fixtureState(null);
    spkId.records.add(new HeldRecord(0, clash.get(0), clashX));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(spkId), "a one-time id equal to a signed prekey id");
    State kemId = fixtureState(null);
    kemId.records.add(new HeldRecord(0, clash.get(1), clashKem));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(kemId), "a one-time id equal to an ML-KEM prekey id");
    State bundleIds = fixtureState(null);
    bundleIds.records.clear();
    bundleIds.bundles.add(new Held(0, clashBundle, clashSpk, clashSeed, List.of()));
    bundleIds.records.add(new HeldRecord(0, h.oneTime.get(0), opk1));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(bundleIds), "a one-time id equal to another bundle's");
    State twoBundleIds = new State();
    twoBundleIds.cards.add(h.bobsCard.encoded());
    twoBundleIds.bundles.add(new Held(0, clashBundle, clashSpk, clashSeed, List.of()));
    // The fixture bundle's keys, signed by Bob under ids 2 and 9: 2 clashes with clashBundle's.
    PrekeyBundle resigned = PrekeyBundle.issue(h.bob, h.bobsCard, 7, HandshakeTest.CREATED.getEpochSecond(),
        HandshakeTest.PREKEYS_EXPIRE.getEpochSecond(), new Prekey(2, h.bundle.signedPrekey().publicKey()),
        new Prekey(9, h.bundle.kemPrekey().publicKey()));
    State resignedAlone = new State();
    resignedAlone.cards.add(h.bobsCard.encoded());
    resignedAlone.bundles.add(new Held(0, resigned, spk, seed, List.of()));
    Responder.restore(h.bob, resignedAlone.encode());
    twoBundleIds.bundles.add(new Held(0, resigned, spk, seed, List.of()));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(twoBundleIds), "two bundles sharing an id");

    WithEntry w = fixtureWithEntry();
    State twice = fixtureState(null);
    twice.bundles.set(0, new Held(0, h.bundle, spk, seed, List.of(w.entry(), w.entry())));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(twice), "a replay entry twice");
  }

  @Test
  void aPrivateKeyThatIsNotItsPublicKeysIsInvalid() {
    byte[] badSpk = spk.clone();
    badSpk[5] ^= 0x40; // not a bit that clamping clears
    State s1 = fixtureState(null);
    s1.bundles.set(0, new Held(0, h.bundle, badSpk, seed, List.of()));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(s1), "spk_private");
    byte[] badSeed = seed.clone();
    badSeed[5] ^= 1; // in d: the seed's second half (z, the implicit-rejection value) is not in the public key
    State s2 = fixtureState(null);
    s2.bundles.set(0, new Held(0, h.bundle, spk, badSeed, List.of()));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(s2), "pqspk_seed");
    State s3 = fixtureState(null);
    s3.records.set(0, new HeldRecord(0, h.oneTime.get(0), opk2));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(s3), "another one-time prekey's private key");
    byte[] badKem = kemOpk.clone();
    badKem[0] ^= 1;
    State s4 = fixtureState(null);
    s4.records.set(2, new HeldRecord(0, h.oneTime.get(2), badKem));
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(s4), "an ML-KEM one-time seed");
    State s5 = fixtureState(null);
    s5.records.set(2, new HeldRecord(0, h.oneTime.get(2), Arrays.copyOf(kemOpk, 32)));
    assertEquals(ErrorCode.TRUNCATED, restoreFails(s5), "a 32-byte secret for an ML-KEM record");
  }

  @Test
  void theCardsBundlesAndRecordsOwnErrors() throws SottoException {
    assertEquals(ErrorCode.IDENTITY_MISMATCH,
        assertThrows(SottoException.class, () -> Responder.restore(h.alice, h.responder().serialize())).code());
    State alicesCard = new State();
    alicesCard.cards.add(CardTest.issue("alice").encoded());
    assertEquals(ErrorCode.IDENTITY_MISMATCH, restoreFails(alicesCard), "a card of another identity");

    byte[] card = h.bobsCard.encoded();
    card[card.length - 1] ^= 1;
    State badCard = fixtureState(null);
    badCard.cards.set(0, card);
    assertEquals(ErrorCode.BAD_SIGNATURE, restoreFails(badCard));
    byte[] v1 = h.bobsCard.encoded();
    v1[0] = 1;
    State oldCard = fixtureState(null);
    oldCard.cards.set(0, v1);
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, restoreFails(oldCard));
    State longCard = fixtureState(null);
    longCard.cards.set(0, Arrays.copyOf(h.bobsCard.encoded(), h.bobsCard.encoded().length + 1));
    assertEquals(ErrorCode.TRAILING_DATA, restoreFails(longCard));

    byte[] state = fixtureState(null).encode();
    int bundleAt = 15 + 1 + 2 + h.bobsCard.encoded().length + 1 + 1;
    byte[] badBundle = state.clone();
    badBundle[bundleAt + PrekeyBundle.LENGTH - 1] ^= 1;
    assertEquals(ErrorCode.BAD_SIGNATURE, restoreFails(badBundle), "a bundle's signature");
    byte[] oldBundle = state.clone();
    oldBundle[bundleAt] = 1;
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, restoreFails(oldBundle), "a bundle's version");

    // A bundle of Bob's other card, listed under the first: it does not verify under that card.
    Card second = Card.builder(h.bob).validity(CardTest.CREATED, CardTest.EXPIRES)
        .issue(TestRandom.deterministic(new byte[] {'2'}));
    State mixed = fixtureState(null);
    mixed.cards.add(second.encoded());
    mixed.bundles.set(0, new Held(1, h.bundle, spk, seed, List.of()));
    assertEquals(ErrorCode.BAD_SIGNATURE, restoreFails(mixed), "a bundle under another card");
    State mixedRecord = fixtureState(null);
    mixedRecord.cards.add(second.encoded());
    mixedRecord.records.set(0, new HeldRecord(1, h.oneTime.get(0), opk1));
    assertEquals(ErrorCode.BAD_SIGNATURE, restoreFails(mixedRecord), "a one-time prekey under another card");

    int recordAt = state.length - (1 + 2 + OneTimePrekey.ML_KEM_LENGTH + 64);
    byte[] badRecord = state.clone();
    badRecord[recordAt + 3 + OneTimePrekey.ML_KEM_LENGTH - 1] ^= 1;
    assertEquals(ErrorCode.BAD_SIGNATURE, restoreFails(badRecord), "a one-time prekey's signature");
    byte[] badType = state.clone();
    badType[recordAt + 3 + 1 + 2 + 8 + 4] = 0x01;
    assertEquals(ErrorCode.INVALID_ENCODING, restoreFails(badType), "a one-time prekey's key type");
    byte[] shortRecord = state.clone();
    shortRecord[recordAt + 2] -= 1; // record_length one short: the record is cut
    assertEquals(ErrorCode.TRUNCATED, restoreFails(shortRecord), "record_length too small");
  }

  @Test
  void timeIsNotCheckedOnRestoreButTheNextCallExpires() throws SottoException {
    // Everything in the state expired long ago: it restores, and the first call given now deletes it.
    byte[] state = h.responder().serialize();
    Responder restored = Responder.restore(h.bob, state);
    java.time.Instant late = CardTest.EXPIRES.plus(Responder.FIRST_CONTACT_WINDOW).plus(Duration.ofDays(1));
    assertEquals(ErrorCode.TRUNCATED, assertThrows(SottoException.class, () -> restored.accept(new byte[0], late)).code());
    assertEquals(0, restored.snapshot().cards().size());
    assertEquals(new Responder(h.bob).serialize().length, restored.serialize().length);
  }
}
