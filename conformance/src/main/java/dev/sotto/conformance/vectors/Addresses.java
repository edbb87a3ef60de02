package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import java.nio.charset.StandardCharsets;

/**
 * Addresses as the vectors and the harness write them: {@code {kind, host, port, link_key}} for
 * kinds 1 and 2, the link key as the hex of its 32 raw bytes, and {@code {kind, value}} for any
 * kind (spec: card.adoc#address-kinds, harness.adoc#harness-addresses).
 */
public final class Addresses {
  private Addresses() {}

  /**
   * The link key numbered {@code n}: the X25519 public key of the private key
   * SHA-256("link key " || n). It is fixed, and draws nothing from a vector's random source, so
   * that adding link keys to addresses left every other drawn value as it was.
   */
  public static byte[] linkKey(int n) {
    return X25519.publicKey(Hmac.hash(("link key " + n).getBytes(StandardCharsets.US_ASCII)));
  }

  /** A peer address with link key {@code n}. */
  static Address peer(String host, int port, int n) {
    return Address.peer(host, port, linkKey(n));
  }

  /** A mailbox address with link key {@code n}. */
  static Address mailbox(String host, int port, int n) {
    return Address.mailbox(host, port, linkKey(n));
  }

  /**
   * The onion service key numbered {@code n}: the Ed25519 public key of the private key
   * SHA-256("onion key " || n); fixed like {@link #linkKey}.
   */
  static byte[] onionKey(int n) {
    return dev.sotto.internal.crypto.Ed25519.publicKey(Hmac.hash(("onion key " + n).getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * The 35 bytes of an onion address (key || checksum || version), computed here from Tor's
   * rend-spec-v3 with SHA3-256 directly, not by the code under test.
   */
  static byte[] onionBytes(byte[] key, int version) {
    org.bouncycastle.crypto.digests.SHA3Digest sha3 = new org.bouncycastle.crypto.digests.SHA3Digest(256);
    byte[] prefix = ".onion checksum".getBytes(StandardCharsets.US_ASCII);
    sha3.update(prefix, 0, prefix.length);
    sha3.update(key, 0, key.length);
    sha3.update((byte) version);
    byte[] hash = new byte[32];
    sha3.doFinal(hash, 0);
    return Bytes.concat(key, new byte[] {hash[0], hash[1], (byte) version});
  }

  /** An onion address (kind 3 or 4) from its parts, through {@link Address#of}. */
  static Address onion(int kind, byte[] onion, int port, int n) {
    return Address.of(kind, Bytes.concat(new byte[] {0x02}, linkKey(n), new byte[] {(byte) (port >>> 8), (byte) port},
        onion));
  }

  /**
   * Reads {@code {kind, value}} (any kind, the value's bytes as a card holds them) or {@code {kind,
   * host, port, link_key}} (kinds 1 and 2).
   *
   * @throws IllegalArgumentException when the address breaks its kind's rules
   */
  public static Address fromJson(JsonNode a) {
    if (a.has("value")) {
      return Address.of(a.path("kind").asInt(), Bytes.unhex(a.path("value").asText()));
    }
    String host = a.path("host").asText();
    int port = a.path("port").asInt();
    byte[] linkKey = Bytes.unhex(a.path("link_key").asText());
    return a.path("kind").asInt() == Address.KIND_PEER_TCP
        ? Address.peer(host, port, linkKey)
        : Address.mailbox(host, port, linkKey);
  }

  /** Writes an address of kind 1 or 2 as {@code {kind, host, port, link_key}}, of another kind as {@code {kind, value}}. */
  public static ObjectNode toJson(Address a) {
    if (!a.isTcp()) {
      return Json.object().put("kind", a.kind()).put("value", Bytes.hex(a.value()));
    }
    return Json.object().put("kind", a.kind()).put("host", a.host()).put("port", a.port())
        .put("link_key", Bytes.hex(a.linkKey()));
  }
}
