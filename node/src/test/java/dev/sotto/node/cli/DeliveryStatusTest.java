package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 10: 'send' says what became of a message (delivered directly, left at which
 * mailbox, failing and why), 'outbox' lists what waits and why, 'status' says whether the node runs
 * and what works and what fails. The nodes run in this process, as 'sotto run' would run them,
 * each with its home's lock held.
 */
class DeliveryStatusTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();
  private final List<AutoCloseable> running = new ArrayList<>();
  private final java.util.Map<Node, NodeLock> locks = new java.util.HashMap<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
  }

  private Path init(String name, String... more) {
    Path home = dir.resolve(name);
    List<String> args = new ArrayList<>(List.of("--home", home.toString(), "init", "--name", name, "--port",
        Integer.toString(freePort())));
    args.addAll(List.of(more));
    cli.run(args.toArray(String[]::new)).ok();
    return home;
  }

  private static int freePort() {
    try {
      return Cli.freePort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs the node of a home in this process, with the home's lock held, until the test ends. */
  private Node run(Path home) throws Exception {
    NodeLock lock = NodeLock.tryTake(home);
    Node node = Node.open(home, null, CommandsTest.fast());
    running.add(lock);
    running.add(node);
    locks.put(node, lock);
    node.start();
    return node;
  }

  /** Stops a node started by {@link #run}, and frees its home's lock. */
  private void stop(Node node) throws Exception {
    running.remove(node);
    node.close();
    NodeLock lock = locks.remove(node);
    running.remove(lock);
    lock.close();
  }

  private String card(Path home) {
    return cli.run("--home", home.toString(), "card").ok().out().strip();
  }

  private String mailboxAddress(Path home) {
    return cli.run("--home", home.toString(), "address").ok().out().strip().split("\n")[1];
  }

  @Test
  void sendSaysDeliveredDirectlyOrLeftAtTheMailbox() throws Exception {
    Path m = init("m");
    String mailbox = mailboxAddress(m);
    Path alice = init("alice");
    Path bob = init("bob", "--mailbox", mailbox);
    Node mNode = run(m);
    Node bobNode = run(bob);
    cli.run("--home", alice.toString(), "contact", "add", "bob", card(bob)).ok();
    cli.run("--home", bob.toString(), "contact", "add", "alice", card(alice), "--quiet").ok();
    run(alice);

    Cli.Result direct = cli.run("--home", alice.toString(), "send", "--wait", "30", "bob", "hello bob").ok();
    int bobPort = bobNode.server().port();
    assertEquals("delivered to bob's node (127.0.0.1:" + bobPort + ")\n", direct.out());

    // Bob goes offline: his node refuses, his mailbox takes it. (send waits up to 30 s, not its default 5,
    // so that a loaded CI machine gives the same answer: the answer comes as soon as it is known.)
    stop(bobNode);
    Cli.Result held = cli.run("--home", alice.toString(), "send", "--wait", "30", "bob", "are you there?").ok();
    assertEquals("left at bob's mailbox 127.0.0.1:" + mNode.server().port() + ": bob's node fetches it from there\n",
        held.out());
    assertEquals("nothing waits to leave\n", cli.run("--home", alice.toString(), "outbox").ok().out());
  }

  @Test
  void aContactThatCannotBeReachedIsShownFailingWithTheReason() throws Exception {
    Path alice;
    int deadPort;
    try (ServerSocket dead = new ServerSocket(0)) {
      deadPort = dead.getLocalPort(); // closed at once: nothing listens there
    }
    Path m = init("m");
    String mailbox = mailboxAddress(m);
    String deadMailbox = mailbox.replaceFirst(":\\d+:", ":" + deadPort + ":");
    alice = init("alice", "--mailbox", mailbox, "--mailbox", deadMailbox);
    Path carol = init("carol");
    Node carolNode = run(carol); // online while alice adds her, so that alice has her prekeys
    cli.run("--home", alice.toString(), "contact", "add", "carol", card(carol)).ok();
    int carolPort = carolNode.server().port();
    stop(carolNode);
    run(m);
    run(alice);

    Cli.Result sent = cli.run("--home", alice.toString(), "send", "carol", "hi carol").ok();
    assertTrue(sent.out().startsWith("queued; not delivered yet: failing since "), sent.out());
    assertTrue(sent.out().contains(": node 127.0.0.1:" + carolPort + ": connection refused"), sent.out());
    assertTrue(sent.out().endsWith("the running node keeps trying ('sotto outbox' shows it)\n"), sent.out());

    String outbox = cli.run("--home", alice.toString(), "outbox").ok().out();
    List<String> lines = List.of(outbox.split("\n"));
    assertEquals("2 messages wait to leave; the running node delivers them", lines.get(0), outbox);
    assertTrue(lines.get(1).matches("\\[\\d\\d:\\d\\d:\\d\\d] to carol: your introduction \\(HELLO\\)"), outbox);
    assertTrue(lines.get(2).matches("    failing since \\d\\d:\\d\\d:\\d\\d \\(\\d+ attempts?, next at .*\\): node 127.0.0.1:"
        + carolPort + ": connection refused"), outbox);
    assertTrue(lines.get(3).matches("\\[\\d\\d:\\d\\d:\\d\\d] to carol: hi carol"), outbox);
    assertTrue(lines.get(4).startsWith("    failing since ") && lines.get(4).contains("(behind an earlier message"), outbox);
    String carols = cli.run("--home", alice.toString(), "outbox", "carol").ok().out();
    assertEquals(5, carols.split("\n").length, carols);
    assertTrue(carols.startsWith(lines.get(0) + "\n" + lines.get(1) + "\n"), carols);
    cli.run("--home", alice.toString(), "outbox", "dave").failsWith(Failure.BAD_INPUT, "no contact named 'dave'");

    // The status says what works and what does not; the dead mailbox is found failing within its first fetch.
    CommandsTest.await(() -> cli.run("--home", alice.toString(), "status").ok().out().contains("127.0.0.1:" + deadPort
        + "  fetching failing since"));
    String status = cli.run("--home", alice.toString(), "status").ok().out();
    assertTrue(status.matches("(?s)node: +running \\(process \\d+\\), listening on 127\\.0\\.0\\.1:\\d+, since .*"), status);
    assertTrue(status.contains("\ncontacts:   1\n"), status);
    assertTrue(status.contains("\noutbox:     2 messages wait, 2 failing ('sotto outbox' lists them)\n"), status);
    assertTrue(status.contains("\nmailboxes:  127.0.0.1:" + mailboxPort(mailbox) + "  reachable; last fetch "), status);
    assertTrue(status.contains("127.0.0.1:" + deadPort + "  fetching failing since "), status);
    assertTrue(status.contains("): connection refused"), status);
    assertTrue(status.contains("\nfailing:    carol: failing since "), status);
    assertTrue(status.contains("\ndisk:       ") && status.contains("\nlog:        "
        + alice.resolve("log").resolve("node.0.log")), status);
  }

  @Test
  void statusOfAStoppedNodeAndSendWithoutOne() throws Exception {
    Path alice = init("alice");
    Path bob = init("bob");
    cli.run("--home", alice.toString(), "contact", "add", "bob", card(bob)).ok();
    String status = cli.run("--home", alice.toString(), "status").ok().out();
    assertTrue(status.startsWith("node:       not running ('sotto run' starts it)\n"), status);
    assertTrue(status.contains("\nmailboxes:  none (contacts reach this node directly only)\n"), status);
    assertTrue(status.contains("\noutbox:     1 message waits ('sotto outbox' lists them)\n"), status);
    assertEquals("queued; no node is running for this home: 'sotto run' delivers it\n",
        cli.run("--home", alice.toString(), "send", "bob", "later").ok().out());
    String outbox = cli.run("--home", alice.toString(), "outbox").ok().out();
    assertTrue(outbox.startsWith("2 messages wait to leave; no node is running for this home: 'sotto run' delivers"
        + " them\n"), outbox);
    assertTrue(outbox.contains("] to bob: later\n    waiting for bob's prekeys"), outbox);
    Node node = run(alice);
    CommandsTest.await(() -> node.nodeState() != null);
    stop(node);
    status = cli.run("--home", alice.toString(), "status").ok().out();
    assertTrue(status.matches("(?s)node: +not running \\('sotto run' starts it\\); it last ran until .*"), status);
  }

  private static int mailboxPort(String address) {
    String[] parts = address.split(":");
    return Integer.parseInt(parts[parts.length - 2]);
  }
}
