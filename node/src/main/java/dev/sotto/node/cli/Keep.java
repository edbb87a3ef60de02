package dev.sotto.node.cli;

import dev.sotto.node.Node;

/** Retention periods as the user writes them: {@code 30d}, {@code 12h}, {@code off}. */
final class Keep {
  private static final long MAX_DAYS = 100 * 366;

  private Keep() {}

  /**
   * Seconds, or {@link Node#OFF} for "off"; with {@code inherit}, also {@link Node#INHERIT} for
   * "global".
   */
  static long parse(String text, boolean inherit) throws Failure {
    String t = text.strip().toLowerCase(java.util.Locale.ROOT);
    if (t.equals("off")) {
      return Node.OFF;
    }
    if (inherit && t.equals("global")) {
      return Node.INHERIT;
    }
    if (t.matches("[0-9]{1,6}[dh]")) {
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      boolean days = t.endsWith("d");
      if (n > 0 && n <= (days ? MAX_DAYS : MAX_DAYS * 24)) {
        return n * (days ? 86_400 : 3_600);
      }
    }
    throw Failure.input("a retention is a number of days or hours (30d, 12h), or 'off'" + (inherit ? " or 'global'" : "")
        + ", not '" + text + "'");
  }

  /** "30d", "12h", "off" (keeps everything). */
  static String text(long seconds) {
    if (seconds == Node.OFF) {
      return "off (messages are kept)";
    }
    if (seconds == Node.INHERIT) {
      return "global";
    }
    return seconds % 86_400 == 0 ? seconds / 86_400 + "d" : seconds / 3_600 + "h";
  }

  /** "deleted 3 messages older than 7d". */
  static String deleted(int n) {
    return "deleted " + n + (n == 1 ? " message" : " messages") + " past retention";
  }
}
