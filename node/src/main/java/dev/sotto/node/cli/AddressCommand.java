package dev.sotto.node.cli;

import dev.sotto.node.Node;
import picocli.CommandLine.Command;

@Command(name = "address",
    header = "Prints this node's address, and the same as a mailbox address.",
    description = {
        "Prints this node's address and the same address as a mailbox: others put the second in "
            + "'sotto init --mailbox' to have this node hold envelopes for them while they are offline."})
final class AddressCommand extends Cmd {
  @Override
  int execute() throws Exception {
    try (Node node = openNode()) {
      io().out().println(Node.addressText(node.peerAddress()));
      io().out().println(Node.addressText(node.mailboxAddress()));
    }
    return 0;
  }
}
