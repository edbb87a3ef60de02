package dev.sotto.benchmarks;

import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.envelope.Content;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
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
 * Sessions (spec: envelope.adoc#session), through the public API {@link Session#seal} and
 * {@link Session#open}, against their <em>primitive floor</em>: the raw HMAC-SHA-256,
 * HKDF-SHA-256 and ChaCha20-Poly1305 operations that the ratchet must do for the same envelopes,
 * called through {@code dev.sotto.internal.crypto} on inputs of the same lengths, with no
 * protocol code around them. The ratio protocol / floor is the cost of everything else.
 *
 * <h2>Sizes</h2>
 *
 * <p>Payloads of 100 B, 1 KiB, 16 KiB and 1 MiB. A payload goes into the smallest bucket whose
 * content (the bucket minus {@value #ENVELOPE_OVERHEAD} bytes: the 17-byte envelope header and
 * the 87-byte ratchet overhead) holds it and its 5-byte whole-content header: 100 B into a 1 KiB
 * envelope, 1 KiB into a 4 KiB one, and 16 KiB, which is 109 bytes too large for a 16 KiB
 * envelope, into a 64 KiB one. 1 MiB is chunked into 17 envelopes of 64 KiB (16 × 65,419 bytes
 * of data and a last chunk of 1,872). {@code @Setup} checks these shapes on the protocol's
 * output.
 *
 * <h2>The protocol benchmarks</h2>
 *
 * <p>A pair of sessions is made as an application makes it: Alice initiates to a card of Bob's,
 * Bob accepts the first-contact envelope and answers once, and Alice opens the answer (so her
 * session is answered and sends no copies of its first contact). Then only Alice sends, so every
 * envelope is a chain step (KDF_CK) of one chain: no DH ratchet step is measured. A chain holds at
 * most 1,000 messages (revision 2), which bounds the pools and runs below.
 *
 * <ul>
 *   <li>{@code seal100B} … {@code seal1MiB}: {@code Session.seal} of the payload, again and again
 *       on the same session; one operation is one payload (17 envelopes for 1 MiB). It draws
 *       nothing (the nonces are synthetic). After {@link Shape#sealRun} payloads (998, or 56 for
 *       1 MiB) the chain is nearly full, and Alice's session is restored from its serialised form
 *       taken after 2 payloads; that restore (and the X25519 public key the next seal recomputes)
 *       is inside the measured time, once per run.
 *   <li>{@code open100B} … {@code open1MiB}: {@code Session.open} of all the envelopes of one
 *       payload, in order, returning the payload. An envelope opens only once (its tag is then no
 *       longer expected), so before each iteration a fresh pair of sessions seals a pool of
 *       payloads, and {@code @Setup} checks that the pool opens, in order, to the payloads, on an
 *       exact copy of the receiver. When the benchmark reaches the end of the pool, it restores
 *       the receiver from its serialised form taken before the pool's first envelope
 *       ({@code Session.restore}, an exact copy) and starts the pool again; that restore is inside
 *       the measured time, once per {@link Shape#poolPayloads} operations (see {@code restore}
 *       for its cost). Every open is of the next message of the receiving chain: the tag check
 *       finds its tag with the first HMAC (see {@code tagCheckNext}).
 *   <li>{@code serialize}, {@code restore}: {@code Session.serialize()} and
 *       {@code Session.restore(bytes)} of Bob's session in mid-conversation: both sides have sent
 *       and received, Bob's ratchet holds 3 skipped message keys, no chunked payload is pending;
 *       the state is {@value #MID_CONVERSATION_SESSION_LENGTH} bytes.
 * </ul>
 *
 * <h2>The floors</h2>
 *
 * <p>{@code sealFloor100B} … {@code sealFloor1MiB} and {@code openFloor100B} …
 * {@code openFloor1MiB}: for each envelope of the payload (1, or 17 for 1 MiB), what the
 * ratchet must compute ({@link RatchetFloor#seal}, {@link RatchetFloor#open}), with
 * {@code Hmac.sha256}, {@code Hkdf.derive} and {@code Aead}:
 *
 * <ol>
 *   <li>KDF_CK: HMAC(CK, "sotto/v1/ratchet/chain-key") and HMAC(CK, "sotto/v1/ratchet/message-key");
 *   <li>on seal only, the synthetic IV: SK = HMAC(MK, "sotto/v2/ratchet/siv"), then HMAC(SK, AD ||
 *       0x02 || header || padded content), cut to 12 bytes (the receiver does not recompute it);
 *   <li>AEAD seal (open) of the 42-byte header (58 bytes sealed) under the header key, with the
 *       siv as nonce and the session's 32-byte AD;
 *   <li>the mailbox tag: HMAC(TK, "sotto/v1/ratchet/tag" || n as u32);
 *   <li>the message key material: HKDF(salt = siv, ikm = MK, info = "sotto/v2/ratchet/body", 44
 *       bytes), 3 HMACs, split into a 32-byte key and a 12-byte nonce ({@code Arrays.copyOf});
 *   <li>AEAD seal (open) of the <em>padded content</em> with the 103-byte AD || 0x02 || siv ||
 *       encrypted_header as associated data.
 * </ol>
 *
 * <p>The synthetic IV's HMAC and the last AEAD run over the whole padded content (the bucket minus
 * 104 bytes: 920, 3,992 and 65,432 bytes), not over the payload: the zeros that hide a payload's
 * size are authenticated and encrypted like the payload, so the padding is part of the floor; it
 * is part of the cost of hiding sizes, not an overhead of the implementation. A 16 KiB payload
 * thus costs an HMAC and an AEAD of 65,432 bytes, four times its length.
 *
 * <p>The floors contain no randomness, no encoding, padding or parsing, no framing, no copies of
 * the content and no state: the padded contents, and each message's body AD (which depends on its
 * siv), are made in {@code @Setup}. Their inputs are real messages of one chain carrying the
 * padded contents, and {@code @Setup} checks each floor's result against the protocol's message
 * byte for byte ({@link RatchetFloor.Conversation}). The open floors cycle through as many
 * distinct sealed envelopes as the protocol's pool holds, so that both read the same amount of
 * memory.
 *
 * <h2>Components</h2>
 *
 * <p>Not floors, but parts of {@code open} measured alone, on Bob's session after a few
 * payloads (no skipped keys): {@code tagCheckNext} is {@code DoubleRatchet.matchTag} (what
 * Session.open calls) for the tag of the next message, the check {@code Session.open} makes
 * before decrypting (nearest message numbers first: one HMAC, whose tag the decryption then
 * reuses); {@code tagCheckUnknown} is the same check for a tag that is not
 * expected, which computes every watched tag ({@link Session#TAG_WINDOW} tags of the current and
 * of the next receiving chain and their anchors: {@value #WATCHED_TAGS} HMACs) and is what every
 * envelope with an unknown tag costs before it is rejected; {@code sessionTags} is
 * {@code Session.tags()}, the watched tags as an application asks for them ({@value #WATCHED_TAGS}
 * HMACs).
 *
 * <p>Every input comes from {@link TestRandom#deterministic}; {@code @Setup} checks the
 * envelopes' number and lengths, that they open to their payloads, that the floors' inputs have
 * the protocol's lengths and that the floors round-trip, and that the session state round-trips.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EnvelopeBenchmark {
  static final int KIB = 1024;
  /** What an envelope adds to its padded content: the envelope header (17) and the ratchet overhead (87). */
  static final int ENVELOPE_OVERHEAD = Envelope.HEADER_LENGTH + RatchetMessage.OVERHEAD;
  /** The length of {@link MidConversation}'s serialised session. */
  static final int MID_CONVERSATION_SESSION_LENGTH = 811;
  /**
   * The tags {@link TagWindow}'s session watches: in its current receiving chain (next message 3),
   * messages 3 to 34 and the anchors 64, 96, ..., 992 and 999 (63); in the next chain, messages 0
   * to 31 and the anchors 32, ..., 992 and 999 (64).
   */
  static final int WATCHED_TAGS = 63 + 64;

  /**
   * A benchmarked payload size: its envelopes' bucket, how many envelopes, and how many payloads an
   * open pool holds (all in one sending chain, which holds at most 1,000 messages).
   */
  enum Shape {
    B100(100, 1024, 1, 960),
    KIB1(KIB, 4096, 1, 960),
    KIB16(16 * KIB, 65536, 1, 512),
    MIB1(KIB * KIB, 65536, 17, 32);

    final int payload;
    final int bucket;
    final int envelopes;
    final int poolPayloads;

    Shape(int payload, int bucket, int envelopes, int poolPayloads) {
      this.payload = payload;
      this.bucket = bucket;
      this.envelopes = envelopes;
      this.poolPayloads = poolPayloads;
    }

    /** Payloads sealed from one state of the sender, in one chain that already holds 2 payloads. */
    int sealRun() {
      return (RatchetState.MAX_CHAIN - 2 * envelopes) / envelopes;
    }

    /** The padded content of each envelope: what the body AEAD runs over. */
    int content() {
      return bucket - ENVELOPE_OVERHEAD;
    }
  }

  /**
   * Alice and Bob after a first contact from Alice, accepted by Bob, and Bob's answer, opened by
   * Alice: her session is answered (it no longer sends its first-contact envelope again) and her
   * next payload starts a new sending chain. One random source drives both.
   */
  static final class Conversation {
    final RandomSource random;
    final Session alice;
    final Session bob;

    Conversation(RandomSource random) throws SottoException {
      this.random = random;
      Identity a = Identity.fromSeed(IdentitySeed.generate(random));
      Identity b = Identity.fromSeed(IdentitySeed.generate(random));
      Card card = Card.builder(b).validity(Fixtures.CREATED, Fixtures.EXPIRES).issue(random);
      Responder responder = new Responder(b);
      responder.addCard(card);
      Prekeys prekeys = Prekeys.of(responder.issueBundle(card, Fixtures.CREATED, Fixtures.BUNDLE_EXPIRES, random));
      byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
      Session.Started started = Session.initiate(a, prekeys, Fixtures.NOW, hello, random);
      Fixtures.check(started.envelopes().size() == 1, "a short first payload is one envelope");
      Session.Accepted accepted = Session.accept(responder, started.envelopes().get(0).encoded(), Fixtures.NOW, random);
      Fixtures.check(Arrays.equals(hello, accepted.payload().orElseThrow()), "the first contact carries its payload");
      alice = started.session();
      bob = accepted.session();
      send(false, hello);
    }

    /** Seals {@code payload} on one side and opens it on the other, checked; returns the envelopes. */
    List<Envelope> send(boolean fromAlice, byte[] payload) throws SottoException {
      List<Envelope> envelopes = (fromAlice ? alice : bob).seal(payload, random);
      checkOpens(fromAlice ? bob : alice, envelopes.stream().map(Envelope::encoded).toList(), payload, random);
      return envelopes;
    }
  }

  /** Opens {@code envelopes} in order on {@code receiver}: only the last one completes the payload. */
  static void checkOpens(Session receiver, List<byte[]> envelopes, byte[] payload, RandomSource random)
      throws SottoException {
    for (int i = 0; i < envelopes.size(); i++) {
      Optional<byte[]> opened = receiver.open(envelopes.get(i), random);
      if (i < envelopes.size() - 1) {
        Fixtures.check(opened.isEmpty(), "a chunk that is not the last one completes no payload");
      } else {
        Fixtures.check(opened.isPresent() && Arrays.equals(payload, opened.get()), "the envelopes open to the payload");
      }
    }
  }

  /** The protocol's shape for {@code shape}: the number and length of the envelopes of one payload. */
  static void checkShape(Shape shape, List<Envelope> envelopes) {
    Fixtures.check(envelopes.size() == shape.envelopes,
        shape.payload + " bytes take " + envelopes.size() + " envelopes, expected " + shape.envelopes);
    for (Envelope e : envelopes) {
      Fixtures.check(e.length() == shape.bucket,
          shape.payload + " bytes go into " + e.length() + "-byte envelopes, expected " + shape.bucket);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol: one direction, chain steps only.

  /**
   * Alice's session, whose every seal is a chain step. A chain holds at most 1,000 messages, so
   * after {@link Shape#sealRun} payloads Alice's session is restored from {@link #start}
   * ({@code Session.restore}, inside the measured time once per run; the next seal then
   * recomputes the public ratchet key, one X25519).
   */
  public abstract static class SealStream {
    RandomSource random;
    /** Alice's session after 2 payloads of her sending chain, serialised. */
    byte[] start;
    Session sender;
    byte[] payload;
    int run;
    int sealed;

    void setUp(Shape shape) throws SottoException {
      Conversation c = new Conversation(Fixtures.random("envelope/seal/" + shape.payload));
      payload = c.random.bytes(shape.payload);
      for (int i = 0; i < 2; i++) {
        checkShape(shape, c.send(true, payload));
      }
      random = c.random;
      start = c.alice.serialize();
      run = shape.sealRun();
      Session s = Session.restore(start);
      for (int i = 0; i < run; i++) {
        checkShape(shape, s.seal(payload, random));
      }
      sender = Session.restore(start);
      sealed = 0;
    }

    List<Envelope> seal() throws SottoException {
      if (sealed == run) {
        sender = Session.restore(start);
        sealed = 0;
      }
      sealed++;
      return sender.seal(payload, random);
    }
  }

  @State(Scope.Thread)
  public static class Seal100B extends SealStream {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.B100);
    }
  }

  @State(Scope.Thread)
  public static class Seal1KiB extends SealStream {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.KIB1);
    }
  }

  @State(Scope.Thread)
  public static class Seal16KiB extends SealStream {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.KIB16);
    }
  }

  @State(Scope.Thread)
  public static class Seal1MiB extends SealStream {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.MIB1);
    }
  }

  /**
   * Bob's session and a pool of {@link Shape#poolPayloads} payloads sealed by Alice, made anew by
   * a fresh pair of sessions before each iteration; at the end of the pool Bob's session is
   * restored from {@link #start}.
   */
  public abstract static class OpenStream {
    Shape shape;
    /** Makes the pairs of sessions: one stream for the trial, so that every iteration's pair is new. */
    RandomSource pairs;
    RandomSource random;
    /** Bob's session before the pool's first envelope, serialised. */
    byte[] start;
    Session receiver;
    /** The envelopes of the pool's payloads, in order. */
    byte[][] pool;
    int next;

    void trial(Shape shape) {
      this.shape = shape;
      pairs = Fixtures.random("envelope/open/" + shape.payload);
    }

    void iteration() throws SottoException {
      Conversation c = new Conversation(pairs);
      random = c.random;
      byte[][] payloads = new byte[shape.poolPayloads][];
      pool = new byte[shape.poolPayloads * shape.envelopes][];
      int n = 0;
      for (int p = 0; p < payloads.length; p++) {
        payloads[p] = random.bytes(shape.payload);
        List<Envelope> envelopes = c.alice.seal(payloads[p], random);
        checkShape(shape, envelopes);
        for (Envelope e : envelopes) {
          pool[n++] = e.encoded();
        }
      }
      start = c.bob.serialize();
      Fixtures.check(Arrays.equals(start, Session.restore(start).serialize()), "Session.restore is an exact copy");
      Session check = Session.restore(start);
      for (int p = 0; p < payloads.length; p++) {
        int from = p * shape.envelopes;
        checkOpens(check, Arrays.asList(pool).subList(from, from + shape.envelopes), payloads[p], random);
      }
      receiver = Session.restore(start);
      next = 0;
    }

    Optional<byte[]> open() throws SottoException {
      if (next == pool.length) {
        receiver = Session.restore(start);
        next = 0;
      }
      Optional<byte[]> payload = Optional.empty();
      for (int i = 0; i < shape.envelopes; i++) {
        payload = receiver.open(pool[next++], random);
      }
      return payload;
    }
  }

  @State(Scope.Thread)
  public static class Open100B extends OpenStream {
    @Setup(Level.Trial)
    public void setUpTrial() {
      trial(Shape.B100);
    }

    @Setup(Level.Iteration)
    public void setUpIteration() throws SottoException {
      iteration();
    }
  }

  @State(Scope.Thread)
  public static class Open1KiB extends OpenStream {
    @Setup(Level.Trial)
    public void setUpTrial() {
      trial(Shape.KIB1);
    }

    @Setup(Level.Iteration)
    public void setUpIteration() throws SottoException {
      iteration();
    }
  }

  @State(Scope.Thread)
  public static class Open16KiB extends OpenStream {
    @Setup(Level.Trial)
    public void setUpTrial() {
      trial(Shape.KIB16);
    }

    @Setup(Level.Iteration)
    public void setUpIteration() throws SottoException {
      iteration();
    }
  }

  @State(Scope.Thread)
  public static class Open1MiB extends OpenStream {
    @Setup(Level.Trial)
    public void setUpTrial() {
      trial(Shape.MIB1);
    }

    @Setup(Level.Iteration)
    public void setUpIteration() throws SottoException {
      iteration();
    }
  }

  /** One payload of 100 bytes: one 1 KiB envelope. */
  @Benchmark
  public List<Envelope> seal100B(Seal100B s) throws SottoException {
    return s.seal();
  }

  /** One payload of 1 KiB: one 4 KiB envelope. */
  @Benchmark
  public List<Envelope> seal1KiB(Seal1KiB s) throws SottoException {
    return s.seal();
  }

  /** One payload of 16 KiB: one 64 KiB envelope. */
  @Benchmark
  public List<Envelope> seal16KiB(Seal16KiB s) throws SottoException {
    return s.seal();
  }

  /** One payload of 1 MiB: 17 envelopes of 64 KiB. */
  @Benchmark
  public List<Envelope> seal1MiB(Seal1MiB s) throws SottoException {
    return s.seal();
  }

  @Benchmark
  public Optional<byte[]> open100B(Open100B s) throws SottoException {
    return s.open();
  }

  @Benchmark
  public Optional<byte[]> open1KiB(Open1KiB s) throws SottoException {
    return s.open();
  }

  @Benchmark
  public Optional<byte[]> open16KiB(Open16KiB s) throws SottoException {
    return s.open();
  }

  /** The 17 envelopes of one payload, reassembled. */
  @Benchmark
  public Optional<byte[]> open1MiB(Open1MiB s) throws SottoException {
    return s.open();
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol: state.

  /** Bob's session in mid-conversation, with 3 skipped keys, and its byte form. */
  @State(Scope.Thread)
  public static class MidConversation {
    Session session;
    byte[] serialized;

    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      Conversation c = new Conversation(Fixtures.random("envelope/state"));
      byte[] payload = c.random.bytes(100);
      c.send(false, payload);
      c.send(true, payload);
      c.send(false, payload);
      List<Envelope> sent = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        sent.addAll(c.alice.seal(payload, c.random));
      }
      // Envelopes 1, 3 and 4 are late: Bob keeps their keys.
      for (int i : new int[] {0, 2, 5}) {
        Fixtures.check(Arrays.equals(payload, c.bob.open(sent.get(i).encoded(), c.random).orElseThrow()),
            "an envelope opens out of order");
      }
      c.send(false, payload);
      session = c.bob;
      String ratchet = RatchetState.parse(session.ratchetState(dev.sotto.InsecureSecretAccess.get())).toString();
      Fixtures.check(ratchet.contains("skipped=3,"), "the session's ratchet holds 3 skipped keys: " + ratchet);
      serialized = session.serialize();
      Fixtures.check(serialized.length == MID_CONVERSATION_SESSION_LENGTH,
          "the session is " + MID_CONVERSATION_SESSION_LENGTH + " bytes, not " + serialized.length);
      Fixtures.check(Arrays.equals(serialized, Session.restore(serialized).serialize()), "the session round-trips");
    }
  }

  @Benchmark
  public byte[] serialize(MidConversation s) {
    return s.session.serialize();
  }

  @Benchmark
  public Session restore(MidConversation s) throws SottoException {
    return Session.restore(s.serialized);
  }

  // ---------------------------------------------------------------------------------------------
  // Components of open: the tag check.

  /** Bob's session after a few payloads, the tag of Alice's next envelope, and a tag it does not expect. */
  @State(Scope.Thread)
  public static class TagWindow {
    Session session;
    RatchetState ratchet;
    byte[] nextTag;
    byte[] unknownTag;

    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      Conversation c = new Conversation(Fixtures.random("envelope/tags"));
      byte[] payload = c.random.bytes(100);
      for (int i = 0; i < 3; i++) {
        c.send(true, payload);
      }
      session = c.bob;
      ratchet = RatchetState.parse(session.ratchetState(dev.sotto.InsecureSecretAccess.get()));
      nextTag = c.alice.seal(payload, c.random).get(0).tag();
      unknownTag = c.random.bytes(Envelope.TAG_LENGTH);
      List<byte[]> tags = session.tags();
      Fixtures.check(tags.size() == WATCHED_TAGS, "the window is " + WATCHED_TAGS + " tags: " + tags.size());
      Fixtures.check(Arrays.equals(tags.get(0), nextTag), "the next envelope's tag is the window's first");
      Fixtures.check(tags.stream().noneMatch(t -> Arrays.equals(t, unknownTag)), "the unknown tag is not in the window");
      Fixtures.check(DoubleRatchet.matchTag(ratchet, nextTag, Session.TAG_WINDOW) != null, "the next tag is expected");
      Fixtures.check(DoubleRatchet.matchTag(ratchet, unknownTag, Session.TAG_WINDOW) == null,
          "the unknown tag is not expected");
    }
  }

  /** The check Session.open makes before decrypting, for the next message: one HMAC. */
  @Benchmark
  public boolean tagCheckNext(TagWindow s) {
    return DoubleRatchet.matchTag(s.ratchet, s.nextTag, Session.TAG_WINDOW) != null;
  }

  /** The same check for a tag outside the window: {@value #WATCHED_TAGS} HMACs, then rejection. */
  @Benchmark
  public boolean tagCheckUnknown(TagWindow s) {
    return DoubleRatchet.matchTag(s.ratchet, s.unknownTag, Session.TAG_WINDOW) != null;
  }

  /** The tags an application watches: the whole window, computed on each call. */
  @Benchmark
  public List<byte[]> sessionTags(TagWindow s) {
    return s.session.tags();
  }

  // ---------------------------------------------------------------------------------------------
  // Floors.

  /**
   * The floors' inputs: the padded contents of one payload and a pool of
   * {@link Shape#poolPayloads} × {@link Shape#envelopes} real messages of one chain that carry
   * them, in turn ({@link RatchetFloor.Conversation}, checked against the protocol there). The
   * seal floor seals the first {@link Shape#envelopes} of them.
   */
  public abstract static class FloorInputs {
    Shape shape;
    /** The padded contents of the payload's envelopes (what seal's body AEAD runs over). */
    byte[][] contents;
    RatchetFloor.Outgoing[] outgoing;
    RatchetFloor.Incoming[] pool;
    int next;

    void setUp(Shape shape) throws SottoException {
      this.shape = shape;
      String label = "envelope/floor/" + shape.payload;
      RandomSource random = Fixtures.random(label);
      byte[] payload = random.bytes(shape.payload);
      contents = new byte[shape.envelopes][];
      if (shape.envelopes == 1) {
        contents[0] = Content.whole(payload).encode(shape.content());
      } else {
        int capacity = shape.content() - Content.CHUNK_OVERHEAD;
        for (int i = 0; i < shape.envelopes; i++) {
          byte[] data = Arrays.copyOfRange(payload, i * capacity, Math.min(payload.length, (i + 1) * capacity));
          contents[i] = Content.chunk(0, i, shape.envelopes, data).encode(shape.content());
        }
        Fixtures.check(shape.envelopes - 1 == (payload.length - 1) / capacity, "the chunks hold the payload exactly");
      }
      for (byte[] content : contents) {
        Fixtures.check(content.length + ENVELOPE_OVERHEAD == shape.bucket, "a padded content fills its bucket");
      }
      byte[][] plaintexts = new byte[shape.poolPayloads * shape.envelopes][];
      for (int i = 0; i < plaintexts.length; i++) {
        plaintexts[i] = contents[i % shape.envelopes];
      }
      RatchetFloor.Conversation c = new RatchetFloor.Conversation(label + "/conversation", plaintexts, null);
      outgoing = Arrays.copyOf(c.outgoing, shape.envelopes);
      pool = c.incoming;
      for (RatchetFloor.Incoming m : pool) {
        Fixtures.check(Envelope.HEADER_LENGTH + 1 + m.siv().length + m.encryptedHeader().length + m.body().length
            == shape.bucket, "a floor envelope has the bucket's length");
      }
    }

    int nextIndex() {
      if (next == pool.length) {
        next = 0;
      }
      return next++;
    }
  }

  @State(Scope.Thread)
  public static class Floor100B extends FloorInputs {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.B100);
      checkFloors(this);
    }
  }

  @State(Scope.Thread)
  public static class Floor1KiB extends FloorInputs {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.KIB1);
      checkFloors(this);
    }
  }

  @State(Scope.Thread)
  public static class Floor16KiB extends FloorInputs {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.KIB16);
      checkFloors(this);
    }
  }

  @State(Scope.Thread)
  public static class Floor1MiB extends FloorInputs {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(Shape.MIB1);
      checkFloors(this);
    }
  }

  /** The floors on the inputs: the seal floor's bodies open, and the open floor opens padded contents. */
  static void checkFloors(FloorInputs f) throws SottoException {
    Blackhole bh = RatchetFloor.blackhole();
    try {
      byte[] body = sealFloor(f, bh);
      Fixtures.check(Arrays.equals(body, f.pool[f.shape.envelopes - 1].body()), "the seal floor gives the protocol's body");
      Fixtures.check(Arrays.equals(openFloor(f, bh), f.contents[f.shape.envelopes - 1]), "the open floor opens padded contents");
      f.next = 0;
    } finally {
      RatchetFloor.evaporate(bh);
    }
  }

  /**
   * For each envelope of the payload ({@link RatchetFloor#seal}): 2 HMAC (KDF_CK), 2 HMAC (SIV),
   * AEAD seal (header), 1 HMAC (tag), HKDF 44, AEAD seal (padded content). Returns the last body.
   */
  static byte[] sealFloor(FloorInputs f, Blackhole bh) throws SottoException {
    byte[] body = null;
    for (RatchetFloor.Outgoing m : f.outgoing) {
      bh.consume(body);
      body = RatchetFloor.seal(m, null, bh);
    }
    return body;
  }

  /**
   * For each envelope of one payload, the next ones of the pool ({@link RatchetFloor#open}): AEAD
   * open (header), 1 HMAC (tag), 2 HMAC (KDF_CK), HKDF 44, AEAD open (padded content). Returns the
   * last content.
   */
  static byte[] openFloor(FloorInputs f, Blackhole bh) throws SottoException {
    byte[] content = null;
    for (int e = 0; e < f.shape.envelopes; e++) {
      bh.consume(content);
      content = RatchetFloor.open(f.pool[f.nextIndex()], null, bh);
    }
    return content;
  }

  @Benchmark
  public byte[] sealFloor100B(Floor100B f, Blackhole bh) throws SottoException {
    return sealFloor(f, bh);
  }

  @Benchmark
  public byte[] sealFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    return sealFloor(f, bh);
  }

  @Benchmark
  public byte[] sealFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    return sealFloor(f, bh);
  }

  @Benchmark
  public byte[] sealFloor1MiB(Floor1MiB f, Blackhole bh) throws SottoException {
    return sealFloor(f, bh);
  }

  @Benchmark
  public byte[] openFloor100B(Floor100B f, Blackhole bh) throws SottoException {
    return openFloor(f, bh);
  }

  @Benchmark
  public byte[] openFloor1KiB(Floor1KiB f, Blackhole bh) throws SottoException {
    return openFloor(f, bh);
  }

  @Benchmark
  public byte[] openFloor16KiB(Floor16KiB f, Blackhole bh) throws SottoException {
    return openFloor(f, bh);
  }

  @Benchmark
  public byte[] openFloor1MiB(Floor1MiB f, Blackhole bh) throws SottoException {
    return openFloor(f, bh);
  }
}
