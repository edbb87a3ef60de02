package dev.sotto;

import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.bouncycastle.crypto.digests.SHA3Digest;

/**
 * Where a peer or its mailbox can be reached (spec: card.adoc#addresses). Kinds 1 (the peer
 * itself, over TCP) and 2 (a mailbox, over TCP) name a host, a port and the link key of the node
 * that listens there, by which the link handshake authenticates that node (spec:
 * transport.adoc#link-addresses). Kinds 3 (the peer itself) and 4 (a mailbox) name a Tor onion
 * service (version 3) instead of a host (spec: card.adoc#onion-addresses). An address of another
 * kind is kept, signed and re-encoded as it came, but not interpreted.
 */
public final class Address {
  /** The peer itself accepts connections here. */
  public static final int KIND_PEER_TCP = 0x01;
  /** A mailbox that holds envelopes for the peer accepts connections here. */
  public static final int KIND_MAILBOX_TCP = 0x02;
  /** The peer itself is an onion service here (reached through Tor only). */
  public static final int KIND_PEER_ONION = 0x03;
  /** A mailbox for the peer is an onion service here (reached through Tor only). */
  public static final int KIND_MAILBOX_ONION = 0x04;

  /** An onion address's bytes: the service's Ed25519 public key, a 2-byte checksum, the version. */
  static final int ONION_LENGTH = 35;
  /** Tor's onion address version (rend-spec-v3, "Encoding onion addresses"). */
  static final int ONION_VERSION = 0x03;
  /** The value of an onion address: link key, port, onion bytes. */
  static final int ONION_VALUE_LENGTH = KeyCodec.X25519_ENCODED_LENGTH + 2 + ONION_LENGTH;
  private static final String ONION_SUFFIX = ".onion";
  private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

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
   * The peer itself at the onion service {@code onion} (56 base32 characters and {@code .onion},
   * any case), port {@code port}, where a node holding the X25519 private key of {@code linkKey}
   * (32 raw bytes) listens.
   *
   * @throws IllegalArgumentException unless the onion address is a valid version-3 one (its
   *     version byte, its checksum and its key: spec card.adoc#onion-addresses), the port 1 to
   *     65535 and the link key a valid X25519 public key
   */
  public static Address onionPeer(String onion, int port, byte[] linkKey) {
    return onion(KIND_PEER_ONION, onion, port, linkKey);
  }

  /**
   * A mailbox for the peer at the onion service {@code onion}, port {@code port}; as {@link
   * #onionPeer}.
   *
   * @throws IllegalArgumentException as {@link #onionPeer}
   */
  public static Address onionMailbox(String onion, int port, byte[] linkKey) {
    return onion(KIND_MAILBOX_ONION, onion, port, linkKey);
  }

  /**
   * The onion address ({@code 56 characters.onion}, lowercase) of the version-3 onion service
   * whose Ed25519 public key is {@code servicePublicKey} (32 bytes): base32 of the key, its
   * checksum and the version byte (spec: card.adoc#onion-addresses).
   *
   * @throws IllegalArgumentException unless the key is a valid Ed25519 public key of order l
   */
  public static String onionName(byte[] servicePublicKey) {
    Objects.requireNonNull(servicePublicKey, "servicePublicKey");
    if (!Ed25519.isValidPublicKey(servicePublicKey)) {
      throw new IllegalArgumentException("not a valid Ed25519 public key");
    }
    byte[] onion = new byte[ONION_LENGTH];
    System.arraycopy(servicePublicKey, 0, onion, 0, 32);
    byte[] sum = onionChecksum(servicePublicKey, ONION_VERSION);
    onion[32] = sum[0];
    onion[33] = sum[1];
    onion[34] = (byte) ONION_VERSION;
    return base32(onion) + ONION_SUFFIX;
  }

  /**
   * An address of any kind from its value bytes, as a card holds them (spec:
   * card.adoc#address-kinds): for kinds 1 to 4 the value is read by its kind's rules; a value of
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

  private static Address onion(int kind, String onion, int port, byte[] linkKey) {
    Objects.requireNonNull(onion, "onion");
    Objects.requireNonNull(linkKey, "linkKey");
    if (linkKey.length != X25519.PUBLIC_KEY_LENGTH) {
      throw new IllegalArgumentException("a link key is " + X25519.PUBLIC_KEY_LENGTH + " bytes, not " + linkKey.length);
    }
    if (port < 1 || port > 0xffff) {
      throw new IllegalArgumentException("port " + port + " is not 1..65535");
    }
    byte[] onionBytes = fromBase32(onion);
    byte[] value = new Writer().bytes(KeyCodec.x25519(linkKey)).u16(port).bytes(onionBytes).toByteArray();
    byte[] encoded = new Writer().u8(kind).u8(value.length).bytes(value).toByteArray();
    try {
      return read(new Reader(encoded, "address"), 0);
    } catch (SottoException e) {
      throw new IllegalArgumentException("invalid onion address: " + e.getMessage(), e);
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
    boolean tcp = kind == KIND_PEER_TCP || kind == KIND_MAILBOX_TCP;
    boolean onion = kind == KIND_PEER_ONION || kind == KIND_MAILBOX_ONION;
    if ((!tcp && !onion) || in.remaining() < length) {
      // An undefined kind is kept as it came; a value cut short is TRUNCATED here, before any rule of its kind.
      return new Address(kind, in.bytes(length, field + ".value"), null, null, 0);
    }
    return tcp ? readTcp(in, kind, length, field) : readOnion(in, kind, length, field);
  }

  /**
   * Reads the value of a kind 3 or 4 address, whole bytes of which are known to be there:
   * link_key || port || onion (spec: card.adoc#onion-addresses). The onion bytes are checked as
   * Tor checks an onion address (rend-spec-v3): the version byte, then the checksum, then the key.
   */
  private static Address readOnion(Reader in, int kind, int length, String field) throws SottoException {
    int valueOffset = in.position();
    if (length != ONION_VALUE_LENGTH) {
      throw in.invalid(field + ".value", valueOffset,
          "an onion address is a link key, a port and 35 onion bytes, " + ONION_VALUE_LENGTH + " bytes; " + length);
    }
    byte[] linkKey = KeyCodec.readX25519(in, field + ".link_key");
    int portOffset = in.position();
    int port = in.u16(field + ".port");
    if (port == 0) {
      throw in.invalid(field + ".port", portOffset, "port 0");
    }
    int onionOffset = in.position();
    byte[] onion = in.bytes(ONION_LENGTH, field + ".onion");
    if ((onion[34] & 0xff) != ONION_VERSION) {
      throw in.invalid(field + ".onion", onionOffset + 34,
          String.format("onion address version 0x%02x, not 0x03", onion[34] & 0xff));
    }
    byte[] key = Arrays.copyOf(onion, 32);
    byte[] sum = onionChecksum(key, ONION_VERSION);
    if (sum[0] != onion[32] || sum[1] != onion[33]) {
      throw in.invalid(field + ".onion", onionOffset + 32, "onion address checksum does not match its key");
    }
    if (!Ed25519.isValidPublicKey(key)) {
      throw new SottoException(ErrorCode.INVALID_KEY, field + ".onion: the onion service key is not a valid Ed25519 key");
    }
    byte[] value = new Writer().bytes(KeyCodec.x25519(linkKey)).u16(port).bytes(onion).toByteArray();
    return new Address(kind, value, linkKey, base32(onion) + ONION_SUFFIX, port);
  }

  /** SHA3-256(".onion checksum" || key || version), its first 2 bytes (rend-spec-v3). */
  private static byte[] onionChecksum(byte[] key, int version) {
    SHA3Digest sha3 = new SHA3Digest(256);
    byte[] prefix = ".onion checksum".getBytes(StandardCharsets.US_ASCII);
    sha3.update(prefix, 0, prefix.length);
    sha3.update(key, 0, key.length);
    sha3.update((byte) version);
    byte[] out = new byte[32];
    sha3.doFinal(out, 0);
    return Arrays.copyOf(out, 2);
  }

  /** RFC 4648 base32, lowercase, without padding (35 bytes give 56 characters). */
  private static String base32(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(BASE32.charAt((buffer >> (bits - 5)) & 31));
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(BASE32.charAt((buffer << (5 - bits)) & 31));
    }
    return out.toString();
  }

