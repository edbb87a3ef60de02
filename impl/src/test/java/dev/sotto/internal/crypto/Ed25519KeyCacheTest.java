package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.encoding.Bytes;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The responder's cache of validated Ed25519 identity keys: bounded under a flood of distinct
 * keys (least recently used evicted), and never holding a key that fails validation. About 0.5 s
 * (3,000 keys made and validated).
 */
class Ed25519KeyCacheTest {
  @Test
  void aFloodOfDistinctKeysNeverGrowsItPastItsCapacity() {
    Ed25519KeyCache cache = new Ed25519KeyCache(Ed25519KeyCache.DEFAULT_CAPACITY);
    SplittableRandom random = new SplittableRandom(19);
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < 3 * Ed25519KeyCache.DEFAULT_CAPACITY; i++) {
      byte[] priv = new byte[32];
      for (int j = 0; j < 32; j++) {
        priv[j] = (byte) random.nextInt(256);
      }
      byte[] key = Ed25519.publicKey(priv);
      keys.add(key);
      assertTrue(cache.isValid(key));
      assertTrue(cache.size() <= Ed25519KeyCache.DEFAULT_CAPACITY, "size " + cache.size());
      if (i == 10) {
        // Recently used keys stay: key 0 is used again here, key 1 is not.
        assertTrue(cache.isValid(keys.get(0)));
      }
    }
    assertEquals(Ed25519KeyCache.DEFAULT_CAPACITY, cache.size());
    assertTrue(cache.contains(keys.get(keys.size() - 1)), "the newest key is cached");
    assertFalse(cache.contains(keys.get(0)), "the oldest keys are evicted");
    // Least recently used first: with capacity 2, a key used again outlives one that was not.
    Ed25519KeyCache small = new Ed25519KeyCache(2);
    small.isValid(keys.get(0));
    small.isValid(keys.get(1));
    small.isValid(keys.get(0));
    small.isValid(keys.get(2));
    assertTrue(small.contains(keys.get(0)));
    assertFalse(small.contains(keys.get(1)));
    assertEquals(2, small.size());
    assertEquals("Ed25519KeyCache[2 of 2]", small.toString());
  }

  @Test
  void anInvalidKeyIsNeverCachedAsValid() {
    Ed25519KeyCache cache = new Ed25519KeyCache(4);
    List<byte[]> invalid = List.of(
        Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000"), // neutral: small order
        Bytes.unhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // order 2
        Bytes.unhex("0000000000000000000000000000000000000000000000000000000000000080"), // small order, x sign set
        Bytes.unhex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // y >= p: not canonical
        new byte[31], new byte[33]);
    for (byte[] key : invalid) {
      for (int attempt = 0; attempt < 2; attempt++) {
        assertFalse(cache.isValid(key), Bytes.hex(key));
        assertFalse(cache.contains(key), Bytes.hex(key));
      }
      assertFalse(Ed25519.isValidPublicKey(key), "the uncached check agrees: " + Bytes.hex(key));
    }
    assertEquals(0, cache.size());
    // A valid key is cached; its bytes changed afterwards by the caller do not change the entry.
    byte[] key = Ed25519.publicKey(new byte[32]);
    byte[] mine = key.clone();
    assertTrue(cache.isValid(mine));
    mine[0] ^= 1;
    assertTrue(cache.contains(key));
    assertEquals(Ed25519.isValidPublicKey(mine), cache.isValid(mine));
  }
}
