package dev.sotto.internal.ratchet;

import dev.sotto.ErrorCode;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Double Ratchet with header encryption (spec: ratchet.adoc), as functions of a
 * {@link RatchetState}. Sans-IO: bytes and state in, bytes and state out.
 */
public final class DoubleRatchet {
  private DoubleRatchet() {}

  /** What the handshake hands to the ratchet (spec: handshake.adoc#handshake-outputs). */
  public record Init(byte[] ad, Secret.RootKey rootKey, Secret.HeaderKey initiatorHeaderKey,
      Secret.HeaderKey responderHeaderKey, Secret.TagKey initiatorTagKey, Secret.TagKey responderTagKey) {}

  /** The initiator's state (spec: ratchet.adoc#init): draws its first ratchet key from {@code random}. */
  public static RatchetState initiator(Init init, byte[] responderRatchetKey, RandomSource random)
      throws SottoException {
    RatchetState s = new RatchetState();
    s.role = RatchetState.ROLE_INITIATOR;
    s.ad = init.ad().clone();
    s.dhsPrivate = X25519.generatePrivateKey(random);
    s.dhsPublic = X25519.publicKey(s.dhsPrivate);
    s.dhr = responderRatchetKey.clone();
    Kdf.RootStep r = Kdf.root(init.rootKey(), X25519.agree(s.dhsPrivate, s.dhr));
    s.rootKey = r.rootKey();
    s.sendingChain = r.chainKey();
    s.sendingHeaderKey = init.initiatorHeaderKey();
    s.sendingTagKey = init.initiatorTagKey();
    s.nextSendingHeaderKey = r.nextHeaderKey();
    s.nextSendingTagKey = r.nextTagKey();
    s.nextReceivingHeaderKey = init.responderHeaderKey();
    s.nextReceivingTagKey = init.responderTagKey();
    return s;
  }

  /** The responder's state (spec: ratchet.adoc#init): its first ratchet key is its signed prekey. */
  public static RatchetState responder(Init init, byte[] signedPrekeyPrivate) {
    RatchetState s = new RatchetState();
    s.role = RatchetState.ROLE_RESPONDER;
    s.ad = init.ad().clone();
    s.dhsPrivate = signedPrekeyPrivate.clone();
    // dhsPublic stays null: the responder's first receipt (a DH step) replaces this key before it
    // could send, so its public key, the bundle's signed prekey, is never needed here.
    s.rootKey = init.rootKey();
    s.nextSendingHeaderKey = init.responderHeaderKey();
    s.nextSendingTagKey = init.responderTagKey();
    s.nextReceivingHeaderKey = init.initiatorHeaderKey();
    s.nextReceivingTagKey = init.initiatorTagKey();
    return s;
  }

  /**
   * Whether the next {@link #encrypt} starts a new sending chain, and so draws a ratchet key (the
   * first message after a new receiving chain began).
   */
  public static boolean startsSendingChain(RatchetState s) {
    return s.sendingChain == null && s.dhr != null;
  }

  /** A sent message, with what the vectors publish about it. */
  public record Sent(byte[] message, byte[] tag, byte[] header, Secret.MessageKey messageKey, byte[] siv, long n) {}

  /**
   * Encrypts {@code plaintext} (spec: ratchet.adoc#encrypt), changing {@code s}. Draws no
   * randomness: the header's nonce and the body's key and nonce come from the message key and a
   * synthetic IV over the plaintext, so a sender whose state (and random generator) was rolled
   * back never seals two different plaintexts under one key and nonce.
   *
   * <p>The first message after a DH step on receipt starts this side's new sending chain: it draws
   * the new ratchet private key (32 bytes) from {@code random} (spec: ratchet.adoc#encrypt). No
   * other message draws anything.
   *
   * @throws IllegalStateException when this side cannot send yet (a responder that has not
   *     received a message)
   * @throws SottoException LIMIT_EXCEEDED when the chain holds {@link RatchetState#MAX_CHAIN}
   *     messages already (the peer has not answered since: the session must be reset)
   */
  public static Sent encrypt(RatchetState s, byte[] plaintext, RandomSource random) throws SottoException {
    byte[] message = new byte[RatchetMessage.OVERHEAD + plaintext.length];
    System.arraycopy(plaintext, 0, message, RatchetMessage.PREFIX_LENGTH, plaintext.length);
    Sent sent = encryptInPlace(s, message, 0, plaintext.length, random);
    return new Sent(message, sent.tag(), sent.header(), sent.messageKey(), sent.siv(), sent.n());
  }

