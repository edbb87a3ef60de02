package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.envelope.Content;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.testing.TestRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionTest {
  final HandshakeTest h = new HandshakeTest();
  final RandomSource random = TestRandom.deterministic(new byte[] {'s'});

  record Pair(Session alice, Session bob) {}

  Pair start(byte[] first) throws SottoException {
    Responder responder = h.responder();
    Session.Started started = Session.initiate(h.alice, h.prekeys(HandshakeTest.OPK_1, HandshakeTest.KEM_OPK), HandshakeTest.NOW, first, random);
    Session bob = null;
    Optional<byte[]> got = Optional.empty();
    for (Envelope e : started.envelopes()) {
      if (bob == null) {
        Session.Accepted accepted = Session.accept(responder, e.encoded(), HandshakeTest.NOW, random);
        bob = accepted.session();
        got = accepted.payload();
      } else {
        got = bob.open(e.encoded(), random);
      }
    }
    assertArrayEquals(first, got.orElseThrow());
    return new Pair(started.session(), bob);
  }

  @Test
  void wholeStackRoundTripsEverySizeAndEnvelopesComeInBuckets() throws SottoException {
    Pair p = start("hi Bob".getBytes());
    for (int size : new int[] {0, 1, 100, 915, 916, 3987, 3988, 16275, 16276, 65427, 65428, 200_000}) {
      byte[] payload = random.bytes(size);
      List<Envelope> envelopes = p.bob().seal(payload, random);
      Optional<byte[]> got = Optional.empty();
      for (Envelope e : envelopes) {
        assertTrue(Envelope.BUCKETS.contains(e.length()), "size " + e.length());
        got = p.alice().open(e.encoded(), random);
      }
      assertArrayEquals(payload, got.orElseThrow(), "payload of " + size + " bytes");
    }
    assertEquals(1024, p.alice().seal(new byte[915], random).get(0).length());
    assertEquals(4096, p.alice().seal(new byte[916], random).get(0).length());
  }

  /** Session.tags() remembers the tags it computed: the same set as from the state alone, at every step. */
  @Test
  void rememberedTagsAreTheTagsOfTheState() throws SottoException {
    Pair p = start("hi Bob".getBytes());
    java.util.function.Function<Session, List<String>> fresh = s -> {
      try {
        return Session.restore(s.serialize()).tags().stream().map(java.util.HexFormat.of()::formatHex).toList();
      } catch (SottoException e) {
        throw new AssertionError(e);
      }
    };
    java.util.function.Function<Session, List<String>> kept =
        s -> s.tags().stream().map(java.util.HexFormat.of()::formatHex).toList();
    for (int round = 0; round < 6; round++) {
      List<Envelope> held = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) {
        held.addAll(p.bob().seal(new byte[] {(byte) i}, random));
      }
      // out of order: skipped keys come and go as well as the window moving on
      for (int i : new int[] {1, 0, 4, 2, 3}) {
        p.alice().open(held.get(i).encoded(), random);
        assertEquals(fresh.apply(p.alice()), kept.apply(p.alice()), "round " + round + ", message " + i);
      }
      p.bob().open(p.alice().seal(new byte[] {9}, random).get(0).encoded(), random); // a new chain each round
      assertEquals(fresh.apply(p.bob()), kept.apply(p.bob()));
    }
  }

  @Test
  void aLargeFirstPayloadIsChunkedBehindTheFirstContact() throws SottoException {
    byte[] big = random.bytes(300_000);
    Pair p = start(big);
    assertArrayEquals("ok".getBytes(), p.alice().open(p.bob().seal("ok".getBytes(), random).get(0).encoded(), random)
        .orElseThrow());
  }

  @Test
  void rejectedEnvelopesLeaveTheSessionUnchanged() throws SottoException {
    Pair p = start(new byte[0]);
    byte[] good = p.bob().seal("secret".getBytes(), random).get(0).encoded();
    byte[] before = p.alice().serialize();
    for (int i = 0; i < good.length; i += 13) {
      byte[] bad = good.clone();
      bad[i] ^= 0x20;
      SottoException e = assertThrows(SottoException.class, () -> p.alice().open(bad, random));
      assertTrue(i == 0 ? e.code() == ErrorCode.UNSUPPORTED_VERSION
          : i < Envelope.HEADER_LENGTH ? e.code() == ErrorCode.UNKNOWN_TAG : true, i + ": " + e.code());
      assertArrayEquals(before, p.alice().serialize());
    }
    assertArrayEquals("secret".getBytes(), p.alice().open(good, random).orElseThrow());
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class, () -> p.alice().open(good, random)).code());
  }

  @Test
  void restoredSessionsContinue() throws SottoException {
    Pair p = start("x".getBytes());
    List<Envelope> chunks = p.bob().seal(random.bytes(150_000), random);
    p.alice().open(chunks.get(0).encoded(), random);
    Session restored = Session.restore(p.alice().serialize());
    assertArrayEquals(p.alice().serialize(), restored.serialize());
    restored.open(chunks.get(2).encoded(), random);
    assertTrue(restored.open(chunks.get(1).encoded(), random).isPresent());
  }

  /** Authentic envelopes from one side carrying any content: what a hostile peer can send. */
  final class Forger {
    final RatchetState state;

    Forger(Session from) throws SottoException {
      state = RatchetState.parse(from.ratchetState(InsecureSecretAccess.get()));
    }

    byte[] envelope(byte[] padded) throws SottoException {
      DoubleRatchet.Sent sent = DoubleRatchet.encrypt(state, padded, random);
      return Envelope.of(sent.tag(), sent.message()).encoded();
    }
  }

  @Test
  void noErrorTextCarriesAValueThatWasDecrypted() throws SottoException {
    Pair p = start("hi".getBytes());
    int size = 1024 - 104;
    Forger alice = new Forger(p.alice());
    // Distinctive values inside the encryption: a payload id, a chunk count and index, a length.
    byte[] first = alice.envelope(Content.chunk(731_337L, 171, 213, new byte[7]).encode(size));
    p.bob().open(first, random);
    byte[] again = alice.envelope(Content.chunk(731_337L, 171, 213, new byte[7]).encode(size));
    byte[] conflicting = alice.envelope(Content.chunk(731_337L, 172, 214, new byte[7]).encode(size));
    byte[] badPadding = Content.whole(new byte[5]).encode(size);
    badPadding[size - 1] = 1;
    byte[] padded = alice.envelope(badPadding);
    byte[] badKind = new byte[size];
    badKind[0] = 0x77;
    byte[] kind = alice.envelope(badKind);
    List<byte[]> envelopes = List.of(again, conflicting, padded, kind);
    List<ErrorCode> codes = List.of(ErrorCode.INVALID_ENCODING, ErrorCode.INVALID_ENCODING,
        ErrorCode.INVALID_ENCODING, ErrorCode.INVALID_ENCODING);
    for (int i = 0; i < envelopes.size(); i++) {
      byte[] envelope = envelopes.get(i);
      SottoException e = assertThrows(SottoException.class, () -> p.bob().open(envelope, random));
      assertEquals(codes.get(i), e.code(), e.getMessage());
      for (String value : List.of("731337", "171", "172", "213", "214", "119", "0x77")) {
        assertTrue(!e.getMessage().contains(value), e.getMessage() + " carries " + value);
      }
    }
  }

  @Test
  void pendingChunksAreBoundedInBytes() throws SottoException {
    Pair p = start("hi".getBytes());
    int chunk = 65536 - 104 - Content.CHUNK_OVERHEAD;
    byte[] one = random.bytes(200 * chunk);
    byte[] two = random.bytes(200 * chunk);
    List<Envelope> first = p.bob().seal(one, random);
    List<Envelope> second = p.bob().seal(two, random);
    for (int i = 0; i < first.size() - 1; i++) {
      assertTrue(p.alice().open(first.get(i).encoded(), random).isEmpty());
    }
    for (int i = 0; i < second.size() - 1; i++) {
      assertTrue(p.alice().open(second.get(i).encoded(), random).isEmpty());
    }
    // 398 chunks of 65,419 bytes were given; at most 2^24 bytes are held: the older payload went.
    assertTrue(p.alice().serialize().length < Session.MAX_PENDING_BYTES + 65536, "the bound holds");
    assertTrue(Session.restore(p.alice().serialize()) != null);
    assertTrue(p.alice().open(first.get(first.size() - 1).encoded(), random).isEmpty(), "the first was evicted");
    assertArrayEquals(two, p.alice().open(second.get(second.size() - 1).encoded(), random).orElseThrow());
  }

  /** The card, bundle and one-time prekeys as a mailbox serves them, read back, then the responder's time rules. */
  @Test
  void firstContactsFromServedPrekeysAndTheResponderOverTime() throws SottoException {
    Responder responder = h.responder();
    java.time.Instant now = HandshakeTest.NOW;
    Card card = Card.parseText(h.bobsCard.text(), now, h.bob.publicIdentity());
    Prekeys served = Prekeys.of(PrekeyBundle.parse(h.bundle.encoded(), card, now),
        OneTimePrekey.parse(h.record(HandshakeTest.OPK_1).encoded(), card, now),
        OneTimePrekey.parse(h.record(HandshakeTest.KEM_OPK).encoded(), card, now));
    Session.Started started = Session.initiate(h.alice, served, now, new byte[] {1, 2, 3}, random);
    Session.Accepted accepted = Session.accept(responder, started.envelopes().get(0).encoded(), now.plusSeconds(60),
        random);
    assertArrayEquals(new byte[] {1, 2, 3}, accepted.payload().orElseThrow());
    assertEquals(h.alice.publicIdentity(), accepted.session().peer());

    Session.Started plain = Session.initiate(h.alice, Prekeys.of(h.bundle), now, new byte[] {4}, random);
    byte[] envelope = plain.envelopes().get(0).encoded();
    Session.accept(responder, envelope, now.plusSeconds(60), random);
    byte[] state = responder.serialize();
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class,
        () -> Session.accept(responder, envelope, now.plusSeconds(61), random)).code());
    assertArrayEquals(state, responder.serialize());
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Session.accept(responder, envelope, now.plus(Responder.FIRST_CONTACT_WINDOW), random)).code());
    assertArrayEquals(state, Responder.restore(h.bob, state).serialize());
    responder.expire(HandshakeTest.PREKEYS_EXPIRE.plus(Responder.FIRST_CONTACT_WINDOW));
    assertEquals(0, responder.snapshot().bundles().size());
    assertEquals(0, responder.snapshot().oneTimePrekeys().size());
    assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class, () -> Session.accept(responder, envelope,
        HandshakeTest.PREKEYS_EXPIRE.plus(Responder.FIRST_CONTACT_WINDOW), random)).code());
  }

  @Test
  void aFirstContactForAnotherCardOfTheSameOwnerIsUnknown() throws SottoException {
    // Bob holds two cards; a first message made for the bundle of one, sent under the other's invite tag.
    Responder responder = h.responder();
    Card second = Card.builder(h.bob).validity(CardTest.CREATED, CardTest.EXPIRES)
        .issue(TestRandom.deterministic(new byte[] {'2'}));
    responder.addCard(second);
    Session.Started started = Session.initiate(h.alice, Prekeys.of(h.bundle), HandshakeTest.NOW, new byte[0], random);
    byte[] wrongTag = Envelope.of(second.inviteTag(), started.envelopes().get(0).body()).encoded();
    byte[] state = responder.serialize();
    assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class,
        () -> Session.accept(responder, wrongTag, HandshakeTest.NOW, random)).code());
    byte[] noCard = Envelope.of(new byte[16], started.envelopes().get(0).body()).encoded();
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
        () -> Session.accept(responder, noCard, HandshakeTest.NOW, random)).code());
    assertArrayEquals(state, responder.serialize());
    Session.accept(responder, started.envelopes().get(0).encoded(), HandshakeTest.NOW, random);
  }
}
