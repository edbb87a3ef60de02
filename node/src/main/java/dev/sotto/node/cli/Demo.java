package dev.sotto.node.cli;

import dev.sotto.IdentitySeed;
import dev.sotto.Link;
import dev.sotto.LinkInitiator;
import dev.sotto.LinkResponder;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.node.Node;
import dev.sotto.node.FirstContacts;
import dev.sotto.node.store.Tx;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * The demo: three real nodes in one process, over TCP on loopback, in a temporary directory.
 * Alice writes to Bob while he is offline; the mailbox holds the envelopes; Bob comes online,
 * reads, and answers directly. Along the way it shows what the mailbox stores and what crossed
 * the wire, and checks that none of it is readable.
 */
final class Demo {
  /** Identity files without a passphrase: these identities live for a few seconds. */
  private static final Vault.Params CHEAP = new Vault.Params(1024, 1, 1);
  private static final Duration WAIT_TCP = Duration.ofSeconds(20);
  /** Through Tor a first try can come before an onion service is published: the node tries again. */
  private static final Duration WAIT_TOR = Duration.ofSeconds(120);
  private static final String HOST = "127.0.0.1";

  static final List<String> ALICE_WRITES = List.of(
      "Hi Bob! Alice here. Are you around this weekend?",
      "I found the old hiking map you asked about.",
      "Call me when you see this.");
  static final String BOB_WRITES = "Back online. Saturday works: bring the map!";

  private final Io io;
  private final PrintStream out;
  private final boolean keep;
  private final boolean tor;
  private final Duration wait;
  private dev.sotto.node.tor.PrivateTorNetwork network;
  private final WireRecorder tap = new WireRecorder();
  private final Map<Integer, String> nodeAtPort = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();
  private final long started = System.nanoTime();

  Demo(Io io, boolean keep) {
    this(io, keep, false);
  }

  /** With {@code tor}, over a private Tor network that the demo starts on this machine (tor must be installed). */
  Demo(Io io, boolean keep, boolean tor) {
    this.io = io;
    this.out = io.out();
    this.keep = keep;
    this.tor = tor;
    this.wait = tor ? WAIT_TOR : WAIT_TCP;
  }

  int run() throws Exception {
    Path dir = Files.createTempDirectory("sotto-demo-");
    List<Node> nodes = new ArrayList<>();
    try {
      play(dir, nodes);
    } finally {
      for (int i = nodes.size() - 1; i >= 0; i--) {
        nodes.get(i).close();
      }
      if (network != null) {
        network.close();
      }
      out.println();
      if (keep) {
        out.println("The homes are kept in " + dir + "; try: sotto --home " + dir.resolve("bob") + " contact list");
      } else {
        deleteTree(dir);
      }
    }
    if (!problems.isEmpty()) {
      throw Failure.store("the demo found a problem: " + String.join("; ", problems));
    }
    out.printf(Locale.ROOT, "Done in %.1f s; the nodes are closed%s.%n", seconds(),
        keep ? "" : " and their temporary homes deleted");
    return 0;
  }

