package dev.sotto.node.store;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;

/**
 * For tests outside this package: a node home's store as a thief finds it (sealed values read
 * from the file) and as a restorer may leave it (a message lost, times moved), done with the key
 * of the home's identity (which has no passphrase). The node of the home must be closed, or may
 * run in another process.
 */
public final class Unseal {
  private Unseal() {}

  /** The plaintext of the value sealed under key-value {@code name}. */
  public static byte[] kv(IdentitySeed seed, String name, byte[] sealed) throws StoreException {
    Rows rows = new Rows(null, new Sealer(Vault.storeKey(seed), RandomSource.secure()));
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    Fields.Reader in = rows.open(Table.KV, "body", rows.rowId(Table.KV, utf8), sealed);
    if (in.filler() || !in.string().equals(name)) {
      throw new StoreException(StoreException.Kind.CORRUPT, "not the entry " + name);
    }
    byte[] value = in.bytes();
    in.end();
    return value;
  }

  /** The sealed value of key-value {@code name}, as it is in the home's store file. */
  public static byte[] sealedKv(Path home, IdentitySeed seed, String name) throws Exception {
    Rows rows = new Rows(null, new Sealer(Vault.storeKey(seed), RandomSource.secure()));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(Store.FILE_NAME));
        PreparedStatement s = c.prepareStatement("SELECT body FROM kv WHERE id = ?")) {
      s.setLong(1, rows.rowId(Table.KV, name.getBytes(StandardCharsets.UTF_8)));
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new AssertionError("no key-value entry " + name);
        }
        return r.getBytes(1);
      }
    }
  }

  /** The sealed bodies of the home's TEXT messages, as they are in its store file. */
  public static List<byte[]> sealedTexts(Path home) throws Exception {
    try (Store store = open(home)) {
      return store.read(tx -> tx.sealedBodies(2));
    }
  }

  /** How many messages the home's store holds, in all conversations. */
  public static long countMessages(Path home) throws Exception {
    try (Store store = open(home)) {
      return store.read(Tx::countMessages);
    }
  }

  /** How many messages the home's store holds from ({@code incoming}) or to a contact. */
  public static long countMessages(Path home, String contact, boolean incoming) throws Exception {
    try (Store store = open(home)) {
      return store.read(tx -> tx.messages(tx.contactByName(contact).orElseThrow().id()).stream()
          .filter(m -> m.incoming() == incoming).count());
    }
  }

  /**
   * Loses the contact's incoming TEXT message of the lowest seq, and moves the contact's in-order
   * mark back to it, as a store restored from a copy older than the message would be.
   *
   * @return the seq of the message lost
   */
  public static long loseIncomingText(Path home, String contact) throws Exception {
    try (Store store = open(home)) {
      return store.write(tx -> {
        Tx.Contact c = tx.contactByName(contact).orElseThrow();
        Tx.Message lost = tx.messages(c.id()).stream().filter(m -> m.incoming() && m.kind() == 2)
            .min(java.util.Comparator.comparingLong(Tx.Message::seq)).orElseThrow();
        tx.deleteMessage(lost.id());
        tx.setSeqs(c.id(), c.nextOutSeq(), lost.seq());
        return lost.seq();
      });
    }
  }

  /** Moves every message of the home's store back in time (stored_at, and sent_at by as much). */
  public static void age(Path home, Duration by) throws Exception {
    try (Store store = open(home)) {
      store.write(tx -> {
        tx.moveMessagesBack(by.toMillis());
        return null;
      });
    }
  }

  private static Store open(Path home) throws StoreException {
    return Store.openExisting(home, Vault.storeKey(Vault.open(home, null)), RandomSource.secure());
  }
}
