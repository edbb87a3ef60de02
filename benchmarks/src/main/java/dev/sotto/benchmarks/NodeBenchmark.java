package dev.sotto.benchmarks;

import dev.sotto.Address;
import dev.sotto.node.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
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
 * Two nodes on loopback, end to end (spec: transport.adoc#node-delivery): from
 * {@link Node#send} at Alice to the commit of the message in Bob's store, over real TCP links,
 * with every store transaction durable (SQLite, WAL, synchronous=FULL).
 *
 * <ul>
 *   <li>{@code direct}: Bob listens; Alice's node DELIVERs to him.
 *   <li>{@code mailbox}: Bob does not listen (reachable only through his mailbox, as behind a NAT);
 *       Alice's node DEPOSITs at a third node, from which Bob's node FETCHes every 5 ms and ACKs.
 *       The fetch interval bounds this latency from below: it is a setting, not a cost.
 * </ul>
 *
 * <p>{@code latency} sends one message and waits for it (SampleTime gives p50 and p99);
 * {@code burst} sends 100 and waits for the last (messages per second = 100 / time).
 *
 * <p>On a shared machine the times also count the waits for a core; each iteration therefore
 * prints the process's CPU time per message (both nodes, and the mailbox's, are in this process).
 */
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class NodeBenchmark {
  @Param({"direct", "mailbox"})
  public String route;

  @Param({"100", "16384"})
  public int size;

  private Path dir;
  private Node mailbox;
  private Node alice;
  private Node bob;
  private String text;
  private final Semaphore received = new Semaphore(0);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("sotto-bench");
    Node.Options fast = Node.Options.defaults().withFetchInterval(Duration.ofMillis(5));
    List<Address> mailboxes = List.of();
    if (route.equals("mailbox")) {
      mailbox = open(init("mailbox", List.of()), fast);
      mailbox.start();
      mailboxes = List.of(mailbox.mailboxAddress());
    }
    alice = open(init("alice", mailboxes), fast);
    alice.start();
    bob = open(init("bob", mailboxes), fast.withListening(route.equals("direct")));
    bob.start();
    bob.onReceived(received::release);
    // Bob knows Alice already (added quietly): her first contact is not a request held for him
    // to accept (spec: transport.adoc#node-requests), whose texts would wait for his answer.
    bob.addContact("alice", alice.card().text(), false);
    alice.addContact("bob", bob.card().text());
    text = "x".repeat(size);
    // The first contact and one message: the session exists before the measurement.
    alice.send("bob", text);
    if (!received.tryAcquire(2, 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the first messages did not arrive");
    }
    received.drainPermits();
  }

  private Path init(String name, List<Address> mailboxes) throws Exception {
    return NodeFixtures.initNode(dir, name, mailboxes);
  }


  private static Node open(Path home, Node.Options options) throws Exception {
    return Node.open(home, null, options);
  }

  private long cpuAtStart;
  private long messagesAtStart;
  private long messages;

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  @Setup(Level.Iteration)
  public void startIteration() {
    cpuAtStart = processCpu();
    messagesAtStart = messages;
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    long n = messages - messagesAtStart;
    if (n > 0) {
      System.out.printf("  [cpu: %.0f us per message over %d messages]%n", (processCpu() - cpuAtStart) / 1e3 / n, n);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    for (Node n : new Node[] {alice, bob, mailbox}) {
      if (n != null) {
        n.close();
      }
    }
    NodeFixtures.deleteTree(dir);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void latency() throws Exception {
    alice.send("bob", text);
    messages++;
    if (!received.tryAcquire(1, 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("a message did not arrive");
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void burst() throws Exception {
    for (int i = 0; i < 100; i++) {
      alice.send("bob", text);
    }
    messages += 100;
    if (!received.tryAcquire(100, 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("messages did not arrive");
    }
  }
}
