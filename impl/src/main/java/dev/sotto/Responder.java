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
   * Accepts first contacts to {@code issued} from now on.
   *
   * @throws IllegalArgumentException when the card is another identity's, or shares a prekey id
   *     with a card already held
   */
  public synchronized void add(IssuedCard issued) {
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
