package dev.sotto.node.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fail closed in Tor mode (spec: transport.adoc#node-tor-mode) holds only if every outgoing
 * connection of the node goes through the link pool's {@code Dialer}, which in Tor mode is Tor's
 * SOCKS port. A direct connection anywhere else (as the group fetches made once, before this test:
 * an onion mailbox was unreachable and a TCP one was dialled around Tor) would leak the node's
 * address. So this reads the node's sources and finds every place that opens a socket or a link:
 * only the dialers, the pool that calls them and the Tor control client may.
 */
class OnlyDialersConnectTest {
  private static final Pattern OPENS = Pattern.compile(
      "new Socket\\(|SocketChannel\\.open\\(|new Bootstrap\\(|LinkChannel\\.connect\\(|\\.connect\\(new InetSocketAddress");

  /** Where a socket may be opened, and why. */
  private static final Map<String, String> ALLOWED = Map.of(
      "dev/sotto/node/Dialer.java", "the direct dialer, used only when the node is not in Tor mode",
      "dev/sotto/node/LinkPool.java", "makes the socket that its dialer connects",
      "dev/sotto/node/tor/TorDialer.java", "connects to Tor's SOCKS port on loopback",
      "dev/sotto/node/tor/TorControl.java", "connects to Tor's control port on loopback",
      "dev/sotto/node/net/LinkChannel.java", "defines connect(), which no main code calls outside the pool");

  @Test
  void everyOutgoingConnectionGoesThroughTheDialer() throws IOException {
    Path root = Path.of("src/main/java");
    assertTrue(Files.isDirectory(root), "run from the node module: " + root.toAbsolutePath());
    Map<String, Integer> found = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String name = root.relativize(f).toString().replace('\\', '/');
        int n = 0;
        for (String line : Files.readAllLines(f)) {
          String code = line.strip();
          if (!code.startsWith("*") && !code.startsWith("//") && OPENS.matcher(code).find()) {
            n++;
          }
        }
        if (n > 0) {
          found.put(name, n);
        }
      }
    }
    List<String> outside = found.keySet().stream().filter(k -> !ALLOWED.containsKey(k)).toList();
    assertEquals(List.of(), outside, "sockets opened outside the dialers: " + found);
    assertTrue(found.containsKey("dev/sotto/node/tor/TorDialer.java"), "the check sees the dialers: " + found);
  }
}
