package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Vault;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A home that lost its store is refused, never quietly given an empty one; 'init --recover' makes
 * whole a home left half-made (an interrupted init, a deleted or truncated store, a lost identity
 * file, a lock file left behind), and destroys nothing of another identity's.
 */
class HomesTest {
  @TempDir Path dir;

  private final Cli cli = new Cli();

  /** Makes a node and returns its recovery code. */
  private String init(Path home, String name) throws Exception {
    Cli.Result r = cli.run("--home", home.toString(), "init", "--name", name, "--port", Integer.toString(Cli.freePort()))
        .ok();
    return "sottoseed1" + Cli.field(r.out(), "sottoseed1");
  }

  private Cli.Result recover(Path home, String code, String... more) {
    String[] args = new String[4 + more.length];
    args[0] = "--home";
    args[1] = home.toString();
    args[2] = "init";
    args[3] = "--recover";
    System.arraycopy(more, 0, args, 4, more.length);
    return cli.stdin(code + "\n").run(args);
  }

  private static Path store(Path home) {
    return home.resolve(Store.FILE_NAME);
  }

  @Test
  void aDeletedStoreIsRefusedAndNotMadeAnew() throws Exception {
    Path home = dir.resolve("me");
    init(home, "me");
    Files.delete(store(home));
    for (String[] command : new String[][] {{"read"}, {"card"}, {"address"}, {"contact", "list"}, {"send", "x", "hi"},
        {"run"}, {"chat", "x"}, {"fingerprint", "x"}, {"config"}}) {
      String[] args = new String[command.length + 2];
      args[0] = "--home";
      args[1] = home.toString();
      System.arraycopy(command, 0, args, 2, command.length);
      Cli.Result r = cli.stdin("").run(args).failsWith(Failure.STORE, "the store " + store(home) + " is missing (deleted?)");
      assertTrue(r.err().contains("'sotto init --recover'"), r.err());
      assertFalse(Files.exists(store(home)), "no new store was made by " + String.join(" ", command));
    }
  }

  @Test
  void aTruncatedStoreIsRefusedAndLeftAsItIs() throws Exception {
    Path home = dir.resolve("me");
    init(home, "me");
    Files.write(store(home), new byte[0]);
    cli.run("--home", home.toString(), "read").failsWith(Failure.STORE, "is empty, 0 bytes (truncated?)");
    cli.run("--home", home.toString(), "send", "x", "hi").failsWith(Failure.STORE, "'sotto init --recover'");
    assertEquals(0, Files.size(store(home)));
  }

  @Test
  void recoverMakesANewStoreForAnIdentityWhoseStoreWasDeleted() throws Exception {
    Path home = dir.resolve("me");
    Cli.Result made = cli.run("--home", home.toString(), "init", "--name", "me", "--port",
        Integer.toString(Cli.freePort())).ok();
    String code = "sottoseed1" + Cli.field(made.out(), "sottoseed1");
    String fingerprint = Cli.field(made.out(), "Fingerprint:");
    Files.delete(store(home));
    cli.run("--home", home.toString(), "init").failsWith(Failure.BAD_INPUT, "holds an identity file but no store");
    Cli.Result r = recover(home, code, "--name", "me").ok();
    assertTrue(r.out().contains("Created the node 'me'"), r.out());
    assertEquals(fingerprint, Cli.field(r.out(), "Fingerprint:"));
    assertEquals("no new messages\n", cli.run("--home", home.toString(), "read").ok().out());
  }

  @Test
  void recoverFinishesAnInterruptedInit() throws Exception {
    // What an init killed after writing the identity file leaves: that file, an empty store.db, and a lock file.
    Path home = dir.resolve("me");
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Vault.create(home, seed, null, Cli.CHEAP, RandomSource.secure());
    Files.write(store(home), new byte[0]);
    Files.writeString(home.resolve(NodeLock.FILE_NAME), "12345\n");
    cli.run("--home", home.toString(), "init").failsWith(Failure.BAD_INPUT, "an interrupted 'sotto init'");
    cli.run("--home", home.toString(), "read").failsWith(Failure.STORE, "is empty");
    recover(home, seed.recoveryCode(), "--name", "me").ok();
    cli.run("--home", home.toString(), "card").ok();
    assertTrue(Files.size(store(home)) > 0);
  }

  @Test
  void recoverMakesAHalfMadeStoreAnew() throws Exception {
    // Killed after the store's tables were made and before its settings were written.
    Path home = dir.resolve("me");
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Vault.create(home, seed, null, Cli.CHEAP, RandomSource.secure());
    Store.create(home, Vault.storeKey(seed), RandomSource.secure()).close();
    cli.run("--home", home.toString(), "read").failsWith(Failure.STORE, "is incomplete (no settings)");
    Cli.Result r = recover(home, seed.recoveryCode(), "--name", "me").ok();
    assertTrue(r.out().contains("Created the node 'me'"), r.out());
    cli.run("--home", home.toString(), "card").ok();
  }

