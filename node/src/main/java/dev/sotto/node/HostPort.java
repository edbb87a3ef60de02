package dev.sotto.node;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * A host and a port: where a node listens, or an address it writes on its card. The host is what
 * a card may carry (spec: card.adoc#address-kinds): 1 to 220 characters of lower-case letters,
 * digits, '.', ':' and '-', so a DNS name, an IPv4 literal or an IPv6 literal without brackets.
 */
public record HostPort(String host, int port) {
  /** @throws IllegalArgumentException for a host a card cannot carry, or a port outside 1 to 65535 */
  public HostPort {
    checkHost(host);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("a port is 1 to 65535");
    }
  }

  /** @throws IllegalArgumentException unless {@code host} is one a card can carry */
  public static void checkHost(String host) {
    if (host == null || !host.matches("[0-9a-z.:-]{1,220}")) {
      throw new IllegalArgumentException("a host is 1 to 220 characters of lower-case letters, digits, '.', ':' and '-'");
    }
  }

  /**
   * Whether {@code host} is a loopback literal (127.0.0.0/8, {@code ::1}) or {@code localhost}:
   * decided from the text, no name resolved.
   */
  public static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("::1") || host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
  }

  /**
   * Reads {@code HOST[:PORT]}: {@code example.org}, {@code example.org:7401}, {@code 192.0.2.7:7401},
   * an IPv6 literal alone ({@code 2001:db8::7}) or in brackets with a port ({@code [2001:db8::7]:7401}).
   * Without a port, {@code defaultPort}.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static HostPort parse(String text, int defaultPort) {
    String host = text;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || (close + 1 < text.length() && text.charAt(close + 1) != ':')) {
        throw new IllegalArgumentException("'" + text + "' is not HOST[:PORT] ([IPV6]:PORT for an IPv6 address)");
      }
      host = text.substring(1, close);
      port = close + 1 < text.length() ? text.substring(close + 2) : null;
    } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
      host = text.substring(0, text.indexOf(':'));
      port = text.substring(text.indexOf(':') + 1);
    }
    int p = defaultPort;
    if (port != null) {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "': the port is not a number");
      }
    }
    return new HostPort(host, p);
  }

  /** The text {@link #parse} reads back: {@code host:port}, an IPv6 host in brackets. */
  public String text() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return text();
  }

  /**
   * Whether a contact on another machine cannot reach this host: an unspecified address
   * ({@code 0.0.0.0}, {@code ::}: a place to listen, not to connect to), a loopback one
   * ({@code 127.0.0.0/8}, {@code ::1}) or the name {@code localhost}. Only literals and that name
   * are judged; no name is looked up.
   */
  public boolean thisMachineOnly() {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    if (h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      String[] octets = h.split("\\.");
      return octets[0].equals("127") || h.matches("0+\\.0+\\.0+\\.0+");
    }
    if (h.indexOf(':') < 0) {
      return false; // a name: not looked up
    }
    try {
      // In brackets, an IPv6 literal is parsed and never looked up; one that does not parse throws.
      // An IPv4-mapped one (::ffff:127.0.0.1) comes back as the IPv4 address, judged the same.
      InetAddress a = InetAddress.getByName("[" + h + "]");
      return a.isAnyLocalAddress() || a.isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
