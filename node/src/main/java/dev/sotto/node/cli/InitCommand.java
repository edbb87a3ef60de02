package dev.sotto.node.cli;

import dev.sotto.Address;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.HostPort;
import dev.sotto.node.Node;
import dev.sotto.node.tor.OnionKey;
import dev.sotto.node.Recovery;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init",
    header = "Creates a node: an identity, its store and its card.",
    description = {
        "Creates a node in the home directory: a new identity (or a recovered one), its encrypted "
            + "store, and its first card. Shows the recovery code once: write it down.",
        "",
        "With --recover, puts the identity of a recovery code into the home and makes the home whole, whatever "
            + "it holds: nothing; an identity file and no store, or an empty one (an interrupted 'init', a store "
            + "deleted or truncated); a store of this identity and no identity file (it keeps the store, with its "
            + "contacts and messages); or a whole node of this identity (it writes the identity file anew, for "
            + "example under a new passphrase). It never overwrites another identity's file or store.",
        "",
        "In a new home with --mailbox, --recover then restores the newest backup it finds at those mailboxes "
            + "('sotto backup'): contacts, settings and history; every session is then reset."})
final class InitCommand extends Cmd {
  @Option(names = "--name", paramLabel = "NAME",
      description = "The name this node gives itself to its contacts (default: your user name).")
  String name;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "The address of this machine to listen on (default: ${DEFAULT-VALUE}, which only this machine"
          + " reaches; 0.0.0.0 or :: listens on every interface). The card gives it too, unless --advertise is set.")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "7400",
      description = "The TCP port to listen on (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--advertise", paramLabel = "HOST[:PORT]",
      description = "An address the card gives, where contacts on other machines reach this node: a public name or"
          + " address, or a router's forwarded port ([IPV6]:PORT for an IPv6 address; PORT defaults to --port)."
          + " Repeatable. Default: --host and --port.")
  List<String> advertise = new ArrayList<>();

  @Option(names = "--mailbox", paramLabel = "ADDRESS",
      description = "A mailbox that holds envelopes for this node while it is offline: mailbox:HOST:PORT:KEY,"
          + " as 'sotto address' prints it on the mailbox's node. Repeatable.")
  List<String> mailboxes = new ArrayList<>();

  @Option(names = "--tor",
      description = "Tor mode: contacts reach this node at an onion address (derived from its identity, so it comes back"
          + " with the recovery code), and every link goes through Tor, with no direct connection ever. Listens on"
          + " --host, which must be loopback. Without --tor-socks and --tor-control, 'sotto run' starts and stops a"
          + " Tor daemon of its own ('tor' must be installed).")
  boolean tor;

  @Option(names = "--tor-socks", paramLabel = "127.0.0.1:PORT",
      description = "With --tor: the SOCKS port of a running Tor daemon to use (with --tor-control).")
  String torSocks;

  @Option(names = "--tor-control", paramLabel = "127.0.0.1:PORT",
      description = "With --tor: the control port of that Tor daemon (cookie authentication or none), where the node"
          + " publishes its onion service.")
  String torControl;

  @Option(names = "--onion-port", paramLabel = "PORT", defaultValue = "7400",
      description = "With --tor: the port of the onion address on the card (default: ${DEFAULT-VALUE}).")
  int onionPort;

  @Option(names = "--tor-include", paramLabel = "FILE", hidden = true,
      description = "With --tor and no ports: a file of further torrc lines for the node's own Tor daemon (a test's"
          + " private Tor network).")
  String torInclude;

  /** What a bridge line is, for the help of 'init' and 'config'. */
  static final String BRIDGE_LINE = "as bridges.torproject.org gives it ('obfs4 IP:PORT FINGERPRINT cert=... iat-mode=0',"
      + " 'webtunnel ...', 'snowflake ...', or a plain 'IP:PORT FINGERPRINT'). obfs4 and webtunnel need lyrebird or"
      + " obfs4proxy installed, snowflake snowflake-client";

  @Option(names = "--bridge", paramLabel = "LINE",
      description = "With --tor and no ports: a bridge for the node's own Tor daemon to enter Tor by where the network"
          + " blocks it, " + BRIDGE_LINE + ". Repeatable.")
  List<String> bridges = new ArrayList<>();

  @Option(names = "--mixed-card",
      description = "Let the card list an onion address and a TCP one together (refused otherwise): everyone who holds"
          + " the card can then link the onion service to the IP address or host name.")
  boolean mixedCard;

  @Option(names = "--passphrase",
      description = "Seal the identity file under a passphrase (asked twice, or $SOTTO_PASSPHRASE). A weak one ("
          + Passphrases.RULE + ") gets a warning.")
  boolean passphrase;

  @Option(names = "--recover",
      description = "Recreate an identity from its recovery code (read from the terminal or standard input), in a new"
          + " home or in one left half-made.")
  boolean recover;

  @Option(names = "--no-restore",
      description = "With --recover: do not look for a backup at the mailboxes given (--mailbox).")
  boolean noRestore;

  @Override
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    String nodeName = name != null ? name : defaultName();
    checkName(nodeName);
    Node.Config config = config(nodeName, null);
    if (recover) {
      return recover(io, home, nodeName);
    }
    refuseOccupied(home);
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    config = config(nodeName, seed);
    char[] secret = passphrase ? Home.newPassphrase(io) : null;
    try {
      Node.init(home, seed, secret, main().vaultParams(), config, RandomSource.secure(), io.clock());
      try (Node node = Node.open(home, secret, Node.Options.defaults())) {
        PrintStream out = io.out();
        out.println("Created the node '" + node.config().name() + "' in " + home + ".");
        out.println();
        out.println(io.bold("Your recovery code") + " (shown this once, never again):");
        out.println();
        out.println("    " + seed.recoveryCode());
        out.println();
        out.println("Write it down on paper and keep it safe. It IS your identity: whoever reads it can be you,");
        out.println("and with it you can recreate this identity on another computer ('sotto init --recover').");
        report(io, node, secret);
      }
    } finally {
      if (secret != null) {
        Arrays.fill(secret, '\0');
      }
    }
    return 0;
  }

  /** The settings from the options, each checked. */
  private Node.Config config(String nodeName, IdentitySeed seed) throws Failure {
    if (port < 1 || port > 65535) {
      throw Failure.input("--port must be 1 to 65535");
    }
    try {
      HostPort.checkHost(host);
    } catch (IllegalArgumentException e) {
      throw Failure.input("--host is 1 to 220 characters of lower-case letters, digits, '.', ':' and '-'");
    }
    List<Address> mailboxAddresses = new ArrayList<>();
    for (String text : mailboxes) {
      mailboxAddresses.add(mailboxAddress(text));
    }
    List<HostPort> advertised = new ArrayList<>();
    for (String text : advertise) {
      advertised.add(advertised(text, port));
    }
    try {
      return new Node.Config(nodeName, host, port, mailboxAddresses, advertised, torSettings(seed), mixedCard);
    } catch (IllegalArgumentException e) {
      throw Failure.input(e.getMessage());
    }
  }

  /**
   * The Tor settings of the options, for the identity of {@code seed} (its onion address), or
   * null without --tor. A null seed stands for any identity: the options are checked alone.
   */
  private Node.Tor torSettings(IdentitySeed seed) throws Failure {
    if (!tor) {
      if (torSocks != null || torControl != null || torInclude != null || !bridges.isEmpty()) {
        throw Failure.input("--tor-socks, --tor-control, --tor-include and --bridge go with --tor");
      }
      return null;
    }
    if (onionPort < 1 || onionPort > 65535) {
      throw Failure.input("--onion-port must be 1 to 65535");
    }
    IdentitySeed of = seed != null ? seed : IdentitySeed.fromBytes(new byte[IdentitySeed.LENGTH]);
    try {
      HostPort socks = torSocks == null ? null : HostPort.parse(torSocks, 9050);
      HostPort control = torControl == null ? null : HostPort.parse(torControl, 9051);
      return new Node.Tor(OnionKey.of(of).onion(), onionPort, socks, control,
          torInclude == null ? null : Path.of(torInclude).toAbsolutePath().toString(), bridges);
    } catch (IllegalArgumentException e) {
      throw Failure.input(e.getMessage());
    }
  }

  /** A plain 'init' makes a node only where there is none, not even half of one. */
  private static void refuseOccupied(Path home) throws Failure, StoreException {
    boolean identity = Vault.exists(home);
    boolean store = Store.fileState(home) == Store.FileState.PRESENT;
    if (identity && store) {
      throw Failure.input("there is a node in " + home + " already");
    }
    if (identity) {
      throw Failure.input(home + " holds an identity file but no store (an interrupted 'sotto init', or a deleted"
          + " store): 'sotto init --recover' makes the store anew from your recovery code; to start afresh,"
          + " move " + home.resolve(Vault.FILE_NAME) + " away");
    }
    if (store) {
      throw Failure.input(home + " holds a store but no identity file: 'sotto init --recover' restores the identity"
          + " from its recovery code and keeps the store; to start afresh, move " + home.resolve(Store.FILE_NAME)
          + " away");
    }
  }

  @SuppressWarnings("try") // the lock is held, not used: no node may start while the home is remade
  private int recover(Io io, Path home, String nodeName) throws Exception {
    NodeLock lock = null;
    if (Files.isDirectory(home)) {
      lock = NodeLock.tryTake(home);
      if (lock == null) {
        throw Failure.input("a node runs for this home (process " + NodeLock.holder(home) + "): stop it first");
      }
    }
    try (NodeLock held = lock) {
      IdentitySeed seed = readRecoveryCode(io);
      Node.Config config = config(nodeName, seed);
      Recovery plan;
      try {
        plan = Recovery.plan(home, seed);
      } catch (StoreException e) {
        throw Failure.input(Errors.detail(e.getMessage()));
      }
      if (plan.identityFileToCheck()) {
        checkIdentityFile(io, home, plan);
      }
      char[] secret = passphrase ? Home.newPassphrase(io) : null;
      try {
        plan.commit(secret, main().vaultParams(), config, RandomSource.secure(), io.clock());
        try (Node node = Node.open(home, secret, Node.Options.defaults())) {
          PrintStream out = io.out();
          if (plan.storeAction() == Recovery.StoreAction.KEEP) {
            out.println("Recovered the node '" + node.config().name() + "' in " + home + ": its store is kept, with "
                + plan.contacts() + (plan.contacts() == 1 ? " contact" : " contacts") + " and the messages; the"
                + " identity file is written anew.");
            if (settingsGiven()) {
              out.println("The store's settings stay as they were: the --name, --host, --port, --advertise and"
                  + " --mailbox given here are not used. Change them with 'sotto config'.");
            }
            if (!noRestore && plan.contacts() == 0 && !node.config().mailboxes().isEmpty()
                && node.backups().writer().isEmpty()) {
              out.println();
              restoreNewest(io, node); // a recovery interrupted before its restore committed: the restore again
            }
          } else {
            out.println("Created the node '" + node.config().name() + "' in " + home + ".");
            out.println();
            if (!noRestore && !node.config().mailboxes().isEmpty()) {
              restoreNewest(io, node);
            } else {
              out.println("The identity is the one of your recovery code. Contacts and conversations are not part of");
              out.println("it: give your contacts this node's card ('sotto card') so that they can reach it, or restore"
                  + " a backup ('sotto restore').");
            }
          }
          report(io, node, secret);
        }
      } finally {
        if (secret != null) {
          Arrays.fill(secret, '\0');
        }
      }
    }
    return 0;
  }

  /**
   * Restores the newest backup found at the mailboxes given; without one, the identity alone is
   * recovered (said so). A restore that fails leaves the new store empty (said so, in one line).
   */
  private static void restoreNewest(Io io, Node node) throws Exception {
    try {
      RestoreCommand.run(io, node, null);
    } catch (Failure f) {
      if (f.getMessage().startsWith("no backup")) {
        io.out().println(f.getMessage() + ": the identity is recovered without contacts or conversations.");
        return;
      }
      throw Failure.input(f.getMessage() + " (the identity is recovered, with no contacts: 'sotto restore' tries"
          + " again)");
    }
    io.out().println();
  }

  /** An identity file that no store vouches for is written anew only if it holds this same identity. */
  private static void checkIdentityFile(Io io, Path home, Recovery plan) throws Exception {
    Path file = home.resolve(Vault.FILE_NAME);
    char[] old = Home.passphraseToOpen(io, home);
    try {
      if (!plan.identityFileMatches(old)) {
        throw Failure.input(file + " holds another identity than this recovery code: move it away to recover here");
      }
    } catch (StoreException e) {
      throw switch (e.kind()) {
        case WRONG_PASSPHRASE -> Failure.input("the passphrase does not open " + file + ", so it cannot be checked to"
            + " hold this identity: give its passphrase, or move it away to recover here");
        case CORRUPT -> Failure.input(file + " is damaged: move it away to recover here");
        default -> e;
      };
    } finally {
      if (old != null) {
        Arrays.fill(old, '\0');
      }
    }
  }

  private boolean settingsGiven() {
    var parsed = spec.commandLine().getParseResult();
    for (String option : new String[] {"--name", "--host", "--port", "--advertise", "--mailbox"}) {
      if (parsed.hasMatchedOption(option)) {
        return true;
      }
    }
    return false;
  }

  /** What every init ends with: the passphrase's warnings, the addresses, what to do next. */
  private void report(Io io, Node node, char[] secret) throws Exception {
    PrintStream out = io.out();
    out.println();
    if (!passphrase) {
      out.println("warning: no passphrase: the identity file is protected only by its file permissions.");
      out.println("         To seal it under a passphrase: 'sotto init --recover --passphrase' with your recovery code");
      out.println("         (contacts and messages stay).");
      out.println();
    } else {
      String weak = Passphrases.warning(secret);
      if (weak != null) {
        out.println(weak + ".");
        out.println("         To seal it under another: 'sotto init --recover --passphrase' with your recovery code");
        out.println("         (contacts and messages stay).");
        out.println();
      }
    }
    out.println("Fingerprint:   " + node.fingerprint().text());
    out.println("Address:       " + Node.addressText(node.peerAddress()));
    out.println("As a mailbox:  " + Node.addressText(node.mailboxAddress()));
    out.println();
    out.println("Others can use this node as their mailbox with 'sotto init --mailbox <the line above>'.");
    out.println("Next: 'sotto card' prints your card for your contacts; 'sotto run' starts the node.");
    CardWarnings.print(io, node.card());
  }

  private static IdentitySeed readRecoveryCode(Io io) throws Failure, IOException {
    String code;
    if (io.terminal() != null) {
      char[] typed = io.terminal().readSecret("Recovery code (not shown as you type): ");
      code = typed == null ? null : new String(typed);
      if (typed != null) {
        Arrays.fill(typed, '\0');
      }
    } else {
      code = io.readLine();
    }
    if (code == null || code.isBlank()) {
      throw Failure.input("no recovery code given");
    }
    try {
      return IdentitySeed.fromRecoveryCode(code.replaceAll("\\s+", ""));
    } catch (SottoException e) {
      throw Errors.recoveryCode(e);
    }
  }

  /** Reads the informative text form of a mailbox address (spec: transport.adoc#link-addresses). */
  static Address mailboxAddress(String text) throws Failure {
    Address address;
    try {
      address = Node.parseAddress(text.strip());
    } catch (IllegalArgumentException e) {
      throw Failure.input("--mailbox " + text + ": " + e.getMessage());
    }
    if (!address.isMailbox()) {
      throw Failure.input("--mailbox " + text + ": a mailbox address starts with 'mailbox:'");
    }
    return address;
  }

  /** Reads an --advertise value. */
  static HostPort advertised(String text, int defaultPort) throws Failure {
    try {
      return HostPort.parse(text.strip(), defaultPort);
    } catch (IllegalArgumentException e) {
      throw Failure.input("--advertise " + text + ": " + e.getMessage());
    }
  }

  /** The rule for contact names too: what a peer shows of a HELLO's name anyway. */
  static void checkName(String name) throws Failure {
    long count = name.codePoints().count();
    boolean allowed = name.codePoints().allMatch(cp -> Character.isLetterOrDigit(cp) || cp == '-' || cp == '_' || cp == '.');
    if (count < 1 || count > 32 || !allowed || name.getBytes(StandardCharsets.UTF_8).length > 64) {
      throw Failure.input("a name is 1 to 32 letters, digits, '-', '_' or '.'");
    }
  }

  private static String defaultName() {
    StringBuilder out = new StringBuilder();
    System.getProperty("user.name", "").codePoints()
        .filter(cp -> Character.isLetterOrDigit(cp) || cp == '-' || cp == '_' || cp == '.')
        .limit(32).forEach(out::appendCodePoint);
    return out.length() == 0 ? "sotto" : out.toString();
  }
}
