package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** How messages look on the terminal. */
final class Show {
  private static final DateTimeFormatter TODAY = DateTimeFormatter.ofPattern("HH:mm:ss");
  private static final DateTimeFormatter OTHER_DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

  /** Looks up a contact's fingerprint text, for the line that shows a HELLO. */
  interface Fingerprints {
    String of(String contact) throws Exception;
  }

  private Show() {}

  /**
   * One received message: {@code [time] name: text}, or for a HELLO (which has no text)
   * {@code [time] name joined (fingerprint ...)}. The time is the sender's clock.
   */
  static String message(Io io, Node.Shown m, Fingerprints fingerprints) throws Exception {
    String time = "[" + time(io, m.sentAt()) + "] ";
    if (m.incoming() && m.text().isEmpty()) {
      return time + m.contact() + " joined (fingerprint " + fingerprints.of(m.contact()) + ")";
    }
    String prefix = time + m.contact() + ": ";
    return prefix + safe(m.text(), " ".repeat(prefix.length()));
  }

  /** One message of a conversation, with who wrote it. */
  static String conversationLine(Io io, Node.Shown m, String me) {
    String who = m.incoming() ? m.contact() : me;
    if (m.incoming() && m.text().isEmpty()) {
      return "[" + time(io, m.sentAt()) + "] " + who + " joined";
    }
    String prefix = "[" + time(io, m.sentAt()) + "] " + who + ": ";
    return prefix + safe(m.text(), " ".repeat(prefix.length()));
  }

  static String time(Io io, long epochSeconds) {
    ZonedDateTime at = Instant.ofEpochSecond(epochSeconds).atZone(io.zone());
    LocalDate today = io.clock().instant().atZone(io.zone()).toLocalDate();
    return at.toLocalDate().equals(today) ? TODAY.format(at) : OTHER_DAY.format(at);
  }

  /**
   * A peer's text made safe for a terminal: control and format characters (escape sequences,
   * bidirectional overrides) become U+FFFD, so a message cannot move the cursor, change
   * colours or disguise itself; a line break continues the text under the first line.
   */
  static String safe(String text, String indent) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(cp -> {
      if (cp == '\n') {
        out.append('\n').append(indent);
      } else if (cp == '\t') {
        out.append("    ");
      } else {
        int type = Character.getType(cp);
        // Zero-width (non-)joiners stay: emoji sequences and some scripts need them.
        boolean joiner = cp == 0x200C || cp == 0x200D;
        boolean hidden = !joiner && (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
            || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR);
        out.appendCodePoint(hidden ? 0xFFFD : cp);
      }
    });
    return out.toString();
  }
}