  private void play(Path dir, List<Node> nodes) throws Exception {
    Node.Options options = Node.Options.defaults().withFetchInterval(Duration.ofMillis(200)).withTap(tap);
    if (tor) {
      out.println(io.bold("Sotto demo over Tor") + ": starting a private Tor network on this machine (3 directory"
          + " authorities, 2 relays)...");
      network = dev.sotto.node.tor.PrivateTorNetwork.start(dir.resolve("tor-network"), Duration.ofSeconds(120));
      out.printf(Locale.ROOT, "It bootstrapped in %.1f s. Each node starts a Tor daemon of its own on it.%n%n",
          network.bootstrap().toMillis() / 1000.0);
    }

    Path mailboxHome = init(dir, "mailbox", List.of());
    Node mailbox = Node.open(mailboxHome, null, options);
    nodes.add(mailbox);
    Path aliceHome = init(dir, "alice", List.of(mailbox.mailboxAddress()));
    Path bobHome = init(dir, "bob", List.of(mailbox.mailboxAddress()));

    out.println(io.bold("Sotto demo") + ": three nodes in this process (a fourth joins later), talking " + (tor
        ? "through Tor, each at an onion address (they listen on " + HOST + " only, where Tor leads)."
        : "over TCP on " + HOST + "."));
    out.println("Their homes are in " + dir + (keep ? "." : ", deleted at the end."));
    out.println();
    String format = "  %-8s %-17s %s%n";
    out.printf(format, "node", "listens on", "role");
    out.printf(format, "mailbox", HOST + ":" + port("mailbox"), "holds envelopes for nodes that are offline");
    out.printf(format, "alice", HOST + ":" + port("alice"), "her card lists the mailbox");
    out.printf(format, "bob", HOST + ":" + port("bob"), "his card lists the mailbox");
    if (tor) {
      out.println();
      for (Node n : List.of(mailbox, Node.open(aliceHome, null, options), Node.open(bobHome, null, options))) {
        try {
          out.printf("  %-8s reached at %s (through Tor only)%n", n.config().name(), n.config().tor().onion());
        } finally {
          if (n != mailbox) {
            n.close();
          }
        }
      }
    }
    out.println();

    step(1, "The mailbox starts.");
    mailbox.start();

    step(2, "Alice and Bob start.");
    Node alice = Node.open(aliceHome, null, options);
    nodes.add(alice);
    alice.start();
    Node bobFirst = Node.open(bobHome, null, options);
    nodes.add(bobFirst);
    bobFirst.start();

    step(3, "Bob gives Alice his card (out of band: in person, by mail, as a QR code); she adds it.");
    String bobsCard = bobFirst.card().text();
    String bobSeesHimself = bobFirst.fingerprint().text();
    alice.addContact("bob", bobsCard);
    String aliceSeesBob = alice.fingerprint("bob").text();
    detail("bob's card:          " + String.format(Locale.ROOT, "%,d", bobsCard.length()) + " characters, "
        + bobsCard.substring(0, 18) + "..." + bobsCard.substring(bobsCard.length() - 8)
        + " (his identity, addresses and invite tag; no prekeys)");
    detail("alice sees bob as:   " + aliceSeesBob);
    detail("bob sees himself as: " + bobSeesHimself);
    check(aliceSeesBob.equals(bobSeesHimself), "the fingerprints are the same: the card was not swapped on the way",
        "alice's and bob's view of bob's fingerprint differ");
    long aliceBob = alice.contact("bob").id();
    if (tor) {
      detail("Alice's node fetches bob's prekeys from his onion service (or tries again until Tor has published it).");
    } else {
      check(alice.firstContactStatus(aliceBob).fetchFailures() == 0, // set by addContact itself: no race with the worker
          "alice's node fetched bob's prekeys from his node (a signed bundle and one-time prekeys, each served once)",
          "alice's node got no prekeys from bob's node");
    }
    await("alice's first contact to reach bob's node", () -> !bobFirst.contactBook().requests().isEmpty());
    dev.sotto.node.ContactBook.Request request = bobFirst.contactBook().requests().get(0);
    detail("Her first message, which introduces her, reached bob's node as a contact request: it is held, and"
        + " not answered, until bob accepts it.");
    detail("bob sees a request from '" + request.name() + "', fingerprint " + request.fingerprint().text());
    check(request.fingerprint().equals(alice.fingerprint()), "it is alice's fingerprint (bob compares it out of band)",
        "the request's fingerprint is not alice's");
    bobFirst.contactBook().accept(Long.toString(request.number()), null);
    await("bob's node to answer alice's first contact",
        () -> alice.firstContactStatus(aliceBob).state() == FirstContacts.State.ANSWERED);
    detail("Bob accepted it ('sotto contact accept'); his node answered.");

    step(4, "Bob goes offline; Alice writes " + ALICE_WRITES.size() + " messages.");
    nodes.remove(bobFirst);
    bobFirst.close();
    for (String text : ALICE_WRITES) {
      alice.send("bob", text);
      detail("alice > bob: " + text);
    }
    double t0 = seconds();
    await("alice's node to hand her envelopes on", () -> alice.outboxSize() == 0);
    long[] aliceCounts = alice.counters();
    detail(String.format(Locale.ROOT, "Nobody answers at bob's address, so after %.1f s alice's node has deposited %d"
        + " envelopes at the mailbox.", seconds() - t0, aliceCounts[1]));

    step(5, "What the mailbox holds: envelopes it cannot open, filed under tags it cannot link to anyone.");
    List<Tx.Item> items = mailbox.mailboxItems();
    out.printf("      %-4s %-32s  %s%n", "item", "tag", "size");
    for (Tx.Item item : items) {
      out.printf(Locale.ROOT, "      %-4d %-32s  %,d bytes%n", item.id(), HexFormat.of().formatHex(item.tag()),
          item.envelope().length);
    }
    List<Needle> needles = needles(alice);
    List<byte[]> stored = items.stream().map(Tx.Item::envelope).toList();
    searchFor(needles, stored, "the stored envelopes");

    step(6, "Bob comes online; his node fetches from the mailbox and opens the envelopes.");
    Node bob = Node.open(bobHome, null, options);
    nodes.add(bob);
    bob.start();
    t0 = seconds();
    List<Node.Shown> bobGot = new ArrayList<>();
    await("bob's node to receive alice's messages", () -> {
      bobGot.addAll(bob.read());
      return bobGot.stream().filter(m -> !m.text().isEmpty()).count() >= ALICE_WRITES.size();
    });
    detail(String.format(Locale.ROOT, "after %.1f s, bob reads:", seconds() - t0));
    for (Node.Shown m : bobGot) {
      detail("  " + Show.message(io, m, c -> bob.fingerprint(c).text()));
    }
    await("the mailbox to delete what bob acknowledged", () -> mailbox.mailboxItems().isEmpty());
    detail("The mailbox deleted the envelopes once bob's node acknowledged them: it holds "
        + mailbox.mailboxItems().size() + " now.");

    step(7, "Bob answers; Alice is online, so his node delivers directly to hers.");
    long directBefore = bob.counters()[0];
    bob.send("alice", BOB_WRITES);
    detail("bob > alice: " + BOB_WRITES);
    await("bob's node to deliver his answer", () -> bob.outboxSize() == 0);
    long direct = bob.counters()[0] - directBefore;
    check(direct >= 1, "delivered directly to alice's node, not through the mailbox (" + direct
        + (direct == 1 ? " envelope)" : " envelopes)"),
        "bob's answer did not go directly to alice's node");

    step(8, "Alice reads the answer.");
    List<Node.Shown> aliceGot = new ArrayList<>();
    await("alice's node to receive bob's answer", () -> {
      aliceGot.addAll(alice.read());
      return !aliceGot.isEmpty();
    });
    for (Node.Shown m : aliceGot) {
      detail(Show.message(io, m, c -> alice.fingerprint(c).text()));
    }

    groups(dir, nodes, options, mailbox, alice, bob);

    out.println();
    section("The conversation");
    conversation("on alice's node", alice, "alice", "bob");
    conversation("on bob's node", bob, "bob", "alice");

    out.println();
    wireView(needles);
  }

