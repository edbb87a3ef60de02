package dev.sotto.node.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL under one {@link Tx}: statements, sealed columns, and each sealed table's counters and
 * filler rows.
 *
 * <p>A sealed table's counters (the next id to give, how many real rows and how many filler rows
 * it holds) are one sealed meta entry each, {@code rows:<table>}, read at the table's first use
 * in a transaction and written back by {@link #flush} before the commit. {@link #flush} also
 * adds or deletes filler rows so that the table holds {@link Padding#rows} of its real count.
 * A filler row looks like a real one: its row id is a keyed hash ({@code "f" || u64 n}), its
 * lookup columns are random, its sealed columns hold the {@link Fields#FILLER} byte padded to
 * the column's minimum.
 */
final class Rows {
  /** Parameters per statement in batched lookups: well below SQLite's limit. */
  static final int CHUNK = 500;

  private static final int COUNTERS_LENGTH = 32;

  @FunctionalInterface
  interface Row<R> {
    R map(ResultSet row) throws SQLException, StoreException;
  }

  /** A table's counters, as read in this transaction. */
  private static final class Counters {
    long nextId;
    long real;
    long fillers;
    boolean dirty;
  }

  /**
   * The prepared statements of one connection, kept across its transactions (a transaction runs
   * a dozen small statements, and preparing one costs about as much as running it). Each is
   * reset when its result set or update is done.
   */
  static final class Statements implements AutoCloseable {
    private static final int MAX = 128;

    private final Connection connection;
    private final Map<String, PreparedStatement> prepared = new java.util.LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
        if (size() <= MAX) {
          return false;
        }
        close(eldest.getValue());
        return true;
      }
    };

    Statements(Connection connection) {
      this.connection = connection;
    }

    PreparedStatement get(String sql) throws SQLException {
      PreparedStatement statement = prepared.get(sql);
      if (statement == null) {
        statement = connection.prepareStatement(sql);
        prepared.put(sql, statement);
      } else {
        statement.clearParameters();
      }
      return statement;
    }

    @Override
    public void close() {
      prepared.values().forEach(Statements::close);
      prepared.clear();
    }

    private static void close(PreparedStatement statement) {
      try {
        statement.close();
      } catch (SQLException e) {
        // Closing frees memory only: nothing is pending on a statement between transactions.
      }
    }
  }

  private final Statements statements;
  private final Sealer sealer;
  private final Map<Table, Counters> counters = new EnumMap<>(Table.class);
  private boolean ended;

  Rows(Statements statements, Sealer sealer) {
    this.statements = statements;
    this.sealer = sealer;
  }

  void end() {
    ended = true;
  }

  // ---- row ids, lookup keys, sealing

  /** The stored row id of the row with API id {@code id}. */
  long rowId(Table table, long id) {
    return sealer.rowId(table.sqlName, ByteBuffer.allocate(9).put((byte) 'i').putLong(id).array());
  }

  /** The stored row id of the row named {@code name} (a key-value entry, a digest). */
  long rowId(Table table, byte[] name) {
    byte[] key = new byte[name.length + 1];
    key[0] = 'n';
    System.arraycopy(name, 0, key, 1, name.length);
    return sealer.rowId(table.sqlName, key);
  }

  private long fillerRowId(Table table, long n) {
    return sealer.rowId(table.sqlName, ByteBuffer.allocate(9).put((byte) 'f').putLong(n).array());
  }

  /** A lookup key: a keyed hash of the parts, each a u64. */
  byte[] key(Table table, String column, long... parts) {
    ByteBuffer value = ByteBuffer.allocate(parts.length * Long.BYTES);
    for (long p : parts) {
      value.putLong(p);
    }
    return sealer.index(table.sqlName, column, value.array());
  }

  /** A lookup key: a keyed hash of {@code value}. */
  byte[] key(Table table, String column, byte[] value) {
    return sealer.index(table.sqlName, column, value);
  }

  /** Seals the fields, padded, into the column of the row. */
  byte[] seal(Table table, String column, long rowId, Fields.Writer fields) {
    return seal(table, column, rowId, fields, false);
  }

  /** Seals the fields; {@code plain}: they hold no key material, and the sealer may remember them (see {@link Sealer}). */
  byte[] seal(Table table, String column, long rowId, Fields.Writer fields, boolean plain) {
    byte[] plaintext = fields.toByteArray();
    byte[] padded = Arrays.copyOf(plaintext, Padding.length(plaintext.length, table.column(column).min()));
    try {
      return plain ? sealer.seal(table.sqlName, column, Sealer.rowKey(rowId), padded, true)
          : sealer.seal(table.sqlName, column, Sealer.rowKey(rowId), padded);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
      Arrays.fill(padded, (byte) 0);
    }
  }

  /** Opens the column of the row; the reader says whether it is a filler's. */
  Fields.Reader open(Table table, String column, long rowId, byte[] sealed) throws StoreException {
    return new Fields.Reader(sealer.open(table.sqlName, column, Sealer.rowKey(rowId), sealed),
        table.sqlName + "." + column);
  }

  /** Opens the column of the row, which holds no key material: the sealer may remember it. */
  Fields.Reader openPlain(Table table, String column, long rowId, byte[] sealed) throws StoreException {
    return new Fields.Reader(sealer.open(table.sqlName, column, Sealer.rowKey(rowId), sealed, true),
        table.sqlName + "." + column);
  }

  // ---- counters and fillers

  /** A new id for a row of the table: past every id it ever gave. */
  long newId(Table table) throws StoreException {
    Counters c = counters(table);
    c.dirty = true;
    return c.nextId++;
  }

  /** Notes that {@code n} real rows were added to the table ({@code n} < 0: deleted). */
  void added(Table table, long n) throws StoreException {
    if (n != 0) {
      Counters c = counters(table);
      c.real += n;
      c.dirty = true;
    }
  }

  /** How many real rows the table holds. */
  long real(Table table) throws StoreException {
    return counters(table).real;
  }

  /** Counters for a new store: every table empty, ids from 1; {@link #flush} adds the fillers. */
  void createCounters() {
    for (Table table : Table.values()) {
      Counters c = new Counters();
      c.nextId = 1;
      c.dirty = true;
      counters.put(table, c);
    }
  }

  /** Brings each changed table to its padded row count and writes its counters. */
  void flush() throws StoreException {
    for (Map.Entry<Table, Counters> e : counters.entrySet()) {
      Counters c = e.getValue();
      if (!c.dirty) {
        continue;
      }
      Table table = e.getKey();
      long wanted = Padding.rows(c.real) - c.real;
      while (c.fillers < wanted) {
        insertFiller(table, c.fillers++);
      }
      while (c.fillers > wanted) {
        update("DELETE FROM " + table.sqlName + " WHERE id = ?", fillerRowId(table, --c.fillers));
      }
      byte[] name = counterName(table);
      byte[] value = ByteBuffer.allocate(COUNTERS_LENGTH).putLong(c.nextId).putLong(c.real).putLong(c.fillers).array();
      update("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
          new String(name, StandardCharsets.US_ASCII), sealer.seal("meta", "value", name, value));
      c.dirty = false;
    }
  }

  private void insertFiller(Table table, long n) throws StoreException {
    long rowId = fillerRowId(table, n);
    int columns = 1 + table.keys.size() + table.sealed.size();
    Object[] args = new Object[columns];
    args[0] = rowId;
    int i = 1;
    for (int k = 0; k < table.keys.size(); k++) {
      args[i++] = sealer.random(32);
    }
    for (Table.Column column : table.sealed) {
      byte[] padded = new byte[column.min()]; // Fields.FILLER, then zeros
      args[i++] = sealer.seal(table.sqlName, column.name(), Sealer.rowKey(rowId), padded);
    }
    StringBuilder sql = new StringBuilder("INSERT INTO " + table.sqlName + " VALUES (?");
    sql.append(", ?".repeat(columns - 1)).append(")");
    update(sql.toString(), args);
  }

  private Counters counters(Table table) throws StoreException {
    Counters c = counters.get(table);
    if (c != null) {
      return c;
    }
    byte[] name = counterName(table);
    byte[] sealed = one("SELECT value FROM meta WHERE name = ?", r -> r.getBytes(1),
        new String(name, StandardCharsets.US_ASCII))
        .orElseThrow(() -> new StoreException(StoreException.Kind.CORRUPT, "the store's meta table is incomplete"));
    byte[] value = sealer.open("meta", "value", name, sealed);
    if (value.length != COUNTERS_LENGTH) {
      throw new StoreException(StoreException.Kind.CORRUPT, "the counters of " + table.sqlName + " are malformed");
    }
    ByteBuffer in = ByteBuffer.wrap(value);
    c = new Counters();
    c.nextId = in.getLong();
    c.real = in.getLong();
    c.fillers = in.getLong();
    counters.put(table, c);
    return c;
  }

  private static byte[] counterName(Table table) {
    return ("rows:" + table.sqlName).getBytes(StandardCharsets.US_ASCII);
  }

  // ---- statements

  private PreparedStatement prepare(String sql, Object... args) throws SQLException {
    if (ended) {
      throw new IllegalStateException("the transaction is over");
    }
    PreparedStatement statement = statements.get(sql);
    for (int i = 0; i < args.length; i++) {
      statement.setObject(i + 1, args[i] instanceof Boolean b ? (Object) (b ? 1 : 0) : args[i]);
    }
    return statement;
  }

  int update(String sql, Object... args) throws StoreException {
    try {
      return prepare(sql, args).executeUpdate();
    } catch (SQLException e) {
      throw Store.failure(e);
    }
  }

  <R> List<R> query(String sql, Row<R> row, Object... args) throws StoreException {
    try (ResultSet result = prepare(sql, args).executeQuery()) {
      List<R> out = new ArrayList<>();
      while (result.next()) {
        R r = row.map(result);
        if (r != null) {
          out.add(r);
        }
      }
      return out;
    } catch (SQLException e) {
      throw Store.failure(e);
    }
  }

  <R> Optional<R> one(String sql, Row<R> row, Object... args) throws StoreException {
    List<R> rows = query(sql + " LIMIT 1", row, args);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  long count(String sql, Object... args) throws StoreException {
    return one(sql, r -> r.getLong(1), args).orElseThrow();
  }

  /**
   * The rows whose {@code column} holds one of {@code keys}, mapped (a null from {@code row} is
   * left out), in chunks of {@link #CHUNK}.
   */
  <R> List<R> byKeys(String select, String column, List<?> keys, Row<R> row) throws StoreException {
    List<R> out = new ArrayList<>();
    for (int from = 0; from < keys.size(); from += CHUNK) {
      List<?> chunk = keys.subList(from, Math.min(keys.size(), from + CHUNK));
      out.addAll(query(select + " WHERE " + column + " IN (?" + ", ?".repeat(chunk.size() - 1) + ")", row,
          chunk.toArray()));
    }
    return out;
  }
}
