package dev.sotto.node.cli;

import dev.sotto.Address;
import dev.sotto.node.HostPort;
import dev.sotto.node.Node;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "config",
    header = "Shows or changes where the node listens, the addresses its card gives, and its mailboxes.",
    description = {
        "Without options, shows the node's settings and the addresses its card gives. With options, changes them "
            + "(each option given replaces that setting; the others stay). Change the settings of a stopped node: "
            + "start it again afterwards.",
        "",
        "When the addresses the card gives change (--advertise, --mailbox; --host and --port where nothing is "
            + "advertised), the node issues a new card and queues, for each contact, a message that carries it: "
            + "their nodes take it and write to the new addresses from then on. Cards given out before stay valid "
            + "for first contacts, at their old addresses."})
final class ConfigCommand extends Cmd {
  @Option(names = "--host", paramLabel = "HOST",
      description = "The address of this machine to listen on (127.0.0.1: only this machine; 0.0.0.0 or ::, every"
          + " interface).")
  String host;

  @Option(names = "--port", paramLabel = "PORT", description = "The TCP port to listen on.")
  Integer port;

  @Option(names = "--advertise", paramLabel = "HOST[:PORT]",
      description = "An address the card gives, where contacts on other machines reach this node ([IPV6]:PORT for an"
          + " IPv6 address; PORT defaults to the port it listens on). Repeatable: the ones given replace the list.")
  List<String> advertise = new ArrayList<>();

  @Option(names = "--no-advertise", description = "Give no address but where the node listens (--host and --port).")
  boolean noAdvertise;

  @Option(names = "--mailbox", paramLabel = "ADDRESS",
      description = "A mailbox for this node: mailbox:HOST:PORT:KEY, as 'sotto address' prints it on the mailbox's"
          + " node. Repeatable: the ones given replace the list.")
  List<String> mailboxes = new ArrayList<>();

  @Option(names = "--no-mailboxes", description = "Use no mailbox.")
  boolean noMailboxes;

  @Option(names = "--mixed-card", negatable = true,
      description = "Let the card list an onion address and a TCP one together (refused otherwise: everyone who holds"
          + " the card could link the onion service to the IP address or host name); --no-mixed-card refuses again.")
  Boolean mixedCard;

  @Option(names = "--keep", paramLabel = "PERIOD",
      description = "How long messages are kept, for contacts without their own ('sotto contact keep'): 30d, 12h,"
          + " or off (for ever, the default). Older ones are deleted from the store at once and then by the running"
          + " node every minute; this may be changed while the node runs.")
  String keep;

  @Option(names = "--backup", paramLabel = "daily|off",
      description = "Automatic backups to the mailboxes ('sotto backup'): daily, made by the running node once a day,"
          + " or off (the default). May be changed while the node runs. They keep the passphrase of the last"
          + " 'sotto backup --passphrase' (its derived key is sealed in the store; the passphrase is never stored).")
  String backup;

  @Option(names = "--bridge", paramLabel = "LINE",
      description = "In Tor mode, with a Tor daemon of the node's own: a bridge to enter Tor by where the network blocks"
          + " it, " + InitCommand.BRIDGE_LINE + ". Repeatable: the ones given replace the list.")
  List<String> bridges = new ArrayList<>();

  @Option(names = "--no-bridges", description = "Enter Tor through its public relays again.")
  boolean noBridges;

  /** Whether any setting of the node's card or network is given. */
  private boolean settingsGiven() {
    return host != null || port != null || !advertise.isEmpty() || noAdvertise || !mailboxes.isEmpty() || noMailboxes
        || mixedCard != null || !bridges.isEmpty() || noBridges;
  }

