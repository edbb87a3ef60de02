package dev.sotto.node.store;

import java.util.List;

/**
 * The sealed tables of a store and their columns. Every such table has the same shape: an
 * {@code id INTEGER PRIMARY KEY} that is a keyed hash of the row's stable key (see
 * {@link Sealer#rowId}), zero or more {@code UNIQUE} lookup columns that hold a keyed hash
 * unique to the row (see {@link Sealer#index}), and sealed columns padded to
 * {@link Padding#length} with their minimum below. Each holds {@link Padding#rows} rows, filler
 * rows included (see {@link Rows}).
 */
enum Table {
  /** Key-value entries: {name, value}; the row id is a keyed hash of the name. */
  KV("kv", List.of(), new Column("body", 128)),
  /**
   * Contacts: who (id, name, identity, card), state (sequence marks, resets, first contacts, the
   * places of its messages, its sessions' ids), prekeys (bundle, one-time records); looked up by
   * keyed hashes of the name and of the identity.
   */
  CONTACTS("contacts", List.of("name_key", "identity_key"), new Column("who", 256), new Column("state", 256),
      new Column("prekeys", 128)),
  /** Sessions: meta (id, contact, times, place among the contact's) and the serialised state. */
  SESSIONS("sessions", List.of(), new Column("meta", 64), new Column("state", 512)),
  /** Plaintexts waiting to be sealed: meta (id, contact, time) and the payload. */
  PENDING("pending", List.of(), new Column("meta", 32), new Column("payload", 256)),
  /** Envelopes waiting to be sent: meta (id, contact, attempts, times) and the envelope. */
  OUTBOX("outbox", List.of(), new Column("meta", 64), new Column("envelope", 512)),
  /**
   * Messages: the whole message in one column; looked up by a keyed hash of (contact,
   * direction, seq) and by one of (contact, place), where place counts the contact's messages in
   * the order stored.
   */
  MESSAGES("messages", List.of("seq_key", "place_key"), new Column("body", 256)),
  /** Reset notices: the whole notice in one column. */
  NOTICES("notices", List.of(), new Column("body", 64)),
  /** Digests of received envelopes: the row id is a keyed hash of the digest; the body holds when. */
  RECEIVED("received", List.of(), new Column("body", 16));

  /** A sealed column and the least its padded plaintext takes. */
  record Column(String name, int min) {}

  final String sqlName;
  final List<String> keys;
  final List<Column> sealed;

  Table(String sqlName, List<String> keys, Column... sealed) {
    this.sqlName = sqlName;
    this.keys = keys;
    this.sealed = List.of(sealed);
  }

  Column column(String name) {
    for (Column c : sealed) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(sqlName + " has no sealed column " + name);
  }

  /** {@code CREATE TABLE} for this table. */
  String create() {
    StringBuilder sql = new StringBuilder("CREATE TABLE " + sqlName + " (id INTEGER PRIMARY KEY");
    for (String k : keys) {
      sql.append(", ").append(k).append(" BLOB NOT NULL UNIQUE");
    }
    for (Column c : sealed) {
      sql.append(", ").append(c.name()).append(" BLOB NOT NULL");
    }
    return sql.append(")").toString();
  }
}
