package dev.sotto.node.cli;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.Node;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
            + "store, and its first card. Shows the recovery code once: write it down."})
final class InitCommand extends Cmd {
  /** Card addresses at most, one of them this node's own. */
  private static final int MAX_MAILBOXES = Card.MAX_ADDRESSES - 1;

  @Option(names = "--name", paramLabel = "NAME",
      description = "The name this node gives itself to its contacts (default: your user name).")
  String name;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "The host to listen on, and to put on the card (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "7400",
      description = "The TCP port to listen on (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--mailbox", paramLabel = "ADDRESS",
      description = "A mailbox that holds envelopes for this node while it is offline: mailbox:HOST:PORT:KEY,"
          + " as 'sotto address' prints it on the mailbox's node. Repeatable.")
  List<String> mailboxes = new ArrayList<>();

  @Option(names = "--passphrase",
      description = "Seal the identity file under a passphrase (asked twice, or $SOTTO_PASSPHRASE).")
  boolean passphrase;

  @Option(names = "--recover",
      description = "Recreate an identity from its recovery code (read from the terminal or standard input).")
  boolean recover;

  @Override
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    String nodeName = name != null ? name : defaultName();
    checkName(nodeName);
    if (port < 1 || port > 65535) {
      throw Failure.input("--port must be 1 to 65535");
    }
    if (!host.matches("[0-9a-z.:-]{1,220}")) {
      throw Failure.input("--host is 1 to 220 characters of lower-case letters, digits, '.', ':' and '-'");
    }
    List<Address> mailboxAddresses = new ArrayList<>();
    for (String text : mailboxes) {
      mailboxAddresses.add(mailboxAddress(text));
    }
    if (mailboxAddresses.size() > MAX_MAILBOXES) {
      throw Failure.input("at most " + MAX_MAILBOXES + " mailboxes fit on a card");
    }
    if (Vault.exists(home)) {
      throw Failure.input("there is a node in " + home + " already");
    }

    IdentitySeed seed = recover ? readRecoveryCode(io) : IdentitySeed.generate(RandomSource.secure());
    char[] secret = passphrase ? Home.newPassphrase(io) : null;
    try {
      Node.init(home, seed, secret, main().vaultParams(),
          new Node.Config(nodeName, host, port, List.copyOf(mailboxAddresses)), RandomSource.secure(), io.clock());
      try (Node node = Node.open(home, secret, Node.Options.defaults())) {
        report(io, home, node, seed);
      }
    } finally {
      if (secret != null) {
        Arrays.fill(secret, '\0');
      }
    }
    return 0;
  }

  private void report(Io io, Path home, Node node, IdentitySeed seed) {
    PrintStream out = io.out();
    out.println("Created the node '" + node.config().name() + "' in " + home + ".");
    out.println();
    if (recover) {
      out.println("The identity is the one of your recovery code. Contacts and conversations are not part of");
      out.println("it: give your contacts this node's card ('sotto card') so that they can reach it.");
    } else {
      out.println(io.bold("Your recovery code") + " (shown this once, never again):");
      out.println();
      out.println("    " + seed.recoveryCode());
      out.println();
      out.println("Write it down on paper and keep it safe. It IS your identity: whoever reads it can be you,");
      out.println("and with it you can recreate this identity on another computer ('sotto init --recover').");
    }
    out.println();
    if (!passphrase) {
      out.println("warning: no passphrase: the identity file is protected only by its file permissions.");
      out.println("         To seal it under a passphrase, create the node with 'sotto init --passphrase'.");
      out.println();
    }
    out.println("Fingerprint:   " + node.fingerprint().text());
    out.println("Address:       " + Node.addressText(node.peerAddress()));
    out.println("As a mailbox:  " + Node.addressText(node.mailboxAddress()));
    out.println();
    out.println("Others can use this node as their mailbox with 'sotto init --mailbox <the line above>'.");
    out.println("Next: 'sotto card' prints your card for your contacts; 'sotto run' starts the node.");
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

  /** Reads the informative text form of an address (spec: transport.adoc#link-addresses). */
  private static Address mailboxAddress(String text) throws Failure {
    Address address;
    try {
      address = Node.parseAddress(text.strip());
    } catch (IllegalArgumentException e) {
      throw Failure.input("--mailbox " + text + ": " + e.getMessage());
    }
    if (address.kind() != Address.KIND_MAILBOX_TCP) {
      throw Failure.input("--mailbox " + text + ": a mailbox address starts with 'mailbox:'");
    }
    return address;
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
