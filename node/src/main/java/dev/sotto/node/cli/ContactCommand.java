package dev.sotto.node.cli;

import dev.sotto.Card;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.node.Node;
import dev.sotto.node.FirstContacts;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "contact", header = "Adds, lists and resets contacts.", description = "Adds, lists and resets contacts.",
    subcommands = {ContactCommand.Add.class, ContactCommand.ListContacts.class, ContactCommand.Reset.class,
        ContactCommand.KeepCommand.class})
final class ContactCommand extends Cmd {
  @Override
  int execute() {
    spec.commandLine().usage(io().err());
    return Failure.USAGE;
  }

  @Command(name = "add",
      header = "Adds a contact from its card.",
      description = {
          "Adds a contact from its card text, asks the addresses on the card for the contact's prekeys (the "
              + "contact's node first, then its mailboxes) and queues the first message that introduces you. "
              + "When no address serves prekeys now, the contact is added all the same and the running node asks "
              + "again later. Compare the fingerprint it prints with the one your contact sees, out of band."})
  static final class Add extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "Your name for the contact: letters, digits, '-', '_', '.'.")
    String name;

    @Parameters(index = "1", paramLabel = "CARD", description = "The card's text (sottocard1...), or '-' to read it from standard input.")
    String card;

    @Override
    int execute() throws Exception {
      Io io = io();
      Path home = home();
      String text = "-".equals(card) ? readAll(io) : card;
      text = text.replaceAll("\\s+", "");
      if (text.isEmpty()) {
        throw Failure.input("no card text given");
      }
      try (Node node = openNode()) {
        Tx.Contact added;
        try {
          added = node.addContact(name, text);
        } catch (SottoException e) {
          throw Errors.card(e);
        } catch (StoreException e) {
          if (e.kind() == StoreException.Kind.EXISTS) {
            throw exists(node, text);
          }
          throw e;
        }
        PrintStream out = io.out();
        out.println("Added " + added.name() + ". Fingerprint: " + PublicIdentity.parse(added.identity()).fingerprint().text());
        out.println("Compare it with the one " + added.name() + " sees ('sotto fingerprint' on their side) over a channel"
            + " you trust.");
        FirstContacts.Status status = node.firstContactStatus(added.id());
        if (status.state() == FirstContacts.State.WAITING_FOR_PREKEYS) {
          out.println("No address on " + added.name() + "'s card served prekeys now (offline, or its mailboxes do not"
              + " hold them): a first message that introduces you is queued, and the running node asks for them"
              + " again later ('sotto contact list' shows it); " + Delivery.status(home) + ".");
        } else {
          out.println("A first message that introduces you is queued; " + Delivery.status(home) + ".");
        }
      }
      return 0;
    }

    private Failure exists(Node node, String text) throws Exception {
      PublicIdentity identity = Card.parseText(text, Instant.EPOCH).identity();
      for (Tx.Contact c : node.contacts()) {
        if (Arrays.equals(c.identity(), identity.encoded())) {
          return Failure.input("that card's owner is your contact '" + c.name() + "' already");
        }
      }
      return Failure.input("there is a contact named '" + name + "' already");
    }

    private static String readAll(Io io) throws IOException {
      StringBuilder all = new StringBuilder();
      for (String line = io.readLine(); line != null; line = io.readLine()) {
        all.append(line);
        if (all.length() > 1 << 20) {
          break;
        }
      }
      return all.toString();
    }
  }

  @Command(name = "list", header = "Lists the contacts.", description = "Lists the contacts with their fingerprints.")
  static final class ListContacts extends Cmd {
    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        List<Tx.Contact> contacts = node.contacts();
        if (contacts.isEmpty()) {
          io().out().println("no contacts yet: add one with 'sotto contact add NAME CARD'");
          return 0;
        }
        int width = Math.max(4, contacts.stream().mapToInt(c -> c.name().length()).max().orElse(0));
        String format = "%-" + width + "s  %-" + 66 + "s  %s%n";
        io().out().printf(format, "NAME", "FINGERPRINT", "ADDED");
        for (Tx.Contact c : contacts) {
          String fingerprint = PublicIdentity.parse(c.identity()).fingerprint().text();
          String added = Show.time(io(), c.created() / 1000);
          io().out().printf(format, c.name(), fingerprint, added);
          Tx.Resets r = node.resets(c.id());
          if (r.resets() > 0 || r.wanted()) {
            io().out().println(" ".repeat(width + 2) + resets(c.name(), r));
          }
          String first = firstContact(io(), c.name(), node.firstContactStatus(c.id()));
          if (first != null) {
            io().out().println(" ".repeat(width + 2) + first);
          }
        }
      }
      return 0;
    }

    /**
     * Where the first contact stands, when the contact has not answered: "waiting for bob's prekeys
     * (no address answered; 3 tries, next at 12:05:00)", "first contact sent, no answer yet
     * (attempt 2 of 8)", or null when there is nothing to say.
     */
    static String firstContact(Io io, String name, FirstContacts.Status s) {
      return switch (s.state()) {
        case WAITING_FOR_PREKEYS -> "waiting for " + name + "'s prekeys (no address served them"
            + (s.fetchFailures() > 0 ? "; " + s.fetchFailures() + (s.fetchFailures() == 1 ? " try" : " tries")
                + ", next at " + Show.time(io, Math.max(s.nextFetchMillis(), io.clock().millis()) / 1000) : "")
            + "): your messages wait";
        case UNANSWERED -> "first contact sent, no answer yet (attempt " + Math.max(1, s.made()) + " of "
            + FirstContacts.MAX_FIRST_CONTACTS + "; made again after 24 h without an answer)";
        case GAVE_UP -> "no answer to " + s.made() + " first contacts: no more are made by themselves;"
            + " 'sotto contact reset " + name + "' tries again";
        default -> null;
      };
    }

    /** "session reset 2 times; 5 messages from bob were missing (resent)". */
    static String resets(String name, Tx.Resets r) {
      String line = "session reset " + r.resets() + (r.resets() == 1 ? " time; " : " times; ")
          + (r.missing() == 0 ? "no messages" : r.missing() + (r.missing() == 1 ? " message" : " messages")) + " from "
          + name + (r.missing() == 1 ? " was" : " were") + " missing" + (r.missing() > 0 ? " (resent)" : "");
      return r.wanted() ? line + "; a reset is queued" : line;
    }
  }

  @Command(name = "reset",
      header = "Replaces the session with a contact.",
      description = {
          "Replaces the session with a contact by a new one, made like a first contact with the contact's latest "
              + "prekeys (those its last HELLO brought, or fetched anew from the addresses on its card when they expired). "
              + "Both sides then send again what the other is missing, and each is told how many messages were "
              + "missing. Use it when messages from the contact stopped arriving, or after restoring an old state. "
              + "The running node ('sotto run') makes the reset."})
  static final class Reset extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
    String name;

    @Override
    int execute() throws Exception {
      Path home = home();
      Home.requireNode(home);
      try (Node node = openNode()) {
        node.requestReset(name);
      }
      io().out().println("reset of the session with " + name + " queued; " + Delivery.status(home));
      return 0;
    }
  }

  @Command(name = "keep",
      header = "Shows or sets how long a contact's messages are kept.",
      description = {
          "Without PERIOD, shows the contact's retention. With it, sets it: 7d, 12h, off (for ever), or global "
              + "(what 'sotto config --keep' says). Older messages are deleted from this store at once, and then by "
              + "the running node every minute; the contact keeps its own copies. Messages that wait to be sent, "
              + "and unread ones, are kept until they are sent or read."})
  static final class KeepCommand extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
    String name;

    @Parameters(index = "1", paramLabel = "PERIOD", arity = "0..1", description = "7d, 12h, off or global.")
    String period;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        if (period == null) {
          long own = node.keep(name);
          io().out().println("Messages with " + name + " are kept: " + (own == Node.INHERIT
              ? "global (" + Keep.text(node.keep()) + ")" : Keep.text(own)));
          return 0;
        }
        long seconds = Keep.parse(period, true);
        int deleted = node.setKeep(name, seconds);
        io().out().println("Messages with " + name + " are kept: " + (seconds == Node.INHERIT
            ? "global (" + Keep.text(node.keep()) + ")" : Keep.text(seconds)) + "; " + Keep.deleted(deleted) + ".");
      }
      return 0;
    }
  }
}
