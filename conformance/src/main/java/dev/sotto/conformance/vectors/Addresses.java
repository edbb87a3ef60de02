package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import java.nio.charset.StandardCharsets;

/**
 * Addresses of kinds 1 and 2 as the vectors and the harness write them: {@code {kind, host, port,
 * link_key}}, the link key as the hex of its 32 raw bytes (spec: card.adoc#address-kinds).
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

  /** Reads {@code {kind, host, port, link_key}}; kind 1 is a peer, any other a mailbox. */
  public static Address fromJson(JsonNode a) {
    String host = a.path("host").asText();
    int port = a.path("port").asInt();
    byte[] linkKey = Bytes.unhex(a.path("link_key").asText());
    return a.path("kind").asInt() == Address.KIND_PEER_TCP
        ? Address.peer(host, port, linkKey)
        : Address.mailbox(host, port, linkKey);
  }

  /** Writes an address of kind 1 or 2 as {@code {kind, host, port, link_key}}. */
  public static ObjectNode toJson(Address a) {
    return Json.object().put("kind", a.kind()).put("host", a.host()).put("port", a.port())
        .put("link_key", Bytes.hex(a.linkKey()));
  }
}
