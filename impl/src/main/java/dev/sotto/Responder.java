package dev.sotto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The responder of first contacts (spec: handshake.adoc#responder): holds the cards its owner
 * issued, with their private prekeys, deletes each one-time prekey when it is used, and keeps a
 * replay cache per signed prekey for first messages that used no one-time prekey.
 *
 * <p>{@link #accept} is transactional: a message that is rejected, for whatever reason, leaves
 * the responder's state exactly as it was.
 */
public final class Responder {
  /** The replay cache bound per signed prekey (spec: handshake.adoc#replay). */
  public static final int REPLAY_CACHE_LIMIT = 65_536;

  private final Identity identity;
  private final int replayCacheLimit;
  private final Map<Long, Held> bySignedPrekey = new LinkedHashMap<>();

  /** The state kept for one issued card. */
  private static final class Held {
    final Card card;
    final byte[] spkPrivate;
    final byte[] kemSeed;
    final Map<Long, byte[]> oneTime = new LinkedHashMap<>();
    final Map<Long, byte[]> kemOneTime = new LinkedHashMap<>();
    final Set<ByteBuffer> replayCache = new LinkedHashSet<>();

    Held(Card card, byte[] spkPrivate, byte[] kemSeed) {
      this.card = card;
      this.spkPrivate = spkPrivate;
      this.kemSeed = kemSeed;
    }

    Held(IssuedCard issued) {
      card = issued.card();
      PrekeySecrets s = issued.secrets();
      spkPrivate = s.x25519Private(card.signedPrekey().id());
      kemSeed = s.mlKemSeed(card.kemPrekey().id());
      card.oneTimePrekeys().forEach(p -> oneTime.put(p.id(), s.x25519Private(p.id())));
      card.kemOneTimePrekeys().forEach(p -> kemOneTime.put(p.id(), s.mlKemSeed(p.id())));
    }

    void destroy() {
      Arrays.fill(spkPrivate, (byte) 0);
      Arrays.fill(kemSeed, (byte) 0);
      oneTime.values().forEach(k -> Arrays.fill(k, (byte) 0));
      kemOneTime.values().forEach(k -> Arrays.fill(k, (byte) 0));
    }
  }

  public Responder(Identity identity) {
    this(identity, REPLAY_CACHE_LIMIT);
  }

  /** A responder with another replay cache bound (for tests of the bound). */
  public Responder(Identity identity, int replayCacheLimit) {
    this.identity = Objects.requireNonNull(identity, "identity");
    if (replayCacheLimit < 1) {
      throw new IllegalArgumentException("replay cache limit must be positive");
    }
    this.replayCacheLimit = replayCacheLimit;
  }

  /**
   * Accepts first contacts to {@code issued} from now on. The responder takes the private prekeys
   * over: the copies in {@code issued} are cleared, so that a one-time prekey the responder deletes
   * when it is used survives nowhere else (spec: security.adoc#zeroization).
   *
   * @throws IllegalArgumentException when the card is another identity's, or shares a prekey id
   *     with a card already held
   */
  public synchronized void add(IssuedCard issued) {
    if (bySignedPrekey.size() >= MAX_CARDS) {
      throw new IllegalArgumentException("at most " + MAX_CARDS + " cards are held at once");
    }
    Card card = issued.card();
    if (!card.identity().equals(identity.publicIdentity())) {
      throw new IllegalArgumentException("the card belongs to another identity");
    }
    Set<Long> ids = new TreeSet<>();
    for (Held held : bySignedPrekey.values()) {
      ids.addAll(ids(held.card));
    }
    for (Long id : ids(card)) {
      if (ids.contains(id)) {
        throw new IllegalArgumentException("prekey id " + id + " is already used by a held card");
      }
    }
    bySignedPrekey.put(card.signedPrekey().id(), new Held(issued));
    issued.secrets().destroy();
  }

  /** Stops accepting first contacts to the card with this signed prekey, and clears its private keys. */
  public synchronized void remove(long signedPrekeyId) {
    Held held = bySignedPrekey.remove(signedPrekeyId);
    if (held != null) {
      held.destroy();
    }
  }

  private static List<Long> ids(Card card) {
    List<Long> ids = new ArrayList<>();
    ids.add(card.signedPrekey().id());
    ids.add(card.kemPrekey().id());
    card.oneTimePrekeys().forEach(p -> ids.add(p.id()));
    card.kemOneTimePrekeys().forEach(p -> ids.add(p.id()));
    return ids;
  }

  /**
   * Accepts a first message at time {@code now} (spec: handshake.adoc#responder), in this order:
   *
   * <ol>
   *   <li>parse: {@code TRUNCATED}, {@code TRAILING_DATA}, {@code UNSUPPORTED_VERSION},
   *       {@code UNSUPPORTED_SUITE}, {@code INVALID_ENCODING}, {@code INVALID_KEY};
   *   <li>find the prekeys: {@code UNKNOWN_PREKEY};
   *   <li>the card must not have expired: {@code EXPIRED};
   *   <li>without a one-time prekey: {@code REPLAY} for a message already accepted,
   *       {@code LIMIT_EXCEEDED} when the replay cache is full;
   *   <li>decrypt the initiator's identity and the payload: {@code AUTH_FAILED} (or a public
   *       identity's codes for a malformed identity);
   *   <li>commit: delete the one-time prekeys used, or remember the message in the replay cache.
   * </ol>
   *
   * Nothing changes unless every step succeeds.
   */
  public synchronized Accepted accept(byte[] message, Instant now) throws SottoException {
    return accept(message, now, null, accepted -> accepted);
  }

  /** What a caller does with an accepted first message before the responder commits. */
  @FunctionalInterface
  interface Continuation<T> {
    T apply(Accepted accepted) throws SottoException;
  }

  /**
   * As {@link #accept(byte[], Instant)}, for the session layer: the first message must be for the
   * card with {@code inviteTag} (when given; otherwise UNKNOWN_PREKEY), and {@code continuation}
   * runs before the commit, so that its failure too leaves the responder unchanged.
   */
  synchronized <T> T accept(byte[] message, Instant now, byte[] inviteTag, Continuation<T> continuation)
      throws SottoException {
    FirstMessage m = FirstMessage.parse(message);
    Held held = bySignedPrekey.get(m.spkId());
    if (held == null || (inviteTag != null && !Arrays.equals(inviteTag, held.card.inviteTag()))) {
      throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no card with signed prekey " + m.spkId());
    }
    byte[] kemSeed;
    byte[] kemPublic;
    if (m.usesKemOneTimePrekey()) {
      kemSeed = held.kemOneTime.get(m.kemId());
      kemPublic = publicKey(held.card.kemOneTimePrekeys(), m.kemId());
    } else {
      kemSeed = m.kemId() == held.card.kemPrekey().id() ? held.kemSeed : null;
      kemPublic = held.card.kemPrekey().publicKey();
    }
    if (kemSeed == null) {
      throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no ML-KEM prekey " + m.kemId() + " with this card");
    }
    byte[] opkPrivate = null;
    byte[] opkPublic = null;
    if (m.usesOneTimePrekey()) {
      opkPrivate = held.oneTime.get(m.opkId());
      if (opkPrivate == null) {
        throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no unused one-time prekey " + m.opkId());
      }
      opkPublic = publicKey(held.card.oneTimePrekeys(), m.opkId());
    }
    held.card.checkNotExpired(now);

    HandshakeCore.Prekeys prekeys = new HandshakeCore.Prekeys(m.spkId(), held.card.signedPrekey().publicKey(),
        m.kemId(), kemPublic, m.opkId(), opkPublic);
    byte[] th1 = HandshakeCore.transcript1(m.flags(), identity.publicIdentity(), prekeys, m.ephemeralKey(),
        m.ciphertext());
    boolean replayProtected = m.usesOneTimePrekey() || m.usesKemOneTimePrekey();
    ByteBuffer replayKey = ByteBuffer.wrap(th1);
    if (!replayProtected) {
      if (held.replayCache.contains(replayKey)) {
        throw new SottoException(ErrorCode.REPLAY, "this first message was already accepted");
      }
      if (held.replayCache.size() >= replayCacheLimit) {
        throw new SottoException(ErrorCode.LIMIT_EXCEEDED,
            "replay cache of signed prekey " + m.spkId() + " is full; the card must be replaced");
      }
    }
    HandshakeCore.Opened opened = HandshakeCore.respond(identity.publicIdentity(), identity::agree, prekeys,
        new HandshakeCore.ResponderKeys(held.spkPrivate, kemSeed, opkPrivate), m, th1);
    SessionSecrets secrets = new SessionSecrets(opened.trace().keys(), opened.trace().transcript(),
        held.card.signedPrekey().publicKey(), held.spkPrivate);
    opened.trace().wipe(); // the DH outputs, the KEM secret and the identity key; the session has its keys
    T result = continuation.apply(new Accepted(opened.initiator(), opened.payload(), secrets));

    // Commit: nothing above changed any state.
    if (m.usesOneTimePrekey()) {
      Arrays.fill(held.oneTime.remove(m.opkId()), (byte) 0);
    }
    if (m.usesKemOneTimePrekey()) {
      Arrays.fill(held.kemOneTime.remove(m.kemId()), (byte) 0);
    }
    if (!replayProtected) {
      held.replayCache.add(replayKey);
    }
    return result;
  }

  /** Whether a held card has this invite tag. */
  synchronized boolean holdsInviteTag(byte[] tag) {
    for (Held held : bySignedPrekey.values()) {
      if (Arrays.equals(tag, held.card.inviteTag())) {
        return true;
      }
    }
    return false;
  }

  /** The invite tags of the held cards: the tags under which first contacts arrive. */
  public synchronized List<byte[]> inviteTags() {
    List<byte[]> tags = new ArrayList<>();
    bySignedPrekey.values().forEach(h -> tags.add(h.card.inviteTag()));
    return tags;
  }

  private static byte[] publicKey(List<Prekey> prekeys, long id) {
    for (Prekey p : prekeys) {
      if (p.id() == id) {
        return p.publicKey();
      }
    }
    return null;
  }

  /** The version of the responder's state format (spec: handshake.adoc#responder-state). */
  public static final int STATE_VERSION = 0x01;
  /** At most this many cards are held at once. */
  public static final int MAX_CARDS = 16;

  /**
   * The responder's state (spec: handshake.adoc#responder-state): every held card with its
   * private prekeys, the one-time prekeys not used yet, and the replay caches. It holds secrets:
   * store it encrypted.
   */
  public synchronized byte[] serialize() {
    dev.sotto.internal.encoding.Writer w = new dev.sotto.internal.encoding.Writer()
        .u8(STATE_VERSION).u16(Suite.SOTTO_1.id()).u8(bySignedPrekey.size());
    for (Held h : bySignedPrekey.values()) {
      byte[] card = h.card.encoded();
      w.u32(card.length).bytes(card).bytes(h.spkPrivate).bytes(h.kemSeed);
      w.u8(h.oneTime.size());
      h.oneTime.forEach((id, key) -> w.u32(id).bytes(key));
      w.u8(h.kemOneTime.size());
      h.kemOneTime.forEach((id, seed) -> w.u32(id).bytes(seed));
      w.u32(h.replayCache.size());
      h.replayCache.forEach(entry -> w.bytes(entry.array()));
    }
    return w.toByteArray();
  }

  /**
   * Restores a responder of {@code identity} from {@link #serialize()}'s bytes.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, UNSUPPORTED_SUITE;
   *     a card's own errors (its time is not checked); IDENTITY_MISMATCH for a card of another
   *     identity; INVALID_ENCODING for a private key that does not match its card, a one-time
   *     prekey the card does not list, a repeated prekey id, or a count above its bound
   */
  public static Responder restore(Identity identity, byte[] state) throws SottoException {
    return restore(identity, state, REPLAY_CACHE_LIMIT);
  }

  /** As {@link #restore(Identity, byte[])}, with another replay cache bound. */
  public static Responder restore(Identity identity, byte[] state, int replayCacheLimit) throws SottoException {
    dev.sotto.internal.encoding.Reader in = new dev.sotto.internal.encoding.Reader(state, "responder state");
    in.version(STATE_VERSION, "responder state");
    in.suite();
    Responder r = new Responder(identity, replayCacheLimit);
    int countOffset = in.position();
    int cards = in.u8("card_count");
    if (cards > MAX_CARDS) {
      throw in.invalid("card_count", countOffset, cards + " cards, at most " + MAX_CARDS);
    }
    Set<Long> ids = new TreeSet<>();
    for (int i = 0; i < cards; i++) {
      long length = in.u32("card_length");
      int cardOffset = in.position();
      Card card = Card.parseStored(in.bytes(length, "card"));
      card.checkIdentity(identity.publicIdentity());
      for (Long id : ids(card)) {
        if (!ids.add(id)) {
          throw in.invalid("card", cardOffset, "prekey id " + id + " is in two held cards");
        }
      }
      int keyOffset = in.position();
      byte[] spk = in.bytes(32, "spk_private");
      byte[] kem = in.bytes(64, "pqspk_seed");
      if (!Arrays.equals(dev.sotto.internal.crypto.X25519.publicKey(spk), card.signedPrekey().publicKey())
          || !Arrays.equals(dev.sotto.internal.crypto.MlKem768.encapsulationKey(kem), card.kemPrekey().publicKey())) {
        throw in.invalid("spk_private", keyOffset, "a private prekey does not match the card");
      }
      Held held = new Held(card, spk, kem);
      int opks = in.u8("opk_count");
      for (int j = 0; j < opks; j++) {
        int offset = in.position();
        long id = in.u32("opk.id");
        byte[] key = in.bytes(32, "opk.private");
        byte[] expected = publicKey(card.oneTimePrekeys(), id);
        if (expected == null || held.oneTime.containsKey(id)
            || !Arrays.equals(expected, dev.sotto.internal.crypto.X25519.publicKey(key))) {
          throw in.invalid("opk", offset, "one-time prekey " + id + " does not match the card");
        }
        held.oneTime.put(id, key);
      }
      int kemOpks = in.u8("pqopk_count");
      for (int j = 0; j < kemOpks; j++) {
        int offset = in.position();
        long id = in.u32("pqopk.id");
        byte[] seed = in.bytes(64, "pqopk.seed");
        byte[] expected = publicKey(card.kemOneTimePrekeys(), id);
        if (expected == null || held.kemOneTime.containsKey(id)
            || !Arrays.equals(expected, dev.sotto.internal.crypto.MlKem768.encapsulationKey(seed))) {
          throw in.invalid("pqopk", offset, "ML-KEM one-time prekey " + id + " does not match the card");
        }
        held.kemOneTime.put(id, seed);
      }
      int replayOffset = in.position();
      long replays = in.u32("replay_count");
      if (replays > replayCacheLimit) {
        throw in.invalid("replay_count", replayOffset, replays + " entries, at most " + replayCacheLimit);
      }
      for (long j = 0; j < replays; j++) {
        int offset = in.position();
        if (!held.replayCache.add(ByteBuffer.wrap(in.bytes(32, "replay")))) {
          throw in.invalid("replay", offset, "replay cache entry listed twice");
        }
      }
      r.bySignedPrekey.put(card.signedPrekey().id(), held);
    }
    in.end();
    return r;
  }

  /** The observable state: per held card, the unused one-time prekey ids and the replay cache. */
  public record Snapshot(List<CardState> cards) {}

  /** The observable state of one held card (replay cache entries as hex of TH_1, in insertion order). */
  public record CardState(long signedPrekeyId, Set<Long> oneTimePrekeys, Set<Long> kemOneTimePrekeys,
      List<String> replayCache) {}

  public synchronized Snapshot snapshot() {
    List<CardState> cards = new ArrayList<>();
    for (Held h : bySignedPrekey.values()) {
      List<String> replay = new ArrayList<>();
      h.replayCache.forEach(b -> replay.add(Bytes.hex(b.array())));
      cards.add(new CardState(h.card.signedPrekey().id(), Set.copyOf(new TreeSet<>(h.oneTime.keySet())),
          Set.copyOf(new TreeSet<>(h.kemOneTime.keySet())), List.copyOf(replay)));
    }
    return new Snapshot(List.copyOf(cards));
  }

  @Override
  public String toString() {
    return "Responder[" + identity.fingerprint() + ", " + bySignedPrekey.size() + " cards]";
  }
}
