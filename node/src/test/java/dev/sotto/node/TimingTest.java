package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.RandomSource;
import dev.sotto.node.store.Tx;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The timing defences' draws (spec: transport.adoc#node-timing): uniform, within their bounds,
 * and from the source given and nothing else.
 */
class TimingTest {
  @TempDir Path dir;

  /** A deterministic source: SHA-256 of a label and a counter, so that two sources of one label give the same bytes. */
  static final class Counter implements RandomSource {
    private final String label;
    private long n;
    final List<byte[]> eights = Collections.synchronizedList(new ArrayList<>());

    Counter(String label) {
      this.label = label;
    }

    @Override
    public synchronized void nextBytes(byte[] out) {
      try {
        for (int off = 0; off < out.length; off += 32) {
          MessageDigest d = MessageDigest.getInstance("SHA-256");
          d.update((label + "/" + n++).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          byte[] h = d.digest();
          System.arraycopy(h, 0, out, off, Math.min(32, out.length - off));
        }
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
      if (out.length == 8) {
        eights.add(out.clone());
      }
    }
  }

  @Test
  void uniformDrawsAreInRangeAndEvenlySpread() {
    Counter source = new Counter("uniform");
    int bound = 10;
    int draws = 100_000;
    int[] counts = new int[bound];
    for (int i = 0; i < draws; i++) {
      long x = Timing.uniform(source, bound);
      assertTrue(x >= 0 && x < bound);
      counts[(int) x]++;
    }
    // Chi-square with 9 degrees of freedom: above 27.9 one time in a thousand.
    double expected = (double) draws / bound;
    double chi = 0;
    for (int c : counts) {
      chi += (c - expected) * (c - expected) / expected;
    }
    assertTrue(chi < 27.9, "chi-square " + chi);
    assertEquals(0, Timing.uniform(source, 1));
    assertThrows(IllegalArgumentException.class, () -> Timing.uniform(source, 0));
    // A bound of 3 * 2^61 refuses a quarter of the draws and still ends, in range.
    for (int i = 0; i < 100; i++) {
      long x = Timing.uniform(source, (1L << 61) * 3);
      assertTrue(x >= 0 && Long.compareUnsigned(x, (1L << 61) * 3) < 0);
    }
  }

  @Test
  void theFetchScheduleDependsOnTheSourceAloneAndStaysWithinItsJitter() {
    Duration interval = Duration.ofMillis(1000);
    Duration jitter = Duration.ofMillis(400);
    SteadyFetch.Schedule a = new SteadyFetch.Schedule(interval, jitter, new Counter("fetch"));
    SteadyFetch.Schedule b = new SteadyFetch.Schedule(interval, jitter, new Counter("fetch"));
    double sum = 0;
    long min = Long.MAX_VALUE;
    long max = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      long gap = a.nextGap();
      assertEquals(gap, b.nextGap(), "the same source gives the same schedule");
      assertTrue(gap >= 600_000_000L && gap <= 1_400_000_000L, "gap " + gap);
      sum += gap;
      min = Math.min(min, gap);
      max = Math.max(max, gap);
    }
    // Uniform on [0.6 s, 1.4 s]: mean 1 s (standard error 1.6 ms), and the ends are reached.
    assertEquals(1.0, sum / n / 1e9, 0.01);
    assertTrue(min < 610_000_000L && max > 1_390_000_000L, min + " " + max);
    assertEquals(500_000_000L, new SteadyFetch.Schedule(Duration.ofMillis(500), Duration.ZERO, new Counter("x")).nextGap());
    assertThrows(IllegalArgumentException.class, () -> new SteadyFetch.Schedule(interval, interval, new Counter("x")));
  }

  @Test
  void aSenderDelayIsWithinItsBoundAndDrawnFromTheNodesSource() throws Exception {
    Counter source = new Counter("alice");
    long maxMillis = 60_000;
    Node.Options options = TestNodes.fast().withRandom(source)
        .withTiming(Timing.OFF.withSendDelay(Duration.ofMillis(maxMillis)));
    try (Node bob = Node.open(TestNodes.init(dir, "bob", List.of()), null, TestNodes.fast());
        Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, options)) {
      TestNodes.connect(alice, bob);
      alice.addContact("bob", bob.card().text());
      long bobId = alice.contact("bob").id();
      for (int i = 0; i < 20; i++) {
        alice.send("bob", "m" + i);
      }
      alice.fetchWantedPrekeys();
      alice.core().sealPending(); // the node does not run: nothing leaves
      List<Tx.Outgoing> outbox = alice.core().store().read(tx -> tx.outbox(bobId));
      assertEquals(21, outbox.size(), "a HELLO and 20 messages, one envelope each");
      List<Long> delays = new ArrayList<>();
      for (Tx.Outgoing o : outbox) {
        long delay = o.nextAttemptMillis() - o.created();
        assertTrue(delay >= 0 && delay <= maxMillis, "delay " + delay);
        // The delay is one of the source's 8-byte draws, reduced to [0, max].
        boolean drawn = source.eights.stream()
            .anyMatch(b -> Long.remainderUnsigned(java.nio.ByteBuffer.wrap(b).getLong(), maxMillis + 1) == delay);
        assertTrue(drawn, "delay " + delay + " is no draw of the node's source");
        delays.add(delay);
      }
      assertTrue(delays.stream().distinct().count() > 15, "delays are drawn anew for each message: " + delays);
      assertTrue(delays.stream().mapToLong(Long::longValue).max().orElseThrow() > maxMillis / 2, delays.toString());
      assertTrue(alice.core().dueContacts().isEmpty() || delays.get(0) == 0, "nothing is due before its delay");
    }
  }

  @Test
  void withoutTheDefenceNothingWaits() throws Exception {
    try (Node bob = Node.open(TestNodes.init(dir, "bob", List.of()), null, TestNodes.fast());
        Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast())) {
      TestNodes.connect(alice, bob);
      alice.addContact("bob", bob.card().text());
      long bobId = alice.contact("bob").id();
      alice.send("bob", "now");
      alice.fetchWantedPrekeys();
      alice.core().sealPending();
      for (Tx.Outgoing o : alice.core().store().read(tx -> tx.outbox(bobId))) {
        assertEquals(o.created(), o.nextAttemptMillis());
      }
      assertFalse(alice.core().dueContacts().isEmpty());
    }
  }

  @Test
  void settingsOutOfRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Timing.OFF.withSendDelay(Duration.ofDays(2)));
    assertThrows(IllegalArgumentException.class, () -> Timing.OFF.withSendDelay(Duration.ofMillis(-1)));
    assertFalse(Timing.OFF.any());
  }
}
