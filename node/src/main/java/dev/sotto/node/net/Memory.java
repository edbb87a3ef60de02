package dev.sotto.node.net;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory this process uses, as the node's memory figures are measured (README, the
 * benchmarks' {@code NodeMemory} and the node's tests): the heap in use after full collections,
 * and the resident set (Linux), which adds what lies outside the heap (thread stacks, direct
 * buffers, the JVM itself).
 */
public final class Memory {
  private Memory() {}

  /** Heap in use after full collections, in bytes; the resident set in KiB, or -1 where it is not known. */
  public record Use(long heapBytes, long rssKib) {}

  /** Collects a few times, then measures: takes about half a second. */
  public static Use measure() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return new Use(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), rss());
  }

  /** VmRSS of this process in KiB (Linux), or -1. */
  public static long rss() {
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
}