  // ---------------------------------------------------------------- a group

  static final String CAROL_LEFT_OUT = "Carol will not read this one.";

  private static boolean reads(Node node, String group, String from, String text) throws Exception {
    return !node.groups().isEmpty() && node.groupHistory(group).stream()
        .anyMatch(l -> !l.event() && l.from().equals(from) && l.text().equals(text));
  }

  /** Steps 9 to 11: Carol joins; a group of three at the mailbox; a removal (spec: group.adoc). */
  private void groups(Path dir, List<Node> nodes, Node.Options options, Node mailbox, Node alice, Node bob)
      throws Exception {
    step(9, "Carol joins; Alice makes a group of the three of them, kept at the mailbox.");
    Node carol = Node.open(init(dir, "carol", List.of(mailbox.mailboxAddress())), null, options);
    nodes.add(carol);
    carol.start();
    for (Node other : List.of(alice, bob)) {
      String name = other.config().name();
      carol.addContact(name, other.card().text(), false);
      other.addContact("carol", carol.card().text());
      long id = other.contact("carol").id();
      await(name + "'s first contact to reach carol",
          () -> other.firstContactStatus(id).state() == FirstContacts.State.ANSWERED);
    }
    detail("Group keys travel in the pairwise sessions: each member is the others' contact.");
    long depositsBefore = mailbox.serving().getOrDefault("mailbox_group_deposits", 0L);
    String group = alice.groupCreate("hikers", mailbox.mailboxAddress());
    alice.groupAdd(group, "bob");
    alice.groupAdd(group, "carol");
    await("bob and carol to be welcomed", () -> bob.groups().size() == 1 && carol.groups().size() == 1
        && bob.groups().get(0).members() == 3 && carol.groups().get(0).members() == 3);
    detail("'sotto group create hikers', 'sotto group add hikers bob', '... carol': both welcomed in alice's sessions.");

    step(10, "Each of them writes once to the group.");
    Map<Node, String> says = new LinkedHashMap<>();
    says.put(alice, "Hikers: Saturday, 8 am at the station.");
    says.put(bob, "I'll bring the map.");
    says.put(carol, "And I the sandwiches.");
    for (Map.Entry<Node, String> e : says.entrySet()) {
      e.getKey().groupSend(group, e.getValue());
      detail(e.getKey().config().name() + " > hikers: " + e.getValue());
    }
    List<Node> members = List.of(alice, bob, carol);
    for (Node reader : members) {
      for (Map.Entry<Node, String> e : says.entrySet()) {
        if (reader != e.getKey()) {
          String from = e.getKey().config().name();
          await(reader.config().name() + " to read " + from, () -> reads(reader, group, from, e.getValue()));
        }
      }
    }
    long deposits = mailbox.serving().getOrDefault("mailbox_group_deposits", 0L) - depositsBefore;
    check(deposits == 5, "the mailbox took one envelope per message: " + deposits + " deposits (2 changes, 3 messages),"
        + " each read there by both other members", "the mailbox took " + deposits + " group deposits, not 5");
    await("the mailbox to delete what every member took", () -> mailbox.mailboxItems().size() <= 1);
    detail("Each member presented a take token for what it read; the mailbox deleted each message once both others"
        + " had (" + mailbox.mailboxItems().size() + " item left: the first change, sealed when alice was alone, which"
        + " leaves at its expiry).");

    step(11, "Alice removes Carol, then writes again.");
    alice.groupRemove(group, "carol");
    await("carol to learn that she was removed", () -> !carol.groups().get(0).member());
    alice.groupSend(group, CAROL_LEFT_OUT);
    detail("alice > hikers: " + CAROL_LEFT_OUT);
    await("bob to read it", () -> reads(bob, group, "alice", CAROL_LEFT_OUT));
    Thread.sleep(1_500); // carol keeps fetching every 200 ms
    check(!reads(carol, group, "alice", CAROL_LEFT_OUT), "carol keeps fetching and reads nothing sent after her"
        + " removal: no key of the new chains reached her", "carol read a message sent after her removal");
    out.println("  on carol's node ('sotto history --group hikers'):");
    for (Node.GroupLine l : carol.groupHistory(group)) {
      out.println("    " + ChatCommand.groupLine(io, l));
    }
  }

