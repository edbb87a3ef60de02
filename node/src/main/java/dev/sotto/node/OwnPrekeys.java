package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Frame;
import dev.sotto.Identity;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * This node's own cards and prekeys (design r2-prekeys, sections 9 and 10): it keeps a current
 * card, a fresh bundle of every card it still accepts, one-time prekeys for itself to serve and
 * for each of its mailboxes, and remembers which one-time prekeys it handed out, so that each is
 * handed out once, across restarts. Everything here works inside the caller's store transaction
 * on the caller's {@link Responder}; the caller writes the responder back.
 *
 * <p>Reference lifetimes: a card 365 days, renewed 30 days before it expires (the older card is
 * kept in the responder and accepted until it expires); a bundle valid 3 days, a new one every
 * 24 h and whenever the newest bundle's replay cache holds 2,048 entries; 32 X25519 and 4
 * ML-KEM-768 one-time prekeys for the node itself and for each mailbox, valid 3 days, topped up
 * every 24 h. The responder deletes every private prekey at its expiry plus
 * {@link Responder#FIRST_CONTACT_WINDOW}: at most 7 days after it was made.
 */
final class OwnPrekeys {
  static final Duration CARD_VALIDITY = Duration.ofDays(365);
  static final Duration RENEW_BEFORE = Duration.ofDays(30);
  static final Duration BUNDLE_VALIDITY = Duration.ofDays(3);
  static final Duration BUNDLE_EVERY = Duration.ofHours(24);
  /** A new bundle is made when the newest one's replay cache holds this many entries (half the bound). */
  static final int REPLAY_RENEW = 2_048;
  static final int ONE_TIME_X25519 = 32;
  static final int ONE_TIME_KEM = 4;
  static final Duration ONE_TIME_VALIDITY = Duration.ofDays(3);
  static final Duration TOP_UP_EVERY = Duration.ofHours(24);
  /** Maintenance runs at least this often, whatever else is due. */
  static final Duration AT_LEAST_EVERY = Duration.ofHours(1);

  static final String KV_STATE = "prekeys";
  /** The outlet of the one-time prekeys this node serves itself (not a mailbox's). */
  static final String SELF = "";

  private final Identity identity;
  private final RandomSource random;

  OwnPrekeys(Identity identity, RandomSource random) {
    this.identity = identity;
    this.random = random;
  }

  // ---------------------------------------------------------------- state

  /**
   * What this node remembers of its prekeys beside the responder (sealed in the store): when it
   * last topped up its own one-time prekeys, which of them it served itself, and for each
   * mailbox and card (an outlet) the bundle serial it last published there, when it last made a
   * batch of one-time prekeys for it, and which one-time prekeys belong to it, published or not.
   */
  static final class State {
    long selfTopUp;
    final Set<Long> served = new LinkedHashSet<>();
    final Map<String, Outlet> outlets = new LinkedHashMap<>();

    /** The ids of every one-time prekey handed out or given to a mailbox: never served by this node. */
    Set<Long> handedOut() {
      Set<Long> all = new LinkedHashSet<>(served);
      outlets.values().forEach(o -> all.addAll(o.ids.keySet()));
      return all;
    }

    byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(1);
      u64(out, selfTopUp);
      u32(out, served.size());
      served.forEach(id -> u32(out, id));
      u32(out, outlets.size());
      for (Outlet o : outlets.values()) {
        byte[] address = o.address.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(o.bundleTag);
        u32(out, address.length);
        out.writeBytes(address);
        u64(out, o.publishedSerial + 1);
        u64(out, o.lastBatch);
        u32(out, o.ids.size());
        o.ids.forEach((id, published) -> {
          u32(out, id);
          out.write(published ? 1 : 0);
        });
      }
      return out.toByteArray();
    }

    static State decode(byte[] encoded) throws StoreException {
      State s = new State();
      try {
        ByteBuffer in = ByteBuffer.wrap(encoded);
        if (in.get() != 1) {
          throw new StoreException(StoreException.Kind.CORRUPT, "unknown version of the prekey state");
        }
        s.selfTopUp = in.getLong();
        for (int i = in.getInt(); i > 0; i--) {
          s.served.add(in.getInt() & 0xffffffffL);
        }
        for (int i = in.getInt(); i > 0; i--) {
          byte[] tag = new byte[Card.BUNDLE_TAG_LENGTH];
          in.get(tag);
          int length = in.getInt();
          if (length < 0 || length > in.remaining()) { // never an allocation of a length read from the store
            throw new StoreException(StoreException.Kind.CORRUPT, "the prekey state is malformed");
          }
          byte[] address = new byte[length];
          in.get(address);
          Outlet o = new Outlet(tag, new String(address, StandardCharsets.UTF_8));
          o.publishedSerial = in.getLong() - 1;
          o.lastBatch = in.getLong();
          for (int j = in.getInt(); j > 0; j--) {
            o.ids.put(in.getInt() & 0xffffffffL, in.get() == 1);
          }
          s.outlets.put(o.key(), o);
        }
        if (in.hasRemaining()) {
          throw new StoreException(StoreException.Kind.CORRUPT, "bytes after the prekey state");
        }
      } catch (RuntimeException e) {
        throw new StoreException(StoreException.Kind.CORRUPT, "the prekey state is malformed");
      }
      return s;
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
  }

  /** One mailbox of one card: what this node published there, and the one-time prekeys it gave it. */
  static final class Outlet {
    final byte[] bundleTag;
    final String address;
    long publishedSerial = -1;
    long lastBatch;
    /** One-time prekey id to whether it was published. */
    final Map<Long, Boolean> ids = new LinkedHashMap<>();

    Outlet(byte[] bundleTag, String address) {
      this.bundleTag = bundleTag;
      this.address = address;
    }

    String key() {
      return key(bundleTag, address);
    }

    static String key(byte[] bundleTag, String address) {
      return HexFormat.of().formatHex(bundleTag) + " " + address;
    }
  }

  static State state(Tx tx) throws StoreException {
    Optional<byte[]> encoded = tx.get(KV_STATE);
    return encoded.isPresent() ? State.decode(encoded.get()) : new State();
  }

  static void save(Tx tx, State state) throws StoreException {
    tx.put(KV_STATE, state.encode());
  }

  // ---------------------------------------------------------------- cards

  /** A card for these settings, valid from {@code now} for {@link #CARD_VALIDITY}. */
  Card issueCard(Node.Config config, byte[] linkKey, Instant now) {
    Card.Builder builder = Card.builder(identity).validity(now, now.plus(CARD_VALIDITY));
    for (Address address : config.cardAddresses(linkKey)) {
      builder.address(address);
    }
    return builder.issue(random);
  }

  /**
   * Makes {@code card} the current one: the responder holds it from now on beside the older cards
   * (the one that expires first is withdrawn when {@link Responder#MAX_CARDS} are held).
   */
  static void adopt(Tx tx, Responder responder, Card card) throws StoreException {
    List<Card> held = responder.cards();
    if (held.size() >= Responder.MAX_CARDS) {
      Card first = held.get(0);
      for (Card c : held) {
        if (c.expires().isBefore(first.expires())) {
          first = c;
        }
      }
      responder.removeCard(first);
    }
    responder.addCard(card);
    tx.put(NodeCore.KV_CARD, card.encoded());
  }

  /**
   * After a restore (spec: backup.adoc#backup-after-restore): holds again each of {@code cards} (the
   * backup's own cards) that is still valid at {@code now} and not held, as long as the responder
   * has room beside the current card, with an outlet at each of its mailboxes (so that the next
   * maintenance issues a fresh bundle for it and the node publishes it there); and raises the
   * responder's serial to at least {@code now} in seconds, so that every bundle issued from now on
   * outranks the lost device's. Returns the cards held again.
   */
  static List<Card> restoreCards(Tx tx, Responder responder, List<Card> cards, Instant now) throws StoreException {
    responder.raiseSerial(Math.min(now.getEpochSecond(), 0xffffffffL));
    State state = state(tx);
    List<Card> added = new ArrayList<>();
    for (Card card : cards) {
      boolean held = false;
      for (Card c : responder.cards()) {
        held |= Arrays.equals(c.inviteTag(), card.inviteTag());
      }
      if (held || !card.expires().isAfter(now) || responder.cards().size() >= Responder.MAX_CARDS) {
        continue;
      }
      responder.addCard(card);
      added.add(card);
      for (Address a : card.addresses()) {
        if (a.isMailbox()) {
          String address = Node.addressText(a);
          state.outlets.computeIfAbsent(Outlet.key(card.bundleTag(), address), k -> new Outlet(card.bundleTag(),
              address));
        }
      }
    }
    save(tx, state);
    return added;
  }

  // ---------------------------------------------------------------- maintenance

  /** Prekeys to PUBLISH to one mailbox under one card's bundle tag, and what to mark once it is done. */
  record Publication(Address mailbox, String outlet, byte[] bundleTag, long bundleSerial, List<Long> oneTimeIds,
      List<Frame.PrekeyItem> items) {
    @Override
    public String toString() {
      return "Publication[" + outlet + ", " + items.size() + " items]";
    }
  }

  /** What a maintenance run did, what is left to publish, and when the next run is due. */
  record Maintained(boolean changed, List<Publication> publications, Instant nextDue) {}

  /**
   * Brings the prekeys up to date at {@code now}: deletes what expired ({@link Responder#expire}),
   * renews the current card when it has less than {@link #RENEW_BEFORE} left (or is no longer
   * held), makes a new bundle for every card still valid whose newest bundle is due, tops up the
   * one-time prekeys, and lists what is still to be published to each mailbox of each card.
   *
   * @param renew whether to renew the current card whatever its age ('sotto card --renew')
   */
  Maintained maintain(Tx tx, Responder responder, Node.Config config, byte[] linkKey, Instant now, boolean renew)
      throws StoreException {
    now = Instant.ofEpochSecond(now.getEpochSecond());
    boolean changed = false;
    List<Card> before = responder.cards();
    responder.expire(now);
    changed |= !before.equals(responder.cards());
    State state = state(tx);
    byte[] beforeState = state.encode();

    Card current = currentCard(tx);
    if (renew || current == null || !responder.cards().contains(current)
        || !current.expires().isAfter(now.plus(RENEW_BEFORE))) {
      current = issueCard(config, linkKey, now);
      adopt(tx, responder, current);
      changed = true;
    }

    Instant due = now.plus(AT_LEAST_EVERY);
    due = min(due, current.expires().minus(RENEW_BEFORE));
    for (Card card : responder.cards()) {
      if (!card.expires().isAfter(now)) {
        continue; // accepted until its prekeys expire, but no new bundle: nobody can fetch for it any more
      }
      PrekeyBundle newest = newestBundle(responder, card);
      if (newest == null || !newest.created().plus(BUNDLE_EVERY).isAfter(now) || !newest.expires().isAfter(now)
          || responder.replayEntries(newest.signedPrekey().id()) >= REPLAY_RENEW) {
        Instant expires = min(now.plus(BUNDLE_VALIDITY), card.expires());
        newest = responder.issueBundle(card, now, expires, random);
        changed = true;
      }
      due = min(due, newest.created().plus(BUNDLE_EVERY));
    }

    // One-time prekeys: for this node and each mailbox of the current card.
    Set<Long> held = new LinkedHashSet<>();
    for (Card card : responder.cards()) {
      responder.oneTimePrekeys(card).forEach(r -> held.add(r.prekey().id()));
    }
    state.served.retainAll(held);
    state.outlets.values().forEach(o -> o.ids.keySet().retainAll(held));
    Set<String> live = new LinkedHashSet<>();
    for (Card card : responder.cards()) {
      if (card.expires().isAfter(now)) {
        for (Address a : card.addresses()) {
          if (a.isMailbox()) {
            live.add(Outlet.key(card.bundleTag(), Node.addressText(a)));
          }
        }
      }
    }
    state.outlets.keySet().retainAll(live);

    if (state.selfTopUp + TOP_UP_EVERY.getSeconds() <= now.getEpochSecond()) {
      Set<Long> handedOut = state.handedOut();
      int x = 0;
      int kem = 0;
      for (OneTimePrekey r : responder.oneTimePrekeys(current)) {
        if (!handedOut.contains(r.prekey().id()) && r.expires().isAfter(now)) {
          if (r.isKem()) {
            kem++;
          } else {
            x++;
          }
        }
      }
      issue(responder, current, now, ONE_TIME_X25519 - x, ONE_TIME_KEM - kem);
      state.selfTopUp = now.getEpochSecond();
      changed = true;
    }
    due = min(due, Instant.ofEpochSecond(state.selfTopUp).plus(TOP_UP_EVERY));
    byte[] currentTag = current.bundleTag();
    for (Address a : current.addresses()) {
      if (!a.isMailbox()) {
        continue;
      }
      Outlet o = state.outlets.computeIfAbsent(Outlet.key(currentTag, Node.addressText(a)),
          k -> new Outlet(currentTag, Node.addressText(a)));
      if (o.lastBatch + TOP_UP_EVERY.getSeconds() <= now.getEpochSecond()) {
        for (OneTimePrekey r : issue(responder, current, now, ONE_TIME_X25519, ONE_TIME_KEM)) {
          o.ids.put(r.prekey().id(), false);
        }
        o.lastBatch = now.getEpochSecond();
        changed = true;
      }
      due = min(due, Instant.ofEpochSecond(o.lastBatch).plus(TOP_UP_EVERY));
    }

    // What is left to publish does not make maintenance due: the caller retries it on its own.
    List<Publication> publications = publications(responder, state, now);
    if (changed || !Arrays.equals(beforeState, state.encode())) {
      save(tx, state);
    }
    return new Maintained(changed, publications, due);
  }

  /** Issues up to the counts asked for, fewer when the responder would hold more than it may. */
  private List<OneTimePrekey> issue(Responder responder, Card card, Instant now, int x, int kem) {
    int held = 0;
    for (Card c : responder.cards()) {
      held += responder.oneTimePrekeys(c).size();
    }
    int room = Responder.MAX_ONE_TIME_PREKEYS - held;
    kem = Math.max(0, Math.min(kem, room));
    x = Math.max(0, Math.min(x, room - kem));
    if (x + kem == 0) {
      return List.of();
    }
    return responder.issueOneTimePrekeys(card, now.plus(ONE_TIME_VALIDITY), x, kem, random);
  }

  /** What each outlet still lacks: a newer bundle than it was given, and its one-time prekeys not published yet. */
  private static List<Publication> publications(Responder responder, State state, Instant now) {
    List<Publication> out = new ArrayList<>();
    for (Outlet o : state.outlets.values()) {
      Card card = null;
      for (Card c : responder.cards()) {
        if (Arrays.equals(c.bundleTag(), o.bundleTag)) {
          card = c;
        }
      }
      if (card == null) {
        continue;
      }
      List<Frame.PrekeyItem> items = new ArrayList<>();
      PrekeyBundle newest = newestBundle(responder, card);
      long serial = -1;
      if (newest != null && newest.serial() > o.publishedSerial && newest.expires().isAfter(now)) {
        items.add(Frame.PrekeyItem.of(newest));
        serial = newest.serial();
      }
      List<Long> ids = new ArrayList<>();
      for (OneTimePrekey r : responder.oneTimePrekeys(card)) {
        if (items.size() >= Frame.MAX_PREKEY_ITEMS) {
          break;
        }
        if (Boolean.FALSE.equals(o.ids.get(r.prekey().id())) && r.expires().isAfter(now)) {
          items.add(Frame.PrekeyItem.of(r));
          ids.add(r.prekey().id());
        }
      }
      if (!items.isEmpty()) {
        out.add(new Publication(Node.parseAddress(o.address), o.key(), o.bundleTag, serial, ids, items));
      }
    }
    return out;
  }

  /** Whether the publication is still to be done: its bundle or one of its one-time prekeys not published. */
  static boolean unpublished(Tx tx, Publication p) throws StoreException {
    Outlet o = state(tx).outlets.get(p.outlet());
    if (o == null) {
      return false;
    }
    if (p.bundleSerial() > o.publishedSerial) {
      return true;
    }
    for (long id : p.oneTimeIds()) {
      if (Boolean.FALSE.equals(o.ids.get(id))) {
        return true;
      }
    }
    return false;
  }

  /** Marks a publication done: the mailbox holds its bundle and one-time prekeys. */
  static void published(Tx tx, Publication p) throws StoreException {
    State state = state(tx);
    Outlet o = state.outlets.get(p.outlet());
    if (o == null) {
      return;
    }
    o.publishedSerial = Math.max(o.publishedSerial, p.bundleSerial());
    for (long id : p.oneTimeIds()) {
      o.ids.computeIfPresent(id, (k, v) -> true);
    }
    save(tx, state);
  }

  // ---------------------------------------------------------------- serving

  /**
   * What this node answers to GET_PREKEYS for one of its cards' bundle tags: its newest bundle of
   * that card (if one is valid at {@code now}) and at most one one-time prekey of each kind that
   * it has neither served nor given to a mailbox, which it marks served. Empty when the tag is no
   * held card's.
   */
  static Optional<List<Frame.PrekeyItem>> serve(Tx tx, Responder responder, byte[] bundleTag, Instant now,
      java.util.function.Predicate<Boolean> handout) throws StoreException {
    Card card = null;
    for (Card c : responder.cards()) {
      if (Arrays.equals(c.bundleTag(), bundleTag)) {
        card = c;
      }
    }
    if (card == null) {
      return Optional.empty();
    }
    List<Frame.PrekeyItem> items = new ArrayList<>();
    PrekeyBundle newest = newestBundle(responder, card);
    if (newest == null || !newest.expires().isAfter(now)) {
      return Optional.of(items); // nothing to serve until the next maintenance makes a bundle
    }
    items.add(Frame.PrekeyItem.of(newest));
    State state = state(tx);
    Set<Long> handedOut = state.handedOut();
    OneTimePrekey x = null;
    OneTimePrekey kem = null;
    for (OneTimePrekey r : responder.oneTimePrekeys(card)) {
      if (handedOut.contains(r.prekey().id()) || !r.expires().isAfter(now)) {
        continue;
      }
      if (r.isKem() && kem == null) {
        kem = r;
      } else if (!r.isKem() && x == null) {
        x = r;
      }
    }
    if (x != null && !handout.test(false)) {
      x = null; // over the source's budget of X25519 one-time prekeys
    }
    if (kem != null && !handout.test(true)) {
      kem = null;
    }
    for (OneTimePrekey r : new OneTimePrekey[] {x, kem}) {
      if (r != null) {
        items.add(Frame.PrekeyItem.of(r));
        state.served.add(r.prekey().id());
      }
    }
    if (x != null || kem != null) {
      save(tx, state);
    }
    return Optional.of(items);
  }

  /** The bundle tags of the held cards. */
  static Set<String> bundleTags(Responder responder) {
    Set<String> tags = new LinkedHashSet<>();
    for (Card c : responder.cards()) {
      tags.add(HexFormat.of().formatHex(c.bundleTag()));
    }
    return tags;
  }

  // ---------------------------------------------------------------- helpers

  /** This node's current card, or null if the store holds none. */
  static Card currentCard(Tx tx) throws StoreException {
    Optional<byte[]> encoded = tx.get(NodeCore.KV_CARD);
    if (encoded.isEmpty()) {
      return null;
    }
    try {
      return Card.parse(encoded.get(), Instant.EPOCH);
    } catch (dev.sotto.SottoException e) {
      throw new StoreException(StoreException.Kind.CORRUPT, "this node's card does not parse: " + e.code());
    }
  }

  /** The held bundle of {@code card} with the highest serial, or null. */
  static PrekeyBundle newestBundle(Responder responder, Card card) {
    PrekeyBundle newest = null;
    for (PrekeyBundle b : responder.bundles(card)) {
      if (newest == null || b.serial() > newest.serial()) {
        newest = b;
      }
    }
    return newest;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
