package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "read",
    header = "Prints the new messages.",
    description = {
        "Prints the messages received since the last 'read' (each is shown once), in order per "
            + "contact. The running node ('sotto run') receives them."})
final class ReadCommand extends Cmd {
  @Override
  int execute() throws Exception {
    try (Node node = openNode()) {
      List<Node.Shown> messages = node.read();
      if (messages.isEmpty()) {
        io().out().println("no new messages");
      }
      for (Node.Shown m : messages) {
        io().out().println(Show.message(io(), m, c -> node.fingerprint(c).text()));
      }
    }
    return 0;
  }
}
