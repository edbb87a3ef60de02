package dev.sotto.node.cli;

import dev.sotto.NodeMessage;
import dev.sotto.node.Node;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "send",
    header = "Queues a message to a contact, and says what became of it.",
    description = {
        "Queues a message to a contact. The running node ('sotto run') seals and delivers it: "
            + "directly if the contact is online, else to the contact's mailbox. When a node runs for this home, "
            + "send waits a moment (--wait) and says what became of the message: delivered to the contact's node, "
            + "left at which mailbox, or failing and why ('sotto outbox' shows it later). The text must be UTF-8: "
            + "anything else is refused, not sent garbled."})
final class SendCommand extends Cmd {
  @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "5",
      description = "How long to wait for the running node to deliver the message (default: ${DEFAULT-VALUE}; 0: do not"
          + " wait).")
  double waitSeconds;

  @Option(names = "--group", description = "NAME is a group (its name or id): the message is sealed once and left at"
      + " the group's mailbox for every member.")
  boolean group;

  @Parameters(index = "0", paramLabel = "NAME", description = "The contact (or, with --group, the group).")
  String name;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT",
      description = "The message; the words are joined with spaces. '-' alone reads it from standard input, to its end"
          + " (line breaks kept, the last one dropped).")
  List<String> words;

  @Override
  int execute() throws Exception {
    Path home = home();
    Home.requireNode(home);
    String text;
    if (words.equals(List.of("-"))) {
      text = withoutLastLineBreak(io().readAll(NodeMessage.MAX_TEXT_BYTES));
    } else {
      text = String.join(" ", words);
      checkArguments(text);
    }
    check(text);
    if (waitSeconds < 0 || waitSeconds > 3600) {
      throw Failure.input("--wait is 0 to 3600 seconds");
    }
    if (group) {
      try (Node node = openNode()) {
        node.groupSend(name, text);
        io().out().println("queued to group " + name + "; " + Delivery.status(home));
      }
      return 0;
    }
    try (Node node = openNode()) {
      long seq = node.send(name, text);
      if (!NodeLock.isHeld(home) || waitSeconds == 0 || !Delivery.awaitReporting(io(), node, waitSeconds)) {
        io().out().println("queued; " + Delivery.status(home));
        return 0;
      }
      String said = Delivery.await(io(), node, name, seq, (long) (waitSeconds * 1000));
      if (said.startsWith("not sent")) {
        throw Failure.store("the message to " + name + " was " + said);
      }
      io().out().println(said);
    }
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

  /**
   * The Java runtime decodes arguments before a command sees them, and turns bytes that are not
   * UTF-8 (or, in a locale that is not UTF-8, every byte it cannot read) into U+FFFD: a U+FFFD in
   * an argument is refused, so that a message is never sent garbled.
   */
  static void checkArguments(String text) throws Failure {
    if (text.indexOf('\uFFFD') >= 0) {
      throw Failure.input("the text is not valid UTF-8 (or holds U+FFFD, or the locale is not UTF-8): give it on"
          + " standard input instead, with 'sotto send NAME -'");
    }
  }

  private static String withoutLastLineBreak(String text) {
    if (text.endsWith("\r\n")) {
      return text.substring(0, text.length() - 2);
    }
    return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
  }
}
