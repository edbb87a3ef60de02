package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Groups as a user meets them: 'sotto group create|add|list|members|rename|promote|remove|leave', 'sotto send
 * --group' and 'sotto history --group', alice and bob running on loopback. About 10 s.
 */
class GroupCommandsTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  @Test
  void aGroupIsMadeWrittenToReadAndLeft() throws Exception {
    Path[] homes = cli.aliceAddsBob(dir);
    String alice = homes[0].toString();
    String bob = homes[1].toString();
    String created = cli.run("--home", alice, "group", "create", "friends").ok().out();
    assertTrue(created.startsWith("created group friends ("), created);
    cli.run("--home", alice, "group", "add", "friends", "bob").ok();
    cli.run("--home", alice, "group", "add", "nosuch", "bob").failsWith(Failure.BAD_INPUT, "no group 'nosuch'");
    cli.run("--home", alice, "group", "add", "friends", "carol").failsWith(Failure.BAD_INPUT, "no contact named");
    cli.run("--home", alice, "send", "--group", "friends", "hello", "group").ok();
    cli.run("--home", alice, "chat", "--group", "nosuch").failsWith(Failure.BAD_INPUT, "no group 'nosuch'");
    cli.run("--home", alice, "history", "--group", "nosuch").failsWith(Failure.BAD_INPUT, "no group 'nosuch'");
    try (Node a = Node.open(homes[0], null, CommandsTest.fast()); Node b = Node.open(homes[1], null,
        CommandsTest.fast())) {
      a.start();
      b.start();
      CommandsTest.await(() -> cli.run("--home", bob, "history", "--group", "friends").out().contains("alice: hello group"));
      String members = cli.run("--home", bob, "group", "members", "friends").ok().out();
      assertTrue(members.contains("alice  (admin)") && members.contains("me  "), members);
      cli.run("--home", bob, "send", "--group", "friends", "hi alice").ok();
      CommandsTest.await(() -> cli.run("--home", alice, "history", "--group", "friends").out().contains("bob: hi alice"));
      String history = cli.run("--home", alice, "history", "--group", "friends").ok().out();
      assertTrue(history.contains("you: hello group") && history.contains("you added bob"), history);
      cli.run("--home", alice, "group", "rename", "friends", "pals").ok();
      CommandsTest.await(() -> cli.run("--home", bob, "group", "list").out().startsWith("pals  "));
      cli.run("--home", bob, "group", "rename", "pals", "mine").failsWith(Failure.BAD_INPUT, "does not apply");
      cli.run("--home", alice, "group", "promote", "pals", "carol").failsWith(Failure.BAD_INPUT, "no contact named");
      String promoted = cli.run("--home", alice, "group", "promote", "pals", "bob").ok().out();
      assertTrue(promoted.startsWith("made bob an admin of pals"), promoted);
      CommandsTest.await(() -> cli.run("--home", bob, "group", "members", "pals").out().contains("me  (admin)"));
      cli.run("--home", alice, "group", "remove", "pals", "bob").ok();
      CommandsTest.await(() -> cli.run("--home", bob, "group", "list").out().contains("(you are no longer a member)"));
      cli.run("--home", bob, "send", "--group", "pals", "still here?").failsWith(Failure.BAD_INPUT,
          "no longer a member");
    }
  }
}
