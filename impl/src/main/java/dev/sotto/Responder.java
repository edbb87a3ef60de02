package dev.sotto;

import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The responder of first contacts (spec: handshake.adoc#responder): holds its owner's cards, the
 * prekey bundles and one-time prekeys it issued for them with their private keys, and a replay
 * cache per bundle for first messages that used no one-time prekey.
 *
 * <p>Time drives deletion: every call given {@code now} first deletes what has outlived its use
 * (spec: handshake.adoc#expiry): a prekey at its expiry plus {@link #FIRST_CONTACT_WINDOW}, a
 * replay entry at its message's time plus the window, a card at its expiry plus the window. Apart
 * from that, {@link #accept} is transactional: a message that is rejected, for whatever reason,
 * leaves the responder's state exactly as it was.
 */
public final class Responder {
  /** How old a first message may be when it is accepted (spec: handshake.adoc#expiry): 4 days. */
  public static final Duration FIRST_CONTACT_WINDOW = Duration.ofDays(4);
  /** How far ahead of the responder's clock a first message's time may be: 600 seconds. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(600);
  /** The replay cache bound per bundle (spec: handshake.adoc#replay). */
  public static final int REPLAY_CACHE_LIMIT = 4_096;
  /** At most this many cards are held at once. */
  public static final int MAX_CARDS = 16;
  /** At most this many bundles are held at once; issuing one more withdraws the earliest to expire. */
  public static final int MAX_BUNDLES = 16;
  /** At most this many one-time prekeys (of both kinds) are held at once. */
  public static final int MAX_ONE_TIME_PREKEYS = 1_024;
  /** The version of the responder's state format (spec: handshake.adoc#responder-state). */
  public static final int STATE_VERSION = 0x02;

  private static final long WINDOW = FIRST_CONTACT_WINDOW.getSeconds();
  private static final long SKEW = MAX_CLOCK_SKEW.getSeconds();

  private final Identity identity;
  private final int replayCacheLimit;
  private long nextId;
  private long nextSerial;
  private final List<Card> cards = new ArrayList<>();
  private final Map<Long, HeldBundle> bundles = new LinkedHashMap<>();
  private final Map<Long, HeldOneTime> oneTime = new LinkedHashMap<>();

  /**
   * One issued bundle with its private keys and its replay cache (TH_1 to the message's time).
   * The ML-KEM prekey is also held expanded ({@code kemKey}), made once when the bundle is issued
   * or restored, so that a first contact does not expand the seed again: it lives and dies with
   * the bundle, so there are never more than {@link #MAX_BUNDLES}, and a first contact, accepted
   * or refused, adds none.
   */
  private static final class HeldBundle {
    final PrekeyBundle bundle;
    final byte[] spkPrivate;
    final byte[] kemSeed;
    final MlKem768.DecapsulationKey kemKey;
    final Map<ByteBuffer, Long> replay = new LinkedHashMap<>();

    HeldBundle(PrekeyBundle bundle, byte[] spkPrivate, byte[] kemSeed, MlKem768.DecapsulationKey kemKey) {
      this.bundle = bundle;
      this.spkPrivate = spkPrivate;
      this.kemSeed = kemSeed;
      this.kemKey = kemKey;
    }

    void destroy() {
      Arrays.fill(spkPrivate, (byte) 0);
      Arrays.fill(kemSeed, (byte) 0);
      kemKey.destroy();
      replay.clear();
    }
  }

  /** One issued one-time prekey: an X25519 private key (32 bytes) or an ML-KEM seed (64). */
  private record HeldOneTime(OneTimePrekey record, byte[] secret) {
    void destroy() {
      Arrays.fill(secret, (byte) 0);
    }
  }

  public Responder(Identity identity) {
    this(identity, REPLAY_CACHE_LIMIT);
  }

  /** A responder with another replay cache bound (for tests of the bound). */
  public Responder(Identity identity, int replayCacheLimit) {
    this.identity = Objects.requireNonNull(identity, "identity");
    if (replayCacheLimit < 1 || replayCacheLimit > 0xffff) {
      throw new IllegalArgumentException("replay cache limit must be 1 to 65535");
    }
    this.replayCacheLimit = replayCacheLimit;
  }

  // ------------------------------------------------------------------ cards and prekeys

  /**
   * Accepts first contacts to {@code card} from now on (once it has bundles).
   *
   * @throws IllegalArgumentException when the card is another identity's, has the invite tag of a
   *     held card, or {@link #MAX_CARDS} are held
   */
  public synchronized void addCard(Card card) {
    Objects.requireNonNull(card, "card");
    if (!card.identity().equals(identity.publicIdentity())) {
      throw new IllegalArgumentException("the card belongs to another identity");
    }
    if (cardWithTag(card.inviteTagView()) != null) {
      throw new IllegalArgumentException("a held card has this invite tag");
    }
    if (cards.size() >= MAX_CARDS) {
      throw new IllegalArgumentException("at most " + MAX_CARDS + " cards are held at once");
    }
    cards.add(card);
  }

  /**
   * Raises {@code next_serial} to {@code atLeast} if it is lower (never lowers it; spec:
   * handshake.adoc, "Serials"): a device restored from a backup does, so that its bundles outrank
   * those the lost device published for the same cards (spec: backup.adoc#backup-after-restore).
   *
   * @throws IllegalArgumentException when {@code atLeast} is negative or above 2^32
   */
  public synchronized void raiseSerial(long atLeast) {
    if (atLeast < 0 || atLeast > 0x100000000L) {
      throw new IllegalArgumentException("next_serial is 0 to 2^32");
    }
    nextSerial = Math.max(nextSerial, atLeast);
  }

  /** Stops accepting first contacts to {@code card}, and clears the private keys of its prekeys. */
  public synchronized void removeCard(Card card) {
    if (cards.remove(card)) {
      dropPrekeysOf(card);
    }
  }

  private void dropPrekeysOf(Card card) {
    for (Iterator<HeldBundle> it = bundles.values().iterator(); it.hasNext(); ) {
      HeldBundle held = it.next();
      if (held.bundle.card().equals(card)) {
        held.destroy();
        it.remove();
      }
    }
    for (Iterator<HeldOneTime> it = oneTime.values().iterator(); it.hasNext(); ) {
      HeldOneTime held = it.next();
      if (held.record.card().equals(card)) {
        held.destroy();
        it.remove();
      }
    }
  }

  /**
   * Issues a prekey bundle for the held {@code card} (spec: card.adoc#bundle-issuing): draws the
   * signed X25519 prekey's private key (32 bytes), then the ML-KEM-768 prekey's seed (64), gives
   * them the next two free prekey ids and the next serial, keeps the private halves and signs the
   * bundle. When {@link #MAX_BUNDLES} are held, the one that expires first is withdrawn (its keys
   * cleared).
   *
   * @throws IllegalArgumentException when the card is not held, or the validity is not a valid one
   *     (expiry not after creation, a time out of range)
   */
  public synchronized PrekeyBundle issueBundle(Card card, Instant created, Instant expires, RandomSource random) {
    requireHeld(card);
    if (expires.getEpochSecond() <= created.getEpochSecond() || created.getEpochSecond() < 0
        || expires.getEpochSecond() > Card.MAX_TIME) {
      throw new IllegalArgumentException("a bundle's expiry must be later than its creation, both valid times");
    }
    if (nextSerial > 0xffffffffL) {
      throw new IllegalArgumentException("every bundle serial was used");
    }
    byte[] spk = X25519.generatePrivateKey(random);
    byte[] seed = random.bytes(MlKem768.SEED_LENGTH);
    long spkId = takeId();
    long kemId = takeId();
    MlKem768.DecapsulationKey kemKey = MlKem768.DecapsulationKey.fromSeed(seed);
    PrekeyBundle bundle = PrekeyBundle.issue(identity, card, nextSerial, created.getEpochSecond(),
        expires.getEpochSecond(), new Prekey(spkId, X25519.publicKey(spk)), new Prekey(kemId,
            kemKey.encapsulationKey()));
    nextSerial++;
    if (bundles.size() >= MAX_BUNDLES) {
      HeldBundle first = null;
      for (HeldBundle held : bundles.values()) {
        if (first == null || held.bundle.expiresSeconds() < first.bundle.expiresSeconds()) {
          first = held;
        }
      }
      bundles.remove(first.bundle.signedPrekey().id()).destroy();
    }
    bundles.put(spkId, new HeldBundle(bundle, spk, seed, kemKey));
    return bundle;
  }

  /**
   * Issues one-time prekeys for the held {@code card}, all expiring at {@code expires}: draws, in
   * this order, each X25519 private key (32 bytes), then each ML-KEM-768 seed (64), and gives each
   * the next free prekey id.
   *
   * @throws IllegalArgumentException when the card is not held, the expiry is no valid time, or the
   *     responder would hold more than {@link #MAX_ONE_TIME_PREKEYS}
   */
  public synchronized List<OneTimePrekey> issueOneTimePrekeys(Card card, Instant expires, int x25519Count,
      int kemCount, RandomSource random) {
    requireHeld(card);
    if (x25519Count < 0 || kemCount < 0 || oneTime.size() + (long) x25519Count + kemCount > MAX_ONE_TIME_PREKEYS) {
      throw new IllegalArgumentException("at most " + MAX_ONE_TIME_PREKEYS + " one-time prekeys are held at once");
    }
    if (expires.getEpochSecond() < 0 || expires.getEpochSecond() > Card.MAX_TIME) {
      throw new IllegalArgumentException("the expiry is no valid time");
    }
    List<OneTimePrekey> issued = new ArrayList<>();
    for (int i = 0; i < x25519Count + kemCount; i++) {
      boolean kem = i >= x25519Count;
      byte[] secret = kem ? random.bytes(MlKem768.SEED_LENGTH) : X25519.generatePrivateKey(random);
      long id = takeId();
      byte[] publicKey = kem ? MlKem768.encapsulationKey(secret) : X25519.publicKey(secret);
      OneTimePrekey record = OneTimePrekey.issue(identity, card, expires.getEpochSecond(), kem,
          new Prekey(id, publicKey));
      oneTime.put(id, new HeldOneTime(record, secret));
      issued.add(record);
    }
    return issued;
  }

  private void requireHeld(Card card) {
    if (!cards.contains(Objects.requireNonNull(card, "card"))) {
      throw new IllegalArgumentException("the card is not held");
    }
  }

  /** The next prekey id held by nothing (ids are u32 and wrap). */
  private long takeId() {
    while (bundleWithKeyId(nextId) != null || oneTime.containsKey(nextId)) {
      nextId = (nextId + 1) & 0xffffffffL;
    }
    long id = nextId;
    nextId = (nextId + 1) & 0xffffffffL;
    return id;
  }

  private HeldBundle bundleWithKeyId(long id) {
    for (HeldBundle held : bundles.values()) {
      if (held.bundle.signedPrekey().id() == id || held.bundle.kemPrekey().id() == id) {
        return held;
      }
    }
    return null;
  }

  private Card cardWithTag(byte[] inviteTag) {
    for (Card card : cards) {
      if (Arrays.equals(card.inviteTagView(), inviteTag)) {
        return card;
      }
    }
    return null;
  }

  /**
   * Deletes, at time {@code now}, what can no longer serve (spec: handshake.adoc#expiry): every card,
   * bundle and one-time prekey whose expiry plus {@link #FIRST_CONTACT_WINDOW} is at or before
   * {@code now}, with their private keys (a card takes its bundles and one-time prekeys with it), and
   * every replay entry whose message time plus the window is at or before {@code now}. Every other
   * method given {@code now} does this first.
   */
  public synchronized void expire(Instant now) {
    long t = now.getEpochSecond();
    for (Iterator<Card> it = cards.iterator(); it.hasNext(); ) {
      Card card = it.next();
      if (past(card.expiresSeconds(), t)) {
        it.remove();
        dropPrekeysOf(card);
      }
    }
    for (Iterator<HeldBundle> it = bundles.values().iterator(); it.hasNext(); ) {
      HeldBundle held = it.next();
      if (past(held.bundle.expiresSeconds(), t)) {
        held.destroy();
        it.remove();
      } else {
        held.replay.values().removeIf(time -> past(time, t));
      }
    }
    for (Iterator<HeldOneTime> it = oneTime.values().iterator(); it.hasNext(); ) {
      HeldOneTime held = it.next();
      if (past(held.record.expiresSeconds(), t)) {
        held.destroy();
        it.remove();
      }
    }
  }

  /** Whether {@code time} plus the window is at or before {@code now}. */
  private static boolean past(long time, long now) {
    return time + WINDOW <= now;
  }

  // ------------------------------------------------------------------ accepting

  /**
   * Accepts a first message at time {@code now} (spec: handshake.adoc#responder). First deletes
   * what has expired ({@link #expire}); then, in this order:
   *
   * <ol>
   *   <li>parse: {@code TRUNCATED}, {@code TRAILING_DATA}, {@code UNSUPPORTED_VERSION},
   *       {@code UNSUPPORTED_SUITE}, {@code INVALID_ENCODING}, {@code INVALID_KEY};
   *   <li>find the prekeys: {@code UNKNOWN_PREKEY};
   *   <li>the message's time: {@code EXPIRED} when it is not before the expiry of the card and of
   *       every prekey used, when it is {@link #FIRST_CONTACT_WINDOW} or more before {@code now},
   *       or when it is more than {@link #MAX_CLOCK_SKEW} after {@code now};
   *   <li>without a one-time prekey: {@code REPLAY} for a message already accepted,
   *       {@code LIMIT_EXCEEDED} when the bundle's replay cache is full;
   *   <li>decrypt the initiator's identity and the payload: {@code AUTH_FAILED} (or a public
   *       identity's codes for a malformed identity);
   *   <li>commit: delete the one-time prekeys used, or remember the message in the replay cache.
   * </ol>
   *
   * Nothing but the expiry changes unless every step succeeds.
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
    expire(now);
    FirstMessage m = FirstMessage.parse(message);
    HeldBundle held = bundles.get(m.spkId());
    if (held == null || (inviteTag != null && !Arrays.equals(inviteTag, held.bundle.card().inviteTagView()))) {
      throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no bundle with signed prekey " + m.spkId());
    }
    Card card = held.bundle.card();
    HeldOneTime kemOneTime = null;
    byte[] kemPublic;
    if (m.usesKemOneTimePrekey()) {
      kemOneTime = oneTimeOf(card, m.kemId(), true);
      if (kemOneTime == null) {
        throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no unused ML-KEM one-time prekey " + m.kemId());
      }
      kemPublic = kemOneTime.record.prekey().publicKeyView();
    } else {
      if (m.kemId() != held.bundle.kemPrekey().id()) {
        throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no ML-KEM prekey " + m.kemId() + " in this bundle");
      }
      kemPublic = held.bundle.kemPrekey().publicKeyView();
    }
    HeldOneTime opk = null;
    if (m.usesOneTimePrekey()) {
      opk = oneTimeOf(card, m.opkId(), false);
      if (opk == null) {
        throw new SottoException(ErrorCode.UNKNOWN_PREKEY, "no unused one-time prekey " + m.opkId());
      }
    }
    checkTime(m.time(), now.getEpochSecond(), card, held.bundle, kemOneTime, opk);

    HandshakeCore.Prekeys prekeys = new HandshakeCore.Prekeys(m.spkId(), held.bundle.signedPrekey().publicKey(),
        m.kemId(), kemPublic.clone(), m.opkId(), opk == null ? null : opk.record.prekey().publicKey());
    byte[] th1 = HandshakeCore.transcript1(m.flags(), m.time(), identity.publicIdentity(), card.inviteTagView(),
        prekeys, m.ephemeralKey(), m.ciphertext());
    boolean replayProtected = opk != null || kemOneTime != null;
    ByteBuffer replayKey = ByteBuffer.wrap(th1);
    if (!replayProtected) {
      if (held.replay.containsKey(replayKey)) {
        throw new SottoException(ErrorCode.REPLAY, "this first message was already accepted");
      }
      if (held.replay.size() >= replayCacheLimit) {
        throw new SottoException(ErrorCode.LIMIT_EXCEEDED,
            "replay cache of signed prekey " + m.spkId() + " is full; first contacts need a newer bundle");
      }
    }
    // A one-time ML-KEM prekey serves once: expanded here for this message only (after every check
    // that needs no secret, so that a message refused before this point expands nothing).
    MlKem768.DecapsulationKey kemKey =
        kemOneTime == null ? held.kemKey : MlKem768.DecapsulationKey.fromSeed(kemOneTime.secret);
    HandshakeCore.Opened opened;
    try {
      opened = HandshakeCore.respond(identity.publicIdentity(), identity::agree, prekeys,
          new HandshakeCore.ResponderKeys(held.spkPrivate, kemKey, opk == null ? null : opk.secret), m, th1);
    } finally {
      if (kemOneTime != null) {
        kemKey.destroy();
      }
    }
    SessionSecrets secrets = new SessionSecrets(opened.trace().keys(), opened.trace().transcript(),
        held.bundle.signedPrekey().publicKey(), held.spkPrivate);
    opened.trace().wipe(); // the DH outputs, the KEM secret and the identity key; the session has its keys
    T result = continuation.apply(new Accepted(opened.initiator(), opened.payload(), secrets));

    // Commit: nothing above changed any state.
    if (opk != null) {
      oneTime.remove(m.opkId()).destroy();
    }
    if (kemOneTime != null) {
      oneTime.remove(m.kemId()).destroy();
    }
    if (!replayProtected) {
      held.replay.put(replayKey, m.time());
    }
    return result;
  }

  private HeldOneTime oneTimeOf(Card card, long id, boolean kem) {
    HeldOneTime held = oneTime.get(id);
    return held != null && held.record.isKem() == kem && held.record.card().equals(card) ? held : null;
  }

  private static void checkTime(long time, long now, Card card, PrekeyBundle bundle, HeldOneTime kem, HeldOneTime opk)
      throws SottoException {
    long expires = Math.min(card.expiresSeconds(), bundle.expiresSeconds());
    if (kem != null) {
      expires = Math.min(expires, kem.record.expiresSeconds());
    }
    if (opk != null) {
      expires = Math.min(expires, opk.record.expiresSeconds());
    }
    if (time >= expires) {
      throw new SottoException(ErrorCode.EXPIRED, "the first message was made after its prekeys expired");
    }
    if (time + WINDOW <= now) {
      throw new SottoException(ErrorCode.EXPIRED, "the first message is older than the first-contact window");
    }
    if (time > now + SKEW) {
      throw new SottoException(ErrorCode.EXPIRED, "the first message's time is ahead of this clock by more than "
          + SKEW + " seconds");
    }
  }

  /** Whether a held card has this invite tag. */
  synchronized boolean holdsInviteTag(byte[] tag) {
    return cardWithTag(tag) != null;
  }

  /** The invite tags of the held cards: the tags under which first contacts arrive. */
  public synchronized List<byte[]> inviteTags() {
    List<byte[]> tags = new ArrayList<>();
    cards.forEach(c -> tags.add(c.inviteTag()));
    return tags;
  }

  /** The held cards, oldest first. */
  public synchronized List<Card> cards() {
    return List.copyOf(cards);
  }

  /** The held bundles of {@code card}, in the order they were issued. */
  public synchronized List<PrekeyBundle> bundles(Card card) {
    List<PrekeyBundle> list = new ArrayList<>();
    bundles.values().stream().filter(h -> h.bundle.card().equals(card)).forEach(h -> list.add(h.bundle));
    return list;
  }

  /** The one-time prekeys of {@code card} not used yet, in the order they were issued. */
  public synchronized List<OneTimePrekey> oneTimePrekeys(Card card) {
    List<OneTimePrekey> list = new ArrayList<>();
    oneTime.values().stream().filter(h -> h.record.card().equals(card)).forEach(h -> list.add(h.record));
    return list;
  }

  /** The expanded ML-KEM prekeys held (one per held bundle), for tests of their bound and purge. */
  synchronized List<MlKem768.DecapsulationKey> expandedKemKeys() {
    List<MlKem768.DecapsulationKey> list = new ArrayList<>();
    bundles.values().forEach(h -> list.add(h.kemKey));
    return list;
  }

  /** The number of entries in the replay cache of the bundle with this signed prekey id (0 if none is held). */
  public synchronized int replayEntries(long signedPrekeyId) {
    HeldBundle held = bundles.get(signedPrekeyId);
    return held == null ? 0 : held.replay.size();
  }

  // ------------------------------------------------------------------ state

  /**
   * The responder's state (spec: handshake.adoc#responder-state): the counters, every held card,
   * every held bundle with its private keys and replay cache, every unused one-time prekey with its
   * private key. It holds secrets: store it encrypted.
   */
  public synchronized byte[] serialize() {
    Writer w = new Writer().u8(STATE_VERSION).u16(Suite.SOTTO_1.id()).u32(nextId).u64(nextSerial);
    w.u8(cards.size());
    for (Card card : cards) {
      byte[] encoded = card.encoded();
      w.u16(encoded.length).bytes(encoded);
    }
    w.u8(bundles.size());
    for (HeldBundle h : bundles.values()) {
      w.u8(cards.indexOf(h.bundle.card())).bytes(h.bundle.encoded()).bytes(h.spkPrivate).bytes(h.kemSeed);
      w.u16(h.replay.size());
      h.replay.forEach((th1, time) -> w.bytes(th1.array()).u64(time));
    }
    w.u16(oneTime.size());
    for (HeldOneTime h : oneTime.values()) {
      byte[] record = h.record.encoded();
      w.u8(cards.indexOf(h.record.card())).u16(record.length).bytes(record).bytes(h.secret);
    }
    return w.toByteArray();
  }

  /**
   * Restores a responder of {@code identity} from {@link #serialize()}'s bytes.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, UNSUPPORTED_SUITE; a
   *     card's, bundle's or one-time prekey's own errors (their time is not checked);
   *     IDENTITY_MISMATCH for a card of another identity; INVALID_ENCODING for a count above its
   *     bound, a card index that names no card, a repeated invite tag or prekey id, a private key
   *     that does not match its public key, or a replay entry listed twice
   */
  public static Responder restore(Identity identity, byte[] state) throws SottoException {
    return restore(identity, state, REPLAY_CACHE_LIMIT);
  }

  /** As {@link #restore(Identity, byte[])}, with another replay cache bound. */
  public static Responder restore(Identity identity, byte[] state, int replayCacheLimit) throws SottoException {
    Reader in = new Reader(state, "responder state");
    in.version(STATE_VERSION, "responder state");
    in.suite();
    Responder r = new Responder(identity, replayCacheLimit);
    r.nextId = in.u32("next_id");
    int serialOffset = in.position();
    r.nextSerial = in.u64("next_serial");
    if (r.nextSerial > 0x100000000L) {
      throw in.invalid("next_serial", serialOffset, "above 2^32");
    }
    int countOffset = in.position();
    int cardCount = in.u8("card_count");
    if (cardCount > MAX_CARDS) {
      throw in.invalid("card_count", countOffset, cardCount + " cards, at most " + MAX_CARDS);
    }
    for (int i = 0; i < cardCount; i++) {
      int length = in.u16("card_length");
      int offset = in.position();
      Card card = Card.parseStored(in.bytes(length, "card"));
      card.checkIdentity(identity.publicIdentity());
      if (r.cardWithTag(card.inviteTagView()) != null) {
        throw in.invalid("card", offset, "two held cards have one invite tag");
      }
      r.cards.add(card);
    }
    Set<Long> ids = new TreeSet<>();
    countOffset = in.position();
    int bundleCount = in.u8("bundle_count");
    if (bundleCount > MAX_BUNDLES) {
      throw in.invalid("bundle_count", countOffset, bundleCount + " bundles, at most " + MAX_BUNDLES);
    }
    for (int i = 0; i < bundleCount; i++) {
      Card card = r.readCardIndex(in);
      int offset = in.position();
      PrekeyBundle bundle = PrekeyBundle.parseStored(in.bytes(PrekeyBundle.LENGTH, "bundle"), card);
      if (!ids.add(bundle.signedPrekey().id()) || !ids.add(bundle.kemPrekey().id())) {
        throw in.invalid("bundle", offset, "a prekey id is held twice");
      }
      int keyOffset = in.position();
      byte[] spk = in.bytes(32, "spk_private");
      byte[] seed = in.bytes(MlKem768.SEED_LENGTH, "pqspk_seed");
      MlKem768.DecapsulationKey kemKey = MlKem768.DecapsulationKey.fromSeed(seed);
      if (!Arrays.equals(X25519.publicKey(spk), bundle.signedPrekey().publicKeyView())
          || !Arrays.equals(kemKey.encapsulationKey(), bundle.kemPrekey().publicKeyView())) {
        kemKey.destroy();
        throw in.invalid("spk_private", keyOffset, "a private prekey does not match the bundle");
      }
      HeldBundle held = new HeldBundle(bundle, spk, seed, kemKey);
      int replayOffset = in.position();
      int replays = in.u16("replay_count");
      if (replays > replayCacheLimit) {
        throw in.invalid("replay_count", replayOffset, replays + " entries, at most " + replayCacheLimit);
      }
      for (int j = 0; j < replays; j++) {
        int entryOffset = in.position();
        ByteBuffer th1 = ByteBuffer.wrap(in.bytes(32, "replay.th1"));
        long time = in.u64("replay.time");
        if (held.replay.put(th1, time) != null) {
          throw in.invalid("replay", entryOffset, "replay cache entry listed twice");
        }
      }
      r.bundles.put(bundle.signedPrekey().id(), held);
    }
    countOffset = in.position();
    int oneTimeCount = in.u16("one_time_count");
    if (oneTimeCount > MAX_ONE_TIME_PREKEYS) {
      throw in.invalid("one_time_count", countOffset, oneTimeCount + " one-time prekeys, at most "
          + MAX_ONE_TIME_PREKEYS);
    }
    for (int i = 0; i < oneTimeCount; i++) {
      Card card = r.readCardIndex(in);
      int length = in.u16("record_length");
      int offset = in.position();
      OneTimePrekey record = OneTimePrekey.parseStored(in.bytes(length, "record"), card);
      if (!ids.add(record.prekey().id())) {
        throw in.invalid("record", offset, "a prekey id is held twice");
      }
      int keyOffset = in.position();
      byte[] secret = in.bytes(record.isKem() ? MlKem768.SEED_LENGTH : 32, "private");
      byte[] expected = record.isKem() ? MlKem768.encapsulationKey(secret) : X25519.publicKey(secret);
      if (!Arrays.equals(expected, record.prekey().publicKeyView())) {
        throw in.invalid("private", keyOffset, "a private prekey does not match its record");
      }
      r.oneTime.put(record.prekey().id(), new HeldOneTime(record, secret));
    }
    in.end();
    return r;
  }

  private Card readCardIndex(Reader in) throws SottoException {
    int offset = in.position();
    int index = in.u8("card_index");
    if (index >= cards.size()) {
      throw in.invalid("card_index", offset, "names no held card");
    }
    return cards.get(index);
  }

  /** The observable state, for tests: the cards, the bundles with their replay caches, the one-time prekey ids. */
  public record Snapshot(List<Card> cards, List<BundleState> bundles, Set<Long> oneTimePrekeys) {}

  /** One held bundle: its signed prekey id and its replay cache (hex of TH_1, oldest first). */
  public record BundleState(long signedPrekeyId, long kemPrekeyId, Instant expires, List<String> replayCache) {}

  public synchronized Snapshot snapshot() {
    List<BundleState> list = new ArrayList<>();
    for (HeldBundle h : bundles.values()) {
      List<String> replay = new ArrayList<>();
      h.replay.keySet().forEach(b -> replay.add(Bytes.hex(b.array())));
      list.add(new BundleState(h.bundle.signedPrekey().id(), h.bundle.kemPrekey().id(), h.bundle.expires(),
          List.copyOf(replay)));
    }
    return new Snapshot(List.copyOf(cards), List.copyOf(list), Set.copyOf(new TreeSet<>(oneTime.keySet())));
  }

  @Override
  public String toString() {
    return "Responder[" + identity.fingerprint() + ", " + cards.size() + " cards, " + bundles.size() + " bundles, "
        + oneTime.size() + " one-time prekeys]";
  }
}
