package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.LinkKey;
import dev.sotto.NodeMessage;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.node.ContactBook;
import dev.sotto.node.Node;
import dev.sotto.node.NodeCore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, items 4 and 7 (docs: attacks.md, "anyone who holds your card"): 2,000 first contacts
 * from 2,000 fresh identities, each with a valid card and HELLO, flood alice through one of her
 * cards (A), delivered directly over 8 links as fast as she takes them and the first 48 of those
 * she refuses left at her mailbox M, while carol, a contact, keeps writing to her and bob's and
 * dave's requests come through her other card (B), one before the flood and one during it.
 *
 * <p>What must hold: carol's messages arrive with a p99 under {@link #HONEST_P99}; alice holds at
 * most {@link NodeCore.RequestPolicy#perCard} requests through card A, bob's and dave's through
 * card B are both held (none evicted, dave's taken in the middle of the flood); afterwards, with
 * carol silent, alice's fetching from M (FETCHes a second, tags watched, bytes handed out) is what
 * it was before the flood, her heap after full collections and her resident set grew by less than
 * {@link #HEAP_GROWTH} and {@link #RSS_GROWTH}, and her idle CPU is below {@link #IDLE_CPU}.
 *
 * <p>Margins, for a loaded 2-core CI machine running the three node JVMs of this test and the
 * flood's 8 links in this one. Carol's messages: her node sees a queued message at its next tick
 * (50 ms), seals it, delivers it, alice commits it, and this JVM polls every 10 ms: about 0.1 s
 * when idle; under the flood here, median 49 ms, p99 0.37 s, max 0.55 s. {@link #HONEST_P99} is 2 s,
 * room for GC pauses and fsyncs queued behind the other processes' (5 times the p99 measured). The
 * first contacts alice opens are bounded by her budgets (card A: 16 at once, then 2 a second, and
 * what she fetches from M), so the flood costs her a few dozen openings however fast it comes
 * (measured: 18 of the 2,000 taken directly, 1,982 refused in 1.3 s, 48 fetched from M). Her
 * memory is measured after full collections, so that garbage does not count: measured growth 1.6
 * MB of heap (bound 16 MB) and 19 MB of resident set (bound 96 MB: the JIT's code and the
 * allocator's arenas grow with the work, and do not shrink). Her idle CPU over 5 s was 6 % of a
 * core after the flood (13 % before it, while the JIT was still compiling); the bound, 20 %,
 * is below the issue's figure (23 % with 2,000 contacts) and 3 times what was measured. Once, on a
 * machine shared with another build, the first window after the flood measured 23 %: up to
 * {@link #IDLE_WINDOWS} windows are measured, and the first below the bound ends it; a node that
 * keeps working for the requests it holds fails all of them. Dave's
 * first contact during the flood must be taken at once: card B's budget is untouched by the flood,
 * and the global one (8 a second, burst 32) keeps 6 a second beside card A's 2.
 */
class RequestFloodTest extends ClusterTest {
  private static final int FLOOD = 2_000;
  private static final int LINKS = 8;
  private static final int AT_MAILBOX = 48;
  private static final Duration HONEST_P99 = Duration.ofSeconds(2);
  private static final long HEAP_GROWTH = 16L << 20;
  private static final long RSS_GROWTH_KIB = 96L << 10;
  private static final double IDLE_CPU = 0.20;
  private static final Duration IDLE_WINDOW = Duration.ofSeconds(5);
  private static final int IDLE_WINDOWS = 3;

  /** A first contact to alice from a fresh identity whose card lists only {@code deadPort}, with its HELLO. */
  private static Envelope firstContact(String name, PrekeyBundle bundle, int deadPort, byte[] key) throws Exception {
    RandomSource r = RandomSource.secure();
    Identity id = Identity.fromSeed(IdentitySeed.generate(r));
    Instant now = Instant.now();
    Card own = Card.builder(id).validity(now.minusSeconds(60), now.plus(Duration.ofDays(30)))
        .address(Address.peer("127.0.0.1", deadPort, key)).issue(r);
    Responder mine = new Responder(id);
    mine.addCard(own);
    PrekeyBundle ownBundle = mine.issueBundle(own, now.minusSeconds(60), now.plus(Duration.ofDays(3)), r);
    byte[] hello = NodeMessage.hello(0, now.getEpochSecond(), name, ownBundle).encode();
    return Session.initiate(id, Prekeys.of(bundle), now, hello, r).envelopes().get(0);
  }

  /** Alice's newest bundle of {@code card}, as her node serves it. */
  private static PrekeyBundle bundleOf(int port, byte[] key, Card card) throws Exception {
    try (RawClient c = RawClient.link(port, key)) {
      Frame answer = c.callOne(Frame.getPrekeys(c.nextRequestId(), card.bundleTag()));
      return PrekeyBundle.parse(answer.prekeyItems().get(0).encoded(), card, Instant.now());
    }
  }

  private static int deliver(int port, byte[] key, Envelope e) throws Exception {
    try (RawClient c = RawClient.link(port, key)) {
      return RawClient.outcome(c.callOne(Frame.deliver(c.nextRequestId(), e)));
    }
  }

  /** The CPU time (user and system, ms) the process has used, from /proc. */
  private static long cpuMillis(Process p) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // fields 14 and 15, in ticks of 10 ms
  }

  /** Alice's fetching from M over the idle window: FETCHes, bytes handed out, tags newly watched; and her CPU share. */
  private record Idle(double fetchesPerSecond, long bytes, long newTags, double cpu) {}

  private Idle idle(Cluster.Running alice, Cluster.Running m) throws Exception {
    Map<String, Long> before = m.counters();
    long cpu = cpuMillis(alice.process);
    long start = System.nanoTime();
    Thread.sleep(IDLE_WINDOW.toMillis());
    Map<String, Long> after = m.counters();
    long cpuAfter = cpuMillis(alice.process);
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Idle((after.get("mailbox_fetches") - before.get("mailbox_fetches")) / seconds,
        after.get("mailbox_bytes_served") - before.get("mailbox_bytes_served"),
        after.get("mailbox_watched_tags") - before.get("mailbox_watched_tags"), (cpuAfter - cpu) / 1000.0 / seconds);
  }

  @Test
  void aFloodOfFirstContactsThroughOneCardCostsBoundedWorkAndTakesNoRoomFromAnother() throws Exception {
    cluster.init("m", List.of());
    Address mailbox = cluster.node("m").mailboxAddress();
    cluster.init("alice", List.of(mailbox));
    cluster.init("carol", List.of());
    Card cardA = cluster.node("alice").card();
    Card cardB = cluster.node("alice").renewCard(); // her current card; A stays valid
    cluster.introduce("carol", "alice");
    Cluster.Running m = cluster.spawn("m");
    Cluster.Running alice = cluster.spawn("alice", "--fetch-ms", "250");
    Cluster.Running carol = cluster.spawn("carol", "--no-mailbox");
    int port = alice.port();
    m.port();
    carol.port();
    byte[] key = cluster.node("alice").peerAddress().linkKey();
    int mPort = Integer.parseInt(Node.addressText(mailbox).split(":")[2]);
    Node carolNode = cluster.node("carol");
    carolNode.send("alice", "warm-up");
    cluster.awaitInOrder("alice", "carol", 1, Duration.ofSeconds(60));

    // The flood, made before it starts: 2,000 identities, each with its card, bundle and HELLO.
    int deadPort = Cluster.freePort(); // where the flood's cards say they are: nothing listens
    byte[] deadKey = LinkKey.generate(RawClient.RANDOM).publicKey();
    PrekeyBundle bundleA = bundleOf(port, key, cardA);
    PrekeyBundle bundleB = bundleOf(port, key, cardB);
    long made = System.nanoTime();
    List<Envelope> flood = Collections.synchronizedList(new ArrayList<>());
    IntStream.range(0, FLOOD).parallel().forEach(i -> {
      try {
        flood.add(firstContact("flood" + i, bundleA, deadPort, deadKey));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    cluster.log(FLOOD + " first contacts made in " + (System.nanoTime() - made) / 1_000_000 + " ms");
    assertEquals(-1, deliver(port, key, firstContact("bob", bundleB, deadPort, deadKey)), "bob's request, through B");
    Envelope dave = firstContact("dave", bundleB, deadPort, deadKey);

    // Before: alice idle (carol silent), her memory and her fetching.
    Thread.sleep(1_000);
    Map<String, Long> memoryBefore = alice.memory();
    Idle quiet = idle(alice, m);
    cluster.log("before the flood: " + quiet + ", memory " + memoryBefore);

    // Carol writes every 50 ms from now on; this JVM notes when each message arrives.
    AtomicBoolean writing = new AtomicBoolean(true);
    Map<Long, Long> queued = new ConcurrentHashMap<>();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    long firstSeq = cluster.inOrder("alice", "carol");
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        while (writing.get()) {
          long seq = carolNode.send("alice", "steady");
          queued.put(seq, System.nanoTime());
          Thread.sleep(50);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    CompletableFuture<Void> watcher = CompletableFuture.runAsync(() -> {
      try {
        long next = firstSeq;
        while (writing.get() || next < carolNode.contact("alice").nextOutSeq()) {
          long in = cluster.inOrder("alice", "carol");
          long now = System.nanoTime();
          for (; next < in; next++) {
            Long at = queued.get(next);
            if (at != null) {
              latencies.add((now - at) / 1_000_000);
            }
          }
          Thread.sleep(10);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(1_000);

    // The flood: every first contact delivered directly, 8 links at once, as fast as alice answers.
    AtomicInteger next = new AtomicInteger();
    AtomicInteger taken = new AtomicInteger();
    AtomicInteger limited = new AtomicInteger();
    List<Envelope> refused = Collections.synchronizedList(new ArrayList<>());
    List<Envelope> takenOnes = Collections.synchronizedList(new ArrayList<>());
    long floodStart = System.nanoTime();
    List<CompletableFuture<Void>> links = new ArrayList<>();
    for (int l = 0; l < LINKS; l++) {
      String from = "127.0.0." + (10 + l);
      links.add(CompletableFuture.runAsync(() -> {
        try (RawClient c = RawClient.linkFrom(from, port, key)) {
          for (int i = next.getAndIncrement(); i < FLOOD; i = next.getAndIncrement()) {
            int outcome = RawClient.outcome(c.callOne(Frame.deliver(c.nextRequestId(), flood.get(i))));
            if (outcome == -1) {
              taken.incrementAndGet();
              takenOnes.add(flood.get(i));
            } else if (outcome == ErrorCode.LIMIT_EXCEEDED.number()) {
              limited.incrementAndGet();
              refused.add(flood.get(i));
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    Thread.sleep(500);
    int daveOutcome = deliver(port, key, dave); // in the middle of the flood, through card B
    CompletableFuture.allOf(links.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    long floodMillis = (System.nanoTime() - floodStart) / 1_000_000;
    // As the flood's senders would, some of what alice refused is left at her mailbox.
    try (RawClient c = RawClient.link(mPort, cluster.node("m").peerAddress().linkKey())) {
      for (Envelope e : refused.subList(0, Math.min(AT_MAILBOX, refused.size()))) {
        assertEquals(-1, RawClient.outcome(c.callOne(Frame.deposit(c.nextRequestId(), e))));
      }
    }
    cluster.log("flood of " + FLOOD + " in " + floodMillis + " ms: " + taken + " taken, " + limited
        + " refused over the budget; dave: " + daveOutcome);
    assertEquals(FLOOD, taken.get() + limited.get(), "every first contact is taken or refused over the budget");
    assertEquals(-1, daveOutcome, "dave's first contact through card B is taken during the flood");
    // Alice fetches what was left at M (charged to card A's budget) while carol goes on.
    cluster.await(Duration.ofSeconds(30), "alice fetches the first contacts left at M",
        () -> cluster.node("m").mailboxItems().isEmpty());
    Thread.sleep(2_000);
    writing.set(false);
    writer.get(30, TimeUnit.SECONDS);
    watcher.get(60, TimeUnit.SECONDS);
    cluster.log("carol's messages during the flood: " + Probes.describe(latencies));
    assertTrue(latencies.size() > 50, latencies.size() + " samples");
    long p99 = Probes.quantile(latencies, 0.99);
    assertTrue(p99 < HONEST_P99.toMillis(), "carol's p99 " + p99 + " ms: " + Probes.describe(latencies));

    // Replays of a first contact she took cost her nothing: her duplicate memory answers (OK), or
    // the handshake's replay cache refuses it (REPLAY); either way before any public-key operation.
    int requestsNow = cluster.node("alice").contactBook().requests().size();
    try (RawClient c = RawClient.link(port, key)) {
      for (int i = 0; i < 100; i++) {
        int outcome = RawClient.outcome(c.callOne(Frame.deliver(c.nextRequestId(), takenOnes.get(0))));
        assertTrue(outcome == -1 || outcome == ErrorCode.REPLAY.number(), "a replay: " + outcome);
      }
    }
    assertEquals(requestsNow, cluster.node("alice").contactBook().requests().size());

    // What alice holds: card A's requests at their bound, bob's and dave's through B.
    List<ContactBook.Request> requests = cluster.node("alice").contactBook().requests();
    String a = cluster.node("alice").cards().stream().filter(c -> c.card().equals(cardA)).findFirst().orElseThrow().id();
    String b = cluster.node("alice").cards().stream().filter(c -> c.card().equals(cardB)).findFirst().orElseThrow().id();
    long throughA = requests.stream().filter(r -> r.card().equals(a)).count();
    List<String> throughB = requests.stream().filter(r -> r.card().equals(b)).map(ContactBook.Request::name).toList();
    Map<String, Long> counters = alice.counters();
    cluster.log(requests.size() + " requests held (" + throughA + " through A, " + throughB + " through B); " + counters);
    assertEquals(NodeCore.RequestPolicy.DEFAULT.perCard(), throughA, "card A's requests at their bound, no more");
    assertEquals(List.of("bob", "dave"), throughB, "none of card B's evicted");
    assertEquals(List.of("carol"), cluster.node("alice").contacts().stream().map(c -> c.name()).toList());
    // The flood's 8 links cost 8 link handshakes, whatever the number of first contacts on them.
    assertTrue(counters.get("key_exchanges") <= LINKS + 8, counters.get("key_exchanges") + " link handshakes");
    assertEquals(counters.get("firstContactsOverBudget"), (long) limited.get());
    // Card A's budget: 16 at once, then 2 a second, and what was fetched from M (charged past it).
    long elapsed = (System.nanoTime() - floodStart) / 1_000_000_000 + 1;
    long opened = counters.get("requestsDropped") + throughA;
    assertTrue(opened <= 16 + 2 * elapsed + AT_MAILBOX,
        opened + " first contacts through A opened in " + elapsed + " s: bounded by the budget, not the flood");

    // Afterwards, carol silent: alice's fetching, memory and CPU as before.
    Thread.sleep(2_000);
    Idle after = idle(alice, m);
    for (int window = 1; window < IDLE_WINDOWS && after.cpu() >= IDLE_CPU; window++) {
      cluster.log("idle CPU " + after.cpu() + " in window " + window + ": still settling? measured again");
      after = idle(alice, m); // the flood's late JIT compilations and collections are not idling
    }
    Map<String, Long> memoryAfter = alice.memory();
    cluster.log("after the flood: " + after + ", memory " + memoryAfter);
    assertTrue(after.fetchesPerSecond() <= quiet.fetchesPerSecond() * 1.5 + 1,
        "FETCHes a second: " + quiet.fetchesPerSecond() + " before, " + after.fetchesPerSecond() + " after");
    assertEquals(0, after.newTags(), "no tag is fetched for the requests");
    assertEquals(0, after.bytes(), "nothing is handed out: nothing waits at M");
    assertTrue(after.cpu() < IDLE_CPU, "idle CPU " + after.cpu());
    long heapGrowth = memoryAfter.get("heap") - memoryBefore.get("heap");
    long rssGrowth = memoryAfter.get("rss") - memoryBefore.get("rss");
    assertTrue(heapGrowth < HEAP_GROWTH, "heap grew by " + heapGrowth + " bytes");
    assertTrue(rssGrowth < RSS_GROWTH_KIB, "resident set grew by " + rssGrowth + " KiB");
  }
}
