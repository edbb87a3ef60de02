package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.internal.ratchet.Secret;
import dev.sotto.testing.TestRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The Double Ratchet with header encryption (spec: ratchet.adoc, revision 2), as
 * {@code dev.sotto.internal.ratchet.DoubleRatchet} computes it, against its <em>primitive
 * floor</em>: the raw HMAC-SHA-256, HKDF-SHA-256, ChaCha20-Poly1305 and X25519 operations that
 * the same path must do, called through {@code dev.sotto.internal.crypto} on inputs of the same
 * lengths, with no protocol code around them. The ratio protocol / floor is the cost of
 * everything else. Payloads are 1 KiB and 16 KiB; the session's AD is 32 bytes.
 *
 * <h2>The protocol benchmarks</h2>
 *
 * <ul>
 *   <li>{@code encrypt1KiB}, {@code encrypt16KiB}: one side encrypts again and again; every call
 *       is a chain step (KDF_CK) of its sending chain and draws nothing (the nonces are
 *       synthetic). A chain holds at most 1,000 messages: after {@value #RUN} calls the sender
 *       starts again from a copy of its first state (one {@code RatchetState.copy()} per
 *       {@value #RUN} calls, measured).
 *   <li>{@code decrypt1KiB}, {@code decrypt16KiB}: the other side decrypts, in order, a pool of
 *       {@value #POOL} messages of its current receiving chain, made and checked before each
 *       iteration, and commits each {@code Received.next()}. {@code DoubleRatchet.decrypt} never
 *       changes the state it is given, so at the end of the pool the receiver goes back to the
 *       state it had before the pool's first message (a reference assignment, and {@code @Setup}
 *       checks that this state is unchanged). Every decryption is therefore of a message that
 *       its state has not received: the normal in-order path (opened with HKr), never a replay.
 *   <li>{@code alternating1KiB}, {@code alternating16KiB}: the sides take turns. One operation is
 *       one message: encrypted by one side, decrypted by the other (which commits it). Every
 *       message is a DH step: its sender does the sending half (a new ratchet key, drawn from a
 *       deterministic stream, and a new sending chain), its receiver the receiving half (a new
 *       receiving chain). Nothing is pooled: every message is new.
 *   <li>{@code alternatingEncrypt1KiB}, {@code alternatingEncrypt16KiB}: the sending half of that
 *       operation alone: encrypt by a side that has just received, on a copy of the same state
 *       each time ({@code RatchetState.copy()}, measured).
 *   <li>{@code alternatingDecrypt1KiB}, {@code alternatingDecrypt16KiB}: the receiving half alone:
 *       one message that starts a new receiving chain, decrypted from the same state each time
 *       without committing (which is exactly the work of a committed decryption, since decrypt
 *       works on a copy). So alternating ≈ alternatingEncrypt + alternatingDecrypt.
 *   <li>{@code serialize}, {@code restore}: {@code RatchetState.serialize()} and
 *       {@code RatchetState.parse(bytes)} of a mid-conversation state: both sides have sent and
 *       received, and the state holds 3 skipped message keys (its encoded form is
 *       {@value #MID_CONVERSATION_STATE_LENGTH} bytes). Restoring computes nothing: the public
 *       ratchet key is recomputed at the next send, so {@code restore} has no floor.
 * </ul>
 *
 * <h2>The floors</h2>
 *
 * <p>HMAC and HKDF below are {@code Hmac.sha256} and {@code Hkdf.derive}, AEAD is
 * {@code Aead.seal} / {@code Aead.open} (ChaCha20-Poly1305), X25519 is {@code X25519.agree} and
 * {@code X25519.publicKey}. An HKDF of L bytes is one HMAC for Extract and ceil(L / 32) for
 * Expand. The floors contain no randomness, no encoding or parsing, no framing and no state.
 * Their inputs are those of real messages ({@link RatchetFloor.Conversation}), and
 * {@code @Setup} checks each floor's result against the protocol's message byte for byte.
 *
 * <ul>
 *   <li>{@code encryptFloor1KiB}, {@code encryptFloor16KiB}, what {@code encrypt} must compute
 *       ({@link RatchetFloor#seal}):
 *       <ol>
 *         <li>KDF_CK: HMAC(CKs, {@code Labels.RATCHET_CHAIN_KEY}) and HMAC(CKs,
 *             {@code Labels.RATCHET_MESSAGE_KEY});
 *         <li>the synthetic IV: SK = HMAC(MK, {@code Labels.RATCHET_SIV}), then HMAC(SK, AD || 0x02
 *             || header || plaintext), of which 12 bytes are kept (one {@code Arrays.copyOf});
 *         <li>AEAD seal of the 42-byte header under HKs, with the siv as nonce and the 32-byte AD;
 *         <li>the mailbox tag: HMAC(TKs, {@code Labels.RATCHET_TAG} || n as u32);
 *         <li>MESSAGE_KEYS: HKDF(salt = siv, ikm = MK, info = {@code Labels.RATCHET_MESSAGE}, 44
 *             bytes), i.e. 3 HMACs;
 *         <li>AEAD seal of the payload under the first 32 bytes of that, with the last 12 as
 *             nonce, and the 103-byte AD || 0x02 || siv || encrypted_header as associated data
 *             (precomputed from the real message). The two {@code Arrays.copyOf} that split the
 *             44 bytes are in the floor, since {@code Aead} takes the key and the nonce as arrays
 *             of their own.
 *       </ol>
 *   <li>{@code decryptFloor1KiB}, {@code decryptFloor16KiB}, what {@code decrypt} must compute for a
 *       message of the current receiving chain ({@link RatchetFloor#open}): AEAD open of the
 *       58-byte encrypted header under HKr with the message's siv as nonce; the message's mailbox
 *       tag TAG(TKr, n) (1 HMAC), which {@code decrypt} returns in {@code Received.tag()} for the
 *       envelope layer's tag check; KDF_CK of CKr (2 HMACs); MESSAGE_KEYS (HKDF, 44 bytes, salt
 *       siv); AEAD open of the payload with the 103-byte associated data. The receiver does not
 *       recompute the siv. It cycles through {@value #POOL} distinct messages of one chain (each
 *       with its own chain key and siv), so that it reads as much memory as {@code decrypt}.
 *   <li>{@code alternatingEncryptFloor1KiB}, {@code alternatingEncryptFloor16KiB}: the sending
 *       half of a DH step, then the encrypt floor in the new chain: the new ratchet key's public
 *       half (X25519(k, 9)), an agreement (new private, DHr) and KDF_RK = HKDF(salt = RK, ikm =
 *       the DH output, info = {@code Labels.RATCHET_ROOT}, 128 bytes; 5 HMACs). Not in it: the
 *       draw of the 32-byte private key (the caller's random source).
 *   <li>{@code alternatingDecryptFloor1KiB}, {@code alternatingDecryptFloor16KiB}: the receiving
 *       half of a DH step around the decrypt floor: after the header opens, an agreement (DHs
 *       private, the new DHr) and KDF_RK for the new receiving chain. Not in it: the failed
 *       attempt to open the header under HKr that {@code DoubleRatchet.decrypt} without a hint
 *       makes for every message that starts a new chain (the session layer passes the header
 *       key its tag names, and saves it); {@code headerTrialOpenFailure} measures that attempt
 *       alone.
 *   <li>{@code alternatingFloor1KiB}, {@code alternatingFloor16KiB}: the alternating-encrypt floor,
 *       then the alternating-decrypt floor, on the same message.
 *   <li>{@code headerTrialOpenFailure}: not a floor but a measured component: an
 *       {@code Aead.open} of a 58-byte encrypted header under a key that does not open it, as
 *       {@code DoubleRatchet} tries and rejects one header key (the exception included).
 * </ul>
 *
 * <p>Every input comes from {@link TestRandom#deterministic}; {@code @Setup} checks that the
 * messages decrypt to their plaintexts and open with the expected key, that the floors give the
 * protocol's message keys, synthetic IVs, encrypted headers, tags and bodies, and that the state
 * round-trips.
 *
 * <p>On 2 cores the 16 KiB benchmarks vary by 10 % or more between forks. To compare a ratio with
 * a target, run several forks ({@code -f 3} or more) on an idle machine and compare the medians.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RatchetBenchmark {
  static final int KIB = 1024;
  /** Messages that the decrypt benchmarks (and their floor) cycle through. */
  static final int POOL = 64;
  /** Encryptions in one chain before {@link EncryptStream} starts again (a chain holds at most 1,000). */
  static final int RUN = 990;
  /** The length of the serialised state of {@link MidConversation}: 475 bytes of fields and 84 per skipped key. */
  static final int MID_CONVERSATION_STATE_LENGTH = 475 + 3 * 84;

  /** Two sides of a fresh session, without a handshake, both driven by one random source. */
  static final class Pair {
    final RandomSource random;
    RatchetState a;
    RatchetState b;

    Pair(RandomSource random) throws SottoException {
      this.random = random;
      DoubleRatchet.Init init = new DoubleRatchet.Init(random.bytes(32), new Secret.RootKey(random.bytes(32)),
          new Secret.HeaderKey(random.bytes(32)), new Secret.HeaderKey(random.bytes(32)),
          new Secret.TagKey(random.bytes(32)), new Secret.TagKey(random.bytes(32)));
      byte[] signedPrekey = X25519.generatePrivateKey(random);
      a = DoubleRatchet.initiator(init, X25519.publicKey(signedPrekey), random);
      b = DoubleRatchet.responder(init, signedPrekey);
    }

    RatchetState sender(boolean fromA) {
      return fromA ? a : b;
    }

    RatchetState receiver(boolean fromA) {
      return fromA ? b : a;
    }

    /** One message from A (or B), delivered and committed. */
    DoubleRatchet.Received send(boolean fromA, byte[] plaintext) throws SottoException {
      DoubleRatchet.Sent sent = DoubleRatchet.encrypt(sender(fromA), plaintext, random);
      DoubleRatchet.Received received = DoubleRatchet.decrypt(receiver(fromA), sent.message());
      if (fromA) {
        b = received.next();
      } else {
        a = received.next();
      }
      return received;
    }

    /** {@link #send}, checked: the plaintext comes back, opened with the expected header key. */
    DoubleRatchet.Received sendChecked(boolean fromA, byte[] plaintext, DoubleRatchet.Opened expected)
        throws SottoException {
      DoubleRatchet.Received received = send(fromA, plaintext);
      checkReceived(received, plaintext, expected);
      return received;
    }

    /** Alternating messages A to B, B to A, ... {@code messages} times, each a DH step. */
    void alternate(int messages, byte[] plaintext) throws SottoException {
      for (int i = 0; i < messages; i++) {
        sendChecked(i % 2 == 0, plaintext, DoubleRatchet.Opened.NEXT);
      }
    }
  }

  static void checkReceived(DoubleRatchet.Received received, byte[] plaintext, DoubleRatchet.Opened expected) {
    Fixtures.check(Arrays.equals(plaintext, received.plaintext()), "the ratchet message decrypts to its plaintext");
    Fixtures.check(received.openedWith() == expected,
        "the header opened with " + received.openedWith() + ", expected " + expected);
  }

  static void checkLength(byte[] message, int payload) {
    Fixtures.check(message.length == RatchetMessage.OVERHEAD + payload, "a ratchet message is 87 bytes longer than its plaintext");
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol: one direction, chain steps only.

  /**
   * A sender whose every encrypt is a chain step. A chain holds at most 1,000 messages, so after
   * {@value #RUN} encryptions the sender goes back to a copy of its state at the start
   * ({@code RatchetState.copy()}, inside the measured time once per {@value #RUN} operations).
   */
  public abstract static class EncryptStream {
    RandomSource random;
    /** The sender after the 2nd message of its chain. */
    RatchetState start;
    RatchetState sender;
    byte[] plaintext;
    int sent;

    void setUp(int size) throws SottoException {
      Pair p = new Pair(Fixtures.random("ratchet/encrypt/" + size));
      plaintext = p.random.bytes(size);
      // Ends with a message from A: A's next messages are chain steps of B's current receiving chain.
      p.alternate(3, plaintext);
      DoubleRatchet.Sent first = DoubleRatchet.encrypt(p.a, plaintext, p.random);
      checkLength(first.message(), size);
      checkReceived(DoubleRatchet.decrypt(p.b, first.message()), plaintext, DoubleRatchet.Opened.CURRENT);
      random = p.random;
      start = p.a;
      byte[] before = start.serialize();
      RatchetState s = start.copy();
      for (int i = 0; i < RUN; i++) {
        DoubleRatchet.encrypt(s, plaintext, random);
      }
      Fixtures.check(Arrays.equals(before, start.serialize()), "encrypting on a copy leaves the start unchanged");
      sender = start.copy();
      sent = 0;
    }

    DoubleRatchet.Sent encrypt() throws SottoException {
      if (sent == RUN) {
        sender = start.copy();
        sent = 0;
      }
      sent++;
      return DoubleRatchet.encrypt(sender, plaintext, random);
    }
  }

  @State(Scope.Thread)
  public static class Encrypt1KiB extends EncryptStream {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class Encrypt16KiB extends EncryptStream {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(16 * KIB);
    }
  }

  /**
   * A receiver and a pool of {@value #POOL} messages of its current receiving chain, in order,
   * made anew before each iteration; at the end of the pool it starts again from {@link #start}.
   */
  public abstract static class DecryptStream {
    RandomSource random;
    byte[] plaintext;
    /** The receiver's state before the pool's first message; decrypt never changes it. */
    RatchetState start;
    RatchetState receiver;
    byte[][] pool;
    int next;

    void trial(int size) {
      random = Fixtures.random("ratchet/decrypt/" + size);
      plaintext = random.bytes(size);
    }

    void iteration(int size) throws SottoException {
      Pair p = new Pair(random);
      // Ends with a message from A: A's next messages are chain steps of B's current receiving chain.
      p.alternate(3, plaintext);
      pool = new byte[POOL][];
      for (int i = 0; i < POOL; i++) {
        pool[i] = DoubleRatchet.encrypt(p.a, plaintext, random).message();
        checkLength(pool[i], size);
      }
      start = p.b;
      byte[] before = start.serialize();
      RatchetState r = start;
      for (byte[] message : pool) {
        DoubleRatchet.Received received = DoubleRatchet.decrypt(r, message);
        checkReceived(received, plaintext, DoubleRatchet.Opened.CURRENT);
        r = received.next();
      }
      Fixtures.check(Arrays.equals(before, start.serialize()), "decrypt leaves the state it is given unchanged");
      receiver = start;
      next = 0;
    }

    byte[] decrypt() throws SottoException {
      if (next == POOL) {
        next = 0;
        receiver = start;
      }
      DoubleRatchet.Received received = DoubleRatchet.decrypt(receiver, pool[next++]);
      receiver = received.next();
      return received.plaintext();
    }
  }

  @State(Scope.Thread)
  public static class Decrypt1KiB extends DecryptStream {
    @Setup(Level.Trial)
    public void setUpTrial() {
      trial(KIB);
    }

    @Setup(Level.Iteration)
    public void setUpIteration() throws SottoException {
      iteration(KIB);
    }
  }

  @State(Scope.Thread)
  public static class Decrypt16KiB extends DecryptStream {
    @Setup(Level.Trial)
    public void setUpTrial() {
      trial(16 * KIB);
    }

    @Setup(Level.Iteration)
    public void setUpIteration() throws SottoException {
      iteration(16 * KIB);
    }
  }

  /** A chain step of the sending chain: see the class comment. */
  @Benchmark
  public DoubleRatchet.Sent encrypt1KiB(Encrypt1KiB s) throws SottoException {
    return s.encrypt();
  }

  @Benchmark
  public DoubleRatchet.Sent encrypt16KiB(Encrypt16KiB s) throws SottoException {
    return s.encrypt();
  }

  /** A chain step of the receiving chain, committed: see the class comment. */
  @Benchmark
  public byte[] decrypt1KiB(Decrypt1KiB s) throws SottoException {
    return s.decrypt();
  }

  @Benchmark
  public byte[] decrypt16KiB(Decrypt16KiB s) throws SottoException {
    return s.decrypt();
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol: alternating, a DH step per message.

  /** Two sides in steady alternation: each has received before, so each receive is a DH step from a current chain. */
  public abstract static class Alternating {
    Pair pair;
    byte[] plaintext;
    boolean fromA = true;

    void setUp(int size) throws SottoException {
      pair = new Pair(Fixtures.random("ratchet/alternating/" + size));
      plaintext = pair.random.bytes(size);
      // The first two messages are the first receive of each side (no HKr yet); the rest are steady.
      pair.alternate(6, plaintext);
      fromA = true;
    }

    DoubleRatchet.Received op() throws SottoException {
      DoubleRatchet.Received received = pair.send(fromA, plaintext);
      fromA = !fromA;
      return received;
    }
  }

  @State(Scope.Thread)
  public static class Alternating1KiB extends Alternating {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class Alternating16KiB extends Alternating {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(16 * KIB);
    }
  }

  /**
   * A sender in steady alternation that has just received (a new receiving chain, no ratchet key):
   * its next encrypt does the sending half of the DH step. Each operation encrypts on a copy of
   * that state ({@code RatchetState.copy()}, inside the measured time) and draws a new ratchet
   * key from one deterministic stream.
   */
  public abstract static class DhSend {
    RandomSource random;
    RatchetState sender;
    byte[] plaintext;

    void setUp(int size) throws SottoException {
      Pair p = new Pair(Fixtures.random("ratchet/dh-send/" + size));
      plaintext = p.random.bytes(size);
      // Ends with a message from B: A has just taken a DH step on receipt.
      p.alternate(6, plaintext);
      random = p.random;
      sender = p.a;
      Fixtures.check(DoubleRatchet.startsSendingChain(sender), "the sender's next message starts a sending chain");
      byte[] before = sender.serialize();
      for (int i = 0; i < 2; i++) {
        DoubleRatchet.Sent sent = encrypt();
        checkLength(sent.message(), size);
        checkReceived(DoubleRatchet.decrypt(p.b, sent.message()), plaintext, DoubleRatchet.Opened.NEXT);
      }
      Fixtures.check(Arrays.equals(before, sender.serialize()), "encrypting on a copy leaves the state unchanged");
    }

    DoubleRatchet.Sent encrypt() throws SottoException {
      return DoubleRatchet.encrypt(sender.copy(), plaintext, random);
    }
  }

  @State(Scope.Thread)
  public static class DhSend1KiB extends DhSend {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class DhSend16KiB extends DhSend {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(16 * KIB);
    }
  }

  /** A receiver in steady alternation and the message that starts its next receiving chain. */
  public abstract static class DhStep {
    RandomSource random;
    RatchetState receiver;
    byte[] message;

    void setUp(int size) throws SottoException {
      Pair p = new Pair(Fixtures.random("ratchet/dh-step/" + size));
      byte[] plaintext = p.random.bytes(size);
      p.alternate(6, plaintext);
      random = p.random;
      receiver = p.b;
      message = DoubleRatchet.encrypt(p.a, plaintext, random).message();
      checkLength(message, size);
      byte[] before = receiver.serialize();
      for (int i = 0; i < 2; i++) {
        checkReceived(DoubleRatchet.decrypt(receiver, message), plaintext, DoubleRatchet.Opened.NEXT);
      }
      Fixtures.check(Arrays.equals(before, receiver.serialize()), "decrypt leaves the state it is given unchanged");
    }
  }

  @State(Scope.Thread)
  public static class DhStep1KiB extends DhStep {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class DhStep16KiB extends DhStep {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(16 * KIB);
    }
  }

  /** One message, sent by one side and received (a DH step) and committed by the other; sides alternate. */
  @Benchmark
  public DoubleRatchet.Received alternating1KiB(Alternating1KiB s) throws SottoException {
    return s.op();
  }

  @Benchmark
  public DoubleRatchet.Received alternating16KiB(Alternating16KiB s) throws SottoException {
    return s.op();
  }

  /** The sending half of {@link #alternating1KiB}: a new ratchet key and sending chain, then the message. */
  @Benchmark
  public DoubleRatchet.Sent alternatingEncrypt1KiB(DhSend1KiB s) throws SottoException {
    return s.encrypt();
  }

  @Benchmark
  public DoubleRatchet.Sent alternatingEncrypt16KiB(DhSend16KiB s) throws SottoException {
    return s.encrypt();
  }

  /** The receiving half of {@link #alternating1KiB}: a DH step, from the same state each time. */
  @Benchmark
  public DoubleRatchet.Received alternatingDecrypt1KiB(DhStep1KiB s) throws SottoException {
    return DoubleRatchet.decrypt(s.receiver, s.message);
  }

  @Benchmark
  public DoubleRatchet.Received alternatingDecrypt16KiB(DhStep16KiB s) throws SottoException {
    return DoubleRatchet.decrypt(s.receiver, s.message);
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol: state.

  /** A mid-conversation state with 3 skipped keys, and its byte form. */
  @State(Scope.Thread)
  public static class MidConversation {
    RatchetState state;
    byte[] serialized;

    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      Pair p = new Pair(Fixtures.random("ratchet/state"));
      byte[] plaintext = p.random.bytes(100);
      p.alternate(4, plaintext);
      byte[][] sent = new byte[6][];
      for (int i = 0; i < sent.length; i++) {
        sent[i] = DoubleRatchet.encrypt(p.a, plaintext, p.random).message();
      }
      // Messages 1, 3 and 4 are late: B stores their keys.
      for (int i : new int[] {0, 2, 5}) {
        DoubleRatchet.Received received = DoubleRatchet.decrypt(p.b, sent[i]);
        checkReceived(received, plaintext, i == 0 ? DoubleRatchet.Opened.NEXT : DoubleRatchet.Opened.CURRENT);
        p.b = received.next();
      }
      p.sendChecked(false, plaintext, DoubleRatchet.Opened.NEXT);
      state = p.b;
      Fixtures.check(state.toString().contains("skipped=3,"), "the state holds 3 skipped keys: " + state);
      serialized = state.serialize();
      Fixtures.check(serialized.length == MID_CONVERSATION_STATE_LENGTH,
          "the state is " + MID_CONVERSATION_STATE_LENGTH + " bytes, not " + serialized.length);
      Fixtures.check(Arrays.equals(serialized, RatchetState.parse(serialized).serialize()), "the state round-trips");
    }
  }

  @Benchmark
  public byte[] serialize(MidConversation s) {
    return s.state.serialize();
  }

  @Benchmark
  public RatchetState restore(MidConversation s) throws SottoException {
    return RatchetState.parse(s.serialized);
  }

  // ---------------------------------------------------------------------------------------------
  // Floors.

  /**
   * The floors' inputs, from a real conversation ({@link RatchetFloor.Conversation}, checked
   * against the protocol there): message 0 of a chain for the encrypt floor, {@value #POOL}
   * messages of that chain for the decrypt floor, and a message that starts a new chain (a DH
   * step) with the two halves of its step.
   */
  public abstract static class FloorInputs {
    RatchetFloor.Outgoing outgoing;
    RatchetFloor.Incoming[] pool;
    RatchetFloor.Outgoing dhOutgoing;
    RatchetFloor.Incoming dhIncoming;
    RatchetFloor.DhStep dhStep;
    int next;
    // headerTrialOpenFailure.
    byte[] wrongHeaderKey;

    void setUp(int size) throws SottoException {
      String label = "ratchet/floor/" + size;
      RandomSource random = Fixtures.random(label);
      byte[][] plaintexts = new byte[POOL][];
      for (int i = 0; i < POOL; i++) {
        plaintexts[i] = random.bytes(size);
      }
      RatchetFloor.Conversation c = new RatchetFloor.Conversation(label + "/conversation", plaintexts, random.bytes(size));
      outgoing = c.outgoing[0];
      pool = c.incoming;
      dhOutgoing = c.dhOutgoing;
      dhIncoming = c.dhIncoming;
      dhStep = c.dhStep;
      wrongHeaderKey = random.bytes(Secret.LENGTH);
      Fixtures.check(!Arrays.equals(wrongHeaderKey, pool[0].keys().headerKey()), "the wrong header key is wrong");
      Fixtures.check(!headerTrialOpens(this), "the wrong header key does not open the header");
      Fixtures.check(pool[0].body().length == size + Aead.TAG_LENGTH, "a body is 16 bytes longer than its plaintext");
    }

    int nextIndex() {
      if (next == POOL) {
        next = 0;
      }
      return next++;
    }
  }

  @State(Scope.Thread)
  public static class Floor1KiB extends FloorInputs {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class Floor16KiB extends FloorInputs {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(16 * KIB);
    }
  }

  static boolean headerTrialOpens(FloorInputs f) {
    try {
      return Aead.open(f.wrongHeaderKey, f.pool[0].siv(), f.pool[0].keys().ad(), f.pool[0].encryptedHeader()) != null;
    } catch (SottoException e) {
      return false;
    }
  }

  /** See the class comment and {@link RatchetFloor#seal}: message 0 of a chain. */
  @Benchmark
  public byte[] encryptFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.seal(f.outgoing, null, bh);
  }

  @Benchmark
  public byte[] encryptFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.seal(f.outgoing, null, bh);
  }

  /** See the class comment and {@link RatchetFloor#open}: the next message of the pool. */
  @Benchmark
  public byte[] decryptFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.open(f.pool[f.nextIndex()], null, bh);
  }

  @Benchmark
  public byte[] decryptFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.open(f.pool[f.nextIndex()], null, bh);
  }

  /** The sender's half of a DH step, then the message that starts the new sending chain. */
  @Benchmark
  public byte[] alternatingEncryptFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.seal(f.dhOutgoing, f.dhStep, bh);
  }

  @Benchmark
  public byte[] alternatingEncryptFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.seal(f.dhOutgoing, f.dhStep, bh);
  }

  /** The receiver's half of a DH step, around the opening of the message that starts the new receiving chain. */
  @Benchmark
  public byte[] alternatingDecryptFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.open(f.dhIncoming, f.dhStep, bh);
  }

  @Benchmark
  public byte[] alternatingDecryptFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    return RatchetFloor.open(f.dhIncoming, f.dhStep, bh);
  }

  /** {@code alternatingEncryptFloor} then {@code alternatingDecryptFloor}: one message of a steady alternation. */
  @Benchmark
  public byte[] alternatingFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    bh.consume(RatchetFloor.seal(f.dhOutgoing, f.dhStep, bh));
    return RatchetFloor.open(f.dhIncoming, f.dhStep, bh);
  }

  @Benchmark
  public byte[] alternatingFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    bh.consume(RatchetFloor.seal(f.dhOutgoing, f.dhStep, bh));
    return RatchetFloor.open(f.dhIncoming, f.dhStep, bh);
  }

  /** One rejected header key: what a DH-step message costs its receiver for trying HKr first. */
  @Benchmark
  public boolean headerTrialOpenFailure(Floor1KiB f) {
    return headerTrialOpens(f);
  }
}