  @Test
  void recoverWithoutAnIdentityFileWhereNothingElseIsEither() throws Exception {
    // Only a lock file, left by a node that ran here once.
    Path home = dir.resolve("me");
    Files.createDirectories(home);
    Files.writeString(home.resolve(NodeLock.FILE_NAME), "12345\n");
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    recover(home, seed.recoveryCode()).ok();
    cli.run("--home", home.toString(), "read").ok();
  }

  @Test
  void recoverKeepsAStoreWhoseIdentityFileWasLost() throws Exception {
    Path alice = dir.resolve("alice");
    Path bob = dir.resolve("bob");
    String code = init(alice, "alice");
    init(bob, "bob");
    String bobsCard = cli.run("--home", bob.toString(), "card").ok().out().strip();
    cli.run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    cli.run("--home", alice.toString(), "send", "bob", "kept").ok();
    Files.delete(alice.resolve(Vault.FILE_NAME));
    byte[] before = Files.readAllBytes(store(alice));

    cli.run("--home", alice.toString(), "read").failsWith(Failure.STORE, "holds a store but no identity file");
    cli.run("--home", alice.toString(), "init").failsWith(Failure.BAD_INPUT, "holds a store but no identity file");
    assertArrayEquals(before, Files.readAllBytes(store(alice)), "a plain init leaves the store alone");

    Cli.Result r = recover(alice, code, "--port", "9").ok();
    assertTrue(r.out().contains("its store is kept, with 1 contact"), r.out());
    assertTrue(r.out().contains("The store's settings stay as they were"), r.out());
    assertTrue(cli.run("--home", alice.toString(), "contact", "list").ok().out().contains("bob"));
    assertFalse(cli.run("--home", alice.toString(), "config").ok().out().contains(":9\n"), "the settings stayed");
  }

  @Test
  void recoverDestroysNothingOfAnotherIdentity() throws Exception {
    Path alice = dir.resolve("alice");
    init(alice, "alice");
    String stranger = IdentitySeed.generate(RandomSource.secure()).recoveryCode();

    // Alice's store, her identity file lost: another recovery code cannot take the home.
    Path identity = alice.resolve(Vault.FILE_NAME);
    byte[] identityBytes = Files.readAllBytes(identity);
    Files.delete(identity);
    byte[] storeBytes = Files.readAllBytes(store(alice));
    recover(alice, stranger).failsWith(Failure.BAD_INPUT, "was not written by this identity");
    assertArrayEquals(storeBytes, Files.readAllBytes(store(alice)));
    assertFalse(Files.exists(identity));

    // Alice's identity file, her store lost: the same.
    Files.write(identity, identityBytes);
    Files.delete(store(alice));
    recover(alice, stranger).failsWith(Failure.BAD_INPUT, "holds another identity than this recovery code");
    assertArrayEquals(identityBytes, Files.readAllBytes(identity));
    assertFalse(Files.exists(store(alice)));
  }

  @Test
  void aSealedIdentityFileIsCheckedWithItsPassphrase() throws Exception {
    Path home = dir.resolve("me");
    Cli.Result made = cli.env(Main.PASSPHRASE_ENV, "a long enough passphrase")
        .run("--home", home.toString(), "init", "--passphrase", "--port", Integer.toString(Cli.freePort())).ok();
    String code = "sottoseed1" + Cli.field(made.out(), "sottoseed1");
    Files.delete(store(home));
    cli.env(Main.PASSPHRASE_ENV, "not the one");
    recover(home, code).failsWith(Failure.BAD_INPUT, "so it cannot be checked to hold this identity");
    cli.env(Main.PASSPHRASE_ENV, "a long enough passphrase");
    recover(home, code, "--passphrase").ok();
    cli.run("--home", home.toString(), "read").ok();
  }

  @Test
  void recoverOnAWholeNodeSealsItsIdentityFileAnew() throws Exception {
    Path home = dir.resolve("me");
    String code = init(home, "me");
    byte[] storeBytes = Files.readAllBytes(store(home));
    Cli.Result r = cli.env(Main.PASSPHRASE_ENV, "several unrelated words here")
        .stdin(code + "\n").run("--home", home.toString(), "init", "--recover", "--passphrase").ok();
    assertTrue(r.out().contains("its store is kept, with 0 contacts"), r.out());
    assertFalse(r.out().contains("warning:"), r.out());
    assertArrayEquals(storeBytes, Files.readAllBytes(store(home)), "the store is not touched");
    cli.env(Main.PASSPHRASE_ENV, null).run("--home", home.toString(), "read")
        .failsWith(Failure.BAD_INPUT, "sealed under a passphrase");
    cli.env(Main.PASSPHRASE_ENV, "several unrelated words here").run("--home", home.toString(), "read").ok();
  }

  @Test
  void recoverIsRefusedWhileTheNodeRuns() throws Exception {
    Path home = dir.resolve("me");
    String code = init(home, "me");
    try (NodeLock held = NodeLock.tryTake(home)) {
      assertTrue(held != null);
      recover(home, code).failsWith(Failure.BAD_INPUT, "a node runs for this home");
    }
  }
}
