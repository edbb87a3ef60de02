package dev.sotto.node.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.HostPort;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control-port client against a scripted server that answers as Tor's control-spec says:
 * cookie authentication, GETINFO (quoted and data-block values), ADD_ONION's ServiceID, and an
 * error reply. The real daemon answers the same in TorNetworkTest. Costs well under a second.
 */
class TorControlTest {
  @TempDir
  Path dir;

  /** Serves one connection: each command line read is answered by the lines of {@code script}, in turn. */
  static CompletableFuture<List<String>> server(ServerSocket server, Map<String, String> script) {
    return CompletableFuture.supplyAsync(() -> {
      List<String> read = new ArrayList<>();
      try (Socket s = server.accept()) {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          read.add(line);
          String verb = line.split(" ")[0];
          String answer = script.getOrDefault(line, script.getOrDefault(verb, "510 Unrecognized command"));
          out.print(answer.replace("\n", "\r\n") + "\r\n");
          out.flush();
        }
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
      return read;
    });
  }

  @Test
  void authenticatesByCookieAndPublishesAnOnionService() throws Exception {
    byte[] cookie = new byte[32];
    cookie[0] = 0x42;
    Path file = dir.resolve("control_auth_cookie");
    Files.write(file, cookie);
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<List<String>> done = server(ss, Map.of(
          "PROTOCOLINFO", "250-PROTOCOLINFO 1\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"" + file
              + "\"\n250-VERSION Tor=\"0.4.9.11\"\n250 OK",
          "AUTHENTICATE " + HexFormat.of().formatHex(cookie), "250 OK",
          "GETINFO", "250-net/listeners/socks=\"127.0.0.1:9050\"\n250 OK",
          "GETINFO status/bootstrap-phase",
          "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"\n250 OK",
          "GETINFO config-text", "250+config-text=\nSocksPort 9050\n..dot\n.\n250 OK",
          "ADD_ONION", "250-ServiceID=abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx\n250 OK",
          "DEL_ONION", "552 Unknown Onion Service id"));
      try (TorControl c = TorControl.open(new HostPort("127.0.0.1", ss.getLocalPort()), 5_000)) {
        assertEquals("127.0.0.1:9050", c.getInfo("net/listeners/socks"));
        assertEquals(100, c.bootstrapProgress());
        assertEquals(List.of("config-text=", "SocksPort 9050", ".dot", "OK"), c.command("GETINFO config-text"));
        assertEquals("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx",
            c.addOnion("ED25519-V3:KEY", 7400, new HostPort("127.0.0.1", 40000)));
        IOException e = assertThrows(IOException.class, () -> c.delOnion("nope"));
        assertTrue(e.getMessage().contains("552"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.command("GETINFO x\r\nSIGNAL HALT"));
      }
      List<String> read = done.get(5, TimeUnit.SECONDS);
      assertEquals("ADD_ONION ED25519-V3:KEY Flags=DiscardPK,MaxStreamsCloseCircuit MaxStreams=8"
          + " PoWDefensesEnabled=1 Port=7400,127.0.0.1:40000", read.get(5));
    }
  }

  /** A Tor before 0.4.8 does not know the proof-of-work defence: the service is published without it, and the node knows. */
  @Test
  void aTorWithoutProofOfWorkPublishesWithoutIt() throws Exception {
    String pow = "ADD_ONION ED25519-V3:KEY Flags=DiscardPK,MaxStreamsCloseCircuit MaxStreams=8 PoWDefensesEnabled=1"
        + " Port=7400,127.0.0.1:40000";
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<List<String>> done = server(ss, Map.of(
          "PROTOCOLINFO", "250-PROTOCOLINFO 1\n250-AUTH METHODS=NULL\n250 OK",
          "AUTHENTICATE", "250 OK",
          pow, "512 Bad arguments to ADD_ONION: Unrecognized keyword argument \"PoWDefensesEnabled\"",
          "ADD_ONION", "250-ServiceID=abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx\n250 OK"));
      try (TorControl c = TorControl.open(new HostPort("127.0.0.1", ss.getLocalPort()), 5_000)) {
        assertEquals("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx",
            c.addOnion("ED25519-V3:KEY", 7400, new HostPort("127.0.0.1", 40000)));
        assertEquals(false, c.proofOfWork());
      }
      List<String> read = done.get(5, TimeUnit.SECONDS);
      assertEquals(List.of(pow, "ADD_ONION ED25519-V3:KEY Flags=DiscardPK,MaxStreamsCloseCircuit MaxStreams=8"
          + " Port=7400,127.0.0.1:40000"), read.subList(2, 4));
    }
  }

  @Test
  void aPasswordOnlyControlPortIsRefusedWithTheReason() throws Exception {
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      server(ss, Map.of("PROTOCOLINFO", "250-PROTOCOLINFO 1\n250-AUTH METHODS=HASHEDPASSWORD\n250 OK"));
      IOException e = assertThrows(IOException.class,
          () -> TorControl.open(new HostPort("127.0.0.1", ss.getLocalPort()), 5_000));
      assertTrue(e.getMessage().contains("HASHEDPASSWORD"), e.getMessage());
    }
  }

  /**
   * A reply later than the timeout costs only its command: the next command first reads and drops
   * the late reply, then gets its own; a refusal (a whole multi-line reply) leaves the connection in
   * step; a connection Tor closes is no longer open.
   */
  @Test
  void aLateReplyIsDroppedAndTheConnectionStaysInStep() throws Exception {
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
        try (Socket s = ss.accept()) {
          BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
          PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
          for (String line = in.readLine(); line != null; line = in.readLine()) {
            String answer = switch (line) {
              case "PROTOCOLINFO 1" -> "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK";
              case "AUTHENTICATE" -> "250 OK";
              case "GETINFO slow" -> {
                Thread.sleep(600);
                yield "250+slow=\r\nfirst\r\n.\r\n250 OK";
              }
              case "GETINFO onions/current" -> "552-two lines\r\n552 No onion services";
              case "GETINFO version" -> "250-version=0.4.9.11\r\n250 OK";
              default -> null;
            };
            if (answer == null) {
              return; // "QUIT": Tor closes the connection
            }
            out.print(answer + "\r\n");
            out.flush();
          }
        } catch (IOException | InterruptedException e) {
          throw new RuntimeException(e);
        }
      });
      try (TorControl c = TorControl.open(new HostPort("127.0.0.1", ss.getLocalPort()), 200)) {
        assertThrows(java.net.SocketTimeoutException.class, () -> c.command("GETINFO slow"));
        assertTrue(c.isOpen());
        Thread.sleep(600);
        assertEquals("0.4.9.11", c.getInfo("version"), "the late reply is dropped, not taken for this one");
        TorControl.Refused r = assertThrows(TorControl.Refused.class, () -> c.command("GETINFO onions/current"));
        assertTrue(r.getMessage().contains("552 two lines"), r.getMessage());
        assertEquals("0.4.9.11", c.getInfo("version"), "the whole refusal was read");
        assertTrue(c.isOpen());
        assertThrows(IOException.class, () -> c.command("QUIT"));
        assertTrue(!c.isOpen(), "a connection Tor closed is not open");
        IOException closed = assertThrows(IOException.class, () -> c.getInfo("version"));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
      }
      done.get(5, TimeUnit.SECONDS);
    }
  }
}
