package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'chat' without a terminal: commands, what is sent and what is not, the echo of one's own lines. */
class ChatTest {
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
      return a.conversation("bob").stream().filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList();
    }
  }

  private Cli.Result chat(String stdin) {
    return cli.stdin(stdin).run("--home", alice.toString(), "chat", "bob").ok();
  }

  @Test
  void helpListsTheCommandsAndSendsNothing() throws Exception {
    Cli.Result r = chat("/help\n");
    for (String command : List.of("/help", "/history [N]", "/quit", "//text")) {
      assertTrue(r.out().contains(command), r.out());
    }
    assertTrue(r.out().contains(ChatCommand.PROMPT), r.out());
    assertEquals(List.of(), sent());
  }

  @Test
  void anUnknownCommandIsNeverSentAndTheUserIsTold() throws Exception {
    Cli.Result r = chat("/nope and more\n/quit\n");
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("sotto: unknown command /nope"), r.err());
    assertEquals(List.of(), sent());
  }

  @Test
  void aDoubleSlashSendsOneSlash() throws Exception {
    chat("//x\n").err().isEmpty();
    assertEquals(List.of("/x"), sent());
  }

  @Test
  void ownLinesAreEchoedWithTheTime() throws Exception {
    Cli.Result r = chat("hello\n");
    assertTrue(r.out().matches("(?s).*\\[\\d\\d:\\d\\d:\\d\\d\\] you: hello\\R.*"), r.out());
    assertEquals(List.of("hello"), sent());
  }

  @Test
  void historyShowsTheLastMessages() throws Exception {
    chat("one\ntwo\nthree\n");
    Cli.Result r = chat("/history 2\n");
    List<String> lines = r.out().lines().filter(l -> l.contains("] you: ")).toList();
    assertEquals(2, lines.size(), r.out());
    assertTrue(lines.get(0).endsWith("] you: two"), r.out());
    assertTrue(lines.get(1).endsWith("] you: three"), r.out());
    assertTrue(chat("/history\n").out().contains("] you: one"));
    chat("/history x\n");
    assertEquals(List.of("one", "two", "three"), sent());
  }

  @Test
  void quitLeavesAndWhatFollowsIsNotSent() throws Exception {
    Cli.Result r = chat("before\n/quit\nafter\n");
    assertFalse(r.out().contains("after"), r.out());
    assertEquals(List.of("before"), sent());
  }
}
