package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.node.Mailbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A fetch storm (issue 14 item 5; spec: transport.adoc#mailbox-policy): 60 links, each sending
 * FETCHes of 1,024 tags, 64 of which hold an item of 64 KiB, one after another without waiting for
 * the answers, against a mailbox, while honest initiators make links to it. A FETCH is limited by
 * what it costs (the tags it looks up and the bytes it hands out), not by its count: the bytes
 * served over the storm stay within the global FETCH budget, and the request bytes read within the
 * pace of every link together, so honest handshakes still complete quickly.
 *
 * <p>Timing margins, for a loaded 2-core CI machine: the honest handshakes' p99 (connect and
 * handshake), and that of the whole probe (and one DELIVER answered), must be under 1 s; here they
 * are about 300 to 700 ms on a machine with a load of 10 on its two cores, with the storm's 120
 * threads in the test's own JVM on the same cores: the narrowest margin of these tests, which is
 * why two initiators probe, one after another each, so that the p99 of some 150 to 300 samples is
 * not merely the slowest one. The probes start 5 s into the storm ({@link #WARM_UP}). The budget's
 * bound is computed from the storm's measured duration, so a slow machine only loosens it.
 */
class FetchStormTest extends ClusterTest {
  private static final int LINKS = 60;
  private static final Duration STORM = Duration.ofSeconds(12);
  /**
   * The storm's first seconds are left out of the measurement: its 120 threads, in this JVM on the
   * same two cores as the mailbox, first seal requests as fast as their sockets take them, which
   * says nothing of the mailbox.
   */
  private static final Duration WARM_UP = Duration.ofSeconds(5);

  @Test
  void aFetchStormIsHeldToItsBudgetWhileHonestHandshakesCompleteQuickly() throws Exception {
    cluster.init("m", List.of());
    Cluster.Running m = cluster.spawn("m");
    int port = m.port();
    byte[] key = cluster.node("m").peerAddress().linkKey();

    // 64 items of 64 KiB under 64 tags, among the 1,024 tags every FETCH of the storm names.
    List<byte[]> tags = new ArrayList<>();
    try (RawClient c = RawClient.link(port, key)) {
      for (int i = 0; i < 64; i++) {
        byte[] tag = RawClient.RANDOM.bytes(Envelope.TAG_LENGTH);
        tags.add(tag);
        byte[] encoded = RawClient.RANDOM.bytes(Envelope.BUCKETS.get(Envelope.BUCKETS.size() - 1));
        encoded[0] = Envelope.VERSION;
        System.arraycopy(tag, 0, encoded, 1, Envelope.TAG_LENGTH);
        assertTrue(RawClient.outcome(c.callOne(Frame.deposit(c.nextRequestId(), Envelope.parse(encoded)))) == -1);
      }
    }
    while (tags.size() < Frame.MAX_COUNT) {
      tags.add(RawClient.RANDOM.bytes(Envelope.TAG_LENGTH));
    }

    List<Long> quiet;
    try (Probes probes = new Probes(2, port, key, 0)) {
      Thread.sleep(3_000);
      quiet = probes.stop();
    }
    cluster.log("before the storm: honest " + Probes.describe(quiet));

    Map<String, Long> before = cluster.counters("m");
    List<String> from = SlowClientsTest.manyAddresses();
    List<Long> times;
    List<Long> handshakes;
    long start = System.nanoTime();
    double seconds;
    try (Flood storm = new Flood(port, key, from, LINKS, id -> Frame.fetch(id, tags))) {
      Thread.sleep(WARM_UP.toMillis());
      Probes probes = new Probes(2, port, key, 0);
      Thread.sleep(STORM.toMillis());
      times = probes.stop();
      handshakes = probes.handshakes();
      seconds = (System.nanoTime() - start) / 1e9;
      cluster.log(String.format("storm of %d links for %.1f s: %s; honest %s; their handshakes: %s; slow ones:%s%s", LINKS,
          seconds, storm, Probes.describe(times), Probes.describe(handshakes), probes.slowest(500), ""));
    }
    Map<String, Long> after = cluster.counters("m");
    cluster.log("m's counters: " + after);
    if (Boolean.getBoolean("sotto.it.verbose")) {
      cluster.log("m's output:\n" + m.output);
    }
    long served = after.get("mailbox_bytes_served") - before.get("mailbox_bytes_served");
    long fetches = after.get("mailbox_fetches") - before.get("mailbox_fetches");
    long refused = after.get("mailbox_fetches_refused") - before.get("mailbox_fetches_refused");
    cluster.log(String.format("%d FETCHes served (%.1f MiB), %d refused", fetches, served / 1048576.0, refused));

    // The global budget: its burst, its rate over the storm, and one FETCH of debt.
    Mailbox.Rate global = Mailbox.FetchBudgets.DEFAULT.global();
    double most = global.burst() + global.perSecond() * (seconds + 1) + 5 * (1 << 20);
    assertTrue(served <= most, "bytes served " + served + " within the global budget " + (long) most);
    assertTrue(refused > fetches, "most FETCHes refused: " + fetches + " served, " + refused + " refused");
    assertTrue(times.size() >= 20, "probes made: " + times.size());
    long p99 = Probes.quantile(handshakes, 0.99);
    assertTrue(p99 < 1_000, "honest handshakes' p99 during the storm " + p99 + " ms: " + Probes.describe(handshakes));
    p99 = Probes.quantile(times, 0.99);
    assertTrue(p99 < 1_000, "honest links' p99 (handshake and a DELIVER) " + p99 + " ms: " + Probes.describe(times));
  }

}
