package dev.sotto.node.store;

import dev.sotto.RandomSource;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;

/**
 * Seals the store's columns and computes its row ids and lookup keys.
 *
 * <p>A sealed value is nonce[12] || ChaCha20-Poly1305(encryption key, nonce, aad, value), with a
 * fresh random nonce, and aad = ASCII(table) || 0x00 || ASCII(column) || 0x00 || the row's key
 * (its stored row id as a big-endian u64, or a meta entry's UTF-8 name): a value copied to
 * another row or column fails to open. A lookup key is HMAC-SHA-256(index key, ASCII(table) ||
 * 0x00 || ASCII(column) || 0x00 || value), so equal values in different columns do not show as
 * equal. A row id is the first 8 bytes of HMAC-SHA-256(index key, "rowid" || 0x00 ||
 * ASCII(table) || 0x00 || the row's stable key), big-endian, with the top bit cleared (0 is
 * taken as 1): the rows of a table lie in an order that says nothing.
 */
final class Sealer {
  private final byte[] encryptionKey;
  private final byte[] indexKey;
  private final RandomSource random;
  private final Crypto.MacKey indexMac;

  Sealer(StoreKey key, RandomSource random) {
    this.encryptionKey = key.encryptionKey();
    this.indexKey = key.indexKey();
    this.random = random;
    this.indexMac = new Crypto.MacKey(indexKey);
  }

  byte[] seal(String table, String column, byte[] rowKey, byte[] value) {
    byte[] nonce = random.bytes(Crypto.NONCE_LENGTH);
    byte[] sealed = Crypto.seal(encryptionKey, nonce, aad(table, column, rowKey), value);
    return ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
  }

  /** @throws StoreException {@code CORRUPT} if the value fails authentication, whatever the cause */
  byte[] open(String table, String column, byte[] rowKey, byte[] sealed) throws StoreException {
    try {
      if (sealed.length < Crypto.NONCE_LENGTH) {
        throw new InvalidCipherTextException("too short");
      }
      byte[] nonce = Arrays.copyOf(sealed, Crypto.NONCE_LENGTH);
      return Crypto.open(encryptionKey, nonce, aad(table, column, rowKey), sealed, nonce.length, sealed.length - nonce.length);
    } catch (InvalidCipherTextException e) {
      throw new StoreException(
          StoreException.Kind.CORRUPT, "a sealed value in " + table + "." + column + " fails authentication");
    }
  }

  byte[] index(String table, String column, byte[] value) {
    return indexMac.mac(label(table, column), value);
  }

  /** The stored row id of the row whose stable key is {@code key}: positive, never 0. */
  long rowId(String table, byte[] key) {
    byte[] mac = indexMac.mac(label("rowid", table), key);
    long id = ByteBuffer.wrap(mac).getLong() & Long.MAX_VALUE;
    return id == 0 ? 1 : id;
  }

  /** Random bytes (a filler row's lookup keys). */
  byte[] random(int length) {
    return random.bytes(length);
  }

  /** Overwrites the keys; the sealer is unusable afterwards. */
  synchronized void destroy() {
    Arrays.fill(encryptionKey, (byte) 0);
    Arrays.fill(indexKey, (byte) 0);
    indexMac.destroy();
  }

  static byte[] rowKey(long id) {
    return ByteBuffer.allocate(Long.BYTES).putLong(id).array();
  }

  static byte[] rowKey(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] aad(String table, String column, byte[] rowKey) {
    byte[] label = label(table, column);
    return ByteBuffer.allocate(label.length + rowKey.length).put(label).put(rowKey).array();
  }

  private static byte[] label(String table, String column) {
    return (table + "\0" + column + "\0").getBytes(StandardCharsets.US_ASCII);
  }
}
