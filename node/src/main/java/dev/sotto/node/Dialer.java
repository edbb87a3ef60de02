package dev.sotto.node;

import dev.sotto.Address;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Opens the connection under a link: straight over TCP, or through Tor (spec:
 * transport.adoc#onion-transport). The link handshake then runs on the socket either way.
 */
public interface Dialer {
  /** Connects {@code socket} (new, unconnected) to {@code address} within {@code timeoutMillis}. */
  default void dial(Socket socket, Address address, int timeoutMillis) throws IOException {
    dial(socket, address, "", timeoutMillis);
  }

  /**
   * Connects {@code socket} to {@code address} for the link of {@code lane} ("" for the address's
   * own link); a dialer that isolates lanes puts each on circuits of its own.
   */
  void dial(Socket socket, Address address, String lane, int timeoutMillis) throws IOException;

  /** Whether links of different lanes are kept apart on the network (not over plain TCP: one IP address). */
  default boolean isolatesLanes() {
    return false;
  }

  /** Whether this dialer can reach {@code address} at all. */
  boolean reaches(Address address);

  /**
   * Plain TCP: addresses of kinds 1 and 2 only. A host that ends in {@code .onion} is refused
   * rather than resolved, so that no DNS query carries an onion name.
   */
  Dialer TCP = new Dialer() {
    @Override
    public void dial(Socket socket, Address address, String lane, int timeoutMillis) throws IOException {
      if (!reaches(address)) {
        throw new IOException(address.isOnion()
            ? "an onion address is reached through Tor only, and this node does not run in Tor mode ('sotto run --tor')"
            : "not an address this node reaches over TCP: " + address);
      }
      socket.connect(new InetSocketAddress(address.host(), address.port()), timeoutMillis);
    }

    @Override
    public boolean reaches(Address address) {
      return address.isTcp() && !address.host().endsWith(".onion");
    }
  };
}
