package dev.sotto.node.store;

import dev.sotto.RandomSource;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>It remembers the value it last sealed or opened in each of up to {@value #REMEMBERED_MAX}
 * places (table, column and row) of the columns
 * that hold no key material and no message content ({@link #REMEMBERED}: ids, counters, times,
 * flags, a contact's public identity and card), the key-value entries said to be such
 * ({@link Tx#getPlain}), and every filler's, with its sealed bytes: the same sealed bytes in
 * the same place open to the same value, so a row read again (a contact's state, an
 * outbox or queue entry's meta, a table's fillers, at every transaction) is not decrypted again.
 * Any other bytes (a value changed, moved or damaged) are opened as before, and fail as before.
 */
final class Sealer {
  private final byte[] encryptionKey;
  private final byte[] indexKey;
  private final RandomSource random;
  private final Crypto.MacKey indexMac;

  /** The columns whose values are remembered: "table\0column". */
  static final Set<String> REMEMBERED = Set.of("contacts\0who", "contacts\0state", "sessions\0meta",
      "pending\0meta", "outbox\0meta", "meta\0value");
  static final int REMEMBERED_MAX = 8192;

  /** Where a sealed value is: its table, column and row key. */
  private record Place(String table, String column, ByteBuffer rowKey) {}

  /** The sealed bytes last sealed or opened in a place, and their value. */
  private record Known(byte[] sealed, byte[] value) {}

  /**
   * The value last sealed or opened in each place (see the class comment), one a place, the
   * least recently used first; a value replaced or dropped is overwritten.
   */
  private final Map<Place, Known> remembered = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Place, Known> eldest) {
      if (size() <= REMEMBERED_MAX) {
        return false;
      }
      Arrays.fill(eldest.getValue().value(), (byte) 0);
      return true;
    }
  };

  Sealer(StoreKey key, RandomSource random) {
    this.encryptionKey = key.encryptionKey();
    this.indexKey = key.indexKey();
    this.random = random;
    this.indexMac = new Crypto.MacKey(indexKey);
  }

  byte[] seal(String table, String column, byte[] rowKey, byte[] value) {
    return seal(table, column, rowKey, value, remembered(table, column));
  }

  /** Seals a value; {@code remember}: one without key material, remembered like those of {@link #REMEMBERED}. */
  byte[] seal(String table, String column, byte[] rowKey, byte[] value, boolean remember) {
    byte[] nonce = random.bytes(Crypto.NONCE_LENGTH);
    byte[] sealed = Crypto.seal(encryptionKey, nonce, aad(table, column, rowKey), value);
    byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
    remember(remember, table, column, rowKey, out, value);
    return out;
  }

  /** @throws StoreException {@code CORRUPT} if the value fails authentication, whatever the cause */
  byte[] open(String table, String column, byte[] rowKey, byte[] sealed) throws StoreException {
    return open(table, column, rowKey, sealed, remembered(table, column));
  }

  /** Opens a value; {@code remember}: as for {@link #seal(String, String, byte[], byte[], boolean)}. */
  byte[] open(String table, String column, byte[] rowKey, byte[] sealed, boolean remember) throws StoreException {
    try {
      if (sealed.length < Crypto.NONCE_LENGTH) {
        throw new InvalidCipherTextException("too short");
      }
      byte[] known = recall(table, column, rowKey, sealed);
      if (known != null) {
        return known;
      }
      byte[] nonce = Arrays.copyOf(sealed, Crypto.NONCE_LENGTH);
      byte[] value = Crypto.open(encryptionKey, nonce, aad(table, column, rowKey), sealed, nonce.length,
          sealed.length - nonce.length);
      remember(remember, table, column, rowKey, sealed, value);
      return value;
    } catch (InvalidCipherTextException e) {
      throw new StoreException(
          StoreException.Kind.CORRUPT, "a sealed value in " + table + "." + column + " fails authentication");
    }
  }

  private static boolean remembered(String table, String column) {
    return REMEMBERED.contains(table + "\0" + column);
  }

  /** Remembers a value if it may be ({@code remember}) or is a filler's, in place of the one before: a copy of each array. */
  private void remember(boolean remember, String table, String column, byte[] rowKey, byte[] sealed, byte[] value) {
    if (!remember && !isFiller(value)) {
      return;
    }
    Place place = new Place(table, column, ByteBuffer.wrap(rowKey.clone()));
    Known known = new Known(sealed.clone(), value.clone());
    synchronized (remembered) {
      Known before = remembered.put(place, known);
      if (before != null) {
        Arrays.fill(before.value(), (byte) 0);
      }
    }
  }

  /** A copy of the value these sealed bytes opened to before in this place, or null. */
  private byte[] recall(String table, String column, byte[] rowKey, byte[] sealed) {
    Place place = new Place(table, column, ByteBuffer.wrap(rowKey));
    synchronized (remembered) {
      Known known = remembered.get(place);
      return known == null || !Arrays.equals(known.sealed(), sealed) ? null : known.value().clone();
    }
  }

  /** Whether a padded plaintext is a filler's: the filler byte, then zeros (see {@link Fields}). */
  private static boolean isFiller(byte[] value) {
    if (value.length == 0 || value[0] != Fields.FILLER) {
      return false;
    }
    for (byte b : value) {
      if (b != 0) {
        return false;
      }
    }
    return true;
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
    synchronized (remembered) {
      remembered.values().forEach(k -> Arrays.fill(k.value(), (byte) 0));
      remembered.clear();
    }
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
