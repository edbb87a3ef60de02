package dev.sotto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.handshake.HandshakeCore;

/**
 * What a completed handshake hands to the ratchet (spec: handshake.adoc#outputs): the root
 * key, the two header keys, the mailbox tag key, the transcript hash (the associated data of
 * the session), and the responder's signed prekey, which is the responder's first ratchet key.
 * Nothing secret is ever shown by {@link #toString()}.
 */
public final class SessionSecrets {
  private final HandshakeCore.Keys keys;
  private final byte[] transcriptHash;
  private final byte[] responderRatchetPublic;
  private final byte[] responderRatchetPrivate;

  SessionSecrets(HandshakeCore.Keys keys, byte[] transcriptHash, byte[] responderRatchetPublic,
      byte[] responderRatchetPrivate) {
    this.keys = keys;
    this.transcriptHash = transcriptHash.clone();
    this.responderRatchetPublic = responderRatchetPublic.clone();
    this.responderRatchetPrivate = responderRatchetPrivate == null ? null : responderRatchetPrivate.clone();
  }

  /** The transcript hash TH: public, it binds everything the handshake used. */
  public byte[] transcriptHash() {
    return transcriptHash.clone();
  }

  /** Whether both sides derived the same secrets (constant time). */
  public boolean matches(SessionSecrets other) {
    return Bytes.constantTimeEquals(keys.rootKey(), other.keys.rootKey())
        & Bytes.constantTimeEquals(keys.initiatorHeaderKey(), other.keys.initiatorHeaderKey())
        & Bytes.constantTimeEquals(keys.responderHeaderKey(), other.keys.responderHeaderKey())
        & Bytes.constantTimeEquals(keys.initiatorTagKey(), other.keys.initiatorTagKey())
        & Bytes.constantTimeEquals(keys.responderTagKey(), other.keys.responderTagKey())
        & Bytes.constantTimeEquals(transcriptHash, other.transcriptHash)
        & Bytes.constantTimeEquals(responderRatchetPublic, other.responderRatchetPublic);
  }

  /** The ratchet's starting point (spec: ratchet.adoc#ratchet-init). */
  dev.sotto.internal.ratchet.DoubleRatchet.Init ratchetInit() {
    return new dev.sotto.internal.ratchet.DoubleRatchet.Init(transcriptHash,
        new dev.sotto.internal.ratchet.Secret.RootKey(keys.rootKey()),
        new dev.sotto.internal.ratchet.Secret.HeaderKey(keys.initiatorHeaderKey()),
        new dev.sotto.internal.ratchet.Secret.HeaderKey(keys.responderHeaderKey()),
        new dev.sotto.internal.ratchet.Secret.TagKey(keys.initiatorTagKey()),
        new dev.sotto.internal.ratchet.Secret.TagKey(keys.responderTagKey()));
  }

  byte[] responderRatchetPublic() {
    return responderRatchetPublic.clone();
  }

  /** The responder's signed prekey private key, on the responder's side only (null on the initiator's). */
  byte[] responderRatchetPrivate() {
    return responderRatchetPrivate == null ? null : responderRatchetPrivate.clone();
  }

  /** The derived keys, for the conformance generator, which publishes them. Not for applications. */
  public HandshakeCore.Keys keys(InsecureSecretAccess access) {
    java.util.Objects.requireNonNull(access, "access");
    return keys;
  }

  @Override
  public String toString() {
    return "SessionSecrets[redacted]";
  }
}
