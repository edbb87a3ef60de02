package dev.sotto.node.tor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.node.HostPort;
import dev.sotto.testing.TestRandom;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SOCKS5 client against a scripted proxy on loopback: names go out unresolved (address type
 * 3), with the isolation credentials, and a refusal is an error naming its reason. Costs well
 * under a second.
 */
class Socks5Test {
  /** What the scripted proxy read: the username, the password, the address type, the name, the port. */
  record Seen(String user, String password, int type, String host, int port) {}

  /** A proxy that takes one connection, reads the exchange and answers {@code reply}. */
  static CompletableFuture<Seen> proxy(ServerSocket server, int reply) {
    return CompletableFuture.supplyAsync(() -> {
      try (Socket s = server.accept()) {
        s.setSoTimeout(5_000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        assertEquals(5, in.readUnsignedByte());
        int n = in.readUnsignedByte();
        byte[] methods = new byte[n];
        in.readFully(methods);
        assertArrayEquals(new byte[] {2}, methods, "only username and password is offered");
        out.write(new byte[] {5, 2});
        assertEquals(1, in.readUnsignedByte());
        byte[] user = new byte[in.readUnsignedByte()];
        in.readFully(user);
        byte[] password = new byte[in.readUnsignedByte()];
        in.readFully(password);
        out.write(new byte[] {1, 0});
        assertEquals(5, in.readUnsignedByte());
        assertEquals(1, in.readUnsignedByte());
        assertEquals(0, in.readUnsignedByte());
        int type = in.readUnsignedByte();
        byte[] host = new byte[type == 3 ? in.readUnsignedByte() : type == 1 ? 4 : 16];
        in.readFully(host);
        int port = in.readUnsignedShort();
        out.write(new byte[] {5, (byte) reply, 0, 1, 0, 0, 0, 0, 0, 0});
        out.flush();
        if (reply == 0) {
          out.write("through".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        return new Seen(new String(user, StandardCharsets.US_ASCII), new String(password, StandardCharsets.US_ASCII),
            type, new String(host, StandardCharsets.US_ASCII), port);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
  }

  @Test
  void onionAndTcpNamesGoToTheProxyUnresolvedWithOneCredentialPerAddress() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      TorDialer dialer = new TorDialer(new HostPort("127.0.0.1", server.getLocalPort()), TestRandom.deterministic(
          "socks".getBytes(StandardCharsets.US_ASCII)));
      Address onion = Address.onionPeer(Address.onionName(dev.sotto.internal.crypto.Ed25519.publicKey(new byte[32])),
          7400, dev.sotto.internal.crypto.X25519.publicKey(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
              16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}));
      Address tcp = Address.mailbox("mailbox.example.org", 7401, onion.linkKey());

      CompletableFuture<Seen> first = proxy(server, 0);
      try (Socket s = new Socket()) {
        dialer.dial(s, onion, 5_000);
        byte[] rest = new byte[7];
        new DataInputStream(s.getInputStream()).readFully(rest);
        assertEquals("through", new String(rest, StandardCharsets.US_ASCII), "the socket carries the stream after");
      }
      Seen a = first.get(5, TimeUnit.SECONDS);
      assertEquals(3, a.type(), "a name, not an address: nothing resolved here");
      assertEquals(onion.host(), a.host());
      assertEquals(7400, a.port());
      assertEquals(32, a.user().length());

      CompletableFuture<Seen> second = proxy(server, 0);
      try (Socket s = new Socket()) {
        dialer.dial(s, tcp, 5_000);
      }
      Seen b = second.get(5, TimeUnit.SECONDS);
      assertEquals(3, b.type());
      assertEquals("mailbox.example.org", b.host());
      assertNotEquals(a.user(), b.user(), "another destination, other credentials: another circuit");

      CompletableFuture<Seen> third = proxy(server, 0);
      try (Socket s = new Socket()) {
        dialer.dial(s, onion, 5_000);
      }
      assertEquals(a.user(), third.get(5, TimeUnit.SECONDS).user(), "one destination, one credential in a run");

      TorDialer nextRun = new TorDialer(new HostPort("127.0.0.1", server.getLocalPort()), TestRandom.deterministic(
          "socks, next run".getBytes(StandardCharsets.US_ASCII)));
      assertNotEquals(dialer.credential(onion), nextRun.credential(onion), "credentials link nothing across runs");
      assertNotEquals(dialer.credential(tcp), dialer.credential(tcp, "deposits/7"),
          "deposits for a contact: circuits apart from the link that carries this node's fetches");
      assertNotEquals(dialer.credential(tcp, "deposits/7"), dialer.credential(tcp, "deposits/8"), "and per contact");
    }
  }

  @Test
  void aRefusalNamesItsReason() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Seen> seen = proxy(server, 0xf0);
      try (Socket s = new Socket()) {
        s.connect(server.getLocalSocketAddress(), 5_000);
        IOException e = assertThrows(IOException.class,
            () -> Socks5.connect(s, "abc.onion", 7400, "user", "pass"));
        assertTrue(e.getMessage().contains("onion service descriptor not found"), e.getMessage());
      }
      seen.get(5, TimeUnit.SECONDS);
    }
  }
}
