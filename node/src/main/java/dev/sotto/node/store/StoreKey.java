package dev.sotto.node.store;

/**
 * The two keys of a node's store, derived from its identity seed by {@link Vault#storeKey}: an
 * encryption key that seals every column holding user data, and an index key that turns values
 * the store must look up (a contact's name, an envelope digest) into opaque HMACs.
 *
 * <p>Immutable; copies its bytes in and out; has no {@code equals} or {@code hashCode} and a
 * redacted {@link #toString()}. Clearing secrets in Java is best effort.
 */
public final class StoreKey {
  static final int LENGTH = 32;

  private final byte[] encryptionKey;
  private final byte[] indexKey;

  StoreKey(byte[] encryptionKey, byte[] indexKey) {
    if (encryptionKey.length != LENGTH || indexKey.length != LENGTH) {
      throw new IllegalArgumentException("store keys are " + LENGTH + " bytes each");
    }
    this.encryptionKey = encryptionKey.clone();
    this.indexKey = indexKey.clone();
  }

  /** A copy of the encryption key; the caller clears it. */
  byte[] encryptionKey() {
    return encryptionKey.clone();
  }

  /** A copy of the index key; the caller clears it. */
  byte[] indexKey() {
    return indexKey.clone();
  }

  @Override
  public String toString() {
    return "StoreKey[redacted]";
  }
}
