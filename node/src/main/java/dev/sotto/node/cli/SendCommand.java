package dev.sotto.node.cli;

import dev.sotto.NodeMessage;
import dev.sotto.node.Node;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "send",
    header = "Queues a message to a contact.",
    description = {
        "Queues a message to a contact. The running node ('sotto run') seals and delivers it: "
            + "directly if the contact is online, else to the contact's mailbox."})
final class SendCommand extends Cmd {
  @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
  String name;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT", description = "The message; the words are joined with spaces.")
  List<String> words;

  @Override
  int execute() throws Exception {
    Path home = home();
    Home.requireNode(home);
    String text = String.join(" ", words);
    check(text);
    try (Node node = openNode()) {
      node.send(name, text);
    }
    io().out().println("queued; " + Delivery.status(home));
    return 0;
  }

  static void check(String text) throws Failure {
    if (text.isBlank()) {
      throw Failure.input("nothing to send: the text is empty");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > NodeMessage.MAX_TEXT_BYTES) {
      throw Failure.input("the text is too long: at most " + NodeMessage.MAX_TEXT_BYTES + " bytes of UTF-8");
    }
  }
}
