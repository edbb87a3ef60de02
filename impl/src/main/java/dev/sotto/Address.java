package dev.sotto;

import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where a peer or its mailbox can be reached (spec: card.adoc#addresses). Kinds 1 (the peer
 * itself, over TCP) and 2 (a mailbox, over TCP) are defined: each names a host, a port and the
 * link key of the node that listens there, by which the link handshake authenticates that node
 * (spec: transport.adoc#link-addresses). An address of another kind is kept, signed and
 * re-encoded as it came, but not interpreted.
 */
public final class Address {
  /** The peer itself accepts connections here. */
  public static final int KIND_PEER_TCP = 0x01;
  /** A mailbox that holds envelopes for the peer accepts connections here. */
  public static final int KIND_MAILBOX_TCP = 0x02;

  static final int MAX_VALUE_LENGTH = 255;
  /** link_key (typed, 33 bytes) || port (2 bytes), before the host. */
  private static final int HOST_OFFSET = KeyCodec.X25519_ENCODED_LENGTH + 2;
  /** The largest host that fits a value of 255 bytes after the link key and the port. */
  static final int MAX_HOST_LENGTH = MAX_VALUE_LENGTH - HOST_OFFSET;

  private final int kind;
  private final byte[] value;
  private final byte[] linkKey;
  private final String host;
  private final int port;

  private Address(int kind, byte[] value, byte[] linkKey, String host, int port) {
    this.kind = kind;
    this.value = value;
    this.linkKey = linkKey;
    this.host = host;
    this.port = port;
  }

  /**
   * The peer itself at {@code host:port}, where a node holding the X25519 private key of
   * {@code linkKey} (32 raw bytes) listens.
   *
   * @throws IllegalArgumentException unless the host is 1 to 220 characters of
   *     {@code [0-9a-z.:-]}, the port 1 to 65535, and the link key a valid X25519 public key
   */
  public static Address peer(String host, int port, byte[] linkKey) {
    return tcp(KIND_PEER_TCP, host, port, linkKey);
  }

  /**
   * A mailbox for the peer at {@code host:port}, where a node holding the X25519 private key of
   * {@code linkKey} (32 raw bytes) listens.
   *
   * @throws IllegalArgumentException unless the host is 1 to 220 characters of
   *     {@code [0-9a-z.:-]}, the port 1 to 65535, and the link key a valid X25519 public key
   */
  public static Address mailbox(String host, int port, byte[] linkKey) {
    return tcp(KIND_MAILBOX_TCP, host, port, linkKey);
  }

  /**
   * An address of any kind from its value bytes, as a card holds them (spec:
   * card.adoc#address-kinds): for kinds 1 and 2 the value is read by its kind's rules; a value of
   * another kind is kept as it is. This is how an issuer lists a kind this revision does not
   * define.
   *
   * @throws IllegalArgumentException unless the kind is 1 to 255 and the value 1 to 255 bytes
   *     that follow its kind's rules
   */
  public static Address of(int kind, byte[] value) {
    Objects.requireNonNull(value, "value");
    if (kind < 1 || kind > 0xff) {
      throw new IllegalArgumentException("address kind " + kind + " is not 1..255");
    }
    if (value.length < 1 || value.length > 0xff) {
      throw new IllegalArgumentException("an address value is 1..255 bytes, not " + value.length);
    }
    byte[] encoded = new Writer().u8(kind).u8(value.length).bytes(value).toByteArray();
    try {
      Reader in = new Reader(encoded, "address");
      Address address = read(in, 0);
      in.end();
      return address;
    } catch (SottoException e) {
      throw new IllegalArgumentException("invalid address: " + e.getMessage(), e);
    }
  }

  private static Address tcp(int kind, String host, int port, byte[] linkKey) {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(linkKey, "linkKey");
    if (linkKey.length != X25519.PUBLIC_KEY_LENGTH) {
      throw new IllegalArgumentException("a link key is " + X25519.PUBLIC_KEY_LENGTH + " bytes, not " + linkKey.length);
    }
    if (port < 1 || port > 0xffff) {
      throw new IllegalArgumentException("port " + port + " is not 1..65535");
    }
    byte[] hostBytes = host.getBytes(StandardCharsets.US_ASCII);
    if (hostBytes.length > MAX_HOST_LENGTH) {
      throw new IllegalArgumentException("host of " + hostBytes.length + " characters, at most " + MAX_HOST_LENGTH);
    }
    // Built as a reader would see it, and read back, so that the factory and the reader apply one set of rules.
    byte[] value = new Writer().bytes(KeyCodec.x25519(linkKey)).u16(port).bytes(hostBytes).toByteArray();
    byte[] encoded = new Writer().u8(kind).u8(value.length).bytes(value).toByteArray();
    try {
      return read(new Reader(encoded, "address"), 0);
    } catch (SottoException e) {
      throw new IllegalArgumentException("invalid address: " + e.getMessage(), e);
    }
  }

  /** Reads kind || length || value (spec: card.adoc#addresses). */
  static Address read(Reader in, int index) throws SottoException {
    String field = "addresses[" + index + "]";
    int start = in.position();
    int kind = in.u8(field + ".kind");
    if (kind == 0) {
      throw in.invalid(field + ".kind", start, "address kind 0 is reserved");
    }
    int lengthOffset = in.position();
    int length = in.u8(field + ".length");
    if (length == 0) {
      throw in.invalid(field + ".length", lengthOffset, "address value must not be empty");
    }
    if ((kind != KIND_PEER_TCP && kind != KIND_MAILBOX_TCP) || in.remaining() < length) {
      // An undefined kind is kept as it came; a value cut short is TRUNCATED here, before any rule of its kind.
      return new Address(kind, in.bytes(length, field + ".value"), null, null, 0);
    }
    return readTcp(in, kind, length, field);
  }

  /**
   * Reads the value of a kind 1 or 2 address, whole bytes of which are known to be there:
   * link_key || port || host (spec: card.adoc#address-kinds).
   */
  private static Address readTcp(Reader in, int kind, int length, String field) throws SottoException {
    int valueOffset = in.position();
    if (length <= HOST_OFFSET) {
      throw in.invalid(field + ".value", valueOffset,
          "a TCP address is a link key, a port and a host of 1.." + MAX_HOST_LENGTH + " bytes; " + length + " bytes");
    }
    byte[] linkKey = KeyCodec.readX25519(in, field + ".link_key");
    int portOffset = in.position();
    int port = in.u16(field + ".port");
    if (port == 0) {
      throw in.invalid(field + ".port", portOffset, "port 0");
    }
    int hostOffset = in.position();
    byte[] hostBytes = in.bytes(length - HOST_OFFSET, field + ".host");
    for (int i = 0; i < hostBytes.length; i++) {
      int c = hostBytes[i] & 0xff;
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == ':' || c == '-';
      if (!ok) {
        throw in.invalid(field + ".host", hostOffset + i, String.format("byte 0x%02x not allowed in a host", c));
      }
    }
    byte[] value = new Writer().bytes(KeyCodec.x25519(linkKey)).u16(port).bytes(hostBytes).toByteArray();
    return new Address(kind, value, linkKey, new String(hostBytes, StandardCharsets.US_ASCII), port);
  }

  void write(Writer out) {
    out.u8(kind).u8(value.length).bytes(value);
  }

  public int kind() {
    return kind;
  }

  /**
   * Whether this implementation knows the kind (1 or 2); only then are {@link #host()},
   * {@link #port()} and {@link #linkKey()} set.
   */
  public boolean isTcp() {
    return host != null;
  }

  /** The host, for kinds 1 and 2; null otherwise. */
  public String host() {
    return host;
  }

  /** The port, for kinds 1 and 2; 0 otherwise. */
  public int port() {
    return port;
  }

  /**
   * The link key of the node that listens at this address: the 32 raw bytes of its X25519 public
   * key, without the type byte, for kinds 1 and 2; null otherwise.
   */
  public byte[] linkKey() {
    return linkKey == null ? null : linkKey.clone();
  }

  /** The encoded value as it stands in the card. */
  public byte[] value() {
    return value.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Address that && kind == that.kind && Arrays.equals(value, that.value);
  }

  @Override
  public int hashCode() {
    return kind * 31 + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case KIND_PEER_TCP -> "peer " + host + ":" + port;
      case KIND_MAILBOX_TCP -> "mailbox " + host + ":" + port;
      default -> "address of kind " + kind + " (" + value.length + " bytes)";
    };
  }
}
