package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The responder's expanded ML-KEM prekeys (issue 19: cache what the responder recomputes, bounded,
 * purged with the prekeys): one per held bundle, made when the bundle is issued or restored; a
 * flood of first contacts, accepted or refused, adds none; withdrawing, expiring or removing a
 * bundle's card destroys its key; and no secret shows in {@code toString}.
 */
class ResponderKemCacheTest {
  final Identity bob = CardTest.identity("bob");
  final Instant created = CardTest.CREATED;
  final Card card = Card.builder(bob).validity(created, created.plus(Duration.ofDays(365)))
      .issue(TestRandom.deterministic(new byte[] {'c'}));
  final RandomSource random = TestRandom.deterministic(new byte[] {'k'});

  @Test
  void aFloodOfFirstContactsAddsNoKeyAndUsesTheHeldOne() throws SottoException {
    Responder responder = new Responder(bob);
    responder.addCard(card);
    PrekeyBundle first = responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    PrekeyBundle second = responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    List<OneTimePrekey> oneTime = responder.issueOneTimePrekeys(card, created.plus(Duration.ofDays(3)), 3, 3, random);
    List<MlKem768.DecapsulationKey> before = responder.expandedKemKeys();
    assertEquals(2, before.size());
    Instant now = created.plusSeconds(60);
    RandomSource flood = TestRandom.deterministic(new byte[] {'f'});
    for (int i = 0; i < 40; i++) {
      Identity throwaway = Identity.fromSeed(IdentitySeed.generate(flood));
      PrekeyBundle bundle = i % 2 == 0 ? first : second;
      Prekeys prekeys = i < 3 ? Prekeys.of(bundle, oneTime.get(i), oneTime.get(3 + i)) : Prekeys.of(bundle);
      byte[] message = Initiator.to(throwaway, prekeys).start(now, new byte[] {(byte) i}, flood).message();
      if (i % 4 == 0) { // refused after the decapsulation: the payload does not open
        byte[] tampered = message.clone();
        tampered[tampered.length - 1] ^= 1;
        assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> responder.accept(tampered, now))
            .code());
      }
      responder.accept(message, now);
      List<MlKem768.DecapsulationKey> during = responder.expandedKemKeys();
      assertEquals(2, during.size(), "after first contact " + i);
      assertSame(before.get(0), during.get(0));
      assertSame(before.get(1), during.get(1));
    }
    before.forEach(k -> assertFalse(k.isDestroyed()));
    assertTrue(responder.oneTimePrekeys(card).isEmpty(), "the one-time prekeys were used");
  }

  @Test
  void keysGoWithTheirBundles() {
    Responder responder = new Responder(bob);
    responder.addCard(card);
    // Withdrawn: the 17th bundle withdraws the one that expires first, and destroys its key.
    PrekeyBundle early = responder.issueBundle(card, created, created.plus(Duration.ofDays(1)), random);
    MlKem768.DecapsulationKey earlyKey = responder.expandedKemKeys().get(0);
    for (int i = 1; i < Responder.MAX_BUNDLES; i++) {
      responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    }
    assertEquals(Responder.MAX_BUNDLES, responder.expandedKemKeys().size());
    responder.issueBundle(card, created, created.plus(Duration.ofDays(5)), random);
    assertEquals(Responder.MAX_BUNDLES, responder.expandedKemKeys().size());
    assertTrue(earlyKey.isDestroyed());
    assertFalse(responder.bundles(card).contains(early));

    // Expired: the bundles of 3 days go at their expiry plus the window, with their keys.
    List<MlKem768.DecapsulationKey> held = responder.expandedKemKeys();
    responder.expire(created.plus(Duration.ofDays(3)).plus(Responder.FIRST_CONTACT_WINDOW));
    assertEquals(1, responder.expandedKemKeys().size());
    assertEquals(Responder.MAX_BUNDLES - 1, held.stream().filter(MlKem768.DecapsulationKey::isDestroyed).count());

    // The card removed: its last bundle goes, with its key.
    MlKem768.DecapsulationKey last = responder.expandedKemKeys().get(0);
    responder.removeCard(card);
    assertTrue(responder.expandedKemKeys().isEmpty());
    assertTrue(last.isDestroyed());
  }

  @Test
  void aRestoredResponderHoldsOneKeyPerBundle() throws SottoException {
    Responder responder = new Responder(bob);
    responder.addCard(card);
    responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    Responder restored = Responder.restore(bob, responder.serialize());
    List<MlKem768.DecapsulationKey> keys = restored.expandedKemKeys();
    assertEquals(2, keys.size());
    List<PrekeyBundle> bundles = restored.bundles(card);
    for (int i = 0; i < 2; i++) {
      assertEquals(Bytes.hex(bundles.get(i).kemPrekey().publicKey()), Bytes.hex(keys.get(i).encapsulationKey()));
    }
  }

  @Test
  void noSecretInToString() {
    byte[] seed = TestRandom.deterministic(new byte[] {'s'}).bytes(MlKem768.SEED_LENGTH);
    MlKem768.DecapsulationKey key = MlKem768.DecapsulationKey.fromSeed(seed);
    String text = key.toString();
    assertEquals("MlKem768.DecapsulationKey[redacted]", text);
    assertFalse(text.contains(Bytes.hex(seed).substring(0, 8)));
    Responder responder = new Responder(bob);
    responder.addCard(card);
    responder.issueBundle(card, created, created.plus(Duration.ofDays(3)), random);
    assertFalse(responder.toString().contains("Decapsulation"), responder.toString());
  }
}
