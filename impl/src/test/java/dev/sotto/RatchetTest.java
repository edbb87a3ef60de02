package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RatchetTest {
  final HandshakeTest h = new HandshakeTest();
  final RandomSource random = TestRandom.deterministic(new byte[] {'r'});
  Ratchet alice;
  Ratchet bob;

  @BeforeEach
  void handshake() throws SottoException {
    Responder responder = h.responder();
    FirstContact fc = Initiator.to(h.alice, h.prekeys(HandshakeTest.OPK_1, HandshakeTest.KEM_OPK))
        .start(HandshakeTest.NOW, new byte[0], random);
    Accepted accepted = responder.accept(fc.message(), HandshakeTest.NOW);
    alice = Ratchet.initiator(fc.secrets(), random);
    bob = Ratchet.responder(accepted.secrets());
  }

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void conversationWithOutOfOrderDeliveryAndDhSteps() throws SottoException {
    List<byte[]> fromAlice = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      fromAlice.add(alice.encrypt(text("a" + i), random).message());
    }
    assertArrayEquals(text("a3"), bob.decrypt(fromAlice.get(3)));
    assertArrayEquals(text("a0"), bob.decrypt(fromAlice.get(0)));
    byte[] reply = bob.encrypt(text("b0"), random).message();
    assertArrayEquals(text("b0"), alice.decrypt(reply));
    byte[] next = alice.encrypt(text("a5"), random).message();
    assertArrayEquals(text("a5"), bob.decrypt(next));
    assertArrayEquals(text("a4"), bob.decrypt(fromAlice.get(4)));
    assertArrayEquals(text("a1"), bob.decrypt(fromAlice.get(1)));
    assertArrayEquals(text("a2"), bob.decrypt(fromAlice.get(2)));
    // Alice's first chain is gone from Bob's state (no skipped keys left): its messages no longer open.
    for (byte[] old : fromAlice) {
      byte[] before = bob.serialize();
      SottoException e = assertThrows(SottoException.class, () -> bob.decrypt(old));
      assertEquals(ErrorCode.AUTH_FAILED, e.code());
      assertArrayEquals(before, bob.serialize());
    }
    // In the current chain, a message already received is a replay.
    byte[] before = bob.serialize();
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class, () -> bob.decrypt(next)).code());
    assertArrayEquals(before, bob.serialize());
  }

  @Test
  void failuresLeaveTheStateBitForBitUnchanged() throws SottoException {
    byte[] m = alice.encrypt(text("hello"), random).message();
    byte[] before = bob.serialize();
    for (int i = 0; i < m.length; i++) {
      byte[] t = m.clone();
      t[i] ^= 0x01;
      assertThrows(SottoException.class, () -> bob.decrypt(t));
      assertArrayEquals(before, bob.serialize(), "byte " + i);
    }
    assertArrayEquals(text("hello"), bob.decrypt(m));
  }

  @Test
  void aSendingChainHoldsAtMostTheBoundAndTheRefusalChangesNothing() throws SottoException {
    for (int i = 0; i < RatchetState.MAX_CHAIN; i++) {
      alice.encrypt(text("unanswered"), random);
    }
    byte[] before = alice.serialize();
    assertEquals(ErrorCode.LIMIT_EXCEEDED,
        assertThrows(SottoException.class, () -> alice.encrypt(text("one more"), random)).code());
    assertArrayEquals(before, alice.serialize());
  }

  @Test
  void restoredStateContinuesIdentically() throws SottoException {
    byte[] m1 = alice.encrypt(text("one"), random).message();
    bob.decrypt(m1);
    Ratchet restored = Ratchet.restore(bob.serialize());
    assertArrayEquals(bob.serialize(), restored.serialize());
    RandomSource r1 = TestRandom.deterministic(new byte[] {9});
    RandomSource r2 = TestRandom.deterministic(new byte[] {9});
    assertArrayEquals(bob.encrypt(text("two"), r1).message(), restored.encrypt(text("two"), r2).message());
  }

  @Test
  void stolenStateIsUselessAfterDhStepsInBothDirections() throws SottoException {
    bob.decrypt(alice.encrypt(text("x"), random).message());
    Ratchet stolen = Ratchet.restore(alice.serialize());
    alice.decrypt(bob.encrypt(text("y"), random).message());
    bob.decrypt(alice.encrypt(text("z"), random).message());
    alice.decrypt(bob.encrypt(text("w"), random).message());
    byte[] later = bob.encrypt(text("secret"), random).message();
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> stolen.decrypt(later)).code());
    assertArrayEquals(text("secret"), alice.decrypt(later));
  }

  @Test
  void tagsAreExpectedBeforeTheyArrive() throws SottoException {
    Ratchet.Encrypted e = alice.encrypt(text("tagged"), random);
    assertTrue(bob.expectedTags(4).stream().anyMatch(t -> java.util.Arrays.equals(t, e.tag())));
  }
}
