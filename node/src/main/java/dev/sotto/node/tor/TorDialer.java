package dev.sotto.node.tor;

import dev.sotto.Address;
import dev.sotto.RandomSource;
import dev.sotto.node.Dialer;
import dev.sotto.node.HostPort;
import dev.sotto.node.Node;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Every link through Tor's SOCKS port (spec: transport.adoc#onion-transport): onion addresses
 * and TCP ones alike, each name handed to Tor unresolved, with no fallback to a direct
 * connection. Each destination address, and each lane of it, gets its own SOCKS credentials, a
 * keyed hash of the address and the lane under a key drawn when the node starts, so that with Tor's {@code IsolateSOCKSAuth}
 * the links to two contacts, or to a contact and a mailbox, never share a circuit, and the
 * credentials link nothing across runs.
 */
public final class TorDialer implements Dialer {
  private final HostPort socks;
  private final byte[] isolationKey;

  public TorDialer(HostPort socks, RandomSource random) {
    this.socks = socks;
    this.isolationKey = random.bytes(32);
  }

  @Override
  public void dial(Socket socket, Address address, String lane, int timeoutMillis) throws IOException {
    if (!reaches(address)) {
      throw new IOException("not an address Tor reaches: " + address);
    }
    socket.connect(new InetSocketAddress(socks.host(), socks.port()), timeoutMillis);
    int before = socket.getSoTimeout();
    socket.setSoTimeout(timeoutMillis);
    String credential = credential(address, lane);
    Socks5.connect(socket, address.host(), address.port(), credential, "sotto");
    socket.setSoTimeout(before);
  }

  @Override
  public boolean reaches(Address address) {
    return address.isOnion() || address.isTcp();
  }

  @Override
  public boolean isolatesLanes() {
    return true;
  }

  /** The SOCKS username for links to {@code address}: 32 hex digits, one per address and run. */
  String credential(Address address) {
    return credential(address, "");
  }

  /** The SOCKS username for the links of a lane of {@code address}: one per address, lane and run. */
  String credential(Address address, String lane) {
    byte[] mac = dev.sotto.internal.crypto.Hmac.sha256(isolationKey,
        (Node.addressText(address) + "#" + lane).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(mac, 0, 16);
  }
}