  // ---------------------------------------------------------------- the wire view

  private void wireView(List<Needle> needles) {
    section("What the network saw");
    List<WireRecorder.Seen> all = tap.all();
    // Both ends of every link are in this process, so each byte string was seen twice: count
    // each link once, from its initiator's side, whose names start with the node's name.
    Map<String, List<WireRecorder.Seen>> links = new TreeMap<>();
    for (WireRecorder.Seen s : all) {
      String label = initiatorLabel(s.link());
      if (label != null) {
        links.computeIfAbsent(label, k -> new ArrayList<>()).add(s);
      }
    }
    String format = "  %-18s %5s  %-9s %-11s %6s %10s  %s%n";
    out.printf(format, "link", "conns", "direction", "handshake", "frames", "bytes", "frame sizes");
    for (Map.Entry<String, List<WireRecorder.Seen>> link : links.entrySet()) {
      List<WireRecorder.Seen> seen = link.getValue();
      long connections = seen.stream().filter(s -> s.kind().equals("hello")).count();
      for (boolean outbound : new boolean[] {true, false}) {
        List<WireRecorder.Seen> handshake = seen.stream()
            .filter(s -> s.outbound() == outbound && !s.kind().equals("frame")).toList();
        List<WireRecorder.Seen> frames = seen.stream().filter(s -> s.outbound() == outbound && s.kind().equals("frame"))
            .toList();
        long bytes = frames.stream().mapToLong(WireRecorder.Seen::size).sum()
            + handshake.stream().mapToLong(WireRecorder.Seen::size).sum();
        out.printf(Locale.ROOT, format, outbound ? link.getKey() : "", outbound ? Long.toString(connections) : "",
            outbound ? "sent" : "answered", sizes(handshake), frames.size(), String.format(Locale.ROOT, "%,d", bytes),
            sizes(frames));
      }
    }
    out.println();

    out.println("  The first bytes of the first messages on each link (the rest looks the same):");
    for (Map.Entry<String, List<WireRecorder.Seen>> link : links.entrySet()) {
      link.getValue().stream().limit(4).forEach(s -> out.printf(Locale.ROOT, "    %-18s %-8s %-6s %6d  %s ...%n",
          link.getKey(), s.outbound() ? "sent" : "answered", s.kind(), s.size(), hexHead(s.wire())));
    }
    out.println();

    // spec: transport.adoc#link-hello, #link-accept, #frame-sizes. Every record, from either
    // end, must have one of these sizes; the counts are of the initiators' records, one per
    // message on the wire.
    boolean odd = false;
    for (WireRecorder.Seen s : all) {
      odd |= switch (s.kind()) {
        case "frame" -> !Link.FRAME_SIZES.contains(s.size());
        case "hello" -> s.size() != LinkInitiator.HELLO_LENGTH;
        case "accept" -> s.size() != LinkResponder.ACCEPT_LENGTH;
        default -> true;
      };
    }
    List<WireRecorder.Seen> once = links.values().stream().flatMap(List::stream).toList();
    long hellos = once.stream().filter(s -> s.kind().equals("hello")).count();
    long accepts = once.stream().filter(s -> s.kind().equals("accept")).count();
    String frameSizes = sizes(once.stream().filter(s -> s.kind().equals("frame")).toList());
    check(!odd, "every handshake message is " + LinkInitiator.HELLO_LENGTH + " bytes (" + hellos + " LinkHello) or " + LinkResponder.ACCEPT_LENGTH
        + " bytes (" + accepts + " LinkAccept),", "a message of an unexpected size crossed the wire");
    if (!odd) {
      detail("    every frame 1088, 4160, 16448 or 65600 bytes (" + frameSizes + ")");
    }
    List<byte[]> wire = all.stream().map(WireRecorder.Seen::wire).toList();
    searchFor(needles, wire, "the bytes on the wire");
    if (problems.isEmpty()) {
      detail("Every frame is ciphertext: no tag, no envelope boundary, no identity, no name, no text.");
    }
  }

