package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import dev.sotto.node.NodeLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log in the home (issue 14, item 10): a node that ran, sent and received writes one, with
 * what failed; and no secret reaches it, nor the lines --verbose prints: not the messages' texts,
 * the recovery codes, the passphrase, nor the seed in hex.
 */
class LogTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  private static final String PASSPHRASE = "correct horse battery staple 42";
  private static final String TO_BOB = "the eagle lands at midnight, bring 3 apples";
  private static final String TO_ALICE = "understood: apples at the old mill";

  @Test
  void aNodeThatSentAndReceivedLogsNoSecret() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    int deadPort = Cli.freePort(); // nothing listens there: alice's second mailbox fails, and the log says so
    cli.env(Main.PASSPHRASE_ENV, PASSPHRASE);
    Cli.Result a = cli.run("--home", alice.toString(), "init", "--name", "alice", "--port",
        Integer.toString(Cli.freePort()), "--passphrase", "--mailbox", "mailbox:127.0.0.1:" + deadPort + ":"
            + HexFormat.of().formatHex(dev.sotto.LinkKey.generate(dev.sotto.RandomSource.secure()).publicKey()))
        .ok();
    cli.env(Main.PASSPHRASE_ENV, null);
    Cli.Result b = cli.run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(Cli.freePort()))
        .ok();
    List<String> secrets = new ArrayList<>(List.of(TO_BOB, TO_ALICE, PASSPHRASE, "apples"));
    for (Cli.Result r : List.of(a, b)) {
      String code = "sottoseed1" + Cli.field(r.out(), "sottoseed1");
      secrets.add(code);
      secrets.add(code.substring("sottoseed1".length()));
      secrets.add(HexFormat.of().formatHex(dev.sotto.IdentitySeed.fromRecoveryCode(code).toBytes()));
    }

    List<String> verbose = new ArrayList<>();
    try (NodeLock bobLock = NodeLock.tryTake(bob); Node bobNode = Node.open(bob, null, CommandsTest.fast())) {
      bobNode.start();
      String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
      cli.env(Main.PASSPHRASE_ENV, PASSPHRASE);
      cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
      String alicesCard = cli.run("--home", alice.toString(), "card").ok().out().strip();
      cli.env(Main.PASSPHRASE_ENV, null);
      cli.run("--home", bob.toString(), "contact", "add", "alice", alicesCard, "--quiet").ok();
      cli.env(Main.PASSPHRASE_ENV, PASSPHRASE);
      try (NodeLock aliceLock = NodeLock.tryTake(alice);
          Node aliceNode = Node.open(alice, PASSPHRASE.toCharArray(), CommandsTest.fast())) {
        aliceNode.start();
        Cli.Result sent = cli.run("--verbose", "--home", alice.toString(), "send", "bob", TO_BOB).ok();
        assertTrue(sent.out().startsWith("delivered to bob's node"), sent.out());
        verbose.add(sent.err());
        cli.env(Main.PASSPHRASE_ENV, null);
        Cli.Result reply = cli.run("--home", bob.toString(), "--verbose", "send", "alice", TO_ALICE).ok();
        assertTrue(reply.out().startsWith("delivered to alice's node"), reply.out());
        verbose.add(reply.err());
        assertTrue(cli.run("--home", bob.toString(), "read").ok().out().contains(TO_BOB));
        cli.env(Main.PASSPHRASE_ENV, PASSPHRASE);
        CommandsTest.await(() -> cli.run("--home", alice.toString(), "status").ok().out().contains("fetching failing"));
        assertTrue(cli.run("--home", alice.toString(), "read").ok().out().contains(TO_ALICE));
      }
    }

    String aliceLog = log(alice);
    String bobLog = log(bob);
    assertTrue(aliceLog.contains(" INFO node started, listening on 127.0.0.1:"), aliceLog);
    assertTrue(aliceLog.contains(" INFO node stopped"), aliceLog);
    assertTrue(aliceLog.contains(" WARNING mailbox 127.0.0.1:" + deadPort + ": cannot fetch: connection refused"),
        aliceLog);
    assertTrue(bobLog.contains(" INFO node started"), bobLog);
    String shown = String.join("\n", verbose);
    assertTrue(shown.contains(" DEBUG contact #1: envelope "), "--verbose shows each delivery: " + shown);
    for (String secret : secrets) {
      for (String text : List.of(aliceLog, bobLog, shown)) {
        assertFalse(text.toLowerCase().contains(secret.toLowerCase()), "'" + secret + "' in:\n" + text);
      }
    }
  }

  /** Every log file of a home, one after the other. */
  private static String log(Path home) throws IOException {
    Path dir = NodeLog.directory(home);
    assertTrue(Files.isRegularFile(dir.resolve(NodeLog.CURRENT)), "a log at " + dir.resolve(NodeLog.CURRENT));
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
        all.append(Files.readString(f, StandardCharsets.UTF_8));
      }
    }
    return all.toString();
  }
}
