package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.FirstContacts;
import dev.sotto.node.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole story of issue 16 in one process, over loopback TCP: alice and bob talk through a
 * mailbox; alice backs up to it (and to a file; again, incrementally); a tampered file is refused in
 * one line, changing nothing; alice's home is wiped; 'init --recover --mailbox' restores contacts and
 * history from the mailbox; and alice and bob keep talking (the sessions reset; bob is told alice lost
 * what came after her backup, and sends it again). A copy of alice's old home then refuses to back up
 * or send. About 10 s.
 */
class BackupCommandsTest {
  @TempDir Path dir;
  private final Cli cli = new Cli();

  private static Node.Options fast() {
    return Node.Options.defaults().withFetchInterval(Duration.ofMillis(100));
  }

  private static void await(Duration timeout, Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("not within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  private static String recoveryCode(String initOutput) {
    for (String line : initOutput.split("\n")) {
      if (line.strip().startsWith("sottoseed1")) {
        return line.strip();
      }
    }
    throw new AssertionError("no recovery code in:\n" + initOutput);
  }

  private static List<String> texts(List<Node.Shown> shown) {
    return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList();
  }

  @Test
  void backupWipeRecoverAndKeepTalking() throws Exception {
    Path mbox = dir.resolve("mbox");
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    cli.run("--home", mbox.toString(), "init", "--name", "mbox", "--port", Integer.toString(Cli.freePort())).ok();
    String mailbox = Cli.field(cli.run("--home", mbox.toString(), "address").ok().out(), "mailbox:");
    mailbox = "mailbox:" + mailbox;
    int alicePort = Cli.freePort();
    String code = recoveryCode(cli.run("--home", alice.toString(), "init", "--name", "alice", "--port",
        Integer.toString(alicePort), "--mailbox", mailbox).ok().out());
    cli.run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(Cli.freePort()),
        "--mailbox", mailbox).ok();
    Path file = dir.resolve("alice.backup");
    try (Node m = Node.open(mbox, null, fast())) {
      m.start();
      try (Node b = Node.open(bob, null, fast())) {
        b.start();
        try (Node a = Node.open(alice, null, fast())) {
          a.start();
          b.addContact("alice", a.card().text(), false);
          a.addContact("bob", b.card().text());
          long id = a.contact("bob").id();
          await(Duration.ofSeconds(20), () -> a.firstContactStatus(id).state() == FirstContacts.State.ANSWERED);
          a.send("bob", "one");
          List<Node.Shown> got = new ArrayList<>();
          await(Duration.ofSeconds(20), () -> {
            got.addAll(b.read());
            return texts(got).contains("one");
          });
          b.send("alice", "two");
          List<Node.Shown> back = new ArrayList<>();
          await(Duration.ofSeconds(20), () -> {
            back.addAll(a.read());
            return texts(back).contains("two");
          });
        }
        // alice backs up (her node stopped): to the mailbox and a file; then again, uploading nothing new
        Cli.Result first = cli.run("--home", alice.toString(), "backup", "--out", file.toString()).ok();
        assertTrue(first.out().contains("Made backup 1 of generation 0"), first.out());
        assertTrue(first.out().contains("1 uploaded"), first.out());
        Cli.Result second = cli.run("--home", alice.toString(), "backup").ok();
        assertTrue(second.out().contains("Made backup 2 of generation 0") && second.out().contains("0 uploaded"),
            second.out());
        assertTrue(second.err().contains("1 mailbox holds"), second.err());

        // a message comes in after the last backup: the restored device will have lost it
        try (Node a = Node.open(alice, null, fast())) {
          a.start();
          b.send("alice", "after the backup");
          List<Node.Shown> late = new ArrayList<>();
          await(Duration.ofSeconds(20), () -> {
            late.addAll(a.read());
            return texts(late).contains("after the backup");
          });
        }

        // A tampered file is refused in one line, and the store it was given stays empty.
        Path other = dir.resolve("other");
        cli.stdin(code + "\n").run("--home", other.toString(), "init", "--recover", "--name", "alice2", "--port",
            Integer.toString(Cli.freePort())).ok();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 100] ^= 1;
        Path tampered = dir.resolve("tampered.backup");
        Files.write(tampered, bytes);
        cli.run("--home", other.toString(), "restore", tampered.toString()).failsWith(Failure.BAD_INPUT,
            "nothing was restored");
        Files.write(tampered, java.util.Arrays.copyOf(Files.readAllBytes(file), 5000));
        cli.run("--home", other.toString(), "restore", tampered.toString()).failsWith(Failure.BAD_INPUT,
            "nothing was restored");
        assertEquals("", cli.run("--home", other.toString(), "contact", "list").ok().out().replaceAll("(?m)^no .*\n", ""));
        // the file itself restores there
        Cli.Result fromFile = cli.run("--home", other.toString(), "restore", file.toString()).ok();
        assertTrue(fromFile.out().contains("Restored backup 1 of generation 0"), fromFile.out());

        // a copy of alice's home is kept: the device that will be superseded
        Path old = dir.resolve("alice-old");
        try (Stream<Path> all = Files.walk(alice)) {
          for (Path p : (Iterable<Path>) all::iterator) {
            Files.copy(p, old.resolve(alice.relativize(p).toString()));
          }
        }
        // alice's home is wiped; the recovery code and the mailbox's address bring everything back
        try (Stream<Path> all = Files.walk(alice)) {
          all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Cli.Result recovered = cli.stdin(code + "\n").run("--home", alice.toString(), "init", "--recover", "--name",
            "alice", "--port", Integer.toString(alicePort), "--mailbox", mailbox).ok();
        assertTrue(recovered.out().contains("Restored backup 2 of generation 0")
            && recovered.out().contains(": 1 contact, 0 requests, 0 blocked, 4 messages."),
            recovered.out());
        assertTrue(recovered.out().contains("1 session reset queued"), recovered.out());
        assertTrue(recovered.out().contains("Your earlier card is held again, with fresh prekeys"), recovered.out());
        assertTrue(recovered.out().contains("backup 3 of generation 1"), recovered.out());
        String history = cli.run("--home", alice.toString(), "history", "bob").ok().out();
        assertTrue(history.contains("one") && history.contains("two"), history);

        // the old device reads the newer head (generation 1) at its next backup, and stops
        cli.run("--home", old.toString(), "backup").failsWith(Failure.STORE, "restored on another device");
        cli.run("--home", old.toString(), "send", "bob", "stale").failsWith(Failure.BAD_INPUT,
            "restored on another device");

        // and they keep talking: alice's node resets the session; bob writes and reads as before
        try (Node a = Node.open(alice, null, fast())) {
          a.start();
          a.send("bob", "three");
          List<Node.Shown> got = new ArrayList<>();
          await(Duration.ofSeconds(30), () -> {
            got.addAll(b.read());
            return texts(got).contains("three");
          });
          Node.Shown reset = got.stream().filter(s -> s.kind() == Node.Kind.RESET).findFirst().orElseThrow();
          assertTrue(reset.reset().byPeer() && reset.reset().resent() >= 1,
              "bob was told alice reset and lost what came after her backup: " + reset.reset());
          assertTrue(Show.reset("alice", reset.reset()).endsWith("(alice's device lost them: restored from a backup?)"),
              Show.reset("alice", reset.reset()));
          b.send("alice", "four");
          List<Node.Shown> back = new ArrayList<>();
          await(Duration.ofSeconds(30), () -> {
            back.addAll(a.read());
            return texts(back).contains("four") && texts(back).contains("after the backup");
          });
        }
      }
    }
  }

