package dev.sotto.node.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * One transaction on a {@link Store}, handed to a {@link Store.Work}. It is valid only while the
 * work runs; a read transaction refuses the methods that write ({@link IllegalStateException}).
 *
 * <p>Arrays passed in are not kept; arrays returned are fresh. Columns of user data are sealed
 * (see {@link Sealer}) and opened here; a value that fails to open is {@code CORRUPT}. Updates of
 * a row that is not there are {@code MISSING}; deletes of a row that is not there do nothing.
 * A row that names a contact that does not exist is {@code MISSING} too.
 */
public final class Tx {
  /** Parameters per statement in {@link #fetch}: well below SQLite's limit. */
  private static final int FETCH_CHUNK = 500;

  /**
   * A contact.
   *
   * @param identity the contact's public identity bytes, as the protocol library encodes them
   * @param card the contact's card as last received, or null
   * @param nextOutSeq the sequence number of the next message to them
   * @param nextInSeq the sequence number expected next from them
   */
  public record Contact(
      long id, String name, byte[] identity, byte[] card, long nextOutSeq, long nextInSeq, long created) {
    /** The same contact with another card. */
    public Contact withCard(byte[] newCard) {
      return new Contact(id, name, identity, newCard, nextOutSeq, nextInSeq, created);
    }

  }

  /**
   * A session's serialised state and its place among its contact's sessions; {@link #toString()}
   * does not show the state.
   *
   * @param resetAt the sent_at of the RESET that started the session, or -1 (started by a HELLO)
   * @param initiated whether this node started it (sent its first contact)
   * @param superseded when (this node's clock, milliseconds) another session became the one this
   *     node sends in, or -1
   * @param heard whether an envelope of the peer was opened in it (a session this node accepted
   *     was heard at once)
   * @param resentFrom the lowest seq re-queued into it after a RESET or SYNC, or -1
   */
  public record SessionRow(long id, long contactId, byte[] state, long created, long updated, long resetAt,
      boolean initiated, long superseded, boolean heard, long resentFrom) {
    @Override
    public String toString() {
      return "SessionRow[id=" + id + ", contactId=" + contactId + ", state=" + state.length + " bytes, created="
          + created + ", updated=" + updated + ", resetAt=" + resetAt + ", initiated=" + initiated + ", superseded="
          + superseded + ", heard=" + heard + ", resentFrom=" + resentFrom + "]";
    }
  }

  /**
   * A contact's session resets (all clear columns).
   *
   * @param resets how many resets this node made or accepted with the contact
   * @param missing how many of the contact's messages were missing at them, in all
   * @param resetIn the sent_at of the last RESET accepted from the contact, or -1
   * @param resetOut the sent_at of the last RESET this node sent the contact, or -1
   * @param wanted whether a reset was asked for and not made yet
   */
  public record Resets(long contactId, long resets, long missing, long resetIn, long resetOut, boolean wanted) {}

  /** What a RESET or SYNC told this node, for the user: who reset, how many messages were missing and resent. */
  public record Notice(long id, long contactId, long at, boolean byPeer, long missing, long resent, boolean read) {}

  /** A plaintext the user asked to send, not sealed yet; {@link #toString()} does not show it. */
  public record Pending(long id, long contactId, byte[] payload, long created) {
    @Override
    public String toString() {
      return "Pending[id=" + id + ", contactId=" + contactId + ", payload=" + payload.length + " bytes, created="
          + created + "]";
    }
  }

  /** A sealed envelope waiting to go out. */
  public record Outgoing(long id, long contactId, byte[] envelope, int attempts, long nextAttemptMillis, long created) {}

  /**
   * A message of a conversation; {@link #toString()} does not show its text.
   *
   * @param seq the sender's sequence number for this contact and direction
   * @param sentAt the sender's clock
   * @param storedAt this node's clock when the message was stored
   * @param read whether the user has seen it; outgoing messages are stored read
   * @param text a TEXT's text; for a HELLO, empty, or for an incoming one that changed the
   *     contact's addresses, the new addresses as the user is shown them
   * @param kind the node message kind it came in or went out as: HELLO (1) or TEXT (2)
   */
  public record Message(long id, long contactId, boolean incoming, long seq, long sentAt, long storedAt, String text,
      boolean read, int kind) {
    @Override
    public String toString() {
      return "Message[id=" + id + ", contactId=" + contactId + ", incoming=" + incoming + ", seq=" + seq + ", sentAt="
          + sentAt + ", storedAt=" + storedAt + ", text=" + text.length() + " chars, read=" + read + ", kind=" + kind
          + "]";
    }
  }

  /** An envelope held by this node's mailbox for someone else. */
  public record Item(long id, byte[] tag, byte[] envelope, long deposited, long expires) {}

  /** The outcome of {@link #deposit}. */
  public enum DepositResult {
    /** The envelope is stored. */
    STORED,
    /** An identical envelope is already held under the tag: nothing stored. */
    DUPLICATE,
    /** The tag holds its maximum number of envelopes. */
    TAG_FULL,
    /** The mailbox holds its maximum number of bytes. */
    STORE_FULL
  }

  private final Connection connection;
  private final Sealer sealer;
  private final boolean writable;
  private boolean ended;

  Tx(Connection connection, Sealer sealer, boolean writable) {
    this.connection = connection;
    this.sealer = sealer;
    this.writable = writable;
  }

  void end() {
    ended = true;
  }

  // ---- key-value

