package dev.sotto;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.transport.LinkSchedule;
import java.util.Arrays;

/** The responder's side of the link handshake (spec: transport.adoc#link-accept). */
public final class LinkResponder {
  /** Length of {@code LinkAccept}: 1137 bytes. */
  public static final int ACCEPT_LENGTH = LinkSchedule.ACCEPT_LENGTH;

  private LinkResponder() {}

  /** The result of a handshake: the {@code LinkAccept} to send, and the link. */
  public record Accepted(byte[] accept, Link link) {}

  /**
   * Reads a {@code LinkHello} sent to the node of {@code key}; checks it in the spec's order and,
   * only when it verifies, draws f (32 bytes) then the encapsulation randomness (32 bytes).
   *
   * @throws SottoException UNSUPPORTED_VERSION, TRUNCATED, TRAILING_DATA, INVALID_ENCODING,
   *     INVALID_KEY, AUTH_FAILED (a proof that does not verify: the sender does not know this key)
   */
  public static Accepted accept(LinkKey key, byte[] hello, RandomSource random) throws SottoException {
    Reader in = new Reader(hello, "link_hello");
    in.version(LinkSchedule.VERSION, "link");
    byte[] initiatorEphemeral = KeyCodec.readX25519(in, "E");
    byte[] encapsulationKey = KeyCodec.readMlKem768(in, "ek");
    byte[] proof = in.bytes(Aead.TAG_LENGTH, "proof");
    in.end();
    byte[] transcriptA = LinkSchedule.transcriptA(key.publicKey(), initiatorEphemeral, encapsulationKey);
    byte[] es = X25519.agree(key.privateKey(), initiatorEphemeral);
    byte[] helloKey = LinkSchedule.helloKey(transcriptA, es);
    byte[] f = null;
    byte[] ee = null;
    MlKem768.Encapsulation encapsulation = null;
    try {
      LinkSchedule.check(helloKey, transcriptA, proof);
      f = random.bytes(X25519.PRIVATE_KEY_LENGTH);
      byte[] m = random.bytes(MlKem768.ENCAPSULATION_RANDOMNESS_LENGTH);
      byte[] responderEphemeral = X25519.publicKey(f);
      ee = X25519.agree(f, initiatorEphemeral);
      encapsulation = MlKem768.encapsulate(encapsulationKey, m);
      Arrays.fill(m, (byte) 0);
      byte[] transcriptB = LinkSchedule.transcriptB(transcriptA, responderEphemeral, encapsulation.ciphertext());
      LinkSchedule.Keys keys = LinkSchedule.keys(transcriptB, es, ee, encapsulation.sharedSecret());
      try {
        byte[] accept = new Writer().bytes(KeyCodec.x25519(responderEphemeral)).bytes(encapsulation.ciphertext())
            .bytes(LinkSchedule.confirm(keys, transcriptB)).toByteArray();
        return new Accepted(accept, new Link(false, keys.initiatorToResponder(), keys.responderToInitiator(), transcriptB));
      } finally {
        keys.destroy();
      }
    } finally {
      Arrays.fill(es, (byte) 0);
      Arrays.fill(helloKey, (byte) 0);
      if (f != null) {
        Arrays.fill(f, (byte) 0);
      }
      if (ee != null) {
        Arrays.fill(ee, (byte) 0);
      }
      if (encapsulation != null) {
        Arrays.fill(encapsulation.sharedSecret(), (byte) 0);
      }
    }
  }
}
