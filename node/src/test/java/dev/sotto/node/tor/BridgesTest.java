package dev.sotto.node.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bridge lines (spec: transport.adoc#node-tor-mode): the forms bridges.torproject.org gives are
 * taken, and what would put anything else into the torrc (a second line, a comment, a host name to
 * look up, an unknown transport) is refused with the reason and without the line; the torrc the
 * node writes is one the installed Tor accepts ({@code tor --verify-config}). About a second.
 */
class BridgesTest {
  @TempDir Path dir;

  private static final String FP = "0123456789ABCDEF0123456789ABCDEF01234567";
  static final String OBFS4 = "obfs4 192.0.2.2:443 " + FP + " cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw iat-mode=0";
  static final String WEBTUNNEL = "webtunnel [2001:db8::2]:443 " + FP + " url=https://example.org/abcdef ver=0.0.1";
  static final String SNOWFLAKE = "snowflake 192.0.2.3:80 " + FP + " fingerprint=" + FP
      + " url=https://snowflake-broker.example.net/ fronts=cdn.example.com ice=stun:stun.example.net:3478"
      + " utls-imitate=hellorandomizedalpn";
  static final String PLAIN = "198.51.100.7:9001 " + FP;

  @Test
  void theFormsThatBridgeServicesGiveAreTaken() {
    for (String line : List.of(OBFS4, WEBTUNNEL, SNOWFLAKE, PLAIN, "meek_lite 192.0.2.18:80 " + FP + " url=https://x.example/",
        "[2001:db8::1]:443", "203.0.113.9:443")) {
      assertEquals(line, Bridges.check("  " + line.replace(" ", "   ") + " ", 1), line);
    }
    assertEquals("obfs4", Bridges.transport(OBFS4).orElseThrow());
    assertTrue(Bridges.transport(PLAIN).isEmpty());
    assertEquals("3 bridges (2 obfs4, 1 plain)", Bridges.summary(List.of(OBFS4, OBFS4, PLAIN)));
  }

  @Test
  void aLineThatWouldWriteAnythingElseIntoTheTorrcIsRefusedWithoutTheLine() {
    Map<String, String> refused = Map.of(
        "192.0.2.50:443 " + FP + "\nControlPort 0.0.0.0:9051", "one line of printable ASCII",
        "192.0.2.50:443 " + FP + " # a comment", "one line of printable ASCII",
        "obfs4 192.0.2.50:443 " + FP + " cert=\"x\"", "one line of printable ASCII",
        "obfs4 bridge.example.org:443 " + FP, "a host name is not taken",
        "obfs5 192.0.2.50:443 " + FP, "unknown transport",
        "192.0.2.50:70000 " + FP, "an IP address and port",
        "192.0.2.300:443", "an IP address and port",
        "192.0.2.50:443 0123", "40 hexadecimal digits",
        "192.0.2.50:443 " + FP + " cert=abc", "go with a transport",
        "obfs4 192.0.2.50:443 " + FP + " %include=/etc/passwd", "KEY=VALUE");
    refused.forEach((line, reason) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bridges.check(line, 3), line);
      assertTrue(e.getMessage().startsWith("bridge 3: ") && e.getMessage().contains(reason), e.getMessage());
      assertFalse(e.getMessage().contains("192.0.2.50") || e.getMessage().contains("example.org"),
          "the message names no part of the line: " + e.getMessage());
    });
    assertThrows(IllegalArgumentException.class, () -> Bridges.check("", 1));
    assertThrows(IllegalArgumentException.class, () -> Bridges.check("1.2.3.4:5 " + FP + " k=" + "v".repeat(3000), 1));
  }

  @Test
  void eachTransportGetsItsProgramAndAMissingOneIsNamedWithItsPackage() throws IOException {
    Path lyrebird = dir.resolve("lyrebird");
    Path snowflake = dir.resolve("snowflake-client");
    List<String> lines = Bridges.torrcLines(List.of(OBFS4, PLAIN, WEBTUNNEL, SNOWFLAKE, OBFS4),
        name -> name.equals("lyrebird") ? lyrebird : name.equals("snowflake-client") ? snowflake : null);
    assertEquals(List.of("UseBridges 1", "Bridge " + OBFS4, "Bridge " + PLAIN, "Bridge " + WEBTUNNEL, "Bridge " + SNOWFLAKE,
        "Bridge " + OBFS4, "ClientTransportPlugin obfs4,webtunnel exec " + lyrebird.toAbsolutePath(),
        "ClientTransportPlugin snowflake exec " + snowflake.toAbsolutePath()), lines);
    // obfs4proxy (Debian 12's package) carries obfs4 when lyrebird is not installed.
    Path obfs4proxy = dir.resolve("obfs4proxy");
    assertEquals("ClientTransportPlugin obfs4 exec " + obfs4proxy.toAbsolutePath(),
        Bridges.torrcLines(List.of(OBFS4), name -> name.equals("obfs4proxy") ? obfs4proxy : null).get(2));
    IOException missing = assertThrows(IOException.class, () -> Bridges.torrcLines(List.of(SNOWFLAKE), name -> null));
    assertTrue(missing.getMessage().contains("apt-get install snowflake-client"), missing.getMessage());
    assertEquals(List.of(), Bridges.torrcLines(List.of(), name -> null));
  }

  @Test
  void theInstalledTorAcceptsTheTorrcWithBridges() throws Exception {
    Path program = dir.resolve("lyrebird");
    Files.writeString(program, "#!/bin/sh\n", StandardCharsets.US_ASCII);
    program.toFile().setExecutable(true);
    Path tor = dir.resolve("tor");
    Files.createDirectories(tor.resolve("data"));
    String torrc = TorDaemon.torrc(tor, null, Bridges.torrcLines(List.of(OBFS4, PLAIN, WEBTUNNEL), name -> program));
    assertTrue(torrc.contains("\nUseBridges 1\nBridge " + OBFS4 + "\n"), torrc);
    Files.writeString(tor.resolve("torrc"), torrc, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(TorDaemon.executable(), "--verify-config", "-f", tor.resolve("torrc").toString())
        .redirectErrorStream(true).start(); // fails, not skips, where tor is not installed (.ci/run installs it)
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("Configuration was valid"), out);
  }
}
