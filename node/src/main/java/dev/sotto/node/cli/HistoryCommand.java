package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "history",
    header = "Shows the conversation with a contact.",
    description = {
        "Shows the messages both ways, with their times ('you' for your own), in the order they were sent: each "
            + "side's messages in their order, the two merged by the time the sender's clock gave them. Times are "
            + "HH:MM:SS today and YYYY-MM-DD HH:MM before. It marks nothing read. Messages past a retention "
            + "('sotto config --keep', 'sotto contact keep') are deleted and not shown."})
final class HistoryCommand extends Cmd {
  @Parameters(index = "0", paramLabel = "CONTACT", description = "The contact.")
  String name;

  @Option(names = "--last", paramLabel = "N", description = "Show only the N most recent.")
  Integer last;

  @Option(names = "--group", description = "CONTACT is a group (its name or id): its messages and changes as your"
      + " node saw them.")
  boolean group;

  @Override
  int execute() throws Exception {
    if (last != null && last < 1) {
      throw Failure.input("--last must be 1 or more");
    }
    if (group) {
      try (Node node = openNode()) {
        List<Node.GroupLine> lines = node.groupHistory(name);
        int from = last == null ? 0 : Math.max(0, lines.size() - last);
        if (lines.isEmpty()) {
          io().out().println("nothing in " + name + " yet");
        }
        for (Node.GroupLine l : lines.subList(from, lines.size())) {
          io().out().println(ChatCommand.groupLine(io(), l));
        }
      }
      return 0;
    }
    try (Node node = openNode()) {
      List<Node.Shown> shown = node.history(name, last == null ? -1 : last);
      if (shown.isEmpty()) {
        io().out().println("no messages with " + name);
      }
      for (Node.Shown m : shown) {
        io().out().println(Show.conversationLine(io(), m, "you"));
      }
    }
    return 0;
  }
}
