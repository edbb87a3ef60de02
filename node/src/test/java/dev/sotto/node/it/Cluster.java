package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sotto.Address;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.Node;
import dev.sotto.node.net.Server;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Tx;
import dev.sotto.node.store.Vault;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.sqlite.SQLiteConfig;

/**
 * Nodes in one directory, each run as its own JVM ({@link NodeProcess}) on loopback. Setup,
 * queuing and reading happen in the test JVM through {@link Node#open} beside the running
 * process (the store is SQLite in WAL mode). {@link #close} kills every process still running
 * and closes every handle.
 */
final class Cluster implements AutoCloseable {
  /** Cheap Argon2id parameters: the tests open each vault many times. */
  static final Vault.Params CHEAP = new Vault.Params(1024, 1, 1);
  static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  /** How long a node process may take to print READY (longer in Tor mode: its Tor daemon bootstraps first). */
  private volatile Duration readyTimeout = READY_TIMEOUT;
  private static final boolean VERBOSE = Boolean.getBoolean("sotto.it.verbose");
  private static final Random PORTS = new Random();

  private final Path dir;
  private final Map<String, Path> homes = new LinkedHashMap<>();
  private final Map<String, Running> running = new LinkedHashMap<>();
  private final Map<String, Node> handles = new LinkedHashMap<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final long born = System.nanoTime();
  private final StringBuffer log = new StringBuffer();

  Cluster(Path dir) {
    this.dir = dir;
  }

  /**
   * Notes a step with its time, to see where a slow or failed test spent its time: the notes go
   * into the message of a failed {@link #await}, and to stderr with {@code -Dsotto.it.verbose=true}.
   */
  /** Milliseconds since the cluster was made. */
  long elapsed() {
    return (System.nanoTime() - born) / 1_000_000;
  }

  void log(String what) {
    String line = String.format("[it %6d ms] %s%n", (System.nanoTime() - born) / 1_000_000, what);
    log.append(line);
    if (VERBOSE) {
      System.err.print(line);
    }
  }

  /** A node process and what it printed. */
  static final class Running {
    final String name;
    final Process process;
    final StringBuffer output = new StringBuffer();
    private final CompletableFuture<Integer> ready = new CompletableFuture<>();
    private final BlockingQueue<String> counters = new LinkedBlockingQueue<>();
    private volatile Duration readyTimeout = READY_TIMEOUT;

    private Running(String name, Process process) {
      this.name = name;
      this.process = process;
    }

    /** The port it listens on, once it printed READY; kills it if it does not in time. */
    int port() throws InterruptedException {
      try {
        return ready.get(readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("node " + name + " did not get ready: " + e + "\n" + output, e);
      }
    }

    /** The server's handshake counters now, asked on the process's standard input. */
    Server.Handshakes handshakes() throws IOException, InterruptedException {
      String[] f = ask("handshakes").split(" ");
      return new Server.Handshakes(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
          Long.parseLong(f[4]));
    }

    /** Every counter of the server and the mailbox now, by name ({@link Node#serving}). */
    Map<String, Long> counters() throws IOException, InterruptedException {
      return values(ask("counters"));
    }

    /** The heap in use after full collections ({@code heap}, bytes), the resident set ({@code rss}, KiB) and the links open. */
    Map<String, Long> memory() throws IOException, InterruptedException {
      return values(ask("memory"));
    }

    private static Map<String, Long> values(String line) {
      Map<String, Long> m = new LinkedHashMap<>();
      for (String field : line.split(" ")) {
        int eq = field.indexOf('=');
        if (eq > 0) {
          m.put(field.substring(0, eq), Long.parseLong(field.substring(eq + 1)));
        }
      }
      return m;
    }

    /** Writes a command on the process's standard input and returns the line it answers with. */
    private synchronized String ask(String command) throws IOException, InterruptedException {
      OutputStream in = process.getOutputStream();
      in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      String line = counters.poll(60, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("node " + name + " did not answer '" + command + "'\n" + output);
      }
      return line;
    }
  }

  /**
   * A free loopback port below Linux's usual ephemeral range (32768 and up), so that no
   * outgoing connection takes a stopped node's port as its source port before the node restarts.
   */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = 20_000 + PORTS.nextInt(12_000);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Creates a node named {@code name} on a fixed free loopback port, listing these mailboxes. */
  Path init(String name, List<Address> mailboxes) throws Exception {
    return init(name, freePort(), mailboxes);
  }

  /** Creates a node named {@code name} whose card gives 127.0.0.1:{@code port}, listing these mailboxes. */
  Path init(String name, int port, List<Address> mailboxes) throws Exception {
    Path home = dir.resolve(name);
    Node.init(home, IdentitySeed.generate(RandomSource.secure()), null, CHEAP,
        new Node.Config(name, "127.0.0.1", port, mailboxes), RandomSource.secure(), Clock.systemUTC());
    homes.put(name, home);
    return home;
  }

