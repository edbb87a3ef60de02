package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import dev.sotto.testing.TestRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HandshakeTest {
  static final Instant NOW = CardTest.NOW;
  final Identity alice = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'a'})));
  final Identity bob = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'b'})));
  final IssuedCard bobsCard = issueBobsCard();

  /** The same card each time (a responder takes an issued card's private prekeys over and clears them). */
  IssuedCard issueBobsCard() {
    return Card.builder(bob).validity(CardTest.CREATED, CardTest.EXPIRES)
        .signedPrekeyId(1).kemPrekeyId(2).oneTimePrekeyIds(10, 11).kemOneTimePrekeyIds(20)
        .issue(TestRandom.deterministic(new byte[] {'c'}));
  }
  final byte[] hello = "hello, Bob".getBytes(StandardCharsets.UTF_8);

  Responder responder() {
    Responder r = new Responder(bob);
    r.add(issueBobsCard());
    return r;
  }

  @Test
  void everyCombinationOfOneTimePrekeysAgrees() throws SottoException {
    Long[][] choices = {{null, null}, {10L, null}, {null, 20L}, {11L, 20L}};
    for (Long[] choice : choices) {
      Responder bobSide = responder();
      FirstContact fc = Initiator.to(alice, bobsCard.card()).oneTimePrekeys(choice[0], choice[1])
          .start(NOW, hello, TestRandom.deterministic(new byte[] {'e'}));
      Accepted accepted = bobSide.accept(fc.message(), NOW);
      assertEquals(alice.publicIdentity(), accepted.peer());
      assertArrayEquals(hello, accepted.payload());
      assertTrue(fc.secrets().matches(accepted.secrets()));
    }
  }

  @Test
  void oneTimePrekeysAreUsedOnceAndRepliesWithoutThemAreCaughtAsReplays() throws SottoException {
    Responder bobSide = responder();
    FirstContact withOpk = Initiator.to(alice, bobsCard.card()).oneTimePrekeys(10L, null)
        .start(NOW, hello, TestRandom.deterministic(new byte[] {1}));
    bobSide.accept(withOpk.message(), NOW);
    Responder.Snapshot after = bobSide.snapshot();
    assertEquals(ErrorCode.UNKNOWN_PREKEY,
        assertThrows(SottoException.class, () -> bobSide.accept(withOpk.message(), NOW)).code());
    assertEquals(after, bobSide.snapshot());

    FirstContact without = Initiator.to(alice, bobsCard.card()).oneTimePrekeys(null, null)
        .start(NOW, hello, TestRandom.deterministic(new byte[] {2}));
    bobSide.accept(without.message(), NOW);
    Responder.Snapshot cached = bobSide.snapshot();
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class, () -> bobSide.accept(without.message(), NOW)).code());
    assertEquals(cached, bobSide.snapshot());
  }

  @Test
  void everyByteOfTheFirstMessageIsProtectedAndStateIsUnchanged() throws SottoException {
    Responder bobSide = responder();
    FirstContact fc = Initiator.to(alice, bobsCard.card()).oneTimePrekeys(10L, 20L)
        .start(NOW, hello, TestRandom.deterministic(new byte[] {3}));
    byte[] message = fc.message();
    Responder.Snapshot before = bobSide.snapshot();
    for (int i = 0; i < message.length; i++) {
      byte[] tampered = message.clone();
      tampered[i] ^= 0x40;
      assertThrows(SottoException.class, () -> bobSide.accept(tampered, NOW), "byte " + i);
      assertEquals(before, bobSide.snapshot(), "state changed by a rejected message (byte " + i + ")");
    }
    bobSide.accept(message, NOW);
  }

  @Test
  void replayCacheBoundIsEnforcedWithoutChangingState() throws SottoException {
    Responder bobSide = new Responder(bob, 2);
    bobSide.add(issueBobsCard());
    for (int i = 0; i < 2; i++) {
      bobSide.accept(Initiator.to(alice, bobsCard.card()).oneTimePrekeys(null, null)
          .start(NOW, hello, TestRandom.deterministic(new byte[] {(byte) (10 + i)})).message(), NOW);
    }
    byte[] third = Initiator.to(alice, bobsCard.card()).oneTimePrekeys(null, null)
        .start(NOW, hello, TestRandom.deterministic(new byte[] {99})).message();
    Responder.Snapshot full = bobSide.snapshot();
    assertEquals(ErrorCode.LIMIT_EXCEEDED, assertThrows(SottoException.class, () -> bobSide.accept(third, NOW)).code());
    assertEquals(full, bobSide.snapshot());
  }

  @Test
  void expiredCardsAreRefusedOnBothSides() {
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Initiator.to(alice, bobsCard.card()).start(CardTest.EXPIRES, hello, TestRandom.deterministic(new byte[] {4}))).code());
  }
}
