package dev.sotto.node.tor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private Tor network on loopback, written by its user (a test, {@code sotto demo --tor}) in Tor's testing-network mode
 * ({@code TestingTorNetwork 1}): three directory authorities (keys from {@code tor-gencert}) and
 * two relays, all relays (so five in the consensus, each a guard, an exit to 127.0.0.0/8 and an
 * onion service directory by the authorities' vote), voting every 10 seconds. It is ready when a
 * client Tor (the probe) has bootstrapped on it; if that takes longer than the timeout, the whole
 * network is made again once, on other ports. Every process is owned by the test JVM
 * ({@code __OwningControllerProcess}): none outlives it. A missing {@code tor} is a failure with a
 * clear message (a test fails on it, never skips).
 */
public final class PrivateTorNetwork implements AutoCloseable {
  static final int AUTHORITIES = 3;
  static final int RELAYS = 2;

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final Path clientInclude;
  private Duration bootstrap;
  private int attempts;

  private PrivateTorNetwork(Path dir) {
    this.dir = dir;
    this.clientInclude = dir.resolve("client.torrc");
  }

  /** Throws, saying what to do, unless {@code tor} and {@code tor-gencert} run here. */
  public static void requireTor() throws IOException {
    for (String tool : new String[] {"tor", "tor-gencert"}) {
      try {
        Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (IOException e) {
        throw new IOException("'" + tool + "' is not installed, and a private Tor network needs it: install Debian's"
            + " 'tor' package (apt-get install tor; .ci/run installs it before the build). " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  /** Starts a network in {@code dir} and waits until a client bootstraps on it, with one retry. */
  public static PrivateTorNetwork start(Path dir, Duration timeout) throws IOException, InterruptedException {
    requireTor();
    IOException first = null;
    for (int attempt = 1; attempt <= 2; attempt++) {
      PrivateTorNetwork net = new PrivateTorNetwork(dir.resolve("attempt-" + attempt));
      long started = System.nanoTime();
      try {
        net.launch();
        try (TorDaemon probe = TorDaemon.start(net.dir.resolve("probe"), net.clientInclude.toString(), timeout)) {
          net.bootstrap = Duration.ofNanos(System.nanoTime() - started);
          net.attempts = attempt;
          return net;
        }
      } catch (InterruptedException | RuntimeException e) {
        net.close();
        throw e;
      } catch (IOException e) {
        net.close();
        if (first != null) {
          e.addSuppressed(first);
          throw new IOException("the private Tor network did not bootstrap twice in " + timeout.toSeconds()
              + " s: " + e.getMessage(), e);
        }
        first = e;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  /** How long the network took from its first process to a bootstrapped client, in the attempt that worked. */
  public Duration bootstrap() {
    return bootstrap;
  }

  public int attempts() {
    return attempts;
  }

  /** The torrc lines a client of this network needs (for a node's own daemon: {@code --tor-include}). */
  public Path clientInclude() {
    return clientInclude;
  }

  private void launch() throws IOException, InterruptedException {
    Files.createDirectories(dir);
    int n = AUTHORITIES + RELAYS;
    int[] orPorts = new int[n];
    int[] dirPorts = new int[n];
    for (int i = 0; i < n; i++) {
      orPorts[i] = freePort();
      dirPorts[i] = freePort();
    }
    StringBuilder authorities = new StringBuilder();
    for (int i = 0; i < AUTHORITIES; i++) {
      Path keys = Files.createDirectories(data(i).resolve("keys"));
      run(keys, List.of("tor-gencert", "--create-identity-key", "-m", "12", "-a", "127.0.0.1:" + dirPorts[i],
          "-i", "authority_identity_key", "-s", "authority_signing_key", "-c", "authority_certificate",
          "--passphrase-fd", "0"), "\n");
      String v3 = Files.readAllLines(keys.resolve("authority_certificate")).stream()
          .filter(l -> l.startsWith("fingerprint ")).findFirst().orElseThrow().substring(12).trim();
      String listed = run(dir, List.of("tor", "--list-fingerprint", "--DataDirectory", data(i).toString(),
          "--ORPort", String.valueOf(orPorts[i]), "--DirAuthority", "x orport=1 no-v2 v3ident="
              + "0".repeat(40) + " 127.0.0.1:1 " + "0".repeat(40)), "");
      String[] lines = listed.strip().split("\n");
      String fingerprint = lines[lines.length - 1].strip().split(" ", 2)[1].replace(" ", "");
      authorities.append("DirAuthority auth").append(i).append(" orport=").append(orPorts[i]).append(" no-v2 v3ident=")
          .append(v3).append(" 127.0.0.1:").append(dirPorts[i]).append(' ').append(fingerprint).append('\n');
    }
    String owner = "__OwningControllerProcess " + ProcessHandle.current().pid() + "\n";
    Files.writeString(clientInclude, "TestingTorNetwork 1\n" + authorities + "PathsNeededToBuildCircuits 0.67\n",
        StandardCharsets.UTF_8);
    String common = "TestingTorNetwork 1\n" + authorities + owner
        + "AssumeReachable 1\nPathsNeededToBuildCircuits 0.67\nTestingDirAuthVoteExit *\nTestingDirAuthVoteHSDir *\n"
        + "TestingDirAuthVoteGuard *\nTestingMinExitFlagThreshold 0\nV3AuthNIntervalsValid 2\n"
        + "ServerDNSDetectHijacking 0\nServerDNSTestAddresses\nServerDNSResolvConfFile /dev/null\n"
        + "ExitRelay 1\nExitPolicy accept 127.0.0.0/8:*\nExitPolicyRejectPrivate 0\nAddress 127.0.0.1\nSocksPort 0\n";
    for (int i = 0; i < n; i++) {
      boolean authority = i < AUTHORITIES;
      String name = (authority ? "auth" : "relay") + i;
      String torrc = common + "DataDirectory " + data(i) + "\nNickname " + name + "\nContactInfo " + name + "@test.invalid\n"
          + "ORPort " + orPorts[i] + "\nDirPort " + dirPorts[i] + "\nLog notice file " + data(i).resolve("notice.log") + "\n"
          + (authority ? "AuthoritativeDirectory 1\nV3AuthoritativeDirectory 1\n"
              + "TestingV3AuthInitialVotingInterval 10\nTestingV3AuthInitialVoteDelay 2\nTestingV3AuthInitialDistDelay 2\n"
              + "V3AuthVotingInterval 10\nV3AuthVoteDelay 2\nV3AuthDistDelay 2\n" : "");
      Path file = dir.resolve(name + ".torrc");
      Files.writeString(file, torrc, StandardCharsets.UTF_8);
      Files.createDirectories(data(i));
      Files.setPosixFilePermissions(data(i), PosixFilePermissions.fromString("rwx------"));
      processes.add(new ProcessBuilder("tor", "-f", file.toString(), "--defaults-torrc", "/dev/null")
          .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile()).start());
    }
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private Path data(int i) {
    return dir.resolve("data" + i);
  }

  /** Runs a tool to its end in {@code cwd}, {@code input} on its standard input; its output, or an IOException. */
  private static String run(Path cwd, List<String> command, String input) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(command.get(0) + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    processes.clear();
  }
}
