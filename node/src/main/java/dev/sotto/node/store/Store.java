package dev.sotto.node.store;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteOpenMode;

/**
 * The node's state: one SQLite file, {@code <home>/store.db}, encrypted at rest column by column.
 *
 * <p>The node's own tables (see {@link Table}) are sealed whole under the {@link StoreKey}: each
 * row is a row id that is a keyed hash, lookup columns that are keyed hashes unique to the row,
 * and sealed columns padded to buckets ({@link Padding#length}); ids, contacts, directions,
 * sequence numbers, counters, flags and times are inside the sealed columns, and what belongs to
 * which contact is found through the contact's sealed state and keyed hashes, never through a
 * column two rows share. Each table holds its real rows and filler rows, {@link Padding#rows} in
 * all. A sealed value is bound to its table, column and row (see {@link Sealer}): moved, it reads
 * as {@code CORRUPT}. What stays in clear: the schema version, the tables' names and the rounded
 * row counts, the file's size, and the mailbox, which holds other people's envelopes (already
 * opaque) under their tags, and the prekeys this node's mailbox serves for others: what any
 * mailbox sees of them.
 *
 * <p>Several processes may open the same file at once (the running node and a command such as
 * {@code send}): the file is in WAL mode, every {@link #write} is a {@code BEGIN IMMEDIATE}
 * transaction that waits up to {@value #BUSY_TIMEOUT_MILLIS} ms for the write lock, and
 * {@link #read}s never block writers. Within one process, a store runs one transaction at a time;
 * threads wait their turn.
 */
public final class Store implements AutoCloseable {
  /** The file name of the store in a node's home directory. */
  public static final String FILE_NAME = "store.db";
  /**
   * The schema this code writes. A store with another one is refused: a newer one; the older ones
   * (1 and 2), which revision 1 of the node wrote: their cards and sessions are revision 1's,
   * which revision 2 cannot use; and 3, which kept ids, times and counters in clear (revision 2
   * is not released: no store of it is migrated yet).
   */
  public static final int SCHEMA_VERSION = 4;
  /** How long a write waits for another process to release the store. */
  public static final int BUSY_TIMEOUT_MILLIS = 10_000;

  private static final byte[] KEY_CHECK = "sotto store key check".getBytes(StandardCharsets.US_ASCII);

