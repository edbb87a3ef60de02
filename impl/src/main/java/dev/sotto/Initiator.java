package dev.sotto;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The initiator of a first contact (spec: handshake.adoc#initiator): from the responder's card,
 * one message from which both sides derive the same session secrets, with the responder offline.
 *
 * <pre>
 *   FirstContact fc = Initiator.to(me, card).start(now, payload, random);
 * </pre>
 */
public final class Initiator {
  private final Identity me;
  private final Card card;
  private Long oneTimePrekey;
  private Long kemOneTimePrekey;
  private boolean chooseAtRandom = true;

  private Initiator(Identity me, Card card) {
    this.me = Objects.requireNonNull(me, "me");
    this.card = Objects.requireNonNull(card, "card");
  }

  /** A first contact from {@code me} to the owner of {@code card} (a card that was read, so verified). */
  public static Initiator to(Identity me, Card card) {
    return new Initiator(me, card);
  }

  /**
   * Uses exactly these one-time prekeys of the card ({@code null}: none of that kind) instead of a
   * random choice.
   *
   * @throws IllegalArgumentException when the card has no such prekey
   */
  public Initiator oneTimePrekeys(Long x25519Id, Long kemId) {
    if (x25519Id != null && find(card.oneTimePrekeys(), x25519Id) == null) {
      throw new IllegalArgumentException("the card has no X25519 one-time prekey " + x25519Id);
    }
    if (kemId != null && find(card.kemOneTimePrekeys(), kemId) == null) {
      throw new IllegalArgumentException("the card has no ML-KEM one-time prekey " + kemId);
    }
    this.oneTimePrekey = x25519Id;
    this.kemOneTimePrekey = kemId;
    this.chooseAtRandom = false;
    return this;
  }

  /**
   * Makes the first message at time {@code now}, carrying {@code payload}. Draws from
   * {@code random}, in this order: (unless the prekeys were chosen) 4 bytes for each kind of
   * one-time prekey the card has, to pick one uniformly; the ephemeral private key (32 bytes);
   * the ML-KEM encapsulation randomness (32 bytes).
   *
   * @throws SottoException {@code EXPIRED} when the card has expired at {@code now}
   */
  public FirstContact start(Instant now, byte[] payload, RandomSource random) throws SottoException {
    Objects.requireNonNull(payload, "payload");
    return start(now, (secrets, withOneTimePrekey) -> payload, random);
  }

  /** Makes the first message's payload once the session's secrets are known. */
  @FunctionalInterface
  interface PayloadMaker {
    byte[] make(SessionSecrets secrets, boolean usesOneTimePrekey) throws SottoException;
  }

  /** As {@link #start(Instant, byte[], RandomSource)}, with a payload made from the session's secrets. */
  FirstContact start(Instant now, PayloadMaker maker, RandomSource random) throws SottoException {
    card.checkNotExpired(now);
    Long opkId = oneTimePrekey;
    Long kemOpkId = kemOneTimePrekey;
    if (chooseAtRandom) {
      opkId = pick(card.oneTimePrekeys(), random);
      kemOpkId = pick(card.kemOneTimePrekeys(), random);
    }
    Prekey opk = opkId == null ? null : find(card.oneTimePrekeys(), opkId);
    Prekey kem = kemOpkId == null ? card.kemPrekey() : find(card.kemOneTimePrekeys(), kemOpkId);
    HandshakeCore.Prekeys prekeys = new HandshakeCore.Prekeys(
        card.signedPrekey().id(), card.signedPrekey().publicKey(), kem.id(), kem.publicKey(),
        opk == null ? FirstMessage.NONE : opk.id(), opk == null ? null : opk.publicKey());
    byte[] ephemeral = X25519.generatePrivateKey(random);
    byte[] kemRandomness = random.bytes(MlKem768.ENCAPSULATION_RANDOMNESS_LENGTH);
    HandshakeCore.Trace t = null;
    try {
      // The payload is sealed last, under keys that do not depend on it: derive them first.
      t = HandshakeCore.initiate(me.publicIdentity(), me::agree, card.identity(), prekeys,
          kemOpkId != null, ephemeral, kemRandomness, null);
      SessionSecrets secrets = new SessionSecrets(t.keys(), t.transcript(), card.signedPrekey().publicKey(), null);
      byte[] payload = maker.make(secrets, opk != null);
      byte[] sealed = Aead.seal(t.keys().confirmKey(), t.keys().confirmNonce(), t.transcript(), payload);
      FirstMessage message = new FirstMessage(HandshakeCore.flags(prekeys, kemOpkId != null), prekeys.spkId(),
          prekeys.kemId(), prekeys.opkId(), t.ephemeralPublic(), t.kemCiphertext(), t.encryptedIdentity(), sealed);
      return new FirstContact(message.encode(), card.identity(), secrets);
    } finally {
      Arrays.fill(ephemeral, (byte) 0);
      Arrays.fill(kemRandomness, (byte) 0);
      if (t != null) {
        t.wipe(); // the DH outputs, the KEM secret and the identity key; the session has its keys
      }
    }
  }

  private static Long pick(List<Prekey> prekeys, RandomSource random) {
    if (prekeys.isEmpty()) {
      return null;
    }
    byte[] r = random.bytes(4);
    long value = ((r[0] & 0xffL) << 24) | ((r[1] & 0xff) << 16) | ((r[2] & 0xff) << 8) | (r[3] & 0xff);
    return prekeys.get((int) (value % prekeys.size())).id();
  }

  private static Prekey find(List<Prekey> prekeys, long id) {
    for (Prekey p : prekeys) {
      if (p.id() == id) {
        return p;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "Initiator[to " + card.identity() + "]";
  }
}
