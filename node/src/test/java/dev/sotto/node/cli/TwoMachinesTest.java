package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.node.Node;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a node listens is one setting, what its card gives another; a card that only this
 * machine can reach is printed with a warning; the settings change after init, and the new card
 * reaches the contacts.
 */
class TwoMachinesTest {
  private static final String MAILBOX_KEY = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

  @TempDir Path dir;

  private final Cli cli = new Cli();

  private static List<String> cardAddresses(String cardText) throws Exception {
    List<String> out = new ArrayList<>();
    for (Address a : Card.parseText(cardText, Instant.now()).addresses()) {
      out.add((a.kind() == Address.KIND_PEER_TCP ? "peer " : "mailbox ") + a.host() + ":" + a.port());
    }
    return out;
  }

  @Test
  void theCardGivesTheAdvertisedAddressesNotWhereTheNodeListens() throws Exception {
    Path home = dir.resolve("me");
    int port = Cli.freePort();
    Cli.Result made = cli.run("--home", home.toString(), "init", "--name", "me", "--host", "0.0.0.0", "--port",
        Integer.toString(port), "--advertise", "node.example.org:7999", "--advertise", "192.0.2.7",
        "--advertise", "[2001:db8::7]:7001", "--mailbox", "mailbox:mailbox.example.org:7401:" + MAILBOX_KEY).ok();
    assertEquals("", made.err(), "nothing to warn about");
    assertTrue(Cli.field(made.out(), "Address:").startsWith("peer:node.example.org:7999:"), made.out());

    Cli.Result card = cli.run("--home", home.toString(), "card").ok();
    assertEquals("", card.err());
    assertEquals(List.of("peer node.example.org:7999", "peer 192.0.2.7:" + port, "peer 2001:db8::7:7001",
        "mailbox mailbox.example.org:7401"), cardAddresses(card.out().strip()));

    Cli.Result shown = cli.run("--home", home.toString(), "config").ok();
    assertTrue(shown.out().contains("Listens on:   0.0.0.0:" + port), shown.out());
    assertTrue(shown.out().contains("Advertised:   node.example.org:7999 192.0.2.7:" + port + " [2001:db8::7]:7001"),
        shown.out());

    // It listens on every interface, so on loopback too.
    try (Node node = Node.open(home, null, CommandsTest.fast())) {
      node.start();
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      }
    }
  }

  @Test
  void aCardOnlyThisMachineReachesIsShownWithAWarning() throws Exception {
    Path loopback = dir.resolve("loopback");
    Cli.Result made = cli.run("--home", loopback.toString(), "init", "--port", Integer.toString(Cli.freePort())).ok();
    assertTrue(made.err().startsWith("sotto: warning: the card gives this node at 127.0.0.1:"), made.err());
    assertTrue(made.err().contains("'sotto config --advertise HOST[:PORT]'"), made.err());
    Cli.Result card = cli.run("--home", loopback.toString(), "card").ok();
    assertTrue(card.out().startsWith("sottocard1") && !card.out().contains("warning"), "the card alone on stdout");
    assertTrue(card.err().startsWith("sotto: warning: the card gives this node at 127.0.0.1:"), card.err());

    for (String host : new String[] {"0.0.0.0", "::", "::1", "127.0.1.1", "localhost"}) {
      Path home = dir.resolve("h" + Math.abs(host.hashCode()));
      Cli.Result r = cli.run("--home", home.toString(), "init", "--host", host, "--port", "7411").ok();
      String shown = host.contains(":") ? "[" + host + "]:7411" : host + ":7411";
      assertTrue(r.err().contains("the card gives this node at " + shown + ", which contacts on other machines"
          + " cannot reach"), host + ": " + r.err());
    }
    Path mailbox = dir.resolve("mailbox");
    Cli.Result r = cli.run("--home", mailbox.toString(), "init", "--advertise", "me.example.org", "--mailbox",
        "mailbox:127.0.0.1:7400:" + MAILBOX_KEY).ok();
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().contains("the card gives the mailbox at 127.0.0.1:7400"), r.err());
  }

  @Test
  void badAddressesAreRefused() {
    String home = dir.resolve("me").toString();
    cli.run("--home", home, "init", "--advertise", "Example.ORG").failsWith(Failure.BAD_INPUT, "--advertise Example.ORG");
    cli.run("--home", home, "init", "--advertise", "example.org:http").failsWith(Failure.BAD_INPUT, "not a number");
    cli.run("--home", home, "init", "--advertise", "example.org:0").failsWith(Failure.BAD_INPUT, "a port is 1 to 65535");
    cli.run("--home", home, "init", "--advertise", "[::1").failsWith(Failure.BAD_INPUT, "[IPV6]:PORT");
    List<String> args = new ArrayList<>(List.of("--home", home, "init"));
    for (int i = 0; i < 9; i++) {
      args.add("--advertise");
      args.add("n" + i + ".example.org");
    }
    cli.run(args.toArray(String[]::new)).failsWith(Failure.BAD_INPUT, "at most 8 addresses fit on a card");
  }

  @Test
  @SuppressWarnings("try") // a held lock stands for a running node
  void aChangedAddressReachesTheContactsWithANewCard() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    cli.run("--home", alice.toString(), "init", "--name", "alice", "--port", Integer.toString(Cli.freePort())).ok();
    cli.run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(Cli.freePort())).ok();
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    cli.quietlyAdds(bob, "alice", alice);
    cli.run("--home", alice.toString(), "send", "bob", "before").ok();
    try (Node a = Node.open(alice, null, CommandsTest.fast()); Node b = Node.open(bob, null, CommandsTest.fast())) {
      a.start();
      b.start();
      CommandsTest.await(() -> a.outboxSize() == 0);
    }
    cli.run("--home", bob.toString(), "read").ok();

    // Bob moves to another port. While his node runs, the settings stay.
    int moved = Cli.freePort();
    try (NodeLock held = NodeLock.tryTake(bob)) {
      cli.run("--home", bob.toString(), "config", "--port", Integer.toString(moved))
          .failsWith(Failure.BAD_INPUT, "a node runs for this home");
    }
    assertEquals("nothing changed\n", cli.run("--home", bob.toString(), "config", "--no-mailboxes").ok().out());
    Cli.Result changed = cli.run("--home", bob.toString(), "config", "--port", Integer.toString(moved)).ok();
    assertTrue(changed.out().contains("A new card gives the new addresses. A message that carries it is queued for"
        + " your contact ('sotto run' delivers it)"), changed.out());
    String newCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    assertEquals(List.of("peer 127.0.0.1:" + moved), cardAddresses(newCard));
    // Listening elsewhere while the card stays the same issues no card.
    Cli.Result same = cli.run("--home", bob.toString(), "config", "--host", "0.0.0.0", "--advertise",
        "127.0.0.1:" + moved).ok();
    assertTrue(same.out().contains("no new card"), same.out());
    assertEquals(newCard, cli.run("--home", bob.toString(), "card").ok().out().strip());

    // Bob's node, started again, listens on the new port and sends alice the new card; her
    // node writes to the new address from then on (bob has no mailbox: directly, or not at all).
    try (Node a = Node.open(alice, null, CommandsTest.fast()); Node b = Node.open(bob, null, CommandsTest.fast())) {
      a.start();
      b.start();
      assertEquals(moved, b.server().port());
      CommandsTest.await(() -> b.outboxSize() == 0);
      CommandsTest.await(() -> cardAddresses(Card.parse(a.contact("bob").card(), Instant.EPOCH).text())
          .equals(List.of("peer 127.0.0.1:" + moved)));
      a.send("bob", "after");
      CommandsTest.await(() -> a.outboxSize() == 0);
    }
    List<String> aliceRead = List.of(cli.run("--home", alice.toString(), "read").ok().out().split("\n"));
    assertEquals(2, aliceRead.size(), aliceRead.toString());
    // Bob never wrote to alice: his node's answer to her first contact (a HELLO with his card then)
    // shows him joining, and the HELLO with the new card is shown as the new card it is.
    assertTrue(aliceRead.get(0).contains("] bob joined (fingerprint "), aliceRead.toString());
    assertTrue(aliceRead.get(1).endsWith("] bob sent a new card: now at 127.0.0.1:" + moved), aliceRead.toString());
    String bobRead = cli.run("--home", bob.toString(), "read").ok().out();
    assertTrue(bobRead.endsWith("] alice: after\n"), bobRead);
    assertFalse(bobRead.contains("joined"), "alice joined once, before");
  }
}