  /**
   * The tables that are not sealed: meta (the schema version in clear, the key check and each
   * sealed table's counters sealed), and the mailbox, which holds other people's envelopes
   * (already opaque) under their tags, as every mailbox sees them.
   */
  private static final String[] CLEAR_SCHEMA = {
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE mailbox (id INTEGER PRIMARY KEY AUTOINCREMENT, tag BLOB NOT NULL, envelope BLOB NOT NULL,"
        + " size INTEGER NOT NULL, deposited INTEGER NOT NULL, expires INTEGER NOT NULL)",
    "CREATE INDEX mailbox_tag ON mailbox (tag, id)",
    "CREATE INDEX mailbox_expires ON mailbox (expires)",
  };

  /**
   * The prekey service of a mailbox (spec: transport.adoc#prekey-service): the owners of bundle
   * tags (the SHA-256 of the credential of the first PUBLISH) and the prekey items published under
   * them. Opaque public data of others, not sealed. Made in any store that lacks them.
   */
  private static final String[] PREKEY_TABLES = {
    "CREATE TABLE IF NOT EXISTS prekey_owners (bundle_tag BLOB PRIMARY KEY, credential_hash BLOB NOT NULL,"
        + " last_publish INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS prekey_items (id INTEGER PRIMARY KEY AUTOINCREMENT, bundle_tag BLOB NOT NULL,"
        + " kind INTEGER NOT NULL, serial INTEGER NOT NULL, expires INTEGER NOT NULL, item BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS prekey_items_tag ON prekey_items (bundle_tag, kind, id)",
  };

  /**
   * Indexes that let the mailbox's requests read what they decide on without reading the rows (a
   * column after the envelope is read through all of its overflow pages): live items by tag, the
   * bytes held, and a part of the envelope to find a duplicate by. Made in any store that lacks them.
   */
  private static final String[] MAILBOX_INDEXES = {
    "CREATE INDEX IF NOT EXISTS mailbox_live ON mailbox (tag, expires)",
    "CREATE INDEX IF NOT EXISTS mailbox_size ON mailbox (size)",
    "CREATE INDEX IF NOT EXISTS mailbox_body ON mailbox (tag, substr(envelope, 18, 16))",
  };

  /**
   * Group items of the mailbox (spec: transport.adoc#mailbox, DEPOSIT_GROUP and TAKE): which items
   * of {@code mailbox} are group items (an ACK never deletes them) with how many leaves they were
   * deposited with, and their untaken leaves (a TAKE deletes one). Both go with their item, by the
   * foreign keys, whatever deletes it. Opaque data of others, not sealed. Made in any store that
   * lacks them.
   */
  private static final String[] GROUP_ITEM_TABLES = {
    "CREATE TABLE IF NOT EXISTS group_items (id INTEGER PRIMARY KEY REFERENCES mailbox (id) ON DELETE CASCADE,"
        + " leaves INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS group_leaves (item_id INTEGER NOT NULL REFERENCES group_items (id) ON DELETE CASCADE,"
        + " leaf BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS group_leaves_item ON group_leaves (item_id, leaf)",
  };

  /**
   * The backup class of a mailbox (spec: transport.adoc#backup-class): envelopes of others' backups
   * by space (the SHA-256 of the credential) and tag, one per tag, with their expiry (ms). Opaque
   * data of others, not sealed, apart from the envelopes of DEPOSIT. Made in any store that lacks it.
   */
  private static final String[] BACKUP_TABLES = {
    "CREATE TABLE IF NOT EXISTS backup_items (id INTEGER PRIMARY KEY AUTOINCREMENT, space BLOB NOT NULL,"
        + " tag BLOB NOT NULL, envelope BLOB NOT NULL, size INTEGER NOT NULL, expires INTEGER NOT NULL,"
        + " UNIQUE (space, tag))",
    "CREATE INDEX IF NOT EXISTS backup_items_expires ON backup_items (expires)",
    "CREATE INDEX IF NOT EXISTS backup_items_size ON backup_items (space, size)",
  };

  /** The work of one transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Tx tx) throws StoreException, SottoException;
  }

  private final Connection connection;
  private final Rows.Statements statements;
  private final Sealer sealer;
  private Tx current;
  private boolean closed;

  private Store(Connection connection, Sealer sealer) {
    this.connection = connection;
    this.statements = new Rows.Statements(connection);
    this.sealer = sealer;
  }

  /** What is at a home's store path, looked at without opening it. */
  public enum FileState {
    /** No {@code store.db}. */
    ABSENT,
    /** A {@code store.db} of 0 bytes: truncated, or left by a creation that was interrupted. */
    EMPTY,
    /** A {@code store.db} with content (not yet known to be a store, nor whose). */
    PRESENT
  }

  /** What is at {@code home}'s store path. */
  public static FileState fileState(Path home) throws StoreException {
    Path file = home.resolve(FILE_NAME);
    try {
      if (!Files.exists(file)) {
        return FileState.ABSENT;
      }
      return Files.size(file) == 0 ? FileState.EMPTY : FileState.PRESENT;
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot look at " + file, e);
    }
  }

  /**
   * Deletes the store's files in {@code home} ({@code store.db} and SQLite's {@code -wal},
   * {@code -shm} and {@code -journal} beside it), for a store that is being made anew.
   */
  public static void deleteFiles(Path home) throws StoreException {
    for (String suffix : new String[] {"-wal", "-shm", "-journal", ""}) {
      Path file = home.resolve(FILE_NAME + suffix);
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new StoreException(StoreException.Kind.IO, "cannot delete " + file, e);
      }
    }
  }

  /** Opens (creating if needed) the store in {@code home}, drawing nonces from the system's secure generator. */
  public static Store open(Path home, StoreKey key) throws StoreException {
    return open(home, key, RandomSource.secure());
  }

