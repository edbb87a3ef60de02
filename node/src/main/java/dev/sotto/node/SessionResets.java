package dev.sotto.node;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.NodeMessage;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Session resets (spec: transport.adoc#node-delivery, "Resets"): a session that cannot go on is
 * replaced by a new first contact whose payload is a RESET, answered by a SYNC; each side then
 * sends again, through the new session, what the other has not received. Every method works
 * inside the caller's store transaction and commits nothing itself: a refusal leaves the store as
 * it was.
 */
final class SessionResets {
  private final Identity identity;
  private final RandomSource random;

  SessionResets(Identity identity, RandomSource random) {
    this.identity = identity;
    this.random = random;
  }

  /** A session this class started or accepted, with its committed state. */
  record Made(long sessionId, Session session, byte[] state) {}

  /**
   * Starts a reset with a contact: a RESET as the payload of a first contact made with
   * {@code prekeys} (the contact's, valid now: see {@link FirstContacts#usablePrekeys}), in a session
   * that becomes the one this node sends in. Its sent_at is above the sent_at of every RESET sent
   * to or accepted from the contact before, so that a later reset always wins over an earlier
   * one (and the peer never refuses it as stale).
   *
   * @throws SottoException EXPIRED when the prekeys expired at {@code instant}
   */
  Made start(Tx tx, long contactId, Prekeys prekeys, Instant instant, long now) throws StoreException, SottoException {
    Tx.Contact c = tx.contact(contactId).orElseThrow();
    Tx.Resets r = tx.resets(contactId);
    long sentAt = Math.max(now / 1000, Math.max(r.resetIn(), r.resetOut()) + 1);
    NodeMessage reset = NodeMessage.reset(c.nextOutSeq(), sentAt, c.nextInSeq(), c.nextOutSeq(), NodeCore.ownName(tx),
        NodeCore.ownBundle(tx));
    Session.Started started = Session.initiate(identity, prekeys, instant, reset.encode(), random);
    FirstContacts.usedPrekeys(tx, contactId, prekeys);
    becomeSending(tx, contactId, now);
    byte[] state = started.session().serialize();
    long id = tx.insertSession(contactId, state, now, sentAt, true);
    tx.setResentFrom(id, c.nextOutSeq());
    for (Envelope e : started.envelopes()) {
      tx.queueEnvelope(contactId, e.encoded(), now);
    }
    tx.setResets(new Tx.Resets(contactId, r.resets() + 1, r.missing(), r.resetIn(), sentAt, false));
    return new Made(id, started.session(), state);
  }

  /**
   * Accepts a RESET that arrived as the payload of a first contact: the contact (a new one, as
   * for a HELLO, if the identity is unknown), the new session, which becomes the one this node
   * sends in unless a reset of this node's wins over it (concurrent resets), the peer's marks
   * (resending, the lost count), and, when the new session is the one to send in, a SYNC sealed
   * in it as its first message.
   *
   * @throws SottoException REPLAY when the RESET's sent_at is not above that of the last RESET
   *     accepted from this contact
   */
  Made accept(Tx tx, Session session, NodeMessage reset, long now, NodeCore.Sealing sealing)
      throws StoreException, SottoException {
    PublicIdentity peer = session.peer();
    Optional<Tx.Contact> known = tx.contactByIdentity(peer.encoded());
    long contactId;
    if (known.isPresent()) {
      contactId = known.get().id();
      if (reset.sentAt() <= tx.resets(contactId).resetIn()) {
        throw new SottoException(ErrorCode.REPLAY, "a RESET no newer than the last one accepted from this contact");
      }
      FirstContacts.takeCard(tx, known.get(), reset);
    } else {
      contactId = NodeCore.newContact(tx, peer, reset, now);
    }
    Optional<Tx.SessionRow> sending = tx.sendingSession(contactId);
    boolean wins = sending.isEmpty() || sending.get().resetAt() < 0
        || compare(reset.sentAt(), peer.encoded(), sending.get().resetAt(), initiator(sending.get(), peer)) > 0;
    Tx.Resets r = tx.resets(contactId);
    tx.setResets(new Tx.Resets(contactId, r.resets() + 1, r.missing(), reset.sentAt(), r.resetOut(),
        r.wanted() && !wins));
    if (wins) {
      becomeSending(tx, contactId, now);
    }
    long id = tx.insertSession(contactId, session.serialize(), now, reset.sentAt(), false);
    if (wins) {
      tx.setResentFrom(id, tx.contact(contactId).orElseThrow().nextOutSeq());
    } else {
      tx.supersede(id, now);
    }
    applyMarks(tx, contactId, reset, Marks.RESET, 0, now);
    if (wins) {
      Tx.Contact c = tx.contact(contactId).orElseThrow();
      NodeMessage sync = NodeMessage.sync(c.nextOutSeq(), now / 1000, c.nextInSeq(), c.nextOutSeq());
      for (Envelope e : sealing.seal(id, session, sync.encode(), random)) {
        tx.queueEnvelope(contactId, e.encoded(), now);
      }
    }
    byte[] state = session.serialize();
    tx.updateSession(id, state, now);
    return new Made(id, session, state);
  }

  /** What a reset resends in place of a message that this node's retention deleted. */
  static final String DELETED = "(this message was deleted by the sender's retention and cannot be sent again)";

  /** Where the marks applied come from: a RESET, the SYNC that answers this node's RESET, or any other SYNC. */
  enum Marks { RESET, ANSWER, SYNC }

  /** At most this many messages are sent again for one SYNC that asks for what was sent again before. */
  static final int REPAIR_MAX = 1024;

  /** Per contact, when (ms) a SYNC last had messages sent again that had been sent in the sending session before. */
  private final java.util.Map<Long, Long> repaired = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * What a RESET or SYNC's marks make this node do (spec: transport.adoc#node-resets,
   * #node-gaps): raise its out_seq to the peer's in_seq (so that no seq is used twice after this
   * node forgot messages it sent), count the peer's messages it is missing, and re-queue through
   * the session it sends in every message it sent with seq >= in_seq that it has not re-queued into
   * that session yet. A SYNC that asks only for messages sent in that session already (a gap the
   * peer still sees) has them sent again too, at most {@link #REPAIR_MAX} of them and at most once
   * per {@code gapWaitMillis} a contact, so that a contact's SYNCs cannot make this node send its
   * history again and again. A RESET, and the SYNC that answers this node's, leave a notice for the
   * user; a SYNC asking for a gap leaves none.
   */
  void applyMarks(Tx tx, long contactId, NodeMessage marks, Marks from, long gapWaitMillis, long now)
      throws StoreException, SottoException {
    Tx.Contact c = tx.contact(contactId).orElseThrow();
    long out = c.nextOutSeq();
    if (marks.inSeq() > out) {
      tx.setSeqs(contactId, marks.inSeq(), c.nextInSeq());
    }
    long missing = 0;
    if (marks.outSeq() > c.nextInSeq()) {
      missing = marks.outSeq() - c.nextInSeq() - tx.countInRange(contactId, true, c.nextInSeq(), marks.outSeq());
    }
    long resent = 0;
    Optional<Tx.SessionRow> sending = tx.sendingSession(contactId);
    if (sending.isPresent()) {
      long upTo = sending.get().resentFrom() >= 0 ? sending.get().resentFrom() : out;
      if (marks.inSeq() < upTo) {
        resend(tx, contactId, marks.inSeq(), upTo, now);
        resent = upTo - marks.inSeq();
        tx.setResentFrom(sending.get().id(), marks.inSeq());
        repaired.put(contactId, now);
      } else if (from == Marks.SYNC && marks.inSeq() < out) {
        Long last = repaired.get(contactId);
        if (last == null || now - last >= gapWaitMillis || now < last) {
          resend(tx, contactId, marks.inSeq(), Math.min(out, marks.inSeq() + REPAIR_MAX), now);
          repaired.put(contactId, now); // a rollback keeps it: the pause is only longer
        }
      }
    }
    if (from != Marks.SYNC) {
      tx.insertNotice(contactId, now, from == Marks.RESET, missing, resent);
    }
    Tx.Resets r = tx.resets(contactId);
    tx.setResets(new Tx.Resets(contactId, r.resets(), r.missing() + missing, r.resetIn(), r.resetOut(), r.wanted()));
  }

  /**
   * Queues again the messages this node sent the contact with a seq in [{@code from}, {@code to}),
   * in seq order, each as it was (a HELLO with the current name and card); a seq whose message
   * retention deleted gets a stand-in, so that the peer's in-order mark can pass it.
   */
  private static void resend(Tx tx, long contactId, long from, long to, long now) throws StoreException, SottoException {
    List<Tx.Message> again = tx.sent(contactId, from, to);
    String name = again.stream().anyMatch(m -> m.kind() == NodeMessage.HELLO) ? NodeCore.ownName(tx) : null;
    PrekeyBundle bundle = name != null ? NodeCore.ownBundle(tx) : null;
    long seq = from;
    for (Tx.Message m : again) {
      for (; seq < m.seq(); seq++) {
        tx.queuePending(contactId, NodeMessage.text(seq, now / 1000, DELETED).encode(), now);
      }
      NodeMessage message = m.kind() == NodeMessage.HELLO ? NodeMessage.hello(m.seq(), m.sentAt(), name, bundle)
          : NodeMessage.text(m.seq(), m.sentAt(), m.text());
      tx.queuePending(contactId, message.encode(), now);
      seq = m.seq() + 1;
    }
    for (; seq < to; seq++) {
      tx.queuePending(contactId, NodeMessage.text(seq, now / 1000, DELETED).encode(), now);
    }
  }

  /** Every session of the contact is superseded now, and the envelopes sealed in them and not yet sent are dropped. */
  private static void becomeSending(Tx tx, long contactId, long now) throws StoreException {
    for (Tx.SessionRow s : tx.sessions(contactId)) {
      if (s.superseded() < 0) {
        tx.supersede(s.id(), now);
      }
    }
    // Their messages are sent again on the peer's in_seq; the envelopes would only arrive in a
    // session the peer may have lost, and hold up this contact's queue meanwhile.
    tx.deleteOutbox(contactId);
  }

  private byte[] initiator(Tx.SessionRow row, PublicIdentity peer) {
    return row.initiated() ? identity.publicIdentity().encoded() : peer.encoded();
  }

  /**
   * Orders two resets (spec: transport.adoc#node-delivery): by sent_at, then by the initiator's
   * public identity encoding, byte by byte, unsigned. Two resets of one pair never compare equal.
   */
  static int compare(long sentAtA, byte[] initiatorA, long sentAtB, byte[] initiatorB) {
    int bySentAt = Long.compare(sentAtA, sentAtB);
    return bySentAt != 0 ? bySentAt : Arrays.compareUnsigned(initiatorA, initiatorB);
  }
}
