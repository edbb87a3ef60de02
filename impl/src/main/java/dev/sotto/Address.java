package dev.sotto;

import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where a peer or its mailbox can be reached (spec: card.adoc#addresses). Kinds 1 (the peer
 * itself, over TCP) and 2 (a mailbox, over TCP) are defined; an address of another kind is
 * kept, signed and re-encoded as it came, but not interpreted.
 */
public final class Address {
  /** The peer itself accepts connections here. */
  public static final int KIND_PEER_TCP = 0x01;
  /** A mailbox that holds envelopes for the peer accepts connections here. */
  public static final int KIND_MAILBOX_TCP = 0x02;

  static final int MAX_HOST_LENGTH = 253;
  static final int MAX_VALUE_LENGTH = 255;

  private final int kind;
  private final byte[] value;
  private final String host;
  private final int port;

  private Address(int kind, byte[] value, String host, int port) {
    this.kind = kind;
    this.value = value;
    this.host = host;
    this.port = port;
  }

  /** The peer itself at {@code host:port}. */
  public static Address peer(String host, int port) {
    return tcp(KIND_PEER_TCP, host, port);
  }

  /** A mailbox for the peer at {@code host:port}. */
  public static Address mailbox(String host, int port) {
    return tcp(KIND_MAILBOX_TCP, host, port);
  }

  private static Address tcp(int kind, String host, int port) {
    Objects.requireNonNull(host, "host");
    byte[] hostBytes = host.getBytes(StandardCharsets.US_ASCII);
    byte[] value = new Writer().u16(port).bytes(hostBytes).toByteArray();
    try {
      return fromValue(kind, value, new Reader(value, "address"), 0);
    } catch (SottoException e) {
      throw new IllegalArgumentException("invalid address: host must be 1.." + MAX_HOST_LENGTH
          + " characters of [0-9a-z.:-], port 1..65535", e);
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
    int valueOffset = in.position();
    byte[] value = in.bytes(length, field + ".value");
    return fromValue(kind, value, in, valueOffset);
  }

  private static Address fromValue(int kind, byte[] value, Reader context, int valueOffset) throws SottoException {
    if (kind != KIND_PEER_TCP && kind != KIND_MAILBOX_TCP) {
      return new Address(kind, value, null, 0);
    }
    if (value.length < 3 || value.length > 2 + MAX_HOST_LENGTH) {
      throw context.invalid("address.value", valueOffset, "a TCP address is a port and a host of 1.." + MAX_HOST_LENGTH + " bytes");
    }
    int port = ((value[0] & 0xff) << 8) | (value[1] & 0xff);
    if (port == 0) {
      throw context.invalid("address.port", valueOffset, "port 0");
    }
    for (int i = 2; i < value.length; i++) {
      int c = value[i] & 0xff;
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == ':' || c == '-';
      if (!ok) {
        throw context.invalid("address.host", valueOffset + i, String.format("byte 0x%02x not allowed in a host", c));
      }
    }
    String host = new String(value, 2, value.length - 2, StandardCharsets.US_ASCII);
    return new Address(kind, value, host, port);
  }

  void write(Writer out) {
    out.u8(kind).u8(value.length).bytes(value);
  }

  public int kind() {
    return kind;
  }

  /** Whether this implementation knows the kind (1 or 2); only then are {@link #host()} and {@link #port()} set. */
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
