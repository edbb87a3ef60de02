package dev.sotto.node.store;

import java.util.Arrays;

/**
 * The {@code state} column of a contact: what changes as messages come and go. Mutable; a
 * {@link Tx} reads it, changes it and writes it back.
 *
 * <p>Besides what {@link Tx.Contact}, {@link Tx.Resets} and {@link Tx.FirstContacts} show, it
 * holds the places of the contact's messages: each message stored for the contact takes the
 * next place ({@link #messagesNext}); the ones still stored lie in [{@link #messagesFirst},
 * {@link #messagesNext}); below {@link #unreadFrom} no incoming message is unread. And the ids
 * of the contact's sessions. So that a contact's messages and sessions are found through the
 * contact, and nothing in their rows groups them.
 */
final class ContactState {
  final long id;
  long nextOutSeq;
  long nextInSeq;
  final long created;
  long resets;
  long missing;
  long resetIn = -1;
  long resetOut = -1;
  boolean wanted;
  long firstContacts;
  long fetchFailures;
  long nextFetch;
  long messagesFirst;
  long messagesNext;
  long unreadFrom;
  long[] sessions = new long[0];

  ContactState(long id, long created) {
    this.id = id;
    this.created = created;
  }

  Fields.Writer write() {
    return new Fields.Writer().u64(id).u64(nextOutSeq).u64(nextInSeq).u64(created).u64(resets).u64(missing)
        .u64(resetIn).u64(resetOut).bool(wanted).u64(firstContacts).u64(fetchFailures).u64(nextFetch)
        .u64(messagesFirst).u64(messagesNext).u64(unreadFrom).u64s(sessions);
  }

  static ContactState read(Fields.Reader in) throws StoreException {
    long id = in.u64();
    long nextOut = in.u64();
    long nextIn = in.u64();
    ContactState s = new ContactState(id, in.u64());
    s.nextOutSeq = nextOut;
    s.nextInSeq = nextIn;
    s.resets = in.u64();
    s.missing = in.u64();
    s.resetIn = in.u64();
    s.resetOut = in.u64();
    s.wanted = in.bool();
    s.firstContacts = in.u64();
    s.fetchFailures = in.u64();
    s.nextFetch = in.u64();
    s.messagesFirst = in.u64();
    s.messagesNext = in.u64();
    s.unreadFrom = in.u64();
    s.sessions = in.u64s();
    in.end();
    return s;
  }

  /** A copy that shares nothing with this one. */
  ContactState copy() {
    ContactState c = new ContactState(id, created);
    c.nextOutSeq = nextOutSeq;
    c.nextInSeq = nextInSeq;
    c.resets = resets;
    c.missing = missing;
    c.resetIn = resetIn;
    c.resetOut = resetOut;
    c.wanted = wanted;
    c.firstContacts = firstContacts;
    c.fetchFailures = fetchFailures;
    c.nextFetch = nextFetch;
    c.messagesFirst = messagesFirst;
    c.messagesNext = messagesNext;
    c.unreadFrom = unreadFrom;
    c.sessions = sessions.clone();
    return c;
  }

  void addSession(long sessionId) {
    sessions = Arrays.copyOf(sessions, sessions.length + 1);
    sessions[sessions.length - 1] = sessionId;
  }

  void removeSession(long sessionId) {
    sessions = Arrays.stream(sessions).filter(s -> s != sessionId).toArray();
  }
}
