package dev.sotto;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The private halves of the prekeys of one issued card, by prekey id: X25519 private keys
 * (32 bytes) and ML-KEM-768 seeds (64 bytes). The responder of a first contact needs them;
 * nothing here is ever shown by {@link #toString()}.
 */
public final class PrekeySecrets {
  private final Map<Long, byte[]> x25519;
  private final Map<Long, byte[]> mlKem;

  private PrekeySecrets(Map<Long, byte[]> x25519, Map<Long, byte[]> mlKem) {
    this.x25519 = Collections.unmodifiableMap(x25519);
    this.mlKem = Collections.unmodifiableMap(mlKem);
  }

  static Builder builder() {
    return new Builder();
  }

  static final class Builder {
    private final Map<Long, byte[]> x25519 = new LinkedHashMap<>();
    private final Map<Long, byte[]> mlKem = new LinkedHashMap<>();

    void x25519(long id, byte[] privateKey) {
      x25519.put(id, privateKey.clone());
    }

    void mlKem(long id, byte[] seed) {
      mlKem.put(id, seed.clone());
    }

    PrekeySecrets build() {
      return new PrekeySecrets(x25519, mlKem);
    }
  }

  /** Whether a prekey with this id is held (of either kind). */
  public boolean holds(long id) {
    return x25519.containsKey(id) || mlKem.containsKey(id);
  }

  byte[] x25519Private(long id) {
    byte[] key = x25519.get(id);
    return key == null ? null : key.clone();
  }

  byte[] mlKemSeed(long id) {
    byte[] seed = mlKem.get(id);
    return seed == null ? null : seed.clone();
  }

  /** Clears every private key held, best effort (spec: security.adoc#zeroization). */
  public void destroy() {
    x25519.values().forEach(k -> Arrays.fill(k, (byte) 0));
    mlKem.values().forEach(k -> Arrays.fill(k, (byte) 0));
  }

  @Override
  public String toString() {
    return "PrekeySecrets[" + x25519.size() + " X25519, " + mlKem.size() + " ML-KEM, redacted]";
  }
}
