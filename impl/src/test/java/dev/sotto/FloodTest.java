package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A flood of valid first contacts without one-time prekeys over more than a whole replay window
 * (design r2-prekeys section 6), on a simulated clock, with honest first contacts in the middle of
 * it: the honest ones all get through, every replayed flood message is refused (REPLAY inside the
 * window, EXPIRED after it, UNKNOWN_PREKEY once its bundle is gone), and the responder's state
 * stays under the bound its limits give.
 *
 * <p>The owner does what the reference node does, with a small replay cache (64 entries, so that
 * the test is cheap): it issues a new bundle, valid 3 days, when the newest one's replay cache
 * holds half the limit, and at least every 24 hours. Honest initiators and the flood both fetch the
 * newest bundle (what the mailbox serves). No one-time prekeys: the replay cache is the only guard.
 */
class FloodTest {
  static final int LIMIT = 64;
  static final long W = Responder.FIRST_CONTACT_WINDOW.getSeconds();
  static final long HOUR = 3600;
  static final long DAY = 86_400;
  static final Duration BUNDLE_VALIDITY = Duration.ofDays(3);
  /** Flood messages per simulated hour, all within its first minute (one every 3 seconds). */
  static final int BURST = 12;
  static final long FLOOD_HOURS = (W + DAY) / HOUR; // 120: the window and a day

  final Identity bob = CardTest.identity("bob");
  final Identity alice = CardTest.identity("alice");
  final long t0 = CardTest.CREATED.getEpochSecond();
  final Card card = Card.builder(bob).validity(CardTest.CREATED, CardTest.CREATED.plus(Duration.ofDays(365)))
      .issue(TestRandom.deterministic(new byte[] {'c'}));
  final Responder responder = new Responder(bob, LIMIT);
  final RandomSource ownersRandom = TestRandom.deterministic(new byte[] {'o'});
  final RandomSource floodRandom = TestRandom.deterministic(new byte[] {'f'});
  final RandomSource honestRandom = TestRandom.deterministic(new byte[] {'h'});
  PrekeyBundle newest;
  final Set<Long> floodBundles = new HashSet<>();
  int rotations;
  int withdrawnWhileValid;

  /**
   * The bound on the serialised state, from the limits (design section 7): header 15 bytes, one
   * card, at most {@link Responder#MAX_BUNDLES} bundles each with its keys and a full replay cache
   * (40 bytes an entry), no one-time prekeys.
   */
  final int bound = 1 + 2 + 4 + 8
      + 1 + 2 + card.encoded().length
      + 1 + Responder.MAX_BUNDLES * (1 + PrekeyBundle.LENGTH + 32 + 64 + 2 + LIMIT * 40)
      + 2;

  /** One flood message kept to be replayed later. */
  record Sample(byte[] message, long time, long spkId) {}

  final List<Sample> samples = new ArrayList<>();
  final Map<ErrorCode, Integer> replayOutcomes = new EnumMap<>(ErrorCode.class);
  int honest;
  int flood;
  int largestState;

  /** What the owner does after every call: a new bundle at half the replay limit, or after 24 hours. */
  void ownerMaintains(long now) {
    if (responder.replayEntries(newest.signedPrekey().id()) >= LIMIT / 2
        || now - newest.created().getEpochSecond() >= DAY) {
      int held = responder.snapshot().bundles().size();
      PrekeyBundle oldest = responder.bundles(card).get(0);
      newest = responder.issueBundle(card, Instant.ofEpochSecond(now),
          Instant.ofEpochSecond(now).plus(BUNDLE_VALIDITY), ownersRandom);
      rotations++;
      if (held == Responder.MAX_BUNDLES && oldest.expires().getEpochSecond() > now) {
        withdrawnWhileValid++;
      }
      checkBound();
    }
  }

  void checkBound() {
    int size = responder.serialize().length;
    largestState = Math.max(largestState, size);
    assertTrue(size <= bound, size + " bytes of state, above the bound of " + bound);
    Responder.Snapshot s = responder.snapshot();
    assertTrue(s.bundles().size() <= Responder.MAX_BUNDLES);
    s.bundles().forEach(b -> assertTrue(b.replayCache().size() <= LIMIT));
  }

