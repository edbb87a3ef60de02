package dev.sotto;

import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetState;
import java.util.List;
import java.util.Objects;

/**
 * One side of a session's Double Ratchet with header encryption (spec: ratchet.adoc), started from
 * a handshake's {@link SessionSecrets}. Every message has its own key; a compromised state heals
 * at the next DH step; nothing in a message links it to another.
 *
 * <p>{@link #decrypt} is transactional: a message that fails (bad tag, unknown header, a bound
 * exceeded, a replay) leaves the state exactly as it was. The state serialises to a versioned byte
 * format ({@link #serialize()}, {@link #restore(byte[])}); it holds secrets, so store it encrypted.
 */
public final class Ratchet {
  private RatchetState state;

  private Ratchet(RatchetState state) {
    this.state = state;
  }

  /**
   * The initiator's side, right after {@link Initiator#start}: draws its first ratchet key
   * (32 bytes) from {@code random}.
   */
  public static Ratchet initiator(SessionSecrets secrets, RandomSource random) throws SottoException {
    return new Ratchet(DoubleRatchet.initiator(secrets.ratchetInit(), secrets.responderRatchetPublic(), random));
  }

  /** The responder's side, right after {@link Responder#accept}; it sends only after it has received. */
  public static Ratchet responder(SessionSecrets secrets) {
    byte[] ratchetPrivate = secrets.responderRatchetPrivate();
    if (ratchetPrivate == null) {
      throw new IllegalArgumentException("these are the initiator's secrets");
    }
    return new Ratchet(DoubleRatchet.responder(secrets.ratchetInit(), ratchetPrivate));
  }

  /** An encrypted message and the mailbox tag it is to be delivered under. */
  public record Encrypted(byte[] message, byte[] tag) {}

  /**
   * Encrypts {@code plaintext}. The first message after a new receiving chain draws this side's new
   * ratchet key (32 bytes) from {@code random}; other messages draw nothing (their nonces are
   * synthetic, spec: ratchet.adoc#encrypt).
   *
   * @throws IllegalStateException when this side cannot send yet (a responder before its first message)
   * @throws SottoException LIMIT_EXCEEDED when the sending chain holds 1,000 messages (the peer has
   *     not answered since); the state is then unchanged
   */
  public synchronized Encrypted encrypt(byte[] plaintext, RandomSource random) throws SottoException {
    Objects.requireNonNull(plaintext, "plaintext");
    DoubleRatchet.Sent sent = DoubleRatchet.encrypt(state, plaintext, random);
    return new Encrypted(sent.message(), sent.tag());
  }

  /**
   * Decrypts a message. Draws no randomness.
   *
   * @throws SottoException TRUNCATED, UNSUPPORTED_VERSION, AUTH_FAILED (no header key opens it, or
   *     the body does not), REPLAY (already received, or its key discarded), INVALID_ENCODING or
   *     INVALID_KEY (an authentic but malformed header); the state is then unchanged
   */
  public synchronized byte[] decrypt(byte[] message) throws SottoException {
    DoubleRatchet.Received received = DoubleRatchet.decrypt(state, message);
    state = received.next();
    return received.plaintext();
  }

  /** The mailbox tags (16 bytes each) of messages this side may receive now; see spec: ratchet.adoc#ratchet-tags. */
  public synchronized List<byte[]> expectedTags(int window) {
    return DoubleRatchet.expectedTags(state, window);
  }

  /** The state's byte form (spec: ratchet.adoc#state-format). It contains every key: keep it secret. */
  public synchronized byte[] serialize() {
    return state.serialize();
  }

  /** Restores a state written by {@link #serialize()}. */
  public static Ratchet restore(byte[] serialized) throws SottoException {
    return new Ratchet(RatchetState.parse(serialized));
  }

  @Override
  public String toString() {
    return "Ratchet[redacted]";
  }
}
