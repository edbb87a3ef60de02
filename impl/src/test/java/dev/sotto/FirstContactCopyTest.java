package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.testing.TestRandom;
import org.junit.jupiter.api.Test;

/** The first-contact copy in a session state is read as an envelope at restore (spec: envelope.adoc#session-state). */
class FirstContactCopyTest {
  @Test
  void aCopyOfAnotherVersionIsRefusedAtRestore() throws SottoException {
    HandshakeTest h = new HandshakeTest();
    Session.Started started = Session.initiate(h.alice, h.prekeys(null, null), HandshakeTest.NOW, new byte[] {1},
        TestRandom.deterministic(new byte[] {'c'}));
    byte[] state = started.session().serialize();
    byte[] copy = started.envelopes().get(0).encoded();
    int at = state.length - copy.length; // the copy is the state's last field
    Session.restore(state);
    state[at] = 0x01;
    byte[] bad = state;
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, assertThrows(SottoException.class, () -> Session.restore(bad)).code());
  }
}
