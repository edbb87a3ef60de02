package dev.sotto.node.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.testing.TestRandom;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thief's view: a store with several contacts and uneven message counts both ways, closed,
 * then read with plain SQLite and no key (and its bytes searched). Nothing of the names,
 * identities, texts, ids that link rows to contacts, directions, sequence numbers or times can be
 * read; every column of every sealed table is a row id that is a keyed hash, a keyed hash unique
 * to its row, or a sealed value of its column's one size; so no grouping of rows, hence no
 * per-contact count, can be made. And two stores whose contacts, counts per contact and
 * direction, texts and times all differ, but whose totals round alike, look the same.
 */
class StolenStoreTest {
  /** Tables that are not sealed, with the reason. */
  private static final Map<String, String> CLEAR_TABLES = Map.of(
      "meta", "the schema version in clear; the key check and the tables' counters sealed",
      "mailbox", "other people's envelopes, as every mailbox sees them (none in these stores)",
      "prekey_owners", "others' prekey credentials, as every mailbox sees them (none here)",
      "prekey_items", "others' published prekeys, as every mailbox sees them (none here)",
      "group_items", "which of the mailbox's items are group items, as every mailbox sees them (none here)",
      "group_leaves", "the untaken take leaves of group items, as every mailbox sees them (none here)",
      "backup_items", "others' backup envelopes by space and tag, as every mailbox sees them (none here)",
      "sqlite_sequence", "SQLite's counters of the mailbox tables (none here)");

  /** Times that are easy to find in any encoding: 2024-04-05T19:34:38.901Z and on. */
  private static final long T0 = 1_712_345_678_901L;

  @TempDir Path dir;

  /** One contact of a test store: how many messages each way, and what else it has. */
  private record Who(String name, int out, int in, int sessions, boolean queued) {}

  /** Everything the test wrote that a thief must not find. */
  private static final class Secrets {
    final List<byte[]> bytes = new ArrayList<>();
    final List<Long> millis = new ArrayList<>();
    final List<Long> seconds = new ArrayList<>();

