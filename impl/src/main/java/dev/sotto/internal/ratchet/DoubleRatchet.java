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
    s.dhsPublic = X25519.publicKey(s.dhsPrivate);
    s.rootKey = init.rootKey();
    s.nextSendingHeaderKey = init.responderHeaderKey();
    s.nextSendingTagKey = init.responderTagKey();
    s.nextReceivingHeaderKey = init.initiatorHeaderKey();
    s.nextReceivingTagKey = init.initiatorTagKey();
    return s;
  }

  /** A sent message, with what the vectors publish about it. */
  public record Sent(byte[] message, byte[] tag, byte[] header, Secret.MessageKey messageKey) {}

  /**
   * Encrypts {@code plaintext} (spec: ratchet.adoc#encrypt), changing {@code s}. Draws the
   * 12-byte header nonce from {@code random}.
   *
   * @throws IllegalStateException when there is no sending chain yet (a responder that has not
   *     received a message)
   * @throws SottoException LIMIT_EXCEEDED when the chain has sent 2^32 - 1 messages
   */
  public static Sent encrypt(RatchetState s, byte[] plaintext, RandomSource random) throws SottoException {
    if (s.sendingChain == null) {
      throw new IllegalStateException("no sending chain: a responder sends only after receiving");
    }
    if (s.ns == 0xffffffffL) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "sending chain exhausted");
    }
    if (s.dhsPublic == null) {
      s.dhsPublic = X25519.publicKey(s.dhsPrivate); // derived once, at the first send after a restore
    }
    byte[] header = new Header(s.dhsPublic, s.pn, s.ns).encode();
    byte[] nonce = random.bytes(Aead.NONCE_LENGTH);
    byte[] encryptedHeader = Aead.seal(s.sendingHeaderKey.view(), nonce, s.ad, header);
    Kdf.ChainStep step = Kdf.chain(s.sendingChain);
    byte[] tag = Kdf.tag(s.sendingTagKey, s.ns);
    RatchetMessage shell = new RatchetMessage(nonce, encryptedHeader, null);
    byte[] body = sealBody(step.messageKey(), Bytes.concat(s.ad, shell.prefix()), plaintext);
    s.sendingChain = step.chainKey();
    s.ns++;
    return new Sent(new RatchetMessage(nonce, encryptedHeader, body).encode(), tag, header, step.messageKey());
  }

  /** Which key opened a header. */
  public enum Opened { SKIPPED, CURRENT, NEXT }

  /** A received message: the plaintext, the state to commit, and what the vectors publish. */
  public record Received(byte[] plaintext, RatchetState next, Opened openedWith, byte[] header,
      Secret.MessageKey messageKey, byte[] tag) {}

  /**
   * Decrypts {@code encoded} (spec: ratchet.adoc#decrypt) without changing {@code state}: the
   * caller commits {@link Received#next()} only on success. Draws 32 bytes from {@code random}
   * (a new ratchet key) only when the message starts a new receiving chain and decrypts.
   */
  public static Received decrypt(RatchetState state, byte[] encoded, RandomSource random) throws SottoException {
    return decrypt(state, encoded, random, null);
  }

  /**
   * As {@link #decrypt(RatchetState, byte[], RandomSource)}, trying {@code likelyHeaderKey} first
   * (the session layer knows it from the envelope's tag). A header opens under one key only, so
   * the order of the attempts changes nothing but their cost.
   */
  public static Received decrypt(RatchetState state, byte[] encoded, RandomSource random, byte[] likelyHeaderKey)
      throws SottoException {
    RatchetMessage m = RatchetMessage.parse(encoded);
    RatchetState s = state.copy();
    byte[] bodyAd = Bytes.concat(s.ad, m.prefix());

    // The header keys in the order of the spec: each chain with skipped keys (oldest first), the
    // current receiving chain, the next receiving chain. The one that opens the header decides.
    List<ByteBuffer> candidates = new ArrayList<>();
    for (RatchetState.SkippedId id : s.skipped.keySet()) {
      if (!candidates.contains(id.headerKey())) {
        candidates.add(id.headerKey());
      }
    }
    ByteBuffer current = s.receivingHeaderKey == null ? null : ByteBuffer.wrap(s.receivingHeaderKey.bytes());
    if (current != null && !candidates.contains(current)) {
      candidates.add(current);
    }
    ByteBuffer next = ByteBuffer.wrap(s.nextReceivingHeaderKey.bytes());
    candidates.add(next);
    if (likelyHeaderKey != null) {
      ByteBuffer likely = ByteBuffer.wrap(likelyHeaderKey);
      if (candidates.remove(likely)) {
        candidates.add(0, likely);
      }
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
    if (!opener.equals(next)) {
      RatchetState.Skipped skipped = s.skipped.remove(new RatchetState.SkippedId(opener, h.messageNumber()));
      if (skipped != null) {
        // 1. A skipped message key.
        byte[] plaintext = openBody(skipped.messageKey(), bodyAd, m.body());
        return new Received(plaintext, s, Opened.SKIPPED, header, skipped.messageKey(), skipped.tag());
      }
      if (!opener.equals(current)) {
        throw new SottoException(ErrorCode.REPLAY,
            "message " + h.messageNumber() + " of an earlier chain was already received or its key discarded");
      }
      // 2. The current receiving chain.
      if (!Arrays.equals(h.ratchetKey(), s.dhr)) {
        throw new SottoException(ErrorCode.INVALID_ENCODING, "header of the current chain names another ratchet key");
      }
      if (h.messageNumber() < s.nr) {
        throw new SottoException(ErrorCode.REPLAY,
            "message " + h.messageNumber() + " was already received or its key discarded");
      }
      skip(s, h.messageNumber());
      byte[] tag = Kdf.tag(s.receivingTagKey, h.messageNumber());
      Secret.MessageKey mk = advanceReceiving(s);
      byte[] plaintext = openBody(mk, bodyAd, m.body());
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
    skip(s, h.messageNumber());
    byte[] tag = Kdf.tag(s.receivingTagKey, h.messageNumber());
    Secret.MessageKey mk = advanceReceiving(s);
    byte[] plaintext = openBody(mk, bodyAd, m.body());

    // The sending half of the step, only now that the message is authentic.
    s.dhsPrivate = X25519.generatePrivateKey(random);
    s.dhsPublic = X25519.publicKey(s.dhsPrivate);
    Kdf.RootStep sending = Kdf.root(s.rootKey, X25519.agree(s.dhsPrivate, s.dhr));
    s.rootKey = sending.rootKey();
    s.sendingChain = sending.chainKey();
    s.nextSendingHeaderKey = sending.nextHeaderKey();
    s.nextSendingTagKey = sending.nextTagKey();
    return new Received(plaintext, s, Opened.NEXT, header, mk, tag);
  }

  /**
   * Stores the keys of messages nr .. until - 1 of the current receiving chain (spec:
   * ratchet.adoc#skipped): LIMIT_EXCEEDED when that is more than {@link RatchetState#MAX_SKIP}.
   */
  private static void skip(RatchetState s, long until) throws SottoException {
    if (s.receivingChain == null || until <= s.nr) {
      return;
    }
    if (until - s.nr > RatchetState.MAX_SKIP) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED,
          "message " + until + " would skip " + (until - s.nr) + " keys, at most " + RatchetState.MAX_SKIP);
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

  private static byte[] tryOpen(byte[] headerKey, RatchetMessage m, byte[] ad) {
    try {
      return Aead.open(headerKey, m.headerNonce(), ad, m.encryptedHeader());
    } catch (SottoException e) {
      return null;
    }
  }

  private static byte[] sealBody(Secret.MessageKey mk, byte[] ad, byte[] plaintext) {
    byte[] material = Kdf.messageKeyMaterial(mk);
    try {
      return Aead.sealWith(material, ad, plaintext);
    } finally {
      Arrays.fill(material, (byte) 0);
    }
  }

  private static byte[] openBody(Secret.MessageKey mk, byte[] ad, byte[] body) throws SottoException {
    byte[] material = Kdf.messageKeyMaterial(mk);
    try {
      return Aead.openWith(material, ad, body);
    } finally {
      Arrays.fill(material, (byte) 0);
    }
  }

  /**
   * The header key of the chain whose message would carry {@code tag}, or null if the tag is not
   * one of {@link #expectedTags}; computed lazily, nearest message numbers first, so that the usual
   * next message costs one or two HMACs instead of the whole window.
   */
  public static byte[] headerKeyForTag(RatchetState s, byte[] tag, int window) {
    for (long d = 0; d < window; d++) {
      if (s.receivingTagKey != null && Arrays.equals(tag, Kdf.tag(s.receivingTagKey, s.nr + d))) {
        return s.receivingHeaderKey.bytes();
      }
      if (Arrays.equals(tag, Kdf.tag(s.nextReceivingTagKey, d))) {
        return s.nextReceivingHeaderKey.bytes();
      }
    }
    for (Map.Entry<RatchetState.SkippedId, RatchetState.Skipped> e : s.skipped.entrySet()) {
      if (Arrays.equals(tag, e.getValue().tag())) {
        return e.getKey().headerKey().array().clone();
      }
    }
    return null;
  }

  /**
   * The mailbox tags under which messages to this side can arrive now: the next {@code window}
   * messages of the current and of the next receiving chain, and those of every skipped key
   * (spec: ratchet.adoc#tags).
   */
  public static List<byte[]> expectedTags(RatchetState s, int window) {
    Set<ByteBuffer> tags = new LinkedHashSet<>(); // each tag once, in this order
    if (s.receivingTagKey != null) {
      for (long n = s.nr; n < s.nr + window; n++) {
        tags.add(ByteBuffer.wrap(Kdf.tag(s.receivingTagKey, n)));
      }
    }
    for (long n = 0; n < window; n++) {
      tags.add(ByteBuffer.wrap(Kdf.tag(s.nextReceivingTagKey, n)));
    }
    for (Map.Entry<RatchetState.SkippedId, RatchetState.Skipped> e : s.skipped.entrySet()) {
      tags.add(ByteBuffer.wrap(e.getValue().tag().clone()));
    }
    return tags.stream().map(ByteBuffer::array).toList();
  }
}
