package dev.sotto.node;

import dev.sotto.Fingerprint;
import dev.sotto.NodeMessage;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The contacts and the contact requests as the user manages them (spec:
 * transport.adoc#node-requests; 'sotto contact requests | accept | reject | block | unblock |
 * remove | rename | verify'). Each operation is one store transaction: a refused one (no such request,
 * a name taken) changes nothing. Any process of the home may call them beside the running node,
 * which sees the result at its next turn.
 *
 * <p>A request is named by its number (as {@link #requests} lists it, with or without a leading
 * '#'), or by the name its requester gives itself when no other request has that name.
 */
public final class ContactBook {
  private final Store store;
  private final Clock clock;
  private final Runnable wake;

  ContactBook(Store store, Clock clock, Runnable wake) {
    this.store = store;
    this.clock = clock;
    this.wake = wake;
  }

  /**
   * A request: its number; the name its requester gives itself (made safe to print); the
   * requester's fingerprint, to compare out of band; the card it came through (its short id, as
   * 'sotto card --list' shows it); when it came (ms); whether it came as a RESET (the requester
   * holds this node as a contact that this node lost: restored from an older state); and the
   * texts it holds, in order. {@link #toString} shows no text.
   */
  public record Request(long number, String name, Fingerprint fingerprint, String card, long atMillis, boolean reset,
      List<Node.Shown> texts) {
    @Override
    public String toString() {
      return "Request[#" + number + ", " + name + ", " + texts.size() + " texts]";
    }
  }

  /** An identity this node refuses: the name it had here, its fingerprint, since when (ms). */
  public record Blocked(String name, Fingerprint fingerprint, long atMillis) {}

  /** The requests, in the order they came. */
  public List<Request> requests() throws StoreException, SottoException {
    return store.read(tx -> {
      List<Request> out = new ArrayList<>();
      for (Requests.Request r : Requests.read(tx).all()) {
        out.add(view(tx, r));
      }
      return out;
    });
  }

  private static Request view(Tx tx, Requests.Request r) throws StoreException, SottoException {
    Tx.Contact c = tx.contact(r.contactId()).orElseThrow(
        () -> new StoreException(StoreException.Kind.CORRUPT, "a request whose contact row is gone"));
    List<Node.Shown> texts = new ArrayList<>();
    for (Tx.Message m : tx.messages(c.id())) {
      if (m.incoming() && m.kind() == NodeMessage.TEXT) {
        texts.add(new Node.Shown(r.name(), true, m.seq(), m.sentAt(), m.text(), Node.Kind.TEXT, null));
      }
    }
    texts.sort(java.util.Comparator.comparingLong(Node.Shown::seq));
    return new Request(r.contactId(), r.name(), PublicIdentity.parse(c.identity()).fingerprint(), r.card(), r.at(),
        tx.resets(c.id()).resetIn() >= 0, texts);
  }

  /**
   * Accepts a request: it becomes a contact named {@code name} (null: the name its requester
   * gives itself, with a number added if a contact has it), its answer (this node's HELLO, or the
   * SYNC of a RESET) is sent, its tags are fetched, and its texts are shown as messages.
   *
   * @throws StoreException MISSING when there is no such request; EXISTS when a contact has the name
   */
  public Tx.Contact accept(String request, String name) throws StoreException, SottoException {
    if (name != null && (name.isBlank() || !name.equals(NodeCore.safeName(name)))) {
      throw new IllegalArgumentException("a contact name is 1 to 32 letters, digits, '-', '_' or '.'");
    }
    Tx.Contact accepted = store.write(tx -> {
      Requests.Held held = Requests.read(tx);
      Requests.Request r = resolve(held, request);
      Tx.Contact c = tx.contact(r.contactId()).orElseThrow();
      String chosen = name;
      if (chosen == null) {
        chosen = r.name();
        for (int i = 2; tx.contactByName(chosen).isPresent(); i++) {
          chosen = r.name() + "-" + i;
        }
      } else if (tx.contactByName(chosen).isPresent()) {
        throw new StoreException(StoreException.Kind.EXISTS, "another contact has this name");
      }
      tx.updateContact(new Tx.Contact(c.id(), chosen, c.identity(), c.card(), c.nextOutSeq(), c.nextInSeq(),
          c.created()));
      held.remove(r.contactId());
      Requests.write(tx, held);
      return tx.contact(c.id()).orElseThrow();
    });
    wake.run();
    return accepted;
  }

  /**
   * Rejects a request: its contact row, session, texts and queued answer are deleted; the
   * requester is not told (its node sees its first contact go unanswered). A later first contact
   * from it is a new request.
   *
   * @return the name the requester gave itself
   */
  public String reject(String request) throws StoreException, SottoException {
    return store.write(tx -> {
      Requests.Held held = Requests.read(tx);
      Requests.Request r = resolve(held, request);
      forget(tx, r.contactId());
      held.remove(r.contactId());
      Requests.write(tx, held);
      return r.name();
    });
  }

  /**
   * Blocks a request (by its number or name) or a contact (by its name): it is deleted as by
   * {@link #reject} or {@link #remove}, and its identity refused for good: every later first
   * contact from it is accepted and dropped without a word, and costs nothing but its opening
   * (the blocked list is in the store, and survives restarts).
   *
   * @return the name it had here
   */
  public String block(String requestOrContact) throws StoreException, SottoException {
    long now = clock.millis();
    return store.write(tx -> {
      Requests.Held held = Requests.read(tx);
      Optional<Tx.Contact> contact = tx.contactByName(requestOrContact);
      long contactId;
      String name;
      if (contact.isPresent() && !held.has(contact.get().id())) {
        contactId = contact.get().id();
        name = contact.get().name();
      } else {
        Requests.Request r = resolve(held, requestOrContact);
        contactId = r.contactId();
        name = r.name();
        held.remove(contactId);
        Requests.write(tx, held);
      }
      Tx.Contact c = tx.contact(contactId).orElseThrow();
      Requests.block(tx, c.identity(), name, now);
      forget(tx, contactId);
      return name;
    });
  }

  /** Unblocks an identity, named by the name it had or by its fingerprint; whether one was blocked. */
  public boolean unblock(String nameOrFingerprint) throws StoreException, SottoException {
    return store.write(tx -> {
      for (Requests.Blocked b : Requests.blocked(tx)) {
        if (b.name().equals(nameOrFingerprint)
            || PublicIdentity.parse(b.identity()).fingerprint().text().equals(nameOrFingerprint)) {
          return Requests.unblock(tx, b.identity());
        }
      }
      return false;
    });
  }

  /** The identities this node refuses. */
  public List<Blocked> blocked() throws StoreException, SottoException {
    return store.read(tx -> {
      List<Blocked> out = new ArrayList<>();
      for (Requests.Blocked b : Requests.blocked(tx)) {
        out.add(new Blocked(b.name(), PublicIdentity.parse(b.identity()).fingerprint(), b.at()));
      }
      return out;
    });
  }

  /**
   * Removes a contact: its sessions, messages and everything queued for it are deleted, and the
   * contact is not told. A later first contact from it is a request.
   */
  public void remove(String name) throws StoreException, SottoException {
    store.write(tx -> {
      forget(tx, Node.contactNamed(tx, name).id());
      return null;
    });
  }

  /** Renames a contact. */
  public Tx.Contact rename(String name, String newName) throws StoreException, SottoException {
    if (newName.isBlank() || !newName.equals(NodeCore.safeName(newName))) {
      throw new IllegalArgumentException("a contact name is 1 to 32 letters, digits, '-', '_' or '.'");
    }
    return store.write(tx -> {
      Tx.Contact c = Node.contactNamed(tx, name);
      tx.updateContact(new Tx.Contact(c.id(), newName, c.identity(), c.card(), c.nextOutSeq(), c.nextInSeq(),
          c.created()));
      return tx.contact(c.id()).orElseThrow();
    });
  }

  /**
   * Marks a contact verified (the user compared its fingerprint with the one the contact sees, out
   * of band), or unmarks it. The mark stays with the contact until it is removed, and backups keep it
   * (spec: backup.adoc#backup-contents).
   *
   * @return the contact
   */
  public Tx.Contact verify(String name, boolean verified) throws StoreException, SottoException {
    return store.write(tx -> {
      Tx.Contact c = Node.contactNamed(tx, name);
      verified(tx, c.id(), verified);
      return c;
    });
  }

  /** Whether the user marked the contact verified ({@link #verify}). */
  public boolean verified(long contactId) throws StoreException, SottoException {
    return store.read(tx -> verified(tx, contactId));
  }

  /** The key of a contact's verified mark in the key-value table (present: verified). */
  static String verifiedKey(long contactId) {
    return "contact.verified:" + contactId;
  }

  static boolean verified(Tx tx, long contactId) throws StoreException {
    return tx.get(verifiedKey(contactId)).isPresent();
  }

  static void verified(Tx tx, long contactId, boolean verified) throws StoreException {
    if (verified) {
      tx.put(verifiedKey(contactId), new byte[] {1});
    } else {
      tx.delete(verifiedKey(contactId));
    }
  }

  /** Deletes a contact or request with what the node keeps beside it in the key-value table. */
  private static void forget(Tx tx, long contactId) throws StoreException {
    tx.deleteContact(contactId);
    tx.delete(verifiedKey(contactId));
    tx.delete(Node.KV_KEEP + ":" + contactId);
    tx.delete(FirstContacts.droppedKey(contactId));
  }

  /** The request a reference names: its number ("3" or "#3"), or a name only one request gives itself. */
  private static Requests.Request resolve(Requests.Held held, String reference) throws StoreException {
    String number = reference.startsWith("#") ? reference.substring(1) : reference;
    if (!number.isEmpty() && number.chars().allMatch(Character::isDigit) && number.length() < 19) {
      Requests.Request r = held.of(Long.parseLong(number));
      if (r != null) {
        return r;
      }
    }
    Requests.Request found = null;
    for (Requests.Request r : held.all()) {
      if (r.name().equals(reference)) {
        if (found != null) {
          throw new IllegalArgumentException("several requests are named '" + reference + "': give its number");
        }
        found = r;
      }
    }
    if (found == null) {
      throw new StoreException(StoreException.Kind.MISSING, "no request '" + reference + "'");
    }
    return found;
  }
}
