package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.Fingerprint;
import dev.sotto.GroupState;
import dev.sotto.Frame;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.LinkKey;
import dev.sotto.NodeMessage;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.node.net.Server;
import dev.sotto.node.net.WireTap;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The reference peer (spec: transport.adoc#node-delivery): one identity in one home directory.
 * {@link #open} gives access to the store (contacts, sending, reading), which command-line
 * processes use beside a running node; {@link #start} makes it a peer on the network: it listens,
 * serves a mailbox, seals what the user queued, delivers it, and fetches from its mailboxes.
 */
public final class Node implements AutoCloseable {
  /** Validity of the card a node issues. */
  static final Duration CARD_VALIDITY = OwnPrekeys.CARD_VALIDITY;

  private final Path home;
  private final Identity identity;
  /** Kept for the credentials this node PUBLISHes its prekeys with (see {@link Vault#publishCredential}). */
  private final IdentitySeed seed;
  private final Store store;
  private final NodeCore core;
  /** As last read or changed by this object; another process may change the stored settings meanwhile. */
  private volatile Config config;
  private final LinkKey linkKey;
  private final Clock clock;
  private final RandomSource random;
  private final Options options;
  private final LinkPool links;
  private final Groups groups;
  private final System.Logger log;
  private final NodeStatus status;
  private final Outbound outbound;
  private final Deliveries deliveries;
  private final Fetcher fetcher;
  private final Backups backups;
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean checkpointOwed;
  private Server server;
  /** How long a Tor daemon of the node's own may take to bootstrap. */
  static final Duration TOR_BOOTSTRAP = Duration.ofMinutes(3);
  private volatile dev.sotto.node.tor.TorDaemon torDaemon;
  private volatile dev.sotto.node.tor.TorControl torControl;
  /** Watches the Tor daemon in Tor mode (spec: transport.adoc#onion-dos): null otherwise. */
  private Thread torWatch;
  /** Held while Tor is reached again or closed. */
  private final Object torLock = new Object();
  /** How often the watch asks Tor whether the onion service is up; tests shorten it. */
  static volatile Duration torCheck = Duration.ofSeconds(5);
  /** How long a command on the control port of a Tor not the node's own may take; tests shorten it. */
  static volatile Duration torControlTimeout = Duration.ofSeconds(10);
  /** Times the onion service was published again after Tor lost it (a restart of the daemon). */
  private final java.util.concurrent.atomic.AtomicLong torRepublished = new java.util.concurrent.atomic.AtomicLong();
  private Thread worker;
  /** The fetch clock of steady fetching (null: the worker fetches). */
  private SteadyFetch steady;
  /** The loop chain (null: neither cover loops nor padded fetches) and the clock of cover loops (null: none). */
  private final CoverLoops loops;
  private CoverClock cover;
  private NodeLog.FileLog fileLog;
  private volatile boolean running;

  /**
   * How a node runs: its clock and randomness; how often its worker looks at the queue
   * ({@code tick}, when nothing wakes it) and fetches from its mailboxes (at most once a tick);
   * its server's limits and mailbox policy; its wire tap; whether it listens at all (a node
   * that does not is reachable only through its mailboxes, like one behind a NAT); how often the
   * running node reads its backup heads to see whether another device restored its identity
   * ({@code backupCheck}, spec: backup.adoc#backup-generations; 10 minutes, shorter in tests); and
   * its defences against timing correlation ({@link Timing}, all off by default).
   */
  public record Options(Clock clock, RandomSource random, Duration tick, Duration fetchInterval, Server.Limits limits,
      NodeCore.Policy policy, WireTap tap, boolean listen, Timing timing, Duration backupCheck) {
    public Options {
      if (backupCheck.isNegative() || backupCheck.isZero()) {
        throw new IllegalArgumentException("the backup check's interval must be positive");
      }
    }

    /** Options that read the backup heads every 10 minutes. */
    public Options(Clock clock, RandomSource random, Duration tick, Duration fetchInterval, Server.Limits limits,
        NodeCore.Policy policy, WireTap tap, boolean listen, Timing timing) {
      this(clock, random, tick, fetchInterval, limits, policy, tap, listen, timing, Backups.CHECK_EVERY);
    }

    /** Options with no timing defence that read the backup heads every 10 minutes. */
    public Options(Clock clock, RandomSource random, Duration tick, Duration fetchInterval, Server.Limits limits,
        NodeCore.Policy policy, WireTap tap, boolean listen) {
      this(clock, random, tick, fetchInterval, limits, policy, tap, listen, Timing.OFF, Backups.CHECK_EVERY);
    }

    public static Options defaults() {
      return new Options(Clock.systemUTC(), RandomSource.secure(), Duration.ofMillis(50), Duration.ofSeconds(1),
          Server.Limits.DEFAULT, NodeCore.Policy.DEFAULT, WireTap.NONE, true, Timing.OFF);
    }

    public Options withTap(WireTap t) {
      return new Options(clock, random, tick, fetchInterval, limits, policy, t, listen, timing, backupCheck);
    }

    /** Fetch this often; the tick shrinks to match when it is longer. */
    public Options withFetchInterval(Duration interval) {
      Duration t = interval.compareTo(tick) < 0 ? interval : tick;
      return new Options(clock, random, t, interval, limits, policy, tap, listen, timing, backupCheck);
    }

    public Options withClock(Clock c) {
      return new Options(c, random, tick, fetchInterval, limits, policy, tap, listen, timing, backupCheck);
    }

    /** The source of every random value the node draws (keys, nonces, and the timing defences' delays and jitter). */
    public Options withRandom(RandomSource r) {
      return new Options(clock, r, tick, fetchInterval, limits, policy, tap, listen, timing, backupCheck);
    }

    public Options withPolicy(NodeCore.Policy p) {
      return new Options(clock, random, tick, fetchInterval, limits, p, tap, listen, timing, backupCheck);
    }

    public Options withLimits(Server.Limits l) {
      return new Options(clock, random, tick, fetchInterval, l, policy, tap, listen, timing, backupCheck);
    }

    public Options withListening(boolean on) {
      return new Options(clock, random, tick, fetchInterval, limits, policy, tap, on, timing, backupCheck);
    }

    public Options withTiming(Timing t) {
      return new Options(clock, random, tick, fetchInterval, limits, policy, tap, listen, t, backupCheck);
    }

    /** Read the backup heads this often while running (a device superseded stops sending). */
    public Options withBackupCheck(Duration every) {
      return new Options(clock, random, tick, fetchInterval, limits, policy, tap, listen, timing, every);
    }
  }

  /**
   * The node's settings, kept (sealed) in its store: its name; the host and port it listens on;
   * the addresses it gives on its card ({@code advertise}; none: the host and port it listens
   * on); its mailboxes. Making one throws IllegalArgumentException for a host or port out of
   * range, or more addresses than a card holds.
   */
  public record Config(String name, String host, int port, List<Address> mailboxes, List<HostPort> advertise,
      Tor tor, boolean mixedCard) {
    public Config {
      HostPort.checkHost(host);
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("a port is 1 to 65535");
      }
      mailboxes = List.copyOf(mailboxes);
      advertise = List.copyOf(advertise);
      if (Math.max(1, advertise.size()) + mailboxes.size() > Card.MAX_ADDRESSES) {
        throw new IllegalArgumentException("at most " + Card.MAX_ADDRESSES + " addresses fit on a card: "
            + Math.max(1, advertise.size()) + " of this node and " + mailboxes.size() + " mailboxes is too many");
      }
      if (tor != null) {
        // Fail closed (spec: transport.adoc#onion-transport): reached through its onion service only.
        if (!HostPort.isLoopback(host)) {
          throw new IllegalArgumentException("in Tor mode the node listens on loopback only (127.0.0.1 or ::1), not "
              + host + ": contacts reach it through its onion service");
        }
        if (!advertise.isEmpty()) {
          throw new IllegalArgumentException("in Tor mode the card gives the node's onion address, no other: "
              + "drop --advertise " + advertise.get(0).text() + " (it would put an IP address or a host name on the card)");
        }
      }
      String mixed = mixing(tor, host, advertise, mailboxes);
      if (mixed != null && !mixedCard) {
        throw new IllegalArgumentException(mixed);
      }
    }

    /** Settings whose card gives the host and port the node listens on. */
    public Config(String name, String host, int port, List<Address> mailboxes) {
      this(name, host, port, mailboxes, List.of());
    }

    /** Settings of a node that reaches and is reached over TCP, its card refusing onion addresses. */
    public Config(String name, String host, int port, List<Address> mailboxes, List<HostPort> advertise) {
      this(name, host, port, mailboxes, advertise, null, false);
    }

    /**
     * Why a card of these settings would link an onion address with a TCP one (spec:
     * card.adoc#onion-addresses), or null when it lists one sort only.
     */
    private static String mixing(Tor tor, String host, List<HostPort> advertise, List<Address> mailboxes) {
      String onion = tor != null ? "this node's onion address" : null;
      String tcp = tor == null ? "this node's address " + (advertise.isEmpty() ? host : advertise.get(0).text()) : null;
      for (Address m : mailboxes) {
        if (m.isOnion() && onion == null) {
          onion = "the mailbox " + m.host();
        } else if (m.isTcp() && tcp == null) {
          tcp = "the mailbox " + new HostPort(m.host(), m.port()).text();
        }
      }
      if (onion == null || tcp == null) {
        return null;
      }
      return "this card would list " + onion + " and " + tcp + ": everyone who holds the card could link the two"
          + " (an onion service to an IP address or host name, for good). Give addresses of one sort, or"
          + " --mixed-card if that link is wanted";
    }

    /** Whether the node runs in Tor mode (spec: transport.adoc#onion-transport). */
    public boolean torMode() {
      return tor != null;
    }

    public Config withTor(Tor t) {
      return new Config(name, host, port, mailboxes, advertise, t, mixedCard);
    }

    public Config withMixedCard(boolean on) {
      return new Config(name, host, port, mailboxes, advertise, tor, on);
    }

    /** Where contacts reach this node: the advertised addresses, else where it listens. */
    public List<HostPort> reachedAt() {
      return advertise.isEmpty() ? List.of(new HostPort(host, port)) : advertise;
    }

    /**
     * The addresses a card of these settings lists: this node at each place it is reached at (in
     * Tor mode, its onion service only), then its mailboxes.
     */
    public List<Address> cardAddresses(byte[] linkKey) {
      List<Address> out = new ArrayList<>();
      if (tor != null) {
        out.add(Address.onionPeer(tor.onion(), tor.onionPort(), linkKey));
      } else {
        for (HostPort at : reachedAt()) {
          out.add(Address.peer(at.host(), at.port(), linkKey));
        }
      }
      out.addAll(mailboxes);
      return out;
    }

    public Config withListening(String h, int p) {
      return new Config(name, h, p, mailboxes, advertise, tor, mixedCard);
    }

    public Config withAdvertise(List<HostPort> a) {
      return new Config(name, host, port, mailboxes, a, tor, mixedCard);
    }

    byte[] encode() {
      List<String> texts = new ArrayList<>();
      for (Address a : mailboxes) {
        texts.add(addressText(a));
      }
      String text = "name=" + name + "\nhost=" + host + "\nport=" + port + "\nmailboxes=" + String.join(" ", texts)
          + "\nadvertise=" + String.join(" ", advertise.stream().map(HostPort::text).toList()) + "\n"
          + (mixedCard ? "mixed-card=true\n" : "") + (tor != null ? tor.encode() : "");
      return text.getBytes(StandardCharsets.UTF_8);
    }

    static Config decode(byte[] encoded) {
      Map<String, String> m = new HashMap<>();
      for (String line : new String(encoded, StandardCharsets.UTF_8).split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          m.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      List<Address> mailboxes = new ArrayList<>();
      for (String text : m.getOrDefault("mailboxes", "").split(" ")) {
        if (!text.isBlank()) {
          mailboxes.add(parseAddress(text));
        }
      }
      int port = Integer.parseInt(m.get("port"));
      // Stores written before the setting have no advertise line: the card gives where the node listens.
      List<HostPort> advertise = new ArrayList<>();
      for (String text : m.getOrDefault("advertise", "").split(" ")) {
        if (!text.isBlank()) {
          advertise.add(HostPort.parse(text, port));
        }
      }
      return new Config(m.get("name"), m.get("host"), port, mailboxes, advertise, Tor.decode(m),
          "true".equals(m.get("mixed-card")));
    }
  }

  /**
   * Tor mode (spec: transport.adoc#onion-transport): the node's onion address (from its seed,
   * {@link dev.sotto.node.tor.OnionKey}) and the port its card gives there; the SOCKS and control
   * ports ({@code 127.0.0.1:PORT}) of a Tor daemon it uses, or none of them when it starts its
   * own; a file of further torrc lines for its own daemon ({@code include}, null for none: a
   * test's private network); and the bridges its own daemon enters Tor by ({@link
   * dev.sotto.node.tor.Bridges}; none: Tor's public relays).
   */
  public record Tor(String onion, int onionPort, HostPort socks, HostPort control, String include,
      List<String> bridges) {
    public Tor(String onion, int onionPort, HostPort socks, HostPort control, String include) {
      this(onion, onionPort, socks, control, include, List.of());
    }

    public Tor {
      List<String> checked = new ArrayList<>();
      for (String b : bridges) {
        checked.add(dev.sotto.node.tor.Bridges.check(b, checked.size() + 1));
      }
      bridges = List.copyOf(checked);
      if (!bridges.isEmpty() && socks != null) {
        throw new IllegalArgumentException("bridges go with a Tor daemon of the node's own: a daemon given by its ports"
            + " (--tor-socks, --tor-control) takes them in its own torrc");
      }
      byte[] basePoint = new byte[32];
      basePoint[0] = 9; // any valid link key: the onion address and the port get the card's checks
      Address.onionPeer(onion, onionPort, basePoint);
      if ((socks == null) != (control == null)) {
        throw new IllegalArgumentException("give both Tor ports (--tor-socks and --tor-control), or neither to start"
            + " a Tor daemon of the node's own");
      }
      for (HostPort p : new HostPort[] {socks, control}) {
        if (p != null && !HostPort.isLoopback(p.host())) {
          throw new IllegalArgumentException("the Tor daemon's ports are on this machine (127.0.0.1), not " + p.text());
        }
      }
    }

    /** Whether the node starts and stops a Tor daemon of its own. */
    public boolean own() {
      return socks == null;
    }

    String encode() {
      return "tor-onion=" + onion + "\ntor-onion-port=" + onionPort + "\n"
          + (socks != null ? "tor-socks=" + socks.text() + "\ntor-control=" + control.text() + "\n" : "")
          + (include != null ? "tor-include=" + include + "\n" : "")
          + java.util.stream.IntStream.range(0, bridges.size())
              .mapToObj(i -> "tor-bridge-" + (i + 1) + "=" + bridges.get(i) + "\n").collect(java.util.stream.Collectors.joining());
    }

    /** The same settings with {@code b} as the bridges. */
    public Tor withBridges(List<String> b) {
      return new Tor(onion, onionPort, socks, control, include, b);
    }

    static Tor decode(Map<String, String> m) {
      if (!m.containsKey("tor-onion")) {
        return null;
      }
      String socks = m.get("tor-socks");
      String control = m.get("tor-control");
      return new Tor(m.get("tor-onion"), Integer.parseInt(m.get("tor-onion-port")),
          socks == null ? null : HostPort.parse(socks, 9050), control == null ? null : HostPort.parse(control, 9051),
          m.get("tor-include"), bridgesOf(m));
    }

    private static List<String> bridgesOf(Map<String, String> m) {
      List<String> out = new ArrayList<>();
      for (int i = 1; m.containsKey("tor-bridge-" + i); i++) {
        out.add(m.get("tor-bridge-" + i));
      }
      return out;
    }
  }

  private Node(Path home, IdentitySeed seed, Store store, Config config, LinkKey linkKey, Options options)
      throws StoreException, SottoException {
    this.home = home;
    this.seed = seed;
    this.identity = Identity.fromSeed(seed);
    this.store = store;
    this.config = config;
    this.linkKey = linkKey;
    this.options = options;
    this.clock = options.clock();
    this.random = options.random();
    this.core = new NodeCore(store, identity, clock, random, options.policy());
    core.sendDelay(options.timing().maxSendDelay());
    this.links = new LinkPool(config.name(), clock, random, options.tap());
    this.log = NodeLog.of(home);
    this.status = new NodeStatus(log, clock.millis());
    // A job's own failures (a contact's address) are its business; what it did not handle (the
    // store) is shown by the kind of job, until a job of that kind ends well.
    this.outbound = new Outbound(config.name(), (key, e) -> status.work("job " + key.substring(0, key.indexOf(':')),
        clock.millis(), e == null ? null : LinkPool.reason(e)));
    this.deliveries = new Deliveries(core, links, outbound, status, clock, log);
    this.fetcher = new Fetcher(core, links, outbound, status, clock, log, () -> this.config.mailboxes());
    Timing timing = options.timing();
    this.loops = timing.coverPerHour() > 0 || timing.padFetch() ? new CoverLoops(seed, store, random) : null;
    fetcher.cover(loops, timing.coverPerHour() > 0, timing.padFetch());
    fetcher.byPrefix(timing.prefixBits());
    this.groups = new Groups(store, clock, random, identity.publicIdentity(), links, log,
        options.policy().retentionMillis(), () -> {
          boolean own = options.policy().mailbox() || config.mailboxes().isEmpty();
          return new GroupState.Mailbox(own ? Optional.of(identity.publicIdentity().fingerprint()) : Optional.empty(),
              own ? mailboxAddress() : config.mailboxes().get(0));
        });
    core.onGroupMessage(groups::received);
    this.backups = new Backups(store, core, seed, clock, random, links, () -> this.config.mailboxes(),
        linkKey.publicKey());
    core.logTo(log);
    core.onRefused(what -> status.refused(clock.millis(), what));
    links.onChange((before, after) -> log.log(System.Logger.Level.DEBUG, () -> NodeStatus.shown(after.address())
        + (after.ok() ? ": works again" : ": failing: " + after.error())));
  }

  // ---------------------------------------------------------------- setup

  /**
   * Creates a node in {@code home}: the identity file (sealed under {@code passphrase} if one is
   * given), the store, a link key, and a first card listing this node and its mailboxes. If it
   * fails, it leaves nothing it made behind, and it never touches what was there before.
   *
   * @throws StoreException {@code EXISTS} if there is an identity file or a store (with content)
   *     in {@code home} already
   */
  public static void init(Path home, IdentitySeed seed, char[] passphrase, Vault.Params params, Config config,
      RandomSource random, Clock clock) throws StoreException, SottoException {
    if (Store.fileState(home) == Store.FileState.PRESENT) {
      throw new StoreException(StoreException.Kind.EXISTS, "there is a store in " + home + " already");
    }
    Vault.create(home, seed, passphrase, params, random);
    try {
      // An empty store.db, or SQLite files beside none, left by a creation that was interrupted.
      Store.deleteFiles(home);
      initStore(home, seed, config, random, clock);
    } catch (StoreException | SottoException | RuntimeException e) {
      // Leave no half-made home behind: without the store, the identity file alone is useless.
      try {
        Files.deleteIfExists(home.resolve(Vault.FILE_NAME));
      } catch (IOException ignored) {
        // best effort
      }
      throw e;
    }
  }

  /**
   * Makes the store of a new node (a new link key, a first card, its first prekeys); deletes it
   * again if that fails. The settings are written last, with the card, in one transaction: a
   * store without them is one whose creation was interrupted.
   */
  static void initStore(Path home, IdentitySeed seed, Config config, RandomSource random, Clock clock)
      throws StoreException, SottoException {
    Identity identity = Identity.fromSeed(seed);
    LinkKey linkKey = LinkKey.generate(random);
    Store store = Store.create(home, Vault.storeKey(seed), random);
    try {
      store.write(tx -> {
        tx.put(NodeCore.KV_RESPONDER, new Responder(identity).serialize());
        return null;
      });
      NodeCore core = new NodeCore(store, identity, clock, random, NodeCore.Policy.DEFAULT);
      core.withPrekeys(linkKey.publicKey(), (tx, responder, maintenance) -> {
        tx.put(NodeCore.KV_LINK_KEY, linkKey.toBytes());
        maintenance.run(config, false);
        tx.put(NodeCore.KV_CONFIG, config.encode());
        return null;
      });
    } catch (StoreException | SottoException | RuntimeException e) {
      store.close();
      try {
        Store.deleteFiles(home);
      } catch (StoreException ignored) {
        // best effort: the failure that matters is e
      }
      throw e;
    }
    store.close();
  }

  /**
   * Opens the node in {@code home} (the passphrase only if the identity file is sealed under one).
   *
   * @throws StoreException {@code MISSING} if there is no identity file, if the store is missing
   *     or empty (it is never made anew here: see {@link Recovery}), or if it is incomplete (its
   *     creation was interrupted)
   */
  public static Node open(Path home, char[] passphrase, Options options) throws StoreException, SottoException {
    IdentitySeed seed = Vault.open(home, passphrase);
    Identity identity = Identity.fromSeed(seed);
    Store store = Store.openExisting(home, Vault.storeKey(seed), options.random());
    try {
      StoreException incomplete = new StoreException(StoreException.Kind.MISSING,
          "the store " + home.resolve(Store.FILE_NAME) + " is incomplete (no settings): its creation was interrupted?");
      byte[][] loaded = store.read(tx -> new byte[][] {
          tx.get(NodeCore.KV_CONFIG).orElseThrow(() -> incomplete),
          tx.get(NodeCore.KV_LINK_KEY).orElseThrow(() -> incomplete)});
      return new Node(home, seed, store, Config.decode(loaded[0]), LinkKey.fromBytes(loaded[1]), options);
    } catch (StoreException | SottoException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  public Path home() {
    return home;
  }

  public Config config() {
    return config;
  }

  public Fingerprint fingerprint() {
    return identity.fingerprint();
  }

  public PublicIdentity publicIdentity() {
    return identity.publicIdentity();
  }

  /** This node's card as last issued (it may have expired: see {@link #currentCard()}). */
  public Card card() throws StoreException, SottoException {
    byte[] encoded = store.read(tx -> tx.get(NodeCore.KV_CARD).orElseThrow());
    return Card.parse(encoded, Instant.EPOCH);
  }

  /**
   * A card to give out: the last one, or a new one when that expires within
   * {@link #RENEW_BEFORE}; the prekey maintenance runs first (see {@link #maintainPrekeys}).
   */
  public Card currentCard() throws StoreException, SottoException {
    maintainPrekeys(false);
    return card();
  }

  /** A card is renewed when it has less than this left. */
  static final Duration RENEW_BEFORE = OwnPrekeys.RENEW_BEFORE;

  /**
   * Issues a new card (a new invite tag, this node's addresses and mailboxes) with its prekeys,
   * and keeps the older cards, so that first contacts made from them still succeed until they
   * expire; the responder holds at most {@link Responder#MAX_CARDS}, the one that expires first
   * is withdrawn beyond that.
   */
  public Card renewCard() throws StoreException, SottoException {
    maintainPrekeys(true);
    return card();
  }

  /**
   * A card this node holds (accepts first contacts through): its short id (as requests name it),
   * the card, whether it is the current one (given out by 'sotto card'), and how many requests
   * came through it and are held.
   */
  public record HeldCard(String id, Card card, boolean current, int requests) {}

  /** The cards this node holds, oldest first. */
  public List<HeldCard> cards() throws StoreException, SottoException {
    return store.read(tx -> {
      Card current = OwnPrekeys.currentCard(tx);
      Requests.Held held = Requests.read(tx);
      List<HeldCard> out = new ArrayList<>();
      for (Card c : core.heldCards(tx)) {
        String id = Requests.cardId(c);
        out.add(new HeldCard(id, c, c.equals(current), held.through(id)));
      }
      return out;
    });
  }

  /** What {@link #revokeCard} did: the card withdrawn, the current card after it, how many contacts were sent it. */
  public record Revoked(HeldCard revoked, Card current, int contactsTold) {}

  /**
   * Withdraws a card (spec: transport.adoc#node-requests), for instance one that a flood of
   * requests came through: its prekeys are deleted, its bundle tag is no longer served and no
   * longer published, and a first contact through it is refused (UNKNOWN_TAG) before anything is
   * opened. A mailbox keeps what was published for it until it expires (at most 3 days), and
   * first contacts made from that are refused the same way. The requests held through it stay.
   * If it was the current card, a new one is issued; either way every contact is sent the current
   * card in a HELLO, so that none is left with the withdrawn one for a later reset.
   *
   * @throws StoreException MISSING when no held card has this id
   */
  public Revoked revokeCard(String id) throws StoreException, SottoException {
    long now = clock.millis();
    Revoked revoked = core.withPrekeys(linkKey.publicKey(), (tx, responder, maintenance) -> {
      Card target = null;
      for (Card c : responder.cards()) {
        if (Requests.cardId(c).equals(id)) {
          target = c;
        }
      }
      if (target == null) {
        throw new StoreException(StoreException.Kind.MISSING, "no card '" + id + "' is held ('sotto card --list')");
      }
      HeldCard was = new HeldCard(id, target, target.equals(OwnPrekeys.currentCard(tx)),
          Requests.read(tx).through(id));
      responder.removeCard(target);
      Config settings = Config.decode(tx.get(NodeCore.KV_CONFIG).orElseThrow());
      maintenance.run(settings, false); // issues a new current card when the current one went
      return new Revoked(was, OwnPrekeys.currentCard(tx), introduceCard(tx, settings.name(), now));
    });
    wake.release();
    return revoked;
  }

  /**
   * The prekey maintenance (design r2-prekeys, section 10; see {@link OwnPrekeys}): deletes the
   * prekeys past their expiry and the first-contact window, renews the card when it is due, makes
   * a new bundle and one-time prekeys when they are due, all in one transaction with the
   * settings in the store (another process may have changed them since this one opened it). A
   * running node does it at start, whenever it is due, and at least once an hour, and then
   * PUBLISHes what its mailboxes lack; commands that need current prekeys do it first.
   */
  public OwnPrekeys.Maintained maintainPrekeys(boolean renew) throws StoreException, SottoException {
    return core.maintainPrekeys(linkKey.publicKey(), renew);
  }

  /** What {@link #reconfigure} did. */
  public record Reconfigured(Config config, boolean newCard, int contactsTold) {}

  /**
   * Changes the node's settings (spec: transport.adoc#node-delivery). When the addresses its card
   * gives change, it issues a new card and queues, for each contact, a {@code HELLO} that
   * carries it, in the same transaction: the contact's node takes the new card from it
   * (spec: transport.adoc#node-messages) and writes to the new addresses. A node that runs keeps
   * listening where it listened until it is started again: change the settings of a stopped node.
   */
  public Reconfigured reconfigure(Config changed) throws StoreException, SottoException {
    long now = clock.millis();
    Reconfigured done = core.withPrekeys(linkKey.publicKey(), (tx, responder, maintenance) -> {
      Config before = Config.decode(tx.get(NodeCore.KV_CONFIG).orElseThrow());
      tx.put(NodeCore.KV_CONFIG, changed.encode());
      byte[] key = linkKey.publicKey();
      if (before.cardAddresses(key).equals(changed.cardAddresses(key))) {
        return new Reconfigured(changed, false, 0);
      }
      maintenance.run(changed, true);
      return new Reconfigured(changed, true, introduceCard(tx, changed.name(), now));
    });
    config = done.config();
    wake.release();
    return done;
  }

  /**
   * Queues, for every contact (not the requests) that this node has written to, a HELLO that
   * carries its current card and newest bundle, and returns how many: the contact's node takes
   * the card from it (spec: transport.adoc#node-messages). A contact added quietly and not written
   * to yet gets the card in this node's first HELLO, whenever that goes.
   */
  private static int introduceCard(Tx tx, String name, long now) throws StoreException, SottoException {
    PrekeyBundle bundle = NodeCore.ownBundle(tx);
    Set<Long> requests = Requests.read(tx).ids();
    int told = 0;
    for (Tx.Contact c : tx.contacts()) {
      if (requests.contains(c.id()) || c.nextOutSeq() == 0) {
        continue;
      }
      NodeMessage hello = NodeMessage.hello(c.nextOutSeq(), now / 1000, name, bundle);
      tx.queuePending(c.id(), hello.encode(), now);
      tx.insertMessage(c.id(), false, c.nextOutSeq(), now / 1000, now, "", NodeMessage.HELLO);
      tx.setSeqs(c.id(), c.nextOutSeq() + 1, c.nextInSeq());
      told++;
    }
    return told;
  }

  /**
   * This node's own address (kind peer), which other nodes can also use as a mailbox address:
   * the first it gives on its card, or where it listens.
   */
  public Address peerAddress() {
    if (config.torMode()) {
      return Address.onionPeer(config.tor().onion(), config.tor().onionPort(), linkKey.publicKey());
    }
    HostPort at = reachedAt();
    return Address.peer(at.host(), at.port(), linkKey.publicKey());
  }

  /** The same address as a mailbox address, for other nodes' configuration. */
  public Address mailboxAddress() {
    if (config.torMode()) {
      return Address.onionMailbox(config.tor().onion(), config.tor().onionPort(), linkKey.publicKey());
    }
    HostPort at = reachedAt();
    return Address.mailbox(at.host(), at.port(), linkKey.publicKey());
  }

  private HostPort reachedAt() {
    if (!config.advertise().isEmpty()) {
      return config.advertise().get(0);
    }
    return new HostPort(config.host(), server != null ? server.port() : config.port());
  }

  NodeCore core() {
    return core;
  }

  // ---------------------------------------------------------------- user operations

  /**
   * Adds a contact from its card's text, fetches its prekeys (see {@link #fetchPrekeys}) and
   * queues the HELLO that introduces this node, which the running node sends as a first contact.
   * When no address of the card serves prekeys now, the contact is added all the same and the
   * running node fetches them later (see {@link #firstContactStatus}).
   *
   * <p>When the card's owner asked to be a contact (a request is held), the request is accepted
   * under this name instead: its answer is queued, and nothing else is sent.
   *
   * @throws SottoException the card's parse errors; IDENTITY_MISMATCH for one's own card
   * @throws StoreException EXISTS when the name or the identity is taken
   */
  public Tx.Contact addContact(String name, String cardText) throws StoreException, SottoException {
    return addContact(name, cardText, true);
  }

  /**
   * Adds a contact from its card's text; with {@code introduce}, as {@link #addContact(String,
   * String)}. Without, quietly: no prekeys are fetched and nothing is queued, so the contact
   * learns nothing; its own first contact then comes in as a contact's, not as a request (for
   * cards exchanged both ways, when only one side is to write first), and this node's first
   * message to it is preceded by its HELLO.
   */
  public Tx.Contact addContact(String name, String cardText, boolean introduce) throws StoreException, SottoException {
    if (name.isBlank() || !name.equals(NodeCore.safeName(name))) {
      throw new IllegalArgumentException("a contact name is 1 to 32 letters, digits, '-', '_' or '.'");
    }
    Card card = Card.parseText(cardText.strip(), clock.instant());
    if (card.identity().equals(identity.publicIdentity())) {
      throw new SottoException(ErrorCode.IDENTITY_MISMATCH, "that is this node's own card");
    }
    // Checked before fetching, so that a name or contact taken uses up no one-time prekey.
    long request = store.read(tx -> {
      Optional<Tx.Contact> owner = tx.contactByIdentity(card.identity().encoded());
      if (owner.isPresent() && Requests.read(tx).has(owner.get().id())) {
        return owner.get().id();
      }
      if (tx.contactByName(name).isPresent()) {
        throw new StoreException(StoreException.Kind.EXISTS, "another contact has this name");
      }
      if (owner.isPresent()) {
        throw new StoreException(StoreException.Kind.EXISTS, "another contact has this identity");
      }
      return -1L;
    });
    if (request >= 0) {
      Tx.Contact accepted = contactBook().accept(Long.toString(request), name);
      wake.release();
      return accepted;
    }
    long now = clock.millis();
    if (!introduce) {
      return store.write(tx -> tx.contact(tx.insertContact(name, card.identity().encoded(), card.encoded(), now))
          .orElseThrow());
    }
    maintainPrekeys(false); // the HELLO carries a current bundle
    Optional<Prekeys> prekeys = fetchPrekeys(card);
    Tx.Contact added = store.write(tx -> {
      long id = tx.insertContact(name, card.identity().encoded(), card.encoded(), now);
      if (prekeys.isPresent()) {
        FirstContacts.storeFetched(tx, id, prekeys.get());
      } else {
        FirstContacts.fetchFailed(tx, id, now);
      }
      Tx.Contact c = tx.contact(id).orElseThrow();
      NodeMessage hello = NodeMessage.hello(c.nextOutSeq(), now / 1000, NodeCore.ownName(tx), NodeCore.ownBundle(tx));
      tx.queuePending(id, hello.encode(), now);
      // Kept like a text, so that a reset can send it again (with the bundle current then).
      tx.insertMessage(id, false, c.nextOutSeq(), now / 1000, now, "", NodeMessage.HELLO);
      tx.setSeqs(id, c.nextOutSeq() + 1, c.nextInSeq());
      return tx.contact(id).orElseThrow();
    });
    wake.release();
    return added;
  }

  /** Where the first contact with a contact stands (shown by 'sotto contact list'). */
  public FirstContacts.Status firstContactStatus(long contactId) throws StoreException, SottoException {
    return core.firstContacts().status(contactId);
  }

  // ---------------------------------------------------------------- prekeys of others

  /**
   * How this node asks an address for the prekeys under a bundle tag: GET_PREKEYS on a link
   * (tests put something else in front of it). An ERROR answer is an empty list: the address
   * withholds them.
   */
  @FunctionalInterface
  interface PrekeyChannel {
    List<Frame.PrekeyItem> getPrekeys(Address address, byte[] bundleTag) throws IOException, SottoException, StoreException;
  }

  private volatile PrekeyChannel prekeyChannel = this::getPrekeys;

  /** Replaces how prekeys are asked for (tests: another node's {@link NodeCore#handle} without the network). */
  void prekeysFrom(PrekeyChannel channel) {
    prekeyChannel = channel;
  }

  private List<Frame.PrekeyItem> getPrekeys(Address address, byte[] bundleTag)
      throws IOException, SottoException, StoreException {
    Frame response = links.exchange(address, link -> link.call(
        Frame.getPrekeys(link.nextRequestId(), bundleTag)).get(0));
    return response.type() == Frame.PREKEYS ? response.prekeyItems() : List.of();
  }

  /**
   * Fetches the prekeys of {@code card} (design r2-prekeys, section 9): GET_PREKEYS under its
   * bundle tag to each of its addresses in turn, this node's peer addresses first (a node serves
   * its own prekeys), then its mailboxes. Every item is read under the card at this node's clock,
   * and refused if it fails (a bundle of another card, one expired, a bad signature); the first
   * address that serves a valid bundle gives the one with the highest serial. At most one
   * one-time prekey of each kind is kept, from any address asked.
   *
   * @return empty when every address failed or withheld a valid bundle
   */
  public Optional<Prekeys> fetchPrekeys(Card card) {
    return fetchPrekeys(card, new boolean[1]);
  }

  /** As {@link #fetchPrekeys(Card)}; {@code tried[0]} says whether any address was asked (not all resting). */
  private Optional<Prekeys> fetchPrekeys(Card card, boolean[] tried) {
    List<Address> order = new ArrayList<>();
    card.addresses().stream().filter(a -> a.isPeer() && links.reaches(a)).forEach(order::add);
    card.addresses().stream().filter(a -> a.isMailbox() && links.reaches(a)).forEach(order::add);
    OneTimePrekey x = null;
    OneTimePrekey kem = null;
    for (Address address : order) {
      List<Frame.PrekeyItem> items;
      try {
        items = prekeyChannel.getPrekeys(address, card.bundleTag());
        tried[0] = true;
      } catch (IOException | SottoException | StoreException | RuntimeException e) {
        // unreachable, or a link error: the next address may answer
        tried[0] |= !(e instanceof LinkPool.NotNow);
        continue;
      }
      Instant now = clock.instant();
      PrekeyBundle best = null;
      for (Frame.PrekeyItem item : items) {
        try {
          switch (item.kind()) {
            case BUNDLE -> {
              PrekeyBundle b = PrekeyBundle.parse(item.encoded(), card, now);
              if (best == null || b.serial() > best.serial()) {
                best = b;
              }
            }
            case X25519_ONE_TIME -> {
              if (x == null) {
                x = OneTimePrekey.parse(item.encoded(), card, now);
              }
            }
            case ML_KEM_ONE_TIME -> {
              if (kem == null) {
                kem = OneTimePrekey.parse(item.encoded(), card, now);
              }
            }
            default -> { }
          }
        } catch (SottoException e) {
          // refused: stale, of another card, or forged
          status.refused(clock.millis(), "a prekey item from " + NodeStatus.shown(address) + ": " + e.code());
        }
      }
      if (best != null) {
        return Optional.of(FirstContacts.of(best, x, kem));
      }
    }
    return Optional.empty();
  }

  /** Fetches the prekeys of every contact that waits for them and is due (see {@link FirstContacts#wanted}), one after the other. */
  void fetchWantedPrekeys() throws StoreException, SottoException {
    for (FirstContacts.Wanted wanted : core.firstContacts().wanted()) {
      fetchPrekeysFor(wanted);
    }
  }

  /** Queues a job on {@link Outbound} for each contact whose prekeys are due and has none queued or running. */
  private void dispatchWantedPrekeys() throws StoreException, SottoException {
    // Taken before the store is read: a job that ends meanwhile is not queued again with stale data.
    java.util.Set<String> busy = outbound.inFlight();
    for (FirstContacts.Wanted wanted : core.firstContacts().wanted()) {
      String key = "prekeys:" + wanted.contactId();
      if (!busy.contains(key)) {
        outbound.submit(key, Outbound.Lane.UNPROVEN, () -> fetchPrekeysFor(wanted));
      }
    }
  }

  private void fetchPrekeysFor(FirstContacts.Wanted wanted) throws StoreException, SottoException {
    Card card;
    try {
      card = Card.parse(wanted.card(), clock.instant());
    } catch (SottoException e) {
      return; // an expired card: no fetch can help (FirstContacts.wanted leaves these out)
    }
    boolean[] tried = new boolean[1];
    Optional<Prekeys> prekeys = fetchPrekeys(card, tried);
    if (prekeys.isPresent()) {
      core.firstContacts().fetched(wanted.contactId(), prekeys.get());
      log.log(System.Logger.Level.INFO, "contact #" + wanted.contactId() + ": prekeys fetched");
      wake.release();
    } else if (tried[0]) { // else every address rests after a failure: asked again when one no longer does
      core.firstContacts().fetchFailed(wanted.contactId());
      log.log(System.Logger.Level.INFO, "contact #" + wanted.contactId() + ": no address of its card served prekeys");
    }
  }

  // ---------------------------------------------------------------- own prekeys, published

  /** Per mailbox address: when (nanoTime) to try publishing again, and the failures in a row. */
  private final Map<String, long[]> publishBackoff = new ConcurrentHashMap<>();
  /** A mailbox's next PUBLISH after failed ones: 1 s, doubling, at most 10 min. */
  private static final Backoff PUBLISH_BACKOFF = new Backoff(1_000, 600_000);
  /** What the last maintenance left to publish, each removed once a mailbox took it. */
  private final List<OwnPrekeys.Publication> toPublish = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Runs the prekey maintenance when it is due (or {@code force}), then PUBLISHes to each
   * mailbox what it lacks (design r2-prekeys, section 9): the newest bundle of each card that
   * lists it, and the one-time prekeys made for it (each mailbox its own: no record goes to two).
   * A mailbox that fails is tried again later ({@link #PUBLISH_BACKOFF}).
   */
  private void maintainAndPublish(boolean force) throws StoreException, SottoException {
    maintain(force);
    for (Address mailbox : publicationMailboxes()) {
      publishTo(mailbox);
    }
  }

  /** The maintenance part of {@link #maintainAndPublish}: what is left to publish is kept for {@link #publishTo}. */
  private void maintain(boolean force) throws StoreException, SottoException {
    if (force || !clock.instant().isBefore(core.prekeysDue())) {
      OwnPrekeys.Maintained maintained = maintainPrekeys(false);
      toPublish.clear();
      toPublish.addAll(maintained.publications());
    }
  }

  /** The mailboxes that something is left to publish to, each once. */
  private List<Address> publicationMailboxes() {
    Map<String, Address> out = new java.util.LinkedHashMap<>();
    for (OwnPrekeys.Publication p : toPublish) {
      out.putIfAbsent(addressText(p.mailbox()), p.mailbox());
    }
    return new ArrayList<>(out.values());
  }

  /** Queues a job on {@link Outbound} for each mailbox with something to publish whose back-off is over. */
  private void dispatchPublications() {
    java.util.Set<String> busy = outbound.inFlight();
    for (Address mailbox : publicationMailboxes()) {
      String key = "publish:" + addressText(mailbox);
      long[] backoff = publishBackoff.get(addressText(mailbox));
      if (busy.contains(key) || backoff != null && System.nanoTime() - backoff[0] < 0) {
        continue;
      }
      LinkPool.Health h = links.health(mailbox);
      outbound.submit(key, h.ok() && h.lastOkMillis() > 0 ? Outbound.Lane.PROVEN : Outbound.Lane.UNPROVEN,
          () -> publishTo(mailbox));
    }
  }

  /**
   * PUBLISHes what is left to publish to one mailbox, if its back-off is over ({@link #publishPrekeys}
   * runs the maintenance first when a command needs its result: 'sotto card').
   */
  private void publishTo(Address mailbox) throws StoreException, SottoException {
    String key = addressText(mailbox);
    for (OwnPrekeys.Publication p : toPublish) {
      if (!addressText(p.mailbox()).equals(key)) {
        continue;
      }
      long[] backoff = publishBackoff.get(key);
      if (backoff != null && System.nanoTime() - backoff[0] < 0) {
        return;
      }
      if (!core.unpublished(p)) {
        toPublish.remove(p); // another process of this home published it: never the same record twice
        continue;
      }
      String error;
      try {
        byte[] credential = Vault.publishCredential(seed, p.bundleTag(), p.mailbox().linkKey());
        Frame response = links.exchange(p.mailbox(), link -> link.call(
            Frame.publish(link.nextRequestId(), p.bundleTag(), credential, p.items())).get(0));
        error = response.type() == Frame.OK ? null : "answered " + Deliveries.errorName(response);
      } catch (LinkPool.NotNow e) {
        return; // resting after a failure already shown, or busy: nothing was tried
      } catch (IOException | SottoException | StoreException | RuntimeException e) {
        error = LinkPool.reason(e);
      }
      status.published(mailbox, clock.millis(), error);
      if (error == null) {
        publishBackoff.remove(key);
        core.published(p);
        toPublish.remove(p);
      } else {
        long failures = backoff == null ? 1 : backoff[1] + 1;
        long delay = PUBLISH_BACKOFF.afterMillis(failures) * 1_000_000;
        publishBackoff.put(key, new long[] {System.nanoTime() + delay, failures});
        return;
      }
    }
  }

  /**
   * Runs the prekey maintenance and PUBLISHes at once what this node's mailboxes lack, as a node
   * does before it gives its card out (the mailboxes then serve its prekeys while it is offline).
   *
   * @return how many publications are still not taken by their mailbox
   */
  public int publishPrekeys() throws StoreException, SottoException {
    maintainAndPublish(true);
    return toPublish.size();
  }

  /** The contacts (not the requests: see {@link #contactBook}), by id. */
  public List<Tx.Contact> contacts() throws StoreException, SottoException {
    return store.read(Node::contacts);
  }

  static List<Tx.Contact> contacts(Tx tx) throws StoreException {
    Set<Long> requests = Requests.read(tx).ids();
    return tx.contacts().stream().filter(c -> !requests.contains(c.id())).toList();
  }

  /** The contact of this name (never a request). */
  public Tx.Contact contact(String name) throws StoreException, SottoException {
    return store.read(tx -> contactNamed(tx, name));
  }

  static Tx.Contact contactNamed(Tx tx, String name) throws StoreException {
    Optional<Tx.Contact> c = tx.contactByName(name);
    if (c.isEmpty() || Requests.read(tx).has(c.get().id())) {
      throw new StoreException(StoreException.Kind.MISSING, "no contact named '" + name + "'");
    }
    return c.get();
  }

  /** The contacts and contact requests, as the user manages them ('sotto contact ...'). */
  public ContactBook contactBook() {
    return new ContactBook(store, clock, wake::release);
  }

  /** The fingerprint of a contact, to compare out of band. */
  public Fingerprint fingerprint(String contactName) throws StoreException, SottoException {
    return PublicIdentity.parse(contact(contactName).identity()).fingerprint();
  }

  /**
   * Queues a text to a contact; the running node seals and delivers it.
   *
   * @return its seq, to ask where it stands ({@link #messageState})
   */
  public long send(String contactName, String text) throws StoreException, SottoException {
    if (backups.stopped()) { // spec: backup.adoc#backup-generations
      throw new SottoException(dev.sotto.ErrorCode.NOT_PERMITTED, "this identity was restored on another device on "
          + backups.superseded().orElseThrow() + ": this device sends nothing more");
    }
    long now = clock.millis();
    // In the running node, queued and sealed in one commit; then handed to its contact's delivery
    // job from this thread, without waiting for the worker's turn.
    Store.Work<Long> queue = tx -> {
      Tx.Contact c = contactNamed(tx, contactName);
      sayHelloFirst(tx, c, now);
      c = tx.contact(c.id()).orElseThrow();
      NodeMessage message = NodeMessage.text(c.nextOutSeq(), now / 1000, text);
      tx.queuePending(c.id(), message.encode(), now);
      tx.insertMessage(c.id(), false, c.nextOutSeq(), now / 1000, now, text);
      tx.setSeqs(c.id(), c.nextOutSeq() + 1, c.nextInSeq());
      return c.nextOutSeq();
    };
    // Another process of this home (a command) only queues: the running node seals, and watches
    // the tags of any session that sealing starts.
    long seq = running ? core.queueAndSeal(queue) : store.write(queue);
    if (running) {
      attempt("delivery", deliveries::dispatch);
    }
    wake.release();
    return seq;
  }

  /** A contact added quietly, not written to yet: its first message is this node's HELLO, queued now. */
  static void sayHelloFirst(Tx tx, Tx.Contact c, long now) throws StoreException, SottoException {
    if (c.nextOutSeq() == 0) {
      NodeMessage hello = NodeMessage.hello(0, now / 1000, NodeCore.ownName(tx), NodeCore.ownBundle(tx));
      tx.queuePending(c.id(), hello.encode(), now);
      tx.insertMessage(c.id(), false, 0, now / 1000, now, "", NodeMessage.HELLO);
      tx.setSeqs(c.id(), 1, c.nextInSeq());
    }
  }

  // ---------------------------------------------------------------- groups (spec: group.adoc)

  /** A group: its id (16 hex digits), name, how many members, whether this node is one, its epoch. */
  public record GroupInfo(String id, String name, int members, boolean member, long epoch) {}

  /** A member of a group: its contact name ("me" for this node, else a fingerprint prefix), fingerprint, role. */
  public record GroupMember(String name, String fingerprint, boolean admin) {}

  /** A line of a group's history: who, when (the sender's clock, seconds), what; an event is a change. */
  public record GroupLine(String from, long sentAt, String text, boolean event) {}

  /**
   * Creates a group of which this node is the only member and admin, kept at this node's own
   * mailbox when it runs one, else at its first mailbox; returns its id.
   */
  public String groupCreate(String name) throws StoreException, SottoException {
    boolean own = options.policy().mailbox() || config.mailboxes().isEmpty();
    Address mailbox = own ? mailboxAddress() : config.mailboxes().get(0);
    return groups.create(name, mailbox, own);
  }

  /** Creates a group kept at {@code mailbox} (a mailbox this node uses, or its own); returns its id. */
  public String groupCreate(String name, Address mailbox) throws StoreException, SottoException {
    return groups.create(name, mailbox, mailbox.equals(mailboxAddress()));
  }

  /** Adds a contact to a group (by the group's name or id); the contact is welcomed in its session. */
  public void groupAdd(String group, String contactName) throws StoreException, SottoException {
    groups.add(group, contactName);
    wake.release();
  }

  /** Removes a member (a contact's name) from a group. */
  public void groupRemove(String group, String memberName) throws StoreException, SottoException {
    groups.remove(group, memberName);
    wake.release();
  }

  /** For tests: how long a group deposit fails at every mailbox before it goes pairwise (60 s by default). */
  void groupFallbackAfter(Duration d) {
    groups.fallbackAfter(d.toMillis());
  }

  /** Makes a member (a contact's name) an admin of a group (this node must be an admin). */
  public void groupPromote(String group, String memberName) throws StoreException, SottoException {
    groups.promote(group, memberName);
    wake.release();
  }

  /** Leaves a group. */
  public void groupLeave(String group) throws StoreException, SottoException {
    groups.leave(group);
    wake.release();
  }

  /** Renames a group. */
  public void groupRename(String group, String name) throws StoreException, SottoException {
    groups.rename(group, name);
    wake.release();
  }

  /** Sends a text to a group: sealed once, deposited once at the group's mailbox; returns its seq. */
  public long groupSend(String group, String text) throws StoreException, SottoException {
    long seq = groups.send(group, text);
    wake.release();
    return seq;
  }

  /** This node's groups, those it left or was removed from included. */
  public List<GroupInfo> groups() throws StoreException, SottoException {
    return groups.list().stream().map(g -> new GroupInfo(g.id(), g.name(), g.members(), g.member(), g.epoch()))
        .toList();
  }

  /** A group's members, in its order. */
  public List<GroupMember> groupMembers(String group) throws StoreException, SottoException {
    return groups.members(group).stream().map(m -> new GroupMember(m.name(), m.fingerprint(), m.admin())).toList();
  }

  /** This node's side of a group as stored now (a copy: for tests). */
  dev.sotto.Group group(String group) throws StoreException, SottoException {
    return store.read(tx -> Groups.load(tx, Groups.find(tx, group)));
  }

  /** A group's history: its messages and changes as this node saw them. */
  public List<GroupLine> groupHistory(String group) throws StoreException, SottoException {
    return groups.history(group).stream().map(l -> new GroupLine(l.from(), l.sentAt(), l.text(), l.event()))
        .toList();
  }

  // ---------------------------------------------------------------- what became of it

  /** Where the message {@code seq} to a contact stands; null when no record says (it left long ago). */
  public Report.MessageState messageState(String contactName, long seq) throws StoreException, SottoException {
    Tx.Contact c = contact(contactName);
    return store.read(tx -> Report.message(tx, c, seq));
  }

  /** Every message waiting to leave ({@code sotto outbox}). */
  public List<Report.Waiting> outbox() throws StoreException, SottoException {
    return store.read(Report::outbox);
  }

  /** What the node running for this home last wrote of itself ({@code sotto status}); null if none ever ran. */
  public Report.NodeState nodeState() throws StoreException, SottoException {
    return store.read(Report::nodeState);
  }

  /**
   * What the user is shown of a conversation: a message (a TEXT; or a HELLO: the one by which a
   * contact joined, text empty, or one that brought a card with new addresses, which its text
   * lists), or a notice that the session with the contact was reset.
   *
   * @param seq the message's seq; -1 for a reset notice
   * @param sentAt the sender's clock for a message; this node's clock (seconds) for a notice
   * @param reset for a notice, what the reset did; null for a message
   */
  public record Shown(String contact, boolean incoming, long seq, long sentAt, String text, Kind kind, Reset reset) {
    @Override
    public String toString() {
      return "Shown[" + contact + ", " + kind + ", seq=" + seq + "]";
    }
  }

  /** What a {@link Shown} is. */
  public enum Kind {
    /** A HELLO of the contact that changed none of its addresses: it joined (its node introduced itself). */
    JOINED,
    /**
     * A HELLO of the contact whose card gives other addresses than the card held before: the
     * node writes to them from now on. The text lists them.
     */
    CARD,
    /** A text. */
    TEXT,
    /** A notice that the session was reset. */
    RESET,
    /**
     * A notice that someone asked to be a contact (spec: transport.adoc#node-requests): the
     * contact is the name it gives itself, the seq the request's number, the text its fingerprint.
     */
    REQUEST
  }

  /**
   * A reset, as the user sees it.
   *
   * @param byPeer whether the contact reset the session (else this node did)
   * @param missing how many of the contact's messages were missing, which the contact sends again
   * @param resent how many of this node's messages it sends again
   */
  public record Reset(boolean byPeer, long missing, long resent) {}

  private static Shown shown(Tx.Contact c, Tx.Message m) {
    return new Shown(c.name(), m.incoming(), m.seq(), m.sentAt(), m.text(),
        m.kind() != NodeMessage.HELLO ? Kind.TEXT : m.text().isEmpty() ? Kind.JOINED : Kind.CARD, null);
  }

  private static Shown shown(Tx.Contact c, Tx.Notice n) {
    return new Shown(c.name(), true, -1, n.at() / 1000, "", Kind.RESET, new Reset(n.byPeer(), n.missing(), n.resent()));
  }

  /**
   * The new incoming messages, each contact's in order and none after a gap, the new reset
   * notices (each contact's before its messages), and a notice of each new contact request (first),
   * marked read: each is returned exactly once.
   */
  public List<Shown> read() throws StoreException, SottoException {
    return store.write(tx -> {
      Map<Long, Tx.Contact> contacts = new HashMap<>();
      for (Tx.Contact c : contacts(tx)) {
        contacts.put(c.id(), c);
      }
      Map<Long, List<Shown>> byContact = new java.util.TreeMap<>();
      for (Tx.Notice n : tx.unreadNotices()) {
        if (!contacts.containsKey(n.contactId())) {
          continue; // a request's: shown once it is accepted
        }
        tx.markNoticeRead(n.id());
        byContact.computeIfAbsent(n.contactId(), k -> new ArrayList<>()).add(shown(contacts.get(n.contactId()), n));
      }
      for (Tx.Message m : tx.unread()) {
        Tx.Contact c = contacts.get(m.contactId());
        if (c != null && m.seq() < c.nextInSeq()) {
          tx.markRead(m.id());
          byContact.computeIfAbsent(c.id(), k -> new ArrayList<>()).add(shown(c, m));
        }
      }
      List<Shown> shown = new ArrayList<>();
      Requests.Held held = Requests.read(tx);
      boolean announced = false;
      for (Requests.Request r : held.all()) {
        if (!r.shown()) {
          Tx.Contact c = tx.contact(r.contactId()).orElseThrow();
          shown.add(new Shown(r.name(), true, r.contactId(), r.at() / 1000,
              PublicIdentity.parse(c.identity()).fingerprint().text(), Kind.REQUEST, null));
          held.replace(r.shownNow());
          announced = true;
        }
      }
      if (announced) {
        Requests.write(tx, held);
      }
      byContact.values().forEach(shown::addAll);
      return shown;
    });
  }

  /**
   * The whole conversation with a contact, in the order stored: the messages both ways (not this
   * node's own HELLO) and the reset notices.
   */
  public List<Shown> conversation(String contactName) throws StoreException, SottoException {
    Tx.Contact c = contact(contactName);
    return store.read(tx -> {
      List<Tx.Notice> notices = tx.notices(c.id());
      List<Shown> out = new ArrayList<>();
      int next = 0;
      for (Tx.Message m : tx.messages(c.id())) {
        if (m.incoming() ? m.seq() >= c.nextInSeq() : m.kind() == NodeMessage.HELLO) {
          continue;
        }
        while (next < notices.size() && notices.get(next).at() <= m.storedAt()) {
          out.add(shown(c, notices.get(next++)));
        }
        out.add(shown(c, m));
      }
      while (next < notices.size()) {
        out.add(shown(c, notices.get(next++)));
      }
      return out;
    });
  }

  /**
   * The conversation with a contact as it was sent, for {@code sotto history}: each direction in
   * seq order, the two merged by sent_at (the sender's clock, seconds; on a tie, this node's
   * stored_at), with the reset notices by their time; the last {@code last} entries (all when
   * {@code last} is negative). As in {@link #conversation}, incoming messages past a gap and this
   * node's own HELLOs are left out.
   */
  public List<Shown> history(String contactName, int last) throws StoreException, SottoException {
    Tx.Contact c = contact(contactName);
    return store.read(tx -> {
      List<Tx.Message> in = new ArrayList<>();
      List<Tx.Message> out = new ArrayList<>();
      for (Tx.Message m : tx.messages(c.id())) {
        if (m.incoming() ? m.seq() < c.nextInSeq() : m.kind() != NodeMessage.HELLO) {
          (m.incoming() ? in : out).add(m);
        }
      }
      java.util.Comparator<Tx.Message> bySeq = java.util.Comparator.comparingLong(Tx.Message::seq);
      in.sort(bySeq);
      out.sort(bySeq);
      List<Tx.Notice> notices = tx.notices(c.id());
      List<Shown> all = new ArrayList<>();
      int i = 0;
      int o = 0;
      int n = 0;
      while (i < in.size() || o < out.size() || n < notices.size()) {
        Tx.Message a = i < in.size() ? in.get(i) : null;
        Tx.Message b = o < out.size() ? out.get(o) : null;
        Tx.Message m = a == null ? b : b == null ? a
            : (a.sentAt() < b.sentAt() || a.sentAt() == b.sentAt() && a.storedAt() <= b.storedAt()) ? a : b;
        if (n < notices.size() && (m == null || notices.get(n).at() / 1000 <= m.sentAt())) {
          all.add(shown(c, notices.get(n++)));
          continue;
        }
        all.add(shown(c, m));
        if (m == a) {
          i++;
        } else {
          o++;
        }
      }
      return last < 0 || last >= all.size() ? all : new ArrayList<>(all.subList(all.size() - last, all.size()));
    });
  }

  // ---------------------------------------------------------------- retention

  /** The key-value name of the global retention; a contact's is this plus ":" and its id. */
  static final String KV_KEEP = "keep";

  /**
   * How long messages are kept: {@link #OFF} (for ever), or a number of seconds; for a contact,
   * also {@link #INHERIT} (the global setting applies).
   */
  public static final long OFF = -1;
  /** A contact's retention that follows the global one. */
  public static final long INHERIT = -2;

  /** The global retention, in seconds, or {@link #OFF}. */
  public long keep() throws StoreException, SottoException {
    return store.read(tx -> keep(tx, KV_KEEP)).orElse(OFF);
  }

  /** A contact's own retention, in seconds, or {@link #OFF}, or {@link #INHERIT}. */
  public long keep(String contactName) throws StoreException, SottoException {
    Tx.Contact c = contact(contactName);
    return store.read(tx -> keep(tx, KV_KEEP + ":" + c.id())).orElse(INHERIT);
  }

  /**
   * Sets the global retention (seconds, or {@link #OFF}) and applies it at once.
   *
   * @return how many messages it deleted
   */
  public int setKeep(long seconds) throws StoreException, SottoException {
    if (seconds < OFF || seconds == 0) {
      throw new IllegalArgumentException("retention is OFF or a positive number of seconds");
    }
    store.write(tx -> {
      tx.put(KV_KEEP, Long.toString(seconds).getBytes(StandardCharsets.US_ASCII));
      return null;
    });
    return applyRetention();
  }

  /**
   * Sets a contact's retention (seconds, {@link #OFF}, or {@link #INHERIT}) and applies it at once.
   *
   * @return how many messages it deleted
   */
  public int setKeep(String contactName, long seconds) throws StoreException, SottoException {
    if (seconds < INHERIT || seconds == 0) {
      throw new IllegalArgumentException("retention is OFF, INHERIT or a positive number of seconds");
    }
    Tx.Contact c = contact(contactName);
    store.write(tx -> {
      if (seconds == INHERIT) {
        tx.delete(KV_KEEP + ":" + c.id());
      } else {
        tx.put(KV_KEEP + ":" + c.id(), Long.toString(seconds).getBytes(StandardCharsets.US_ASCII));
      }
      return null;
    });
    return applyRetention();
  }

  /**
   * Deletes the messages older than their contact's retention (its own, else the global one; see
   * {@link Tx#deleteMessagesBefore} for which are kept regardless): rows overwritten with zeros
   * ({@code secure_delete}), then the write-ahead log checkpointed and truncated, so that no copy
   * of a deleted message is left in {@code store.db} or {@code store.db-wal}. The running node
   * does this once a minute (and truncates the log then even when nothing was deleted).
   *
   * @return how many messages it deleted
   */
  public int applyRetention() throws StoreException, SottoException {
    long now = clock.millis();
    int deleted = store.write(tx -> {
      long global = keep(tx, KV_KEEP).orElse(OFF);
      int n = 0;
      for (Tx.Contact c : tx.contacts()) {
        long keep = keep(tx, KV_KEEP + ":" + c.id()).orElse(global);
        if (keep > 0) {
          n += tx.deleteMessagesBefore(c.id(), now - keep * 1000);
        }
      }
      if (global > 0) { // the groups' histories follow the global retention (spec: transport.adoc#node-groups)
        n += groups.deleteHistoryBefore(tx, now - global * 1000);
      }
      return n;
    });
    // Every turn, not only after a deletion: the log holds the pages that the last transactions
    // wrote, and which pages changed together says which contact's rows changed. A reader in
    // another process can hold the log; the next turn tries again.
    checkpointOwed = !store.checkpoint();
    return deleted;
  }

  private static java.util.Optional<Long> keep(Tx tx, String name) throws StoreException {
    return tx.get(name).map(b -> Long.parseLong(new String(b, StandardCharsets.US_ASCII)));
  }

  /**
   * Asks for a reset of the session with a contact (spec: transport.adoc#node-delivery): the
   * running node makes it at its next turn, as a new first contact to the contact's latest card.
   */
  public void requestReset(String contactName) throws StoreException, SottoException {
    store.write(tx -> {
      Tx.Contact c = contactNamed(tx, contactName);
      Tx.Resets r = tx.resets(c.id());
      tx.setResets(new Tx.Resets(c.id(), r.resets(), r.missing(), r.resetIn(), r.resetOut(), true));
      return null;
    });
    wake.release();
  }

  /** A contact's resets: how many, and how many of its messages were missing at them. */
  public Tx.Resets resets(long contactId) throws StoreException, SottoException {
    return store.read(tx -> tx.resets(contactId));
  }

  /** Envelopes waiting to go out. */
  public int outboxSize() throws StoreException, SottoException {
    return store.read(tx -> tx.outboxSize() + tx.pendingCount());
  }

  /** How many prekey items (bundles and one-time records) this node's mailbox holds for others. */
  public int prekeyItemsHeld() throws StoreException, SottoException {
    return store.read(Tx::prekeyItemCount);
  }

  /** What this node's mailbox holds for others (opaque envelopes by tag). */
  public List<Tx.Item> mailboxItems() throws StoreException, SottoException {
    return store.read(Tx::mailboxItems);
  }

  /**
   * Calls {@code listener} on a node thread after each received message is committed (for the
   * command line and the benchmarks); the message is still unread.
   */
  public void onReceived(Runnable listener) {
    core.onReceived(listener);
  }

  /**
   * Counters since start: envelopes delivered directly, deposited at a mailbox, fetched from one,
   * and attempts that failed everywhere (each followed by a back-off).
   */
  public long[] counters() {
    return new long[] {deliveries.delivered.get(), deliveries.deposited.get(), fetcher.fetched.get(),
        deliveries.failures.get()};
  }

  // ---------------------------------------------------------------- the peer

  /** Starts listening on the configured port (unless the options say not to) and the worker: seal, deliver, fetch. */
  public synchronized void start() throws IOException, StoreException, SottoException {
    if (running) {
      throw new IllegalStateException("already running");
    }
    try {
      fileLog = NodeLog.toFiles(home);
    } catch (IOException e) {
      status.work("log", clock.millis(), "cannot write " + NodeLog.directory(home) + ": " + e.getMessage());
    }
    status.resume(store.read(tx -> tx.get(NodeStatus.KV).map(NodeStatus::decode).orElse(null)));
    status.mailboxes(config.mailboxes());
    maintain(true); // the worker publishes: a slow mailbox does not hold up the start
    core.firstContacts().fetchNow();
    core.reindex();
    Server.Handler handler = new Server.Handler() {
      @Override
      public Object newLink(java.net.InetAddress source) {
        return new NodeCore.LinkState(source);
      }

      @Override
      public List<Frame> handle(Object link, Frame request) throws Exception {
        return core.handle((NodeCore.LinkState) link, request);
      }

      @Override
      public List<List<Frame>> handleAll(Object link, List<Frame> requests) throws Exception {
        return core.handleAll((NodeCore.LinkState) link, requests);
      }
    };
    if (config.torMode()) {
      startTor(); // before listening: a node in Tor mode has no TCP fallback
    }
    if (options.listen()) {
      server = new Server(config.host(), config.port(), linkKey, config.name(), clock, random, handler, options.limits(),
          options.tap());
      if (config.torMode()) {
        publishOnion();
      }
    }
    running = true;
    if (config.torMode() && server != null) {
      torWatch = new Thread(this::watchTor, config.name() + "-tor-watch");
      torWatch.setDaemon(true);
      torWatch.start();
    }
    String listening = server == null ? "" : config.host() + ":" + server.port();
    status.listening(listening);
    int contacts = store.read(tx -> contacts(tx).size());
    log.log(System.Logger.Level.INFO, "node started" + (server == null ? ", not listening" : ", listening on " + listening)
        + "; " + contacts + (contacts == 1 ? " contact, " : " contacts, ") + config.mailboxes().size()
        + (config.mailboxes().size() == 1 ? " mailbox" : " mailboxes"));
    if (options.timing().steadyFetch()) {
      steady = new SteadyFetch(config.name(), new SteadyFetch.Schedule(options.fetchInterval(),
          options.timing().fetchJitter(), random), this::fetchRounds, log);
    }
    worker = new Thread(this::loop, config.name() + "-worker");
    worker.setDaemon(true);
    worker.start();
    if (steady != null) {
      steady.start();
    }
    if (options.timing().coverPerHour() > 0) {
      cover = new CoverClock(config.name(), loops, links, () -> this.config.mailboxes(), random,
          options.timing().coverPerHour(), log);
      cover.start();
    }
  }

  /**
   * Fetching by tag prefix (spec: transport.adoc#node-prefix-fetch): items handed out under a tag
   * this node does not watch, dropped unopened.
   */
  public long prefixDropped() {
    return fetcher.dropped.get();
  }

  /**
   * Cover loops (spec: transport.adoc#node-cover): deposited, fetched back, given up (pending too
   * long), failed deposits; null when they are off.
   */
  public long[] coverLoops() {
    CoverLoops l = loops;
    CoverClock c = cover;
    return l == null ? null
        : new long[] {l.deposited.get(), l.fetched.get(), l.givenUp.get(), c == null ? 0 : c.failed.get()};
  }

  /** Tells {@code w} of every request this node serves (null: no one); see {@link NodeCore.RequestWatch}. */
  public void watchRequests(NodeCore.RequestWatch w) {
    core.watchRequests(w);
  }

  /** Has {@code f} replace the answers of every request this node serves (a dishonest mailbox); for tests. */
  void forgeMailbox(NodeCore.MailboxForgery f) {
    core.forgeMailbox(f);
  }

  /** Tells {@code l} of every request this node serves, with its answers and link; for tests. */
  void logMailbox(NodeCore.MailboxLog l) {
    core.logMailbox(l);
  }

  /** Opens the node's links with {@code d} from now on; for tests (Tor mode sets its own). */
  void dialer(Dialer d) {
    links.dialer(d);
  }

  /** The loop chain (null when neither cover loops nor padding is on); for tests. */
  CoverLoops loops() {
    return loops;
  }

  /** A slot's rounds of steady fetching: each mailbox's, and the groups'. */
  private Map<String, SteadyFetch.Round> fetchRounds() {
    Map<String, SteadyFetch.Round> rounds = fetcher.rounds();
    rounds.put("group-fetch:all", groups::fetch);
    return rounds;
  }

  /** Slots of steady fetching passed, and rounds they did not start (the last still running); null when it is off. */
  public long[] steadyFetchSlots() {
    SteadyFetch s = steady;
    return s == null ? null : new long[] {s.slots.get(), s.missed.get()};
  }

  /**
   * Tor mode (spec: transport.adoc#onion-transport): starts the node's own Tor daemon, or opens
   * the control port of the one given, and sends every link through Tor's SOCKS port from now on.
   */
  private void startTor() throws IOException {
    Tor tor = config.tor();
    long started = System.nanoTime();
    if (tor.own()) {
      torDaemon = dev.sotto.node.tor.TorDaemon.start(home.resolve("tor"), tor.include(), tor.bridges(), TOR_BOOTSTRAP);
      torControl = torDaemon.control();
      links.dialer(new dev.sotto.node.tor.TorDialer(torDaemon.socks(), random));
    } else {
      torControl = dev.sotto.node.tor.TorControl.open(tor.control(), (int) torControlTimeout.toMillis());
      links.dialer(new dev.sotto.node.tor.TorDialer(tor.socks(), random));
    }
    log.log(System.Logger.Level.INFO, "Tor " + (tor.own() ? "started" : "reached")
        + (tor.bridges().isEmpty() ? "" : " through " + dev.sotto.node.tor.Bridges.summary(tor.bridges())) + " in "
        + (System.nanoTime() - started) / 1_000_000 + " ms; every link goes through it");
  }

  /**
   * The watch of Tor mode (spec: transport.adoc#onion-dos): every {@link #torCheck} it asks Tor
   * for the onion services of its control connection ({@code GETINFO onions/current}). Only when
   * Tor is gone (the control connection broke, or the node's own daemon has exited) does it reach
   * Tor again, which for a daemon of the node's own means starting a new one; when Tor answers but
   * the service is not among them, it publishes the service again on the same connection; when
   * Tor is slow to answer (a loaded machine), it asks again at the next check and changes nothing.
   * While Tor cannot be reached it tries again at each check.
   */
  private void watchTor() {
    String id = onionKey().onion().replace(".onion", "");
    boolean announced = false;
    while (running) {
      try {
        Thread.sleep(torCheck.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      if (!running) {
        return;
      }
      try {
        dev.sotto.node.tor.TorControl c = torControl;
        boolean gone = torGone(c);
        if (!gone && published(c, id)) {
          continue;
        }
        if (!announced) {
          String why = gone ? "Tor is gone (its control connection broke, or the daemon exited): reaching it again"
              : "Tor lost the onion service: publishing it again";
          log.log(System.Logger.Level.WARNING, why);
          status.work("tor", clock.millis(), why);
          announced = true;
        }
        if (gone) {
          reachTorAgain();
        }
        publishOnion();
        announced = false;
        torRepublished.incrementAndGet();
        status.work("tor", clock.millis(), null);
        log.log(System.Logger.Level.INFO, "onion service published again");
      } catch (java.net.SocketTimeoutException e) {
        log.log(System.Logger.Level.DEBUG, "Tor did not answer in time: asking again at the next check");
      } catch (IOException | RuntimeException e) {
        if (!running) {
          return;
        }
        log.log(System.Logger.Level.DEBUG, () -> "Tor not reached yet: " + e.getMessage());
      }
    }
  }

  /** Whether Tor has to be reached again: no control connection, a broken one, or the node's own daemon exited. */
  private boolean torGone(dev.sotto.node.tor.TorControl c) {
    dev.sotto.node.tor.TorDaemon d = torDaemon;
    return c == null || !c.isOpen() || (config.tor().own() && (d == null || !d.alive()));
  }

  /** Whether Tor lists the service among this connection's ("551 No onion services" when none: not listed). */
  private static boolean published(dev.sotto.node.tor.TorControl c, String id) throws IOException {
    try {
      // One service: "onions/current=ID"; several: a data block of IDs.
      return String.join("\n", c.command("GETINFO onions/current")).contains(id);
    } catch (dev.sotto.node.tor.TorControl.Refused e) {
      return false;
    }
  }

  /** A new control connection (and for a daemon of the node's own, a new daemon and its SOCKS port). */
  private void reachTorAgain() throws IOException {
    synchronized (torLock) {
      reachTor();
    }
  }

  private void reachTor() throws IOException {
    if (!running) {
      throw new IOException("stopping");
    }
    dev.sotto.node.tor.TorControl old = torControl;
    if (old != null) {
      try {
        old.close();
      } catch (IOException ignored) {
        // it is gone already
      }
    }
    torControl = null;
    Tor tor = config.tor();
    if (tor.own()) {
      if (torDaemon != null) {
        torDaemon.close();
        torDaemon = null;
      }
      torDaemon = dev.sotto.node.tor.TorDaemon.start(home.resolve("tor"), tor.include(), tor.bridges(), TOR_BOOTSTRAP);
      torControl = torDaemon.control();
      links.dialer(new dev.sotto.node.tor.TorDialer(torDaemon.socks(), random));
    } else {
      torControl = dev.sotto.node.tor.TorControl.open(tor.control(), (int) torControlTimeout.toMillis());
    }
  }

  /** Times the onion service was published again after Tor lost it. */
  public long torRepublished() {
    return torRepublished.get();
  }

  /** Whether the onion service has Tor's proof-of-work defence (null: not in Tor mode). */
  public Boolean torProofOfWork() {
    dev.sotto.node.tor.TorControl c = torControl;
    return c == null ? null : c.proofOfWork();
  }

  /** Publishes the node's onion service (ADD_ONION with the key from its seed), leading to where it listens. */
  private void publishOnion() throws IOException {
    dev.sotto.node.tor.OnionKey key = dev.sotto.node.tor.OnionKey.of(seed);
    if (!key.onion().equals(config.tor().onion())) {
      throw new IOException("the settings give the onion address " + config.tor().onion() + ", and this identity's"
          + " is " + key.onion());
    }
    String id = torControl.addOnion(key.torKeyBlob(), config.tor().onionPort(), new HostPort(config.host(), server.port()));
    if (!(id + ".onion").equals(key.onion())) {
      throw new IOException("Tor published " + id + ".onion, not " + key.onion());
    }
    log.log(System.Logger.Level.INFO, "onion service published at " + key.onion() + ":" + config.tor().onionPort());
  }

  /** The node's onion service key, from its seed (spec: transport.adoc#onion-service-key). */
  public dev.sotto.node.tor.OnionKey onionKey() {
    return dev.sotto.node.tor.OnionKey.of(seed);
  }

  /** Links open at the server now. */
  public int openLinks() {
    return server == null ? 0 : server.openLinks();
  }

  public Server server() {
    return server;
  }

  /**
   * The server's and the mailbox's counters, by name (spec: transport.adoc#mailbox-policy): what was
   * refused, evicted, timed out; and this node's group fetches, openings and refusals ({@code group_*}).
   */
  public Map<String, Long> serving() {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    if (server != null) {
      m.putAll(server.counters());
    }
    m.putAll(core.mailbox().counters());
    m.putAll(core.backups().counters());
    m.putAll(core.requestCounters());
    m.putAll(groups.counters());
    m.put("droppedAnswersSent", deliveries.told.get());
    m.put("droppedAnswersNotTaken", deliveries.notTold.get());
    return m;
  }

  /**
   * The worker: the node's own work (prekey maintenance, first contacts, sealing, expiry,
   * retention) in turn, on this thread; the network work (publishing, fetching prekeys,
   * delivering, fetching) handed to {@link Outbound} as jobs, one per destination, so that no
   * address, however slow, holds up the others or this loop.
   */
  private void loop() {
    long nextFetch = System.nanoTime();
    long nextExpire = nextFetch;
    while (running) {
      // Each stage on its own: a busy store or a failing contact in one does not stop the others.
      attempt("prekey maintenance", () -> maintain(false));
      attempt("publishing prekeys", this::dispatchPublications);
      if (!stopped()) {
        attempt("first contacts", core.firstContacts()::retry);
      }
      attempt("fetching contacts' prekeys", this::dispatchWantedPrekeys);
      attempt("backups", this::backupTurn);
      if (!stopped()) { // a device superseded by a newer restore sends nothing more (spec: backup.adoc#backup-generations)
        attempt("asking for gaps", core::askForGaps);
        attempt("sealing", core::sealPending);
        attempt("delivery", deliveries::dispatch);
      }
      attempt("answering dropped requests", this::dispatchTells);
      long now = System.nanoTime();
      attempt("group deposits", this::dispatchGroups);
      if (steady == null && now - nextFetch >= 0) { // else the fetch clock does it (SteadyFetch)
        attempt("fetching", fetcher::dispatch);
        attempt("fetching groups", () -> {
          if (!outbound.busy("group-fetch:all")) {
            outbound.submit("group-fetch:all", Outbound.Lane.UNPROVEN, groups::fetch);
          }
        });
        nextFetch = now + options.fetchInterval().toNanos();
      }
      if (now - nextExpire >= 0) {
        attempt("expiry", core::expire);
        // Also when it is not due: another process of this home may have changed the settings.
        attempt("prekey maintenance", () -> maintain(true));
        if (core.takeResponderRewritten()) {
          checkpointOwed = true; // deleted private prekeys must not stay in the write-ahead log
        }
        attempt("retention", this::applyRetention);
        nextExpire = now + Duration.ofMinutes(1).toNanos();
      }
      writeStatus(false);
      try {
        // Woken at once when this process queues a message; other processes' queues are seen
        // on the next tick.
        if (wake.tryAcquire(options.tick().toMillis(), TimeUnit.MILLISECONDS)) {
          wake.drainPermits();
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Queues the job that deposits the group messages waiting, unless it is queued or running. */
  private void dispatchGroups() throws StoreException, SottoException {
    if (!outbound.busy("group-deposit:all")) {
      outbound.submit("group-deposit:all", Outbound.Lane.UNPROVEN, groups::deposit);
    }
  }

  private long nextBackupCheck = System.nanoTime();
  private long nextBackupTurn = System.nanoTime();

  /** This node's backups ('sotto backup', 'sotto restore', 'sotto init --recover', 'sotto config --backup'). */
  public Backups backups() {
    return backups;
  }

  /** What {@link #finishRestore} did: publications left, resets asked for, the claim (null: none made), and why not. */
  public record RestoreFinished(int unpublished, int resets, Backups.Written claim, String claimFailure) {}

  /**
   * After a restore (spec: backup.adoc#backup-after-restore): publishes the fresh prekeys, then, once
   * they are all taken, asks for a reset with every contact (else the running node asks once they
   * are), and writes a backup at once to the mailboxes, the claim that supersedes older devices.
   */
  public RestoreFinished finishRestore(Backups.Progress progress) throws StoreException, SottoException {
    int left = publishPrekeys();
    int resets = left == 0 ? backups.askResets() : 0;
    Backups.Written claim = null;
    String failure = null;
    if (!config.mailboxes().isEmpty()) {
      try {
        claim = backups.backup(true, null, progress);
      } catch (Backups.Failed e) {
        failure = e.getMessage();
      }
    }
    wake.release();
    return new RestoreFinished(left, resets, claim, failure);
  }

  private boolean stopped() {
    try {
      return backups.stopped();
    } catch (StoreException | SottoException e) {
      return false; // the store's failure shows in the stages that use it
    }
  }

  /**
   * The backups' turn: after a restore, once the fresh prekeys are published, asks for the resets
   * (spec: backup.adoc#backup-after-restore); every 10 minutes ({@link Options#backupCheck()}) reads
   * the heads at the mailboxes (a device superseded stops); makes the daily backup when it is due. The network work runs on
   * {@link Outbound}.
   */
  private void backupTurn() throws StoreException, SottoException {
    if (System.nanoTime() - nextBackupTurn < 0) {
      return;
    }
    nextBackupTurn = System.nanoTime() + Duration.ofSeconds(1).toNanos(); // a few reads of the store, once a second
    if (backups.restorePending() && toPublish.isEmpty()) {
      int asked = backups.askResets();
      log.log(System.Logger.Level.INFO, "restored from a backup: " + asked + " session resets asked for");
      wake.release();
    }
    if (System.nanoTime() - nextBackupCheck >= 0 && backups.writer().isPresent()) {
      nextBackupCheck = System.nanoTime() + options.backupCheck().toNanos();
      outbound.submit("backup-check:", Outbound.Lane.UNPROVEN, () -> {
        if (backups.checkSuperseded()) {
          log.log(System.Logger.Level.WARNING, "this identity was restored on another device: this node stops sending");
        }
      });
    }
    if (!outbound.busy("backup:") && backups.due()) {
      outbound.submit("backup:", Outbound.Lane.UNPROVEN, () -> {
        try {
          Backups.Written w = backups.backup(true, null, Backups.Progress.NONE);
          log.log(System.Logger.Level.INFO, "backup " + w.manifest().counter() + " stored at " + w.stored().size()
              + " of " + config.mailboxes().size() + " mailboxes (" + w.chunksUploaded() + " chunks uploaded)");
        } catch (Backups.Failed e) {
          status.work("backup", clock.millis(), e.getMessage());
        }
      });
    }
  }

  /** Queues the job that sends the DROPPED answers waiting, unless it is queued or running. */
  private void dispatchTells() throws StoreException, SottoException {
    if (!outbound.busy("tell") && !core.tells().isEmpty()) {
      outbound.submit("tell", Outbound.Lane.UNPROVEN, deliveries::tell);
    }
  }

  private interface Stage {
    void run() throws StoreException, SottoException;
  }

  /** Runs a stage; a failure is logged and shown in the status (once, until it changes), and tried again next tick. */
  private void attempt(String what, Stage stage) {
    try {
      stage.run();
      status.work(what, clock.millis(), null);
    } catch (StoreException | SottoException | RuntimeException e) {
      status.work(what, clock.millis(), LinkPool.reason(e));
    }
  }

  /** Writes the status to the store when it changed (or {@code always}); a failure is shown as one. */
  private void writeStatus(boolean always) {
    long now = clock.millis();
    NodeStatus.Snapshot snapshot = always ? status.snapshot(now) : status.due(now);
    if (snapshot == null) {
      return;
    }
    try {
      store.write(tx -> {
        tx.put(NodeStatus.KV, NodeStatus.encode(snapshot));
        return null;
      });
      status.written(now);
    } catch (StoreException | SottoException | RuntimeException e) {
      status.work("writing the status", now, LinkPool.reason(e));
      status.written(now); // tried again at the next change, or the next heartbeat
    }
  }

  /** Stops the peer (if started) and closes the store. */
  @Override
  public void close() {
    boolean wasRunning = running;
    running = false;
    if (steady != null) {
      steady.close();
    }
    if (cover != null) {
      cover.close();
    }
    if (torWatch != null) {
      torWatch.interrupt();
      try {
        torWatch.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (worker != null) {
      worker.interrupt();
      try {
        worker.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (server != null) {
      server.close();
    }
    links.close(); // the group links too: they are lanes of the pool
    outbound.close();
    closeTor();
    if (wasRunning) {
      status.stopped(clock.millis());
      writeStatus(true);
      log.log(System.Logger.Level.INFO, "node stopped");
    }
    store.close();
    if (fileLog != null) {
      fileLog.close();
    }
  }

  /** Ends Tor mode: the onion service goes with the control connection; a daemon of the node's own exits. */
  private void closeTor() {
    synchronized (torLock) {
      closeTorNow();
    }
  }

  private void closeTorNow() {
    if (torDaemon != null) {
      torDaemon.close();
    } else if (torControl != null) {
      try {
        torControl.close();
      } catch (IOException ignored) {
        // Tor removes the service when the connection goes, however it goes
      }
    }
    torDaemon = null;
    torControl = null;
  }

  // ---------------------------------------------------------------- address text

  /**
   * {@code peer:HOST:PORT:KEY} or {@code mailbox:HOST:PORT:KEY} (spec: transport.adoc#link-addresses);
   * for an onion address, HOST is its {@code .onion} name.
   */
  public static String addressText(Address address) {
    String kind = address.isPeer() ? "peer" : "mailbox";
    return kind + ":" + address.host() + ":" + address.port() + ":" + HexFormat.of().formatHex(address.linkKey());
  }

  /** Reads the text form of {@link #addressText}. */
  public static Address parseAddress(String text) {
    int first = text.indexOf(':');
    int last = text.lastIndexOf(':');
    int portSep = last > 0 ? text.lastIndexOf(':', last - 1) : -1;
    if (first <= 0 || portSep <= first) {
      throw new IllegalArgumentException("an address is peer|mailbox:HOST:PORT:KEY");
    }
    String kind = text.substring(0, first);
    String host = text.substring(first + 1, portSep);
    int port;
    byte[] key;
    try {
      port = Integer.parseInt(text.substring(portSep + 1, last));
      key = HexFormat.of().parseHex(text.substring(last + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("an address is peer|mailbox:HOST:PORT:KEY (KEY: 64 hex digits)");
    }
    // A .onion name is an onion address (kinds 3 and 4), never a host to resolve: no DNS query leaks it.
    boolean onion = host.endsWith(".onion");
    return switch (kind) {
      case "peer" -> onion ? Address.onionPeer(host, port, key) : Address.peer(host, port, key);
      case "mailbox" -> onion ? Address.onionMailbox(host, port, key) : Address.mailbox(host, port, key);
      default -> throw new IllegalArgumentException("an address kind is 'peer' or 'mailbox'");
    };
  }
}
