package dev.sotto;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.transport.LinkSchedule;
import java.time.Instant;
import java.util.Arrays;

/**
 * The initiator's side of the link handshake (spec: transport.adoc#link-hello). Round one:
 * {@link #start} gives the {@code LinkHello} to send; round two: {@link #finish} reads the
 * responder's {@code LinkAccept} and gives the {@link Link}. Each instance is used once.
 */
public final class LinkInitiator {
  /** Length of {@code LinkHello}: 1243 bytes. */
  public static final int HELLO_LENGTH = LinkSchedule.HELLO_LENGTH;

  private final byte[] responderKey;
  private final byte[] ephemeral;
  private final byte[] kemSeed;
  private final byte[] transcriptA;
  private final byte[] es;
  private final byte[] hello;
  private boolean finished;

  private LinkInitiator(byte[] responderKey, long time, byte[] ephemeral, byte[] kemSeed) throws SottoException {
    this.responderKey = responderKey;
    this.ephemeral = ephemeral;
    this.kemSeed = kemSeed;
    byte[] ephemeralPublic = X25519.publicKey(ephemeral);
    byte[] encapsulationKey = MlKem768.encapsulationKey(kemSeed);
    this.transcriptA = LinkSchedule.transcriptA(time, responderKey, ephemeralPublic, encapsulationKey);
    this.es = X25519.agree(ephemeral, responderKey);
    this.hello = new Writer().u8(LinkSchedule.VERSION).u64(time).bytes(KeyCodec.x25519(ephemeralPublic))
        .bytes(KeyCodec.mlKem768(encapsulationKey)).bytes(LinkSchedule.proof(transcriptA, es)).toByteArray();
  }

  /**
   * Starts a handshake with the node whose link key (32 raw bytes, from its address) is
   * {@code responderKey}, at {@code now} (this side's clock, taken to the second: the hello's
   * {@code time}). Draws e (32 bytes), then the ML-KEM seed (64 bytes).
   *
   * @throws SottoException INVALID_KEY when {@code responderKey} fails the X25519 key check
   * @throws IllegalArgumentException if {@code now} is before the epoch
   */
  public static LinkInitiator start(byte[] responderKey, Instant now, RandomSource random) throws SottoException {
    Bytes.requireLength(responderKey, LinkKey.LENGTH, "responder link key");
    long time = now.getEpochSecond();
    if (time < 0) {
      throw new IllegalArgumentException("now must not be before the epoch");
    }
    KeyCodec.checkX25519(responderKey, "link_key");
    byte[] e = random.bytes(X25519.PRIVATE_KEY_LENGTH);
    byte[] seed = random.bytes(MlKem768.SEED_LENGTH);
    return new LinkInitiator(responderKey.clone(), time, e, seed);
  }

  /** The {@code LinkHello} to send, 1243 bytes. */
  public byte[] hello() {
    return hello.clone();
  }

  /**
   * Reads the responder's {@code LinkAccept} and completes the handshake. On failure nothing
   * changes, but a link whose handshake failed should be closed.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING, INVALID_KEY (the responder's
   *     ephemeral key), AUTH_FAILED (the confirmation does not verify: not the node of this key)
   * @throws IllegalStateException if the handshake already finished
   */
  public synchronized Link finish(byte[] accept) throws SottoException {
    if (finished) {
      throw new IllegalStateException("the link handshake already finished");
    }
    Reader in = new Reader(accept, "link_accept");
    byte[] responderEphemeral = KeyCodec.readX25519(in, "F");
    byte[] ciphertext = in.bytes(MlKem768.CIPHERTEXT_LENGTH, "ct");
    byte[] confirm = in.bytes(Aead.TAG_LENGTH, "confirm");
    in.end();
    byte[] ee = X25519.agree(ephemeral, responderEphemeral);
    byte[] kem = MlKem768.decapsulate(kemSeed, ciphertext);
    byte[] transcriptB = LinkSchedule.transcriptB(transcriptA, responderEphemeral, ciphertext);
    LinkSchedule.Keys keys = LinkSchedule.keys(transcriptB, es, ee, kem);
    try {
      LinkSchedule.check(keys.confirm(), transcriptB, confirm);
      finished = true;
      Arrays.fill(ephemeral, (byte) 0);
      Arrays.fill(kemSeed, (byte) 0);
      Arrays.fill(es, (byte) 0);
      return new Link(true, keys.initiatorToResponder(), keys.responderToInitiator(), transcriptB);
    } finally {
      Arrays.fill(ee, (byte) 0);
      Arrays.fill(kem, (byte) 0);
      keys.destroy();
    }
  }

  /** TH_A, for the vectors. */
  public byte[] transcript() {
    return transcriptA.clone();
  }

  @Override
  public String toString() {
    return "LinkInitiator[to=" + Bytes.hex(responderKey) + (finished ? ", finished" : "") + "]";
  }
}
