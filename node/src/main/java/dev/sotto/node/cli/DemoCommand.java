package dev.sotto.node.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo",
    header = "Shows Sotto at work: three nodes, a mailbox, and what the network sees.",
    description = {
        "Runs three nodes (a mailbox, alice and bob) in this process, over TCP on this machine, in a "
            + "temporary directory: alice writes while bob is offline, the mailbox holds the envelopes, bob"
            + " comes online, reads and answers. Shows what the mailbox stores and what crossed the wire."})
final class DemoCommand extends Cmd {
  @Option(names = "--keep", description = "Keep the temporary homes (and print where they are).")
  boolean keep;

  @Option(names = "--tor", description = "Run the three nodes through Tor, each at an onion address, over a private Tor"
      + " network that the demo starts on this machine and stops at the end (Debian's 'tor' package must be installed)."
      + " Takes a minute or two.")
  boolean tor;

  @Override
  int execute() throws Exception {
    return new Demo(io(), keep, tor).run();
  }
}
