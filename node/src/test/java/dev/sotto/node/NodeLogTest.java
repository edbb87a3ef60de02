package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log rotates: at most a few files of at most the size limit, the newest in node.0.log. */
class NodeLogTest {
  @TempDir Path home;

  @Test
  void theLogRotatesOverAFewFilesOfBoundedSize() throws Exception {
    System.Logger log = NodeLog.of(home);
    int limit = 4_096;
    try (NodeLog.FileLog files = NodeLog.toFiles(home, limit, 3)) {
      for (int i = 0; i < 1_000; i++) {
        log.log(System.Logger.Level.INFO, "line " + i + " of a log that outgrows its files");
      }
      log.log(System.Logger.Level.DEBUG, "not written at INFO");
    }
    List<Path> written;
    try (Stream<Path> listed = Files.list(NodeLog.directory(home))) {
      written = listed.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
    }
    assertEquals(List.of("node.0.log", "node.1.log", "node.2.log"),
        written.stream().map(p -> p.getFileName().toString()).toList());
    for (Path p : written) {
      assertTrue(Files.size(p) <= limit + 200, p + ": " + Files.size(p) + " bytes");
    }
    String newest = Files.readString(written.get(0));
    assertTrue(newest.contains(" INFO line 999 of a log"), newest);
    assertTrue(!newest.contains("not written"), newest);
    // Written again after a restart: appended to, not overwritten.
    try (NodeLog.FileLog files = NodeLog.toFiles(home, limit, 3)) {
      log.log(System.Logger.Level.WARNING, "after a restart");
    }
    String again = Files.readString(NodeLog.directory(home).resolve(NodeLog.CURRENT));
    assertTrue(again.contains(" INFO line 999 of a log") && again.contains(" WARNING after a restart"), again);
  }
}
