package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure is one line on stderr, "sotto: ...", with the exit status of its kind. */
class ErrorsTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();
  private String home;
  private String card;

  @BeforeEach
  void node() throws Exception {
    home = dir.resolve("me").toString();
    cli.run("--home", home, "init", "--name", "me", "--port", Integer.toString(Cli.freePort())).ok();
    Path other = dir.resolve("other");
    cli.run("--home", other.toString(), "init", "--name", "other").ok();
    card = cli.run("--home", other.toString(), "card").ok().out().strip();
  }

  @Test
  void unknownContact() {
    cli.run("--home", home, "send", "carol", "hi").failsWith(Failure.BAD_INPUT, "sotto: no contact named 'carol'");
    cli.run("--home", home, "fingerprint", "carol").failsWith(Failure.BAD_INPUT, "no contact named 'carol'");
  }

  @Test
  void badCardText() {
    char last = card.charAt(card.length() - 1);
    String typo = card.substring(0, card.length() - 1) + (last == 'q' ? 'p' : 'q');
    cli.run("--home", home, "contact", "add", "other", typo)
        .failsWith(Failure.BAD_INPUT, "sotto: that card text has a typing error (checksum)");
    cli.run("--home", home, "contact", "add", "other", "hello")
        .failsWith(Failure.BAD_INPUT, "sotto: that is not a card's text");
    cli.run("--home", home, "contact", "add", "other", card.substring(0, 20) + card.substring(20).toUpperCase())
        .failsWith(Failure.BAD_INPUT, "mixed upper and lower case");
    String own = cli.run("--home", home, "card").ok().out().strip();
    cli.run("--home", home, "contact", "add", "me", own).failsWith(Failure.BAD_INPUT, "that is this node's own card");
    cli.run("--home", home, "contact", "add", "other", card).ok();
    cli.run("--home", home, "contact", "add", "other", card)
        .failsWith(Failure.BAD_INPUT, "that card's owner is your contact 'other' already");
    cli.run("--home", home, "contact", "add", "bad name", card)
        .failsWith(Failure.BAD_INPUT, "a contact name is 1 to 32 letters");
  }

  @Test
  void wrongPassphrase() {
    String sealed = dir.resolve("sealed").toString();
    cli.env(Main.PASSPHRASE_ENV, "right").run("--home", sealed, "init", "--passphrase").ok();
    cli.env(Main.PASSPHRASE_ENV, "wrong").run("--home", sealed, "read")
        .failsWith(Failure.BAD_INPUT, "sotto: wrong passphrase");
    cli.env(Main.PASSPHRASE_ENV, null).run("--home", sealed, "read")
        .failsWith(Failure.BAD_INPUT, "set SOTTO_PASSPHRASE or run in a terminal");
  }

  @Test
  void noNodeHere() {
    String empty = dir.resolve("nothing").toString();
    for (String command : new String[] {"read", "card", "address", "run"}) {
      cli.run("--home", empty, command).failsWith(Failure.BAD_INPUT, "sotto: no node here: run 'sotto init' first");
    }
    cli.env(Main.HOME_ENV, empty).run("read").failsWith(Failure.BAD_INPUT, "no node here");
  }

  @Test
  void usageErrorsAreOneLineToo() {
    cli.run("--home", home, "contact", "add", "x").failsWith(Failure.USAGE, "(see 'sotto contact add --help')");
    cli.run("--home", home, "sende", "x").failsWith(Failure.USAGE, "unknown command 'sende'; did you mean 'send'");
    cli.run("--home", home, "read", "--bogus").failsWith(Failure.USAGE, "unknown option '--bogus'");
    cli.run("--home", home, "init", "--port", "many").failsWith(Failure.USAGE, "--port");
  }

  @Test
  void badInputToInit() {
    cli.run("--home", home, "init").failsWith(Failure.BAD_INPUT, "there is a node in");
    String fresh = dir.resolve("fresh").toString();
    cli.run("--home", fresh, "init", "--port", "0").failsWith(Failure.BAD_INPUT, "--port must be 1 to 65535");
    cli.run("--home", fresh, "init", "--name", "two words").failsWith(Failure.BAD_INPUT, "a name is 1 to 32");
    cli.run("--home", fresh, "init", "--mailbox", "peer:127.0.0.1:1:00").failsWith(Failure.BAD_INPUT, "--mailbox");
    cli.run("--home", fresh, "init", "--host", "Example.ORG").failsWith(Failure.BAD_INPUT, "--host");
    cli.run("--home", fresh, "send", "x", " ").failsWith(Failure.BAD_INPUT, "no node here");
    cli.run("--home", home, "send", "x", " ").failsWith(Failure.BAD_INPUT, "nothing to send");
  }

  @Test
  void helpListsTheCommands() {
    Cli.Result help = cli.run("--help").ok();
    for (String command : new String[] {"init", "config", "card", "address", "contact", "fingerprint", "send", "read", "history", "run",
        "chat", "demo"}) {
      assertTrue(help.out().contains("\n  " + command + " "), command);
    }
    assertEquals(Failure.USAGE, cli.run().status());
  }
}
