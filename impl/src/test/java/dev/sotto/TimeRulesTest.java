package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The first message's time (design r2-prekeys section 6, step 3): EXPIRED when it is at or after
 * the expiry of the card or of any prekey used, {@link Responder#FIRST_CONTACT_WINDOW} or more
 * before the responder's clock, or more than {@link Responder#MAX_CLOCK_SKEW} after it; each
 * boundary exactly, and a refusal changes nothing.
 *
 * <p>The initiator refuses to make a message with expired prekeys, so messages with any time are
 * made here by the handshake's computation itself, from Alice's real keys: they are authentic, and
 * only the time is wrong.
 */
class TimeRulesTest {
  static final long W = Responder.FIRST_CONTACT_WINDOW.getSeconds();
  static final long SKEW = Responder.MAX_CLOCK_SKEW.getSeconds();
  final HandshakeTest h = new HandshakeTest();

  /** Alice's first message with these prekeys and this time, as {@link Initiator#start} makes it. */
  byte[] message(Prekeys p, long time, int seed) throws SottoException {
    RandomSource random = TestRandom.deterministic(new byte[] {'m', (byte) seed, (byte) (seed >> 8)});
    byte[] ek = random.bytes(32);
    byte[] m = random.bytes(32);
    OneTimePrekey opk = p.oneTimePrekey().orElse(null);
    OneTimePrekey kemOneTime = p.kemOneTimePrekey().orElse(null);
    Prekey kem = kemOneTime == null ? p.bundle().kemPrekey() : kemOneTime.prekey();
    HandshakeCore.Prekeys used = new HandshakeCore.Prekeys(p.bundle().signedPrekey().id(),
        p.bundle().signedPrekey().publicKey(), kem.id(), kem.publicKey(), opk == null ? FirstMessage.NONE : opk.prekey().id(),
        opk == null ? null : opk.prekey().publicKey());
    HandshakeCore.Trace t = HandshakeCore.initiate(h.alice.publicIdentity(), h.alice::agree, p.card().identity(),
        p.card().inviteTag(), time, used, kemOneTime != null, ek, m, h.hello);
    return new FirstMessage(HandshakeCore.flags(used, kemOneTime != null), time, used.spkId(), used.kemId(), used.opkId(),
        t.ephemeralPublic(), t.kemCiphertext(), t.encryptedIdentity(), t.sealedPayload()).encode();
  }

  /** Accepted at {@code now}: the payload is Alice's. */
  static void accepted(Responder r, byte[] message, long now) throws SottoException {
    assertArrayEquals("hello, Bob".getBytes(), r.accept(message, Instant.ofEpochSecond(now)).payload());
  }

  /** Refused at {@code now} with {@code code}, and nothing changed (what expired at now goes first). */
  static void refused(ErrorCode code, Responder r, byte[] message, long now, String what) {
    Instant at = Instant.ofEpochSecond(now);
    r.expire(at);
    Responder.Snapshot snapshot = r.snapshot();
    byte[] state = r.serialize();
    assertEquals(code, assertThrows(SottoException.class, () -> r.accept(message, at), what).code(), what);
    HandshakeTest.assertUnchanged(r, snapshot, state, what);
  }

  @Test
  void theTestsMessagesAreTheInitiatorsMessages() throws SottoException {
    Prekeys p = h.prekeys(HandshakeTest.OPK_1, HandshakeTest.KEM_OPK);
    byte[] made = message(p, HandshakeTest.NOW.getEpochSecond(), 1);
    assertArrayEquals(Initiator.to(h.alice, p).start(HandshakeTest.NOW, h.hello,
        TestRandom.deterministic(new byte[] {'m', 1, 0})).message(), made);
  }

  @Test
  void aTimeAtOrAfterThePrekeysExpiryIsExpired() throws SottoException {
    long bundleExpires = h.bundle.expires().getEpochSecond();
    Responder r = h.responder();
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), bundleExpires, 1), bundleExpires, "at the bundle's expiry");
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), bundleExpires + 100, 2), bundleExpires + 100,
        "after the bundle's expiry");
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), bundleExpires, 3), bundleExpires + 3600,
        "at the bundle's expiry, received later");
    accepted(r, message(h.prekeys(null, null), bundleExpires - 1, 4), bundleExpires - 1);
    accepted(r, message(h.prekeys(null, null), bundleExpires - 1, 5), bundleExpires - 1 + W - 1);
  }

  @Test
  void eachOneTimePrekeysOwnExpiryCounts() throws SottoException {
    // One-time prekeys that expire a day before the bundle.
    Responder r = h.responder();
    long early = h.bundle.expires().getEpochSecond() - 86_400;
    List<OneTimePrekey> records = r.issueOneTimePrekeys(h.bobsCard, Instant.ofEpochSecond(early), 2, 2,
        TestRandom.deterministic(new byte[] {'x'}));
    OneTimePrekey x1 = records.get(0);
    OneTimePrekey x2 = records.get(1);
    OneTimePrekey k1 = records.get(2);
    OneTimePrekey k2 = records.get(3);
    refused(ErrorCode.EXPIRED, r, message(Prekeys.of(h.bundle, x1, null), early, 1), early, "an X25519 one-time prekey");
    refused(ErrorCode.EXPIRED, r, message(Prekeys.of(h.bundle, null, k1), early, 2), early, "an ML-KEM one-time prekey");
    refused(ErrorCode.EXPIRED, r, message(Prekeys.of(h.bundle, x1, k1), early, 3), early, "both");
    // One expired, the other not: still EXPIRED (the latest-expiring is no rescue).
    refused(ErrorCode.EXPIRED, r, message(Prekeys.of(h.bundle, h.record(HandshakeTest.OPK_1), k1), early, 4), early,
        "the ML-KEM one expired");
    refused(ErrorCode.EXPIRED, r, message(Prekeys.of(h.bundle, x1, h.record(HandshakeTest.KEM_OPK)), early, 5), early,
        "the X25519 one expired");
    assertEquals(List.of(x1, x2, k1, k2), r.oneTimePrekeys(h.bobsCard).subList(3, 7), "none was used up");
    accepted(r, message(Prekeys.of(h.bundle, x1, k1), early - 1, 6), early - 1);
    accepted(r, message(Prekeys.of(h.bundle, x2, null), early - 1, 7), early + 100);
    accepted(r, message(Prekeys.of(h.bundle, null, k2), early - 1, 8), early + W - 2);
  }

  @Test
  void aTimeAtOrAfterTheCardsExpiryIsExpired() throws SottoException {
    // A bundle that outlives its card: the card's expiry counts too.
    Card card = Card.builder(h.bob).validity(CardTest.CREATED, CardTest.CREATED.plus(Duration.ofDays(1)))
        .issue(TestRandom.deterministic(new byte[] {'s'}));
    Responder r = new Responder(h.bob);
    r.addCard(card);
    PrekeyBundle bundle = r.issueBundle(card, CardTest.CREATED, CardTest.CREATED.plus(Duration.ofDays(3)),
        TestRandom.deterministic(new byte[] {'t'}));
    long cardExpires = card.expires().getEpochSecond();
    refused(ErrorCode.EXPIRED, r, message(Prekeys.of(bundle), cardExpires, 1), cardExpires, "at the card's expiry");
    accepted(r, message(Prekeys.of(bundle), cardExpires - 1, 2), cardExpires - 1);
  }

  @Test
  void theWindowBoundary() throws SottoException {
    // The bundle is valid from CREATED for 3 days and held until 7 days after; now is 4 days 2 hours in.
    long now = CardTest.CREATED.getEpochSecond() + W + 7200;
    Responder r = h.responder();
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), now - W, 1), now, "window");
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), now - W - 1, 2), now, "window + 1 s");
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(HandshakeTest.OPK_1, null), now - W, 3), now,
        "window, with a one-time prekey");
    accepted(r, message(h.prekeys(null, null), now - W + 1, 4), now);
    accepted(r, message(h.prekeys(HandshakeTest.OPK_1, null), now - W + 1, 5), now);
  }

  @Test
  void theClockSkewBoundary() throws SottoException {
    long now = HandshakeTest.NOW.getEpochSecond();
    Responder r = h.responder();
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), now + SKEW + 1, 1), now, "skew + 1 s");
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), now + 86_400, 2), now, "a day ahead");
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, HandshakeTest.KEM_OPK), now + SKEW + 1, 3), now,
        "skew + 1 s, with a one-time prekey");
    accepted(r, message(h.prekeys(null, null), now + SKEW, 4), now);
    accepted(r, message(h.prekeys(null, HandshakeTest.KEM_OPK), now + SKEW, 5), now);
    assertEquals(600, SKEW);
    assertEquals(345_600, W);
  }

  @Test
  void theTimeIsBoundSoAnOldMessageCannotBeMadeYoung() throws SottoException {
    // A bundle valid 7 days (the longest recommended), so that its prekeys outlive the window.
    Responder r = h.responder();
    PrekeyBundle week = r.issueBundle(h.bobsCard, CardTest.CREATED, CardTest.CREATED.plus(Duration.ofDays(7)),
        TestRandom.deterministic(new byte[] {'w'}));
    long made = HandshakeTest.NOW.getEpochSecond();
    byte[] old = message(Prekeys.of(week), made, 1);
    long now = made + W;
    refused(ErrorCode.EXPIRED, r, old, now, "too old");
    byte[] younger = old.clone();
    writeTime(younger, now);
    refused(ErrorCode.AUTH_FAILED, r, younger, now, "the time rewritten");
    for (long delta : new long[] {-1, 1, SKEW}) {
      byte[] shifted = message(Prekeys.of(week), made, 2);
      writeTime(shifted, made + delta);
      refused(ErrorCode.AUTH_FAILED, r, shifted, made, "time moved by " + delta);
    }
    // With the 3-day bundle, the rewritten time is after the prekeys' expiry: refused before decryption.
    byte[] short3 = message(h.prekeys(null, null), made, 3);
    writeTime(short3, now);
    refused(ErrorCode.EXPIRED, r, short3, now, "rewritten past the bundle's expiry");
    accepted(r, message(Prekeys.of(week), made, 2), made);
  }

  @Test
  void aTimeAfterTheLargestIsInvalid() throws SottoException {
    Responder r = h.responder();
    byte[] m = message(h.prekeys(null, null), HandshakeTest.NOW.getEpochSecond(), 1);
    writeTime(m, Card.MAX_TIME + 1);
    refused(ErrorCode.INVALID_ENCODING, r, m, HandshakeTest.NOW.getEpochSecond(), "after 9999");
    writeTime(m, Long.MIN_VALUE);
    refused(ErrorCode.INVALID_ENCODING, r, m, HandshakeTest.NOW.getEpochSecond(), "2^63");
  }

  @Test
  void theStepsComeInOrder() throws SottoException {
    long now = HandshakeTest.NOW.getEpochSecond();
    Responder r = h.responder(new Responder(h.bob, 1));
    accepted(r, message(h.prekeys(null, null), now, 1), now);
    // Prekeys (step 2) before time (step 3): an unknown prekey with a bad time is unknown.
    byte[] unknown = message(h.prekeys(null, null), now + 86_400, 2);
    unknown[1 + 2 + 1 + 8 + 3] = 7;
    refused(ErrorCode.UNKNOWN_PREKEY, r, unknown, now, "unknown before expired");
    // Time (step 3) before replay (step 4): a full cache and a message ahead of the clock.
    refused(ErrorCode.EXPIRED, r, message(h.prekeys(null, null), now + SKEW + 1, 3), now, "expired before full");
    refused(ErrorCode.LIMIT_EXCEEDED, r, message(h.prekeys(null, null), now, 4), now, "full");
    refused(ErrorCode.REPLAY, r, message(h.prekeys(null, null), now, 1), now, "replay before full");
    // Time before decryption: a tampered payload with a bad time is expired.
    byte[] tampered = message(h.prekeys(HandshakeTest.OPK_1, null), now + SKEW + 1, 5);
    tampered[tampered.length - 1] ^= 1;
    refused(ErrorCode.EXPIRED, r, tampered, now, "expired before authentication");
  }

  private static void writeTime(byte[] message, long time) {
    for (int i = 0; i < 8; i++) {
      message[4 + i] = (byte) (time >>> (56 - 8 * i));
    }
  }
}