  /**
   * Opens the store in {@code home}, creating the directory, the file (owner-only) and the schema
   * if needed. A node opens its store with {@link #openExisting}, and makes it with
   * {@link #create}, so that a store that was deleted is never silently replaced by an empty one.
   *
   * @param random draws the nonces of sealed values
   * @throws StoreException {@code CORRUPT} if the store was written under another key or by a
   *     newer schema, {@code BUSY} or {@code IO} if it cannot be opened
   */
  public static Store open(Path home, StoreKey key, RandomSource random) throws StoreException {
    Path file = home.resolve(FILE_NAME);
    try {
      Vault.createHome(home);
      // SQLite gives its -wal and -shm files the database file's permissions: create it owner-only.
      Files.createFile(file, Vault.ownerOnly(home, "rw-------"));
    } catch (FileAlreadyExistsException e) {
      // Opening an existing store.
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot create the store in " + home, e);
    }
    return connect(file, key, random, true);
  }

  /**
   * Makes a new store in {@code home}: the directory if needed, the file (owner-only), the
   * schema. If it fails after the file was made, the file is deleted again.
   *
   * @throws StoreException {@code EXISTS} if there is a {@code store.db} already (even an empty
   *     one: the caller decides whether it may go), {@code IO} if it cannot be made
   */
  public static Store create(Path home, StoreKey key, RandomSource random) throws StoreException {
    Path file = home.resolve(FILE_NAME);
    try {
      Vault.createHome(home);
      Files.createFile(file, Vault.ownerOnly(home, "rw-------"));
    } catch (FileAlreadyExistsException e) {
      throw new StoreException(StoreException.Kind.EXISTS, "there is a store in " + home + " already");
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot create the store in " + home, e);
    }
    try {
      return connect(file, key, random, true);
    } catch (StoreException | RuntimeException e) {
      try {
        deleteFiles(home);
      } catch (StoreException ignored) {
        // best effort: the failure that matters is e
      }
      throw e;
    }
  }

  /**
   * Opens the store that is in {@code home}, and never makes one: a {@code store.db} that is
   * missing or empty (deleted, or truncated) is refused, not replaced by a new, empty store.
   *
   * @throws StoreException {@code MISSING} if there is no store or an empty one; otherwise as
   *     {@link #open(Path, StoreKey, RandomSource)}
   */
  public static Store openExisting(Path home, StoreKey key, RandomSource random) throws StoreException {
    Path file = home.resolve(FILE_NAME);
    switch (fileState(home)) {
      case ABSENT -> throw new StoreException(StoreException.Kind.MISSING, "there is no store " + file);
      case EMPTY -> throw new StoreException(StoreException.Kind.MISSING, "the store " + file + " is empty (0 bytes)");
      default -> { }
    }
    return connect(file, key, random, false);
  }

