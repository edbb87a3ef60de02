package dev.sotto.node;

import dev.sotto.Card;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Contact requests (spec: transport.adoc#node-requests): a first contact from an identity that is
 * not a contact is held as a request, a contact row that nothing treats as a contact until the
 * user accepts it: its tags are not fetched, nothing is sent to it, it is not listed, and its
 * messages are not shown. This class keeps, sealed in the store's key-value table, which contacts
 * are requests (with the card each came through and what it holds), the identities the user
 * blocked, and the {@code DROPPED} answers waiting to be sent. Every method works inside the
 * caller's transaction.
 */
final class Requests {
  static final String KV = "requests";
  static final String KV_BLOCKED = "blocked";
  static final String KV_TELLS = "tells";

  /**
   * One request: its contact row; the card it came through ({@link #cardId}); the name the
   * requester gives itself (made safe); when it came (ms); the texts it holds and their bytes;
   * whether the user was shown that it came.
   */
  record Request(long contactId, String card, String name, long at, int texts, long bytes, boolean shown) {
    Request with(int moreTexts, long moreBytes) {
      return new Request(contactId, card, name, at, texts + moreTexts, bytes + moreBytes, shown);
    }

    Request shownNow() {
      return new Request(contactId, card, name, at, texts, bytes, true);
    }
  }

  /** The requests, in the order they came. */
  static final class Held {
    private final List<Request> requests;

    private Held(List<Request> requests) {
      this.requests = requests;
    }

    List<Request> all() {
      return List.copyOf(requests);
    }

    Request of(long contactId) {
      for (Request r : requests) {
        if (r.contactId() == contactId) {
          return r;
        }
      }
      return null;
    }

    boolean has(long contactId) {
      return of(contactId) != null;
    }

    Set<Long> ids() {
      Set<Long> ids = new LinkedHashSet<>();
      requests.forEach(r -> ids.add(r.contactId()));
      return ids;
    }

    int through(String card) {
      return (int) requests.stream().filter(r -> r.card().equals(card)).count();
    }

    /** Whether a new request through {@code card} finds no room: its card's share, or all of them, is used up. */
    boolean full(String card, NodeCore.RequestPolicy bounds) {
      return through(card) >= bounds.perCard() || requests.size() >= bounds.total();
    }

    void add(Request r) {
      requests.add(r);
    }

    void replace(Request r) {
      requests.replaceAll(old -> old.contactId() == r.contactId() ? r : old);
    }

    void remove(long contactId) {
      requests.removeIf(r -> r.contactId() == contactId);
    }

    byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(1);
      u32(out, requests.size());
      for (Request r : requests) {
        u64(out, r.contactId());
        string(out, r.card());
        string(out, r.name());
        u64(out, r.at());
        u32(out, r.texts());
        u64(out, r.bytes());
        out.write(r.shown() ? 1 : 0);
      }
      return out.toByteArray();
    }

    static Held decode(byte[] encoded) throws StoreException {
      List<Request> requests = new ArrayList<>();
      try {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        version(in, "requests");
        for (long n = in.getInt() & 0xffffffffL; n > 0; n--) {
          requests.add(new Request(in.getLong(), string(in), string(in), in.getLong(), in.getInt(), in.getLong(),
              in.get() == 1));
        }
        end(in, "requests");
      } catch (BufferUnderflowException | IllegalArgumentException e) {
        throw corrupt("requests");
      }
      return new Held(requests);
    }
  }

  private Requests() {}

  static Held read(Tx tx) throws StoreException {
    byte[] encoded = tx.get(KV).orElse(null);
    return encoded == null ? new Held(new ArrayList<>()) : Held.decode(encoded);
  }

  static void write(Tx tx, Held held) throws StoreException {
    if (held.requests.isEmpty()) {
      tx.delete(KV);
    } else {
      tx.put(KV, held.encode());
    }
  }

  /**
   * A card's short id, as the user is shown it: the first 4 bytes of the SHA-256 of its encoding,
   * in hex. It names the card locally and appears nowhere on the wire.
   */
  static String cardId(Card card) {
    return HexFormat.of().formatHex(NodeCore.sha256(card.encoded()), 0, 4);
  }

  /** The name a request's contact row has until it is accepted: no contact name looks like it ('#' is never in one). */
  static String placeholder(byte[] identity) {
    return "#" + HexFormat.of().formatHex(NodeCore.sha256(identity), 0, 8);
  }

  // ---------------------------------------------------------------- blocked identities

  /** An identity the user blocked: its public identity bytes, the name it had, when (ms). */
  record Blocked(byte[] identity, String name, long at) {
    @Override
    public String toString() {
      return "Blocked[" + name + "]";
    }
  }

  static List<Blocked> blocked(Tx tx) throws StoreException {
    byte[] encoded = tx.get(KV_BLOCKED).orElse(null);
    List<Blocked> out = new ArrayList<>();
    if (encoded == null) {
      return out;
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(encoded);
      version(in, "blocked identities");
      for (long n = in.getInt() & 0xffffffffL; n > 0; n--) {
        out.add(new Blocked(bytes(in), string(in), in.getLong()));
      }
      end(in, "blocked identities");
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw corrupt("blocked identities");
    }
    return out;
  }

  static boolean isBlocked(Tx tx, byte[] identity) throws StoreException {
    for (Blocked b : blocked(tx)) {
      if (Arrays.equals(b.identity(), identity)) {
        return true;
      }
    }
    return false;
  }

  /** Adds an identity to the blocked ones (once). */
  static void block(Tx tx, byte[] identity, String name, long now) throws StoreException {
    List<Blocked> all = blocked(tx);
    for (Blocked b : all) {
      if (Arrays.equals(b.identity(), identity)) {
        return;
      }
    }
    all.add(new Blocked(identity.clone(), name, now));
    writeBlocked(tx, all);
  }

  /** Removes an identity from the blocked ones; whether it was there. */
  static boolean unblock(Tx tx, byte[] identity) throws StoreException {
    List<Blocked> all = blocked(tx);
    boolean removed = all.removeIf(b -> Arrays.equals(b.identity(), identity));
    if (removed) {
      writeBlocked(tx, all);
    }
    return removed;
  }

  private static void writeBlocked(Tx tx, List<Blocked> all) throws StoreException {
    if (all.isEmpty()) {
      tx.delete(KV_BLOCKED);
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    u32(out, all.size());
    for (Blocked b : all) {
      bytes(out, b.identity());
      string(out, b.name());
      u64(out, b.at());
    }
    tx.put(KV_BLOCKED, out.toByteArray());
  }

  // ---------------------------------------------------------------- DROPPED answers to send

  /** A DROPPED sealed for a requester that was not kept: its card (where to send it) and the envelope. */
  record Tell(byte[] card, byte[] envelope, long at) {
    @Override
    public String toString() {
      return "Tell[" + envelope.length + " bytes]";
    }
  }

  static List<Tell> tells(Tx tx) throws StoreException {
    byte[] encoded = tx.get(KV_TELLS).orElse(null);
    List<Tell> out = new ArrayList<>();
    if (encoded == null) {
      return out;
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(encoded);
      version(in, "answers to send");
      for (long n = in.getInt() & 0xffffffffL; n > 0; n--) {
        out.add(new Tell(bytes(in), bytes(in), in.getLong()));
      }
      end(in, "answers to send");
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw corrupt("answers to send");
    }
    return out;
  }

  /** Queues a DROPPED to send, unless {@code max} wait already; whether it was queued. */
  static boolean addTell(Tx tx, Tell tell, int max) throws StoreException {
    List<Tell> all = tells(tx);
    if (all.size() >= max) {
      return false;
    }
    all.add(tell);
    writeTells(tx, all);
    return true;
  }

  /** Removes the first waiting DROPPED if it is {@code sent} (the same envelope). */
  static void removeTell(Tx tx, Tell sent) throws StoreException {
    List<Tell> all = tells(tx);
    if (all.removeIf(t -> Arrays.equals(t.envelope(), sent.envelope()))) {
      writeTells(tx, all);
    }
  }

  private static void writeTells(Tx tx, List<Tell> all) throws StoreException {
    if (all.isEmpty()) {
      tx.delete(KV_TELLS);
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    u32(out, all.size());
    for (Tell t : all) {
      bytes(out, t.card());
      bytes(out, t.envelope());
      u64(out, t.at());
    }
    tx.put(KV_TELLS, out.toByteArray());
  }

  // ---------------------------------------------------------------- encoding

  private static void version(ByteBuffer in, String what) throws StoreException {
    if (in.get() != 1) {
      throw new StoreException(StoreException.Kind.CORRUPT, "unknown version of the " + what);
    }
  }

  private static void end(ByteBuffer in, String what) throws StoreException {
    if (in.hasRemaining()) {
      throw new StoreException(StoreException.Kind.CORRUPT, "bytes after the " + what);
    }
  }

  private static StoreException corrupt(String what) {
    return new StoreException(StoreException.Kind.CORRUPT, "the " + what + " are malformed");
  }

  private static void u32(ByteArrayOutputStream out, long v) {
    out.write((int) (v >>> 24));
    out.write((int) (v >>> 16));
    out.write((int) (v >>> 8));
    out.write((int) v);
  }

  private static void u64(ByteArrayOutputStream out, long v) {
    u32(out, v >>> 32);
    u32(out, v);
  }

  private static void bytes(ByteArrayOutputStream out, byte[] b) {
    u32(out, b.length);
    out.writeBytes(b);
  }

  private static void string(ByteArrayOutputStream out, String s) {
    bytes(out, s.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] bytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("a length beyond the value");
    }
    byte[] b = new byte[length];
    in.get(b);
    return b;
  }

  private static String string(ByteBuffer in) {
    return new String(bytes(in), StandardCharsets.UTF_8);
  }
}