  @Override
  @SuppressWarnings("try") // the lock is held, not used: no node may start while the settings change
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    Home.requireNode(home);
    if (!advertise.isEmpty() && noAdvertise) {
      throw Failure.input("--advertise and --no-advertise together: give one");
    }
    if (!mailboxes.isEmpty() && noMailboxes) {
      throw Failure.input("--mailbox and --no-mailboxes together: give one");
    }
    if (!bridges.isEmpty() && noBridges) {
      throw Failure.input("--bridge and --no-bridges together: give one");
    }
    if (backup != null) {
      if (!backup.equals("daily") && !backup.equals("off")) {
        throw Failure.input("--backup is daily or off");
      }
      try (Node node = openNode()) {
        boolean daily = backup.equals("daily");
        node.backups().daily(daily);
        int count = node.config().mailboxes().size();
        io.out().println("Automatic backups: " + (daily
            ? "daily, to " + count + (count == 1 ? " mailbox" : " mailboxes") + ", by the running node, "
                + (node.backups().passphrase()
                    ? "under the passphrase of the last 'sotto backup --passphrase' (kept without asking)"
                    : "under the recovery code alone (no passphrase: 'sotto backup --passphrase' adds one)")
            : "off") + ".");
        if (daily && count == 0) {
          io.err().println("warning: this node has no mailbox: no automatic backup is made until one is added"
              + " ('sotto config --mailbox ADDRESS'); 'sotto backup --out FILE' writes one to a file");
        }
      }
      if (keep == null && !settingsGiven()) {
        return 0;
      }
    }
    if (keep != null) {
      long seconds = Keep.parse(keep, false);
      try (Node node = openNode()) {
        int deleted = node.setKeep(seconds);
        io.out().println("Messages are kept: " + Keep.text(seconds) + "; " + Keep.deleted(deleted) + ".");
      }
      if (!settingsGiven()) {
        return 0;
      }
    }
    boolean change = settingsGiven();
    if (!change) {
      try (Node node = openNode()) {
        show(io.out(), node);
        CardWarnings.print(io, node.card());
      }
      return 0;
    }
    try (NodeLock lock = NodeLock.tryTake(home)) {
      if (lock == null) {
        throw Failure.input("a node runs for this home (process " + NodeLock.holder(home) + "): stop it, change the"
            + " settings, then start it again");
      }
      try (Node node = openNode()) {
        Node.Config before = node.config();
        Node.Config after = changed(before);
        PrintStream out = io.out();
        if (after.equals(before)) {
          out.println("nothing changed");
          return 0;
        }
        Node.Reconfigured done = node.reconfigure(after);
        out.println("Settings changed.");
        if (done.newCard()) {
          int n = done.contactsTold();
          if (n > 0) {
            out.println("A new card gives the new addresses. A message that carries it is queued for "
                + (n == 1 ? "your contact" : "each of your " + n + " contacts") + " ('sotto run' delivers it);"
                + " their nodes write to the new addresses from then on.");
          } else {
            out.println("A new card gives the new addresses.");
          }
          out.println("Give the new card ('sotto card') to anyone who adds you from now on.");
        } else {
          out.println("The card gives the same addresses as before: no new card.");
        }
        out.println();
        show(out, node);
        CardWarnings.print(io, node.card());
      }
    }
    return 0;
  }

  /** The settings with the options applied, each checked. */
  private Node.Config changed(Node.Config c) throws Failure {
    String h = c.host();
    if (host != null) {
      try {
        HostPort.checkHost(host);
      } catch (IllegalArgumentException e) {
        throw Failure.input("--host is 1 to 220 characters of lower-case letters, digits, '.', ':' and '-'");
      }
      h = host;
    }
    int p = c.port();
    if (port != null) {
      if (port < 1 || port > 65535) {
        throw Failure.input("--port must be 1 to 65535");
      }
      p = port;
    }
    List<HostPort> a = c.advertise();
    if (noAdvertise) {
      a = List.of();
    } else if (!advertise.isEmpty()) {
      List<HostPort> given = new ArrayList<>();
      for (String text : advertise) {
        given.add(InitCommand.advertised(text, p));
      }
      a = given;
    }
    List<Address> m = c.mailboxes();
    if (noMailboxes) {
      m = List.of();
    } else if (!mailboxes.isEmpty()) {
      List<Address> given = new ArrayList<>();
      for (String text : mailboxes) {
        given.add(InitCommand.mailboxAddress(text));
      }
      m = given;
    }
    Node.Tor tor = c.tor();
    if (!bridges.isEmpty() || noBridges) {
      if (tor == null) {
        throw Failure.input("--bridge and --no-bridges go with a node in Tor mode ('sotto init --tor')");
      }
      try {
        tor = tor.withBridges(noBridges ? List.of() : bridges);
      } catch (IllegalArgumentException e) {
        throw Failure.input(e.getMessage());
      }
    }
    try {
      return new Node.Config(c.name(), h, p, m, a, tor, mixedCard != null ? mixedCard : c.mixedCard());
    } catch (IllegalArgumentException e) {
      throw Failure.input(e.getMessage());
    }
  }

  private static void show(PrintStream out, Node node) throws Exception {
    Node.Config c = node.config();
    out.println("Name:         " + c.name());
    out.println("Listens on:   " + new HostPort(c.host(), c.port()).text());
    if (c.torMode()) {
      out.println("Tor mode:     " + c.tor().onion() + ":" + c.tor().onionPort() + ", every link through "
          + (c.tor().own() ? "a Tor daemon of its own" : "Tor at " + c.tor().socks().text())
          + (c.tor().bridges().isEmpty() ? "" : ", entered through " + dev.sotto.node.tor.Bridges.summary(c.tor().bridges())));
    }
    out.println("Advertised:   " + (c.advertise().isEmpty() ? "(none: the card gives where the node listens)"
        : String.join(" ", c.advertise().stream().map(HostPort::text).toList())));
    out.println("Mailboxes:    " + (c.mailboxes().isEmpty() ? "(none)"
        : String.join(" ", c.mailboxes().stream().map(Node::addressText).toList())));
    List<String> card = new ArrayList<>();
    for (Address a : node.card().addresses()) {
      if (a.isTcp()) {
        card.add((a.kind() == Address.KIND_PEER_TCP ? "this node at " : "mailbox at ") + new HostPort(a.host(), a.port()).text());
      } else if (a.isOnion()) {
        card.add((a.isPeer() ? "this node at " : "mailbox at ") + a.host() + ":" + a.port() + " (through Tor)");
      }
    }
    out.println("Card gives:   " + String.join(", ", card));
    out.println("Keeps:        " + Keep.text(node.keep()));
  }
}