  /** The value stored under {@code name}, if any. */
  public Optional<byte[]> get(String name) throws StoreException {
    byte[] rowKey = Sealer.rowKey(name);
    return one("SELECT value FROM kv WHERE name = ?", r -> sealer.open("kv", "value", rowKey, r.getBytes(1)), name);
  }

  /** Stores {@code value} under {@code name}, replacing any value there. */
  public void put(String name, byte[] value) throws StoreException {
    writing();
    update("INSERT INTO kv (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        name, sealer.seal("kv", "value", Sealer.rowKey(name), value));
  }

  /** Removes the value under {@code name}, if any. */
  public void delete(String name) throws StoreException {
    writing();
    update("DELETE FROM kv WHERE name = ?", name);
  }

  // ---- contacts

  private static final String CONTACT = "SELECT id, name, identity, card, next_out_seq, next_in_seq, created FROM contacts";

  /**
   * Adds a contact with sequence numbers at zero.
   *
   * @return its id
   * @throws StoreException {@code EXISTS} if a contact has this name or this identity
   */
  public long insertContact(String name, byte[] identity, byte[] cardOrNull, long nowMillis) throws StoreException {
    writing();
    byte[] nameIndex = nameIndex(name);
    byte[] identityIndex = identityIndex(identity);
    requireUnique(-1, nameIndex, identityIndex);
    long id = nextId("contacts");
    update("INSERT INTO contacts (id, name_index, identity_index, name, identity, card, next_out_seq, next_in_seq, created)"
            + " VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)",
        id, nameIndex, identityIndex, seal("contacts", "name", id, utf8(name)),
        seal("contacts", "identity", id, identity), cardOrNull == null ? null : seal("contacts", "card", id, cardOrNull),
        nowMillis);
    return id;
  }

  /**
   * Replaces the contact with {@code c.id()} by {@code c} (all fields but the id and the creation time).
   *
   * @throws StoreException {@code MISSING} if there is no such contact, {@code EXISTS} if another
   *     contact has the new name or identity
   */
  public void updateContact(Contact c) throws StoreException {
    writing();
    byte[] nameIndex = nameIndex(c.name());
    byte[] identityIndex = identityIndex(c.identity());
    requireUnique(c.id(), nameIndex, identityIndex);
    long id = c.id();
    updated(update("UPDATE contacts SET name_index = ?, identity_index = ?, name = ?, identity = ?, card = ?,"
            + " next_out_seq = ?, next_in_seq = ? WHERE id = ?",
        nameIndex, identityIndex, seal("contacts", "name", id, utf8(c.name())),
        seal("contacts", "identity", id, c.identity()), c.card() == null ? null : seal("contacts", "card", id, c.card()),
        c.nextOutSeq(), c.nextInSeq(), id), "contact", id);
  }

  /**
   * Sets a contact's sequence marks (only these clear columns: nothing sealed is rewritten).
   *
   * @throws StoreException {@code MISSING} if there is no such contact
   */
  public void setSeqs(long id, long nextOutSeq, long nextInSeq) throws StoreException {
    writing();
    updated(update("UPDATE contacts SET next_out_seq = ?, next_in_seq = ? WHERE id = ?", nextOutSeq, nextInSeq, id),
        "contact", id);
  }

  /** The contact with this id. */
  public Optional<Contact> contact(long id) throws StoreException {
    return one(CONTACT + " WHERE id = ?", this::contact, id);
  }

  /** The contact with exactly this name. */
  public Optional<Contact> contactByName(String name) throws StoreException {
    return one(CONTACT + " WHERE name_index = ?", this::contact, nameIndex(name));
  }

  /** The contact with exactly these identity bytes. */
  public Optional<Contact> contactByIdentity(byte[] identity) throws StoreException {
    return one(CONTACT + " WHERE identity_index = ?", this::contact, identityIndex(identity));
  }

  /** All contacts, by id. */
  public List<Contact> contacts() throws StoreException {
    return query(CONTACT + " ORDER BY id", this::contact);
  }

  /** A contact's reset state. */
  public Resets resets(long contactId) throws StoreException {
    return one("SELECT id, resets, missing, reset_in, reset_out, reset_wanted FROM contacts WHERE id = ?",
        r -> new Resets(r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getLong(5), r.getBoolean(6)), contactId)
        .orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no contact with id " + contactId));
  }

  /** Replaces a contact's reset state (clear columns only). */
  public void setResets(Resets r) throws StoreException {
    writing();
    updated(update("UPDATE contacts SET resets = ?, missing = ?, reset_in = ?, reset_out = ?, reset_wanted = ? WHERE id = ?",
        r.resets(), r.missing(), r.resetIn(), r.resetOut(), r.wanted(), r.contactId()), "contact", r.contactId());
  }

  /**
   * A contact's first contacts (clear columns): how many this node made to it (the first and its
   * retries), how many prekey fetches for it failed in a row, and when the next fetch is due
   * (milliseconds; 0: at once).
   */
  public record FirstContacts(long contactId, long made, long fetchFailures, long nextFetch) {}

  /** A contact's first contacts. */
  public FirstContacts firstContacts(long contactId) throws StoreException {
    return one("SELECT id, first_contacts, fetch_failures, next_fetch FROM contacts WHERE id = ?",
        r -> new FirstContacts(r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4)), contactId)
        .orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no contact with id " + contactId));
  }

  /** Replaces a contact's first-contact counters (clear columns only). */
  public void setFirstContacts(FirstContacts f) throws StoreException {
    writing();
    updated(update("UPDATE contacts SET first_contacts = ?, fetch_failures = ?, next_fetch = ? WHERE id = ?",
        f.made(), f.fetchFailures(), f.nextFetch(), f.contactId()), "contact", f.contactId());
  }

