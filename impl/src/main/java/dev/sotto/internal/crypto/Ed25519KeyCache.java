package dev.sotto.internal.crypto;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Ed25519 public keys that passed {@link Ed25519#isValidPublicKey} lately, so that a responder
 * does not validate an initiator's identity key again at each first contact (the full check is a
 * scalar multiplication by the group order, about 50-70 microseconds).
 *
 * <p>The initiator chooses the key, so the cache is bounded: a least-recently-used map of at most
 * {@code capacity} keys. A flood of first contacts under distinct keys only evicts older entries;
 * the cache never holds more. It stores only the 32-byte encodings of keys that passed the full
 * check (the fact of their validity), never a key that failed it, and nothing secret.
 *
 * <p>A hit is faster than a miss: whoever can make a responder parse an identity (an initiator)
 * can tell, by timing, whether that key was validated by this responder among its last {@code
 * capacity} distinct keys. The key is public, and the cache is per responder.
 */
public final class Ed25519KeyCache {
  public static final int DEFAULT_CAPACITY = 1024;

  private final int capacity;
  private final LinkedHashMap<ByteBuffer, Boolean> valid;

  public Ed25519KeyCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
    this.valid = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Boolean> eldest) {
        return size() > Ed25519KeyCache.this.capacity;
      }
    };
  }

  /** {@link Ed25519#isValidPublicKey}, answered from the cache when the key passed it lately. */
  public boolean isValid(byte[] publicKey) {
    if (publicKey.length != Ed25519.PUBLIC_KEY_LENGTH) {
      return false;
    }
    ByteBuffer key = ByteBuffer.wrap(publicKey.clone());
    synchronized (this) {
      if (valid.get(key) != null) {
        return true;
      }
    }
    // Validated outside the lock: concurrent first contacts do not wait on each other.
    if (!Ed25519.isValidPublicKey(key.array())) {
      return false;
    }
    synchronized (this) {
      valid.put(key, Boolean.TRUE);
    }
    return true;
  }

  /** Whether {@code publicKey} is cached as valid now (tests; does not count as a use). */
  synchronized boolean contains(byte[] publicKey) {
    return valid.containsKey(ByteBuffer.wrap(publicKey));
  }

  public synchronized int size() {
    return valid.size();
  }

  public synchronized void clear() {
    valid.clear();
  }

  @Override
  public synchronized String toString() {
    return "Ed25519KeyCache[" + valid.size() + " of " + capacity + "]";
  }
}
