package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands one after the other, as a user types them, on two homes. */
class CommandsTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  private String init(Path home, String name) throws Exception {
    Cli.Result r = cli.run("--home", home.toString(), "init", "--name", name, "--port", Integer.toString(Cli.freePort()))
        .ok();
    assertTrue(r.out().contains("sottoseed1"), r.out());
    assertTrue(r.out().contains("warning: no passphrase"), r.out());
    assertTrue(Cli.field(r.out(), "As a mailbox:").startsWith("mailbox:127.0.0.1:"), r.out());
    return Cli.field(r.out(), "Fingerprint:");
  }

  @Test
  @SuppressWarnings("try") // a held lock stands for a running node
  void initCardContactSendRead() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    String aliceFingerprint = init(alice, "alice");
    String bobFingerprint = init(bob, "bob");

    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    assertTrue(bobsCard.startsWith("sottocard1") && !bobsCard.contains("\n"), bobsCard);
    // --home after the command works too.
    String alicesCard = cli.run("card", "--home", alice.toString()).ok().out().strip();

    Cli.Result added = cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    assertTrue(added.out().contains("Added bob. Fingerprint: " + bobFingerprint), added.out());
    assertTrue(added.out().contains("no node is running for this home"), added.out());
    // Bob's node does not run and he has no mailbox: no prekeys yet, and the user is told.
    assertTrue(added.out().contains("No address on bob's card served prekeys now"), added.out());
    assertTrue(cli.run("--home", alice.toString(), "contact", "list").ok().out()
        .contains("waiting for bob's prekeys (no address served them; 1 try, next at "), "contact list says so");
    // From standard input, wrapped over lines and upper-cased as a QR code reader gives it.
    String wrapped = alicesCard.toUpperCase().replaceAll("(.{80})", "$1\n");
    cli.stdin(wrapped + "\n").run("--home", bob.toString(), "contact", "add", "alice", "-").ok();
    cli.stdin("");

    Cli.Result list = cli.run("--home", alice.toString(), "contact", "list").ok();
    assertTrue(list.out().contains("bob") && list.out().contains(bobFingerprint), list.out());
    Cli.Result fingerprints = cli.run("--home", alice.toString(), "fingerprint", "bob").ok();
    assertTrue(fingerprints.out().contains("bob:") && fingerprints.out().contains(bobFingerprint), fingerprints.out());
    assertTrue(fingerprints.out().contains("you (alice):") && fingerprints.out().contains(aliceFingerprint));

    Cli.Result address = cli.run("--home", alice.toString(), "address").ok();
    assertTrue(address.out().startsWith("peer:127.0.0.1:") && address.out().contains("\nmailbox:127.0.0.1:"));

    Cli.Result sent = cli.run("--home", alice.toString(), "send", "bob", "hello", "bob").ok();
    assertEquals("queued; no node is running for this home: 'sotto run' delivers it\n", sent.out());
    try (NodeLock held = NodeLock.tryTake(alice)) {
      Cli.Result again = cli.run("--home", alice.toString(), "send", "bob", "second").ok();
      assertEquals("queued; the running node delivers it\n", again.out());
      cli.run("--home", alice.toString(), "run").failsWith(Failure.BAD_INPUT, "a node runs for this home already");
    }

    assertEquals("no new messages\n", cli.run("--home", bob.toString(), "read").ok().out());
    // Deliver: both nodes run (as 'sotto run' would), then bob reads with the command.
    try (Node a = Node.open(alice, null, fast()); Node b = Node.open(bob, null, fast())) {
      a.start();
      b.start();
      await(() -> a.outboxSize() == 0);
    }
    Cli.Result read = cli.run("--home", bob.toString(), "read").ok();
    List<String> lines = List.of(read.out().split("\n"));
    assertEquals(3, lines.size(), read.out());
    assertTrue(lines.get(0).matches("\\[\\d\\d:\\d\\d:\\d\\d] alice joined \\(fingerprint " + aliceFingerprint + "\\)"),
        lines.get(0));
    assertTrue(lines.get(1).matches("\\[\\d\\d:\\d\\d:\\d\\d] alice: hello bob"), lines.get(1));
    assertTrue(lines.get(2).endsWith("] alice: second"), lines.get(2));
    assertEquals("no new messages\n", cli.run("--home", bob.toString(), "read").ok().out());
  }

  @Test
  void contactResetIsMadeByTheRunningNodeAndShownOnBothSides() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    init(alice, "alice");
    init(bob, "bob");
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    cli.quietlyAdds(bob, "alice", alice);
    cli.run("--home", alice.toString(), "send", "bob", "before").ok();
    cli.run("--home", alice.toString(), "contact", "reset", "carol").failsWith(Failure.BAD_INPUT, "no contact named 'carol'");
    Cli.Result queued = cli.run("--home", alice.toString(), "contact", "reset", "bob").ok();
    assertEquals("reset of the session with bob queued; no node is running for this home: 'sotto run' delivers it\n",
        queued.out());
    assertTrue(cli.run("--home", alice.toString(), "contact", "list").ok().out().contains("a reset is queued"));
    try (Node a = Node.open(alice, null, fast()); Node b = Node.open(bob, null, fast())) {
      a.start();
      b.start();
      await(() -> a.outboxSize() == 0 && b.outboxSize() == 0 && a.resets(a.contact("bob").id()).resets() == 1
          && !a.conversation("bob").stream().filter(m -> m.kind() == Node.Kind.RESET).toList().isEmpty());
    }
    // The reset was made before the HELLO went out: bob learns of alice from the RESET.
    List<String> bobRead = List.of(cli.run("--home", bob.toString(), "read").ok().out().split("\n"));
    assertTrue(bobRead.get(0).endsWith("] session with alice was reset by alice: 2 messages from alice were missing and"
        + " are being resent; none of yours are being resent"), bobRead.toString());
    assertTrue(bobRead.get(1).contains("] alice joined (fingerprint "), bobRead.toString());
    assertTrue(bobRead.get(2).endsWith("] alice: before"), bobRead.toString());
    List<String> aliceRead = List.of(cli.run("--home", alice.toString(), "read").ok().out().split("\n"));
    assertEquals(1, aliceRead.size(), aliceRead.toString());
    assertTrue(aliceRead.get(0).endsWith("] session with bob was reset by you: no messages from bob were missing; 2 of"
        + " yours are being resent"), aliceRead.toString());
    String list = cli.run("--home", bob.toString(), "contact", "list").ok().out();
    assertTrue(list.contains("session reset 1 time; 2 messages from alice were missing (resent)"), list);
  }

  @Test
  void chatRunsTheNodeHereAndSendsEachLine() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    init(alice, "alice");
    init(bob, "bob");
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    cli.quietlyAdds(bob, "alice", alice);
    try (Node b = Node.open(bob, null, fast())) {
      b.start();
      Cli.Result chat = cli.stdin("hi from chat\n\n/quit\nnot sent\n").run("--home", alice.toString(), "chat", "bob").ok();
      assertTrue(chat.out().startsWith("sotto: chatting with bob; alice runs here, listening on 127.0.0.1:"), chat.out());
      assertFalse(chat.out().contains("not delivered"), chat.out());
      List<String> got = new ArrayList<>();
      await(() -> {
        b.read().forEach(m -> got.add(m.text()));
        return got.contains("hi from chat");
      });
      assertEquals(List.of("", "hi from chat"), got);
    }
    cli.stdin("").run("--home", alice.toString(), "chat", "carol").failsWith(Failure.BAD_INPUT, "no contact named 'carol'");
  }

  @Test
  void recoverRecreatesTheIdentity() throws Exception {
    Path first = dir.resolve("first");
    Cli.Result r = cli.run("--home", first.toString(), "init", "--name", "me").ok();
    String code = Cli.field(r.out(), "sottoseed1");
    String fingerprint = Cli.field(r.out(), "Fingerprint:");
    Cli.Result again = cli.stdin("  sottoseed1" + code + "  \n").run("--home", dir.resolve("second").toString(), "init",
        "--recover").ok();
    assertEquals(fingerprint, Cli.field(again.out(), "Fingerprint:"));
    assertFalse(again.out().contains("sottoseed1"), "the recovery code is shown only when it is new");

    String typo = "sottoseed1" + (code.charAt(0) == 'q' ? 'p' : 'q') + code.substring(1);
    Cli.Result bad = cli.stdin(typo + "\n").run("--home", dir.resolve("third").toString(), "init", "--recover")
        .failsWith(Failure.BAD_INPUT, "that recovery code has a typing error (checksum)");
    assertFalse(bad.err().contains(code.substring(5, 20)), "no part of a secret in a message");
  }

  @Test
  void passphraseFromTheTerminalOrTheEnvironment() throws Exception {
    Path home = dir.resolve("sealed");
    cli.terminal("correct horse", "correct horse").run("--home", home.toString(), "init", "--passphrase").ok();
    cli.terminal("correct horse").run("--home", home.toString(), "address").ok();
    cli.terminal().env(Main.PASSPHRASE_ENV, "correct horse").run("--home", home.toString(), "address").ok();
    cli.env(Main.PASSPHRASE_ENV, "wrong").run("--home", home.toString(), "address")
        .failsWith(Failure.BAD_INPUT, "wrong passphrase");
    Path other = dir.resolve("other");
    cli.env(Main.PASSPHRASE_ENV, null).terminal("one", "two").run("--home", other.toString(), "init", "--passphrase")
        .failsWith(Failure.BAD_INPUT, "the two passphrases differ");
  }

  @Test
  void messagesCannotDriveTheTerminal() {
    assertEquals("a\uFFFD[2Jb\uFFFDc", Show.safe("a\u001b[2Jb\u202Ec", ""));
    assertEquals("one\n  two", Show.safe("one\ntwo", "  "));
    assertEquals("\uD83D\uDC69\u200D\uD83D\uDCBB", Show.safe("\uD83D\uDC69\u200D\uD83D\uDCBB", ""));
  }

  static Node.Options fast() {
    return Node.Options.defaults().withFetchInterval(Duration.ofMillis(100));
  }

  static void await(Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(20);
    }
  }
}
