package dev.sotto.node.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.net.HandshakeBudget.Outcome;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

/** spec: transport.adoc#handshake-budgets, on an injected clock (nanoseconds). */
class HandshakeBudgetTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long T = 5 * SECOND;

  private static InetAddress ip(String text) throws UnknownHostException {
    return InetAddress.getByName(text);
  }

  @Test
  void thirtyTwoAtOnceFromOneSlash24ThenEightASecond() throws Exception {
    HandshakeBudget budget = new HandshakeBudget(HandshakeBudget.Rates.DEFAULT, T);
    for (int i = 0; i < 32; i++) {
      assertEquals(Outcome.ADMITTED, budget.admit(ip("198.51.100." + (i % 3 + 1)), T), "handshake " + i);
    }
    assertEquals(Outcome.PREFIX_SPENT, budget.admit(ip("198.51.100.1"), T));
    assertEquals(Outcome.PREFIX_SPENT, budget.admit(ip("198.51.100.200"), T), "another address of the /24");
    assertEquals(Outcome.ADMITTED, budget.admit(ip("198.51.101.1"), T), "another /24");
    // One token every 125 ms.
    assertEquals(Outcome.PREFIX_SPENT, budget.admit(ip("198.51.100.1"), T + 124_000_000L));
    assertEquals(Outcome.ADMITTED, budget.admit(ip("198.51.100.1"), T + 125_000_000L));
    assertEquals(Outcome.PREFIX_SPENT, budget.admit(ip("198.51.100.1"), T + 125_000_000L));
    // Eight tokens a second later.
    int admitted = 0;
    while (budget.admit(ip("198.51.100.1"), T + 1_125_000_000L) == Outcome.ADMITTED) {
      admitted++;
    }
    assertEquals(8, admitted);
  }

  @Test
  void fourHundredAtOnceFromEverywhereThenTwoHundredASecond() throws Exception {
    HandshakeBudget budget = new HandshakeBudget(HandshakeBudget.Rates.DEFAULT, T);
    for (int i = 0; i < 400; i++) {
      assertEquals(Outcome.ADMITTED, budget.admit(ip("10." + (i / 256) + "." + (i % 256) + ".1"), T), "prefix " + i);
    }
    assertEquals(Outcome.GLOBAL_SPENT, budget.admit(ip("10.9.9.9"), T));
    assertEquals(Outcome.GLOBAL_SPENT, budget.admit(ip("::1"), T), "loopback meets the global budget");
    // A refusal by the global bucket takes no token from the prefix's: 10.9.9.0/24 still has 32.
    long later = T + 160 * 1_000_000L; // 32 global tokens (200 a second)
    for (int i = 0; i < 32; i++) {
      assertEquals(Outcome.ADMITTED, budget.admit(ip("10.9.9.9"), later), "handshake " + i);
    }
    assertEquals(Outcome.GLOBAL_SPENT, budget.admit(ip("10.8.8.8"), later));
  }

  @Test
  void prefixesAreSlash24AndSlash64AndLoopbackIsGlobalOnly() throws Exception {
    HandshakeBudget budget = new HandshakeBudget(HandshakeBudget.Rates.DEFAULT, T);
    assertEquals(budget.prefixOf(ip("2001:db8:1:2::1")), budget.prefixOf(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
    assertTrue(!budget.prefixOf(ip("2001:db8:1:2::1")).equals(budget.prefixOf(ip("2001:db8:1:3::1"))));
    assertEquals(budget.prefixOf(ip("192.0.2.7")), budget.prefixOf(ip("::ffff:192.0.2.200")), "IPv4-mapped is IPv4");
    assertTrue(!budget.prefixOf(ip("192.0.2.7")).equals(budget.prefixOf(ip("192.0.3.7"))));
    assertEquals(null, budget.prefixOf(ip("127.0.0.1")));
    assertEquals(null, budget.prefixOf(ip("127.9.9.9")));
    assertEquals(null, budget.prefixOf(ip("::1")));
    for (int i = 0; i < 400; i++) {
      assertEquals(Outcome.ADMITTED, budget.admit(ip("127.0.0.1"), T), "loopback " + i);
    }
    assertEquals(0, budget.prefixesHeld());

    HandshakeBudget tests = new HandshakeBudget(HandshakeBudget.Rates.DEFAULT.withLoopbackByPrefix(true), T);
    assertEquals(tests.prefixOf(ip("127.0.7.2")), tests.prefixOf(ip("127.0.7.3")));
    for (int i = 0; i < 32; i++) {
      tests.admit(ip("127.0.7.2"), T);
    }
    assertEquals(Outcome.PREFIX_SPENT, tests.admit(ip("127.0.7.3"), T));
    assertEquals(Outcome.ADMITTED, tests.admit(ip("127.0.9.2"), T));
  }

  /**
   * An attacker with 100,000 prefixes, at 5,000 hellos a second for a minute: the buckets held
   * stay within 400 + 200 × 4 = 1,200, since only an admitted hello makes or keeps one.
   */
  @Test
  void bucketsHeldStayBoundedUnderManyPrefixes() throws Exception {
    HandshakeBudget budget = new HandshakeBudget(HandshakeBudget.Rates.DEFAULT, T);
    int most = 0;
    long admitted = 0;
    for (int i = 0; i < 300_000; i++) {
      long now = T + i * (SECOND / 5_000);
      int p = i % 100_000;
      byte[] v6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, (byte) (p >> 8), (byte) p, 0, 0, 0, 0, 0, 0, 0, 1};
      if (budget.admit(InetAddress.getByAddress(v6), now) == Outcome.ADMITTED) {
        admitted++;
      }
      most = Math.max(most, budget.prefixesHeld());
    }
    assertTrue(most <= 1_200, most + " buckets held at most");
    long seconds = 60;
    assertTrue(admitted <= 400 + 200 * seconds + 1, admitted + " admitted in " + seconds + " s");
    assertTrue(admitted >= 200 * seconds, admitted + " admitted: the global budget is used, not starved");
    // Four seconds after the last admission every bucket is full again, and forgotten.
    budget.admit(ip("203.0.113.1"), T + 70 * SECOND);
    assertEquals(1, budget.prefixesHeld());
  }

  @Test
  void theReplayFilterIsSizedFromTheGlobalBudget() {
    assertEquals(48_600, HandshakeBudget.Rates.DEFAULT.replayFilterCapacity());
  }
}
