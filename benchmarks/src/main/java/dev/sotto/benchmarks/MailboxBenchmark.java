package dev.sotto.benchmarks;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.Mailbox;
import dev.sotto.node.NodeCore;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The mailbox side of FETCH (spec: transport.adoc#mailbox), on one thread: 1,000 receivers, each
 * on its own link with its own tags, fetch in turn; the score, in fetches per second, is what one
 * core serves (the link's frame opening and sealing aside: {@code PrimitivesBenchmark} prices the
 * AEAD). {@code tags}: how many tags each FETCH names (a session watches up to 128); {@code items}:
 * 0, nothing waits, or 1, each receiver has one 1 KiB envelope waiting (handed out at every
 * fetch, since nobody acknowledges it). The FETCH budgets are lifted, so that every fetch is
 * served rather than refused: with the spec's (8 MiB a second for every source together, a
 * fetch of 128 tags costing 66,560 bytes of it), 1,000 receivers a second could name about 14
 * tags each.
 *
 * <p>On a shared machine the score also counts the time the thread waits for a core; each
 * iteration therefore prints the thread's own CPU time per fetch, and the fetches per second of
 * CPU time that follow from it: what one core would serve.
 */
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class MailboxBenchmark {
  static final int RECEIVERS = 1_000;

  @Param({"16", "128"})
  public int tags;

  @Param({"0", "1"})
  public int items;

  private Path dir;
  private Store store;
  private NodeCore core;
  private final List<NodeCore.LinkState> links = new ArrayList<>();
  private final List<List<byte[]>> tagsOf = new ArrayList<>();
  private int next;
  private long requestId;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("sotto-mailbox-bench");
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    store = Store.open(dir, Vault.storeKey(seed));
    Mailbox.Rate unbounded = new Mailbox.Rate(1e15, Long.MAX_VALUE / 4);
    core = new NodeCore(store, Identity.fromSeed(seed), Clock.systemUTC(), RandomSource.secure(),
        NodeCore.Policy.DEFAULT, new Mailbox.FetchBudgets(unbounded, unbounded, unbounded));
    RandomSource random = RandomSource.secure();
    NodeCore.LinkState depositor = new NodeCore.LinkState();
    for (int r = 0; r < RECEIVERS; r++) {
      List<byte[]> own = new ArrayList<>();
      for (int t = 0; t < tags; t++) {
        own.add(random.bytes(Envelope.TAG_LENGTH));
      }
      tagsOf.add(own);
      links.add(new NodeCore.LinkState());
      for (int i = 0; i < items; i++) {
        byte[] encoded = random.bytes(Envelope.BUCKETS.get(0));
        encoded[0] = Envelope.VERSION;
        System.arraycopy(own.get(i), 0, encoded, 1, Envelope.TAG_LENGTH);
        Frame answer = core.handle(depositor, Frame.deposit(++requestId, Envelope.parse(encoded))).get(0);
        if (answer.type() != Frame.OK) {
          throw new IllegalStateException("a deposit was refused: " + answer);
        }
      }
    }
  }

  private long cpuAtStart;
  private long fetchesAtStart;
  private long fetches;

  @Setup(Level.Iteration)
  public void startIteration() {
    cpuAtStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    fetchesAtStart = fetches;
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    long cpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuAtStart;
    long n = fetches - fetchesAtStart;
    if (n > 0) {
      System.out.printf("  [cpu: %.1f us per fetch, %.0f fetches per CPU second over %d fetches]%n",
          cpu / 1e3 / n, n * 1e9 / cpu, n);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    NodeFixtures.deleteTree(dir);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public List<Frame> fetch() throws Exception {
    fetches++;
    int r = next;
    next = (r + 1) % RECEIVERS;
    List<Frame> answer = core.handle(links.get(r), Frame.fetch(++requestId, tagsOf.get(r)));
    if (answer.size() != items + 1) {
      throw new IllegalStateException("a fetch got " + answer);
    }
    return answer;
  }
}
