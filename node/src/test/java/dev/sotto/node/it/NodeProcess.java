package dev.sotto.node.it;

import dev.sotto.node.Node;
import dev.sotto.node.NodeCore;
import dev.sotto.node.net.HandshakeBudget;
import dev.sotto.node.net.Memory;
import dev.sotto.node.net.Server;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node as its own process, for the multi-process tests: {@code NodeProcess HOME [--no-mailbox]
 * [--tag-quota N] [--total-quota BYTES] [--fetch-ms N] [--loopback-by-prefix] [--max-links N]
 * [--handshakes-per-second N] [--idle-ms N] [--no-listen] [--steady-fetch-jitter-ms N] [--send-delay-ms N] [--cover-per-hour R] [--pad-fetch] [--prefix-fetch BITS] [--source 127.0.0.N] [--mailbox-log FILE]}. Opens the node in HOME (no passphrase), starts it,
 * prints {@code READY <port>} and runs until killed; SIGTERM closes it cleanly, SIGKILL is the
 * crash the tests want. It also stops when its standard input ends, so that a node does not
 * outlive a test JVM that died without killing it. Lines on standard input ask for figures: {@code
 * handshakes} prints the server's handshake counters, {@code HANDSHAKES keyExchanges completed
 * replays overBudget}; {@code counters} every counter of the server and the mailbox, {@code
 * COUNTERS name=value ...}; {@code memory} the heap in use after full collections and the resident
 * set, {@code MEMORY heap=BYTES rss=KIB links=N} ({@link dev.sotto.node.net.Memory}).
 *
 * <p>{@code --loopback-by-prefix} gives loopback sources a per-prefix handshake budget, as if
 * they came from the network (transport.adoc#handshake-budgets), so that a test on one machine
 * can connect from several /24 prefixes of 127.0.0.0/8. {@code --max-links} and {@code --idle-ms}
 * set the server's limits; {@code --handshakes-per-second} the global handshake budget (rate and
 * burst), for a test that makes thousands of links in seconds; {@code --no-listen} runs a node
 * reachable only through its mailboxes (READY 0); {@code --steady-fetch-jitter-ms} and {@code
 * --send-delay-ms}, {@code --cover-per-hour}, {@code --pad-fetch} and {@code --prefix-fetch} switch on the timing defences (dev.sotto.node.Timing).
 */
public final class NodeProcess {
  private NodeProcess() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: NodeProcess HOME [--no-mailbox] [--tag-quota N] [--total-quota BYTES] [--fetch-ms N]"
          + " [--loopback-by-prefix] [--max-links N] [--handshakes-per-second N] [--idle-ms N] [--no-listen]");
      System.exit(2);
    }
    Path home = Path.of(args[0]);
    NodeCore.Policy policy = NodeCore.Policy.DEFAULT;
    Node.Options options = Node.Options.defaults();
    String source = null;
    Path mailboxLog = null;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--no-mailbox" -> policy = policy.withMailbox(false);
        case "--tag-quota" -> policy = policy.withQuotas(Integer.parseInt(args[++i]), policy.totalQuotaBytes());
        case "--total-quota" -> policy = policy.withQuotas(policy.perTagQuota(), Long.parseLong(args[++i]));
        case "--fetch-ms" -> options = options.withFetchInterval(Duration.ofMillis(Long.parseLong(args[++i])));
        case "--loopback-by-prefix" -> {
          options = options.withLimits(
              options.limits().withHandshakes(options.limits().handshakes().withLoopbackByPrefix(true)));
          policy = policy.withLoopbackByPrefix(true);
        }
        case "--no-listen" -> options = options.withListening(false);
        case "--steady-fetch-jitter-ms" -> options = options.withTiming(
            options.timing().withSteadyFetch(Duration.ofMillis(Long.parseLong(args[++i]))));
        case "--send-delay-ms" -> options = options.withTiming(
            options.timing().withSendDelay(Duration.ofMillis(Long.parseLong(args[++i]))));
        case "--cover-per-hour" -> options = options.withTiming(
            options.timing().withCover(Double.parseDouble(args[++i])));
        case "--pad-fetch" -> options = options.withTiming(options.timing().withPadFetch(true));
        case "--prefix-fetch" -> options = options.withTiming(options.timing().withPrefixFetch(Integer.parseInt(args[++i])));
        case "--source" -> source = args[++i];
        case "--mailbox-log" -> mailboxLog = Path.of(args[++i]);
        case "--max-links" -> options = options.withLimits(options.limits().withMaxLinks(Integer.parseInt(args[++i])));
        case "--idle-ms" -> options = options.withLimits(options.limits().withIdleMillis(Integer.parseInt(args[++i])));
        case "--handshakes-per-second" -> {
          int rate = Integer.parseInt(args[++i]);
          HandshakeBudget.Rates r = options.limits().handshakes();
          options = options.withLimits(options.limits().withHandshakes(
              new HandshakeBudget.Rates(r.perPrefix(), r.prefixBurst(), rate, rate, r.loopbackByPrefix())));
        }
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    Node node = Node.open(home, null, options.withPolicy(policy));
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "node-shutdown"));
    if (source != null) {
      dev.sotto.node.ProcessHooks.bindSource(node, source);
    }
    if (mailboxLog != null) {
      dev.sotto.node.ProcessHooks.recordMailbox(node, mailboxLog);
    }
    node.start();
    System.out.println("READY " + (node.server() == null ? 0 : node.server().port()));
    System.out.flush();
    // The node's threads are daemons: this one keeps the process alive until it is killed or
    // the test JVM, which holds the other end of standard input, goes away.
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line) {
        case "handshakes" -> {
          Server.Handshakes h = node.server().handshakes();
          System.out.println("HANDSHAKES " + h.keyExchanges() + " " + h.completed() + " " + h.replays() + " "
              + h.overBudget());
        }
        case "counters" -> {
          StringBuilder out = new StringBuilder("COUNTERS");
          node.serving().forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
          System.out.println(out);
        }
        case "memory" -> {
          Memory.Use use = Memory.measure();
          System.out.println("MEMORY heap=" + use.heapBytes() + " rss=" + use.rssKib() + " links="
              + node.openLinks());
        }
        default -> System.out.println("UNKNOWN " + line);
      }
      System.out.flush();
    }
    System.exit(0);
  }
}
