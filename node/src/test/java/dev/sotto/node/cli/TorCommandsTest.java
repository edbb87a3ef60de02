package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Card;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 'sotto init --tor' and its refusals, as a user types them (no Tor daemon needed: nothing is
 * started; TorNetworkTest runs nodes in Tor mode). Costs a few seconds.
 */
class TorCommandsTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  @Test
  void initTorGivesAnOnionCardAndRefusesWhatWouldLeakWithTheReason() throws Exception {
    Path alice = dir.resolve("alice");
    Cli.Result made = cli.run("--home", alice.toString(), "init", "--name", "alice", "--port",
        Integer.toString(Cli.freePort()), "--tor", "--tor-socks", "127.0.0.1:9050", "--tor-control", "127.0.0.1:9051")
        .ok();
    String address = Cli.field(made.out(), "Address:");
    assertTrue(address.matches("peer:[a-z2-7]{56}\\.onion:7400:[0-9a-f]{64}"), made.out());
    Card card = Card.parseText(cli.run("--home", alice.toString(), "card").ok().out().strip(), Instant.now());
    assertEquals(1, card.addresses().size());
    assertTrue(card.addresses().get(0).isOnion(), "the card gives the onion address only, no IP address");
    String config = cli.run("--home", alice.toString(), "config").ok().out();
    assertTrue(config.contains("Tor mode:") && config.contains("Tor at 127.0.0.1:9050"), config);

    // The onion address comes from the seed: the same after a restore.
    String code = made.out().lines().filter(l -> l.strip().startsWith("sottoseed1")).findFirst().orElseThrow().strip();
    Path again = dir.resolve("again");
    Cli.Result recovered = cli.stdin(code + "\n").run("--home", again.toString(), "init", "--recover", "--name",
        "alice", "--port", Integer.toString(Cli.freePort()), "--tor").ok();
    assertEquals(address.split(":")[1], Cli.field(recovered.out(), "Address:").split(":")[1], recovered.out());
    cli.stdin("");

    Cli.Result advertise = cli.run("--home", dir.resolve("b").toString(), "init", "--tor", "--advertise",
        "bob.example.org");
    assertNotEquals(0, advertise.status());
    assertTrue(advertise.err().contains("--advertise"), advertise.err());
    Cli.Result listen = cli.run("--home", dir.resolve("c").toString(), "init", "--tor", "--host", "0.0.0.0");
    assertNotEquals(0, listen.status());
    assertTrue(listen.err().contains("loopback"), listen.err());

    String tcpMailbox = "mailbox:mailbox.example.org:7401:" + address.substring(address.lastIndexOf(':') + 1);
    Cli.Result mixed = cli.run("--home", dir.resolve("d").toString(), "init", "--tor", "--mailbox", tcpMailbox);
    assertNotEquals(0, mixed.status());
    assertTrue(mixed.err().contains("could link the two") && mixed.err().contains("--mixed-card"), mixed.err());
    Path e = dir.resolve("e");
    cli.run("--home", e.toString(), "init", "--port", Integer.toString(Cli.freePort()), "--tor", "--mailbox", tcpMailbox,
        "--mixed-card").ok();
    Card both = Card.parseText(cli.run("--home", e.toString(), "card").ok().out().strip(), Instant.now());
    assertTrue(both.addresses().stream().anyMatch(Address::isOnion) && both.addresses().stream().anyMatch(Address::isTcp));
  }

  /**
   * Bridges for the node's own Tor daemon ('init --tor --bridge', 'config --bridge', '--no-bridges'):
   * kept in the settings, shown by kind only, refused with the reason when malformed or when Tor is
   * the user's own daemon (given by its ports).
   */
  @Test
  void bridgesAreKeptShownByKindAndRefusedWithTheReason() throws Exception {
    String fp = "0123456789ABCDEF0123456789ABCDEF01234567";
    String obfs4 = "obfs4 192.0.2.2:443 " + fp + " cert=abcdEFGH+/ iat-mode=0";
    Path alice = dir.resolve("alice");
    cli.run("--home", alice.toString(), "init", "--name", "alice", "--port", Integer.toString(Cli.freePort()), "--tor",
        "--bridge", obfs4, "--bridge", "198.51.100.7:9001 " + fp).ok();
    String config = cli.run("--home", alice.toString(), "config").ok().out();
    assertTrue(config.contains("entered through 2 bridges (1 obfs4, 1 plain)"), config);
    assertTrue(!config.contains("192.0.2.2"), "the bridges' addresses are not printed: " + config);
    cli.run("--home", alice.toString(), "config", "--bridge", "snowflake 192.0.2.3:80 " + fp).ok();
    assertTrue(cli.run("--home", alice.toString(), "config").ok().out().contains("entered through 1 bridge (1 snowflake)"));
    Cli.Result bad = cli.run("--home", alice.toString(), "config", "--bridge", "obfs4 bridge.example.org:443 " + fp);
    assertNotEquals(0, bad.status());
    assertTrue(bad.err().contains("bridge 1: ") && bad.err().contains("host name"), bad.err());
    assertTrue(cli.run("--home", alice.toString(), "config").ok().out().contains("(1 snowflake)"), "unchanged");
    cli.run("--home", alice.toString(), "config", "--no-bridges").ok();
    assertTrue(!cli.run("--home", alice.toString(), "config").ok().out().contains("bridge"));

    Cli.Result given = cli.run("--home", dir.resolve("b").toString(), "init", "--tor", "--tor-socks", "127.0.0.1:9050",
        "--tor-control", "127.0.0.1:9051", "--bridge", obfs4);
    assertNotEquals(0, given.status());
    assertTrue(given.err().contains("bridges go with a Tor daemon of the node's own"), given.err());
    Cli.Result plain = cli.run("--home", dir.resolve("c").toString(), "init", "--bridge", obfs4);
    assertNotEquals(0, plain.status());
    assertTrue(plain.err().contains("go with --tor"), plain.err());
  }
}