  /** Sets how long {@link Running#port} waits for READY from now on. */
  void readyTimeout(Duration timeout) {
    readyTimeout = timeout;
  }

  /**
   * Creates a node named {@code name} in Tor mode (spec: transport.adoc#node-tor-mode) on a free
   * loopback port, listing these mailboxes: its card gives its onion address, and its own Tor
   * daemon reads the torrc lines of {@code include} (a private network's).
   */
  Path initTor(String name, List<Address> mailboxes, Path include) throws Exception {
    Path home = dir.resolve(name);
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Node.Tor tor = new Node.Tor(dev.sotto.node.tor.OnionKey.of(seed).onion(), 7400, null, null, include.toString());
    Node.init(home, seed, null, CHEAP, new Node.Config(name, "127.0.0.1", freePort(), mailboxes, List.of(), tor, false),
        RandomSource.secure(), Clock.systemUTC());
    homes.put(name, home);
    return home;
  }

  Path home(String name) {
    Path home = homes.get(name);
    if (home == null) {
      throw new IllegalArgumentException("no node " + name);
    }
    return home;
  }

  /**
   * The node in the test JVM, not started: for adding contacts, queuing messages and reading.
   * One handle per node, kept until {@link #close}.
   */
  Node node(String name) throws Exception {
    Node node = handles.get(name);
    if (node == null) {
      node = Node.open(home(name), null, Node.Options.defaults());
      handles.put(name, node);
    }
    return node;
  }

  /**
   * Adds {@code to} as a contact of {@code from}, named by its node name, and {@code from} as a
   * contact of {@code to} quietly (as if they had exchanged cards), so that {@code from}'s first
   * contact comes in as a contact's, not as a request.
   */
  void introduce(String from, String to) throws Exception {
    // The prekeys come from the other node's store, as a mailbox that holds them would serve them.
    dev.sotto.node.InProcessPrekeys.connect(node(from), node(to));
    node(to).addContact(from, node(from).card().text(), false);
    node(from).addContact(to, node(to).card().text());
  }

  /** Queues messages "PREFIX1" .. "PREFIXn" from one node to a contact. */
  void send(String from, String to, String prefix, int count) throws Exception {
    send(from, to, prefix, 1, count);
  }

  /** Queues messages "PREFIXfirst" .. "PREFIXlast" from one node to a contact. */
  void send(String from, String to, String prefix, int first, int last) throws Exception {
    Node node = node(from);
    for (int i = first; i <= last; i++) {
      node.send(to, prefix + i);
    }
    log(from + " queued " + (last - first + 1) + " for " + to);
  }

  /**
   * Starts {@code NodeProcess HOME args...} and waits for its READY line.
   *
   * @throws IllegalStateException if a process of that name runs already
   */
  Running start(String name, String... args) throws Exception {
    Running r = spawn(name, args);
    log(name + " ready on port " + r.port());
    return r;
  }

