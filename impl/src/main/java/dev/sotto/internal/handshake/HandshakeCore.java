package dev.sotto.internal.handshake;

import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.Suite;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;

/**
 * The computations of the handshake (spec: handshake.adoc), shared by both roles, with every
 * intermediate value kept so that the vectors can publish it. Sans-IO: bytes in, bytes out.
 */
public final class HandshakeCore {
  public static final int IDENTITY_KEY_LENGTH = Aead.KEY_LENGTH + Aead.NONCE_LENGTH;
  public static final int KEYS_LENGTH = 6 * 32 + Aead.NONCE_LENGTH;

  private HandshakeCore() {}

  /** X25519 with a private key held elsewhere (an identity's DH key). */
  @FunctionalInterface
  public interface Dh {
    byte[] agree(byte[] publicKey) throws SottoException;
  }

  /** The public values the handshake binds (spec: handshake.adoc#transcript). */
  public record Prekeys(long spkId, byte[] spk, long kemId, byte[] kemKey, long opkId, byte[] opk) {
    boolean usesOneTimePrekey() {
      return opk != null;
    }
  }

  /** The keys the handshake derives (spec: handshake.adoc#keys). */
  public record Keys(byte[] rootKey, byte[] initiatorHeaderKey, byte[] responderHeaderKey, byte[] initiatorTagKey,
      byte[] responderTagKey, byte[] confirmKey, byte[] confirmNonce) {
    static Keys split(byte[] okm) {
      return new Keys(
          Arrays.copyOfRange(okm, 0, 32), Arrays.copyOfRange(okm, 32, 64), Arrays.copyOfRange(okm, 64, 96),
          Arrays.copyOfRange(okm, 96, 128), Arrays.copyOfRange(okm, 128, 160), Arrays.copyOfRange(okm, 160, 192),
          Arrays.copyOfRange(okm, 192, 204));
    }

    @Override
    public String toString() {
      return "Keys[redacted]";
    }
  }

  /**
   * Every value of one run, in the order the spec computes them; dh4 is null without a one-time
   * prekey. {@link #wipe()} clears its secrets once the caller has taken the outputs.
   */
  public record Trace(byte[] ephemeralPublic, byte[] dh1, byte[] dh2, byte[] dh3, byte[] dh4, byte[] dh5,
      byte[] kemCiphertext,
      byte[] kemSharedSecret, byte[] transcript1, byte[] identityKey, byte[] identityNonce, byte[] encryptedIdentity,
      byte[] transcript, Keys keys, byte[] sealedPayload) {
    /** Clears every secret of the run but the keys (which the session takes over). Best effort. */
    public void wipe() {
      for (byte[] b : new byte[][] {dh1, dh2, dh3, dh4, dh5, kemSharedSecret, identityKey, identityNonce}) {
        if (b != null) {
          Arrays.fill(b, (byte) 0);
        }
      }
    }

    @Override
    public String toString() {
      return "Trace[redacted]";
    }
  }

  /** flags of a message that uses these prekeys. */
  public static int flags(Prekeys prekeys, boolean kemOneTime) {
    return (prekeys.usesOneTimePrekey() ? FirstMessage.FLAG_ONE_TIME_PREKEY : 0)
        | (kemOneTime ? FirstMessage.FLAG_KEM_ONE_TIME_PREKEY : 0);
  }

  /** TH_1: spec: handshake.adoc#transcript. */
  public static byte[] transcript1(int flags, long time, PublicIdentity responder, byte[] inviteTag, Prekeys p,
      byte[] ek, byte[] ciphertext) {
    Writer w = new Writer()
        .bytes(Labels.HANDSHAKE_TRANSCRIPT_1)
        .u8(FirstMessage.VERSION)
        .u16(Suite.SOTTO_1.id())
        .u8(flags)
        .u64(time)
        .bytes(responder.encoded())
        .bytes(inviteTag)
        .u32(p.spkId()).bytes(KeyCodec.x25519(p.spk()))
        .u32(p.kemId()).bytes(KeyCodec.mlKem768(p.kemKey()));
    if (p.usesOneTimePrekey()) {
      w.u32(p.opkId()).bytes(KeyCodec.x25519(p.opk()));
    }
    return Hmac.hash(w.bytes(KeyCodec.x25519(ek)).bytes(ciphertext).toByteArray());
  }

  /** K_id || N_id = HKDF(salt = TH_1, ikm = DH3 || SS, info = "sotto/v1/handshake/identity", 44). */
  public static byte[] identityKey(byte[] transcript1, byte[] dh3, byte[] sharedSecret) {
    return Hkdf.derive(transcript1, Bytes.concat(dh3, sharedSecret), Labels.HANDSHAKE_IDENTITY, IDENTITY_KEY_LENGTH);
  }

  /** TH = SHA-256("sotto/v1/handshake/transcript-2" || TH_1 || encrypted_identity || initiator identity). */
  public static byte[] transcript(byte[] transcript1, byte[] encryptedIdentity, PublicIdentity initiator) {
    return Hmac.hash(Labels.HANDSHAKE_TRANSCRIPT, transcript1, encryptedIdentity, initiator.encoded());
  }

