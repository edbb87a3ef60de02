package dev.sotto;

/**
 * A cipher suite: the set of primitives a session uses. Its 16-bit id is on the wire and in
 * every transcript (spec: suite.adoc).
 */
public enum Suite {
  /** X25519, ML-KEM-768, Ed25519, ChaCha20-Poly1305, HKDF-SHA-256 / HMAC-SHA-256. */
  SOTTO_1(0x0001, "SOTTO-1");

  private final int id;
  private final String displayName;

  Suite(int id, String displayName) {
    this.id = id;
    this.displayName = displayName;
  }

  /** The 16-bit suite id of the wire formats. */
  public int id() {
    return id;
  }

  /** The suite's name as the specification writes it, e.g. {@code SOTTO-1}. */
  public String displayName() {
    return displayName;
  }
}