  /**
   * 'sotto backup --passphrase' (here to files only, no network): the backup and the next ones,
   * made without the option, restore only with the passphrase; none, or a wrong one, is one line
   * (AUTH_FAILED under the CLI) and leaves the store empty; --no-passphrase drops it. The passphrase
   * is printed nowhere. Which contacts were verified comes back too.
   */
  /** The names 'contact list' marks verified. */
  private static List<String> verified(String list) {
    return list.lines().filter(l -> l.endsWith("  verified")).map(l -> l.split(" ")[0]).toList();
  }

  @Test
  void aBackupUnderAPassphraseRestoresOnlyWithIt() throws Exception {
    String secret = "seven unrelated words kept apart";
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    String code = recoveryCode(cli.run("--home", alice.toString(), "init", "--name", "alice", "--port",
        Integer.toString(Cli.freePort())).ok().out());
    cli.run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(Cli.freePort())).ok();
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    cli.run("--home", alice.toString(), "send", "bob", "hello under a passphrase").ok();
    // alice compared bob's fingerprint, not carol's: the backup keeps which (spec: backup.adoc#backup-contents)
    Path carol = dir.resolve("carol");
    cli.run("--home", carol.toString(), "init", "--name", "carol", "--port", Integer.toString(Cli.freePort())).ok();
    cli.run("--home", alice.toString(), "contact", "add", "carol", cli.run("--home", carol.toString(), "card").ok()
        .out().strip()).ok();
    assertTrue(cli.run("--home", alice.toString(), "contact", "verify", "carol").ok().out()
        .contains("carol is marked verified"));
    assertTrue(cli.run("--home", alice.toString(), "contact", "verify", "carol", "--undo").ok().out()
        .contains("no longer marked verified"));
    cli.run("--home", alice.toString(), "contact", "verify", "bob").ok();
    assertEquals(List.of("bob"), verified(cli.run("--home", alice.toString(), "contact", "list").ok().out()));

