package dev.sotto.node.store;

import dev.sotto.Frame;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One transaction on a {@link Store}, handed to a {@link Store.Work}. It is valid only while the
 * work runs; a read transaction refuses the methods that write ({@link IllegalStateException}).
 *
 * <p>Arrays passed in are not kept; arrays returned are fresh. Every row of the node's own tables
 * is sealed whole (see {@link Table}, {@link Rows}, {@link Sealer}): its id, its contact, its
 * times, counters and flags are inside sealed columns, found through keyed hashes, and put in
 * order here after they are opened; a value that fails to open is {@code CORRUPT}. Updates of a
 * row that is not there are {@code MISSING}; deletes of a row that is not there do nothing. A
 * row that names a contact that does not exist is {@code MISSING} too.
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

  private final Rows rows;
  private final boolean writable;
  /** The contact states read or written in this transaction, by contact id. */
  private final Map<Long, ContactState> stateCache = new HashMap<>();

  Tx(Rows rows, boolean writable) {
    this.rows = rows;
    this.writable = writable;
  }

  void end() {
    rows.end();
  }

  /** Starts the counters of a new store's sealed tables (the commit adds their filler rows). */
  void createTables() {
    rows.createCounters();
  }

  /** Brings the tables to their padded row counts and writes their counters: before the commit. */
  void flush() throws StoreException {
    rows.flush();
  }

  // ---- key-value

  /** The value stored under {@code name}, if any. */
  public Optional<byte[]> get(String name) throws StoreException {
    return get(name, false);
  }

  /**
   * The value stored under {@code name}, if any, for a value that holds no key material (ids,
   * counters, times, addresses): the store may keep it opened in memory, so that reading it again
   * costs no decryption (see {@link Sealer}); written with {@link #putPlain}.
   */
  public Optional<byte[]> getPlain(String name) throws StoreException {
    return get(name, true);
  }

  private Optional<byte[]> get(String name, boolean plain) throws StoreException {
    long rowId = rows.rowId(Table.KV, utf8(name));
    return rows.one("SELECT body FROM kv WHERE id = ?", r -> {
      byte[] sealed = r.getBytes(1);
      Fields.Reader in = plain ? rows.openPlain(Table.KV, "body", rowId, sealed) : rows.open(Table.KV, "body", rowId, sealed);
      if (in.filler() || !in.string().equals(name)) {
        throw new StoreException(StoreException.Kind.CORRUPT, "a key-value entry is not the one asked for");
      }
      byte[] value = in.bytes();
      in.end();
      return value;
    }, rowId);
  }

  /** Stores {@code value} under {@code name}, replacing any value there. */
  public void put(String name, byte[] value) throws StoreException {
    put(name, value, false);
  }

  /** Stores {@code value}, which holds no key material, under {@code name} (see {@link #getPlain}). */
  public void putPlain(String name, byte[] value) throws StoreException {
    put(name, value, true);
  }

  private void put(String name, byte[] value, boolean plain) throws StoreException {
    writing();
    long rowId = rows.rowId(Table.KV, utf8(name));
    byte[] body = rows.seal(Table.KV, "body", rowId, new Fields.Writer().string(name).bytes(value), plain);
    if (rows.update("UPDATE kv SET body = ? WHERE id = ?", body, rowId) == 0) {
      rows.update("INSERT INTO kv (id, body) VALUES (?, ?)", rowId, body);
      rows.added(Table.KV, 1);
    }
  }

  /** Removes the value under {@code name}, if any. */
  public void delete(String name) throws StoreException {
    writing();
    rows.added(Table.KV, -rows.update("DELETE FROM kv WHERE id = ?", rows.rowId(Table.KV, utf8(name))));
  }

  // ---- contacts

  private static final String CONTACT = "SELECT id, who, state FROM contacts";

  /**
   * Adds a contact with sequence numbers at zero.
   *
   * @return its id
   * @throws StoreException {@code EXISTS} if a contact has this name or this identity
   */
  public long insertContact(String name, byte[] identity, byte[] cardOrNull, long nowMillis) throws StoreException {
    writing();
    byte[] nameKey = nameKey(name);
    byte[] identityKey = identityKey(identity);
    requireUnique(0, nameKey, identityKey);
    long id = rows.newId(Table.CONTACTS);
    long rowId = rows.rowId(Table.CONTACTS, id);
    rows.update("INSERT INTO contacts (id, name_key, identity_key, who, state, prekeys) VALUES (?, ?, ?, ?, ?, ?)",
        rowId, nameKey, identityKey, who(rowId, id, name, identity, cardOrNull),
        rows.seal(Table.CONTACTS, "state", rowId, new ContactState(id, nowMillis).write()),
        prekeys(rowId, new ContactPrekeys(null, List.of())));
    rows.added(Table.CONTACTS, 1);
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
    ContactState s = requireState(c.id());
    byte[] nameKey = nameKey(c.name());
    byte[] identityKey = identityKey(c.identity());
    long rowId = rows.rowId(Table.CONTACTS, c.id());
    requireUnique(rowId, nameKey, identityKey);
    s.nextOutSeq = c.nextOutSeq();
    s.nextInSeq = c.nextInSeq();
    rows.update("UPDATE contacts SET name_key = ?, identity_key = ?, who = ? WHERE id = ?", nameKey, identityKey,
        who(rowId, c.id(), c.name(), c.identity(), c.card()), rowId);
    writeState(s);
  }

  /**
   * Sets a contact's sequence marks (only its state is rewritten: not its name, identity or card).
   *
   * @throws StoreException {@code MISSING} if there is no such contact
   */
  public void setSeqs(long id, long nextOutSeq, long nextInSeq) throws StoreException {
    writing();
    ContactState s = requireState(id);
    s.nextOutSeq = nextOutSeq;
    s.nextInSeq = nextInSeq;
    writeState(s);
  }

  /** The contact with this id. */
  public Optional<Contact> contact(long id) throws StoreException {
    return rows.one(CONTACT + " WHERE id = ?", this::contact, rows.rowId(Table.CONTACTS, id));
  }

  /** The contact with exactly this name. */
  public Optional<Contact> contactByName(String name) throws StoreException {
    return rows.one(CONTACT + " WHERE name_key = ?", this::contact, nameKey(name));
  }

  /** The contact with exactly these identity bytes. */
  public Optional<Contact> contactByIdentity(byte[] identity) throws StoreException {
    return rows.one(CONTACT + " WHERE identity_key = ?", this::contact, identityKey(identity));
  }

  /** All contacts, by id. */
  public List<Contact> contacts() throws StoreException {
    List<Contact> all = rows.query(CONTACT, this::contact);
    all.sort(Comparator.comparingLong(Contact::id));
    return all;
  }

  /**
   * Deletes a contact and everything of it: its sessions (their tags go with them), messages,
   * notices, queued plaintexts and envelopes, and its row. Nothing of it is left to find in the
   * tables (the store overwrites deleted rows; the running node truncates its log). Deleting a
   * contact that is not there does nothing.
   */
  public void deleteContact(long contactId) throws StoreException {
    writing();
    Optional<ContactState> found = state(contactId);
    if (found.isEmpty()) {
      return;
    }
    ContactState s = found.get();
    int sessions = 0;
    for (long id : s.sessions) {
      sessions += rows.update("DELETE FROM sessions WHERE id = ?", rows.rowId(Table.SESSIONS, id));
    }
    rows.added(Table.SESSIONS, -sessions);
    int messages = 0;
    for (Stored m : walk(s, s.messagesFirst, Long.MAX_VALUE)) {
      messages += rows.update("DELETE FROM messages WHERE id = ?", m.rowId);
    }
    rows.added(Table.MESSAGES, -messages);
    int notices = 0;
    for (Notice n : notices(contactId)) {
      notices += rows.update("DELETE FROM notices WHERE id = ?", rows.rowId(Table.NOTICES, n.id()));
    }
    rows.added(Table.NOTICES, -notices);
    for (QueueMeta m : pendingMetas()) {
      if (m.contactId == contactId) {
        rows.added(Table.PENDING, -rows.update("DELETE FROM pending WHERE id = ?", m.rowId));
      }
    }
    deleteOutbox(contactId);
    rows.added(Table.CONTACTS, -rows.update("DELETE FROM contacts WHERE id = ?", rows.rowId(Table.CONTACTS, contactId)));
    stateCache.remove(contactId);
  }

  /** The ids of a contact's sessions (none for a contact that is not there), without opening them. */
  public List<Long> sessionIds(long contactId) throws StoreException {
    Optional<ContactState> s = state(contactId);
    List<Long> ids = new ArrayList<>();
    if (s.isPresent()) {
      for (long id : s.get().sessions) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** The ids of every session, without opening their states. */
  public List<Long> allSessionIds() throws StoreException {
    return allMetas().stream().map(m -> m.id).toList();
  }

  /** A contact's reset state. */
  public Resets resets(long contactId) throws StoreException {
    ContactState s = requireState(contactId);
    return new Resets(s.id, s.resets, s.missing, s.resetIn, s.resetOut, s.wanted);
  }

  /** Replaces a contact's reset state. */
  public void setResets(Resets r) throws StoreException {
    writing();
    ContactState s = requireState(r.contactId());
    s.resets = r.resets();
    s.missing = r.missing();
    s.resetIn = r.resetIn();
    s.resetOut = r.resetOut();
    s.wanted = r.wanted();
    writeState(s);
  }

  /**
   * A contact's first contacts: how many this node made to it (the first and its retries), how
   * many prekey fetches for it failed in a row, and when the next fetch is due (milliseconds; 0:
   * at once).
   */
  public record FirstContacts(long contactId, long made, long fetchFailures, long nextFetch) {}

  /** A contact's first contacts. */
  public FirstContacts firstContacts(long contactId) throws StoreException {
    ContactState s = requireState(contactId);
    return new FirstContacts(s.id, s.firstContacts, s.fetchFailures, s.nextFetch);
  }

  /** Replaces a contact's first-contact counters. */
  public void setFirstContacts(FirstContacts f) throws StoreException {
    writing();
    ContactState s = requireState(f.contactId());
    s.firstContacts = f.made();
    s.fetchFailures = f.fetchFailures();
    s.nextFetch = f.nextFetch();
    writeState(s);
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
    long rowId = rows.rowId(Table.CONTACTS, contactId);
    return rows.one("SELECT prekeys FROM contacts WHERE id = ?", r -> {
      Fields.Reader in = rows.open(Table.CONTACTS, "prekeys", rowId, r.getBytes(1));
      byte[] bundle = in.bytes();
      long count = in.u64();
      if (count > 255) {
        throw new StoreException(StoreException.Kind.CORRUPT, "a contact's one-time prekeys are malformed");
      }
      List<byte[]> oneTime = new ArrayList<>();
      for (long i = 0; i < count; i++) {
        oneTime.add(in.bytes());
      }
      in.end();
      return new ContactPrekeys(bundle, oneTime);
    }, rowId).orElseThrow(() -> noContact(contactId));
  }

  /** Replaces a contact's prekeys (a null bundle: none; an empty list: no one-time records). */
  public void setPrekeys(long contactId, ContactPrekeys p) throws StoreException {
    writing();
    long rowId = rows.rowId(Table.CONTACTS, contactId);
    if (rows.update("UPDATE contacts SET prekeys = ? WHERE id = ?", prekeys(rowId, p), rowId) == 0) {
      throw noContact(contactId);
    }
  }

  private byte[] prekeys(long rowId, ContactPrekeys p) {
    if (p.oneTime().size() > 255) {
      throw new IllegalArgumentException("at most 255 records");
    }
    Fields.Writer out = new Fields.Writer().bytes(p.bundle()).u64(p.oneTime().size());
    for (byte[] r : p.oneTime()) {
      if (r.length > 0xffff) {
        throw new IllegalArgumentException("a record of at most 65,535 bytes");
      }
      out.bytes(r);
    }
    return rows.seal(Table.CONTACTS, "prekeys", rowId, out);
  }

  /** The ids of the contacts with a reset asked for and not made yet, by id. */
  public List<Long> resetsWanted() throws StoreException {
    return states().stream().filter(s -> s.wanted).map(s -> s.id).sorted().toList();
  }

  private void requireUnique(long rowId, byte[] nameKey, byte[] identityKey) throws StoreException {
    if (rows.one("SELECT id FROM contacts WHERE name_key = ? AND id != ?", r -> r.getLong(1), nameKey, rowId)
        .isPresent()) {
      throw new StoreException(StoreException.Kind.EXISTS, "another contact has this name");
    }
    if (rows.one("SELECT id FROM contacts WHERE identity_key = ? AND id != ?", r -> r.getLong(1), identityKey, rowId)
        .isPresent()) {
      throw new StoreException(StoreException.Kind.EXISTS, "another contact has this identity");
    }
  }

  private byte[] nameKey(String name) {
    return rows.key(Table.CONTACTS, "name_key", utf8(name));
  }

  private byte[] identityKey(byte[] identity) {
    return rows.key(Table.CONTACTS, "identity_key", identity);
  }

  private byte[] who(long rowId, long id, String name, byte[] identity, byte[] cardOrNull) {
    return rows.seal(Table.CONTACTS, "who", rowId,
        new Fields.Writer().u64(id).string(name).bytes(identity).bytes(cardOrNull));
  }

  /** Maps {@code id, who, state}; null for a filler. */
  private Contact contact(ResultSet r) throws SQLException, StoreException {
    long rowId = r.getLong(1);
    Fields.Reader who = rows.open(Table.CONTACTS, "who", rowId, r.getBytes(2));
    if (who.filler()) {
      return null;
    }
    long id = who.u64();
    String name = who.string();
    byte[] identity = who.bytes();
    byte[] card = who.bytes();
    who.end();
    ContactState s = state(rowId, r.getBytes(3));
    if (s == null || s.id != id) {
      throw new StoreException(StoreException.Kind.CORRUPT, "a contact's columns disagree");
    }
    return new Contact(id, name, identity, card, s.nextOutSeq, s.nextInSeq, s.created);
  }

  /**
   * A contact's state, if there is such a contact: a copy the caller may change and then write.
   * Read once per transaction (a message's insertion and its contact's new marks read it twice).
   */
  private Optional<ContactState> state(long contactId) throws StoreException {
    ContactState known = stateCache.get(contactId);
    if (known == null) {
      long rowId = rows.rowId(Table.CONTACTS, contactId);
      Optional<ContactState> read = rows.one("SELECT state FROM contacts WHERE id = ?", r -> state(rowId, r.getBytes(1)),
          rowId);
      if (read.isEmpty()) {
        return read;
      }
      known = read.get();
      stateCache.put(contactId, known);
    }
    return Optional.of(known.copy());
  }

  private ContactState requireState(long contactId) throws StoreException {
    return state(contactId).orElseThrow(() -> noContact(contactId));
  }

  /** The state of every contact, in no order. */
  private List<ContactState> states() throws StoreException {
    return rows.query("SELECT id, state FROM contacts", r -> state(r.getLong(1), r.getBytes(2)));
  }

  /** Null for a filler. */
  private ContactState state(long rowId, byte[] sealed) throws StoreException {
    Fields.Reader in = rows.open(Table.CONTACTS, "state", rowId, sealed);
    return in.filler() ? null : ContactState.read(in);
  }

  private void writeState(ContactState s) throws StoreException {
    long rowId = rows.rowId(Table.CONTACTS, s.id);
    rows.update("UPDATE contacts SET state = ? WHERE id = ?", rows.seal(Table.CONTACTS, "state", rowId, s.write()), rowId);
    stateCache.put(s.id, s.copy());
  }

  private void requireContact(long contactId) throws StoreException {
    if (rows.one("SELECT 1 FROM contacts WHERE id = ?", r -> true, rows.rowId(Table.CONTACTS, contactId)).isEmpty()) {
      throw noContact(contactId);
    }
  }

  private static StoreException noContact(long id) {
    return new StoreException(StoreException.Kind.MISSING, "there is no contact with id " + id);
  }

  // ---- sessions

  /** A session's meta column. */
  private static final class SessionMeta {
    long rowId;
    long id;
    long contactId;
    long created;
    long updated;
    long resetAt = -1;
    boolean initiated;
    long superseded = -1;
    boolean heard;
    long resentFrom = -1;

    Fields.Writer write() {
      return new Fields.Writer().u64(id).u64(contactId).u64(created).u64(updated).u64(resetAt).bool(initiated)
          .u64(superseded).bool(heard).u64(resentFrom);
    }

    SessionRow with(byte[] state) {
      return new SessionRow(id, contactId, state, created, updated, resetAt, initiated, superseded, heard, resentFrom);
    }
  }

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
    ContactState contact = requireState(contactId);
    SessionMeta m = new SessionMeta();
    m.id = rows.newId(Table.SESSIONS);
    m.rowId = rows.rowId(Table.SESSIONS, m.id);
    m.contactId = contactId;
    m.created = nowMillis;
    m.updated = nowMillis;
    m.resetAt = resetAt < 0 ? -1 : resetAt;
    m.initiated = initiated;
    m.heard = !initiated;
    rows.update("INSERT INTO sessions (id, meta, state) VALUES (?, ?, ?)", m.rowId,
        rows.seal(Table.SESSIONS, "meta", m.rowId, m.write()), sealState(m.rowId, state));
    rows.added(Table.SESSIONS, 1);
    contact.addSession(m.id);
    writeState(contact);
    return m.id;
  }

  /** Replaces a session's state. */
  public void updateSession(long id, byte[] state, long nowMillis) throws StoreException {
    writing();
    SessionMeta m = requireMeta(id);
    m.updated = nowMillis;
    rows.update("UPDATE sessions SET meta = ?, state = ? WHERE id = ?",
        rows.seal(Table.SESSIONS, "meta", m.rowId, m.write()), sealState(m.rowId, state), m.rowId);
  }

  /** Marks a session superseded at {@code nowMillis} (this node no longer sends in it). */
  public void supersede(long id, long nowMillis) throws StoreException {
    writing();
    SessionMeta m = requireMeta(id);
    m.superseded = nowMillis;
    writeMeta(m);
  }

  /** Records that an envelope of the peer was opened in the session. */
  public void markHeard(long id) throws StoreException {
    writing();
    SessionMeta m = requireMeta(id);
    m.heard = true;
    writeMeta(m);
  }

  /** Sets the lowest seq re-queued into the session. */
  public void setResentFrom(long id, long seq) throws StoreException {
    writing();
    SessionMeta m = requireMeta(id);
    m.resentFrom = seq;
    writeMeta(m);
  }

  /** Deletes a session (its tags go with it). */
  public void deleteSession(long id) throws StoreException {
    writing();
    Optional<SessionMeta> m = meta(id);
    if (m.isEmpty()) {
      return;
    }
    rows.added(Table.SESSIONS, -rows.update("DELETE FROM sessions WHERE id = ?", m.get().rowId));
    Optional<ContactState> contact = state(m.get().contactId);
    if (contact.isPresent()) {
      contact.get().removeSession(id);
      writeState(contact.get());
    }
  }

  /** The sessions superseded at or before {@code millis}, by id. */
  public List<SessionRow> supersededBefore(long millis) throws StoreException {
    List<SessionRow> out = new ArrayList<>();
    for (SessionMeta m : allMetas()) {
      if (m.superseded >= 0 && m.superseded <= millis) {
        out.add(m.with(sessionState(m)));
      }
    }
    return out;
  }

  /**
   * The contacts whose reset went unanswered: the session this node sends in was started by a
   * RESET of this node at or before {@code millis}, and nothing of the peer was opened in it; by
   * contact id. Contacts with a reset asked for already are left out.
   */
  public List<Long> unansweredResets(long millis) throws StoreException {
    java.util.TreeSet<Long> out = new java.util.TreeSet<>();
    for (SessionMeta m : allMetas()) {
      if (m.superseded < 0 && m.initiated && m.resetAt >= 0 && !m.heard && m.created <= millis) {
        out.add(m.contactId);
      }
    }
    List<Long> unanswered = new ArrayList<>();
    for (long contactId : out) {
      Optional<ContactState> s = state(contactId);
      if (s.isPresent() && !s.get().wanted) {
        unanswered.add(contactId);
      }
    }
    return unanswered;
  }

  /**
   * The contacts whose first contact went unanswered: the session this node sends in was started
   * by a first contact of this node with a HELLO at or before {@code millis}, nothing of the peer
   * was opened in any session of the contact, and fewer than {@code maxMade} first contacts were
   * made to it; by contact id.
   */
  public List<Long> unansweredFirstContacts(long millis, long maxMade) throws StoreException {
    java.util.TreeSet<Long> out = new java.util.TreeSet<>();
    java.util.Set<Long> heard = new java.util.HashSet<>();
    for (SessionMeta m : allMetas()) {
      if (m.heard) {
        heard.add(m.contactId);
      }
      if (m.superseded < 0 && m.initiated && m.resetAt < 0 && !m.heard && m.created <= millis) {
        out.add(m.contactId);
      }
    }
    out.removeAll(heard);
    List<Long> unanswered = new ArrayList<>();
    for (long contactId : out) {
      Optional<ContactState> s = state(contactId);
      if (s.isPresent() && s.get().firstContacts < maxMade) {
        unanswered.add(contactId);
      }
    }
    return unanswered;
  }

  /** Whether anything of the contact was opened in any of its sessions. */
  public boolean heardFrom(long contactId) throws StoreException {
    return metasOf(contactId).stream().anyMatch(m -> m.heard);
  }

  /** The session with this id, if any. */
  public Optional<SessionRow> session(long id) throws StoreException {
    long rowId = rows.rowId(Table.SESSIONS, id);
    return rows.one("SELECT id, meta, state FROM sessions WHERE id = ?", this::session, rowId);
  }

  /**
   * The session this node sends in to a contact, if any: of the sessions not superseded, the one
   * updated last (a contact has one such session once a reset was made; before, two when both
   * sides sent a HELLO at once).
   */
  public Optional<SessionRow> sendingSession(long contactId) throws StoreException {
    Optional<SessionMeta> m = sendingMeta(contactId);
    return m.isEmpty() ? Optional.empty() : Optional.of(m.get().with(sessionState(m.get())));
  }

  /** The id of the session {@link #sendingSession} gives, if any, without opening its state. */
  public Optional<Long> sendingSessionId(long contactId) throws StoreException {
    return sendingMeta(contactId).map(m -> m.id);
  }

  private Optional<SessionMeta> sendingMeta(long contactId) throws StoreException {
    for (SessionMeta m : metasOf(contactId)) {
      if (m.superseded < 0) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  /** A contact's sessions, the most recently updated first. */
  public List<SessionRow> sessions(long contactId) throws StoreException {
    List<SessionRow> out = new ArrayList<>();
    for (SessionMeta m : metasOf(contactId)) {
      out.add(m.with(sessionState(m)));
    }
    return out;
  }

  /** Every session, by id. */
  public List<SessionRow> allSessions() throws StoreException {
    List<SessionRow> all = rows.query("SELECT id, meta, state FROM sessions", this::session);
    all.sort(Comparator.comparingLong(SessionRow::id));
    return all;
  }

  /** Maps {@code id, meta, state}; null for a filler. */
  private SessionRow session(ResultSet r) throws SQLException, StoreException {
    SessionMeta m = sessionMeta(r.getLong(1), r.getBytes(2));
    return m == null ? null : m.with(openState(m.rowId, r.getBytes(3)));
  }

  /** A contact's sessions' metas, the most recently updated first (then the highest id). */
  private List<SessionMeta> metasOf(long contactId) throws StoreException {
    Optional<ContactState> s = state(contactId);
    if (s.isEmpty() || s.get().sessions.length == 0) {
      return List.of();
    }
    List<Long> rowIds = new ArrayList<>();
    for (long id : s.get().sessions) {
      rowIds.add(rows.rowId(Table.SESSIONS, id));
    }
    List<SessionMeta> metas = rows.byKeys("SELECT id, meta FROM sessions", "id", rowIds,
        r -> sessionMeta(r.getLong(1), r.getBytes(2)));
    metas.sort(Comparator.comparingLong((SessionMeta m) -> m.updated).thenComparingLong(m -> m.id).reversed());
    return metas;
  }

  /** Every session's meta, by id. */
  private List<SessionMeta> allMetas() throws StoreException {
    List<SessionMeta> all = rows.query("SELECT id, meta FROM sessions", r -> sessionMeta(r.getLong(1), r.getBytes(2)));
    all.sort(Comparator.comparingLong(m -> m.id));
    return all;
  }

  private Optional<SessionMeta> meta(long id) throws StoreException {
    long rowId = rows.rowId(Table.SESSIONS, id);
    return rows.one("SELECT id, meta FROM sessions WHERE id = ?", r -> sessionMeta(r.getLong(1), r.getBytes(2)), rowId);
  }

  private SessionMeta requireMeta(long id) throws StoreException {
    return meta(id).orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no session with id " + id));
  }

  private void writeMeta(SessionMeta m) throws StoreException {
    rows.update("UPDATE sessions SET meta = ? WHERE id = ?", rows.seal(Table.SESSIONS, "meta", m.rowId, m.write()),
        m.rowId);
  }

  /** Null for a filler. */
  private SessionMeta sessionMeta(long rowId, byte[] sealed) throws StoreException {
    Fields.Reader in = rows.open(Table.SESSIONS, "meta", rowId, sealed);
    if (in.filler()) {
      return null;
    }
    SessionMeta m = new SessionMeta();
    m.rowId = rowId;
    m.id = in.u64();
    m.contactId = in.u64();
    m.created = in.u64();
    m.updated = in.u64();
    m.resetAt = in.u64();
    m.initiated = in.bool();
    m.superseded = in.u64();
    m.heard = in.bool();
    m.resentFrom = in.u64();
    in.end();
    return m;
  }

  private byte[] sealState(long rowId, byte[] state) {
    return rows.seal(Table.SESSIONS, "state", rowId, new Fields.Writer().bytes(state));
  }

  private byte[] sessionState(SessionMeta m) throws StoreException {
    return rows.one("SELECT state FROM sessions WHERE id = ?", r -> openState(m.rowId, r.getBytes(1)), m.rowId)
        .orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no session with id " + m.id));
  }

  private byte[] openState(long rowId, byte[] sealed) throws StoreException {
    return single(rows.open(Table.SESSIONS, "state", rowId, sealed));
  }

  // ---- plaintext queue

  /** A queued plaintext's or envelope's meta column: id, contact, created (and an envelope's attempts). */
  private static final class QueueMeta {
    long rowId;
    long id;
    long contactId;
    long created;
    int attempts;
    long nextAttempt;
  }

  /** Queues a plaintext for a contact; returns its id. */
  public long queuePending(long contactId, byte[] payload, long nowMillis) throws StoreException {
    writing();
    requireContact(contactId);
    long id = rows.newId(Table.PENDING);
    long rowId = rows.rowId(Table.PENDING, id);
    rows.update("INSERT INTO pending (id, meta, payload) VALUES (?, ?, ?)", rowId,
        rows.seal(Table.PENDING, "meta", rowId, new Fields.Writer().u64(id).u64(contactId).u64(nowMillis)),
        rows.seal(Table.PENDING, "payload", rowId, new Fields.Writer().bytes(payload)));
    rows.added(Table.PENDING, 1);
    return id;
  }

  /** How many plaintexts wait to be sealed. */
  public int pendingCount() throws StoreException {
    return (int) rows.real(Table.PENDING);
  }

  /** The first {@code limit} queued plaintexts, by id. */
  public List<Pending> pending(int limit) throws StoreException {
    return pending(pendingMetas().stream().limit(limit).toList());
  }

  /** The first {@code limit} queued plaintexts of contacts not in {@code except}, by id. */
  public List<Pending> pendingExcept(java.util.Collection<Long> except, int limit) throws StoreException {
    return pending(pendingMetas().stream().filter(m -> !except.contains(m.contactId)).limit(limit).toList());
  }

  /** A contact's queued plaintexts, by id. */
  public List<Pending> pendingOf(long contactId) throws StoreException {
    return pending(pendingMetas().stream().filter(m -> m.contactId == contactId).toList());
  }

  /** The ids of the contacts with queued plaintexts, by id. */
  public List<Long> contactsWithPending() throws StoreException {
    return pendingMetas().stream().map(m -> m.contactId).distinct().sorted().toList();
  }

  /** Removes a queued plaintext (once it is sealed into the outbox, say). */
  public void deletePending(long id) throws StoreException {
    writing();
    rows.added(Table.PENDING, -rows.update("DELETE FROM pending WHERE id = ?", rows.rowId(Table.PENDING, id)));
  }

  /** Every queued plaintext's meta, by id. */
  private List<QueueMeta> pendingMetas() throws StoreException {
    List<QueueMeta> all = rows.query("SELECT id, meta FROM pending", r -> {
      long rowId = r.getLong(1);
      Fields.Reader in = rows.open(Table.PENDING, "meta", rowId, r.getBytes(2));
      if (in.filler()) {
        return null;
      }
      QueueMeta m = new QueueMeta();
      m.rowId = rowId;
      m.id = in.u64();
      m.contactId = in.u64();
      m.created = in.u64();
      in.end();
      return m;
    });
    all.sort(Comparator.comparingLong(m -> m.id));
    return all;
  }

  private List<Pending> pending(List<QueueMeta> metas) throws StoreException {
    List<Pending> out = new ArrayList<>();
    for (QueueMeta m : metas) {
      byte[] payload = rows.one("SELECT payload FROM pending WHERE id = ?",
          r -> single(rows.open(Table.PENDING, "payload", m.rowId, r.getBytes(1))), m.rowId).orElseThrow();
      out.add(new Pending(m.id, m.contactId, payload, m.created));
    }
    return out;
  }

  // ---- outbox

  /** Queues an envelope for a contact, due at once with no attempts yet; returns its id. */
  public long queueEnvelope(long contactId, byte[] envelope, long nowMillis) throws StoreException {
    return queueEnvelope(contactId, envelope, nowMillis, nowMillis);
  }

  /** Queues an envelope for a contact, due at {@code dueMillis} (a sender delay) with no attempts yet; returns its id. */
  public long queueEnvelope(long contactId, byte[] envelope, long nowMillis, long dueMillis) throws StoreException {
    writing();
    requireContact(contactId);
    QueueMeta m = new QueueMeta();
    m.id = rows.newId(Table.OUTBOX);
    m.rowId = rows.rowId(Table.OUTBOX, m.id);
    m.contactId = contactId;
    m.created = nowMillis;
    m.nextAttempt = dueMillis;
    rows.update("INSERT INTO outbox (id, meta, envelope) VALUES (?, ?, ?)", m.rowId, outboxMeta(m),
        rows.seal(Table.OUTBOX, "envelope", m.rowId, new Fields.Writer().bytes(envelope)));
    rows.added(Table.OUTBOX, 1);
    return m.id;
  }

  /** Up to {@code limit} envelopes whose next attempt is at or before {@code nowMillis}, by id. */
  public List<Outgoing> due(long nowMillis, int limit) throws StoreException {
    // An envelope is due only when no earlier envelope of its contact is waiting out a back-off,
    // so that a contact's envelopes leave in the order they were sealed.
    java.util.Set<Long> waiting = new java.util.HashSet<>();
    List<QueueMeta> due = new ArrayList<>();
    for (QueueMeta m : outboxMetas()) {
      if (due.size() == limit) {
        break;
      }
      if (m.nextAttempt > nowMillis) {
        waiting.add(m.contactId);
      } else if (!waiting.contains(m.contactId)) {
        due.add(m);
      }
    }
    return outgoing(due);
  }

  /** A contact's waiting envelopes, by id. */
  public List<Outgoing> outbox(long contactId) throws StoreException {
    return outgoing(outboxMetas().stream().filter(m -> m.contactId == contactId).toList());
  }

  /** A contact's first {@code limit} waiting envelopes, by id. */
  public List<Outgoing> outbox(long contactId, int limit) throws StoreException {
    return outgoing(outboxMetas().stream().filter(m -> m.contactId == contactId).limit(limit).toList());
  }

  /**
   * The contacts that {@link #due} has envelopes of at {@code nowMillis} (those whose first
   * waiting envelope is due), the one whose envelope waits longest first; nothing is opened.
   */
  public List<Long> dueContacts(long nowMillis) throws StoreException {
    // Each contact's first waiting envelope, in id order (the metas are sealed: opened here).
    java.util.Set<Long> seen = new java.util.HashSet<>();
    List<Long> due = new ArrayList<>();
    for (QueueMeta m : outboxMetas()) {
      if (seen.add(m.contactId) && m.nextAttempt <= nowMillis) {
        due.add(m.contactId);
      }
    }
    return due;
  }

  /** Removes an envelope from the outbox (once it is delivered, or given up). */
  public void deleteEnvelope(long id) throws StoreException {
    writing();
    rows.added(Table.OUTBOX, -rows.update("DELETE FROM outbox WHERE id = ?", rows.rowId(Table.OUTBOX, id)));
  }

  /** Removes every envelope waiting for a contact; returns how many. */
  public int deleteOutbox(long contactId) throws StoreException {
    writing();
    int deleted = 0;
    for (QueueMeta m : outboxMetas()) {
      if (m.contactId == contactId) {
        deleted += rows.update("DELETE FROM outbox WHERE id = ?", m.rowId);
      }
    }
    rows.added(Table.OUTBOX, -deleted);
    return deleted;
  }

  /** Records a failed attempt: the attempt count so far and when to try next. */
  public void reschedule(long id, int attempts, long nextAttemptMillis) throws StoreException {
    writing();
    long rowId = rows.rowId(Table.OUTBOX, id);
    QueueMeta m = rows.one("SELECT id, meta FROM outbox WHERE id = ?", this::outboxMeta, rowId)
        .orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no outgoing envelope with id " + id));
    m.attempts = attempts;
    m.nextAttempt = nextAttemptMillis;
    rows.update("UPDATE outbox SET meta = ? WHERE id = ?", outboxMeta(m), rowId);
  }

  /** How many envelopes wait in the outbox. */
  public int outboxSize() throws StoreException {
    return (int) rows.real(Table.OUTBOX);
  }

  private byte[] outboxMeta(QueueMeta m) {
    return rows.seal(Table.OUTBOX, "meta", m.rowId,
        new Fields.Writer().u64(m.id).u64(m.contactId).u64(m.attempts).u64(m.nextAttempt).u64(m.created));
  }

  /** Maps {@code id, meta}; null for a filler. */
  private QueueMeta outboxMeta(ResultSet r) throws SQLException, StoreException {
    long rowId = r.getLong(1);
    Fields.Reader in = rows.open(Table.OUTBOX, "meta", rowId, r.getBytes(2));
    if (in.filler()) {
      return null;
    }
    QueueMeta m = new QueueMeta();
    m.rowId = rowId;
    m.id = in.u64();
    m.contactId = in.u64();
    m.attempts = Math.toIntExact(in.u64());
    m.nextAttempt = in.u64();
    m.created = in.u64();
    in.end();
    return m;
  }

  /** Every waiting envelope's meta, by id. */
  private List<QueueMeta> outboxMetas() throws StoreException {
    List<QueueMeta> all = rows.query("SELECT id, meta FROM outbox", this::outboxMeta);
    all.sort(Comparator.comparingLong(m -> m.id));
    return all;
  }

  private List<Outgoing> outgoing(List<QueueMeta> metas) throws StoreException {
    List<Outgoing> out = new ArrayList<>();
    for (QueueMeta m : metas) {
      byte[] envelope = rows.one("SELECT envelope FROM outbox WHERE id = ?",
          r -> single(rows.open(Table.OUTBOX, "envelope", m.rowId, r.getBytes(1))), m.rowId).orElseThrow();
      out.add(new Outgoing(m.id, m.contactId, envelope, m.attempts, m.nextAttempt, m.created));
    }
    return out;
  }

  // ---- messages

  /** A stored message, with its row id and its place among its contact's. */
  private static final class Stored {
    long rowId;
    long id;
    long contactId;
    boolean incoming;
    long seq;
    long sentAt;
    long storedAt;
    boolean read;
    int kind;
    long place;
    String text;

    Message message() {
      return new Message(id, contactId, incoming, seq, sentAt, storedAt, text, read, kind);
    }

    Fields.Writer write() {
      return new Fields.Writer().u64(id).u64(contactId).bool(incoming).u64(seq).u64(sentAt).u64(storedAt).bool(read)
          .u64(kind).u64(place).string(text);
    }
  }

  private static final String MESSAGE = "SELECT id, body FROM messages";

  /** Whether the message (contactId, incoming, seq) is stored. */
  public boolean hasMessage(long contactId, boolean incoming, long seq) throws StoreException {
    return rows.one("SELECT 1 FROM messages WHERE seq_key = ?", r -> true, seqKey(contactId, incoming, seq)).isPresent();
  }

  /** How many messages in one direction of a contact have a seq in [{@code from}, {@code to}). */
  public long countInRange(long contactId, boolean incoming, long from, long to) throws StoreException {
    return inRange(contactId, incoming, from, to).size();
  }

  /** The messages this node sent a contact with a seq in [{@code from}, {@code to}), by seq. */
  public List<Message> sent(long contactId, long from, long to) throws StoreException {
    List<Stored> sent = inRange(contactId, false, from, to);
    sent.sort(Comparator.comparingLong(m -> m.seq));
    return sent.stream().map(Stored::message).toList();
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
    ContactState contact = requireState(contactId);
    byte[] seqKey = seqKey(contactId, incoming, seq);
    if (rows.one("SELECT 1 FROM messages WHERE seq_key = ?", r -> true, seqKey).isPresent()) {
      return false;
    }
    Stored m = new Stored();
    m.id = rows.newId(Table.MESSAGES);
    m.rowId = rows.rowId(Table.MESSAGES, m.id);
    m.contactId = contactId;
    m.incoming = incoming;
    m.seq = seq;
    m.sentAt = sentAt;
    m.storedAt = nowMillis;
    m.read = !incoming;
    m.kind = kind;
    m.text = text;
    m.place = contact.messagesNext++;
    if (m.read && contact.unreadFrom == m.place) {
      contact.unreadFrom++;
    }
    rows.update("INSERT INTO messages (id, seq_key, place_key, body) VALUES (?, ?, ?, ?)", m.rowId, seqKey,
        placeKey(contactId, m.place), rows.seal(Table.MESSAGES, "body", m.rowId, m.write()));
    rows.added(Table.MESSAGES, 1);
    writeState(contact);
    return true;
  }

  /** A contact's conversation, in both directions, by the time this node stored each message, then by id. */
  public List<Message> messages(long contactId) throws StoreException {
    Optional<ContactState> s = state(contactId);
    if (s.isEmpty()) {
      return List.of();
    }
    List<Stored> all = walk(s.get(), s.get().messagesFirst, Long.MAX_VALUE);
    all.sort(Comparator.comparingLong((Stored m) -> m.storedAt).thenComparingLong(m -> m.id));
    return all.stream().map(Stored::message).toList();
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
    Optional<ContactState> found = state(contactId);
    if (found.isEmpty()) {
      return 0;
    }
    ContactState s = found.get();
    boolean waiting = pendingMetas().stream().anyMatch(m -> m.contactId == contactId)
        || outboxMetas().stream().anyMatch(m -> m.contactId == contactId);
    int deleted = 0;
    long firstKept = s.messagesNext;
    for (Stored m : walk(s, s.messagesFirst, Long.MAX_VALUE)) {
      if (m.kind == 2 && m.storedAt < beforeMillis
          && (m.incoming ? m.read && m.seq < s.nextInSeq : !waiting)) {
        deleted += rows.update("DELETE FROM messages WHERE id = ?", m.rowId);
      } else {
        firstKept = Math.min(firstKept, m.place);
      }
    }
    rows.added(Table.MESSAGES, -deleted);
    if (firstKept != s.messagesFirst) {
      s.messagesFirst = firstKept;
      s.unreadFrom = Math.max(s.unreadFrom, firstKept);
      writeState(s);
    }
    return deleted;
  }

  /** The incoming messages not read yet, by contact then sequence number. */
  public List<Message> unread() throws StoreException {
    List<Stored> unread = new ArrayList<>();
    for (ContactState s : states()) {
      for (Stored m : walk(s, s.unreadFrom, Long.MAX_VALUE)) {
        if (m.incoming && !m.read) {
          unread.add(m);
        }
      }
    }
    unread.sort(Comparator.comparingLong((Stored m) -> m.contactId).thenComparingLong(m -> m.seq));
    return unread.stream().map(Stored::message).toList();
  }

  /**
   * When the oldest of a contact's messages held after a gap was stored (this node's clock, ms): an
   * incoming message with a seq at or above {@code nextIn}, which is not delivered until the gap
   * before it is filled; empty when none is held. Held messages are unread, so only the messages
   * from the contact's unread mark on are opened.
   */
  public java.util.OptionalLong heldSince(long contactId, long nextIn) throws StoreException {
    Optional<ContactState> found = state(contactId);
    if (found.isEmpty()) {
      return java.util.OptionalLong.empty();
    }
    ContactState s = found.get();
    return walk(s, s.unreadFrom, Long.MAX_VALUE).stream()
        .filter(m -> m.incoming && m.seq >= nextIn)
        .mapToLong(m -> m.storedAt)
        .min();
  }

  /** Marks a message read. */
  public void markRead(long id) throws StoreException {
    writing();
    long rowId = rows.rowId(Table.MESSAGES, id);
    Stored m = rows.one(MESSAGE + " WHERE id = ?", this::stored, rowId)
        .orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no message with id " + id));
    if (!m.read) {
      m.read = true;
      rows.update("UPDATE messages SET body = ? WHERE id = ?", rows.seal(Table.MESSAGES, "body", rowId, m.write()), rowId);
    }
    Optional<ContactState> found = state(m.contactId);
    if (found.isEmpty() || found.get().unreadFrom != m.place) {
      return;
    }
    // Move the contact's unread mark past every message now settled (read, outgoing or deleted),
    // opening them in order and no further than the first one still unread.
    ContactState s = found.get();
    long from = s.unreadFrom;
    boolean blocked = false;
    // Small chunks first: usually the next unread message is near.
    for (int chunk = 16; !blocked && s.unreadFrom < s.messagesNext; chunk = Math.min(Rows.CHUNK, 2 * chunk)) {
      long to = Math.min(s.messagesNext, s.unreadFrom + chunk);
      List<byte[]> keys = new ArrayList<>();
      for (long place = s.unreadFrom; place < to; place++) {
        keys.add(placeKey(s.id, place));
      }
      Map<String, Object[]> sealed = new HashMap<>();
      for (Object[] row : rows.byKeys("SELECT place_key, id, body FROM messages", "place_key", keys,
          r -> new Object[] {r.getBytes(1), r.getLong(2), r.getBytes(3)})) {
        sealed.put(java.util.HexFormat.of().formatHex((byte[]) row[0]), row);
      }
      for (byte[] key : keys) {
        Object[] row = sealed.get(java.util.HexFormat.of().formatHex(key));
        Stored c = row == null ? null : stored((long) row[1], (byte[]) row[2]);
        if (c != null && c.incoming && !c.read) {
          blocked = true;
          break;
        }
        s.unreadFrom++;
      }
    }
    if (s.unreadFrom != from) {
      writeState(s);
    }
  }

  /** How many messages are stored, in all conversations. */
  public long countMessages() throws StoreException {
    return rows.real(Table.MESSAGES);
  }

  // For tests in this package: what a thief reads, and what a store restored from an older copy lacks.

  /** The sealed bodies of the stored messages of one kind, as they are in the file. */
  List<byte[]> sealedBodies(int kind) throws StoreException {
    return rows.query(MESSAGE, r -> {
      Stored m = stored(r);
      return m != null && m.kind == kind ? r.getBytes(2) : null;
    });
  }

  /** Deletes one message. */
  void deleteMessage(long id) throws StoreException {
    writing();
    rows.added(Table.MESSAGES, -rows.update("DELETE FROM messages WHERE id = ?", rows.rowId(Table.MESSAGES, id)));
  }

  /** Moves every message's times {@code millis} back (its sent_at, in seconds, by as much). */
  void moveMessagesBack(long millis) throws StoreException {
    writing();
    for (Stored m : rows.query(MESSAGE, this::stored)) {
      m.storedAt -= millis;
      m.sentAt -= millis / 1000;
      rows.update("UPDATE messages SET body = ? WHERE id = ?", rows.seal(Table.MESSAGES, "body", m.rowId, m.write()),
          m.rowId);
    }
  }

  private byte[] seqKey(long contactId, boolean incoming, long seq) {
    return rows.key(Table.MESSAGES, "seq_key", contactId, incoming ? 1 : 0, seq);
  }

  private byte[] placeKey(long contactId, long place) {
    return rows.key(Table.MESSAGES, "place_key", contactId, place);
  }

  /** The contact's messages stored at places in [{@code from}, {@code to}) (and below its next place), by place. */
  private List<Stored> walk(ContactState s, long from, long to) throws StoreException {
    List<Stored> out = new ArrayList<>();
    long end = Math.min(to, s.messagesNext);
    for (long at = Math.max(from, s.messagesFirst); at < end; at += Rows.CHUNK) {
      List<byte[]> keys = new ArrayList<>();
      for (long place = at; place < Math.min(end, at + Rows.CHUNK); place++) {
        keys.add(placeKey(s.id, place));
      }
      out.addAll(rows.byKeys(MESSAGE, "place_key", keys, this::stored));
    }
    out.sort(Comparator.comparingLong(m -> m.place));
    return out;
  }

  /**
   * The contact's messages in one direction with a seq in [{@code from}, {@code to}): looked up
   * seq by seq when the range is no longer than the conversation, else found by walking it.
   */
  private List<Stored> inRange(long contactId, boolean incoming, long from, long to) throws StoreException {
    Optional<ContactState> found = state(contactId);
    if (found.isEmpty() || to <= from) {
      return new ArrayList<>();
    }
    ContactState s = found.get();
    long span = to - from; // negative on overflow: a range longer than any conversation
    if (span > 0 && span <= s.messagesNext - s.messagesFirst) {
      List<byte[]> keys = new ArrayList<>();
      for (long seq = from; seq < to; seq++) {
        keys.add(seqKey(contactId, incoming, seq));
      }
      return new ArrayList<>(rows.byKeys(MESSAGE, "seq_key", keys, this::stored));
    }
    List<Stored> out = new ArrayList<>();
    for (Stored m : walk(s, s.messagesFirst, Long.MAX_VALUE)) {
      if (m.incoming == incoming && m.seq >= from && m.seq < to) {
        out.add(m);
      }
    }
    return out;
  }

  /** Maps {@code id, body}; null for a filler. */
  private Stored stored(ResultSet r) throws SQLException, StoreException {
    return stored(r.getLong(1), r.getBytes(2));
  }

  private Stored stored(long rowId, byte[] body) throws StoreException {
    Fields.Reader in = rows.open(Table.MESSAGES, "body", rowId, body);
    if (in.filler()) {
      return null;
    }
    Stored m = new Stored();
    m.rowId = rowId;
    m.id = in.u64();
    m.contactId = in.u64();
    m.incoming = in.bool();
    m.seq = in.u64();
    m.sentAt = in.u64();
    m.storedAt = in.u64();
    m.read = in.bool();
    m.kind = Math.toIntExact(in.u64());
    m.place = in.u64();
    m.text = in.string();
    in.end();
    return m;
  }

  // ---- notices

  /** Stores a notice of a reset, unread; returns its id. */
  public long insertNotice(long contactId, long atMillis, boolean byPeer, long missing, long resent)
      throws StoreException {
    writing();
    requireContact(contactId);
    long id = rows.newId(Table.NOTICES);
    writeNotice(new Notice(id, contactId, atMillis, byPeer, missing, resent, false), true);
    rows.added(Table.NOTICES, 1);
    return id;
  }

  /** A contact's notices, by id. */
  public List<Notice> notices(long contactId) throws StoreException {
    return allNotices().stream().filter(n -> n.contactId() == contactId).toList();
  }

  /** The notices not read yet, by contact then id. */
  public List<Notice> unreadNotices() throws StoreException {
    return allNotices().stream().filter(n -> !n.read())
        .sorted(Comparator.comparingLong(Notice::contactId).thenComparingLong(Notice::id)).toList();
  }

  /** Marks a notice read. */
  public void markNoticeRead(long id) throws StoreException {
    writing();
    long rowId = rows.rowId(Table.NOTICES, id);
    Notice n = rows.one("SELECT id, body FROM notices WHERE id = ?", this::notice, rowId)
        .orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "there is no notice with id " + id));
    writeNotice(new Notice(n.id(), n.contactId(), n.at(), n.byPeer(), n.missing(), n.resent(), true), false);
  }

  private void writeNotice(Notice n, boolean insert) throws StoreException {
    long rowId = rows.rowId(Table.NOTICES, n.id());
    byte[] body = rows.seal(Table.NOTICES, "body", rowId, new Fields.Writer().u64(n.id()).u64(n.contactId())
        .u64(n.at()).bool(n.byPeer()).u64(n.missing()).u64(n.resent()).bool(n.read()));
    if (insert) {
      rows.update("INSERT INTO notices (id, body) VALUES (?, ?)", rowId, body);
    } else {
      rows.update("UPDATE notices SET body = ? WHERE id = ?", body, rowId);
    }
  }

  /** Every notice, by id. */
  private List<Notice> allNotices() throws StoreException {
    List<Notice> all = rows.query("SELECT id, body FROM notices", this::notice);
    all.sort(Comparator.comparingLong(Notice::id));
    return all;
  }

  /** Maps {@code id, body}; null for a filler. */
  private Notice notice(ResultSet r) throws SQLException, StoreException {
    Fields.Reader in = rows.open(Table.NOTICES, "body", r.getLong(1), r.getBytes(2));
    if (in.filler()) {
      return null;
    }
    Notice n = new Notice(in.u64(), in.u64(), in.u64(), in.bool(), in.u64(), in.u64(), in.bool());
    in.end();
    return n;
  }

  // ---- received-envelope dedupe

  /**
   * Remembers that an envelope with this digest was received.
   *
   * @return false if it was remembered already
   */
  public boolean markReceived(byte[] envelopeDigest, long nowMillis) throws StoreException {
    writing();
    long rowId = rows.rowId(Table.RECEIVED, envelopeDigest);
    if (rows.one("SELECT 1 FROM received WHERE id = ?", r -> true, rowId).isPresent()) {
      return false;
    }
    rows.update("INSERT INTO received (id, body) VALUES (?, ?)", rowId,
        rows.seal(Table.RECEIVED, "body", rowId, new Fields.Writer().u64(nowMillis)));
    rows.added(Table.RECEIVED, 1);
    return true;
  }

  /** Whether an envelope with this digest was received (and is still remembered). */
  public boolean received(byte[] envelopeDigest) throws StoreException {
    return rows.one("SELECT 1 FROM received WHERE id = ?", r -> true, rows.rowId(Table.RECEIVED, envelopeDigest))
        .isPresent();
  }

  /** Forgets the digests received before {@code millis}; returns how many. */
  public int forgetReceivedBefore(long millis) throws StoreException {
    writing();
    List<Long> old = rows.query("SELECT id, body FROM received", r -> {
      long rowId = r.getLong(1);
      Fields.Reader in = rows.open(Table.RECEIVED, "body", rowId, r.getBytes(2));
      if (in.filler()) {
        return null;
      }
      long at = in.u64();
      in.end();
      return at < millis ? rowId : null;
    });
    int deleted = 0;
    for (long rowId : old) {
      deleted += rows.update("DELETE FROM received WHERE id = ?", rowId);
    }
    rows.added(Table.RECEIVED, -deleted);
    return deleted;
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
    return deposit(tag, envelope, null, nowMillis, expiresMillis, maxPerTag, maxTotalBytes);
  }

  /**
   * As {@link #deposit(byte[], byte[], long, long, int, long)}; for a group item ({@code leaves}
   * not null) the per-tag quota holds per leaf: the item is refused when, for each of its leaves,
   * the tag holds the quota of group items that carry that leaf untaken (an item without leaves:
   * when the tag holds the quota of group items deposited without any). A depositor who does not
   * hold a member's leaf for the tag (every other member: spec: group.adoc#group-delivery) cannot
   * fill the quota that member's leaf needs, and a member who fills its own leaf's blocks only an
   * item for itself alone.
   */
  private DepositResult deposit(byte[] tag, byte[] envelope, List<byte[]> leaves, long nowMillis, long expiresMillis,
      int maxPerTag, long maxTotalBytes) throws StoreException {
    writing();
    expire(nowMillis);
    // The index on (tag, part of the envelope) finds the candidates without reading every envelope under the tag.
    if (one("SELECT 1 FROM mailbox WHERE tag = ? AND substr(envelope, 18, 16) = ? AND envelope = ?", r -> true, tag,
        Arrays.copyOfRange(envelope, Math.min(17, envelope.length), Math.min(33, envelope.length)), envelope)
        .isPresent()) {
      return DepositResult.DUPLICATE;
    }
    if (leaves == null) {
      if (count("SELECT COUNT(*) FROM mailbox WHERE tag = ?", tag) >= maxPerTag) {
        return DepositResult.TAG_FULL;
      }
    } else if (leaves.isEmpty()) {
      if (count("SELECT COUNT(*) FROM mailbox m JOIN group_items g ON g.id = m.id WHERE m.tag = ? AND g.leaves = 0",
          tag) >= maxPerTag) {
        return DepositResult.TAG_FULL;
      }
    } else {
      boolean room = false;
      for (byte[] leaf : leaves) {
        if (count("SELECT COUNT(DISTINCT m.id) FROM mailbox m JOIN group_leaves l ON l.item_id = m.id WHERE m.tag = ?"
            + " AND l.leaf = ?", tag, leaf) < maxPerTag) {
          room = true;
          break;
        }
      }
      if (!room) {
        return DepositResult.TAG_FULL;
      }
    }
    if (mailboxBytes() + prekeyBytes() + envelope.length > maxTotalBytes) {
      return DepositResult.STORE_FULL;
    }
    update("INSERT INTO mailbox (tag, envelope, size, deposited, expires) VALUES (?, ?, ?, ?, ?)",
        tag, envelope, envelope.length, nowMillis, expiresMillis);
    return DepositResult.STORED;
  }

  /**
   * Up to {@code limit} unexpired group items, in deposit order, each held under the tag of one of
   * the {@code watches} and carrying that watch's leaf untaken (spec: transport.adoc#mailbox,
   * FETCH_GROUP).
   */
  public List<Item> fetchGroup(List<Frame.Watch> watches, long nowMillis, int limit) throws StoreException {
    List<Item> items = new ArrayList<>();
    if (limit <= 0) {
      return items;
    }
    int chunkSize = FETCH_CHUNK / 2;
    for (int from = 0; from < watches.size(); from += chunkSize) {
      List<Frame.Watch> chunk = watches.subList(from, Math.min(watches.size(), from + chunkSize));
      Object[] args = new Object[2 * chunk.size() + 2];
      for (int i = 0; i < chunk.size(); i++) {
        args[2 * i] = chunk.get(i).tag();
        args[2 * i + 1] = chunk.get(i).leaf();
      }
      args[2 * chunk.size()] = nowMillis;
      args[2 * chunk.size() + 1] = limit;
      items.addAll(query(ITEM + " WHERE id IN (SELECT m.id FROM mailbox m JOIN group_leaves l ON l.item_id = m.id WHERE ("
          + "(m.tag = ? AND l.leaf = ?) OR ".repeat(chunk.size() - 1) + "(m.tag = ? AND l.leaf = ?)) AND m.expires > ?"
          + " ORDER BY m.id LIMIT ?) ORDER BY id", Tx::item, args));
    }
    items.sort(Comparator.comparingLong(Item::id));
    List<Item> unique = new ArrayList<>();
    for (Item i : items) {
      if (unique.isEmpty() || unique.get(unique.size() - 1).id() != i.id()) {
        unique.add(i);
      }
    }
    return unique.size() > limit ? new ArrayList<>(unique.subList(0, limit)) : unique;
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

  /**
   * Up to {@code limit} unexpired items with an id above {@code after}, whose tag begins with one of
   * the prefixes of {@code fetch}, in id order (spec: transport.adoc#fetch-prefix). A prefix is a
   * range of tags: from the prefix followed by 0 bits to the prefix followed by 1 bits.
   */
  public List<Item> fetchPrefix(Frame.PrefixFetch fetch, long nowMillis, int limit) throws StoreException {
    List<Item> items = new ArrayList<>();
    if (limit <= 0) {
      return items;
    }
    List<Integer> prefixes = fetch.prefixes().stream().distinct().toList();
    int span = (1 << (Frame.MAX_PREFIX_BITS - fetch.bits())) - 1;
    int chunkSize = FETCH_CHUNK / 2;
    for (int from = 0; from < prefixes.size(); from += chunkSize) {
      List<Integer> chunk = prefixes.subList(from, Math.min(prefixes.size(), from + chunkSize));
      Object[] args = new Object[2 * chunk.size() + 3];
      for (int i = 0; i < chunk.size(); i++) {
        int low = chunk.get(i);
        int high = low | span;
        byte[] lo = new byte[dev.sotto.Envelope.TAG_LENGTH];
        byte[] hi = new byte[dev.sotto.Envelope.TAG_LENGTH];
        java.util.Arrays.fill(hi, (byte) 0xff);
        lo[0] = (byte) (low >>> 8);
        lo[1] = (byte) low;
        hi[0] = (byte) (high >>> 8);
        hi[1] = (byte) high;
        args[2 * i] = lo;
        args[2 * i + 1] = hi;
      }
      args[2 * chunk.size()] = fetch.after();
      args[2 * chunk.size() + 1] = nowMillis;
      args[2 * chunk.size() + 2] = limit;
      items.addAll(query(ITEM + " WHERE id IN (SELECT id FROM mailbox WHERE ("
          + "(tag BETWEEN ? AND ?) OR ".repeat(chunk.size() - 1) + "(tag BETWEEN ? AND ?)) AND id > ? AND expires > ?"
          + " ORDER BY id LIMIT ?) ORDER BY id", Tx::item, args));
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

  // ---- group items of the mailbox (spec: transport.adoc#mailbox, DEPOSIT_GROUP and TAKE)

  /**
   * As {@link #deposit}, for a group item: when stored, its leaves are kept untaken with it. An
   * identical envelope held under the tag already stores nothing (and no leaves).
   */
  public DepositResult depositGroup(byte[] tag, byte[] envelope, List<byte[]> leaves, long nowMillis,
      long expiresMillis, int maxPerTag, long maxTotalBytes) throws StoreException {
    DepositResult result = deposit(tag, envelope, leaves, nowMillis, expiresMillis, maxPerTag, maxTotalBytes);
    if (result == DepositResult.STORED) {
      long id = count("SELECT last_insert_rowid()");
      update("INSERT INTO group_items (id, leaves) VALUES (?, ?)", id, leaves.size());
      for (byte[] leaf : leaves) {
        update("INSERT INTO group_leaves (item_id, leaf) VALUES (?, ?)", id, leaf);
      }
    }
    return result;
  }

  /** Which of {@code ids} are group items (held now). */
  public Set<Long> groupItems(List<Long> ids) throws StoreException {
    Set<Long> group = new HashSet<>();
    for (long id : ids) {
      if (one("SELECT 1 FROM group_items WHERE id = ?", r -> true, id).isPresent()) {
        group.add(id);
      }
    }
    return group;
  }

  /**
   * Takes one untaken leaf {@code leaf} of the group item {@code id}, if there is one; deletes the
   * item when that was its last. Returns whether a leaf was taken.
   */
  public boolean takeLeaf(long id, byte[] leaf) throws StoreException {
    writing();
    int taken = update("DELETE FROM group_leaves WHERE rowid = (SELECT rowid FROM group_leaves WHERE item_id = ?"
        + " AND leaf = ? LIMIT 1)", id, leaf);
    if (taken > 0 && count("SELECT COUNT(*) FROM group_leaves WHERE item_id = ?", id) == 0) {
      update("DELETE FROM mailbox WHERE id = ?", id);
    }
    return taken > 0;
  }

  /** The untaken leaves of a group item, or empty when {@code id} is none. */
  public Optional<Integer> untakenLeaves(long id) throws StoreException {
    if (one("SELECT 1 FROM group_items WHERE id = ?", r -> true, id).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of((int) count("SELECT COUNT(*) FROM group_leaves WHERE item_id = ?", id));
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

  // ---- backup class of the mailbox (others' backups, opaque, not sealed; spec: transport.adoc#backup-class)

  /** What a backup space holds: envelopes and their bytes. */
  public record BackupUsage(long envelopes, long bytes) {}

  /** Deletes the backup envelopes whose expiry is at or before {@code nowMillis}; returns how many. */
  public int expireBackups(long nowMillis) throws StoreException {
    writing();
    return update("DELETE FROM backup_items WHERE expires <= ?", nowMillis);
  }

  /** The envelopes and bytes a space holds (expired ones included: expire first). */
  public BackupUsage backupUsage(byte[] space) throws StoreException {
    return one("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM backup_items WHERE space = ?",
        r -> new BackupUsage(r.getLong(1), r.getLong(2)), space).orElse(new BackupUsage(0, 0));
  }

  /** The bytes every backup space holds together. */
  public long backupBytes() throws StoreException {
    return count("SELECT COALESCE(SUM(size), 0) FROM backup_items");
  }

  /** The size of the envelope a space holds under {@code tag}, unexpired, or -1. */
  public long backupSize(byte[] space, byte[] tag, long nowMillis) throws StoreException {
    return one("SELECT size FROM backup_items WHERE space = ? AND tag = ? AND expires > ?", r -> r.getLong(1), space,
        tag, nowMillis).orElse(-1L);
  }

  /** Holds {@code envelope} in the space under its tag, replacing what was there, until {@code expiresMillis}. */
  public void putBackup(byte[] space, byte[] tag, byte[] envelope, long expiresMillis) throws StoreException {
    writing();
    update("INSERT INTO backup_items (space, tag, envelope, size, expires) VALUES (?, ?, ?, ?, ?)"
        + " ON CONFLICT (space, tag) DO UPDATE SET envelope = excluded.envelope, size = excluded.size,"
        + " expires = excluded.expires", space, tag, envelope, envelope.length, expiresMillis);
  }

  /** The unexpired envelope a space holds under {@code tag}, as an item (its id the row's). */
  public Optional<Item> backupItem(byte[] space, byte[] tag, long nowMillis) throws StoreException {
    return one("SELECT id, tag, envelope, 0, expires FROM backup_items WHERE space = ? AND tag = ? AND expires > ?",
        Tx::item, space, tag, nowMillis);
  }

  /** Sets a new expiry on the unexpired envelope under {@code tag}; false when there is none. */
  public boolean keepBackup(byte[] space, byte[] tag, long nowMillis, long expiresMillis) throws StoreException {
    writing();
    return update("UPDATE backup_items SET expires = ? WHERE space = ? AND tag = ? AND expires > ?", expiresMillis,
        space, tag, nowMillis) > 0;
  }

  /** Deletes what a space holds under {@code tag}; false when it held nothing. */
  public boolean deleteBackup(byte[] space, byte[] tag) throws StoreException {
    writing();
    return update("DELETE FROM backup_items WHERE space = ? AND tag = ?", space, tag) > 0;
  }

  // ---- plumbing

  private void writing() {
    if (!writable) {
      throw new IllegalStateException("a read transaction cannot write");
    }
  }

  /** The one byte string of a sealed column that holds only that (a session state, a payload, an envelope). */
  private static byte[] single(Fields.Reader in) throws StoreException {
    byte[] value = in.filler() ? null : in.bytes();
    if (value == null) {
      throw new StoreException(StoreException.Kind.CORRUPT, "a sealed value is not the row's");
    }
    in.end();
    return value;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private int update(String sql, Object... args) throws StoreException {
    return rows.update(sql, args);
  }

  private <R> List<R> query(String sql, Rows.Row<R> row, Object... args) throws StoreException {
    return rows.query(sql, row, args);
  }

  private <R> Optional<R> one(String sql, Rows.Row<R> row, Object... args) throws StoreException {
    return rows.one(sql, row, args);
  }

  private long count(String sql, Object... args) throws StoreException {
    return rows.count(sql, args);
  }
}
