package dev.sotto.node;

import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What became of the messages this node sends, kept in the store with the outbox it describes:
 * which message (contact and seq) each envelope in the outbox carries, written in the transaction
 * that seals it, and how the last {@link #MAX_DONE} messages left (delivered to the contact's
 * node, left at which mailbox, or dropped), written in the transaction that takes their
 * envelopes out of the outbox. {@code sotto send} and {@code sotto outbox} read it.
 *
 * <p>It is one key-value entry ({@value #KV}), so sealed like every value there (store's
 * {@code Sealer}: the table, column and name bound to it); nothing about it is in clear but its
 * length, which grows with the outbox (17 bytes an envelope), as the outbox's row count does.
 */
final class Ledger {
  static final String KV = "delivery-ledger";
  private static final int VERSION = 1;
  /** Envelopes described at most; beyond it the oldest are forgotten (shown as "sealed earlier"). */
  static final int MAX_WAITING = 4096;
  /** Outcomes kept: enough for 'send' to find its message's. */
  static final int MAX_DONE = 128;

  /** An envelope in the outbox and the message it carries (a node message's kind and seq). */
  record Waiting(long outboxId, long contactId, long seq, int kind) {}

  /** How a message left. */
  enum Route {
    /** Delivered to the contact's node, which committed it. */
    DIRECT,
    /** Left at a mailbox of the contact's, which took it. */
    MAILBOX,
    /** Never sent: it could not be sealed (the reason says why). */
    DROPPED
  }

  /**
   * A message that left the outbox: how, where (a mailbox's or a node's host and port; for
   * DROPPED, the reason) and when (ms).
   */
  record Done(long contactId, long seq, int kind, Route route, String where, long atMillis) {}

  private final List<Waiting> waiting;
  private final Deque<Done> done;

  private Ledger(List<Waiting> waiting, Deque<Done> done) {
    this.waiting = waiting;
    this.done = done;
  }

  static Ledger empty() {
    return new Ledger(new ArrayList<>(), new ArrayDeque<>());
  }

  /** The ledger in the store (empty if none, or unreadable: it only describes, never decides). */
  static Ledger read(Tx tx) throws StoreException {
    return tx.getPlain(KV).map(Ledger::decode).orElseGet(Ledger::empty);
  }

  void write(Tx tx) throws StoreException {
    tx.putPlain(KV, encode());
  }

  List<Waiting> waiting() {
    return List.copyOf(waiting);
  }

  List<Done> done() {
    return List.copyOf(done);
  }

  /** Notes envelopes just sealed. */
  void sealed(Collection<Waiting> sealed) {
    waiting.addAll(sealed);
    if (waiting.size() > MAX_WAITING) {
      waiting.sort(java.util.Comparator.comparingLong(Waiting::outboxId));
      waiting.subList(0, waiting.size() - MAX_WAITING).clear();
    }
  }

  /** The message an envelope carries, if known. */
  Waiting of(long outboxId) {
    for (Waiting w : waiting) {
      if (w.outboxId() == outboxId) {
        return w;
      }
    }
    return null;
  }

  /**
   * Takes envelopes out (delivered, or deleted) and notes how their messages left: a message
   * whose envelopes are all gone; {@code how} for each outbox id (null: gone without an outcome).
   */
  void left(List<Long> outboxIds, List<Done> outcomes) {
    Set<Long> ids = new HashSet<>(outboxIds);
    waiting.removeIf(w -> ids.contains(w.outboxId()));
    for (Done d : outcomes) {
      if (d == null) {
        continue;
      }
      boolean stillWaiting = waiting.stream().anyMatch(w -> w.contactId() == d.contactId() && w.seq() == d.seq()
          && w.kind() == d.kind());
      if (!stillWaiting) {
        done.removeIf(x -> x.contactId() == d.contactId() && x.seq() == d.seq() && x.kind() == d.kind());
        done.addLast(d);
      }
    }
    while (done.size() > MAX_DONE) {
      done.removeFirst();
    }
  }

  /** The last outcome of a message, if it is among the kept ones. */
  Done outcome(long contactId, long seq, int kind) {
    Done found = null;
    for (Done d : done) {
      if (d.contactId() == contactId && d.seq() == seq && d.kind() == kind) {
        found = d;
      }
    }
    return found;
  }

  /**
   * The ledger's bytes: the version, then each waiting envelope (u32 count; outbox id, contact id,
   * seq as i64, kind as a byte), then each outcome (u32 count; contact id, seq, kind, route,
   * {@code where} as Java's modified UTF-8 with a u16 length, time): the layout of
   * DataOutputStream's writes, laid out in one buffer (only the strings go through writeUTF).
   */
  byte[] encode() {
    byte[][] wheres = new byte[done.size()][];
    int length = 1 + 4 + waiting.size() * 25 + 4;
    int i = 0;
    for (Done d : done) {
      wheres[i] = writeUtf(d.where());
      length += 8 + 8 + 1 + 1 + wheres[i].length + 8;
      i++;
    }
    ByteBuffer out = ByteBuffer.allocate(length);
    out.put((byte) VERSION);
    out.putInt(waiting.size());
    for (Waiting w : waiting) {
      out.putLong(w.outboxId()).putLong(w.contactId()).putLong(w.seq()).put((byte) w.kind());
    }
    out.putInt(done.size());
    i = 0;
    for (Done d : done) {
      out.putLong(d.contactId()).putLong(d.seq()).put((byte) d.kind()).put((byte) d.route().ordinal());
      out.put(wheres[i]);
      out.putLong(d.atMillis());
      i++;
    }
    return out.array();
  }

  /** A string as DataOutputStream.writeUTF writes it: a u16 length, then Java's modified UTF-8. */
  private static byte[] writeUtf(String s) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length() + 2);
    try {
      new DataOutputStream(bytes).writeUTF(s);
    } catch (IOException e) {
      throw new IllegalStateException(e); // longer than 65,535 bytes encoded
    }
    return bytes.toByteArray();
  }

  /** The ledger of {@link #encode}'s bytes; empty if they are not such (another version, cut, malformed). */
  static Ledger decode(byte[] encoded) {
    try {
      ByteBuffer in = ByteBuffer.wrap(encoded);
      if (in.get() != VERSION) {
        return empty();
      }
      int n = in.getInt();
      List<Waiting> waiting = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        waiting.add(new Waiting(in.getLong(), in.getLong(), in.getLong(), in.get() & 0xff));
      }
      int m = in.getInt();
      Deque<Done> done = new ArrayDeque<>();
      for (int i = 0; i < m; i++) {
        long contact = in.getLong();
        long seq = in.getLong();
        int kind = in.get() & 0xff;
        Route route = Route.values()[in.get() & 0xff];
        int at = in.position();
        int whereLength = 2 + (in.getShort() & 0xffff);
        if (whereLength - 2 > in.remaining()) {
          return empty();
        }
        String where = new DataInputStream(new ByteArrayInputStream(encoded, at, whereLength)).readUTF();
        in.position(at + whereLength);
        done.add(new Done(contact, seq, kind, route, where, in.getLong()));
      }
      return new Ledger(waiting, done);
    } catch (IOException | RuntimeException e) {
      return empty();
    }
  }
}
