package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.NodeMessage;
import dev.sotto.node.Node;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What 'send' takes: arguments or standard input, UTF-8 only; and how an empty text is shown. */
class SendTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();
  private Path alice;
  private Path bob;

  @BeforeEach
  void twoContacts() throws Exception {
    java.nio.file.Path[] homes = cli.aliceAddsBob(dir);
    alice = homes[0];
    bob = homes[1];
  }

  /** The texts alice wrote to bob, as stored. */
  private List<String> sent() throws Exception {
    try (Node a = Node.open(alice, null, Node.Options.defaults())) {
      return a.conversation("bob").stream().map(Node.Shown::text).toList();
    }
  }

  private Cli.Result send(byte[] stdin) {
    return cli.stdinBytes(stdin).run("--home", alice.toString(), "send", "bob", "-");
  }

  @Test
  void aDashReadsTheMessageFromStandardInput() throws Exception {
    cli.stdin("line one\nline two, café \uD83D\uDC69\u200D\uD83D\uDCBB\n").run("--home", alice.toString(), "send", "bob", "-")
        .ok();
    cli.stdin("no line break at the end").run("--home", alice.toString(), "send", "bob", "-").ok();
    cli.stdin("windows\r\n").run("--home", alice.toString(), "send", "bob", "-").ok();
    cli.stdin("").run("--home", alice.toString(), "send", "bob", "-", "and", "more").ok();
    assertEquals(List.of("line one\nline two, café \uD83D\uDC69\u200D\uD83D\uDCBB", "no line break at the end", "windows",
        "- and more"), sent());
    cli.stdin("\n").run("--home", alice.toString(), "send", "bob", "-").failsWith(Failure.BAD_INPUT, "nothing to send");
    cli.stdin("x".repeat(NodeMessage.MAX_TEXT_BYTES + 1)).run("--home", alice.toString(), "send", "bob", "-")
        .failsWith(Failure.BAD_INPUT, "the text is too long");
    cli.stdin("é".repeat(NodeMessage.MAX_TEXT_BYTES / 2 + 1)).run("--home", alice.toString(), "send", "bob", "-")
        .failsWith(Failure.BAD_INPUT, "the text is too long");
    cli.stdin("x".repeat(NodeMessage.MAX_TEXT_BYTES)).run("--home", alice.toString(), "send", "bob", "-").ok();
  }

  @Test
  void invalidUtf8OnStandardInputIsRefusedNotReplaced() throws Exception {
    byte[][] bad = {
      {'h', 'i', (byte) 0xc3, '('}, // a lead byte without its continuation
      {(byte) 0xc0, (byte) 0xaf}, // an overlong '/'
      {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a surrogate, U+D800
      {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
      {'o', 'k', (byte) 0xe2, (byte) 0x82}, // cut short at the end
      {(byte) 0xff},
    };
    for (byte[] input : bad) {
      send(input).failsWith(Failure.BAD_INPUT, "sotto: standard input is not valid UTF-8");
    }
    assertEquals(List.of(), sent(), "nothing was queued");
    send("caf\u00e9".getBytes(StandardCharsets.UTF_8)).ok();
    assertEquals(List.of("caf\u00e9"), sent());
  }

  @Test
  void anArgumentThatWasNotUtf8IsRefused() throws Exception {
    // The runtime hands over undecodable argument bytes as U+FFFD.
    cli.run("--home", alice.toString(), "send", "bob", "caf\uFFFD").failsWith(Failure.BAD_INPUT,
        "the text is not valid UTF-8");
    cli.run("--home", alice.toString(), "send", "bob", "ok", "\uFFFD").failsWith(Failure.BAD_INPUT, "'sotto send NAME -'");
    assertEquals(List.of(), sent());
    cli.run("--home", alice.toString(), "send", "bob", "caf\u00e9").ok();
  }

  @Test
  void aPeersEmptyTextIsShownAsATextNotAsAJoin() throws Exception {
    // The command line refuses to send an empty text; another implementation may send one.
    try (Node a = Node.open(alice, null, CommandsTest.fast()); Node b = Node.open(bob, null, CommandsTest.fast())) {
      a.send("bob", "");
      a.start();
      b.start();
      CommandsTest.await(() -> a.outboxSize() == 0);
    }
    List<String> lines = List.of(cli.run("--home", bob.toString(), "read").ok().out().split("\n"));
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("] alice joined (fingerprint "), lines.toString());
    assertTrue(lines.get(1).endsWith("] alice: "), lines.toString());
  }
}
