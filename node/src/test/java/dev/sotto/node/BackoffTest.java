package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The node's doubling back-offs (spec: transport.adoc#node-delivery, backup.adoc#backup-class-fetch)
 * give, failure after failure, the waits that each of their users computed on its own before.
 */
class BackoffTest {
  @Test
  void sameWaitsAsEachUsersOwnFormula() {
    for (long n = 1; n <= 200; n++) {
      int i = (int) n;
      assertEquals(Math.min(60_000, 1_000L << Math.min(i - 1, 16)), new Backoff(1_000, 60_000).afterMillis(n),
          "a link's rest");
      assertEquals(Math.min(30_000L, 250L << Math.min(i - 1, 7)), NodeCore.DELIVERY_BACKOFF.afterMillis(n),
          "an envelope's retry");
      assertEquals(Math.min(3_600_000L, 5_000L << Math.min(n - 1, 10)), FirstContacts.fetchBackoff(n),
          "a prekey fetch");
    }
    long pause = 100;
    long publish = 1_000;
    for (long n = 1; n <= 200; n++) {
      assertEquals(pause, new Backoff(100, 2_000).afterMillis(n), "a restore's pause");
      pause = Math.min(2_000, pause * 2);
      assertEquals(publish, new Backoff(1_000, 600_000).afterMillis(n), "a PUBLISH's retry");
      publish = Math.min(600_000, publish * 2);
    }
    assertEquals(1L << 62, new Backoff(1, Long.MAX_VALUE).afterMillis(Long.MAX_VALUE), "doubled without overflow");
  }

  @Test
  void misuseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(250, 30_000).afterMillis(0));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 30_000));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(2, 1));
  }
}
