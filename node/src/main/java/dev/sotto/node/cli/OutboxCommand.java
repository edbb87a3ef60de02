package dev.sotto.node.cli;

import dev.sotto.node.Node;
import dev.sotto.node.Report;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "outbox",
    header = "Lists the messages waiting to leave, and why they wait.",
    description = {
        "Lists each message waiting to leave, in the order they leave: to whom, when it was queued, what it is "
            + "(a text's first characters), and where it stands: queued (the running node seals it at its next turn), "
            + "waiting for the contact's prekeys, being sent, or failing (since when, how many attempts, the next "
            + "one, and each address's reason)."})
final class OutboxCommand extends Cmd {
  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only the messages to this contact.")
  String name;

  @Override
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    try (Node node = openNode()) {
      if (name != null) {
        node.contact(name); // an unknown contact is an error, not an empty list
      }
      List<Report.Waiting> waiting = node.outbox().stream().filter(w -> name == null || w.contact().equals(name))
          .toList();
      boolean running = NodeLock.isHeld(home);
      if (waiting.isEmpty()) {
        io.out().println("nothing waits to leave" + (name == null ? "" : " for " + name));
        return 0;
      }
      io.out().println(waiting.size() + (waiting.size() == 1 ? " message waits" : " messages wait") + " to leave; "
          + (running ? "the running node delivers them" : "no node is running for this home: 'sotto run' delivers them"));
      for (Report.Waiting w : waiting) {
        String head = "[" + Show.time(io, w.queuedMillis() / 1000) + "] to " + w.contact() + ": ";
        io.out().println(head + Show.safe(w.what(), " ".repeat(head.length())));
        io.out().println("    " + state(io, w));
      }
    }
    return 0;
  }

  static String state(Io io, Report.Waiting w) {
    return switch (w.state()) {
      case QUEUED -> "queued: the running node seals it at its next turn";
      case WAITING_FOR_PREKEYS -> "waiting for " + w.contact() + "'s prekeys ('sotto contact list' shows the tries)";
      case SENDING -> "being sent";
      case FAILING -> Delivery.failing(io, w);
    };
  }
}
