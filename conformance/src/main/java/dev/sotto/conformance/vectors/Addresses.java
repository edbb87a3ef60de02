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
