package dev.sotto.node.cli;

import dev.sotto.node.Node;
import dev.sotto.node.NodeCore;
import dev.sotto.node.NodeLog;
import java.net.BindException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run",
    header = "Runs the node: delivers, receives, serves as a mailbox.",
    description = {
        "Runs the node: listens for its contacts (and, unless --no-mailbox, holds envelopes for nodes"
            + " that list it as their mailbox), delivers what was queued, fetches from its own mailboxes, "
            + "and prints messages as they arrive (marking them read). Ends on Ctrl-C or SIGTERM."})
final class RunCommand extends Cmd {
  static final long POLL_MILLIS = 200;

  @Option(names = "--no-mailbox", description = "Do not hold envelopes for other nodes.")
  boolean noMailbox;

  @Option(names = "--tor",
      description = "Run in Tor mode: if the node was made without 'init --tor', turn Tor mode on first (contacts are"
          + " sent a new card with the node's onion address, and the node then listens on loopback only and starts a"
          + " Tor daemon of its own). Every link goes through Tor, with no direct connection ever.")
  boolean tor;

  @Override
  @SuppressWarnings("try") // the lock is held, not used, while the node runs
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    Home.requireNode(home);
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    // What fails (a mailbox that stops answering, a full disk) is said on standard error too, as it
    // happens; --verbose prints every line of the log already.
    try (NodeLock lock = takeLock(home);
        AutoCloseable warnings = main().verbose ? null : NodeLog.toStream(io.err(), System.Logger.Level.WARNING)) {
      Node.Options options = Node.Options.defaults().withPolicy(NodeCore.Policy.DEFAULT.withMailbox(!noMailbox));
      try (Node node = Home.open(io, home, options)) {
        if (tor && !node.config().torMode()) {
          torModeOn(io, node);
        }
        start(node);
        io.out().println("sotto: " + node.config().name() + " listening on " + node.config().host() + ":"
            + node.server().port() + (node.config().torMode() ? ", reached at " + node.config().tor().onion() + ":"
            + node.config().tor().onionPort() + " through Tor" : "") + " (mailbox " + (noMailbox ? "off" : "on") + ")");
        Thread hook = new Thread(() -> {
          stop.countDown();
          try {
            // Let the loop below close the store cleanly before the JVM halts.
            closed.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "sotto-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        while (!stop.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
          printNew(io, node);
        }
      }
    } finally {
      closed.countDown();
    }
    return 0;
  }

  /** Turns Tor mode on (a daemon of the node's own), listening on loopback, the card giving the onion address only. */
  private static void torModeOn(Io io, Node node) throws Exception {
    Node.Config c = node.config();
    String host = dev.sotto.node.HostPort.isLoopback(c.host()) ? c.host() : "127.0.0.1";
    Node.Config tor;
    try {
      tor = new Node.Config(c.name(), host, c.port(), c.mailboxes(), java.util.List.of(),
          new Node.Tor(node.onionKey().onion(), c.port(), null, null, null), c.mixedCard());
    } catch (IllegalArgumentException e) {
      throw Failure.input(e.getMessage());
    }
    Node.Reconfigured done = node.reconfigure(tor);
    io.out().println("sotto: Tor mode is on: the card gives " + tor.tor().onion() + ":" + tor.tor().onionPort()
        + (done.contactsTold() > 0 ? "; a new card is queued for " + done.contactsTold() + " contacts" : ""));
  }

  /** Prints the new messages; a failure (a busy store) is shown and tried again next time. */
  static void printNew(Io io, Node node) {
    printNew(io, node, io.out()::println, io.err()::println);
  }

  /** The same, printing through {@code out} and {@code err} (chat prints above the line being typed). */
  static void printNew(Io io, Node node, java.util.function.Consumer<String> out,
      java.util.function.Consumer<String> err) {
    try {
      for (Node.Shown m : node.read()) {
        out.accept(Show.message(io, m, c -> node.fingerprint(c).text()));
      }
    } catch (Exception e) {
      err.accept("sotto: " + Errors.toFailure(e).getMessage());
    }
  }

  static NodeLock takeLock(Path home) throws Exception {
    NodeLock lock = NodeLock.tryTake(home);
    if (lock == null) {
      throw Failure.input("a node runs for this home already (process " + NodeLock.holder(home) + ")");
    }
    return lock;
  }

  /** Starts the peer; a port in use is one clear line. */
  static void start(Node node) throws Exception {
    try {
      node.start();
    } catch (BindException e) {
      throw Failure.store("cannot listen on " + node.config().host() + ":" + node.config().port()
          + ": the address is in use (another node or program?)");
    }
  }
}
