package dev.sotto;

import dev.sotto.internal.encoding.Bytes;
import java.util.Arrays;

/**
 * A public prekey of a card: its 32-bit id, unique within the card, and its raw public key
 * (32 bytes for X25519, 1184 for ML-KEM-768).
 */
public final class Prekey {
  private final long id;
  private final byte[] publicKey;

  Prekey(long id, byte[] publicKey) {
    this.id = id;
    this.publicKey = publicKey.clone();
  }

  /** The id, 0 to 2^32 - 1. */
  public long id() {
    return id;
  }

  /** The raw public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  byte[] publicKeyView() {
    return publicKey;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Prekey that && id == that.id && Arrays.equals(publicKey, that.publicKey);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(id) * 31 + Arrays.hashCode(publicKey);
  }

  @Override
  public String toString() {
    return "Prekey[id=" + id + ", key=" + Bytes.hex(Arrays.copyOf(publicKey, 8)) + "...]";
  }
}
