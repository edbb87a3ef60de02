package dev.sotto.node.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.HostPort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The installed Tor daemon (Debian's {@code tor}) accepts the node's ADD_ONION with its flood
 * settings (spec: transport.adoc#onion-dos): at most 8 streams per rendezvous circuit, the circuit
 * closed beyond, and the proof-of-work defence; the service is then among the control
 * connection's. Tor runs with its network off (nothing leaves the machine, no bootstrap), so this
 * costs about a second; like TorNetworkTest it fails, and never skips, where {@code tor} is missing.
 */
class TorDosSettingsTest {
  @TempDir Path dir;

  @Test
  void theInstalledTorAcceptsTheFloodSettings() throws Exception {
    Path include = dir.resolve("offline");
    Files.writeString(include, "DisableNetwork 1\n", StandardCharsets.UTF_8);
    Files.createDirectories(dir.resolve("data"));
    Files.setPosixFilePermissions(dir.resolve("data"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Path torrc = dir.resolve("torrc");
    Files.writeString(torrc, TorDaemon.torrc(dir, include.toString(), java.util.List.of()), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("defaults"), "", StandardCharsets.UTF_8);
    Process tor = new ProcessBuilder(TorDaemon.executable(), "-f", torrc.toString(), "--defaults-torrc",
        dir.resolve("defaults").toString()).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
    try {
      Path portFile = dir.resolve("control-port");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
        assertTrue(tor.isAlive() && System.nanoTime() < end, "tor did not open its control port: "
            + (Files.exists(dir.resolve("out")) ? Files.readString(dir.resolve("out")) : ""));
        Thread.sleep(50);
      }
      String line = Files.readString(portFile).strip();
      OnionKey key = OnionKey.of(IdentitySeed.generate(RandomSource.secure()));
      try (TorControl control = TorControl.open(HostPort.parse(line.substring(line.indexOf('=') + 1), 9051), 10_000)) {
        control.takeOwnership();
        String version = control.getInfo("version");
        String id = control.addOnion(key.torKeyBlob(), 7400, new HostPort("127.0.0.1", 9));
        assertEquals(key.onion(), id + ".onion");
        assertTrue(control.proofOfWork(), "Tor " + version + " refused the proof-of-work defence");
        assertTrue(String.join("\n", control.command("GETINFO onions/current")).contains(id));
        System.out.println("Tor " + version + ": ADD_ONION with MaxStreams=" + TorControl.MAX_STREAMS
            + ", MaxStreamsCloseCircuit and PoWDefensesEnabled=1 accepted");
      }
    } finally {
      tor.destroy();
      if (!tor.waitFor(10, TimeUnit.SECONDS)) {
        tor.destroyForcibly();
      }
    }
  }
}