    void text(String s) {
      bytes.add(s.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aStolenStoreShowsNoMoreThanItsSizeAndRoundedRowCounts() throws Exception {
    Secrets secrets = new Secrets();
    Path home = build("a", List.of(
        new Who("alice-wonder", 37, 5, 2, true),
        new Who("bob-builder", 3, 41, 1, false),
        new Who("carol-singer", 0, 12, 1, false),
        new Who("dave-diver", 20, 20, 3, true),
        new Who("erin-archer", 1, 0, 1, false)), secrets);
    Map<String, Object> view = thiefsView(home);
    assertOnlyOpaqueColumns(home);
    assertNothingReadable(home, secrets);
    assertEquals(Padding.rows(139), view.get("messages rows"), "the messages table shows 139 rounded up");

    // Taken while the store is open: its write-ahead log holds the last transactions' pages.
    RandomSource random = TestRandom.deterministic("stolen store a".getBytes(StandardCharsets.UTF_8));
    try (Store store = Store.open(home, Vault.storeKey(IdentitySeed.generate(random)), random)) {
      long t = T0 + 999_999_937L;
      store.write(tx -> tx.insertMessage(tx.contactByName("bob-builder").orElseThrow().id(), true, 41, t / 1000, t,
          "one more, while the thief looks"));
      secrets.text("one more, while the thief looks");
      secrets.millis.add(t);
      secrets.seconds.add(t / 1000);
      assertTrue(Files.size(home.resolve(Store.FILE_NAME + "-wal")) > 0, "the log holds the last transactions");
      assertOnlyOpaqueColumns(home);
      assertNothingReadable(home, secrets);
    }
  }

  @Test
  void storesWithOtherContactsCountsAndTimesLookAlike() throws Exception {
    Path a = build("a", List.of(
        new Who("alice-wonder", 37, 5, 2, true),
        new Who("bob-builder", 3, 41, 1, false),
        new Who("carol-singer", 0, 12, 1, false),
        new Who("dave-diver", 20, 20, 3, true),
        new Who("erin-archer", 1, 0, 1, false)), new Secrets());
    // Two contacts fewer; one who only sends, one who only receives; other times and texts.
    Path b = build("b", List.of(
        new Who("x", 70, 0, 1, false),
        new Who("yolanda-with-a-longer-name", 0, 60, 4, true),
        new Who("zed", 5, 7, 1, false)), new Secrets());
    Map<String, Object> viewA = thiefsView(a);
    Map<String, Object> viewB = thiefsView(b);
    assertEquals(viewA.keySet(), viewB.keySet());
    for (String k : viewA.keySet()) {
      assertEquals(viewA.get(k), viewB.get(k), k);
    }
  }

  // ---- the stores

  private Path build(String name, List<Who> contacts, Secrets secrets) throws Exception {
    Path home = dir.resolve(name);
    // Deterministic, so that a chance match of a short encoding below could not make the test flaky.
    RandomSource random = TestRandom.deterministic(("stolen store " + name).getBytes(StandardCharsets.UTF_8));
    long base = T0 + name.hashCode() * 7_919L;
    try (Store store = Store.open(home, Vault.storeKey(IdentitySeed.generate(random)), random)) {
      int i = 0;
      for (Who who : contacts) {
        int k = i++;
        long t = base + k * 86_400_000L;
        byte[] identity = ("identity-of-" + who.name()).getBytes(StandardCharsets.UTF_8);
        byte[] card = ("card-of-" + who.name() + "-".repeat(k * 13)).getBytes(StandardCharsets.UTF_8);
        secrets.text(who.name());
        secrets.bytes.add(identity);
        secrets.bytes.add(card);
        secrets.millis.add(t);
        store.write(tx -> {
          long id = tx.insertContact(who.name(), identity, card, t);
          tx.setPrekeys(id, new Tx.ContactPrekeys(("bundle-of-" + who.name()).getBytes(StandardCharsets.UTF_8),
              List.of(new byte[40 + k])));
          for (int s = 0; s < who.sessions(); s++) {
            long sid = tx.insertSession(id, new byte[100 + 37 * s + k], t + s, s == 0 ? -1 : t / 1000 + s, s % 2 == 0);
            if (s + 1 < who.sessions()) {
              tx.supersede(sid, t + 1_000 + s);
            }
          }
          long out = 0;
          long in = 0;
          for (int m = 0; m < who.out() + who.in(); m++) {
            boolean incoming = m % 3 == 1 ? in < who.in() : out >= who.out();
            long seq = incoming ? in++ : out++;
            long stored = t + 60_000L * m;
            String text = who.name() + " says " + "ab".repeat(m % 60) + " #" + m;
            secrets.text(text);
            secrets.millis.add(stored);
            secrets.seconds.add(stored / 1000 - 3);
            tx.insertMessage(id, incoming, seq, stored / 1000 - 3, stored, text, m == 0 ? 1 : 2);
          }
          tx.setSeqs(id, out, in);
          tx.setResets(new Tx.Resets(id, k, 3 * k, t / 1000 - 11, t / 1000 - 13, false));
          tx.setFirstContacts(new Tx.FirstContacts(id, 1, k, t + 5_000));
          tx.put("keep:" + id, "604800".getBytes(StandardCharsets.US_ASCII));
          if (who.queued()) {
            tx.queuePending(id, ("pending for " + who.name()).getBytes(StandardCharsets.UTF_8), t + 7);
            long e = tx.queueEnvelope(id, new byte[300 + k], t + 8);
            tx.reschedule(e, 3, t + 9_000);
            tx.insertNotice(id, t + 11, true, 4, 2);
          }
          return null;
        });
        secrets.millis.add(t + 1_000);
        secrets.millis.add(t + 9_000);
      }
      // Some messages read, as a user would have; the digests of 90 envelopes received.
      store.write(tx -> {
        for (int d = 0; d < 90; d++) {
          tx.markReceived(("digest " + d).getBytes(StandardCharsets.UTF_8), base + 13 + d);
        }
        List<Tx.Message> unread = tx.unread();
        for (int m = 0; m < unread.size(); m += 2) {
          tx.markRead(unread.get(m).id());
        }
        return null;
      });
    }
    return home;
  }

  // ---- what the thief sees

  /**
   * Per table: its columns, its row count, and per column the types and lengths of its values
   * (integers by type only) and how many distinct values it has; and the indexes.
   */
  private static Map<String, Object> thiefsView(Path home) throws Exception {
    Map<String, Object> view = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(Store.FILE_NAME));
        Statement s = c.createStatement()) {
      for (String[] object : objects(s)) {
        view.put(object[0] + " " + object[1], object[2]);
      }
      for (String table : tables(s)) {
        view.put(table + " rows", count(s, "SELECT COUNT(*) FROM " + table));
        for (String column : columns(s, table)) {
          Map<String, Long> shapes = new TreeMap<>();
          try (ResultSet r = s.executeQuery("SELECT typeof(" + column + "), CASE typeof(" + column
              + ") WHEN 'integer' THEN 0 ELSE length(" + column + ") END, COUNT(*) FROM " + table + " GROUP BY 1, 2")) {
            while (r.next()) {
              shapes.put(r.getString(1) + ":" + r.getLong(2), r.getLong(3));
            }
          }
          view.put(table + "." + column + " shapes", shapes);
          view.put(table + "." + column + " distinct", count(s, "SELECT COUNT(DISTINCT " + column + ") FROM " + table));
        }
      }
    }
    return view;
  }

