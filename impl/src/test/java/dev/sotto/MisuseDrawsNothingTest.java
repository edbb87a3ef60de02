package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.testing.TestRandom;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Misuse is refused before anything is drawn from the random source (spec: conventions.adoc, what each operation draws). */
class MisuseDrawsNothingTest {
  private final HandshakeTest h = new HandshakeTest();

  private static byte[] next(RandomSource r) {
    return r.bytes(32);
  }

  @Test
  void anOversizedFirstPayloadDrawsNothing() {
    RandomSource used = TestRandom.deterministic(new byte[] {'m'});
    Prekeys prekeys = h.prekeys(null, null);
    assertThrows(IllegalArgumentException.class,
        () -> Session.initiate(h.alice, prekeys, HandshakeTest.NOW, new byte[16_746_020], used));
    assertArrayEquals(next(TestRandom.deterministic(new byte[] {'m'})), next(used));
  }

  @Test
  void aNegativeNowDrawsNothing() {
    RandomSource used = TestRandom.deterministic(new byte[] {'n'});
    Prekeys prekeys = h.prekeys(null, null);
    assertThrows(IllegalArgumentException.class,
        () -> Initiator.to(h.alice, prekeys).start(Instant.ofEpochSecond(-1), new byte[1], used));
    assertArrayEquals(next(TestRandom.deterministic(new byte[] {'n'})), next(used));
  }
}