  /** "alice -> mailbox" for the initiator's side of a link ("alice -> 127.0.0.1:41234"); null for the responder's. */
  private String initiatorLabel(String link) {
    int arrow = link.indexOf(" -> ");
    if (arrow < 0 || !nodeAtPort.containsValue(link.substring(0, arrow))) {
      return null;
    }
    String to = link.substring(arrow + 4);
    int colon = to.lastIndexOf(':');
    try {
      String name = nodeAtPort.get(Integer.parseInt(to.substring(colon + 1)));
      return link.substring(0, arrow) + " -> " + (name == null ? to : name);
    } catch (NumberFormatException e) {
      return link;
    }
  }

  private static String sizes(List<WireRecorder.Seen> seen) {
    Map<Integer, Integer> counts = new TreeMap<>();
    for (WireRecorder.Seen s : seen) {
      counts.merge(s.size(), 1, Integer::sum);
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((size, n) -> parts.add(n + " x " + size));
    return parts.isEmpty() ? "-" : String.join(", ", parts);
  }

  private static String hexHead(byte[] wire) {
    return HexFormat.ofDelimiter(" ").formatHex(wire, 0, Math.min(16, wire.length));
  }

  // ---------------------------------------------------------------- plaintext search

  /** A byte string that would give away a message, a name or an identity if it were seen. */
  private record Needle(String what, byte[] bytes) {}

  private List<Needle> needles(Node alice) throws Exception {
    List<Needle> needles = new ArrayList<>();
    for (String text : ALICE_WRITES) {
      needles.add(new Needle("a text", text.getBytes(StandardCharsets.UTF_8)));
    }
    needles.add(new Needle("a text", BOB_WRITES.getBytes(StandardCharsets.UTF_8)));
    for (String name : List.of("alice", "bob")) {
      // As a HELLO carries it: a name on its own, three letters long, would turn up by chance.
      byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
      byte[] carried = new byte[1 + utf8.length];
      carried[0] = (byte) utf8.length;
      System.arraycopy(utf8, 0, carried, 1, utf8.length);
      needles.add(new Needle("a name", carried));
    }
    PublicIdentity bob = PublicIdentity.parse(alice.contact("bob").identity());
    for (PublicIdentity id : List.of(alice.publicIdentity(), bob)) {
      needles.add(new Needle("an identity key", id.signingKey()));
      needles.add(new Needle("an identity key", id.dhKey()));
    }
    return needles;
  }

  private void searchFor(List<Needle> needles, List<byte[]> haystack, String where) {
    long bytes = haystack.stream().mapToLong(h -> h.length).sum();
    List<String> found = new ArrayList<>();
    for (Needle needle : needles) {
      for (byte[] h : haystack) {
        if (indexOf(h, needle.bytes()) >= 0) {
          found.add(needle.what());
          break;
        }
      }
    }
    check(found.isEmpty(), String.format(Locale.ROOT,
        "no readable byte in %s (%,d bytes searched): none of the %d texts,", where, bytes, ALICE_WRITES.size() + 1),
        "found " + String.join(", ", found) + " in " + where);
    if (found.isEmpty()) {
      detail("    nor the names alice and bob, nor their identity keys");
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // ---------------------------------------------------------------- helpers

  private Path init(Path dir, String name, List<dev.sotto.Address> mailboxes) throws Exception {
    Path home = dir.resolve(name);
    int port = freePort();
    nodeAtPort.put(port, name);
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    // Through Tor, each onion service's port is its node's listening port, so that the wire view names the links.
    Node.Tor torMode = tor ? new Node.Tor(dev.sotto.node.tor.OnionKey.of(seed).onion(), port, null, null,
        network.clientInclude().toString()) : null;
    Node.init(home, seed, null, CHEAP, new Node.Config(name, HOST, port, mailboxes, List.of(), torMode, false),
        RandomSource.secure(), io.clock());
    return home;
  }

  private int port(String name) {
    return nodeAtPort.entrySet().stream().filter(e -> e.getValue().equals(name)).findFirst().orElseThrow().getKey();
  }

  private void conversation(String title, Node node, String me, String contact) throws Exception {
    out.println("  " + title + ":");
    for (Node.Shown m : node.conversation(contact)) {
      out.println("    " + Show.conversationLine(io, m, me));
    }
  }

  private void step(int n, String text) {
    out.printf("%2d  %s%n", n, io.bold(text));
  }

  private void section(String title) {
    out.println(io.bold(title));
  }

  private void detail(String text) {
    out.println("    " + text);
  }

  private void check(boolean ok, String good, String bad) {
    if (ok) {
      detail(io.good("ok") + "  " + good);
    } else {
      detail(io.bad("FAILED") + "  " + bad);
      problems.add(bad);
    }
  }

  private void await(String what, Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + wait.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() - end > 0) {
        throw Failure.store("the demo stalled: waited " + wait.toSeconds() + " s for " + what);
      }
      Thread.sleep(20);
    }
  }

  private double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
