package dev.sotto.node;

import dev.sotto.Card;
import dev.sotto.Frame;
import dev.sotto.NodeMessage;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.SottoException;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The first contacts this node makes (design r2-prekeys, sections 9 and 10): the prekeys it holds
 * of each contact (the bundle of its last HELLO or RESET, or fetched with one-time prekeys), which
 * contacts wait for prekeys to be fetched (with a back-off), the retry of a first contact that went
 * unanswered for 24 h (at most 7 times), and where each contact's first contact stands for the
 * user. The methods given a {@link Tx} work inside the caller's transaction; the others run their
 * own.
 */
public final class FirstContacts {
  private final Store store;
  private final Clock clock;

  FirstContacts(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Takes the card and bundle of a contact's HELLO or RESET: the card replaces the one held; the
   * bundle replaces the one held unless that is of the same card with a higher serial. One-time
   * prekeys fetched for another card are dropped.
   */
  static void takeCard(Tx tx, Tx.Contact c, NodeMessage message) throws StoreException {
    Tx.ContactPrekeys held = tx.prekeys(c.id());
    boolean sameCard = c.card() != null && Arrays.equals(c.card(), message.card().encoded());
    if (!sameCard) {
      tx.updateContact(c.withCard(message.card().encoded()));
    }
    byte[] bundle = message.bundle().encoded();
    if (sameCard && held.bundle() != null && held.bundle().length == PrekeyBundle.LENGTH
        && new Frame.PrekeyItem(Frame.PrekeyItem.Kind.BUNDLE, held.bundle()).serial() > message.bundle().serial()) {
      bundle = held.bundle();
    }
    tx.setPrekeys(c.id(), new Tx.ContactPrekeys(bundle, sameCard ? held.oneTime() : List.of()));
  }

  /**
   * The prekeys this node can make a first contact to a contact with at {@code now}: its card,
   * the bundle held (valid at {@code now}) and the one-time prekeys fetched with it (each only if
   * valid and of the card); empty when there is no valid bundle (prekeys must be fetched).
   */
  static Optional<Prekeys> usablePrekeys(Tx tx, long contactId, Card card, Instant now) throws StoreException {
    Tx.ContactPrekeys held = tx.prekeys(contactId);
    if (held.bundle() == null) {
      return Optional.empty();
    }
    PrekeyBundle bundle;
    try {
      bundle = PrekeyBundle.parse(held.bundle(), card, now);
    } catch (SottoException e) {
      return Optional.empty();
    }
    OneTimePrekey x = null;
    OneTimePrekey kem = null;
    for (byte[] encoded : held.oneTime()) {
      try {
        OneTimePrekey r = OneTimePrekey.parse(encoded, card, now);
        if (r.isKem() && kem == null) {
          kem = r;
        } else if (!r.isKem() && x == null) {
          x = r;
        }
      } catch (SottoException e) {
        // expired, or of another card: not used
      }
    }
    return Optional.of(of(bundle, x, kem));
  }

  /** The prekeys, leaving out a one-time prekey whose id another of them has. */
  static Prekeys of(PrekeyBundle bundle, OneTimePrekey x, OneTimePrekey kem) {
    try {
      return Prekeys.of(bundle, x, kem);
    } catch (IllegalArgumentException e) {
      try {
        return Prekeys.of(bundle, x, null);
      } catch (IllegalArgumentException again) {
        return Prekeys.of(bundle, null, null);
      }
    }
  }

  /** After a first contact with {@code prekeys}: its one-time prekeys are used up. */
  static void usedPrekeys(Tx tx, long contactId, Prekeys prekeys) throws StoreException {
    tx.setPrekeys(contactId, new Tx.ContactPrekeys(prekeys.bundle().encoded(), List.of()));
  }


  /** How long a first contact waits for an answer before it is made again with fresh prekeys. */
  static final Duration FIRST_CONTACT_ANSWER = Duration.ofHours(24);
  /** How many first contacts are made to a contact that does not answer: the first and 7 retries. */
  public static final int MAX_FIRST_CONTACTS = 8;

  /** A contact whose prekeys must be fetched, with the card to fetch them for. */
  record Wanted(long contactId, String name, byte[] card) {}

  /**
   * The contacts whose prekeys are due to be fetched: those with plaintexts queued and no
   * session to send them in, or a reset asked for, that hold no bundle valid now, and whose
   * next fetch is due.
   */
  List<Wanted> wanted() throws StoreException, SottoException {
    long now = clock.millis();
    Instant instant = clock.instant();
    return store.read(tx -> {
      Set<Long> candidates = new java.util.TreeSet<>(tx.resetsWanted());
      for (long id : tx.contactsWithPending()) {
        if (tx.sendingSession(id).isEmpty()) {
          candidates.add(id);
        }
      }
      List<Wanted> out = new ArrayList<>();
      for (long id : candidates) {
        Tx.Contact c = tx.contact(id).orElseThrow();
        if (c.card() == null || tx.firstContacts(id).nextFetch() > now) {
          continue;
        }
        Card card;
        try {
          card = Card.parse(c.card(), instant);
        } catch (SottoException e) {
          continue; // an expired card: no fetch can help; a new card comes only from the contact
        }
        if (usablePrekeys(tx, id, card, instant).isEmpty()) {
          out.add(new Wanted(id, c.name(), c.card()));
        }
      }
      return out;
    });
  }

  /** Stores prekeys fetched for a contact's card: they replace the ones held. */
  void fetched(long contactId, Prekeys prekeys) throws StoreException, SottoException {
    store.write(tx -> {
      storeFetched(tx, contactId, prekeys);
      return null;
    });
  }

  static void storeFetched(Tx tx, long contactId, Prekeys prekeys) throws StoreException {
    List<byte[]> oneTime = new ArrayList<>();
    prekeys.oneTimePrekey().ifPresent(r -> oneTime.add(r.encoded()));
    prekeys.kemOneTimePrekey().ifPresent(r -> oneTime.add(r.encoded()));
    tx.setPrekeys(contactId, new Tx.ContactPrekeys(prekeys.bundle().encoded(), oneTime));
    Tx.FirstContacts f = tx.firstContacts(contactId);
    tx.setFirstContacts(new Tx.FirstContacts(contactId, f.made(), 0, 0));
  }

  /** Records a fetch that no address answered with a valid bundle: the next one after a back-off. */
  void fetchFailed(long contactId) throws StoreException, SottoException {
    long now = clock.millis();
    store.write(tx -> {
      fetchFailed(tx, contactId, now);
      return null;
    });
  }

  static void fetchFailed(Tx tx, long contactId, long now) throws StoreException {
    Tx.FirstContacts f = tx.firstContacts(contactId);
    long failures = f.fetchFailures() + 1;
    tx.setFirstContacts(new Tx.FirstContacts(contactId, f.made(), failures, now + fetchBackoff(failures)));
  }

  /** A contact's next prekey fetch after failed ones: 5 s, doubling, at most 1 h. */
  private static final Backoff FETCH_BACKOFF = new Backoff(5_000, 3_600_000);

  /** After {@code failures} failed fetches in a row: 5 s, doubling, at most 1 h. */
  static long fetchBackoff(long failures) {
    return FETCH_BACKOFF.afterMillis(failures);
  }

  /** Makes every contact's next prekey fetch due at once (a node that starts asks again: the network may have changed). */
  void fetchNow() throws StoreException, SottoException {
    store.write(tx -> {
      for (Tx.Contact c : tx.contacts()) {
        Tx.FirstContacts f = tx.firstContacts(c.id());
        if (f.nextFetch() != 0) {
          tx.setFirstContacts(new Tx.FirstContacts(c.id(), f.made(), f.fetchFailures(), 0));
        }
      }
      return null;
    });
  }

  /**
   * Makes again every first contact that went unanswered for {@link #FIRST_CONTACT_ANSWER}
   * (design r2-prekeys, section 10), up to {@link #MAX_FIRST_CONTACTS} in all: the unanswered
   * sessions are superseded (they still receive, should an answer come late), their envelopes
   * not yet sent dropped, the prekeys held dropped (fresh ones are fetched), and every message
   * this node sent the contact queued again, from its HELLO on, for the new first contact.
   *
   * @return how many contacts it did this for
   */
  public int retry() throws StoreException, SottoException {
    long now = clock.millis();
    List<Long> due = store.read(tx -> tx.unansweredFirstContacts(now - FIRST_CONTACT_ANSWER.toMillis(),
        MAX_FIRST_CONTACTS));
    for (long contactId : due) {
      store.write(tx -> {
        for (Tx.SessionRow row : tx.sessions(contactId)) {
          if (row.superseded() < 0) {
            tx.supersede(row.id(), now);
          }
        }
        requeue(tx, contactId, now);
        Tx.FirstContacts f = tx.firstContacts(contactId);
        tx.setFirstContacts(new Tx.FirstContacts(contactId, f.made(), 0, 0));
        return null;
      });
    }
    return due.size();
  }

  /**
   * For a first contact made again: drops what waits to be sealed or sent for the contact, and
   * queues again every message this node sent it, from its HELLO on (a stand-in for one that
   * retention deleted), for the new first contact, whose prekeys are fetched anew.
   */
  private static void requeue(Tx tx, long contactId, long now) throws StoreException, SottoException {
    tx.deleteOutbox(contactId);
    for (Tx.Pending p : tx.pendingOf(contactId)) {
      tx.deletePending(p.id());
    }
    Tx.Contact c = tx.contact(contactId).orElseThrow();
    PrekeyBundle bundle = NodeCore.ownBundle(tx);
    String name = NodeCore.ownName(tx);
    long seq = 0;
    for (Tx.Message m : tx.sent(contactId, 0, c.nextOutSeq())) {
      for (; seq < m.seq(); seq++) {
        tx.queuePending(contactId, NodeMessage.text(seq, now / 1000, SessionResets.DELETED).encode(), now);
      }
      NodeMessage message = m.kind() == NodeMessage.HELLO ? NodeMessage.hello(m.seq(), m.sentAt(), name, bundle)
          : NodeMessage.text(m.seq(), m.sentAt(), m.text());
      tx.queuePending(contactId, message.encode(), now);
      seq = m.seq() + 1;
    }
    tx.setPrekeys(contactId, new Tx.ContactPrekeys(null, List.of()));
  }

  /** The key-value name under which a contact's last DROPPED is remembered (its time, ms, as decimal text). */
  static String droppedKey(long contactId) {
    return "dropped:" + contactId;
  }

  /**
   * A DROPPED opened in {@code row}, a session this node started with a first contact that nothing
   * of the contact answered (spec: transport.adoc#node-messages): the responder did not keep it.
   * The session is forgotten. If it was the one this node sends in, the first contact is made
   * again after {@link #FIRST_CONTACT_ANSWER} with fresh prekeys (as for an unanswered one: the
   * contact's requests may have room by then), carrying everything sent in it; the user is shown
   * it meanwhile ({@link State#DROPPED}).
   */
  static void dropped(Tx tx, Tx.SessionRow row, long now) throws StoreException, SottoException {
    long contactId = row.contactId();
    tx.deleteSession(row.id());
    if (row.superseded() >= 0) {
      return; // an earlier first contact, made again since: the later one may still be kept
    }
    requeue(tx, contactId, now);
    Tx.FirstContacts f = tx.firstContacts(contactId);
    tx.setFirstContacts(new Tx.FirstContacts(contactId, f.made(), 0, now + FIRST_CONTACT_ANSWER.toMillis()));
    tx.put(droppedKey(contactId), Long.toString(now).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** Where a contact's first contact stands, for the user. */
  public enum State {
    /** The contact was heard from: nothing is waiting. */
    ANSWERED,
    /** No first contact made yet: no address of the contact's card served prekeys so far. */
    WAITING_FOR_PREKEYS,
    /** A first contact was made and not answered yet. */
    UNANSWERED,
    /** {@link #MAX_FIRST_CONTACTS} first contacts went unanswered: no more are made by themselves. */
    GAVE_UP,
    /**
     * The contact's node did not keep the last first contact (it holds as many requests as it
     * may through the card used): it is made again at {@link Status#nextFetchMillis}.
     */
    DROPPED,
    /** Nothing to send and nothing sent: no first contact is wanted. */
    NONE
  }

  /** A contact's first contact, as the user is shown it. */
  public record Status(State state, long made, long fetchFailures, long nextFetchMillis) {}

  /** Where the first contact with a contact stands. */
  public Status status(long contactId) throws StoreException, SottoException {
    return store.read(tx -> {
      Tx.FirstContacts f = tx.firstContacts(contactId);
      State state;
      if (tx.heardFrom(contactId)) {
        state = State.ANSWERED;
      } else if (tx.sendingSession(contactId).isPresent()) {
        Tx.SessionRow row = tx.sendingSession(contactId).get();
        state = !row.initiated() ? State.ANSWERED
            : f.made() >= MAX_FIRST_CONTACTS && row.created() <= clock.millis() - FIRST_CONTACT_ANSWER.toMillis()
                ? State.GAVE_UP : State.UNANSWERED;
      } else if (tx.get(droppedKey(contactId)).isPresent() && !tx.pendingOf(contactId).isEmpty()) {
        state = State.DROPPED;
      } else if (!tx.pendingOf(contactId).isEmpty()) {
        state = State.WAITING_FOR_PREKEYS;
      } else {
        state = State.NONE;
      }
      return new Status(state, f.made(), f.fetchFailures(), f.nextFetch());
    });
  }
}