  private static Store connect(Path file, StoreKey key, RandomSource random, boolean mayCreate) throws StoreException {
    Connection connection;
    SQLiteConfig config = new SQLiteConfig();
    if (!mayCreate) {
      // Not even SQLite may make the file, should it vanish after the check above.
      config.resetOpenMode(SQLiteOpenMode.CREATE);
    }
    try {
      connection = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
    } catch (SQLException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot open " + file, e);
    }
    Store store = new Store(connection, new Sealer(key, random));
    try {
      store.setUp(file, mayCreate);
      return store;
    } catch (StoreException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  private void setUp(Path file, boolean mayCreate) throws StoreException {
    try (Statement statement = connection.createStatement()) {
      // The timeout first, so that switching to WAL waits for other openers too.
      statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
      statement.execute("PRAGMA journal_mode = WAL");
      statement.execute("PRAGMA synchronous = FULL");
      statement.execute("PRAGMA foreign_keys = ON");
      // Deleted rows (messages past their retention, say) are overwritten with zeros, not just unlinked.
      statement.execute("PRAGMA secure_delete = ON");
    } catch (SQLException e) {
      throw failure(e);
    }
    try {
      write(tx -> {
        migrate(tx, file, mayCreate);
        return null;
      });
    } catch (SottoException e) {
      throw new IllegalStateException("schema set-up raises no protocol errors", e);
    }
  }

  /** Creates the schema in a new file; checks the version and the key of an existing one. */
  private void migrate(Tx tx, Path file, boolean mayCreate) throws StoreException {
    try (Statement statement = connection.createStatement()) {
      boolean fresh;
      try (var tables = statement.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE name = 'meta'")) {
        fresh = tables.next() && tables.getInt(1) == 0;
      }
      if (fresh && !mayCreate) {
        throw new StoreException(StoreException.Kind.MISSING, "the store " + file + " holds no tables (its creation was interrupted?)");
      }
      byte[] check = Sealer.rowKey("key_check");
      if (fresh) {
        for (String sql : CLEAR_SCHEMA) {
          statement.execute(sql);
        }
        for (Table table : Table.values()) {
          statement.execute(table.create());
        }
        for (String sql : PREKEY_TABLES) {
          statement.execute(sql);
        }
        for (String sql : MAILBOX_INDEXES) {
          statement.execute(sql);
        }
        for (String sql : GROUP_ITEM_TABLES) {
          statement.execute(sql);
        }
        for (String sql : BACKUP_TABLES) {
          statement.execute(sql);
        }
        try (var insert = connection.prepareStatement("INSERT INTO meta (name, value) VALUES (?, ?), (?, ?)")) {
          insert.setString(1, "schema_version");
          insert.setBytes(2, String.valueOf(SCHEMA_VERSION).getBytes(StandardCharsets.US_ASCII));
          insert.setString(3, "key_check");
          insert.setBytes(4, sealer.seal("meta", "value", check, KEY_CHECK));
          insert.executeUpdate();
        }
        tx.createTables();
        return;
      }
      byte[] version = null;
      byte[] sealedCheck = null;
      try (var rows = statement.executeQuery("SELECT name, value FROM meta")) {
        while (rows.next()) {
          switch (rows.getString(1)) {
            case "schema_version" -> version = rows.getBytes(2);
            case "key_check" -> sealedCheck = rows.getBytes(2);
            default -> { }
          }
        }
      }
      if (version == null || sealedCheck == null) {
        throw new StoreException(StoreException.Kind.CORRUPT, "the store's meta table is incomplete");
      }
      String v = new String(version, StandardCharsets.US_ASCII);
      if (v.equals("1") || v.equals("2")) {
        throw new StoreException(StoreException.Kind.OLD, "the store " + file + " was written by revision 1 of the node"
            + " (schema " + v + "): its cards and sessions are revision 1's, which this node cannot use; move the home"
            + " away and make a new one ('sotto init'), then exchange cards again");
      }
      if (v.equals("3")) {
        throw new StoreException(StoreException.Kind.OLD, "the store " + file + " was written by an earlier build of"
            + " this node (schema 3), which kept contact ids, times and counters in clear; this node seals them"
            + " (schema " + SCHEMA_VERSION + ") and cannot read it: move the home away and make a new one"
            + " ('sotto init', or 'sotto init --recover' to keep the identity), then exchange cards again");
      }
      if (!v.equals(String.valueOf(SCHEMA_VERSION))) {
        throw new StoreException(
            StoreException.Kind.CORRUPT, "the store has schema version " + v + "; this node reads " + SCHEMA_VERSION);
      }
      try {
        sealer.open("meta", "value", check, sealedCheck);
      } catch (StoreException e) {
        throw new StoreException(
            StoreException.Kind.CORRUPT, "the store was written under another key: another identity's store?");
      }
      for (String sql : PREKEY_TABLES) {
        statement.execute(sql);
      }
      for (String sql : MAILBOX_INDEXES) {
        statement.execute(sql);
      }
      for (String sql : GROUP_ITEM_TABLES) {
        statement.execute(sql);
      }
      for (String sql : BACKUP_TABLES) {
        statement.execute(sql);
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  /**
   * Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction, waiting up to the busy timeout
   * for other processes to release the write lock. Commits when {@code work} returns; rolls back
   * if it throws, and rethrows a {@link StoreException}, {@link SottoException} or runtime
   * exception as it is (any other checked exception as {@code IO}).
   *
   * @throws IllegalStateException if called from inside a transaction of this store, or after
   *     {@link #close()}
   */
  public <T> T write(Work<T> work) throws StoreException, SottoException {
    return transaction(true, work);
  }

  /** Runs {@code work} in one read transaction: a consistent snapshot that does not block writers. */
  public <T> T read(Work<T> work) throws StoreException, SottoException {
    return transaction(false, work);
  }

  /** Work run in a {@link #group}: its writes share one commit. */
  @FunctionalInterface
  public interface GroupWork {
    void run() throws StoreException, SottoException;
  }

  /** The thread running a {@link #group} (its transaction open between the writes), or null. */
  private Thread grouping;

  /**
   * Group commit: runs {@code work} in one transaction, in which each {@link #write} it makes is a
   * savepoint (released when the write returns, rolled back alone when it throws) and each
   * {@link #read} sees the writes before it; one {@code COMMIT}, so one fsync, for them all. A
   * write inside returns before the commit: whatever answers it (an {@code OK} to a peer) waits
   * for this method to return. If the commit fails, none of the writes happened.
   *
   * @throws IllegalStateException if called from inside a transaction or a group of this store
   */
  public synchronized void group(GroupWork work) throws StoreException, SottoException {
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
    if (current != null || grouping != null) {
      throw new IllegalStateException("a transaction is open already: transactions do not nest");
    }
    begin(true);
    grouping = Thread.currentThread();
    boolean committed = false;
    try {
      work.run();
      execute("COMMIT");
      committed = true;
    } finally {
      grouping = null;
      if (!committed) {
        rollback();
      }
    }
  }

  /** How one transaction opens, ends and is undone: a whole transaction, or a savepoint of a group's. */
  private interface Bounds {
    void open() throws StoreException;

    void end() throws StoreException;

    void undo() throws StoreException;
  }

  /** A whole transaction of its own. */
  private Bounds whole(boolean write) {
    return new Bounds() {
      @Override
      public void open() throws StoreException {
        begin(write);
      }

      @Override
      public void end() throws StoreException {
        execute("COMMIT");
      }

      @Override
      public void undo() {
        rollback();
      }
    };
  }

  /** A write or read inside a {@link #group}: a savepoint of the group's transaction. */
  private final Bounds savepoint = new Bounds() {
    @Override
    public void open() throws StoreException {
      execute("SAVEPOINT grouped");
    }

    @Override
    public void end() throws StoreException {
      execute("RELEASE grouped");
    }

    @Override
    public void undo() throws StoreException {
      execute("ROLLBACK TO grouped");
      execute("RELEASE grouped");
    }
  };

  private synchronized <T> T transaction(boolean write, Work<T> work) throws StoreException, SottoException {
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
    if (current != null) {
      throw new IllegalStateException("a transaction is open already: transactions do not nest");
    }
    Bounds bounds = grouping == Thread.currentThread() ? savepoint : whole(write);
    bounds.open();
    Tx tx = new Tx(new Rows(statements, sealer), write);
    current = tx;
    boolean ended = false;
    try {
      T result = work.run(tx);
      if (write) {
        tx.flush();
      }
      bounds.end();
      ended = true;
      return result;
    } catch (StoreException | SottoException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // Only a sneaky throw gets here: Work declares no other checked exception.
      throw new StoreException(StoreException.Kind.IO, "the transaction failed", e);
    } finally {
      tx.end();
      current = null;
      if (!ended) {
        try {
          bounds.undo();
        } finally {
          // A statement that failed (SQLITE_FULL, say) may be left in a state that fails its next use
          // ("statement is not executing"): the next transaction prepares them again.
          statements.close();
        }
      }
    }
  }

  /** Begins a transaction, retrying while another process holds the lock, up to the busy timeout. */
  private void begin(boolean write) throws StoreException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUSY_TIMEOUT_MILLIS);
    while (true) {
      try {
        execute(write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
        return;
      } catch (StoreException e) {
        // SQLite's own busy handler has waited already; some lock conflicts skip it, hence the loop.
        if (e.kind() != StoreException.Kind.BUSY || System.nanoTime() - deadline > 0) {
          throw e;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private void rollback() {
    try {
      execute("ROLLBACK");
    } catch (StoreException e) {
      // SQLite may have rolled back on its own (after an I/O error, say): nothing is left to undo.
    }
  }

  private void execute(String sql) throws StoreException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  /** Maps a database error to a kind: lock conflicts, uniqueness, a missing referenced row, the rest. */
  static StoreException failure(SQLException e) {
    SQLiteErrorCode code = e instanceof SQLiteException s ? s.getResultCode() : SQLiteErrorCode.SQLITE_ERROR;
    if ((code.code & 0xff) == 13) { // SQLITE_FULL: the disk (or the store's size limit) is full
      return new StoreException(StoreException.Kind.IO, "the disk is full: the store could not write (SQLITE_FULL)",
          e);
    }
    StoreException.Kind kind = switch (code.code & 0xff) {
      case 5, 6 -> StoreException.Kind.BUSY; // SQLITE_BUSY, SQLITE_LOCKED and their extended codes
      default -> switch (code) {
        case SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY -> StoreException.Kind.EXISTS;
        case SQLITE_CONSTRAINT_FOREIGNKEY -> StoreException.Kind.MISSING;
        default -> StoreException.Kind.IO;
      };
    };
    // SQLite's messages name tables, columns and constraints, never bound values.
    return new StoreException(kind, "the database failed: " + e.getMessage(), e);
  }

  /**
   * Lets the database grow by about {@code bytes} more at most (SQLite's {@code max_page_count},
   * for this connection only): a write beyond it fails as on a full disk ({@code SQLITE_FULL}). For
   * tests of a full disk, without filling one.
   */
  public synchronized void limitGrowth(long bytes) throws StoreException {
    try (Statement statement = connection.createStatement()) {
      long pageSize;
      long pages;
      try (java.sql.ResultSet page = statement.executeQuery("PRAGMA page_size")) {
        page.next();
        pageSize = page.getLong(1);
      }
      try (java.sql.ResultSet count = statement.executeQuery("PRAGMA page_count")) {
        count.next();
        pages = count.getLong(1);
      }
      try (java.sql.ResultSet set = statement.executeQuery("PRAGMA max_page_count = "
          + (pages + Math.max(0, bytes / pageSize)))) {
        set.next(); // the new limit
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  /**
   * Copies the write-ahead log into {@code store.db} and truncates it to zero bytes
   * ({@code PRAGMA wal_checkpoint(TRUNCATE)}), so that no earlier version of a page (a deleted
   * row's, say) stays in the log. Runs outside any transaction.
   *
   * @return whether the log was copied and truncated whole; false when another process's reader
   *     held it (the next checkpoint finishes the work)
   */
  public synchronized boolean checkpoint() throws StoreException {
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
    if (current != null) {
      throw new IllegalStateException("a checkpoint runs outside transactions");
    }
    try (Statement statement = connection.createStatement();
        var result = statement.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
      // One row: busy (1 if the checkpoint could not finish), log frames, frames checkpointed.
      return result.next() && result.getInt(1) == 0;
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  /** Closes the database connection; a transaction running in another thread finishes first. */
  @Override
  public synchronized void close() {
    if (current != null) {
      throw new IllegalStateException("close the store after its transaction, not inside it");
    }
    if (closed) {
      return;
    }
    closed = true;
    sealer.destroy();
    statements.close();
    try {
      connection.close();
    } catch (SQLException e) {
      // Nothing is pending: every transaction has ended, so there is nothing to lose.
    }
  }

  @Override
  public String toString() {
    return "Store[" + (closed ? "closed" : "open") + "]";
  }
}
