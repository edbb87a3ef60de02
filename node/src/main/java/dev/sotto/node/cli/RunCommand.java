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

  @Option(names = "--steady-fetch",
      description = "Fetch from the mailboxes on a clock of the node's own, every second with a random jitter of up to"
          + " --fetch-jitter either way, whatever the traffic (a defence against timing correlation; costs nothing"
          + " on the wire: the node fetches every second anyway).")
  boolean steadyFetch;

  @Option(names = "--fetch-jitter", paramLabel = "MS", defaultValue = "500",
      description = "With --steady-fetch: the jitter either way of the 1 s interval, in milliseconds, 0 to 999"
          + " (default: ${DEFAULT-VALUE}).")
  long fetchJitterMillis;

  @Option(names = "--send-delay", paramLabel = "SECONDS", defaultValue = "0",
      description = "Hold every message for a random delay, uniform from 0 to SECONDS, before it is first sent (a"
          + " defence against timing correlation, at the cost of SECONDS/2 of latency on average; a message never"
          + " overtakes an earlier one to the same contact). Default: ${DEFAULT-VALUE} (none); at most a day.")
  double sendDelaySeconds;

  @Option(names = "--cover", paramLabel = "PER_HOUR", defaultValue = "0",
      description = "Deposit cover loops at the node's own mailboxes, PER_HOUR on average at random times, and fetch"
          + " them back like messages (a mailbox cannot tell them from messages; 2.3 KiB each on average, both ways)."
          + " Against a mailbox it helps in Tor mode only: over TCP the loops come from the fetcher's own address."
          + " Default: ${DEFAULT-VALUE} (none); at most 3600.")
  double coverPerHour;

  @Option(names = "--pad-fetch",
      description = "Every fetch names as many tags as its frame holds (66, 258 or 1,024), so a mailbox learns how"
          + " many tags the node watches only to that step (costs nothing on the wire; the mailbox looks up more tags).")
  boolean padFetch;

  @Option(names = "--prefix-fetch", paramLabel = "BITS", defaultValue = "-1",
      description = "Fetch by tag prefixes of BITS bits (0 to 16) instead of by tag: the mailbox hands out every"
          + " item under the prefixes of the tags the node watches, the node keeps its own and drops the rest, and"
          + " acknowledges nothing (items leave at expiry), so the mailbox does not learn which items the node"
          + " takes. Costs every byte deposited under those prefixes; fewer bits hide more and cost more."
          + " Default: off.", showDefaultValue = picocli.CommandLine.Help.Visibility.NEVER)
  int prefixBits;

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
      Node.Options options = Node.Options.defaults().withPolicy(NodeCore.Policy.DEFAULT.withMailbox(!noMailbox))
          .withTiming(timing());
      try (Node node = Home.open(io, home, options)) {
        if (tor && !node.config().torMode()) {
          torModeOn(io, node);
        }
        start(node);
        io.out().println("sotto: " + node.config().name() + " listening on " + node.config().host() + ":"
            + node.server().port() + (node.config().torMode() ? ", reached at " + node.config().tor().onion() + ":"
            + node.config().tor().onionPort() + " through Tor" : "") + " (mailbox " + (noMailbox ? "off" : "on") + timingShown(options.timing()) + ")");
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

  /** The timing defences asked for (spec: transport.adoc#node-timing); a value out of range is one clear line. */
  private dev.sotto.node.Timing timing() throws Failure {
    try {
      if (fetchJitterMillis < 0 || fetchJitterMillis >= 1000) {
        throw new IllegalArgumentException("--fetch-jitter is 0 to 999 milliseconds (the interval is 1 s)");
      }
      if (!(sendDelaySeconds >= 0)) {
        throw new IllegalArgumentException("--send-delay is 0 seconds or more");
      }
      if (prefixBits < -1 || prefixBits > dev.sotto.Frame.MAX_PREFIX_BITS) {
        throw new IllegalArgumentException("--prefix-fetch is 0 to 16 bits");
      }
      if (!(coverPerHour >= 0 && coverPerHour <= dev.sotto.node.Timing.MAX_COVER_PER_HOUR)) {
        throw new IllegalArgumentException("--cover is 0 to 3600 loops an hour");
      }
      dev.sotto.node.Timing t = dev.sotto.node.Timing.OFF
          .withSendDelay(java.time.Duration.ofMillis(Math.round(Math.min(sendDelaySeconds, 1e9) * 1000)))
          .withCover(coverPerHour).withPadFetch(padFetch).withPrefixFetch(prefixBits);
      return steadyFetch ? t.withSteadyFetch(java.time.Duration.ofMillis(fetchJitterMillis)) : t;
    } catch (IllegalArgumentException e) {
      throw Failure.input(e.getMessage());
    }
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

  /** The defences on, as the start line shows them. */
  static String timingShown(dev.sotto.node.Timing t) {
    StringBuilder out = new StringBuilder();
    if (t.steadyFetch()) {
      out.append("; steady fetching, jitter ").append(t.fetchJitter().toMillis()).append(" ms");
    }
    if (!t.maxSendDelay().isZero()) {
      out.append("; sender delay up to ").append(t.maxSendDelay().toMillis() / 1000.0).append(" s");
    }
    if (t.coverPerHour() > 0) {
      out.append("; cover loops, ").append(t.coverPerHour()).append(" an hour");
    }
    if (t.padFetch()) {
      out.append("; padded fetches");
    }
    if (t.prefixBits() >= 0) {
      out.append("; fetches by tag prefixes of ").append(t.prefixBits()).append(" bits");
    }
    return out.toString();
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
