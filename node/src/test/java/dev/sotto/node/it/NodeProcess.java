package dev.sotto.node.it;

import dev.sotto.node.Node;
import dev.sotto.node.NodeCore;
import dev.sotto.node.net.Server;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node as its own process, for the multi-process tests: {@code NodeProcess HOME [--no-mailbox]
 * [--tag-quota N] [--total-quota BYTES] [--fetch-ms N] [--loopback-by-prefix]}. Opens the node in
 * HOME (no passphrase), starts it, prints {@code READY <port>} and runs until killed; SIGTERM
 * closes it cleanly, SIGKILL is the crash the tests want. It also stops when its standard input
 * ends, so that a node does not outlive a test JVM that died without killing it. A line
 * {@code handshakes} on standard input prints the server's handshake counters,
 * {@code HANDSHAKES keyExchanges completed replays overBudget}.
 *
 * <p>{@code --loopback-by-prefix} gives loopback sources a per-prefix handshake budget, as if
 * they came from the network (transport.adoc#handshake-budgets), so that a test on one machine
 * can connect from several /24 prefixes of 127.0.0.0/8. {@code --no-listen}: the node is
 * reachable through its mailboxes only (it prints {@code READY 0}).
 */
public final class NodeProcess {
  private NodeProcess() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: NodeProcess HOME [--no-mailbox] [--tag-quota N] [--total-quota BYTES] [--fetch-ms N]"
          + " [--loopback-by-prefix] [--no-listen]");
      System.exit(2);
    }
    Path home = Path.of(args[0]);
    NodeCore.Policy policy = NodeCore.Policy.DEFAULT;
    Node.Options options = Node.Options.defaults();
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--no-mailbox" -> policy = policy.withMailbox(false);
        case "--tag-quota" -> policy = policy.withQuotas(Integer.parseInt(args[++i]), policy.totalQuotaBytes());
        case "--total-quota" -> policy = policy.withQuotas(policy.perTagQuota(), Long.parseLong(args[++i]));
        case "--fetch-ms" -> options = options.withFetchInterval(Duration.ofMillis(Long.parseLong(args[++i])));
        case "--no-listen" -> options = options.withListening(false);
        case "--loopback-by-prefix" -> options = options.withLimits(
            options.limits().withHandshakes(options.limits().handshakes().withLoopbackByPrefix(true)));
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    Node node = Node.open(home, null, options.withPolicy(policy));
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "node-shutdown"));
    node.start();
    System.out.println("READY " + (node.server() == null ? 0 : node.server().port()));
    System.out.flush();
    // The node's threads are daemons: this one keeps the process alive until it is killed or
    // the test JVM, which holds the other end of standard input, goes away.
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("handshakes")) {
        Server.Handshakes h = node.server().handshakes();
        System.out.println("HANDSHAKES " + h.keyExchanges() + " " + h.completed() + " " + h.replays() + " "
            + h.overBudget());
        System.out.flush();
      }
    }
    System.exit(0);
  }
}
