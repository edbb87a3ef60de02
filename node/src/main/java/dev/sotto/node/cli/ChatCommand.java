package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.TerminalBuilder;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "chat",
    header = "Talks with one contact, line by line.",
    description = {
        "Talks with one contact: each line you type is sent, messages are printed as they arrive. "
            + "Runs the node in this process if none runs for this home. '/help' lists the commands, "
            + "'/history [N]' shows the last N messages (20 if no N), '/quit' or end of input leaves; any other line "
            + "starting with '/' is not sent ('//text' sends '/text')."})
final class ChatCommand extends Cmd {
  /** How long to wait, on leaving, for what was typed to go out. */
  private static final long DRAIN_MILLIS = 5_000;
  static final String PROMPT = "> ";
  static final String HELP = String.join(System.lineSeparator(),
      "/help         lists these commands",
      "/history [N]  shows the last N messages (20 if no N)",
      "/quit         leaves (so does end of input)",
      "//text        sends /text; any other line starting with / is a command, never sent",
      "anything else is sent");

  @Parameters(index = "0", paramLabel = "NAME", description = "The contact (or, with --group, the group).")
  String name;

  @picocli.CommandLine.Option(names = "--group", description = "NAME is a group (its name or id): what you type is"
      + " sealed once and left at the group's mailbox; the members' messages and the group's changes are shown.")
  boolean group;

  /** Where chat prints: above the line being typed on a terminal, plainly otherwise. */
  private Consumer<String> out;
  private Consumer<String> err;

  @Override
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    Home.requireNode(home);
    try (NodeLock lock = NodeLock.tryTake(home); Node node = openNode()) {
      if (group) {
        node.groupMembers(name); // an unknown group fails here, before anything starts
      } else {
        node.contact(name); // an unknown contact fails here, before anything starts
      }
      if (lock != null) {
        RunCommand.start(node);
        io.out().println("sotto: chatting with " + name + "; " + node.config().name() + " runs here, listening on "
            + node.config().host() + ":" + node.server().port() + ". Type to send; /help lists the commands, /quit leaves.");
      } else {
        io.out().println("sotto: chatting with " + name + "; the node running for this home (process "
            + NodeLock.holder(home) + ") delivers. Type to send; /help lists the commands, /quit leaves.");
      }
      org.jline.terminal.Terminal terminal = null;
      LineReader reader = null;
      if (io.console()) {
        try {
          terminal = TerminalBuilder.builder().system(true).build();
          reader = LineReaderBuilder.builder().terminal(terminal).build();
        } catch (Exception | LinkageError e) {
          terminal = null; // no usable terminal: plain lines, as without one
        }
      }
      LineReader lines = reader;
      if (lines != null) {
        out = text -> lines.printAbove(text);
        err = text -> lines.printAbove(text);
      } else {
        out = io.out()::println;
        err = io.err()::println;
      }
      AtomicBoolean done = new AtomicBoolean();
      int[] seen = {group ? node.groupHistory(name).size() : 0};
      Thread poller = new Thread(() -> {
        while (!done.get()) {
          if (group) {
            printNewInGroup(io, node, seen);
          } else {
            RunCommand.printNew(io, node, out, err);
          }
          try {
            Thread.sleep(RunCommand.POLL_MILLIS);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "sotto-chat-poller");
      poller.setDaemon(true);
      poller.start();
      try {
        for (String line = next(io, lines); line != null; line = next(io, lines)) {
          if (!handle(io, node, line)) {
            break;
          }
        }
      } finally {
        done.set(true);
        poller.interrupt();
        poller.join(2_000);
        if (terminal != null) {
          terminal.close();
        }
      }
      if (lock != null) {
        drain(io, node);
      }
    }
    return 0;
  }

  /** The next line typed, after the prompt; null at end of input (or Ctrl-C, Ctrl-D on a terminal). */
  private static String next(Io io, LineReader reader) throws Exception {
    if (reader == null) {
      io.out().print(PROMPT);
      io.out().flush();
      return io.readLine();
    }
    try {
      return reader.readLine(PROMPT);
    } catch (UserInterruptException | EndOfFileException e) {
      return null;
    }
  }

  /** Handles one typed line; false when the user leaves. */
  private boolean handle(Io io, Node node, String line) {
    String command = line.strip();
    if (command.isEmpty()) {
      return true;
    }
    try {
      if (command.startsWith("/") && !command.startsWith("//")) {
        String[] words = command.split("\\s+");
        switch (words[0]) {
          case "/quit":
            return false;
          case "/help":
            out.accept(HELP);
            return true;
          case "/history":
            int n = 20;
            if (words.length > 2) {
              throw Failure.input("/history takes at most one number");
            }
            if (words.length == 2) {
              try {
                n = Integer.parseInt(words[1]);
              } catch (NumberFormatException e) {
                n = 0;
              }
              if (n < 1) {
                throw Failure.input("/history N: N must be a number, 1 or more");
              }
            }
            if (group) {
              List<Node.GroupLine> all = node.groupHistory(name);
              for (Node.GroupLine l : all.subList(Math.max(0, all.size() - n), all.size())) {
                out.accept(groupLine(io, l));
              }
              return true;
            }
            List<Node.Shown> shown = node.history(name, n);
            if (shown.isEmpty()) {
              out.accept("no messages with " + name);
            }
            for (Node.Shown m : shown) {
              out.accept(Show.conversationLine(io, m, "you"));
            }
            return true;
          default:
            err.accept("sotto: unknown command " + Show.safe(words[0], "")
                + ", not sent; /help lists the commands, //text sends /text");
            return true;
        }
      }
      String text = line.stripLeading().startsWith("//") ? line.stripLeading().substring(1) : line;
      SendCommand.check(text);
      if (group) {
        node.groupSend(name, text);
      } else {
        node.send(name, text);
      }
      out.accept("[" + Show.time(io, io.clock().instant().getEpochSecond()) + "] you: "
          + Show.safe(text, "    "));
    } catch (Exception e) {
      err.accept("sotto: " + Errors.toFailure(e).getMessage());
    }
    return true;
  }

  /** A line of a group's history as chat shows it. */
  static String groupLine(Io io, Node.GroupLine l) {
    String who = l.from().equals("me") ? "you" : Show.safe(l.from(), "");
    return "[" + Show.time(io, l.sentAt()) + "] " + who + (l.event() ? " " : ": ") + Show.safe(l.text(), "    ");
  }

  /** Prints the group's lines that came since the last call, but this node's own. */
  private void printNewInGroup(Io io, Node node, int[] seen) {
    try {
      List<Node.GroupLine> all = node.groupHistory(name);
      for (int i = seen[0]; i < all.size(); i++) {
        if (!all.get(i).from().equals("me")) {
          out.accept(groupLine(io, all.get(i)));
        }
      }
      seen[0] = all.size();
    } catch (Exception e) {
      err.accept("sotto: " + Errors.toFailure(e).getMessage());
    }
  }

  /** Gives what was typed last a moment to go out before this process (the node) ends. */
  private static void drain(Io io, Node node) throws Exception {
    long end = System.nanoTime() + DRAIN_MILLIS * 1_000_000;
    while (node.outboxSize() > 0 && System.nanoTime() - end < 0) {
      Thread.sleep(50);
    }
    int left = node.outboxSize();
    if (left > 0) {
      io.out().println("sotto: " + left + " envelope(s) not delivered yet; 'sotto run' goes on trying");
    }
  }
}
