package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A weak passphrase is accepted with a warning; the rule is the one the help text gives. */
class PassphrasesTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  @Test
  void theRule() {
    assertEquals("it has fewer than 12 characters", Passphrases.weakness("elevenchars".toCharArray()));
    assertNull(Passphrases.weakness("twelve chars".toCharArray()));
    assertEquals("it has fewer than 12 characters", Passphrases.weakness(
        "\uD83D\uDD11\uD83D\uDD11\uD83D\uDD11\uD83D\uDD11\uD83D\uDD11\uD83D\uDD11".toCharArray()), "characters, not chars");
    assertEquals("it is one character repeated", Passphrases.weakness("aaaaaaaaaaaaaaaa".toCharArray()));
    for (String common : new String[] {"password1234", "Password1234", "correct horse battery staple",
        "Correct-Horse-Battery-Staple", "123456789012", "qwertyuiopas"}) {
      assertEquals("it is one of the passphrases guessers try first", Passphrases.weakness(common.toCharArray()), common);
    }
    assertNull(Passphrases.weakness("ochre lantern quietly sixty".toCharArray()));
  }

  @Test
  void initWarnsAboutAWeakPassphraseAndSaysHowToChangeIt() {
    Cli.Result weak = cli.env(Main.PASSPHRASE_ENV, "hunter2").run("--home", dir.resolve("weak").toString(), "init",
        "--passphrase", "--port", "7402").ok();
    assertTrue(weak.out().contains("warning: a weak passphrase (it has fewer than 12 characters)"), weak.out());
    assertTrue(weak.out().contains("'sotto init --recover --passphrase'"), weak.out());
    assertFalse(weak.out().contains("warning: no passphrase"), weak.out());

    Cli.Result common = cli.terminal("password1234", "password1234").env(Main.PASSPHRASE_ENV, null)
        .run("--home", dir.resolve("common").toString(), "init", "--passphrase", "--port", "7402").ok();
    assertTrue(common.out().contains("warning: a weak passphrase (it is one of the passphrases guessers try first)"),
        common.out());

    Cli.Result strong = cli.terminal().env(Main.PASSPHRASE_ENV, "ochre lantern quietly sixty")
        .run("--home", dir.resolve("strong").toString(), "init", "--passphrase", "--port", "7402").ok();
    assertFalse(strong.out().contains("weak"), strong.out());
  }

  @Test
  void recoverWarnsToo() {
    Cli.Result made = cli.run("--home", dir.resolve("first").toString(), "init", "--port", "7402").ok();
    String code = "sottoseed1" + Cli.field(made.out(), "sottoseed1");
    Cli.Result weak = cli.env(Main.PASSPHRASE_ENV, "aaaaaaaaaaaaaaaa").stdin(code + "\n")
        .run("--home", dir.resolve("second").toString(), "init", "--recover", "--passphrase", "--port", "7402").ok();
    assertTrue(weak.out().contains("warning: a weak passphrase (it is one character repeated)"), weak.out());
  }

  @Test
  void theHelpTextSaysWhatWeakIs() {
    String help = cli.run("init", "--help").ok().out().replaceAll("\\s+", " ");
    assertTrue(help.contains("A weak one (fewer than 12 characters, one character repeated, or a common one such as"
        + " 'password1234') gets a warning."), help);
  }
}