  /**
   * As {@link #encrypt}, in place: the plaintext lies at {@code buffer[offset + PREFIX_LENGTH,
   * + length)}, and the message ({@code RatchetMessage.OVERHEAD + length} bytes) is written over
   * it from {@code offset}. The returned {@link Sent#message()} is null: the message is in
   * {@code buffer}. On an exception, the state may have its deferred DH step done (as with
   * {@link #encrypt}), and {@code buffer} is unchanged.
   */
  public static Sent encryptInPlace(RatchetState s, byte[] buffer, int offset, int length, RandomSource random)
      throws SottoException {
    java.util.Objects.checkFromIndexSize(offset, RatchetMessage.OVERHEAD + length, buffer.length);
    if (s.sendingChain == null) {
      if (s.dhr == null) {
        throw new IllegalStateException("no sending chain: a responder sends only after receiving");
      }
      // The sending half of the last DH step, deferred to the first message that needs it.
      s.dhsPrivate = X25519.generatePrivateKey(random);
      s.dhsPublic = X25519.publicKey(s.dhsPrivate);
      Kdf.RootStep sending = Kdf.root(s.rootKey, X25519.agree(s.dhsPrivate, s.dhr));
      s.rootKey = sending.rootKey();
      s.sendingChain = sending.chainKey();
      s.nextSendingHeaderKey = sending.nextHeaderKey();
      s.nextSendingTagKey = sending.nextTagKey();
    }
    if (s.ns >= RatchetState.MAX_CHAIN) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "sending chain full: the peer has not answered");
    }
    if (s.dhsPublic == null) {
      s.dhsPublic = X25519.publicKey(s.dhsPrivate); // derived once, at the first send after a restore
    }
    int bodyOffset = offset + RatchetMessage.PREFIX_LENGTH;
    byte[] header = new Header(s.dhsPublic, s.pn, s.ns).encode();
    Kdf.ChainStep step = Kdf.chain(s.sendingChain);
    byte[] siv = Kdf.siv(step.messageKey(), s.ad, RatchetMessage.VERSION, header, buffer, bodyOffset, length);
    byte[] encryptedHeader = Aead.seal(s.sendingHeaderKey.view(), siv, s.ad, header);
    long n = s.ns;
    byte[] tag = Kdf.tag(s.sendingTagKey, n);
    buffer[offset] = RatchetMessage.VERSION;
    System.arraycopy(siv, 0, buffer, offset + 1, siv.length);
    System.arraycopy(encryptedHeader, 0, buffer, offset + 1 + siv.length, encryptedHeader.length);
    byte[] bodyAd = Bytes.concat(s.ad, Arrays.copyOfRange(buffer, offset, bodyOffset));
    byte[] material = Kdf.messageKeyMaterial(step.messageKey(), siv);
    byte[] key = Arrays.copyOf(material, Aead.KEY_LENGTH);
    try {
      Aead.seal(key, Arrays.copyOfRange(material, Aead.KEY_LENGTH, material.length),
          bodyAd, buffer, bodyOffset, length, buffer, bodyOffset);
    } finally {
      Arrays.fill(material, (byte) 0);
      Arrays.fill(key, (byte) 0);
    }
    s.sendingChain = step.chainKey();
    s.ns++;
    return new Sent(null, tag, header, step.messageKey(), siv, n);
  }

  /** Which key opened a header. */
  public enum Opened { SKIPPED, CURRENT, NEXT }

  /** A received message: the plaintext, the state to commit, and what the vectors publish. */
  public record Received(byte[] plaintext, RatchetState next, Opened openedWith, byte[] header,
      Secret.MessageKey messageKey, byte[] tag) {}

  /**
   * Decrypts {@code encoded} (spec: ratchet.adoc#decrypt) without changing {@code state}: the
   * caller commits {@link Received#next()} only on success. Draws no randomness: a new receiving
   * chain clears this side's ratchet key, and the next {@link #encrypt} makes the new one.
   */
  public static Received decrypt(RatchetState state, byte[] encoded) throws SottoException {
    return decrypt(state, RatchetMessage.parseInPlace(encoded, 0, encoded.length), null, false);
  }

  /**
   * As {@link #decrypt(RatchetState, byte[])}, in place and with what the session layer learnt
   * from the envelope's tag ({@link #matchTag}, on this same {@code state}): the message lies in
   * {@code buffer[offset, offset + length)}, and its plaintext is written over its body (from
   * {@code offset + RatchetMessage.PREFIX_LENGTH}, {@code length - RatchetMessage.OVERHEAD} bytes)
   * only once the body's tag has verified. {@link Received#plaintext()} is then null. On any
   * error, {@code buffer} and {@code state} are unchanged.
   *
   * <p>The match's header key is tried first, and when the header names the message whose tag
   * the match computed, that tag is {@link Received#tag()} (not computed again). A header opens
   * under one key only, and a tag depends on its key and number only, so the match changes
   * nothing but the cost: the result, and every error, are those of {@code decrypt} without it.
   */
  public static Received decryptInPlace(RatchetState state, byte[] buffer, int offset, int length, TagMatch match)
      throws SottoException {
    return decrypt(state, RatchetMessage.parseInPlace(buffer, offset, length), match, true);
  }

  private static Received decrypt(RatchetState state, RatchetMessage.InPlace m, TagMatch match, boolean inPlace)
      throws SottoException {
    RatchetState s = state.copy();
    byte[] bodyAd = m.bodyAd(s.ad);

    // The header keys in the order of the spec: each chain with skipped keys (oldest first), the
    // current receiving chain, the next receiving chain. The one that opens the header decides.
    List<ByteBuffer> candidates = new ArrayList<>();
    for (RatchetState.SkippedId id : s.skipped.keySet()) {
      if (!candidates.contains(id.headerKey())) {
        candidates.add(id.headerKey());
      }
    }
    // The state's own key bytes, not copies: they are only read (tried, compared, looked up).
    ByteBuffer current = s.receivingHeaderKey == null ? null : ByteBuffer.wrap(s.receivingHeaderKey.view());
    if (current != null && !candidates.contains(current)) {
      candidates.add(current);
    }
    // A new chain of the peer answers a ratchet key of this side: none is possible while this side
    // has not sent since its last step (it has no ratchet key), so NHKr is not tried then.
    ByteBuffer next = s.dhsPrivate == null ? null : ByteBuffer.wrap(s.nextReceivingHeaderKey.view());
    if (next != null) {
      candidates.add(next);
    }
    if (match != null && candidates.remove(match.headerKey)) {
      candidates.add(0, match.headerKey);
    }
    ByteBuffer opener = null;
    byte[] header = null;
    for (ByteBuffer hk : candidates) {
      header = tryOpen(hk.array(), m, s.ad);
      if (header != null) {
        opener = hk;
        break;
      }
    }
    if (opener == null) {
      throw new SottoException(ErrorCode.AUTH_FAILED, "authenticated decryption failed");
    }
    Header h = Header.parse(header);
    if (!opener.equals(next)) { // next may be null
      RatchetState.Skipped skipped = s.skipped.isEmpty() ? null
          : s.skipped.remove(new RatchetState.SkippedId(opener, h.messageNumber()));
      if (skipped != null) {
        // 1. A skipped message key.
        byte[] plaintext = openBody(skipped.messageKey(), m, bodyAd, inPlace);
        return new Received(plaintext, s, Opened.SKIPPED, header, skipped.messageKey(), skipped.tag());
      }
      if (!opener.equals(current)) {
        // No decrypted value in the text: the message number stays between the two sides.
        throw new SottoException(ErrorCode.REPLAY, "a message of an earlier chain: received already, or its key discarded");
      }
      // 2. The current receiving chain.
      if (!Arrays.equals(h.ratchetKey(), s.dhr)) {
        throw new SottoException(ErrorCode.INVALID_ENCODING, "header of the current chain names another ratchet key");
      }
      if (h.messageNumber() < s.nr) {
        throw new SottoException(ErrorCode.REPLAY, "a message of the current chain: received already, or its key discarded");
      }
      skip(s, h.messageNumber());
      byte[] tag = tag(s.receivingTagKey, h.messageNumber(), match);
      Secret.MessageKey mk = advanceReceiving(s);
      byte[] plaintext = openBody(mk, m, bodyAd, inPlace);
      return new Received(plaintext, s, Opened.CURRENT, header, mk, tag);
    }

    // 3. The next receiving chain: a DH ratchet step.
    skip(s, h.previousChainLength());
    s.pn = s.ns;
    s.ns = 0;
    s.nr = 0;
    s.sendingHeaderKey = s.nextSendingHeaderKey;
    s.sendingTagKey = s.nextSendingTagKey;
    s.receivingHeaderKey = s.nextReceivingHeaderKey;
    s.receivingTagKey = s.nextReceivingTagKey;
    s.dhr = h.ratchetKey();
    Kdf.RootStep receiving = Kdf.root(s.rootKey, X25519.agree(s.dhsPrivate, s.dhr));
    s.rootKey = receiving.rootKey();
    s.receivingChain = receiving.chainKey();
    s.nextReceivingHeaderKey = receiving.nextHeaderKey();
    s.nextReceivingTagKey = receiving.nextTagKey();
    // This side's ratchet key has done its work (for the responder's first step, it was the signed
    // prekey): it leaves the state; the next encrypt makes a new one and the new sending chain.
    s.dhsPrivate = null;
    s.dhsPublic = null;
    s.sendingChain = null;
    skip(s, h.messageNumber());
    byte[] tag = tag(s.receivingTagKey, h.messageNumber(), match);
    Secret.MessageKey mk = advanceReceiving(s);
    byte[] plaintext = openBody(mk, m, bodyAd, inPlace);
    return new Received(plaintext, s, Opened.NEXT, header, mk, tag);
  }

  /**
   * The mailbox tag of message {@code n} of the chain of {@code tagKey}: the match's when it was
   * computed for that very key (the object: keys are immutable and shared by a state's copies)
   * and number, otherwise computed.
   */
  private static byte[] tag(Secret.TagKey tagKey, long n, TagMatch match) {
    if (match != null && match.tagKey == tagKey && match.n == n) {
      return match.tag.clone();
    }
    return Kdf.tag(tagKey, n);
  }

  /**
   * Stores the keys of messages nr .. until - 1 of the current receiving chain (spec:
   * ratchet.adoc#skipped). The header's bounds (n below, pn at most {@link RatchetState#MAX_CHAIN})
   * make that at most 1,000 keys.
   */
  private static void skip(RatchetState s, long until) {
    if (s.receivingChain == null || until <= s.nr) {
      return;
    }
    while (s.nr < until) {
      byte[] tag = Kdf.tag(s.receivingTagKey, s.nr);
      Kdf.ChainStep step = Kdf.chain(s.receivingChain);
      s.skipped.put(RatchetState.SkippedId.of(s.receivingHeaderKey, s.nr),
          new RatchetState.Skipped(step.messageKey(), tag));
      s.receivingChain = step.chainKey();
      s.nr++;
    }
    s.evictSkipped();
  }

  private static Secret.MessageKey advanceReceiving(RatchetState s) {
    Kdf.ChainStep step = Kdf.chain(s.receivingChain);
    s.receivingChain = step.chainKey();
    s.nr++;
    return step.messageKey();
  }

  private static byte[] tryOpen(byte[] headerKey, RatchetMessage.InPlace m, byte[] ad) {
    try {
      return Aead.open(headerKey, m.siv(), ad, m.encryptedHeader());
    } catch (SottoException e) {
      return null;
    }
  }

  /** Opens the body: into a new array, or in place (returning null) once its tag has verified. */
  private static byte[] openBody(Secret.MessageKey mk, RatchetMessage.InPlace m, byte[] ad, boolean inPlace)
      throws SottoException {
    byte[] material = Kdf.messageKeyMaterial(mk, m.siv());
    byte[] key = Arrays.copyOf(material, Aead.KEY_LENGTH);
    try {
      byte[] nonce = Arrays.copyOfRange(material, Aead.KEY_LENGTH, material.length);
      if (inPlace) {
        Aead.open(key, nonce, ad, m.buffer(), m.bodyOffset(), m.bodyLength(), m.buffer(), m.bodyOffset());
        return null;
      }
      byte[] out = new byte[m.bodyLength() - Aead.TAG_LENGTH];
      Aead.open(key, nonce, ad, m.buffer(), m.bodyOffset(), m.bodyLength(), out, 0);
      return out;
    } finally {
      Arrays.fill(material, (byte) 0);
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Whether message n of a chain is an anchor: a multiple of {@code window}, or the chain's last (999). */
  public static boolean isAnchor(long n, int window) {
    return n % window == 0 || n == RatchetState.MAX_CHAIN - 1;
  }

  /**
   * The message numbers of a receiving chain that a receiver watches (spec: envelope.adoc#tags):
   * the next {@code window} from {@code from}, then the anchors beyond them that bring a receiver
   * back after a lost burst: every multiple of {@code window}, and the chain's last number (999).
   * Nearest first.
   */
  static long[] watched(long from, int window) {
    long[] out = new long[window + RatchetState.MAX_CHAIN / window + 1];
    int i = 0;
    for (long n; (n = watched(from, window, i)) >= 0; ) {
      out[i++] = n;
    }
    return Arrays.copyOf(out, i);
  }

  /**
   * The {@code i}-th of {@link #watched(long, int)}, or -1 past its last, without building the
   * list (a tag look-up usually stops at the first).
   */
  static long watched(long from, int window, int i) {
    long last = RatchetState.MAX_CHAIN - 1;
    long windowEnd = Math.min(from + window, RatchetState.MAX_CHAIN);
    if (i < windowEnd - from) {
      return from + i;
    }
    long j = i - (windowEnd - from); // the j-th anchor beyond the window
    long anchor = (windowEnd + window - 1) / window * window + j * window;
    if (anchor < last) {
      return anchor;
    }
    boolean firstPastTheAnchors = j == 0 || anchor - window < last;
    return firstPastTheAnchors && windowEnd <= last ? last : -1;
  }

  /**
   * Where a mailbox tag of {@link DoubleRatchet#expectedTags} points: the header key of the chain
   * whose message would carry it and, for a watched number of the current or the next receiving
   * chain, the tag key and the number it was computed from, so that
   * {@link DoubleRatchet#decryptInPlace} need not compute it again. Opaque outside this package:
   * it holds a header key of the state it was found in, and is meant for one decryption of that
   * state.
   */
  public static final class TagMatch {
    private final ByteBuffer headerKey;
    /** Null for the tag of a skipped key (stored, never computed). */
    private final Secret.TagKey tagKey;
    private final long n;
    private final byte[] tag;

    private TagMatch(ByteBuffer headerKey, Secret.TagKey tagKey, long n, byte[] tag) {
      this.headerKey = headerKey;
      this.tagKey = tagKey;
      this.n = n;
      this.tag = tag;
    }

    @Override
    public String toString() {
      return "TagMatch[redacted]";
    }
  }

  /**
   * Where {@code tag} points in {@code s}, or null if it is not one of {@link #expectedTags};
   * computed lazily, nearest message numbers first, so that the usual next message costs one or
   * two HMACs instead of the whole watched set.
   */
  public static TagMatch matchTag(RatchetState s, byte[] tag, int window) {
    for (int i = 0; ; i++) {
      long current = s.receivingTagKey == null ? -1 : watched(s.nr, window, i);
      long next = watched(0, window, i);
      if (current < 0 && next < 0) {
        break;
      }
      if (current >= 0) {
        byte[] computed = Kdf.tag(s.receivingTagKey, current);
        if (Arrays.equals(tag, computed)) {
          return new TagMatch(ByteBuffer.wrap(s.receivingHeaderKey.view()), s.receivingTagKey, current, computed);
        }
      }
      if (next >= 0) {
        byte[] computed = Kdf.tag(s.nextReceivingTagKey, next);
        if (Arrays.equals(tag, computed)) {
          return new TagMatch(ByteBuffer.wrap(s.nextReceivingHeaderKey.view()), s.nextReceivingTagKey, next, computed);
        }
      }
    }
    for (Map.Entry<RatchetState.SkippedId, RatchetState.Skipped> e : s.skipped.entrySet()) {
      if (Arrays.equals(tag, e.getValue().tag())) {
        return new TagMatch(e.getKey().headerKey(), null, e.getKey().n(), e.getValue().tag());
      }
    }
    return null;
  }

  /**
   * The mailbox tags under which messages to this side can arrive now (spec: envelope.adoc#tags):
   * the watched numbers of the current and of the next receiving chain, and the tag of every
   * skipped key.
   */
  public static List<byte[]> expectedTags(RatchetState s, int window) {
    return expectedTags(s, window, new TagMemo());
  }

  /**
   * As {@link #expectedTags(RatchetState, int)}, taking the tags computed before from {@code memo}
   * and leaving there those of this state only: after one more message in a chain, one HMAC
   * instead of the whole watched set (the tags are what a mailbox sees; the memo holds no key).
   */
  public static List<byte[]> expectedTags(RatchetState s, int window, TagMemo memo) {
    Set<ByteBuffer> tags = new LinkedHashSet<>(); // each tag once, in this order
    java.util.IdentityHashMap<Secret.TagKey, Map<Long, byte[]>> used = new java.util.IdentityHashMap<>();
    if (s.receivingTagKey != null) {
      for (long n : watched(s.nr, window)) {
        tags.add(ByteBuffer.wrap(memo.tag(used, s.receivingTagKey, n)));
      }
    }
    // Watched even before this side has sent again (when no message can come there yet), so
    // that the set changes only when a message is received, never when one is sent.
    for (long n : watched(0, window)) {
      tags.add(ByteBuffer.wrap(memo.tag(used, s.nextReceivingTagKey, n)));
    }
    memo.byKey = used;
    for (Map.Entry<RatchetState.SkippedId, RatchetState.Skipped> e : s.skipped.entrySet()) {
      tags.add(ByteBuffer.wrap(e.getValue().tag().clone()));
    }
    return tags.stream().map(ByteBuffer::array).toList();
  }

  /**
   * Tags computed for the chains of a state, by tag key (the key object itself, not its bytes:
   * a state carries its keys from one step to the next by reference) and message number. Not
   * thread-safe: its owner's lock guards it.
   */
  public static final class TagMemo {
    private java.util.IdentityHashMap<Secret.TagKey, Map<Long, byte[]>> byKey = new java.util.IdentityHashMap<>();

    private byte[] tag(java.util.IdentityHashMap<Secret.TagKey, Map<Long, byte[]>> used, Secret.TagKey key, long n) {
      Map<Long, byte[]> before = byKey.get(key);
      byte[] tag = before == null ? null : before.get(n);
      if (tag == null) {
        tag = Kdf.tag(key, n);
      }
      used.computeIfAbsent(key, k -> new java.util.HashMap<>()).put(n, tag);
      return tag.clone();
    }
  }
}
