package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contact requests as a user meets them: 'sotto read' says one came, 'sotto contact requests'
 * shows who asks and what it wrote, 'accept' makes it a contact; 'rename', 'block', 'unblock',
 * 'remove'; 'sotto card --list' and '--revoke'.
 */
class RequestsCommandsTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  @Test
  void aRequestIsShownAcceptedAndTheContactManaged() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    cli.run("--home", alice.toString(), "init", "--name", "alice", "--port", Integer.toString(Cli.freePort())).ok();
    cli.run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(Cli.freePort())).ok();
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    String aliceFingerprint = Cli.field(cli.run("--home", alice.toString(), "fingerprint", "bob").ok().out(),
        "you (alice):");
    cli.run("--home", alice.toString(), "send", "bob", "hi bob, alice from the party").ok();
    try (Node a = Node.open(alice, null, CommandsTest.fast()); Node b = Node.open(bob, null, CommandsTest.fast())) {
      a.start();
      b.start();
      CommandsTest.await(() -> a.outboxSize() == 0);
      CommandsTest.await(() -> b.contactBook().requests().stream().anyMatch(r -> r.texts().size() == 1));

      String read = cli.run("--home", bob.toString(), "read").ok().out();
      assertTrue(read.contains("contact request #") && read.contains("from alice (fingerprint " + aliceFingerprint),
          read);
      assertFalse(read.contains("alice from the party"), "a request's texts are not shown as messages: " + read);
      String requests = cli.run("--home", bob.toString(), "contact", "requests").ok().out();
      assertTrue(requests.contains("alice  fingerprint " + aliceFingerprint), requests);
      assertTrue(requests.contains("hi bob, alice from the party"), requests);
      assertTrue(cli.run("--home", bob.toString(), "contact", "list").ok().out().contains("no contacts yet"));
      String cards = cli.run("--home", bob.toString(), "card", "--list").ok().out();
      assertTrue(cards.contains("  1  (current)"), cards);
      String status = cli.run("--home", bob.toString(), "status").ok().out();
      assertTrue(status.contains("1 request waits"), status);
      cli.run("--home", bob.toString(), "contact", "accept", "carol").failsWith(Failure.BAD_INPUT, "no request 'carol'");

      String accepted = cli.run("--home", bob.toString(), "contact", "accept", "alice", "ally").ok().out();
      assertTrue(accepted.startsWith("Accepted: ally is a contact"), accepted);
      CommandsTest.await(() -> a.firstContactStatus(a.contact("bob").id()).state()
          == dev.sotto.node.FirstContacts.State.ANSWERED);
      List<String> lines = new ArrayList<>(List.of(cli.run("--home", bob.toString(), "read").ok().out().split("\n")));
      assertEquals(2, lines.size(), lines.toString());
      assertTrue(lines.get(0).contains("] ally joined (fingerprint "), lines.toString());
      assertTrue(lines.get(1).endsWith("] ally: hi bob, alice from the party"), lines.toString());

      cli.run("--home", bob.toString(), "contact", "rename", "ally", "alice").ok();
      assertTrue(cli.run("--home", bob.toString(), "contact", "list").ok().out().contains("alice"));
      assertEquals("Blocked alice.\n", cli.run("--home", bob.toString(), "contact", "block", "alice").ok().out());
      assertTrue(cli.run("--home", bob.toString(), "contact", "requests").ok().out()
          .contains("1 identity is blocked"));
      cli.run("--home", bob.toString(), "contact", "unblock", aliceFingerprint).ok();
      cli.run("--home", bob.toString(), "contact", "unblock", "alice")
          .failsWith(Failure.BAD_INPUT, "no blocked identity 'alice'");
      cli.run("--home", bob.toString(), "contact", "remove", "alice")
          .failsWith(Failure.BAD_INPUT, "no contact named 'alice'");
    }

    String renewed = cli.run("--home", bob.toString(), "card", "--renew").ok().out();
    String cards = cli.run("--home", bob.toString(), "card", "--list").ok().out();
    String[] rows = cards.strip().split("\n");
    assertEquals(3, rows.length, cards);
    String firstId = rows[1].strip().split("\\s+")[0];
    assertTrue(rows[2].endsWith("(current)"), cards);
    String revoked = cli.run("--home", bob.toString(), "card", "--revoke", firstId).ok().out();
    assertTrue(revoked.startsWith("Card " + firstId + " is withdrawn"), revoked);
    assertFalse(cli.run("--home", bob.toString(), "card", "--list").ok().out().contains(firstId));
    cli.run("--home", bob.toString(), "card", "--revoke", firstId).failsWith(Failure.BAD_INPUT, "no card");
    assertTrue(renewed.contains("sottocard1"), renewed);
  }
}
