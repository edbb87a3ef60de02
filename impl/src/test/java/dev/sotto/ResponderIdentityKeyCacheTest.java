package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.testing.TestRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The responder caches the initiators' validated Ed25519 identity keys (issue 19): one entry per
 * initiator however often it makes contact, none for a first message refused before its identity
 * is read, and a responder's cache of distinct initiators grows by one each (its bound under a
 * flood is Ed25519KeyCacheTest's). About 0.3 s.
 */
class ResponderIdentityKeyCacheTest {
  final Identity bob = CardTest.identity("bob");
  final Instant created = CardTest.CREATED;
  final Card card = Card.builder(bob).validity(created, created.plus(Duration.ofDays(365)))
      .issue(TestRandom.deterministic(new byte[] {'c'}));
  final RandomSource random = TestRandom.deterministic(new byte[] {'i'});

  @Test
  void eachInitiatorIsValidatedOnce() throws SottoException {
    Responder responder = new Responder(bob);
    responder.addCard(card);
    PrekeyBundle bundle = responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    Instant now = created.plusSeconds(60);
    Identity alice = Identity.fromSeed(IdentitySeed.generate(random));
    Identity carol = Identity.fromSeed(IdentitySeed.generate(random));
    assertEquals(0, responder.cachedIdentityKeys());

    byte[] refused = Initiator.to(alice, Prekeys.of(bundle)).start(now, new byte[] {0}, random).message();
    refused[refused.length - 50] ^= 1; // inside the encrypted identity: it does not open
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> responder.accept(refused, now)).code());
    assertEquals(0, responder.cachedIdentityKeys(), "an identity that did not open is not read");

    for (int i = 0; i < 3; i++) {
      responder.accept(Initiator.to(alice, Prekeys.of(bundle)).start(now, new byte[] {1}, random).message(), now);
      assertEquals(1, responder.cachedIdentityKeys(), "alice, contact " + i);
    }
    responder.accept(Initiator.to(carol, Prekeys.of(bundle)).start(now, new byte[] {2}, random).message(), now);
    assertEquals(2, responder.cachedIdentityKeys());
  }
}