    Path first = dir.resolve("first.backup");
    Path second = dir.resolve("second.backup");
    Path plain = dir.resolve("plain.backup");
    // 'config --backup daily' says under what the daily backups are sealed, and warns that no mailbox takes them
    Cli.Result daily = cli.run("--home", alice.toString(), "config", "--backup", "daily").ok();
    assertEquals("Automatic backups: daily, to 0 mailboxes, by the running node, under the recovery code alone (no"
        + " passphrase: 'sotto backup --passphrase' adds one).", daily.out().strip());
    assertTrue(daily.err().contains("warning: this node has no mailbox: no automatic backup is made"), daily.err());
    // no terminal and no variable: refused before anything is written
    cli.run("--home", alice.toString(), "backup", "--no-mailboxes", "--out", first.toString(), "--passphrase")
        .failsWith(Failure.BAD_INPUT, "SOTTO_BACKUP_PASSPHRASE");
    // typed twice, differently: refused
    cli.terminal("one thing typed", "another typed").run("--home", alice.toString(), "backup", "--no-mailboxes",
        "--out", first.toString(), "--passphrase").failsWith(Failure.BAD_INPUT, "the two passphrases differ");
    assertTrue(Files.notExists(first));
    cli.terminal(secret, secret);
    Cli.Result made = cli.run("--home", alice.toString(), "backup", "--no-mailboxes", "--out", first.toString(),
        "--passphrase").ok();
    assertTrue(made.out().contains("Made backup 1 of generation 0")
        && made.out().contains("a passphrase: 'sotto restore' asks for both"), made.out());
    // the next backup, without the option (as the daily one), keeps the passphrase without asking
    cli.withoutTerminal();
    Cli.Result underIt = cli.run("--home", alice.toString(), "config", "--backup", "daily").ok();
    assertEquals("Automatic backups: daily, to 0 mailboxes, by the running node, under the passphrase of the last"
        + " 'sotto backup --passphrase' (kept without asking).", underIt.out().strip());
    assertTrue(!underIt.out().contains(secret) && !underIt.err().contains(secret), underIt.out() + underIt.err());
    assertEquals("Automatic backups: off.", cli.run("--home", alice.toString(), "config", "--backup", "off").ok()
        .out().strip());
    Cli.Result kept = cli.run("--home", alice.toString(), "backup", "--no-mailboxes", "--out", second.toString()).ok();
    assertTrue(kept.out().contains("Made backup 2 of generation 0") && kept.out().contains("and a passphrase"),
        kept.out());
    for (Cli.Result r : List.of(made, kept)) {
      assertTrue(!r.out().contains(secret) && !r.err().contains(secret), r.out() + r.err());
    }

    Path other = dir.resolve("other");
    cli.stdin(code + "\n").run("--home", other.toString(), "init", "--recover", "--name", "alice2", "--port",
        Integer.toString(Cli.freePort())).ok();
    cli.stdin("");
    // none given, then a wrong one (typed, then through the API): refused, and the store stays empty
    cli.run("--home", other.toString(), "restore", second.toString()).failsWith(Failure.BAD_INPUT,
        "sealed under a passphrase, and none was given");
    cli.terminal("not the passphrase").run("--home", other.toString(), "restore", second.toString())
        .failsWith(Failure.BAD_INPUT, "a wrong passphrase");
    cli.withoutTerminal();
    try (Node n = Node.open(other, null, fast())) {
      dev.sotto.SottoException wrong = org.junit.jupiter.api.Assertions.assertThrows(dev.sotto.SottoException.class,
          () -> n.backups().restoreFile(second, m -> "Seven unrelated words kept apart".toCharArray()));
      assertEquals(dev.sotto.ErrorCode.AUTH_FAILED, wrong.code());
      assertTrue(n.backups().writer().isEmpty(), "no lineage was written");
    }
    assertEquals("", cli.run("--home", other.toString(), "contact", "list").ok().out().replaceAll("(?m)^no .*\n", ""));
    assertTrue(cli.run("--home", other.toString(), "history", "bob").status() != 0);
    // the right one, from the environment: everything comes back, and the lineage keeps the passphrase
    Cli.Result restored = cli.env("SOTTO_BACKUP_PASSPHRASE", secret).run("--home", other.toString(), "restore",
        second.toString()).ok();
    cli.env("SOTTO_BACKUP_PASSPHRASE", null);
    assertTrue(restored.out().contains("Restored backup 2 of generation 0")
        && restored.out().contains(": 2 contacts, 0 requests, 0 blocked, 3 messages."), restored.out());
    assertEquals(List.of("bob"), verified(cli.run("--home", other.toString(), "contact", "list").ok().out()));
    assertTrue(cli.run("--home", other.toString(), "history", "bob").ok().out().contains("hello under a passphrase"));
    try (Node n = Node.open(other, null, fast())) {
      assertTrue(n.backups().passphrase(), "the restored lineage keeps the passphrase");
    }

    // --no-passphrase drops it: the recovery code alone opens the next backup
    Cli.Result dropped = cli.run("--home", alice.toString(), "backup", "--no-mailboxes", "--out", plain.toString(),
        "--no-passphrase").ok();
    assertTrue(dropped.out().contains("recovery code alone (the passphrase is dropped)"), dropped.out());
    Path third = dir.resolve("third");
    cli.stdin(code + "\n").run("--home", third.toString(), "init", "--recover", "--name", "alice3", "--port",
        Integer.toString(Cli.freePort())).ok();
    cli.stdin("");
    assertTrue(cli.run("--home", third.toString(), "restore", plain.toString()).ok().out()
        .contains("Restored backup 3 of generation 0"));
    assertEquals(List.of("bob"), verified(cli.run("--home", third.toString(), "contact", "list").ok().out()));
  }
}
