package dev.sotto.benchmarks;

import static dev.sotto.benchmarks.Fixtures.NOW;

import dev.sotto.Accepted;
import dev.sotto.Envelope;
import dev.sotto.FirstContact;
import dev.sotto.Initiator;
import dev.sotto.RandomSource;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetState;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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
import org.openjdk.jmh.infra.IterationParams;
import org.signal.libsignal.metadata.SealedSessionCipher;
import org.signal.libsignal.metadata.certificate.CertificateValidator;
import org.signal.libsignal.metadata.certificate.SenderCertificate;
import org.signal.libsignal.metadata.certificate.ServerCertificate;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;

/**
 * Sotto beside libsignal (org.signal:libsignal-client, Rust through JNI; a benchmark-only
 * dependency, AGPL-3.0, never shipped), the same scenarios on both sides, in one JMH run. Each pair
 * is named {@code <scenario>Libsignal} and {@code <scenario>Sotto}, so JMH (which runs benchmarks
 * in the order of their names) runs the two halves of a pair one after the other. Every scenario's
 * {@code @Setup} checks that what is measured decrypts to its plaintext; the measured paths do no
 * checks beyond what each library does itself.
 *
 * <ul>
 *   <li>{@code firstContact}: a first message to a new contact, made and read. Sotto: revision 2's
 *       first contact as {@link HandshakeBenchmark#handshake} runs it ({@code Initiator.start} with
 *       the fixture bundle, no one-time prekey, a {@value #PAYLOAD_LENGTH}-byte payload, then
 *       {@code Responder.accept}). libsignal: PQXDH without a one-time prekey: Alice's
 *       {@code SessionBuilder.process} of Bob's {@code PreKeyBundle} (a signed prekey and a signed
 *       Kyber prekey, {@code KEMKeyType.KYBER_1024}, the only KEM type its API offers; process
 *       verifies both signatures), {@code SessionCipher.encrypt} of the same payload (a
 *       {@code PreKeySignalMessage}), and Bob's {@code SessionCipher.decrypt} of it. Neither side
 *       has a session with the other before (libsignal: the session is deleted first, a hash map
 *       removal).</li>
 *   <li>{@code initiate}, {@code respond}: each half alone. As in {@link HandshakeBenchmark}, a
 *       responder accepts a message once (Sotto: its replay cache; libsignal: its Kyber prekey
 *       store remembers the base keys it has seen), so the responders cycle through
 *       {@value #POOL} distinct messages made and checked in {@code @Setup}, with a fresh responder
 *       (Sotto: restored; libsignal: a new {@code InMemorySignalProtocolStore} holding the same
 *       prekeys) for each pass, made before each iteration.</li>
 *   <li>{@code sameDirection1KiB}, {@code sameDirection16KiB}: one message from Alice, encrypted and
 *       decrypted, in a session where Bob has answered, so every message is a chain step. Sotto:
 *       the double ratchet ({@code DoubleRatchet.encrypt}, {@code decrypt}, the states held in
 *       memory; both sides go back to a copy of their start every {@value RatchetBenchmark#RUN}
 *       messages, since a chain holds at most 1,000). libsignal: {@code SessionCipher.encrypt}
 *       (a {@code SignalMessage}, serialised) and {@code decrypt} after parsing it; its in-memory
 *       store parses the session record on each load and serialises it on each store, which is
 *       how libsignal's API keeps a session.</li>
 *   <li>{@code alternating1KiB}: one message per operation, the direction alternating, so each
 *       message is a DH ratchet step (Sotto: {@code RatchetBenchmark.Alternating}).</li>
 *   <li>{@code sealed1KiB}: a 1 KiB payload with its sender hidden. Sotto: {@code Session.seal}
 *       (the payload padded into a 4 KiB envelope) and {@code Session.open}. libsignal: sealed
 *       sender v1, {@code SealedSessionCipher.encrypt} with a sender certificate issued in
 *       {@code @Setup} by a server certificate under a trust root, and {@code decrypt}, which
 *       validates the certificate. Both one direction, chain steps.</li>
 * </ul>
 *
 * <p>libsignal draws its own randomness (it has no injectable source); Sotto's inputs come from
 * {@link Fixtures#random}. The measured figures are in README.adoc's performance section.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LibsignalComparisonBenchmark {
  static final int KIB = 1024;
  static final int PAYLOAD_LENGTH = HandshakeBenchmark.PAYLOAD_LENGTH;
  static final int POOL = HandshakeBenchmark.POOL;
  static final int DEVICE = 1;
  static final int ALICE_REGISTRATION = 1111;
  static final int BOB_REGISTRATION = 2222;
  static final int SIGNED_PREKEY_ID = 1;
  static final int KYBER_PREKEY_ID = 2;
  /** libsignal's session version for a session made with PQXDH (a Kyber prekey). */
  static final int PQXDH_SESSION_VERSION = 4;

  // ---------------------------------------------------------------------------------------------
  // libsignal's parties.

  /**
   * Alice and Bob in libsignal: identity key pairs, Bob's signed prekey and his signed (last
   * resort) Kyber prekey, and the bundle an initiator gets. Addresses are UUIDs, as sealed sender
   * needs.
   */
  static final class SignalParties {
    final IdentityKeyPair alice = IdentityKeyPair.generate();
    final IdentityKeyPair bob = IdentityKeyPair.generate();
    final UUID aliceUuid = UUID.nameUUIDFromBytes("alice".getBytes(StandardCharsets.US_ASCII));
    final UUID bobUuid = UUID.nameUUIDFromBytes("bob".getBytes(StandardCharsets.US_ASCII));
    final SignalProtocolAddress aliceAddress = new SignalProtocolAddress(aliceUuid.toString(), DEVICE);
    final SignalProtocolAddress bobAddress = new SignalProtocolAddress(bobUuid.toString(), DEVICE);
    final SignedPreKeyRecord signedPreKey;
    final KyberPreKeyRecord kyberPreKey;
    final PreKeyBundle bundle;

    SignalParties() {
      long now = System.currentTimeMillis();
      ECKeyPair spk = ECKeyPair.generate();
      byte[] spkSignature = bob.getPrivateKey().calculateSignature(spk.getPublicKey().serialize());
      signedPreKey = new SignedPreKeyRecord(SIGNED_PREKEY_ID, now, spk, spkSignature);
      KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
      byte[] kyberSignature = bob.getPrivateKey().calculateSignature(kyber.getPublicKey().serialize());
      kyberPreKey = new KyberPreKeyRecord(KYBER_PREKEY_ID, now, kyber, kyberSignature);
      bundle = new PreKeyBundle(BOB_REGISTRATION, DEVICE, PreKeyBundle.NULL_PRE_KEY_ID, null, SIGNED_PREKEY_ID,
          spk.getPublicKey(), spkSignature, bob.getPublicKey(), KYBER_PREKEY_ID, kyber.getPublicKey(), kyberSignature);
    }

    InMemorySignalProtocolStore aliceStore() {
      return new InMemorySignalProtocolStore(alice, ALICE_REGISTRATION);
    }

    /** A new store of Bob's holding his signed prekey and Kyber prekey, and nothing else. */
    InMemorySignalProtocolStore bobStore() {
      InMemorySignalProtocolStore store = new InMemorySignalProtocolStore(bob, BOB_REGISTRATION);
      store.storeSignedPreKey(SIGNED_PREKEY_ID, signedPreKey);
      store.storeKyberPreKey(KYBER_PREKEY_ID, kyberPreKey);
      return store;
    }

    /** Alice's first message to Bob, from no session: PQXDH with his bundle, then the first ratchet message. */
    byte[] initiate(InMemorySignalProtocolStore aliceStore, byte[] payload) throws Exception {
      aliceStore.deleteSession(bobAddress);
      new SessionBuilder(aliceStore, bobAddress).process(bundle);
      return new SessionCipher(aliceStore, bobAddress).encrypt(payload).serialize();
    }

    /** Bob reads a first message from Alice, with whom he has no session. */
    byte[] respond(InMemorySignalProtocolStore bobStore, byte[] message) throws Exception {
      bobStore.deleteSession(aliceAddress);
      return new SessionCipher(bobStore, aliceAddress).decrypt(new PreKeySignalMessage(message));
    }
  }

  /** Fresh stores of Bob's, made before an iteration, enough for {@code perStore} first messages each. */
  static final class SignalResponders {
    private final InMemorySignalProtocolStore[] ready;
    private int next;

    SignalResponders(SignalParties p, int perStore, IterationParams iteration) {
      long accepts = iteration.getTime().convertTo(TimeUnit.MICROSECONDS) / HandshakeBenchmark.MIN_MICROS_PER_ACCEPT;
      ready = new InMemorySignalProtocolStore[Math.toIntExact(accepts / perStore + 2)];
      for (int i = 0; i < ready.length; i++) {
        ready[i] = p.bobStore();
      }
    }

    InMemorySignalProtocolStore next() {
      Fixtures.check(next < ready.length, "more first messages in one iteration than "
          + HandshakeBenchmark.MIN_MICROS_PER_ACCEPT + " us each allows");
      InMemorySignalProtocolStore store = ready[next];
      ready[next++] = null;
      return store;
    }
  }

  /** libsignal's parties, Alice's store (she keeps no session between first messages) and the payload. */
  @State(Scope.Benchmark)
  public static class Signal {
    SignalParties parties;
    InMemorySignalProtocolStore aliceStore;
    byte[] payload;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      parties = new SignalParties();
      aliceStore = parties.aliceStore();
      payload = Fixtures.random("payload").bytes(PAYLOAD_LENGTH);
      byte[] message = parties.initiate(aliceStore, payload);
      Fixtures.check(Arrays.equals(payload, parties.respond(parties.bobStore(), message)),
          "libsignal: a first message decrypts to its payload");
    }
  }

  /** {@value #POOL} distinct first messages from Alice, each checked, and fresh stores of Bob's to read them. */
  @State(Scope.Benchmark)
  public static class SignalResponding {
    byte[][] messages;
    SignalResponders responders;
    InMemorySignalProtocolStore store;
    int index;

    @Setup(Level.Trial)
    public void makeMessages(Signal s) throws Exception {
      messages = new byte[POOL][];
      InMemorySignalProtocolStore checker = s.parties.bobStore();
      for (int i = 0; i < POOL; i++) {
        messages[i] = s.parties.initiate(s.aliceStore, s.payload);
        Fixtures.check(Arrays.equals(s.payload, s.parties.respond(checker, messages[i])),
            "libsignal: pooled first message " + i + " decrypts to its payload");
      }
    }

    @Setup(Level.Iteration)
    public void freshStores(Signal s, IterationParams iteration) {
      responders = new SignalResponders(s.parties, POOL, iteration);
      store = responders.next();
      index = 0;
    }

    byte[] respondNext(SignalParties p) throws Exception {
      if (index == messages.length) {
        store = responders.next();
        index = 0;
      }
      return p.respond(store, messages[index++]);
    }
  }

  /** Fresh stores of Bob's for whole first contacts, one per {@value #POOL} messages. */
  @State(Scope.Benchmark)
  public static class SignalHandshaking {
    SignalResponders responders;
    InMemorySignalProtocolStore store;
    int accepted;

    @Setup(Level.Iteration)
    public void freshStores(Signal s, IterationParams iteration) {
      responders = new SignalResponders(s.parties, POOL, iteration);
      store = responders.next();
      accepted = 0;
    }

    InMemorySignalProtocolStore store() {
      if (accepted++ == POOL) {
        store = responders.next();
        accepted = 1;
      }
      return store;
    }
  }

  /**
   * Alice and Bob in libsignal after a first contact from Alice and Bob's answer: Alice's session
   * is acknowledged, so her messages are {@code SignalMessage}s.
   */
  static final class SignalConversation {
    final SignalParties parties;
    final InMemorySignalProtocolStore aliceStore;
    final InMemorySignalProtocolStore bobStore;
    final SessionCipher alice;
    final SessionCipher bob;

    SignalConversation() throws Exception {
      parties = new SignalParties();
      aliceStore = parties.aliceStore();
      bobStore = parties.bobStore();
      byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
      byte[] first = parties.initiate(aliceStore, hello);
      alice = new SessionCipher(aliceStore, parties.bobAddress);
      bob = new SessionCipher(bobStore, parties.aliceAddress);
      Fixtures.check(Arrays.equals(hello, bob.decrypt(new PreKeySignalMessage(first))), "libsignal: the first message decrypts");
      Fixtures.check(alice.getSessionVersion() == PQXDH_SESSION_VERSION && bob.getSessionVersion() == PQXDH_SESSION_VERSION,
          "libsignal: a PQXDH session (version " + PQXDH_SESSION_VERSION + "), not " + bob.getSessionVersion());
      checkedSend(false, hello);
      checkedSend(true, hello);
    }

    /** One message from Alice (or Bob), encrypted, serialised, parsed and decrypted. */
    byte[] send(boolean fromAlice, byte[] plaintext) throws Exception {
      CiphertextMessage m = (fromAlice ? alice : bob).encrypt(plaintext);
      if (m.getType() != CiphertextMessage.WHISPER_TYPE) {
        throw new IllegalStateException("libsignal: expected a SignalMessage, got type " + m.getType());
      }
      return (fromAlice ? bob : alice).decrypt(new SignalMessage(m.serialize()));
    }

    void checkedSend(boolean fromAlice, byte[] plaintext) throws Exception {
      Fixtures.check(Arrays.equals(plaintext, send(fromAlice, plaintext)), "libsignal: a message decrypts to its plaintext");
    }
  }

  /** libsignal, Alice to Bob, chain steps. */
  public abstract static class SignalOneWay {
    SignalConversation c;
    byte[] plaintext;

    void setUp(int size) throws Exception {
      c = new SignalConversation();
      plaintext = Fixtures.random("libsignal/one-way/" + size).bytes(size);
      for (int i = 0; i < 16; i++) {
        c.checkedSend(true, plaintext);
      }
    }
  }

  @State(Scope.Thread)
  public static class SignalOneWay1KiB extends SignalOneWay {
    @Setup(Level.Trial)
    public void setUp() throws Exception {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class SignalOneWay16KiB extends SignalOneWay {
    @Setup(Level.Trial)
    public void setUp() throws Exception {
      setUp(16 * KIB);
    }
  }

  /** libsignal, alternating directions: each message a DH ratchet step. */
  @State(Scope.Thread)
  public static class SignalAlternating1KiB {
    SignalConversation c;
    byte[] plaintext;
    boolean fromAlice = true;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      c = new SignalConversation();
      plaintext = Fixtures.random("libsignal/alternating").bytes(KIB);
      for (int i = 0; i < 16; i++) {
        c.checkedSend(i % 2 == 1, plaintext); // Alice sent last in the conversation's setup
      }
      fromAlice = false;
    }

    byte[] op() throws Exception {
      byte[] plaintext = c.send(fromAlice, this.plaintext);
      fromAlice = !fromAlice;
      return plaintext;
    }
  }

  /** libsignal sealed sender (v1), Alice to Bob, with a sender certificate made here. */
  @State(Scope.Thread)
  public static class SignalSealed1KiB {
    SignalConversation c;
    SealedSessionCipher alice;
    SealedSessionCipher bob;
    SenderCertificate certificate;
    CertificateValidator validator;
    long timestamp;
    byte[] payload;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      c = new SignalConversation();
      ECKeyPair trustRoot = ECKeyPair.generate();
      ECKeyPair server = ECKeyPair.generate();
      ServerCertificate serverCertificate = new ServerCertificate(trustRoot.getPrivateKey(), 1, server.getPublicKey());
      timestamp = System.currentTimeMillis();
      certificate = serverCertificate.issue(server.getPrivateKey(), c.parties.aliceUuid.toString(), Optional.empty(),
          DEVICE, c.parties.alice.getPublicKey().getPublicKey(), timestamp + TimeUnit.DAYS.toMillis(1));
      validator = new CertificateValidator(trustRoot.getPublicKey());
      alice = new SealedSessionCipher(c.aliceStore, c.parties.aliceUuid, null, DEVICE);
      bob = new SealedSessionCipher(c.bobStore, c.parties.bobUuid, null, DEVICE);
      payload = Fixtures.random("libsignal/sealed").bytes(KIB);
      for (int i = 0; i < 16; i++) {
        SealedSessionCipher.DecryptionResult r = bob.decrypt(validator, alice.encrypt(c.parties.bobAddress, certificate,
            payload), timestamp);
        Fixtures.check(Arrays.equals(payload, r.getPaddedMessage()), "libsignal: a sealed message decrypts to its payload");
        Fixtures.check(c.parties.aliceUuid.toString().equals(r.getSenderUuid()) && r.getDeviceId() == DEVICE,
            "libsignal: a sealed message names its sender");
        Fixtures.check(r.getCiphertextMessageType() == CiphertextMessage.WHISPER_TYPE, "libsignal: sealed chain steps");
      }
    }

    byte[] op() throws Exception {
      return bob.decrypt(validator, alice.encrypt(c.parties.bobAddress, certificate, payload), timestamp)
          .getPaddedMessage();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sotto's side of the scenarios that HandshakeBenchmark and RatchetBenchmark do not hold as such.

  /**
   * Sotto's double ratchet, A to B, chain steps: B has answered before, and both sides go back to
   * copies of their start every {@value RatchetBenchmark#RUN} messages (inside the measured time).
   */
  public abstract static class SottoOneWay {
    RatchetBenchmark.Pair pair;
    RatchetState aStart;
    RatchetState bStart;
    byte[] plaintext;
    int sent;

    void setUp(int size) throws SottoException {
      pair = new RatchetBenchmark.Pair(Fixtures.random("libsignal/sotto-one-way/" + size));
      plaintext = pair.random.bytes(size);
      pair.alternate(3, plaintext); // ends with a message from A: its next ones are chain steps
      aStart = pair.a.copy();
      bStart = pair.b.copy();
      for (int i = 0; i < RatchetBenchmark.RUN; i++) {
        pair.sendChecked(true, plaintext, DoubleRatchet.Opened.CURRENT);
      }
      reset();
    }

    private void reset() {
      pair.a = aStart.copy();
      pair.b = bStart.copy();
      sent = 0;
    }

    DoubleRatchet.Received op() throws SottoException {
      if (sent == RatchetBenchmark.RUN) {
        reset();
      }
      sent++;
      return pair.send(true, plaintext);
    }
  }

  @State(Scope.Thread)
  public static class SottoOneWay1KiB extends SottoOneWay {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(KIB);
    }
  }

  @State(Scope.Thread)
  public static class SottoOneWay16KiB extends SottoOneWay {
    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      setUp(16 * KIB);
    }
  }

  /**
   * Sotto's session, Alice to Bob, a 1 KiB payload in a 4 KiB envelope, chain steps: both sessions
   * are restored from their start after each run of payloads that fits a chain (inside the
   * measured time, once per run).
   */
  @State(Scope.Thread)
  public static class SottoSealed1KiB {
    static final EnvelopeBenchmark.Shape SHAPE = EnvelopeBenchmark.Shape.KIB1;
    RandomSource random;
    byte[] aliceStart;
    byte[] bobStart;
    Session alice;
    Session bob;
    byte[] payload;
    int run;
    int sealed;

    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      EnvelopeBenchmark.Conversation c = new EnvelopeBenchmark.Conversation(Fixtures.random("libsignal/sotto-sealed"));
      random = c.random;
      payload = random.bytes(SHAPE.payload);
      for (int i = 0; i < 2; i++) {
        EnvelopeBenchmark.checkShape(SHAPE, c.send(true, payload));
      }
      aliceStart = c.alice.serialize();
      bobStart = c.bob.serialize();
      run = SHAPE.sealRun();
      reset();
      for (int i = 0; i < run; i++) {
        List<Envelope> envelopes = alice.seal(payload, random);
        EnvelopeBenchmark.checkShape(SHAPE, envelopes);
        Optional<byte[]> opened = bob.open(envelopes.get(0).encoded(), random);
        Fixtures.check(opened.isPresent() && Arrays.equals(payload, opened.get()), "an envelope opens to its payload");
      }
      reset();
    }

    private void reset() throws SottoException {
      alice = Session.restore(aliceStart);
      bob = Session.restore(bobStart);
      sealed = 0;
    }

    Optional<byte[]> op() throws SottoException {
      if (sealed == run) {
        reset();
      }
      sealed++;
      return bob.open(alice.seal(payload, random).get(0).encoded(), random);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // First contact.

  @Benchmark
  public byte[] firstContactLibsignal(Signal s, SignalHandshaking h) throws Exception {
    byte[] message = s.parties.initiate(s.aliceStore, s.payload);
    return s.parties.respond(h.store(), message);
  }

  @Benchmark
  public Accepted firstContactSotto(HandshakeBenchmark.Parties p, HandshakeBenchmark.Handshaking s, Blackhole bh)
      throws SottoException {
    FirstContact fc = Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, s.random);
    bh.consume(fc);
    return s.responder().accept(fc.message(), NOW);
  }

  @Benchmark
  public byte[] initiateLibsignal(Signal s) throws Exception {
    return s.parties.initiate(s.aliceStore, s.payload);
  }

  @Benchmark
  public FirstContact initiateSotto(HandshakeBenchmark.Parties p) throws SottoException {
    return Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, p.random);
  }

  @Benchmark
  public byte[] respondLibsignal(Signal s, SignalResponding r) throws Exception {
    return r.respondNext(s.parties);
  }

  @Benchmark
  public Accepted respondSotto(HandshakeBenchmark.Responding s) throws SottoException {
    return s.pool.acceptNext();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages.

  @Benchmark
  public byte[] sameDirection1KiBLibsignal(SignalOneWay1KiB s) throws Exception {
    return s.c.send(true, s.plaintext);
  }

  @Benchmark
  public DoubleRatchet.Received sameDirection1KiBSotto(SottoOneWay1KiB s) throws SottoException {
    return s.op();
  }

  @Benchmark
  public byte[] alternating1KiBLibsignal(SignalAlternating1KiB s) throws Exception {
    return s.op();
  }

  @Benchmark
  public DoubleRatchet.Received alternating1KiBSotto(RatchetBenchmark.Alternating1KiB s) throws SottoException {
    return s.op();
  }

  @Benchmark
  public byte[] sealed1KiBLibsignal(SignalSealed1KiB s) throws Exception {
    return s.op();
  }

  @Benchmark
  public Optional<byte[]> sealed1KiBSotto(SottoSealed1KiB s) throws SottoException {
    return s.op();
  }

  @Benchmark
  public byte[] sameDirection16KiBLibsignal(SignalOneWay16KiB s) throws Exception {
    return s.c.send(true, s.plaintext);
  }

  @Benchmark
  public DoubleRatchet.Received sameDirection16KiBSotto(SottoOneWay16KiB s) throws SottoException {
    return s.op();
  }
}