  /** A flood message from a new identity, to the newest bundle, accepted at once. */
  void floodOnce(long now, int index) throws SottoException {
    Identity throwaway = Identity.fromSeed(IdentitySeed.generate(floodRandom));
    PrekeyBundle served = PrekeyBundle.parse(newest.encoded(), card, Instant.ofEpochSecond(now));
    byte[] message = Initiator.to(throwaway, Prekeys.of(served)).start(Instant.ofEpochSecond(now), new byte[] {1},
        floodRandom).message();
    responder.accept(message, Instant.ofEpochSecond(now)); // valid: accepted (the newest bundle has room)
    flood++;
    floodBundles.add(served.signedPrekey().id());
    if (index % 10 == 0) {
      samples.add(new Sample(message, now, served.signedPrekey().id()));
    }
    ownerMaintains(now);
  }

  /** An honest first contact: fetches the newest bundle at {@code fetched}, delivered at {@code delivered}. */
  final class Honest {
    final Session.Started started;
    final byte[] text;

    Honest(long fetched) throws SottoException {
      Instant at = Instant.ofEpochSecond(fetched);
      Card read = Card.parseText(card.text(), at, bob.publicIdentity());
      PrekeyBundle served = PrekeyBundle.parse(newest.encoded(), read, at);
      text = ("honest " + fetched).getBytes(StandardCharsets.UTF_8);
      started = Session.initiate(alice, Prekeys.of(served), at, text, honestRandom);
    }

    void deliver(long delivered) throws SottoException {
      Session.Accepted accepted = Session.accept(responder, started.envelopes().get(0).encoded(),
          Instant.ofEpochSecond(delivered), honestRandom);
      assertArrayEquals(text, accepted.payload().orElseThrow());
      byte[] answer = accepted.session().seal("ok".getBytes(StandardCharsets.UTF_8), honestRandom).get(0).encoded();
      assertArrayEquals("ok".getBytes(StandardCharsets.UTF_8), started.session().open(answer, honestRandom).orElseThrow());
      honest++;
      ownerMaintains(delivered);
    }
  }

  /** What a replay of {@code s} must get at {@code now}, given the bundles held. */
  static ErrorCode expected(Sample s, long now, Set<Long> held) {
    if (!held.contains(s.spkId())) {
      return ErrorCode.UNKNOWN_PREKEY;
    }
    return s.time() + W <= now ? ErrorCode.EXPIRED : ErrorCode.REPLAY;
  }

  /** Replays these samples at {@code now}: each refused with its code, and the state unchanged. */
  void replay(List<Sample> chosen, long now) {
    Instant at = Instant.ofEpochSecond(now);
    responder.expire(at);
    byte[] before = responder.serialize();
    Set<Long> held = new HashSet<>();
    responder.snapshot().bundles().forEach(b -> held.add(b.signedPrekeyId()));
    for (Sample s : chosen) {
      ErrorCode code = assertThrows(SottoException.class, () -> responder.accept(s.message(), at)).code();
      assertEquals(expected(s, now, held), code, "a flood message of " + s.time() + " replayed at " + now);
      replayOutcomes.merge(code, 1, Integer::sum);
    }
    assertArrayEquals(before, responder.serialize(), "refused replays changed the state");
  }

  @Test
  void honestFirstContactsGetThroughAFloodAndReplaysAreRefused() throws SottoException {
    responder.addCard(card);
    newest = responder.issueBundle(card, CardTest.CREATED, CardTest.CREATED.plus(BUNDLE_VALIDITY), ownersRandom);
    long floodEnd = t0 + FLOOD_HOURS * HOUR;
    // After the flood: until every bundle it used is gone (valid 3 days, then the window, and a day more).
    long end = floodEnd + BUNDLE_VALIDITY.getSeconds() + W + DAY;
    for (long hour = t0; hour < end; hour += HOUR) {
      boolean flooding = hour < floodEnd;
      if (flooding) {
        // The burst, with an honest initiator fetching in its middle; delivered when it is over.
        Honest middle = null;
        for (int i = 0; i < BURST; i++) {
          if (i == BURST / 2) {
            middle = new Honest(hour + 3L * i);
          }
          floodOnce(hour + 3L * i, flood);
        }
        middle.deliver(hour + 3L * BURST + 1);
      }
      // An honest first contact in the quiet half hour.
      new Honest(hour + 1800).deliver(hour + 1800 + 300);
      // A few flood messages of the past, replayed (a different few each hour).
      if (!samples.isEmpty()) {
        List<Sample> chosen = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          chosen.add(samples.get((int) ((hour / HOUR * 7 + k * 61) % samples.size())));
        }
        chosen.add(samples.get(samples.size() - 1));
        replay(chosen, hour + 2400);
      }
      if ((hour - t0) % DAY == 0) {
        replay(samples, hour + 2401); // all of them once a day
      }
      checkBound();
    }
    // Every bundle of the flood is gone, with its replay cache; its messages are unknown.
    responder.expire(Instant.ofEpochSecond(end));
    responder.snapshot().bundles().forEach(b -> assertTrue(!floodBundles.contains(b.signedPrekeyId())));
    replay(samples, end);

