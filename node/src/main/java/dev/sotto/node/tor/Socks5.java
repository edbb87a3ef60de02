package dev.sotto.node.tor;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The client side of SOCKS5 (RFC 1928) with username and password (RFC 1929), as much as a node
 * needs to open a stream through Tor: a CONNECT to a host name given unresolved (address type
 * 3), so that the name never reaches a DNS resolver here; the username and password are Tor's
 * isolation key ({@code IsolateSOCKSAuth}: streams with other credentials take other circuits).
 *
 * <p>Hand-written (60 lines) because the node's outbound links are blocking sockets; Netty's
 * SOCKS handler works on Netty channels only.
 */
public final class Socks5 {
  private Socks5() {}

  /**
   * Runs the SOCKS5 exchange on {@code socket}, already connected to the SOCKS port, for a
   * stream to {@code host:port}. Returns when the stream is open; the socket then carries it.
   *
   * @throws IOException when the proxy refuses (its reason in the message) or breaks the protocol
   */
  public static void connect(Socket socket, String host, int port, String user, String password) throws IOException {
    byte[] name = host.getBytes(StandardCharsets.US_ASCII);
    byte[] u = user.getBytes(StandardCharsets.US_ASCII);
    byte[] p = password.getBytes(StandardCharsets.US_ASCII);
    if (name.length < 1 || name.length > 255 || u.length < 1 || u.length > 255 || p.length < 1 || p.length > 255) {
      throw new IllegalArgumentException("a SOCKS5 host, user and password are 1 to 255 bytes each");
    }
    OutputStream out = socket.getOutputStream();
    DataInputStream in = new DataInputStream(socket.getInputStream());
    out.write(new byte[] {5, 1, 2}); // version 5, one method: username and password
    out.flush();
    if (in.readUnsignedByte() != 5 || in.readUnsignedByte() != 2) {
      throw new IOException("the SOCKS proxy does not take a username and password (Tor's IsolateSOCKSAuth)");
    }
    byte[] auth = new byte[3 + u.length + p.length];
    auth[0] = 1;
    auth[1] = (byte) u.length;
    System.arraycopy(u, 0, auth, 2, u.length);
    auth[2 + u.length] = (byte) p.length;
    System.arraycopy(p, 0, auth, 3 + u.length, p.length);
    out.write(auth);
    out.flush();
    if (in.readUnsignedByte() != 1 || in.readUnsignedByte() != 0) {
      throw new IOException("the SOCKS proxy refused the credentials");
    }
    byte[] request = new byte[7 + name.length];
    request[0] = 5; // version
    request[1] = 1; // CONNECT
    request[3] = 3; // a domain name, unresolved
    request[4] = (byte) name.length;
    System.arraycopy(name, 0, request, 5, name.length);
    request[5 + name.length] = (byte) (port >>> 8);
    request[6 + name.length] = (byte) port;
    out.write(request);
    out.flush();
    int version = in.readUnsignedByte();
    int reply = in.readUnsignedByte();
    in.readUnsignedByte();
    int type = in.readUnsignedByte();
    if (version != 5) {
      throw new IOException("not a SOCKS5 reply");
    }
    if (reply != 0) {
      throw new IOException("Tor could not open a stream to " + host + ":" + port + ": " + reason(reply));
    }
    int skip = switch (type) {
      case 1 -> 4;
      case 4 -> 16;
      case 3 -> in.readUnsignedByte();
      default -> throw new IOException("SOCKS5 reply of address type " + type);
    };
    in.readFully(new byte[skip + 2]);
  }

  /** The reply codes of RFC 1928 section 6, and Tor's extended ones for onion services. */
  static String reason(int code) {
    return switch (code) {
      case 1 -> "general failure";
      case 2 -> "not allowed";
      case 3 -> "network unreachable";
      case 4 -> "host unreachable";
      case 5 -> "connection refused";
      case 6 -> "timed out";
      case 7 -> "command not supported";
      case 8 -> "address type not supported";
      case 0xf0 -> "onion service descriptor not found";
      case 0xf1 -> "onion service descriptor invalid";
      case 0xf2 -> "onion service introduction failed";
      case 0xf3 -> "onion service rendezvous failed";
      case 0xf6 -> "onion address invalid";
      default -> String.format("reply 0x%02x", code);
    };
  }
}
