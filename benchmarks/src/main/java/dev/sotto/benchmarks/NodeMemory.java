package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.Node;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory of an idle node and of each open link, measured in one process: heap in use after
 * full collections, and live threads (each link is served by one thread, whose stack is outside
 * the heap). Not a JMH benchmark: memory is not speed. Run it with
 * {@code java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.NodeMemory [links]}.
 */
public final class NodeMemory {
  private NodeMemory() {}

  public static void main(String[] args) throws Exception {
    int links = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    Path dir = Files.createTempDirectory("sotto-memory");
    try {
      long before = usedHeap();
      long rssBefore = rss();
      Node node = start(dir, "idle");
      Thread.sleep(1000);
      long idle = usedHeap();
      long rssIdle = rss();
      int idleThreads = Thread.activeCount();
      List<LinkChannel> open = new ArrayList<>();
      for (int i = 0; i < links; i++) {
        open.add(LinkChannel.connect(node.peerAddress(), "probe", RandomSource.secure(), 5000, WireTap.NONE));
      }
      waitFor(node, links);
      long withLinks = usedHeap();
      long rssLinks = rss();
      int linkThreads = Thread.activeCount();
      System.out.printf("heap before the node:          %,d bytes%n", before);
      System.out.printf("idle node (heap, over before): %,d bytes, %d threads%n", idle - before, idleThreads);
      System.out.printf("%d open links (both ends in this process): %,d bytes more, %d threads more%n",
          links, withLinks - idle, linkThreads - idleThreads);
      System.out.printf("per link (both ends):          %,d bytes of heap%n", (withLinks - idle) / links);
      System.out.printf("resident set (whole process):  %,d KiB before the node, %,d idle, %,d with the links"
          + " (%,d KiB per link, thread stacks included)%n", rssBefore, rssIdle, rssLinks, (rssLinks - rssIdle) / links);
      open.forEach(LinkChannel::close);
      node.close();
    } finally {
      NodeFixtures.deleteTree(dir);
    }
  }

  private static Node start(Path dir, String name) throws Exception {
    Node node = Node.open(NodeFixtures.initNode(dir, name, List.of()), null, Node.Options.defaults());
    node.start();
    return node;
  }

  private static void waitFor(Node node, int links) throws InterruptedException, IOException, SottoException {
    for (int i = 0; i < 500 && node.openLinks() < links; i++) {
      Thread.sleep(10);
    }
  }

  /** VmRSS of this process in KiB (Linux), or -1. */
  private static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux
    }
    return -1;
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
