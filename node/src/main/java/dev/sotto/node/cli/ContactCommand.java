package dev.sotto.node.cli;

import dev.sotto.Card;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.node.ContactBook;
import dev.sotto.node.FirstContacts;
import dev.sotto.node.Node;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "contact", header = "Adds, lists and manages contacts and contact requests.",
    description = {"Adds, lists and manages contacts and contact requests.",
        "",
        "Someone who holds your card and is not your contact can write to you: that first contact is a request. "
            + "It shows who asks (the name they give themselves and their fingerprint) and what they wrote, and "
            + "becomes a contact only when you accept it; until then nothing is sent to them and your node does not "
            + "fetch for them. 'sotto card --list' shows how many requests came through each of your cards."},
    subcommands = {ContactCommand.Add.class, ContactCommand.ListContacts.class, ContactCommand.Requests.class,
        ContactCommand.Accept.class, ContactCommand.Reject.class, ContactCommand.Block.class,
        ContactCommand.Unblock.class, ContactCommand.Remove.class, ContactCommand.Rename.class,
        ContactCommand.Reset.class, ContactCommand.KeepCommand.class, ContactCommand.Verify.class})
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
              + "again later. Compare the fingerprint it prints with the one your contact sees, out of band.",
          "",
          "With --quiet, nothing is sent: use it when you exchanged cards and the other side writes first (its first "
              + "message then comes in as your contact's, not as a request). If the card's owner already asked to be "
              + "your contact, its request is accepted under NAME."})
  static final class Add extends Cmd {
    @picocli.CommandLine.Option(names = "--quiet", description = "Add the contact without writing to it.")
    boolean quiet;

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
          added = node.addContact(name, text, !quiet);
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
        if (quiet) {
          out.println("Nothing is sent to " + added.name() + " until you write ('sotto send " + added.name()
              + "'); a first message from " + added.name() + " comes in as a contact's.");
        } else if (status.state() == FirstContacts.State.ANSWERED) {
          out.println("It was a request from " + added.name() + ": accepted, and your node answers it; "
              + Delivery.status(home) + ".");
        } else if (status.state() == FirstContacts.State.WAITING_FOR_PREKEYS) {
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
          io().out().printf(format, c.name(), fingerprint, added
              + (node.contactBook().verified(c.id()) ? "  verified" : ""));
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
        case DROPPED -> name + "'s node did not keep your first contact: it holds as many contact requests as it"
            + " takes through the card you used; made again at "
            + Show.time(io, Math.max(s.nextFetchMillis(), io.clock().millis()) / 1000) + ", or ask " + name
            + " for another card";
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

  @Command(name = "requests", header = "Lists the contact requests.",
      description = {"Lists who asked to be your contact: each request's number, the name its sender gives itself "
          + "(anyone can give any name: compare the fingerprint out of band), the card it came through, when, and "
          + "what it wrote. Accept one with 'sotto contact accept', refuse it with 'reject' or 'block'.",
          "",
          "Requests are bounded: 32 through one card and 256 in all, 8 texts of 64 KiB together each; a first "
              + "contact beyond is dropped and its sender told. A flood of requests through one card takes no room "
              + "from another's: revoke the flooded card ('sotto card --revoke') and give out a new one."})
  static final class Requests extends Cmd {
    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        List<ContactBook.Request> requests = node.contactBook().requests();
        PrintStream out = io().out();
        if (requests.isEmpty()) {
          out.println("no contact requests");
        }
        for (ContactBook.Request r : requests) {
          out.println("#" + r.number() + "  " + r.name() + "  fingerprint " + r.fingerprint().text());
          out.println("    asked " + Show.time(io(), r.atMillis() / 1000) + " through card " + r.card()
              + (r.reset() ? "; it holds you as a contact (its RESET: your node lost it, restored from an older state?)"
                  : ""));
          for (Node.Shown m : r.texts()) {
            String prefix = "    [" + Show.time(io(), m.sentAt()) + "] ";
            out.println(prefix + Show.safe(m.text(), " ".repeat(prefix.length())));
          }
        }
        List<ContactBook.Blocked> blocked = node.contactBook().blocked();
        if (!blocked.isEmpty()) {
          out.println(blocked.size() + (blocked.size() == 1 ? " identity is" : " identities are")
              + " blocked ('sotto contact unblock NAME' lifts it):");
          for (ContactBook.Blocked b : blocked) {
            out.println("    " + b.name() + "  fingerprint " + b.fingerprint().text() + "  since "
                + Show.time(io(), b.atMillis() / 1000));
          }
        }
      }
      return 0;
    }
  }

  @Command(name = "accept", header = "Accepts a contact request.",
      description = {"Makes the request a contact, named NAME if given (else by the name it gives itself). Your "
          + "node answers it, fetches its messages from then on, and shows what it wrote. Compare its fingerprint "
          + "out of band."})
  static final class Accept extends Cmd {
    @Parameters(index = "0", paramLabel = "REQUEST", description = "The request's number, or its name when only one request has it.")
    String request;

    @Parameters(index = "1", paramLabel = "NAME", arity = "0..1", description = "Your name for the contact.")
    String name;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        Tx.Contact c = node.contactBook().accept(request, name);
        io().out().println("Accepted: " + c.name() + " is a contact (fingerprint "
            + PublicIdentity.parse(c.identity()).fingerprint().text() + "); " + Delivery.status(home()) + ".");
      }
      return 0;
    }
  }

  @Command(name = "reject", header = "Refuses a contact request.",
      description = {"Deletes the request and what it wrote. Its sender is not told; a later first message from it "
          + "is a new request (block it to refuse it for good)."})
  static final class Reject extends Cmd {
    @Parameters(index = "0", paramLabel = "REQUEST", description = "The request's number, or its name when only one request has it.")
    String request;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        io().out().println("Rejected the request from " + node.contactBook().reject(request) + ".");
      }
      return 0;
    }
  }

  @Command(name = "block", header = "Refuses a request or a contact for good.",
      description = {"Deletes the request (by its number or name) or the contact (by its name) with its messages, "
          + "and refuses its identity for good: later first messages from it are dropped unseen, and it is not told. "
          + "The block is kept in the store and survives restarts; 'sotto contact unblock' lifts it."})
  static final class Block extends Cmd {
    @Parameters(index = "0", paramLabel = "REQUEST|NAME", description = "A request, or a contact's name.")
    String who;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        io().out().println("Blocked " + node.contactBook().block(who) + ".");
      }
      return 0;
    }
  }

  @Command(name = "unblock", header = "Lifts a block.",
      description = {"Lifts the block of an identity, named by the name it had or by its fingerprint: its next first "
          + "message is a request again."})
  static final class Unblock extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME|FINGERPRINT", description = "As 'sotto contact requests' lists it.")
    String who;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        if (!node.contactBook().unblock(who)) {
          throw Failure.input("no blocked identity '" + who + "'");
        }
        io().out().println("Unblocked " + who + ".");
      }
      return 0;
    }
  }

  @Command(name = "remove", header = "Removes a contact.",
      description = {"Deletes the contact, its messages and everything queued for it. It is not told; a later first "
          + "message from it is a request."})
  static final class Remove extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
    String name;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.contactBook().remove(name);
        io().out().println("Removed " + name + ".");
      }
      return 0;
    }
  }

  @Command(name = "verify", header = "Marks a contact verified, once you compared its fingerprint.",
      description = {"Marks the contact verified: you compared the fingerprint 'sotto contact list' shows for it with "
          + "the one the contact sees ('sotto fingerprint' on their side), over a channel an attacker cannot alter "
          + "(in person, a call whose voice you know). 'sotto contact list' shows the mark; backups keep it; --undo "
          + "removes it."})
  static final class Verify extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
    String name;

    @Option(names = "--undo", description = "Remove the mark.")
    boolean undo;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        Tx.Contact c = node.contactBook().verify(name, !undo);
        String fingerprint = PublicIdentity.parse(c.identity()).fingerprint().text();
        io().out().println(undo ? name + " is no longer marked verified."
            : name + " is marked verified: fingerprint " + fingerprint + ".");
      }
      return 0;
    }
  }

  @Command(name = "rename", header = "Renames a contact.", description = {"Gives a contact another name, for you only."})
  static final class Rename extends Cmd {
    @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
    String name;

    @Parameters(index = "1", paramLabel = "NEW_NAME", description = "Letters, digits, '-', '_', '.'.")
    String newName;

    @Override
    int execute() throws Exception {
      try (Node node = openNode()) {
        node.contactBook().rename(name, newName);
        io().out().println("Renamed " + name + " to " + newName + ".");
      }
      return 0;
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