  /** Starts {@code NodeProcess HOME args...} without waiting: {@link Running#port} waits. */
  Running spawn(String name, String... args) throws IOException {
    if (running.containsKey(name)) {
      throw new IllegalStateException(name + " runs already");
    }
    Path tmp = Files.createDirectories(dir.resolve("tmp-" + name));
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-XX:+UseSerialGC"));
    // More JVM options for every node, to look into one (-Dsotto.it.jvm="-Xlog:gc").
    String more = System.getProperty("sotto.it.jvm", "").trim();
    if (!more.isEmpty()) {
      command.addAll(List.of(more.split("\\s+")));
    }
    command.addAll(List.of("-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
        NodeProcess.class.getName(), home(name).toString()));
    command.addAll(List.of(args));
    Running r = new Running(name, new ProcessBuilder(command).redirectErrorStream(true).start());
    r.readyTimeout = readyTimeout;
    running.put(name, r);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(r.process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          r.output.append(line).append('\n');
          if (line.startsWith("READY ")) {
            r.ready.complete(Integer.parseInt(line.substring(6).trim()));
          } else if (line.startsWith("HANDSHAKES ") || line.startsWith("COUNTERS") || line.startsWith("MEMORY ")
              || line.startsWith("UNKNOWN ")) {
            r.counters.add(line);
          }
        }
      } catch (IOException | RuntimeException e) {
        // the process went away
      }
      r.ready.completeExceptionally(new IllegalStateException("exited before READY"));
    }, "output-" + name);
    reader.setDaemon(true);
    reader.start();
    return r;
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** The counters of a running node process. */
  Map<String, Long> counters(String name) throws IOException, InterruptedException {
    return running(name).counters();
  }

  Running running(String name) {
    Running r = running.get(name);
    if (r == null) {
      throw new IllegalStateException(name + " is not running");
    }
    return r;
  }

  /** SIGKILL: the node gets no chance to finish anything. */
  void kill(String name) throws InterruptedException {
    Running r = running.remove(name);
    if (r == null) {
      throw new IllegalStateException(name + " is not running");
    }
    r.process.destroyForcibly();
    if (!r.process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " survived SIGKILL");
    }
    log(name + " killed");
  }

  /** SIGTERM: the node closes through its shutdown hook. */
  void stop(String name) throws InterruptedException {
    Running r = running.remove(name);
    if (r == null) {
      throw new IllegalStateException(name + " is not running");
    }
    r.process.destroy();
    if (!r.process.waitFor(30, TimeUnit.SECONDS)) {
      r.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(name + " did not stop on SIGTERM\n" + r.output);
    }
    log(name + " stopped");
  }

  /** A read-only connection to a node's store file, closed with the cluster. */
  Connection database(String name) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    config.setBusyTimeout(Store.BUSY_TIMEOUT_MILLIS);
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + home(name).resolve(Store.FILE_NAME), config.toProperties());
    closeables.add(c);
    return c;
  }

  static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  /** The result of {@code PRAGMA integrity_check} on a node's store: "ok" for a sound file. */
  String integrityCheck(String name) throws SQLException {
    try (Connection c = database(name); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("PRAGMA integrity_check")) {
      StringBuilder out = new StringBuilder();
      while (r.next()) {
        out.append(out.length() == 0 ? "" : "\n").append(r.getString(1));
      }
      return out.toString();
    }
  }

  /**
   * How many messages from {@code from} the node {@code to} has delivered in order so far (its
   * next expected seq: the HELLO is seq 0), or 0 while it does not know the contact.
   */
  long inOrder(String to, String from) throws Exception {
    for (Tx.Contact c : node(to).contacts()) {
      if (c.name().equals(from)) {
        return c.nextInSeq();
      }
    }
    return 0;
  }

  /** Waits until {@code to} holds the HELLO and {@code count} messages from {@code from}, in order. */
  void awaitInOrder(String to, String from, long count, Duration timeout) throws Exception {
    await(timeout, to + " has " + count + " messages from " + from, () -> inOrder(to, from) >= count + 1);
    log(to + " has " + count + " messages from " + from);
  }

  /**
   * Checks that {@code to} holds exactly the HELLO (seq 0) and the messages "PREFIX1" ..
   * "PREFIXn" (seq 1 .. n) from {@code from}, each once, and nothing more; and that reading
   * them (which marks them read) gives them in seq order.
   */
  void assertDelivered(String to, String from, String prefix, int n) throws Exception {
    Node node = node(to);
    List<Node.Shown> incoming = node.conversation(from).stream().filter(Node.Shown::incoming).toList();
    assertEquals(n + 1, incoming.size(), "messages from " + from + " at " + to);
    int displaced = 0;
    for (int i = 0; i < incoming.size(); i++) {
      displaced += incoming.get(i).seq() == i ? 0 : 1;
    }
    log(to + " stored " + displaced + " of " + (n + 1) + " messages out of seq order");
    boolean[] seen = new boolean[n + 1];
    for (Node.Shown m : incoming) {
      int seq = Math.toIntExact(m.seq());
      assertFalse(seen[seq], "seq " + seq + " twice");
      seen[seq] = true;
      assertEquals(seq == 0 ? "" : prefix + seq, m.text(), "text of seq " + seq);
    }
    assertEquals(n + 1, inOrder(to, from), "next expected seq");
    assertEquals(n + 1, dev.sotto.node.store.Unseal.countMessages(home(to), from, true), "incoming rows in the store");
    List<Node.Shown> read = node.read().stream().filter(m -> m.contact().equals(from)).toList();
    assertEquals(n + 1, read.size(), "read() gives each message once");
    for (int i = 0; i <= n; i++) {
      assertEquals(i, read.get(i).seq(), "read() in seq order");
      assertEquals(i == 0 ? "" : prefix + i, read.get(i).text());
    }
  }

  /** Waits until the condition holds, polling, up to the timeout. */
  void await(Duration timeout, String what, Callable<Boolean> condition) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() - end > 0) {
        StringBuilder message = new StringBuilder(what + ": not within " + timeout + "\n" + log);
        for (Running r : running.values()) {
          message.append("--- output of ").append(r.name).append(r.process.isAlive() ? "" : " (exited)")
              .append(":\n").append(r.output);
        }
        throw new AssertionError(message.toString());
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    for (Running r : running.values()) {
      r.process.destroyForcibly();
    }
    for (Running r : running.values()) {
      try {
        r.process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    running.clear();
    for (Node n : handles.values()) {
      n.close();
    }
    handles.clear();
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing anyway
      }
    }
    closeables.clear();
  }
}
