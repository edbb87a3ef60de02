package dev.sotto.node.cli;

import dev.sotto.node.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "fingerprint",
    header = "Prints a contact's fingerprint and yours, to compare out of band.",
    description = {
        "Prints a contact's fingerprint and this node's own. Compare them with your contact over a "
            + "channel you trust (in person, on the phone): if both sides see the same two, nobody is in "
            + "between."})
final class FingerprintCommand extends Cmd {
  @Parameters(index = "0", paramLabel = "NAME", description = "The contact.")
  String name;

  @Override
  int execute() throws Exception {
    try (Node node = openNode()) {
      String theirs = node.fingerprint(name).text();
      String me = "you (" + node.config().name() + ")";
      int width = Math.max(name.length(), me.length()) + 1;
      io().out().printf("%-" + width + "s  %s%n", name + ":", theirs);
      io().out().printf("%-" + width + "s  %s%n", me + ":", node.fingerprint().text());
    }
    return 0;
  }
}
