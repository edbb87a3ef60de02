package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.util.List;
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

  @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
  String name;

  @Override
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    Home.requireNode(home);
    try (NodeLock lock = NodeLock.tryTake(home); Node node = openNode()) {
      node.contact(name); // an unknown contact fails here, before anything starts
      if (lock != null) {
        RunCommand.start(node);
        io.out().println("sotto: chatting with " + name + "; " + node.config().name() + " runs here, listening on "
            + node.config().host() + ":" + node.server().port() + ". Type to send; /help lists the commands, /quit leaves.");
      } else {
        io.out().println("sotto: chatting with " + name + "; the node running for this home (process "
            + NodeLock.holder(home) + ") delivers. Type to send; /help lists the commands, /quit leaves.");
      }
      AtomicBoolean done = new AtomicBoolean();
      Thread poller = new Thread(() -> {
        while (!done.get()) {
          RunCommand.printNew(io, node);
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
        io.out().print(PROMPT);
        io.out().flush();
        for (String line = io.readLine(); line != null; line = io.readLine()) {
          if (!handle(io, node, line)) {
            break;
          }
          io.out().print(PROMPT);
          io.out().flush();
        }
      } finally {
        done.set(true);
        poller.interrupt();
        poller.join(2_000);
      }
      if (lock != null) {
        drain(io, node);
      }
    }
    return 0;
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
            io.out().println(HELP);
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
            List<Node.Shown> shown = node.history(name, n);
            if (shown.isEmpty()) {
              io.out().println("no messages with " + name);
            }
            for (Node.Shown m : shown) {
              io.out().println(Show.conversationLine(io, m, "you"));
            }
            return true;
          default:
            io.err().println("sotto: unknown command " + Show.safe(words[0], "")
                + ", not sent; /help lists the commands, //text sends /text");
            return true;
        }
      }
      String text = line.stripLeading().startsWith("//") ? line.stripLeading().substring(1) : line;
      SendCommand.check(text);
      node.send(name, text);
      io.out().println("[" + Show.time(io, io.clock().instant().getEpochSecond()) + "] you: "
          + Show.safe(text, "    "));
    } catch (Exception e) {
      io.err().println("sotto: " + Errors.toFailure(e).getMessage());
    }
    return true;
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