  /**
   * Every column of every sealed table is the row id (an integer far from small counters, one
   * per row), a lookup key (32 bytes, unique to its row, shared with no other column), or a
   * sealed value of one size for the whole column; each table holds a rounded row count.
   */
  private static void assertOnlyOpaqueColumns(Path home) throws Exception {
    Set<String> sealedTables = new HashSet<>();
    for (Table t : Table.values()) {
      sealedTables.add(t.sqlName);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(Store.FILE_NAME));
        Statement s = c.createStatement()) {
      Set<String> keysSeen = new HashSet<>();
      for (String table : tables(s)) {
        if (!sealedTables.contains(table)) {
          assertTrue(CLEAR_TABLES.containsKey(table), "an unexpected table " + table);
          if (!table.equals("meta")) {
            assertEquals(0, count(s, "SELECT COUNT(*) FROM " + table), table + ": " + CLEAR_TABLES.get(table));
          }
          continue;
        }
        long rows = count(s, "SELECT COUNT(*) FROM " + table);
        assertTrue(rows >= Padding.MIN_ROWS && rows == Padding.rows(rows), table + " holds a rounded count: " + rows);
        for (String column : columns(s, table)) {
          List<Object> values = new ArrayList<>();
          try (ResultSet r = s.executeQuery("SELECT " + column + " FROM " + table)) {
            while (r.next()) {
              values.add(r.getObject(1));
            }
          }
          if (column.equals("id")) {
            Set<Long> ids = new HashSet<>();
            for (Object v : values) {
              long id = ((Number) v).longValue();
              assertTrue(id > 1L << 32, table + ".id holds " + id + ": not a keyed hash");
              ids.add(id);
            }
            assertEquals(values.size(), ids.size(), table + ".id");
          } else if (column.endsWith("_key")) {
            for (Object v : values) {
              byte[] key = (byte[]) v;
              assertEquals(32, key.length, table + "." + column);
              assertTrue(keysSeen.add(java.util.HexFormat.of().formatHex(key)),
                  table + "." + column + ": a lookup key shared by two rows or columns groups them");
            }
          } else {
            Set<Integer> lengths = new HashSet<>();
            for (Object v : values) {
              assertTrue(v instanceof byte[], table + "." + column + " holds a " + v.getClass().getSimpleName());
              lengths.add(((byte[]) v).length);
            }
            assertEquals(1, lengths.size(), table + "." + column + " has values of several lengths: " + lengths);
          }
        }
      }
      // meta: fixed names, the version in clear, every other value sealed and of one length.
      Set<Integer> lengths = new HashSet<>();
      try (ResultSet r = s.executeQuery("SELECT name, value FROM meta WHERE name != 'schema_version'")) {
        while (r.next()) {
          assertTrue(r.getString(1).equals("key_check") || r.getString(1).startsWith("rows:"), r.getString(1));
          if (r.getString(1).startsWith("rows:")) {
            lengths.add(r.getBytes(2).length);
          }
        }
      }
      assertEquals(1, lengths.size(), "the counters are sealed, of one length");
    }
  }

  /** No name, identity, card, text or time of the store, in any encoding, in store.db or its log. */
  private static void assertNothingReadable(Path home, Secrets secrets) throws Exception {
    byte[] files = files(home);
    for (byte[] secret : secrets.bytes) {
      assertFalse(contains(files, secret), new String(secret, StandardCharsets.UTF_8) + " is in the files");
    }
    assertFalse(contains(files, "keep:".getBytes(StandardCharsets.US_ASCII)), "a key-value name is in the files");
    for (long millis : secrets.millis) {
      for (byte[] encoding : encodings(millis, true)) {
        assertFalse(contains(files, encoding), "the time " + millis + " is in the files");
      }
    }
    for (long seconds : secrets.seconds) {
      for (byte[] encoding : encodings(seconds, false)) {
        assertFalse(contains(files, encoding), "the time " + seconds + " is in the files");
      }
    }
    String day = Instant.ofEpochMilli(T0).atZone(ZoneOffset.UTC).toLocalDate().toString();
    assertFalse(contains(files, day.getBytes(StandardCharsets.US_ASCII)), "a date is in the files");
  }

  /** A time as SQLite, Java or a human might write it: big- and little-endian, 8, 6 and 4 bytes, decimal. */
  private static List<byte[]> encodings(long value, boolean millis) {
    List<byte[]> out = new ArrayList<>();
    out.add(ByteBuffer.allocate(8).putLong(value).array());
    out.add(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    byte[] be = ByteBuffer.allocate(8).putLong(value).array();
    if (millis) {
      out.add(java.util.Arrays.copyOfRange(be, 2, 8)); // SQLite's 6-byte integer
    } else {
      out.add(java.util.Arrays.copyOfRange(be, 4, 8)); // SQLite's 4-byte integer
      out.add(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array());
    }
    out.add(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
    return out;
  }

  // ---- plumbing

  private static byte[] files(Path home) throws Exception {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (String suffix : List.of("", "-wal")) {
      Path file = home.resolve(Store.FILE_NAME + suffix);
      if (Files.exists(file)) {
        all.writeBytes(Files.readAllBytes(file));
      }
    }
    return all.toByteArray();
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static List<String[]> objects(Statement s) throws Exception {
    List<String[]> out = new ArrayList<>();
    try (ResultSet r = s.executeQuery("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")) {
      while (r.next()) {
        out.add(new String[] {r.getString(1), r.getString(2), r.getString(3)});
      }
    }
    return out;
  }

  private static List<String> tables(Statement s) throws Exception {
    List<String> out = new ArrayList<>();
    try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  private static List<String> columns(Statement s, String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (ResultSet r = s.executeQuery("SELECT name FROM pragma_table_info('" + table + "')")) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  private static long count(Statement s, String sql) throws Exception {
    try (ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }
}
