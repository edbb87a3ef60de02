package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.Node;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL during 'sotto backup' and during 'sotto restore', each a process of its own (the
 * mailbox runs in this JVM): the store is never damaged (PRAGMA integrity_check), the next run
 * finishes (a backup writes the same counter again; a restore that did not commit leaves the store
 * empty and runs again), and the restore brings back every message. About 25 s (a history of
 * about 6 MiB: 150 texts of 40,000 characters).
 */
class BackupCrashTest {
  @TempDir Path dir;

  private static Node.Options fast() {
    return Node.Options.defaults().withFetchInterval(Duration.ofMillis(100));
  }

  private Process cli(Path log, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        dev.sotto.node.cli.Main.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Runs the command, kills it after {@code millis} (if it still runs); whether it was killed. */
  private boolean killAfter(long millis, String... args) throws Exception {
    Process p = cli(dir.resolve("killed.log"), args);
    if (p.waitFor(millis, TimeUnit.MILLISECONDS)) {
      return false;
    }
    p.destroyForcibly();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "survived SIGKILL");
    return true;
  }

  private String runToEnd(String... args) throws Exception {
    Path log = dir.resolve("run.log");
    Process p = cli(log, args);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the command ended");
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static String integrity(Path home) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("store.db"));
        Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA integrity_check")) {
      r.next();
      return r.getString(1);
    }
  }

  @Test
  void killedDuringBackupAndDuringRestore() throws Exception {
    Path mbox = dir.resolve("mbox");
    Node.init(mbox, IdentitySeed.generate(RandomSource.secure()), null, Cluster.CHEAP,
        new Node.Config("mbox", "127.0.0.1", Cluster.freePort(), List.of()), RandomSource.secure(), Clock.systemUTC());
    try (Node m = Node.open(mbox, null, fast())) {
      m.start();
      IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
      Path alice = dir.resolve("alice");
      Path bob = dir.resolve("bob");
      Node.Config aliceConfig = new Node.Config("alice", "127.0.0.1", Cluster.freePort(), List.of(m.mailboxAddress()));
      Node.init(alice, seed, null, Cluster.CHEAP, aliceConfig, RandomSource.secure(), Clock.systemUTC());
      Node.init(bob, IdentitySeed.generate(RandomSource.secure()), null, Cluster.CHEAP,
          new Node.Config("bob", "127.0.0.1", Cluster.freePort(), List.of()), RandomSource.secure(), Clock.systemUTC());
      String text = "x".repeat(40_000);
      int expected;
      try (Node b = Node.open(bob, null, Node.Options.defaults());
          Node a = Node.open(alice, null, Node.Options.defaults())) {
        a.addContact("bob", b.card().text(), false);
        for (int i = 0; i < 150; i++) {
          a.send("bob", i + " " + text);
        }
        expected = a.history("bob", 1000).size();
      }
      assertTrue(expected >= 150, "alice's history: " + expected);

      // SIGKILL during backups, a little later each time, then a backup to the end
      // SIGKILL as soon as the mailbox has taken a few of the backup's chunks (polled every millisecond)
      long puts = m.serving().get("backup_puts");
      Process p = cli(dir.resolve("killed.log"), "--home", alice.toString(), "backup");
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (m.serving().get("backup_puts") < puts + 3 && p.isAlive() && System.nanoTime() - end < 0) {
        Thread.sleep(1);
      }
      assertTrue(p.isAlive(), "the backup still ran when its first chunks were in");
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "survived SIGKILL");
      long taken = m.serving().get("backup_puts") - puts;
      assertEquals("ok", integrity(alice));
      try (Node a = Node.open(alice, null, Node.Options.defaults())) {
        assertTrue(a.backups().last().isEmpty(), "killed before its head: the lineage did not advance");
      }
      assertTrue(taken < 90, "killed midway: " + taken + " envelopes taken of about 95");
      // and later, at whatever point a kill lands
      for (long millis : new long[] {900, 1500}) {
        killAfter(millis, "--home", alice.toString(), "backup");
        assertEquals("ok", integrity(alice));
      }
      String done = runToEnd("--home", alice.toString(), "backup");
      assertTrue(done.contains("Made backup"), done);

      // SIGKILL during restores into a fresh home of the same identity, then a restore to the end
      Path fresh = dir.resolve("fresh");
      Node.init(fresh, seed, null, Cluster.CHEAP, aliceConfig, RandomSource.secure(), Clock.systemUTC());
      for (long millis : new long[] {700, 1200}) {
        killAfter(millis, "--home", fresh.toString(), "restore");
        assertEquals("ok", integrity(fresh));
        try (Node f = Node.open(fresh, null, Node.Options.defaults())) {
          int contacts = f.contacts().size();
          assertTrue(contacts == 0 || contacts == 1, "all or nothing: " + contacts);
          if (contacts == 1) {
            assertEquals(expected, f.history("bob", 1000).size(), "a restore that committed holds every message");
          }
        }
      }
      try (Node f = Node.open(fresh, null, Node.Options.defaults())) {
        if (f.contacts().isEmpty()) {
          f.close();
          String restored = runToEnd("--home", fresh.toString(), "restore");
          assertTrue(restored.contains("Restored backup"), restored);
        }
      }
      try (Node f = Node.open(fresh, null, Node.Options.defaults())) {
        assertEquals(1, f.contacts().size());
        List<Node.Shown> history = f.history("bob", 1000);
        assertEquals(expected, history.size(), "every message of alice's history");
        assertTrue(history.get(history.size() - 1).text().startsWith("149 "));
      }
      assertEquals("ok", integrity(fresh));
    }
  }
}
