package dev.sotto.benchmarks;

import dev.sotto.Address;
import dev.sotto.RandomSource;
import dev.sotto.node.Node;
import dev.sotto.node.net.HandshakeBudget;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.Memory;
import dev.sotto.node.net.Server;
import dev.sotto.node.net.WireTap;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory of an idle node and of the links it holds, measured in the node's own process ({@link
 * Memory}: heap in use after full collections, and the resident set): the node runs here, and the
 * other ends of its links in a child JVM, so that only the node's side is counted. The child makes
 * {@code links} authenticated links and leaves them idle, then opens and closes {@code churn}
 * sockets beside them (connecting and going, or sending part of a hello, or a hello of garbage),
 * 2,000 a second. The node's process runs with the JVM's default heap unless told otherwise; the
 * figures of README were taken with {@code -Xmx512m}. Not a JMH benchmark: memory is not speed. Run it with
 * {@code java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.NodeMemory [links [churn]]}
 * (10,000 and 20,000 by default; each process needs that many files open: {@code ulimit -n}).
 */
public final class NodeMemory {
  private NodeMemory() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("clients")) {
      clients(Integer.parseInt(args[1]), HexFormat.of().parseHex(args[2]), Integer.parseInt(args[3]),
          Integer.parseInt(args[4]));
      return;
    }
    int links = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int churn = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    Path dir = Files.createTempDirectory("sotto-memory");
    try {
      Memory.Use before = Memory.measure();
      // Every link comes from loopback, which meets only the global handshake budget: 5,000 a
      // second makes the links in seconds. Idle links are kept 10 minutes: long enough to measure.
      HandshakeBudget.Rates r = HandshakeBudget.Rates.DEFAULT;
      Server.Limits limits = Server.Limits.DEFAULT.withIdleMillis(600_000)
          .withHandshakes(new HandshakeBudget.Rates(r.perPrefix(), r.prefixBurst(), 5_000, 5_000, false));
      Node node = Node.open(NodeFixtures.initNode(dir, "idle", List.of()), null,
          Node.Options.defaults().withLimits(limits));
      node.start();
      Thread.sleep(1000);
      Memory.Use idle = Memory.measure();
      Address address = node.peerAddress();
      Process child = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
          NodeMemory.class.getName(), "clients", String.valueOf(address.port()),
          HexFormat.of().formatHex(address.linkKey()), String.valueOf(links), String.valueOf(churn))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      expect(out, "HELD");
      for (int i = 0; i < 600 && node.openLinks() < links; i++) {
        Thread.sleep(100);
      }
      Memory.Use held = Memory.measure();
      int open = node.openLinks();
      child.getOutputStream().write("churn\n".getBytes(StandardCharsets.UTF_8));
      child.getOutputStream().flush();
      expect(out, "CHURNED");
      Memory.Use after = Memory.measure();
      Map<String, Long> counters = node.serving();
      System.out.printf("heap before the node:            %,d bytes (resident set %,d KiB)%n", before.heapBytes(),
          before.rssKib());
      System.out.printf("idle node (over before):         %,d bytes of heap, %,d KiB resident in all%n",
          idle.heapBytes() - before.heapBytes(), idle.rssKib());
      System.out.printf("%,d idle links held:             %,d bytes of heap more (%,d per link), %,d KiB resident"
          + " more (%,d bytes per link)%n", open, held.heapBytes() - idle.heapBytes(),
          (held.heapBytes() - idle.heapBytes()) / Math.max(1, open), held.rssKib() - idle.rssKib(),
          (held.rssKib() - idle.rssKib()) * 1024 / Math.max(1, open));
      System.out.printf("after %,d sockets came and went: %,d bytes of heap over idle, %,d KiB resident over idle,"
          + " %,d links still open%n", churn, after.heapBytes() - idle.heapBytes(), after.rssKib() - idle.rssKib(),
          node.openLinks());
      System.out.println("counters: " + counters);
      child.getOutputStream().close();
      child.waitFor(60, TimeUnit.SECONDS);
      node.close();
    } finally {
      NodeFixtures.deleteTree(dir);
    }
  }

  private static void expect(BufferedReader out, String word) throws Exception {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(word)) {
        return;
      }
    }
    throw new IllegalStateException("the clients' process ended before " + word);
  }

  /** The child: holds the links, churns, says so, and waits for its standard input to end. */
  private static void clients(int port, byte[] key, int links, int churn) throws Exception {
    Address address = Address.peer("127.0.0.1", port, key);
    List<LinkChannel> held = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(16);
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> work = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      work.add(pool.submit(() -> {
        while (next.getAndIncrement() < links) {
          held.add(LinkChannel.connect(address, "memory", RandomSource.secure(), 30_000, WireTap.NONE));
        }
        return null;
      }));
    }
    for (Future<?> f : work) {
      f.get();
    }
    System.out.println("HELD " + held.size());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    in.readLine(); // the parent has measured: churn
    work.clear();
    AtomicInteger churned = new AtomicInteger();
    long start = System.nanoTime();
    RandomSource random = RandomSource.secure();
    for (int t = 0; t < 8; t++) {
      work.add(pool.submit(() -> {
        int i;
        while ((i = churned.getAndIncrement()) < churn) {
          long early = start + (long) (i * 1e9 / 2_000) - System.nanoTime();
          if (early > 0) {
            Thread.sleep(early / 1_000_000);
          }
          try (Socket s = new Socket()) {
            // From 64 addresses of 127.0.0.0/8: 30,000 sockets from one would run out of ports.
            s.bind(new InetSocketAddress("127.0." + (10 + i % 64) + ".2", 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            OutputStream o = s.getOutputStream();
            switch (i % 3) {
              case 0 -> { }
              case 1 -> o.write(new byte[] {2, 0, 0});
              default -> o.write(random.bytes(1243));
            }
          } catch (Exception e) {
            // counted by the node, if it saw it
          }
        }
        return null;
      }));
    }
    for (Future<?> f : work) {
      f.get();
    }
    System.out.println("CHURNED " + churn);
    System.out.flush();
    while (in.read() >= 0) {
      // hold the links until the parent is done
    }
    held.forEach(LinkChannel::close);
    pool.shutdownNow();
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
