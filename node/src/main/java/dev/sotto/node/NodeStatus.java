package dev.sotto.node;

import dev.sotto.Address;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the running node is doing, for {@code sotto status} and {@code sotto outbox} in another
 * process: each of its mailboxes (the last fetch, whether it works and since when, why not), each
 * contact it fails to deliver to (since when, why), and each part of its own work that fails (a
 * full disk shows here). It is kept in memory, logged when something starts or stops failing
 * (never at each attempt), and written to the store as one sealed key-value entry ({@value #KV})
 * when it changed, at most every {@link #WRITE_EVERY_MILLIS} ms, and once a minute all the same
 * (so that a reader can tell a node that stopped writing).
 */
final class NodeStatus {
  static final String KV = "node-status";
  private static final int VERSION = 1;
  static final long WRITE_EVERY_MILLIS = 250;
  static final long HEARTBEAT_MILLIS = 60_000;

  /** A mailbox of this node: its address; the last fetch and the last one that worked (ms, 0: none); a failure. */
  record Mailbox(String address, long lastFetchMillis, long lastOkMillis, Trouble fetch, Trouble publish) {}

  /** Something that fails: since when (ms), why, how many times in a row. */
  record Trouble(long sinceMillis, String error, long failures) {}

  /** A contact this node fails to deliver to. */
  record Contact(long contactId, Trouble delivery) {}

  /**
   * The status as written: when, since when the node runs (until when: 0 while it runs), its
   * process, where it listens (empty: nowhere), its
   * mailboxes, the contacts it fails to deliver to, the parts of its work that fail (by name), and
   * the envelopes it refused (received ones that do not open, prekeys that do not verify).
   */
  record Snapshot(long writtenMillis, long startedMillis, long stoppedMillis, long pid, String listening,
      List<Mailbox> mailboxes,
      List<Contact> failingContacts, Map<String, Trouble> problems, long refused, String lastRefused,
      long lastRefusedMillis) {}

  private final System.Logger log;
  private final long startedMillis;
  private String listening = "";
  private long stoppedMillis;
  private final Map<String, long[]> fetches = new LinkedHashMap<>();
  private final Map<String, Trouble> fetchTrouble = new TreeMap<>();
  private final Map<String, Trouble> publishTrouble = new TreeMap<>();
  private final Map<Long, Trouble> contacts = new TreeMap<>();
  private final Map<String, Trouble> problems = new TreeMap<>();
  private long refused;
  private String lastRefused = "";
  private long lastRefusedMillis;
  private boolean dirty = true;
  private long lastWrite;

  NodeStatus(System.Logger log, long startedMillis) {
    this.log = log;
    this.startedMillis = startedMillis;
  }

  /** Takes over what a previous run wrote and still holds: when failures began. */
  synchronized void resume(Snapshot previous) {
    if (previous == null) {
      return;
    }
    for (Contact c : previous.failingContacts()) {
      contacts.put(c.contactId(), c.delivery());
    }
    for (Mailbox m : previous.mailboxes()) {
      if (m.fetch() != null) {
        fetchTrouble.put(m.address(), m.fetch());
      }
      fetches.put(m.address(), new long[] {m.lastFetchMillis(), m.lastOkMillis()});
    }
  }

  synchronized void listening(String where) {
    listening = where;
    dirty = true;
  }

  /** The node stopped (cleanly) at {@code now}. */
  synchronized void stopped(long now) {
    stoppedMillis = now;
    dirty = true;
  }

  /** The mailboxes this node fetches from (by {@link Node#addressText}); others are forgotten. */
  synchronized void mailboxes(List<Address> mailboxes) {
    List<String> keys = mailboxes.stream().map(Node::addressText).toList();
    fetches.keySet().retainAll(keys);
    fetchTrouble.keySet().retainAll(keys);
    publishTrouble.keySet().retainAll(keys);
    for (String k : keys) {
      fetches.putIfAbsent(k, new long[2]);
    }
  }

  /** A fetch round at a mailbox ended: it worked, or failed with {@code error}. */
  synchronized void fetched(Address mailbox, long now, String error) {
    String key = Node.addressText(mailbox);
    long[] times = fetches.computeIfAbsent(key, k -> new long[2]);
    times[0] = now;
    if (error == null) {
      times[1] = now;
      Trouble was = fetchTrouble.remove(key);
      if (was != null) {
        say(Level.INFO, "mailbox " + shown(mailbox) + ": fetching works again (it failed since " + iso(was.sinceMillis())
            + ": " + was.error() + ")");
        dirty = true;
      }
    } else {
      Trouble was = fetchTrouble.get(key);
      fetchTrouble.put(key, next(was, now, error));
      if (was == null || !was.error().equals(error)) {
        say(Level.WARNING, "mailbox " + shown(mailbox) + ": cannot fetch: " + error);
      }
      dirty = true;
    }
  }

  /** A publication of prekeys to a mailbox worked, or failed with {@code error}. */
  synchronized void published(Address mailbox, long now, String error) {
    String key = Node.addressText(mailbox);
    if (error == null) {
      if (publishTrouble.remove(key) != null) {
        say(Level.INFO, "mailbox " + shown(mailbox) + ": publishing prekeys works again");
        dirty = true;
      }
    } else {
      Trouble was = publishTrouble.get(key);
      publishTrouble.put(key, next(was, now, error));
      if (was == null || !was.error().equals(error)) {
        say(Level.WARNING, "mailbox " + shown(mailbox) + ": cannot publish prekeys: " + error);
      }
      dirty = true;
    }
  }

  /** A delivery round to a contact went through ({@code error} null), or stopped at an envelope no address took. */
  synchronized void delivery(long contactId, long now, String error) {
    if (error == null) {
      Trouble was = contacts.remove(contactId);
      if (was != null) {
        say(Level.INFO, "contact #" + contactId + ": delivering works again (it failed since " + iso(was.sinceMillis())
            + ")");
        dirty = true;
      }
    } else {
      Trouble was = contacts.get(contactId);
      contacts.put(contactId, next(was, now, error));
      if (was == null || !was.error().equals(error)) {
        say(Level.INFO, "contact #" + contactId + ": cannot deliver: " + error);
      }
      dirty = true;
    }
  }

  /** A contact's delivery trouble, if it has any now. */
  synchronized Trouble delivery(long contactId) {
    return contacts.get(contactId);
  }

  /** A part of the node's work ({@code what}: sealing, fetch, ...) failed with {@code error}, or worked (null). */
  synchronized void work(String what, long now, String error) {
    if (error == null) {
      Trouble was = problems.remove(what);
      if (was != null) {
        say(Level.INFO, what + " works again (it failed since " + iso(was.sinceMillis()) + ": " + was.error() + ")");
        dirty = true;
      }
    } else {
      Trouble was = problems.get(what);
      problems.put(what, next(was, now, error));
      if (was == null || !was.error().equals(error)) {
        say(Level.WARNING, what + " failed: " + error);
      }
      dirty = true;
    }
  }

  /** Something received or fetched was refused ({@code what} names the kind and the error code, nothing more). */
  synchronized void refused(long now, String what) {
    refused++;
    if (!what.equals(lastRefused) || now - lastRefusedMillis > 60_000) {
      say(Level.INFO, "refused " + what);
    }
    lastRefused = what;
    lastRefusedMillis = now;
    dirty = true;
  }

  private void say(Level level, String message) {
    log.log(level, message);
  }

  private static Trouble next(Trouble was, long now, String error) {
    return new Trouble(was == null ? now : was.sinceMillis(), error, was == null ? 1 : was.failures() + 1);
  }

  /** A mailbox or node as the user is shown it: its kind, host and port, not its key. */
  static String shown(Address a) {
    String host = a.host().indexOf(':') >= 0 ? "[" + a.host() + "]" : a.host();
    return host + ":" + a.port();
  }

  /** The snapshot to write now, or null when nothing changed and the last write is recent. */
  synchronized Snapshot due(long now) {
    if (!(dirty && now - lastWrite >= WRITE_EVERY_MILLIS) && now - lastWrite < HEARTBEAT_MILLIS) {
      return null;
    }
    return snapshot(now);
  }

  /** Notes that the snapshot of {@code now} was written. */
  synchronized void written(long now) {
    dirty = false;
    lastWrite = now;
  }

  synchronized void touch() {
    dirty = true;
  }

  synchronized Snapshot snapshot(long now) {
    List<Mailbox> mailboxes = new ArrayList<>();
    fetches.forEach((k, t) -> mailboxes.add(new Mailbox(k, t[0], t[1], fetchTrouble.get(k), publishTrouble.get(k))));
    List<Contact> failing = new ArrayList<>();
    contacts.forEach((id, t) -> failing.add(new Contact(id, t)));
    return new Snapshot(now, startedMillis, stoppedMillis, ProcessHandle.current().pid(), listening, mailboxes, failing,
        new TreeMap<>(problems), refused, lastRefused, lastRefusedMillis);
  }

  static byte[] encode(Snapshot s) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(VERSION);
      out.writeLong(s.writtenMillis());
      out.writeLong(s.startedMillis());
      out.writeLong(s.stoppedMillis());
      out.writeLong(s.pid());
      out.writeUTF(s.listening());
      out.writeInt(s.mailboxes().size());
      for (Mailbox m : s.mailboxes()) {
        out.writeUTF(m.address());
        out.writeLong(m.lastFetchMillis());
        out.writeLong(m.lastOkMillis());
        write(out, m.fetch());
        write(out, m.publish());
      }
      out.writeInt(s.failingContacts().size());
      for (Contact c : s.failingContacts()) {
        out.writeLong(c.contactId());
        write(out, c.delivery());
      }
      out.writeInt(s.problems().size());
      for (Map.Entry<String, Trouble> p : s.problems().entrySet()) {
        out.writeUTF(p.getKey());
        write(out, p.getValue());
      }
      out.writeLong(s.refused());
      out.writeUTF(s.lastRefused());
      out.writeLong(s.lastRefusedMillis());
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void write(DataOutputStream out, Trouble t) throws IOException {
    out.writeBoolean(t != null);
    if (t != null) {
      out.writeLong(t.sinceMillis());
      out.writeUTF(clip(t.error()));
      out.writeLong(t.failures());
    }
  }

  private static Trouble trouble(DataInputStream in) throws IOException {
    return in.readBoolean() ? new Trouble(in.readLong(), in.readUTF(), in.readLong()) : null;
  }

  private static String clip(String s) {
    return s.length() > 500 ? s.substring(0, 500) : s;
  }

  /** The snapshot, or null if it is not one this code reads. */
  static Snapshot decode(byte[] encoded) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded));
      if (in.readByte() != VERSION) {
        return null;
      }
      long written = in.readLong();
      long started = in.readLong();
      long stopped = in.readLong();
      long pid = in.readLong();
      String listening = in.readUTF();
      List<Mailbox> mailboxes = new ArrayList<>();
      for (int i = in.readInt(); i > 0; i--) {
        mailboxes.add(new Mailbox(in.readUTF(), in.readLong(), in.readLong(), trouble(in), trouble(in)));
      }
      List<Contact> contacts = new ArrayList<>();
      for (int i = in.readInt(); i > 0; i--) {
        contacts.add(new Contact(in.readLong(), trouble(in)));
      }
      Map<String, Trouble> problems = new TreeMap<>();
      for (int i = in.readInt(); i > 0; i--) {
        problems.put(in.readUTF(), trouble(in));
      }
      return new Snapshot(written, started, stopped, pid, listening, mailboxes, contacts, problems, in.readLong(), in.readUTF(),
          in.readLong());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A time in the log: ISO 8601, UTC. */
  private static String iso(long millis) {
    return java.time.Instant.ofEpochMilli(millis).toString();
  }
}
