package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "chat",
    header = "Talks with one contact, line by line.",
    description = {
        "Talks with one contact: each line you type is sent, messages are printed as they arrive. "
            + "Runs the node in this process if none runs for this home. '/quit' or end of input leaves."})
final class ChatCommand extends Cmd {
  /** How long to wait, on leaving, for what was typed to go out. */
  private static final long DRAIN_MILLIS = 5_000;

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
            + node.config().host() + ":" + node.server().port() + ". Type to send; /quit leaves.");
      } else {
        io.out().println("sotto: chatting with " + name + "; the node running for this home (process "
            + NodeLock.holder(home) + ") delivers. Type to send; /quit leaves.");
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
        for (String line = io.readLine(); line != null && !line.strip().equals("/quit"); line = io.readLine()) {
          if (line.isBlank()) {
            continue;
          }
          try {
            SendCommand.check(line);
            node.send(name, line);
          } catch (Exception e) {
            io.err().println("sotto: " + Errors.toFailure(e).getMessage());
          }
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