    assertEquals(FLOOD_HOURS * BURST, flood);
    assertEquals(FLOOD_HOURS + (end - t0) / HOUR, honest, "every honest first contact got through");
    for (ErrorCode code : List.of(ErrorCode.REPLAY, ErrorCode.EXPIRED, ErrorCode.UNKNOWN_PREKEY)) {
      assertTrue(replayOutcomes.getOrDefault(code, 0) > 0, code + " was seen: " + replayOutcomes);
    }
    assertEquals(Set.of(ErrorCode.REPLAY, ErrorCode.EXPIRED, ErrorCode.UNKNOWN_PREKEY), replayOutcomes.keySet());
    assertTrue(rotations >= flood / (LIMIT / 2), "the owner rotated at half the limit: " + rotations);
    assertTrue(withdrawnWhileValid > 0, "the flood made the responder withdraw valid bundles");
    assertTrue(largestState > bound / 2, "the flood did fill the state: " + largestState + " of " + bound);
  }

  @Test
  void theBoundFromTheLimitsAtTheirDefaults() {
    // The design's figures: a replay entry is 40 bytes; 4,096 per bundle; 16 bundles.
    int perBundle = 1 + PrekeyBundle.LENGTH + 32 + 64 + 2 + Responder.REPLAY_CACHE_LIMIT * 40;
    assertEquals(165_252, perBundle);
    long bundles = (long) Responder.MAX_BUNDLES * perBundle;
    assertTrue(bundles < 2_700_000, "about 2.5 MiB of bundles and replay caches: " + bundles);
    // Measured: a bundle with a full default cache serialises to exactly its share.
    Responder r = new Responder(bob);
    r.addCard(card);
    assertEquals(1 + 2 + 4 + 8 + 1 + 2 + card.encoded().length + 1 + 2, r.serialize().length);
    r.issueBundle(card, CardTest.CREATED, CardTest.CREATED.plus(BUNDLE_VALIDITY), ownersRandom);
    assertEquals(1 + 2 + 4 + 8 + 1 + 2 + card.encoded().length + 1 + (perBundle - 40 * Responder.REPLAY_CACHE_LIMIT) + 2,
        r.serialize().length);
  }

  /**
   * The limit of the guard, as designed: a flood aimed at the very bundle an honest initiator
   * fetched, filling its cache before the honest message arrives, refuses that message
   * (LIMIT_EXCEEDED, nothing changed); the initiator's retry with the newest bundle (design section
   * 10: a first contact not answered is made again with fresh prekeys) gets through.
   */
  @Test
  void aFloodAimedAtTheBundleInFlightDelaysAnHonestFirstContactUntilItsRetry() throws SottoException {
    responder.addCard(card);
    newest = responder.issueBundle(card, CardTest.CREATED, CardTest.CREATED.plus(BUNDLE_VALIDITY), ownersRandom);
    PrekeyBundle inFlight = newest;
    Honest honestOne = new Honest(t0 + 10);
    for (int i = 0; i < LIMIT; i++) {
      Identity throwaway = Identity.fromSeed(IdentitySeed.generate(floodRandom));
      byte[] m = Initiator.to(throwaway, Prekeys.of(inFlight)).start(Instant.ofEpochSecond(t0 + 20), new byte[] {1},
          floodRandom).message();
      responder.accept(m, Instant.ofEpochSecond(t0 + 20));
      ownerMaintains(t0 + 20);
    }
    assertEquals(LIMIT, responder.replayEntries(inFlight.signedPrekey().id()));
    assertTrue(newest != inFlight, "the owner rotated at half the limit");
    byte[] before = responder.serialize();
    assertEquals(ErrorCode.LIMIT_EXCEEDED, assertThrows(SottoException.class, () -> Session.accept(responder,
        honestOne.started.envelopes().get(0).encoded(), Instant.ofEpochSecond(t0 + 30), honestRandom)).code());
    assertArrayEquals(before, responder.serialize());
    new Honest(t0 + 40).deliver(t0 + 50);
    checkBound();
  }
}
