package dev.sotto;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.transport.LinkSchedule;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * The responder's side of the link handshake (spec: transport.adoc#link-accept), for the node
 * of one link key, with that node's {@link LinkReplayFilter}.
 *
 * <p>Two rounds, so that the caller can spend its handshake budget between them: {@link
 * #read(byte[], Instant)} makes every check that costs no public-key operation (the version,
 * the clock, the keys, the replay filter) and gives a {@link Hello}; {@link #accept(Hello,
 * RandomSource)} then verifies the proof, remembers the hello in the filter and answers. One
 * responder serves any number of handshakes, from several threads at once.
 */
public final class LinkResponder {
  /** Length of {@code LinkAccept}: 1137 bytes. */
  public static final int ACCEPT_LENGTH = LinkSchedule.ACCEPT_LENGTH;
  /** A hello whose {@code time} is further than this from the responder's clock is EXPIRED: 120 seconds. */
  public static final long CLOCK_WINDOW_SECONDS = LinkSchedule.CLOCK_WINDOW_SECONDS;

  private final LinkKey key;
  private final LinkReplayFilter filter;

  /** The responder for the node of {@code key}, remembering accepted hellos in {@code filter}. */
  public LinkResponder(LinkKey key, LinkReplayFilter filter) {
    this.key = Objects.requireNonNull(key, "key");
    this.filter = Objects.requireNonNull(filter, "filter");
  }

  /** The result of a handshake: the {@code LinkAccept} to send, and the link. */
  public record Accepted(byte[] accept, Link link) {}

  /**
   * A {@code LinkHello} that passed every check before the proof: what {@link #accept(Hello,
   * RandomSource)} takes. Holds only public values.
   */
  public static final class Hello {
    private final LinkResponder responder;
    private final long now;
    private final long time;
    private final byte[] hash;
    private final byte[] initiatorEphemeral;
    private final byte[] encapsulationKey;
    private final byte[] proof;

    private Hello(LinkResponder responder, long now, long time, byte[] hash, byte[] initiatorEphemeral,
        byte[] encapsulationKey, byte[] proof) {
      this.responder = responder;
      this.now = now;
      this.time = time;
      this.hash = hash;
      this.initiatorEphemeral = initiatorEphemeral;
      this.encapsulationKey = encapsulationKey;
      this.proof = proof;
    }

    /** The initiator's clock, in seconds since the epoch, as the hello states it. */
    public long time() {
      return time;
    }

    @Override
    public String toString() {
      return "LinkResponder.Hello[time=" + time + "]";
    }
  }

  /**
   * Round one: reads a {@code LinkHello} at {@code now} (the responder's clock, taken to the
   * second) with the checks that cost no public-key operation, in the spec's order: version,
   * time, the clock window, E, ek, proof length, nothing after it, the replay filter. Draws
   * nothing and changes nothing.
   *
   * @throws SottoException UNSUPPORTED_VERSION, TRUNCATED, INVALID_ENCODING (also a time of 2^63
   *     or more), EXPIRED (a time more than 120 s from {@code now}, either way), INVALID_KEY,
   *     TRAILING_DATA, REPLAY (this hello was accepted within the last 240 s)
   * @throws IllegalArgumentException if {@code now} is before the epoch
   */
  public Hello read(byte[] hello, Instant now) throws SottoException {
    long seconds = now.getEpochSecond();
    if (seconds < 0) {
      throw new IllegalArgumentException("now must not be before the epoch");
    }
    Reader in = new Reader(hello, "link_hello");
    in.version(LinkSchedule.VERSION, "link");
    long time = in.u64("time");
    if (Math.abs(time - seconds) > LinkSchedule.CLOCK_WINDOW_SECONDS) {
      throw new SottoException(ErrorCode.EXPIRED, "link_hello time is " + (time - seconds)
          + " s from this clock; at most " + LinkSchedule.CLOCK_WINDOW_SECONDS + " s either way");
    }
    byte[] initiatorEphemeral = KeyCodec.readX25519(in, "E");
    byte[] encapsulationKey = KeyCodec.readMlKem768(in, "ek");
    byte[] proof = in.bytes(Aead.TAG_LENGTH, "proof");
    in.end();
    byte[] hash = Hmac.hash(hello);
    filter.check(hash, seconds);
    return new Hello(this, seconds, time, hash, initiatorEphemeral, encapsulationKey, proof);
  }

  /**
   * Round two: verifies the proof of a hello this responder read, remembers the hello in the
   * filter (at the second it was read), and only then draws f (32 bytes) and the encapsulation
   * randomness (32 bytes) and answers. Nothing is drawn or remembered when it fails.
   *
   * @throws SottoException AUTH_FAILED (a proof that does not verify: the sender does not know
   *     this key), REPLAY (a copy of this hello was accepted since it was read), LIMIT_EXCEEDED
   *     (the filter is full: a budget larger than the filter's capacity)
   * @throws IllegalArgumentException if another responder read the hello
   */
  public Accepted accept(Hello hello, RandomSource random) throws SottoException {
    if (hello.responder != this) {
      throw new IllegalArgumentException("the hello was read by another responder");
    }
    byte[] transcriptA = LinkSchedule.transcriptA(hello.time, key.publicKey(), hello.initiatorEphemeral,
        hello.encapsulationKey);
    byte[] es = X25519.agree(key.privateKey(), hello.initiatorEphemeral);
    byte[] helloKey = LinkSchedule.helloKey(transcriptA, es);
    byte[] f = null;
    byte[] ee = null;
    MlKem768.Encapsulation encapsulation = null;
    try {
      LinkSchedule.check(helloKey, transcriptA, hello.proof);
      filter.add(hello.hash, hello.now);
      f = random.bytes(X25519.PRIVATE_KEY_LENGTH);
      byte[] m = random.bytes(MlKem768.ENCAPSULATION_RANDOMNESS_LENGTH);
      byte[] responderEphemeral = X25519.publicKey(f);
      ee = X25519.agree(f, hello.initiatorEphemeral);
      encapsulation = MlKem768.encapsulate(hello.encapsulationKey, m);
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

  /** Both rounds at once, for a caller with no budget to spend between them (tests, vectors). */
  public Accepted accept(byte[] hello, Instant now, RandomSource random) throws SottoException {
    return accept(read(hello, now), random);
  }

  @Override
  public String toString() {
    return "LinkResponder[" + filter + "]";
  }
}
