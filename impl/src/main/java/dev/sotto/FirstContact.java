package dev.sotto;

/** The initiator's result of a handshake: the first message to send, and the session's secrets. */
public final class FirstContact {
  private final byte[] message;
  private final PublicIdentity peer;
  private final SessionSecrets secrets;

  FirstContact(byte[] message, PublicIdentity peer, SessionSecrets secrets) {
    this.message = message;
    this.peer = peer;
    this.secrets = secrets;
  }

  /** The first message (spec: handshake.adoc#first-message), to deliver to the card's owner. */
  public byte[] message() {
    return message.clone();
  }

  /** The responder: the owner of the card. */
  public PublicIdentity peer() {
    return peer;
  }

  public SessionSecrets secrets() {
    return secrets;
  }

  @Override
  public String toString() {
    return "FirstContact[to " + peer + ", " + message.length + " bytes]";
  }
}