  /** The 35 bytes of an onion address given as text: 56 base32 characters, then {@code .onion}. */
  private static byte[] fromBase32(String onion) {
    String name = onion.toLowerCase(Locale.ROOT);
    if (name.endsWith(ONION_SUFFIX)) {
      name = name.substring(0, name.length() - ONION_SUFFIX.length());
    }
    if (name.length() != 56) {
      throw new IllegalArgumentException("an onion address (version 3) has 56 characters before .onion, not "
          + name.length());
    }
    byte[] out = new byte[ONION_LENGTH];
    int buffer = 0;
    int bits = 0;
    int n = 0;
    for (int i = 0; i < name.length(); i++) {
      int v = BASE32.indexOf(name.charAt(i));
      if (v < 0) {
        throw new IllegalArgumentException("character " + (i + 1) + " of the onion address is not base32");
      }
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out[n++] = (byte) (buffer >> (bits - 8));
        bits -= 8;
      }
    }
    return out;
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
   * Whether the kind is 1 or 2 (TCP); only then, or for {@link #isOnion()}, are {@link #host()},
   * {@link #port()} and {@link #linkKey()} set.
   */
  public boolean isTcp() {
    return host != null && (kind == KIND_PEER_TCP || kind == KIND_MAILBOX_TCP);
  }

  /** Whether the kind is 3 or 4 (an onion service, reached through Tor only). */
  public boolean isOnion() {
    return host != null && (kind == KIND_PEER_ONION || kind == KIND_MAILBOX_ONION);
  }

  /** Whether the address names the peer itself (kind 1 or 3). */
  public boolean isPeer() {
    return kind == KIND_PEER_TCP || kind == KIND_PEER_ONION;
  }

  /** Whether the address names a mailbox (kind 2 or 4). */
  public boolean isMailbox() {
    return kind == KIND_MAILBOX_TCP || kind == KIND_MAILBOX_ONION;
  }

  /**
   * The host, for kinds 1 and 2; the onion address ({@code 56 characters.onion}, lowercase) for
   * kinds 3 and 4; null otherwise.
   */
  public String host() {
    return host;
  }

  /** The port, for kinds 1 to 4; 0 otherwise. */
  public int port() {
    return port;
  }

  /**
   * The link key of the node that listens at this address: the 32 raw bytes of its X25519 public
   * key, without the type byte, for kinds 1 to 4; null otherwise.
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
      case KIND_PEER_ONION -> "peer onion " + host + ":" + port;
      case KIND_MAILBOX_ONION -> "mailbox onion " + host + ":" + port;
      default -> "address of kind " + kind + " (" + value.length + " bytes)";
    };
  }
}
