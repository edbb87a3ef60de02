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
   * One received message: {@code [time] name: text}, or for a HELLO {@code [time] name joined
   * (fingerprint ...)} (one that changed the contact's addresses: {@code name sent a new card: now
   * at ...}), or a reset notice. The time is the sender's clock (this node's for a
   * notice).
   */
  static String message(Io io, Node.Shown m, Fingerprints fingerprints) throws Exception {
    String time = "[" + time(io, m.sentAt()) + "] ";
    if (m.kind() == Node.Kind.RESET) {
      return time + reset(m.contact(), m.reset());
    }
    if (m.kind() == Node.Kind.REQUEST) {
      return time + request(m);
    }
    if (m.kind() == Node.Kind.JOINED) {
      return time + m.contact() + " joined (fingerprint " + fingerprints.of(m.contact()) + ")";
    }
    if (m.kind() == Node.Kind.CARD) {
      return time + safe(newCard(m.contact(), m.text()), "");
    }
    String prefix = time + m.contact() + ": ";
    return prefix + safe(m.text(), " ".repeat(prefix.length()));
  }

  /** "contact request #3 from bob (fingerprint ...): 'sotto contact requests' shows it; 'sotto contact accept 3' accepts it". */
  static String request(Node.Shown m) {
    return "contact request #" + m.seq() + " from " + m.contact() + " (fingerprint " + m.text()
        + "): 'sotto contact requests' shows it and its messages; 'sotto contact accept " + m.seq() + "' accepts it";
  }

  /** A contact's HELLO that changed its addresses: "bob sent a new card: now at bob.example.org:7500, mailbox ...". */
  static String newCard(String contact, String addresses) {
    return contact + " sent a new card: now at " + addresses;
  }

  /**
   * A reset notice: "session with bob was reset by bob: 3 messages from bob were missing and are
   * being resent; 2 of yours are being resent".
   */
  static String reset(String contact, Node.Reset r) {
    StringBuilder line = new StringBuilder("session with " + contact + " was reset by " + (r.byPeer() ? contact : "you")
        + ": ");
    if (r.missing() == 0) {
      line.append("no messages from ").append(contact).append(" were missing");
    } else {
      line.append(r.missing()).append(r.missing() == 1 ? " message from " : " messages from ").append(contact)
          .append(r.missing() == 1 ? " was" : " were").append(" missing and ").append(r.missing() == 1 ? "is" : "are")
          .append(" being resent");
    }
    line.append("; ").append(r.resent() == 0 ? "none" : Long.toString(r.resent())).append(" of yours ")
        .append(r.resent() == 1 ? "is" : "are").append(" being resent");
    if (r.byPeer() && r.resent() > 0) {
      // spec: backup.adoc#backup-after-restore: a peer that lost what it had received restored from a backup,
      // or lost its store (messages still in flight at a reset look the same)
      line.append(" (").append(contact).append("'s device lost them: restored from a backup?)");
    }
    return line.toString();
  }

  /** One message of a conversation, with who wrote it. */
  static String conversationLine(Io io, Node.Shown m, String me) {
    String who = m.incoming() ? m.contact() : me;
    if (m.kind() == Node.Kind.RESET) {
      return "[" + time(io, m.sentAt()) + "] " + reset(m.contact(), m.reset());
    }
    if (m.kind() == Node.Kind.JOINED) {
      return "[" + time(io, m.sentAt()) + "] " + who + " joined";
    }
    if (m.kind() == Node.Kind.CARD) {
      return "[" + time(io, m.sentAt()) + "] " + safe(newCard(who, m.text()), "");
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
