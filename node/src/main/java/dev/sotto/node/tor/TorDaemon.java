package dev.sotto.node.tor;

import dev.sotto.node.HostPort;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Tor daemon that the node starts for itself ({@code sotto run --tor} without given ports): a
 * torrc written into the home's {@code tor/} directory, SOCKS and control ports on loopback on
 * ports Tor picks, cookie authentication, and the node as its owning controller, so that the
 * daemon exits when the node does, even killed.
 */
public final class TorDaemon implements Closeable {
  private final Process process;
  private final TorControl control;
  private final HostPort socks;
  private final Path dir;

  private TorDaemon(Process process, TorControl control, HostPort socks, Path dir) {
    this.process = process;
    this.control = control;
    this.socks = socks;
    this.dir = dir;
  }

  /**
   * The torrc of a node's own daemon; {@code include}, when not null, a file of further lines;
   * {@code bridges}, the torrc lines of its bridges ({@link Bridges#torrcLines}), none for none.
   */
  static String torrc(Path dir, String include, List<String> bridges) {
    Path data = dir.resolve("data").toAbsolutePath();
    List<String> lines = new java.util.ArrayList<>(List.of(
        "# Written by sotto for its own Tor daemon; rewritten at every start.",
        "DataDirectory " + data,
        "SocksPort 127.0.0.1:auto IsolateSOCKSAuth",
        "ControlPort 127.0.0.1:auto",
        "ControlPortWriteToFile " + dir.resolve("control-port").toAbsolutePath(),
        "CookieAuthentication 1",
        "__OwningControllerProcess " + ProcessHandle.current().pid(),
        "Log notice file " + dir.resolve("notice.log").toAbsolutePath(),
        "SafeLogging 1",
        "ClientOnly 1"));
    lines.addAll(bridges);
    lines.add(include != null ? "%include " + Path.of(include).toAbsolutePath() : "");
    return String.join("\n", lines) + "\n";
  }

  /**
   * Starts {@code tor} with the torrc of {@link #torrc}, waits for its control port, takes
   * ownership of it, and waits until it has bootstrapped (100 %) or {@code timeout} passes.
   *
   * @throws IOException when {@code tor} is not installed, exits, or does not bootstrap in time
   *     (what its log says last is in the message)
   */
  public static TorDaemon start(Path dir, String include, Duration timeout) throws IOException {
    return start(dir, include, List.of(), timeout);
  }

  /**
   * As {@link #start(Path, String, Duration)}, entering Tor through {@code bridges} (checked lines,
   * {@link Bridges#check}); none: through Tor's public relays.
   *
   * @throws IOException also when a bridge's transport program is not installed
   */
  public static TorDaemon start(Path dir, String include, List<String> bridges, Duration timeout) throws IOException {
    List<String> bridgeLines = Bridges.torrcLines(bridges, Bridges::onPath);
    Files.createDirectories(dir.resolve("data"));
    try {
      Files.setPosixFilePermissions(dir.resolve("data"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: Tor checks the directory itself
    }
    Path torrc = dir.resolve("torrc");
    Path defaults = dir.resolve("torrc-defaults");
    Path portFile = dir.resolve("control-port");
    Files.deleteIfExists(portFile);
    Files.writeString(torrc, torrc(dir, include, bridgeLines), StandardCharsets.UTF_8);
    Files.writeString(defaults, "", StandardCharsets.UTF_8);
    Process process;
    try {
      process = new ProcessBuilder(executable(), "-f", torrc.toString(), "--defaults-torrc", defaults.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    } catch (IOException e) {
      throw new IOException("cannot start 'tor' (" + e.getMessage() + "): install Tor (Debian: apt-get install tor),"
          + " or give the ports of a running one with --tor-socks and --tor-control");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    TorControl control = null;
    try {
      while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
        waitOrFail(process, dir, deadline, "to open its control port");
      }
      String line = Files.readString(portFile).strip(); // PORT=127.0.0.1:NNNN
      HostPort at = HostPort.parse(line.substring(line.indexOf('=') + 1), 9051);
      control = TorControl.open(at, 10_000);
      control.takeOwnership();
      control.command("RESETCONF __OwningControllerProcess");
      while (control.bootstrapProgress() < 100) {
        waitOrFail(process, dir, deadline, "to bootstrap");
      }
      String listener = control.getInfo("net/listeners/socks").split(" ")[0].replace("\"", "");
      return new TorDaemon(process, control, HostPort.parse(listener, 9050), dir);
    } catch (IOException | RuntimeException e) {
      if (control != null) {
        control.close();
      }
      stop(process);
      throw e;
    }
  }

  private static void waitOrFail(Process process, Path dir, long deadline, String what) throws IOException {
    if (!process.isAlive()) {
      throw new IOException("tor exited (" + process.exitValue() + ") before it came " + what + ": " + lastLog(dir));
    }
    if (System.nanoTime() > deadline) {
      throw new IOException("tor took too long " + what + ": " + lastLog(dir));
    }
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** The last lines of the daemon's log, for an error message. */
  static String lastLog(Path dir) {
    for (String name : new String[] {"notice.log", "stdout.log"}) {
      try {
        List<String> lines = Files.readAllLines(dir.resolve(name));
        if (!lines.isEmpty()) {
          return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        }
      } catch (IOException ignored) {
        // try the next
      }
    }
    return "(no log)";
  }

  /** {@code tor} on the PATH, or where {@code $SOTTO_TOR} says. */
  static String executable() {
    String given = System.getenv("SOTTO_TOR");
    return given != null && !given.isBlank() ? given : "tor";
  }

  public HostPort socks() {
    return socks;
  }

  public TorControl control() {
    return control;
  }

  public Path dir() {
    return dir;
  }

  /** Whether the daemon's process is still running. */
  public boolean alive() {
    return process.isAlive();
  }

  /** Closes the owning control connection (Tor then exits) and waits for the process, killing it after 5 s. */
  @Override
  public void close() {
    try {
      control.close();
    } catch (IOException ignored) {
      // the process is stopped below either way
    }
    stop(process);
  }

  private static void stop(Process process) {
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