  /**
   * A contact's prekeys as this node holds them: the latest bundle of its card (null: none) and
   * the one-time prekey records fetched and not used yet, each as encoded; none is checked here.
   */
  public record ContactPrekeys(byte[] bundle, List<byte[]> oneTime) {
    @Override
    public String toString() {
      return "ContactPrekeys[" + (bundle == null ? "no bundle" : "a bundle") + ", " + oneTime.size() + " one-time]";
    }
  }

  /** A contact's prekeys. */
  public ContactPrekeys prekeys(long contactId) throws StoreException {
    return one("SELECT id, bundle, one_time FROM contacts WHERE id = ?", r -> {
      long id = r.getLong(1);
      byte[] bundle = r.getBytes(2);
      byte[] oneTime = r.getBytes(3);
      return new ContactPrekeys(bundle == null ? null : open("contacts", "bundle", id, bundle),
          oneTime == null ? List.of() : records(open("contacts", "one_time", id, oneTime)));
    }, contactId).orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no contact with id " + contactId));
  }

  /** Replaces a contact's prekeys (a null bundle: none; an empty list: no one-time records). */
  public void setPrekeys(long contactId, ContactPrekeys p) throws StoreException {
    writing();
    updated(update("UPDATE contacts SET bundle = ?, one_time = ? WHERE id = ?",
        p.bundle() == null ? null : seal("contacts", "bundle", contactId, p.bundle()),
        p.oneTime().isEmpty() ? null : seal("contacts", "one_time", contactId, records(p.oneTime())), contactId),
        "contact", contactId);
  }

