package dev.sotto.node.cli;

import java.util.Locale;
import java.util.Set;

/**
 * What the command line calls a weak passphrase, and warns about (it does not refuse one: the
 * user decides). Weak is: fewer than {@value #MIN_LENGTH} characters, one character repeated, or
 * one of a short list of passphrases that guessers try first (compared without case, spaces,
 * '-', '_' and '.'). Argon2id makes each guess cost; it cannot make a short list of guesses long.
 */
final class Passphrases {
  static final int MIN_LENGTH = 12;

  /** The rule, as the help text and the warning say it. */
  static final String RULE = "fewer than " + MIN_LENGTH + " characters, one character repeated, or a common one"
      + " such as 'password1234'";

  private static final Set<String> COMMON = Set.of(
      "password1234", "password12345", "password123456", "passwordpassword", "password1234567890",
      "123456789012", "1234567890123", "12345678901234", "123456789123", "1234512345", "123123123123",
      "qwertyuiopas", "qwerty123456", "qwertyqwerty", "1q2w3e4r5t6y", "1qaz2wsx3edc", "asdfghjklzxc",
      "abcdefghijkl", "abc123456789", "abcd12345678", "iloveyou1234", "letmein12345", "welcome12345",
      "trustno1trustno1", "administrator", "changeme1234", "correcthorsebatterystaple", "sottosottosotto",
      "sotto1234567", "mysecretpassword", "secretpassword", "passphrase123", "mypassphrase");

  private Passphrases() {}

  /** Why {@code passphrase} is weak, or null if it is not (by the rule above). */
  static String weakness(char[] passphrase) {
    int length = Character.codePointCount(passphrase, 0, passphrase.length);
    if (length < MIN_LENGTH) {
      return "it has fewer than " + MIN_LENGTH + " characters";
    }
    String text = new String(passphrase);
    if (text.codePoints().distinct().count() == 1) {
      return "it is one character repeated";
    }
    if (COMMON.contains(text.toLowerCase(Locale.ROOT).replaceAll("[\\s._-]", ""))) {
      return "it is one of the passphrases guessers try first";
    }
    return null;
  }

  /** The warning to show for a weak passphrase, or null. */
  static String warning(char[] passphrase) {
    String why = weakness(passphrase);
    return why == null ? null : "warning: a weak passphrase (" + why + "): whoever copies the identity file can"
        + " try guesses at it; a passphrase of " + MIN_LENGTH + " characters or more, such as several unrelated"
        + " words, is far harder to guess";
  }
}
