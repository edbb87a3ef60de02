package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.testing.TestRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ResponderStateTest {
  final HandshakeTest h = new HandshakeTest();

  @Test
  void aRestoredResponderContinuesExactly() throws SottoException {
    Responder bob = h.responder();
    byte[] used = Initiator.to(h.alice, h.bobsCard.card()).oneTimePrekeys(10L, 20L)
        .start(HandshakeTest.NOW, h.hello, TestRandom.deterministic(new byte[] {1})).message();
    byte[] plain = Initiator.to(h.alice, h.bobsCard.card()).oneTimePrekeys(null, null)
        .start(HandshakeTest.NOW, h.hello, TestRandom.deterministic(new byte[] {2})).message();
    bob.accept(used, HandshakeTest.NOW);
    bob.accept(plain, HandshakeTest.NOW);

    Responder restored = Responder.restore(h.bob, bob.serialize());
    assertEquals(bob.snapshot(), restored.snapshot());
    assertArrayEquals(bob.serialize(), restored.serialize());
    assertEquals(ErrorCode.UNKNOWN_PREKEY,
        assertThrows(SottoException.class, () -> restored.accept(used, HandshakeTest.NOW)).code());
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class, () -> restored.accept(plain, HandshakeTest.NOW)).code());
    byte[] fresh = Initiator.to(h.alice, h.bobsCard.card()).oneTimePrekeys(11L, null)
        .start(HandshakeTest.NOW, h.hello, TestRandom.deterministic(new byte[] {3})).message();
    assertArrayEquals(h.hello, restored.accept(fresh, HandshakeTest.NOW).payload());
  }

  @Test
  void malformedStatesAreRefusedWithTheirCodes() {
    byte[] state = h.responder().serialize();
    assertEquals(ErrorCode.TRUNCATED,
        assertThrows(SottoException.class, () -> Responder.restore(h.bob, Arrays.copyOf(state, state.length - 1))).code());
    assertEquals(ErrorCode.TRAILING_DATA,
        assertThrows(SottoException.class, () -> Responder.restore(h.bob, Arrays.copyOf(state, state.length + 1))).code());
    byte[] version = state.clone();
    version[0] = 2;
    assertEquals(ErrorCode.UNSUPPORTED_VERSION,
        assertThrows(SottoException.class, () -> Responder.restore(h.bob, version)).code());
    assertEquals(ErrorCode.IDENTITY_MISMATCH,
        assertThrows(SottoException.class, () -> Responder.restore(h.alice, state)).code());
    int cardLength = ((state[4] & 0xff) << 24) | ((state[5] & 0xff) << 16) | ((state[6] & 0xff) << 8) | (state[7] & 0xff);
    byte[] wrongKey = state.clone();
    wrongKey[8 + cardLength + 1] ^= 0x40; // not a clamped bit
    assertEquals(ErrorCode.INVALID_ENCODING,
        assertThrows(SottoException.class, () -> Responder.restore(h.bob, wrongKey)).code());
  }
}