  /**
   * The session keys: HKDF(salt = TH, ikm = DH1 || DH2 || DH3 || [DH4] || DH5 || SS, info =
   * "sotto/v2/handshake/keys", 204). DH5, between the two identity keys, is what a thief of the
   * prekeys alone cannot compute (spec: handshake.adoc#initiator).
   */
  public static Keys keys(byte[] transcript, byte[] dh1, byte[] dh2, byte[] dh3, byte[] dh4, byte[] dh5,
      byte[] sharedSecret) {
    byte[] ikm = dh4 == null ? Bytes.concat(dh1, dh2, dh3, dh5, sharedSecret)
        : Bytes.concat(dh1, dh2, dh3, dh4, dh5, sharedSecret);
    try {
      return Keys.split(Hkdf.derive(transcript, ikm, Labels.HANDSHAKE_KEYS, KEYS_LENGTH));
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
  }

  /**
   * The initiator's computation (spec: handshake.adoc#initiator), from the given ephemeral
   * private key and ML-KEM randomness.
   */
  public static Trace initiate(PublicIdentity initiator, Dh initiatorDh, PublicIdentity responder, byte[] inviteTag,
      long time, Prekeys p, boolean kemOneTime, byte[] ephemeralPrivate, byte[] kemRandomness, byte[] payload)
      throws SottoException {
    byte[] ek = X25519.publicKey(ephemeralPrivate);
    MlKem768.Encapsulation kem = MlKem768.encapsulate(p.kemKey(), kemRandomness);
    int flags = flags(p, kemOneTime);
    byte[] th1 = transcript1(flags, time, responder, inviteTag, p, ek, kem.ciphertext());
    byte[] dh3 = X25519.agree(ephemeralPrivate, p.spk());
    byte[] idKey = identityKey(th1, dh3, kem.sharedSecret());
    byte[] key = Arrays.copyOf(idKey, Aead.KEY_LENGTH);
    byte[] nonce = Arrays.copyOfRange(idKey, Aead.KEY_LENGTH, IDENTITY_KEY_LENGTH);
    byte[] encryptedIdentity = Aead.seal(key, nonce, th1, initiator.encoded());
    byte[] th = transcript(th1, encryptedIdentity, initiator);
    byte[] dh1 = initiatorDh.agree(p.spk());
    byte[] dh2 = X25519.agree(ephemeralPrivate, responder.dhKey());
    byte[] dh4 = p.usesOneTimePrekey() ? X25519.agree(ephemeralPrivate, p.opk()) : null;
    byte[] dh5 = initiatorDh.agree(responder.dhKey());
    Keys keys = keys(th, dh1, dh2, dh3, dh4, dh5, kem.sharedSecret());
    // A null payload: the caller seals its own later (the session layer builds it from these keys).
    byte[] sealed = payload == null ? null : Aead.seal(keys.confirmKey(), keys.confirmNonce(), th, payload);
    return new Trace(ek, dh1, dh2, dh3, dh4, dh5, kem.ciphertext(), kem.sharedSecret(), th1, key, nonce, encryptedIdentity,
        th, keys, sealed);
  }

  /**
   * The private halves a responder uses for one message; the ML-KEM key already expanded (the
   * responder keeps its signed ML-KEM prekey expanded; a one-time one is expanded for its one use).
   */
  public record ResponderKeys(byte[] spkPrivate, MlKem768.DecapsulationKey kemKey, byte[] opkPrivate) {
    @Override
    public String toString() {
      return "ResponderKeys[redacted]";
    }
  }

  /** What the responder learns from an authentic first message. */
  public record Opened(PublicIdentity initiator, byte[] payload, Trace trace) {}

  /**
   * The responder's computation (spec: handshake.adoc#responder, steps 5 to 8), after the
   * message was parsed, its prekeys found and the replay cache consulted.
   *
   * @throws SottoException AUTH_FAILED when the identity or the payload does not open; the
   *     codes of a public identity when the decrypted identity is malformed
   */
  public static Opened respond(PublicIdentity responder, Dh responderDh, Prekeys p, ResponderKeys secrets,
      FirstMessage m, byte[] th1) throws SottoException {
    byte[] dh3 = X25519.agree(secrets.spkPrivate(), m.ephemeralKey());
    byte[] ss = secrets.kemKey().decapsulate(m.ciphertext());
    byte[] idKey = identityKey(th1, dh3, ss);
    byte[] key = Arrays.copyOf(idKey, Aead.KEY_LENGTH);
    byte[] nonce = Arrays.copyOfRange(idKey, Aead.KEY_LENGTH, IDENTITY_KEY_LENGTH);
    byte[] identityBytes = Aead.open(key, nonce, th1, m.encryptedIdentity());
    PublicIdentity initiator;
    try {
      initiator = PublicIdentity.parse(identityBytes);
    } catch (SottoException e) {
      // The identity was decrypted: its error text names no value read from it.
      throw new SottoException(e.code(), "initiator identity: invalid");
    }
    byte[] th = transcript(th1, m.encryptedIdentity(), initiator);
    byte[] dh1 = X25519.agree(secrets.spkPrivate(), initiator.dhKey());
    byte[] dh2 = responderDh.agree(m.ephemeralKey());
    byte[] dh4 = p.usesOneTimePrekey() ? X25519.agree(secrets.opkPrivate(), m.ephemeralKey()) : null;
    byte[] dh5 = responderDh.agree(initiator.dhKey());
    Keys keys = keys(th, dh1, dh2, dh3, dh4, dh5, ss);
    byte[] payload = Aead.open(keys.confirmKey(), keys.confirmNonce(), th, m.payload());
    Trace trace = new Trace(m.ephemeralKey(), dh1, dh2, dh3, dh4, dh5, m.ciphertext(), ss, th1, key, nonce,
        m.encryptedIdentity(), th, keys, m.payload());
    return new Opened(initiator, payload, trace);
  }
}
