package dev.sotto;

/** The responder's result of a handshake: who wrote, what they wrote, and the session's secrets. */
public final class Accepted {
  private final PublicIdentity peer;
  private final byte[] payload;
  private final SessionSecrets secrets;

  Accepted(PublicIdentity peer, byte[] payload, SessionSecrets secrets) {
    this.peer = peer;
    this.payload = payload;
    this.secrets = secrets;
  }

  /** The initiator, authenticated by the handshake (compare its fingerprint out of band). */
  public PublicIdentity peer() {
    return peer;
  }

  /** The payload of the first message. */
  public byte[] payload() {
    return payload.clone();
  }

  public SessionSecrets secrets() {
    return secrets;
  }

  @Override
  public String toString() {
    return "Accepted[from " + peer + ", " + payload.length + " bytes]";
  }
}
