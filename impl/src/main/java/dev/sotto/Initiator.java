package dev.sotto;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * The initiator of a first contact (spec: handshake.adoc#initiator): from the responder's card and
 * prekeys, one message from which both sides derive the same session secrets, with the responder
 * offline.
 *
 * <pre>
 *   FirstContact fc = Initiator.to(me, prekeys).start(now, payload, random);
 * </pre>
 */
public final class Initiator {
  private final Identity me;
  private final Prekeys prekeys;

  private Initiator(Identity me, Prekeys prekeys) {
    this.me = Objects.requireNonNull(me, "me");
    this.prekeys = Objects.requireNonNull(prekeys, "prekeys");
  }

  /** A first contact from {@code me} to the owner of the card of {@code prekeys}, using exactly those prekeys. */
  public static Initiator to(Identity me, Prekeys prekeys) {
    return new Initiator(me, prekeys);
  }

  /**
   * Makes the first message at time {@code now}, carrying {@code payload}; the message carries
   * {@code now} as its time. Draws from {@code random}, in this order: the ephemeral private key (32
   * bytes), the ML-KEM encapsulation randomness (32 bytes).
   *
   * @throws SottoException {@code EXPIRED} when the card, the bundle or a one-time prekey has
   *     expired at {@code now} (nothing is drawn)
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
    if (now.getEpochSecond() < 0) {
      throw new IllegalArgumentException("now is before 1970-01-01T00:00:00Z"); // before anything is drawn
    }
    prekeys.checkNotExpired(now);
    Card card = prekeys.card();
    PrekeyBundle bundle = prekeys.bundle();
    Prekey opk = prekeys.oneTimePrekey().map(OneTimePrekey::prekey).orElse(null);
    OneTimePrekey kemOneTime = prekeys.kemOneTimePrekey().orElse(null);
    Prekey kem = kemOneTime == null ? bundle.kemPrekey() : kemOneTime.prekey();
    HandshakeCore.Prekeys used = new HandshakeCore.Prekeys(
        bundle.signedPrekey().id(), bundle.signedPrekey().publicKey(), kem.id(), kem.publicKey(),
        opk == null ? FirstMessage.NONE : opk.id(), opk == null ? null : opk.publicKey());
    long time = now.getEpochSecond();
    byte[] ephemeral = X25519.generatePrivateKey(random);
    byte[] kemRandomness = random.bytes(MlKem768.ENCAPSULATION_RANDOMNESS_LENGTH);
    HandshakeCore.Trace t = null;
    try {
      // The payload is sealed last, under keys that do not depend on it: derive them first.
      t = HandshakeCore.initiate(me.publicIdentity(), me::agree, card.identity(), card.inviteTagView(), time, used,
          kemOneTime != null, ephemeral, kemRandomness, null);
      SessionSecrets secrets = new SessionSecrets(t.keys(), t.transcript(), bundle.signedPrekey().publicKey(), null);
      byte[] payload = maker.make(secrets, opk != null);
      byte[] sealed = Aead.seal(t.keys().confirmKey(), t.keys().confirmNonce(), t.transcript(), payload);
      FirstMessage message = new FirstMessage(HandshakeCore.flags(used, kemOneTime != null), time, used.spkId(),
          used.kemId(), used.opkId(), t.ephemeralPublic(), t.kemCiphertext(), t.encryptedIdentity(), sealed);
      return new FirstContact(message.encode(), card.identity(), secrets);
    } finally {
      Arrays.fill(ephemeral, (byte) 0);
      Arrays.fill(kemRandomness, (byte) 0);
      if (t != null) {
        t.wipe(); // the DH outputs, the KEM secret and the identity key; the session has its keys
      }
    }
  }

  @Override
  public String toString() {
    return "Initiator[to " + prekeys.card().identity() + "]";
  }
}