  /** {@code count u8 || (length u16 || record) x count}. */
  private static byte[] records(List<byte[]> records) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    if (records.size() > 255) {
      throw new IllegalArgumentException("at most 255 records");
    }
    out.write(records.size());
    for (byte[] r : records) {
      out.write(r.length >> 8);
      out.write(r.length);
      out.writeBytes(r);
    }
    return out.toByteArray();
  }

  private static List<byte[]> records(byte[] encoded) throws StoreException {
    List<byte[]> out = new ArrayList<>();
    try {
      int count = encoded[0] & 0xff;
      int at = 1;
      for (int i = 0; i < count; i++) {
        int length = ((encoded[at] & 0xff) << 8) | (encoded[at + 1] & 0xff);
        at += 2;
        if (at + length > encoded.length) {
          throw new ArrayIndexOutOfBoundsException();
        }
        out.add(java.util.Arrays.copyOfRange(encoded, at, at + length));
        at += length;
      }
      if (at != encoded.length) {
        throw new ArrayIndexOutOfBoundsException();
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new StoreException(StoreException.Kind.CORRUPT, "a contact's one-time prekeys are malformed");
    }
    return out;
  }

  /** The ids of the contacts with a reset asked for and not made yet, by id. */
  public List<Long> resetsWanted() throws StoreException {
    return query("SELECT id FROM contacts WHERE reset_wanted = 1 ORDER BY id", r -> r.getLong(1));
  }

  private void requireUnique(long id, byte[] nameIndex, byte[] identityIndex) throws StoreException {
    if (one("SELECT id FROM contacts WHERE name_index = ? AND id != ?", r -> r.getLong(1), nameIndex, id).isPresent()) {
      throw new StoreException(StoreException.Kind.EXISTS, "another contact has this name");
    }
    if (one("SELECT id FROM contacts WHERE identity_index = ? AND id != ?", r -> r.getLong(1), identityIndex, id)
        .isPresent()) {
      throw new StoreException(StoreException.Kind.EXISTS, "another contact has this identity");
    }
  }

  private byte[] nameIndex(String name) {
    return sealer.index("contacts", "name", utf8(name));
  }

  private byte[] identityIndex(byte[] identity) {
    return sealer.index("contacts", "identity", identity);
  }

  private Contact contact(ResultSet r) throws SQLException, StoreException {
    long id = r.getLong(1);
    byte[] card = r.getBytes(4);
    return new Contact(id, string(open("contacts", "name", id, r.getBytes(2))), open("contacts", "identity", id, r.getBytes(3)),
        card == null ? null : open("contacts", "card", id, card), r.getLong(5), r.getLong(6), r.getLong(7));
  }

  // ---- sessions

  private static final String SESSION = "SELECT id, contact_id, state, created, updated, reset_at, initiated,"
      + " superseded, heard, resent_from FROM sessions";

  /** Adds a session started by a HELLO (this node's or the peer's) with a contact; returns its id. */
  public long insertSession(long contactId, byte[] state, long nowMillis) throws StoreException {
    return insertSession(contactId, state, nowMillis, -1, false);
  }

  /**
   * Adds a session with a contact, not superseded; returns its id.
   *
   * @param resetAt the sent_at of the RESET that started it, or -1 for a HELLO
   * @param initiated whether this node started it; a session the peer started counts as heard
   */
  public long insertSession(long contactId, byte[] state, long nowMillis, long resetAt, boolean initiated)
      throws StoreException {
    writing();
    long id = nextId("sessions");
    update("INSERT INTO sessions (id, contact_id, state, created, updated, reset_at, initiated, heard)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        id, contactId, seal("sessions", "state", id, state), nowMillis, nowMillis, resetAt < 0 ? null : resetAt,
        initiated, !initiated);
    return id;
  }

  /** Replaces a session's state. */
  public void updateSession(long id, byte[] state, long nowMillis) throws StoreException {
    writing();
    updated(update("UPDATE sessions SET state = ?, updated = ? WHERE id = ?",
        seal("sessions", "state", id, state), nowMillis, id), "session", id);
  }

  /** Marks a session superseded at {@code nowMillis} (this node no longer sends in it). */
  public void supersede(long id, long nowMillis) throws StoreException {
    writing();
    updated(update("UPDATE sessions SET superseded = ? WHERE id = ?", nowMillis, id), "session", id);
  }

  /** Records that an envelope of the peer was opened in the session. */
  public void markHeard(long id) throws StoreException {
    writing();
    updated(update("UPDATE sessions SET heard = 1 WHERE id = ?", id), "session", id);
  }

  /** Sets the lowest seq re-queued into the session. */
  public void setResentFrom(long id, long seq) throws StoreException {
    writing();
    updated(update("UPDATE sessions SET resent_from = ? WHERE id = ?", seq, id), "session", id);
  }

  /** Deletes a session (its tags go with it). */
  public void deleteSession(long id) throws StoreException {
    writing();
    update("DELETE FROM sessions WHERE id = ?", id);
  }

  /** The sessions superseded at or before {@code millis}, by id. */
  public List<SessionRow> supersededBefore(long millis) throws StoreException {
    return query(SESSION + " WHERE superseded IS NOT NULL AND superseded <= ? ORDER BY id", this::session, millis);
  }

  /**
   * The contacts whose reset went unanswered: the session this node sends in was started by a
   * RESET of this node at or before {@code millis}, and nothing of the peer was opened in it; by
   * contact id. Contacts with a reset asked for already are left out.
   */
  public List<Long> unansweredResets(long millis) throws StoreException {
    return query("SELECT DISTINCT s.contact_id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
        + " WHERE s.superseded IS NULL AND s.initiated = 1 AND s.reset_at IS NOT NULL AND s.heard = 0"
        + " AND s.created <= ? AND c.reset_wanted = 0 ORDER BY s.contact_id", r -> r.getLong(1), millis);
  }

  /**
   * The contacts whose first contact went unanswered: the session this node sends in was started
   * by a first contact of this node with a HELLO at or before {@code millis}, nothing of the peer
   * was opened in any session of the contact, and fewer than {@code maxMade} first contacts were
   * made to it; by contact id.
   */
  public List<Long> unansweredFirstContacts(long millis, long maxMade) throws StoreException {
    return query("SELECT DISTINCT s.contact_id FROM sessions s JOIN contacts c ON c.id = s.contact_id"
        + " WHERE s.superseded IS NULL AND s.initiated = 1 AND s.reset_at IS NULL AND s.heard = 0"
        + " AND s.created <= ? AND c.first_contacts < ? AND NOT EXISTS"
        + " (SELECT 1 FROM sessions h WHERE h.contact_id = s.contact_id AND h.heard = 1) ORDER BY s.contact_id",
        r -> r.getLong(1), millis, maxMade);
  }

  /** Whether anything of the contact was opened in any of its sessions. */
  public boolean heardFrom(long contactId) throws StoreException {
    return count("SELECT COUNT(*) FROM sessions WHERE contact_id = ? AND heard = 1", contactId) > 0;
  }

  /** The session with this id, if any. */
  public Optional<SessionRow> session(long id) throws StoreException {
    return one(SESSION + " WHERE id = ?", this::session, id);
  }

  /**
   * The session this node sends in to a contact, if any: of the sessions not superseded, the one
   * updated last (a contact has one such session once a reset was made; before, two when both
   * sides sent a HELLO at once).
   */
  public Optional<SessionRow> sendingSession(long contactId) throws StoreException {
    return one(SESSION + " WHERE contact_id = ? AND superseded IS NULL ORDER BY updated DESC, id DESC", this::session,
        contactId);
  }

  /** A contact's sessions, the most recently updated first. */
  public List<SessionRow> sessions(long contactId) throws StoreException {
    return query(SESSION + " WHERE contact_id = ? ORDER BY updated DESC, id DESC", this::session, contactId);
  }

  /** Every session, by id. */
  public List<SessionRow> allSessions() throws StoreException {
    return query(SESSION + " ORDER BY id", this::session);
  }

  private SessionRow session(ResultSet r) throws SQLException, StoreException {
    long id = r.getLong(1);
    return new SessionRow(id, r.getLong(2), open("sessions", "state", id, r.getBytes(3)), r.getLong(4), r.getLong(5),
        nullable(r, 6), r.getBoolean(7), nullable(r, 8), r.getBoolean(9), nullable(r, 10));
  }

  private static long nullable(ResultSet r, int column) throws SQLException {
    long value = r.getLong(column);
    return r.wasNull() ? -1 : value;
  }

  // ---- plaintext queue

  /** Queues a plaintext for a contact; returns its id. */
  public long queuePending(long contactId, byte[] payload, long nowMillis) throws StoreException {
    writing();
    long id = nextId("pending");
    update("INSERT INTO pending (id, contact_id, payload, created) VALUES (?, ?, ?, ?)",
        id, contactId, seal("pending", "payload", id, payload), nowMillis);
    return id;
  }

  /** How many plaintexts wait to be sealed. */
  public int pendingCount() throws StoreException {
    return (int) count("SELECT COUNT(*) FROM pending");
  }

  /** The first {@code limit} queued plaintexts, by id. */
  public List<Pending> pending(int limit) throws StoreException {
    return query("SELECT id, contact_id, payload, created FROM pending ORDER BY id LIMIT ?", r -> {
      long id = r.getLong(1);
      return new Pending(id, r.getLong(2), open("pending", "payload", id, r.getBytes(3)), r.getLong(4));
    }, limit);
  }

  /** The first {@code limit} queued plaintexts of contacts not in {@code except}, by id. */
  public List<Pending> pendingExcept(java.util.Collection<Long> except, int limit) throws StoreException {
    if (except.isEmpty()) {
      return pending(limit);
    }
    String in = String.join(", ", except.stream().map(String::valueOf).toList());
    return query("SELECT id, contact_id, payload, created FROM pending WHERE contact_id NOT IN (" + in
        + ") ORDER BY id LIMIT ?", r -> {
          long id = r.getLong(1);
          return new Pending(id, r.getLong(2), open("pending", "payload", id, r.getBytes(3)), r.getLong(4));
        }, limit);
  }

  /** A contact's queued plaintexts, by id. */
  public List<Pending> pendingOf(long contactId) throws StoreException {
    return query("SELECT id, contact_id, payload, created FROM pending WHERE contact_id = ? ORDER BY id", r -> {
      long id = r.getLong(1);
      return new Pending(id, r.getLong(2), open("pending", "payload", id, r.getBytes(3)), r.getLong(4));
    }, contactId);
  }

  /** The ids of the contacts with queued plaintexts, by id. */
  public List<Long> contactsWithPending() throws StoreException {
    return query("SELECT DISTINCT contact_id FROM pending ORDER BY contact_id", r -> r.getLong(1));
  }

  /** Removes a queued plaintext (once it is sealed into the outbox, say). */
  public void deletePending(long id) throws StoreException {
    writing();
    update("DELETE FROM pending WHERE id = ?", id);
  }

  // ---- outbox

  private static final String OUTGOING = "SELECT id, contact_id, envelope, attempts, next_attempt, created FROM outbox";

  /** Queues an envelope for a contact, due at once with no attempts yet; returns its id. */
  public long queueEnvelope(long contactId, byte[] envelope, long nowMillis) throws StoreException {
    writing();
    long id = nextId("outbox");
    update("INSERT INTO outbox (id, contact_id, envelope, attempts, next_attempt, created) VALUES (?, ?, ?, 0, ?, ?)",
        id, contactId, seal("outbox", "envelope", id, envelope), nowMillis, nowMillis);
    return id;
  }

  /** Up to {@code limit} envelopes whose next attempt is at or before {@code nowMillis}, by id. */
  public List<Outgoing> due(long nowMillis, int limit) throws StoreException {
    // An envelope is due only when no earlier envelope of its contact is waiting out a back-off,
    // so that a contact's envelopes leave in the order they were sealed.
    return query(OUTGOING + " o WHERE next_attempt <= ? AND NOT EXISTS (SELECT 1 FROM outbox p"
        + " WHERE p.contact_id = o.contact_id AND p.id < o.id AND p.next_attempt > ?) ORDER BY id LIMIT ?",
        this::outgoing, nowMillis, nowMillis, limit);
  }

  /** A contact's waiting envelopes, by id. */
  public List<Outgoing> outbox(long contactId) throws StoreException {
    return query(OUTGOING + " WHERE contact_id = ? ORDER BY id", this::outgoing, contactId);
  }

  /** A contact's first {@code limit} waiting envelopes, by id. */
  public List<Outgoing> outbox(long contactId, int limit) throws StoreException {
    return query(OUTGOING + " WHERE contact_id = ? ORDER BY id LIMIT ?", this::outgoing, contactId, limit);
  }

  /**
   * The contacts that {@link #due} has envelopes of at {@code nowMillis} (those whose first
   * waiting envelope is due), the one whose envelope waits longest first; nothing is opened.
   */
  public List<Long> dueContacts(long nowMillis) throws StoreException {
    return query("SELECT contact_id FROM outbox o WHERE next_attempt <= ? AND id = (SELECT MIN(id) FROM outbox p"
        + " WHERE p.contact_id = o.contact_id) ORDER BY id", r -> r.getLong(1), nowMillis);
  }

  /** Removes an envelope from the outbox (once it is delivered, or given up). */
  public void deleteEnvelope(long id) throws StoreException {
    writing();
    update("DELETE FROM outbox WHERE id = ?", id);
  }

  /** Removes every envelope waiting for a contact; returns how many. */
  public int deleteOutbox(long contactId) throws StoreException {
    writing();
    return update("DELETE FROM outbox WHERE contact_id = ?", contactId);
  }

  /** Records a failed attempt: the attempt count so far and when to try next. */
  public void reschedule(long id, int attempts, long nextAttemptMillis) throws StoreException {
    writing();
    updated(update("UPDATE outbox SET attempts = ?, next_attempt = ? WHERE id = ?", attempts, nextAttemptMillis, id),
        "outgoing envelope", id);
  }

  /** How many envelopes wait in the outbox. */
  public int outboxSize() throws StoreException {
    return (int) count("SELECT COUNT(*) FROM outbox");
  }

  private Outgoing outgoing(ResultSet r) throws SQLException, StoreException {
    long id = r.getLong(1);
    return new Outgoing(
        id, r.getLong(2), open("outbox", "envelope", id, r.getBytes(3)), r.getInt(4), r.getLong(5), r.getLong(6));
  }

  // ---- messages

  private static final String MESSAGE =
      "SELECT id, contact_id, incoming, seq, sent_at, stored_at, text, is_read, kind FROM messages";

  /** Whether the message (contactId, incoming, seq) is stored. */
  public boolean hasMessage(long contactId, boolean incoming, long seq) throws StoreException {
    return count("SELECT COUNT(*) FROM messages WHERE contact_id = ? AND incoming = ? AND seq = ?", contactId, incoming, seq) > 0;
  }

  /** How many messages in one direction of a contact have a seq in [{@code from}, {@code to}). */
  public long countInRange(long contactId, boolean incoming, long from, long to) throws StoreException {
    return count("SELECT COUNT(*) FROM messages WHERE contact_id = ? AND incoming = ? AND seq >= ? AND seq < ?",
        contactId, incoming, from, to);
  }

  /** The messages this node sent a contact with a seq in [{@code from}, {@code to}), by seq. */
  public List<Message> sent(long contactId, long from, long to) throws StoreException {
    return query(MESSAGE + " WHERE contact_id = ? AND incoming = 0 AND seq >= ? AND seq < ? ORDER BY seq", this::message,
        contactId, from, to);
  }

  /** Stores a TEXT message; see {@link #insertMessage(long, boolean, long, long, long, String, int)}. */
  public boolean insertMessage(long contactId, boolean incoming, long seq, long sentAt, long nowMillis, String text)
      throws StoreException {
    return insertMessage(contactId, incoming, seq, sentAt, nowMillis, text, 2);
  }

  /**
   * Stores a message, unless the contact already has one in this direction with this sequence
   * number. Outgoing messages are stored read, incoming ones unread.
   *
   * @param kind the node message kind: HELLO (1) or TEXT (2)
   * @return whether it was stored
   */
  public boolean insertMessage(long contactId, boolean incoming, long seq, long sentAt, long nowMillis, String text,
      int kind) throws StoreException {
    writing();
    long id = nextId("messages");
    return update("INSERT INTO messages (id, contact_id, incoming, seq, sent_at, stored_at, text, is_read, kind)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id, incoming, seq) DO NOTHING",
        id, contactId, incoming, seq, sentAt, nowMillis, seal("messages", "text", id, utf8(text)), !incoming, kind) == 1;
  }

  /** A contact's conversation, in both directions, by the time this node stored each message, then by id. */
  public List<Message> messages(long contactId) throws StoreException {
    return query(MESSAGE + " WHERE contact_id = ? ORDER BY stored_at, id", this::message, contactId);
  }

  /**
   * Deletes a contact's TEXT messages stored before {@code beforeMillis} that retention may
   * delete: incoming ones that were read (so delivered in order: their seq is below the
   * contact's in-order mark), and outgoing ones when nothing of the contact waits to be sealed or
   * sent (no pending plaintext, no envelope in the outbox). HELLOs stay (they hold no text the
   * user wrote, and a reset resends this node's). Returns how many were deleted.
   */
  public int deleteMessagesBefore(long contactId, long beforeMillis) throws StoreException {
    writing();
    return update("DELETE FROM messages WHERE contact_id = ? AND kind = 2 AND stored_at < ? AND ("
            + "(incoming = 1 AND is_read = 1 AND seq < (SELECT next_in_seq FROM contacts WHERE id = ?))"
            + " OR (incoming = 0 AND NOT EXISTS (SELECT 1 FROM pending WHERE contact_id = ?)"
            + " AND NOT EXISTS (SELECT 1 FROM outbox WHERE contact_id = ?)))",
        contactId, beforeMillis, contactId, contactId, contactId);
  }

  /** The incoming messages not read yet, by contact then sequence number. */
  public List<Message> unread() throws StoreException {
    return query(MESSAGE + " WHERE incoming = 1 AND is_read = 0 ORDER BY contact_id, seq", this::message);
  }

  /** Marks a message read. */
  public void markRead(long id) throws StoreException {
    writing();
    updated(update("UPDATE messages SET is_read = 1 WHERE id = ?", id), "message", id);
  }

  /** How many messages are stored, in all conversations. */
  public long countMessages() throws StoreException {
    return count("SELECT COUNT(*) FROM messages");
  }

  private Message message(ResultSet r) throws SQLException, StoreException {
    long id = r.getLong(1);
    return new Message(id, r.getLong(2), r.getBoolean(3), r.getLong(4), r.getLong(5), r.getLong(6),
        string(open("messages", "text", id, r.getBytes(7))), r.getBoolean(8), r.getInt(9));
  }

  // ---- notices

  private static final String NOTICE = "SELECT id, contact_id, at, by_peer, missing, resent, is_read FROM notices";

  /** Stores a notice of a reset, unread; returns its id. */
  public long insertNotice(long contactId, long atMillis, boolean byPeer, long missing, long resent)
      throws StoreException {
    writing();
    long id = nextId("notices");
    update("INSERT INTO notices (id, contact_id, at, by_peer, missing, resent, is_read) VALUES (?, ?, ?, ?, ?, ?, 0)",
        id, contactId, atMillis, byPeer, missing, resent);
    return id;
  }

  /** A contact's notices, by id. */
  public List<Notice> notices(long contactId) throws StoreException {
    return query(NOTICE + " WHERE contact_id = ? ORDER BY id", Tx::notice, contactId);
  }

  /** The notices not read yet, by contact then id. */
  public List<Notice> unreadNotices() throws StoreException {
    return query(NOTICE + " WHERE is_read = 0 ORDER BY contact_id, id", Tx::notice);
  }

  /** Marks a notice read. */
  public void markNoticeRead(long id) throws StoreException {
    writing();
    updated(update("UPDATE notices SET is_read = 1 WHERE id = ?", id), "notice", id);
  }

  private static Notice notice(ResultSet r) throws SQLException {
    return new Notice(r.getLong(1), r.getLong(2), r.getLong(3), r.getBoolean(4), r.getLong(5), r.getLong(6),
        r.getBoolean(7));
  }

  // ---- received-envelope dedupe

  /**
   * Remembers that an envelope with this digest was received.
   *
   * @return false if it was remembered already
   */
  public boolean markReceived(byte[] envelopeDigest, long nowMillis) throws StoreException {
    writing();
    return update("INSERT INTO received (digest_index, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        sealer.index("received", "digest", envelopeDigest), nowMillis) == 1;
  }

  /** Forgets the digests received before {@code millis}; returns how many. */
  public int forgetReceivedBefore(long millis) throws StoreException {
    writing();
    return update("DELETE FROM received WHERE received_at < ?", millis);
  }

  // ---- mailbox (other people's opaque envelopes, not sealed)

  private static final String ITEM = "SELECT id, tag, envelope, deposited, expires FROM mailbox";

  /**
   * Holds an envelope under its tag until {@code expiresMillis}. Expired items are dropped first,
   * so they never count against the quotas.
   *
   * @param maxPerTag how many envelopes a tag may hold
   * @param maxTotalBytes how many envelope bytes the whole mailbox may hold
   */
  public DepositResult deposit(byte[] tag, byte[] envelope, long nowMillis, long expiresMillis, int maxPerTag,
      long maxTotalBytes) throws StoreException {
    writing();
    expire(nowMillis);
    // The index on (tag, part of the envelope) finds the candidates without reading every envelope under the tag.
    if (one("SELECT 1 FROM mailbox WHERE tag = ? AND substr(envelope, 18, 16) = ? AND envelope = ?", r -> true, tag,
        Arrays.copyOfRange(envelope, Math.min(17, envelope.length), Math.min(33, envelope.length)), envelope)
        .isPresent()) {
      return DepositResult.DUPLICATE;
    }
    if (count("SELECT COUNT(*) FROM mailbox WHERE tag = ?", tag) >= maxPerTag) {
      return DepositResult.TAG_FULL;
    }
    if (mailboxBytes() + prekeyBytes() + envelope.length > maxTotalBytes) {
      return DepositResult.STORE_FULL;
    }
    update("INSERT INTO mailbox (tag, envelope, size, deposited, expires) VALUES (?, ?, ?, ?, ?)",
        tag, envelope, envelope.length, nowMillis, expiresMillis);
    return DepositResult.STORED;
  }

  /** Up to {@code limit} unexpired items under any of {@code tags}, in deposit order. */
  public List<Item> fetch(List<byte[]> tags, long nowMillis, int limit) throws StoreException {
    List<Item> items = new ArrayList<>();
    if (limit <= 0) {
      return items;
    }
    for (int from = 0; from < tags.size(); from += FETCH_CHUNK) {
      List<byte[]> chunk = tags.subList(from, Math.min(tags.size(), from + FETCH_CHUNK));
      Object[] args = new Object[chunk.size() + 2];
      chunk.toArray(args);
      args[chunk.size()] = nowMillis;
      args[chunk.size() + 1] = limit;
      // Each chunk's first `limit` items by id hold every one of the overall first `limit` it has.
      // The ids are chosen from the index alone: only the rows handed out are read.
      items.addAll(query(ITEM + " WHERE id IN (SELECT id FROM mailbox WHERE tag IN (" + "?, ".repeat(chunk.size() - 1)
          + "?) AND expires > ? ORDER BY id LIMIT ?) ORDER BY id", Tx::item, args));
    }
    items.sort(Comparator.comparingLong(Item::id));
    return items.size() > limit ? new ArrayList<>(items.subList(0, limit)) : items;
  }

  /** Deletes the items with these ids; returns how many there were. */
  public int deleteItems(List<Long> ids) throws StoreException {
    writing();
    int deleted = 0;
    for (long id : ids) {
      deleted += update("DELETE FROM mailbox WHERE id = ?", id);
    }
    return deleted;
  }

  /** Deletes the items whose expiry is at or before {@code nowMillis}; returns how many. */
  public int expire(long nowMillis) throws StoreException {
    writing();
    return update("DELETE FROM mailbox WHERE expires <= ?", nowMillis);
  }

  /** How many envelope bytes the mailbox holds, expired or not. */
  public long mailboxBytes() throws StoreException {
    return count("SELECT COALESCE(SUM(size), 0) FROM mailbox");
  }

  /** How many items the mailbox holds, expired or not. */
  public int mailboxCount() throws StoreException {
    return (int) count("SELECT COUNT(*) FROM mailbox");
  }

  /** Every item, expired or not, by id. */
  public List<Item> mailboxItems() throws StoreException {
    return query(ITEM + " ORDER BY id", Tx::item);
  }

  private static Item item(ResultSet r) throws SQLException {
    return new Item(r.getLong(1), r.getBytes(2), r.getBytes(3), r.getLong(4), r.getLong(5));
  }

  // ---- prekey service (others' published prekeys, public, not sealed)

  /** A published prekey item: its kind (0 bundle, 1 X25519 one-time, 2 ML-KEM one-time), a bundle's serial, its expiry (seconds). */
  public record PrekeyRow(long id, int kind, long serial, long expires, byte[] item) {}

  /** The SHA-256 of the credential that owns {@code bundleTag}, if any. */
  public Optional<byte[]> prekeyOwner(byte[] bundleTag) throws StoreException {
    return one("SELECT credential_hash FROM prekey_owners WHERE bundle_tag = ?", r -> r.getBytes(1), bundleTag);
  }

  /** How many bundle tags have an owner. */
  public long prekeyOwners() throws StoreException {
    return count("SELECT COUNT(*) FROM prekey_owners");
  }

  /** Makes {@code credentialHash} the owner of {@code bundleTag}, or notes its publish time. */
  public void setPrekeyOwner(byte[] bundleTag, byte[] credentialHash, long nowSeconds) throws StoreException {
    writing();
    update("INSERT INTO prekey_owners (bundle_tag, credential_hash, last_publish) VALUES (?, ?, ?)"
        + " ON CONFLICT (bundle_tag) DO UPDATE SET last_publish = excluded.last_publish", bundleTag, credentialHash,
        nowSeconds);
  }

  /** The unexpired items under {@code bundleTag} of one kind, oldest first. */
  public List<PrekeyRow> prekeyItems(byte[] bundleTag, int kind, long nowSeconds) throws StoreException {
    return query("SELECT id, kind, serial, expires, item FROM prekey_items WHERE bundle_tag = ? AND kind = ?"
        + " AND expires > ? ORDER BY id", r -> new PrekeyRow(r.getLong(1), r.getInt(2), r.getLong(3), r.getLong(4),
            r.getBytes(5)), bundleTag, kind, nowSeconds);
  }

  /** How many prekey items are held, expired or not. */
  public int prekeyItemCount() throws StoreException {
    return (int) count("SELECT COUNT(*) FROM prekey_items");
  }

  /** How many bytes of prekey items are held, expired or not (they share the mailbox's total quota). */
  public long prekeyBytes() throws StoreException {
    return count("SELECT COALESCE(SUM(LENGTH(item)), 0) FROM prekey_items");
  }

  /** Holds one item; false when the same item is held already under the tag. */
  public boolean addPrekeyItem(byte[] bundleTag, int kind, long serial, long expires, byte[] item)
      throws StoreException {
    writing();
    if (one("SELECT 1 FROM prekey_items WHERE bundle_tag = ? AND item = ?", r -> true, bundleTag, item).isPresent()) {
      return false;
    }
    update("INSERT INTO prekey_items (bundle_tag, kind, serial, expires, item) VALUES (?, ?, ?, ?, ?)", bundleTag, kind,
        serial, expires, item);
    return true;
  }

  /** Deletes one item (handed out, or replaced). */
  public void deletePrekeyItem(long id) throws StoreException {
    writing();
    update("DELETE FROM prekey_items WHERE id = ?", id);
  }

  /**
   * Deletes the items expired at {@code nowSeconds}, and the owners that published nothing since
   * {@code forgetBeforeSeconds} and hold no item; returns how many items.
   */
  public int expirePrekeys(long nowSeconds, long forgetBeforeSeconds) throws StoreException {
    writing();
    int items = update("DELETE FROM prekey_items WHERE expires <= ?", nowSeconds);
    update("DELETE FROM prekey_owners WHERE last_publish < ? AND NOT EXISTS"
        + " (SELECT 1 FROM prekey_items i WHERE i.bundle_tag = prekey_owners.bundle_tag)", forgetBeforeSeconds);
    return items;
  }

  // ---- plumbing

  @FunctionalInterface
  private interface Row<R> {
    R map(ResultSet row) throws SQLException, StoreException;
  }

  private void writing() {
    if (!writable) {
      throw new IllegalStateException("a read transaction cannot write");
    }
  }

  /** Ids only grow: the next one is past every id the table ever had, deleted or not. */
  private long nextId(String table) throws StoreException {
    return count("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)", table) + 1;
  }

  private byte[] seal(String table, String column, long id, byte[] value) {
    return sealer.seal(table, column, Sealer.rowKey(id), value);
  }

  private byte[] open(String table, String column, long id, byte[] sealed) throws StoreException {
    return sealer.open(table, column, Sealer.rowKey(id), sealed);
  }

  private static void updated(int rows, String what, long id) throws StoreException {
    if (rows == 0) {
      throw new StoreException(StoreException.Kind.MISSING, "there is no " + what + " with id " + id);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(byte[] utf8) {
    return new String(utf8, StandardCharsets.UTF_8);
  }

  private PreparedStatement prepare(String sql, Object... args) throws SQLException {
    if (ended) {
      throw new IllegalStateException("the transaction is over");
    }
    PreparedStatement statement = connection.prepareStatement(sql);
    for (int i = 0; i < args.length; i++) {
      statement.setObject(i + 1, args[i] instanceof Boolean b ? (Object) (b ? 1 : 0) : args[i]);
    }
    return statement;
  }

  private int update(String sql, Object... args) throws StoreException {
    try (PreparedStatement statement = prepare(sql, args)) {
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw Store.failure(e);
    }
  }

  private <R> List<R> query(String sql, Row<R> row, Object... args) throws StoreException {
    try (PreparedStatement statement = prepare(sql, args); ResultSet result = statement.executeQuery()) {
      List<R> out = new ArrayList<>();
      while (result.next()) {
        out.add(row.map(result));
      }
      return out;
    } catch (SQLException e) {
      throw Store.failure(e);
    }
  }

  private <R> Optional<R> one(String sql, Row<R> row, Object... args) throws StoreException {
    List<R> rows = query(sql + " LIMIT 1", row, args);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  private long count(String sql, Object... args) throws StoreException {
    return one(sql, r -> r.getLong(1), args).orElseThrow();
  }
}
