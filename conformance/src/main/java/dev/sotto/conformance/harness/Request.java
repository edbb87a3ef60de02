package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sotto.internal.encoding.Bytes;

/**
 * The fields of one harness request, read strictly (spec: harness.adoc#harness-codes): a field
 * that is missing, of another JSON type, hex that is not lowercase or of odd length, or a number
 * out of its range is {@code BAD_REQUEST}. A missing byte field is never read as empty.
 */
final class Request {
  /** The largest time the harness carries: 9999-12-31T23:59:59Z (spec: conventions.adoc#times). */
  static final long MAX_TIME = 253_402_300_799L;

  private final JsonNode node;

  Request(JsonNode node) {
    this.node = node;
  }

  static Peer.Failure bad(String message) {
    return new Peer.Failure("BAD_REQUEST", message);
  }

  String op() throws Peer.Failure {
    return text("op");
  }

  String text(String field) throws Peer.Failure {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw bad("'" + field + "' must be a string");
    }
    return v.asText();
  }

  byte[] hex(String field) throws Peer.Failure {
    return hex(node.get(field), field);
  }

  /** A byte field that may be {@code null} (and then must be present as null). */
  byte[] hexOrNull(String field) throws Peer.Failure {
    JsonNode v = node.get(field);
    if (v != null && v.isNull()) {
      return null;
    }
    return hex(v, field);
  }

  static byte[] hex(JsonNode v, String field) throws Peer.Failure {
    if (v == null || !v.isTextual()) {
      throw bad("'" + field + "' must be a hex string");
    }
    String s = v.asText();
    if (s.length() % 2 != 0) {
      throw bad("'" + field + "' has an odd number of hex digits");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        throw bad("'" + field + "' is not lowercase hex (character " + i + ")");
      }
    }
    return Bytes.unhex(s);
  }

  long time(String field) throws Peer.Failure {
    return integer(field, 0, MAX_TIME);
  }

  long integer(String field, long min, long max) throws Peer.Failure {
    return integer(node.get(field), field, min, max);
  }

  static long integer(JsonNode v, String field, long min, long max) throws Peer.Failure {
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw bad("'" + field + "' must be an integer");
    }
    long value = v.asLong();
    if (value < min || value > max) {
      throw bad("'" + field + "' must be " + min + ".." + max);
    }
    return value;
  }

  /** The raw field, or null when absent. */
  JsonNode get(String field) {
    return node.get(field);
  }

  /** A list of byte strings. */
  java.util.List<byte[]> hexList(String field) throws Peer.Failure {
    java.util.List<byte[]> out = new java.util.ArrayList<>();
    for (JsonNode v : array(field)) {
      out.add(hex(v, field + "[]"));
    }
    return out;
  }

  /** A field that must be present: an object, or {@code null} (returned as null). */
  JsonNode objectOrNull(String field) throws Peer.Failure {
    JsonNode v = node.get(field);
    if (v == null || !(v.isNull() || v.isObject())) {
      throw bad("'" + field + "' must be an object or null");
    }
    return v.isNull() ? null : v;
  }

  /** A field that must be present: a string, or {@code null} (returned as null). */
  String textOrNull(String field) throws Peer.Failure {
    JsonNode v = node.get(field);
    if (v == null || !(v.isNull() || v.isTextual())) {
      throw bad("'" + field + "' must be a string or null");
    }
    return v.isNull() ? null : v.asText();
  }

  JsonNode array(String field) throws Peer.Failure {
    JsonNode v = node.get(field);
    if (v == null || !v.isArray()) {
      throw bad("'" + field + "' must be an array");
    }
    return v;
  }
}
