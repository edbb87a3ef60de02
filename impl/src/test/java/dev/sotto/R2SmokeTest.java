package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.testing.TestRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class R2SmokeTest {
  @Test
  void smoke() throws Exception {
    Instant now = Instant.parse("2026-06-01T00:00:00Z");
    Identity alice = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'a'})));
    Identity bob = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'b'})));
    Card card = Card.builder(bob).validity(now, now.plus(Duration.ofDays(365))).issue(TestRandom.deterministic(new byte[] {'c'}));
    System.out.println("card " + card.encoded().length + " bytes, text " + card.text().length());
    Responder r = new Responder(bob);
    r.addCard(card);
    PrekeyBundle bundle = r.issueBundle(card, now, now.plus(Duration.ofDays(3)), TestRandom.deterministic(new byte[] {'d'}));
    List<OneTimePrekey> otps = r.issueOneTimePrekeys(card, now.plus(Duration.ofDays(3)), 2, 1, TestRandom.deterministic(new byte[] {'e'}));
    Card read = Card.parseText(card.text(), now, bob.publicIdentity());
    PrekeyBundle b = PrekeyBundle.parse(bundle.encoded(), read, now);
    OneTimePrekey o = OneTimePrekey.parse(otps.get(0).encoded(), read, now);
    OneTimePrekey k = OneTimePrekey.parse(otps.get(2).encoded(), read, now);
    Session.Started started = Session.initiate(alice, Prekeys.of(b, o, k), now, new byte[] {1, 2, 3}, TestRandom.deterministic(new byte[] {'f'}));
    Session.Accepted accepted = Session.accept(r, started.envelopes().get(0).encoded(), now.plusSeconds(60), TestRandom.deterministic(new byte[] {'g'}));
    assertArrayEquals(new byte[] {1, 2, 3}, accepted.payload().orElseThrow());
    Session.Started plain = Session.initiate(alice, Prekeys.of(b), now, new byte[] {4}, TestRandom.deterministic(new byte[] {'h'}));
    byte[] env = plain.envelopes().get(0).encoded();
    Session.accept(r, env, now.plusSeconds(60), TestRandom.deterministic(new byte[] {'g'}));
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class, () -> Session.accept(r, env, now.plusSeconds(61), TestRandom.deterministic(new byte[] {'g'}))).code());
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class, () -> Session.accept(r, env, now.plus(Duration.ofDays(4)), TestRandom.deterministic(new byte[] {'g'}))).code());
    byte[] state = r.serialize();
    assertArrayEquals(state, Responder.restore(bob, state).serialize());
    r.expire(now.plus(Duration.ofDays(7)));
    assertEquals(0, r.snapshot().bundles().size());
    assertEquals(0, r.snapshot().oneTimePrekeys().size());
    assertEquals(ErrorCode.UNKNOWN_PREKEY, assertThrows(SottoException.class, () -> Session.accept(r, env, now.plus(Duration.ofDays(7)), TestRandom.deterministic(new byte[] {'g'}))).code());
  }
}
