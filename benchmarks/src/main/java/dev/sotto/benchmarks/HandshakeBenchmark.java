package dev.sotto.benchmarks;

import static dev.sotto.benchmarks.Fixtures.NOW;

import dev.sotto.Accepted;
import dev.sotto.Card;
import dev.sotto.FirstContact;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.Initiator;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

/**
 * The first-contact handshake (spec: handshake.adoc) against its <em>primitive floor</em>: the
 * raw primitive operations the protocol must do, on the same inputs, with no protocol code around
 * them. The ratio protocol / floor is the cost of everything else.
 *
 * <p>The initiator's floor is its X25519 operations, the ML-KEM-768 encapsulation and the two
 * HKDF-SHA-256 derivations ({@link #initiatorFloor}). The responder's floor
 * ({@link #responderFloor}) is what its half must do: the X25519 agreements, the ML-KEM-768
 * decapsulation with the bundle's key <em>already expanded</em> (the responder keeps each bundle's
 * key expanded, so a first contact no longer expands the seed), the two HKDF derivations, the two
 * ChaCha20-Poly1305 opens (identity and payload) and the full Ed25519 check of the initiator's
 * identity key that the spec requires (a point decoding and a multiplication by the group order).
 * Protocol overhead on each side: the two SHA-256 transcript hashes (TH_1 over about 2.4 KiB, TH),
 * writing or reading the first message, concatenations and copies; on the initiator's, its two
 * ChaCha20-Poly1305 seals and drawing 64 random bytes; on the responder's, parsing the identity
 * around its key check and the bookkeeping of {@code accept} (prekey look-up, expiry, replay
 * cache or one-time prekey deletion).
 *
 * <p>Each operation comes in two variants: without one-time prekeys (4 X25519 agreements: DH1,
 * DH2, DH3 and DH5), and with an X25519 one-time prekey (5 agreements). Neither uses an ML-KEM one-time prekey. The
 * payload is {@value #PAYLOAD_LENGTH} bytes. The variants without one-time prekey and the floors
 * use the fixture card and bundle ({@link Fixtures#issued}); {@code initiateWithOneTimePrekey} and
 * the floors use its first X25519 one-time prekey; the responders, which delete a one-time prekey
 * when it is used, go through the {@value #ONE_TIME_PREKEYS} X25519 one-time prekeys of another
 * responder of Bob's ({@link #manyOneTimePrekeys}).
 *
 * <p>The initiator is stateless and the {@code initiate} benchmarks draw each message's ephemeral
 * key and ML-KEM randomness (64 bytes) from one deterministic stream, so every message is new.
 * A {@link Responder} has state: it accepts a message without one-time prekey only once (replay
 * cache) and deletes a one-time prekey when it is used. The {@code respond} benchmarks therefore
 * cycle through a pool of distinct messages made (and each checked) in {@code @Setup}. Before
 * each iteration they make fresh responders (default replay cache bound), one for each pass
 * through the pool, and switch to the next one at the end of a pass: they are restored
 * ({@code Responder.restore}) from the state of the responder that issued the prekeys. So a replay
 * cache never
 * holds more than one pool of entries; its cost (a hash set look-up and insertion of the 32-byte
 * TH_1) is measured, like the rest of {@code accept}. The {@code handshake} benchmarks do the
 * same with the messages they make.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class HandshakeBenchmark {
  static final int PAYLOAD_LENGTH = 64;
  /** Distinct first messages without one-time prekey that {@link #respond} cycles through. */
  static final int POOL = 1024;
  /** The X25519 one-time prekeys of the responder of {@link #manyOneTimePrekeys}. */
  static final int ONE_TIME_PREKEYS = 256;
  /**
   * A lower bound of the time of one {@code accept}, to make enough fresh responders before an
   * iteration (the floor alone is several times more on any current machine). If an iteration
   * runs out, it fails with a message saying so.
   */
  static final long MIN_MICROS_PER_ACCEPT = 50;

  /** Alice writes first to Bob, the owner of the fixture card and bundle. */
  @State(Scope.Benchmark)
  public static class Parties {
    Identity alice;
    Identity bob;
    Fixtures.Issued issued;
    Card card;
    /** The fixture bundle alone. */
    Prekeys prekeys;
    /** The fixture bundle and its first X25519 one-time prekey. */
    Prekeys prekeysWithOneTimePrekey;
    byte[] payload;
    /** The initiator's randomness in {@link #initiate}: each call draws the next 64 bytes. */
    RandomSource random;
    /** The state of the responder of Bob's that issued the fixture prekeys ({@link #responder(byte[])}). */
    byte[] fixtureResponder;

    @Setup(Level.Trial)
    public void setUp() throws SottoException {
      alice = Identity.fromSeed(IdentitySeed.generate(Fixtures.random("alice")));
      bob = Fixtures.identity();
      issued = Fixtures.issued();
      card = issued.card();
      prekeys = Prekeys.of(issued.bundle());
      prekeysWithOneTimePrekey = Prekeys.of(issued.bundle(), issued.oneTime().get(0), null);
      payload = Fixtures.random("payload").bytes(PAYLOAD_LENGTH);
      random = Fixtures.random("initiate");
      fixtureResponder = issued.responder().serialize();
      RandomSource check = Fixtures.random("check");
      for (Prekeys to : new Prekeys[] {prekeys, prekeysWithOneTimePrekey}) {
        FirstContact fc = Initiator.to(alice, to).start(NOW, payload, check);
        checkAgreement(this, fc, responder(fixtureResponder).accept(fc.message(), NOW), to.toString());
      }
    }

    /** A new responder of Bob's, with the default replay cache bound and an empty replay cache, from a state. */
    Responder responder(byte[] state) {
      try {
        return Responder.restore(bob, state);
      } catch (SottoException e) {
        throw new IllegalStateException("benchmark setup: a responder state restores", e);
      }
    }
  }

  static void checkAgreement(Parties p, FirstContact fc, Accepted accepted, String what) {
    Fixtures.check(fc.secrets().matches(accepted.secrets()), what + ": both sides derive the same session secrets");
    Fixtures.check(accepted.peer().equals(p.alice.publicIdentity()), what + ": the responder learns who wrote");
    Fixtures.check(Arrays.equals(accepted.payload(), p.payload), what + ": the responder reads the payload");
  }

  /** A responder of Bob's (its state) and the prekeys of each of its X25519 one-time prekeys. */
  record ManyOneTimePrekeys(byte[] state, List<Prekeys> targets) {}

  /**
   * Another responder of Bob's, holding the fixture card, a bundle of it and
   * {@value #ONE_TIME_PREKEYS} X25519 one-time prekeys; and, for each of these, the prekeys an
   * initiator is given to use it.
   */
  static ManyOneTimePrekeys manyOneTimePrekeys(Parties p) {
    RandomSource random = Fixtures.random("one-time-prekey-responder");
    Responder responder = new Responder(p.bob);
    responder.addCard(p.card);
    PrekeyBundle bundle = responder.issueBundle(p.card, Fixtures.CREATED, Fixtures.BUNDLE_EXPIRES, random);
    List<Prekeys> targets = new ArrayList<>();
    for (OneTimePrekey opk : responder.issueOneTimePrekeys(p.card, Fixtures.BUNDLE_EXPIRES, ONE_TIME_PREKEYS, 0,
        random)) {
      targets.add(Prekeys.of(bundle, opk, null));
    }
    return new ManyOneTimePrekeys(responder.serialize(), targets);
  }

  /**
   * Fresh responders made before an iteration, all holding the same cards, handed out in turn;
   * enough that an iteration cannot use them up at {@link #MIN_MICROS_PER_ACCEPT} or slower.
   */
  static final class Responders {
    private final Responder[] ready;
    private int next;

    Responders(Parties p, byte[] cards, int acceptsEach, IterationParams iteration) {
      long accepts = iteration.getTime().convertTo(TimeUnit.MICROSECONDS) / MIN_MICROS_PER_ACCEPT;
      ready = new Responder[Math.toIntExact(accepts / acceptsEach + 2)];
      for (int i = 0; i < ready.length; i++) {
        ready[i] = p.responder(cards);
      }
    }

    Responder next() {
      if (next == ready.length) {
        throw new IllegalStateException("more accepts in one iteration than a pace of "
            + MIN_MICROS_PER_ACCEPT + " us each allows: lower HandshakeBenchmark.MIN_MICROS_PER_ACCEPT");
      }
      Responder responder = ready[next];
      ready[next++] = null;
      return responder;
    }
  }

  /** Distinct first messages to Bob's responders, and the responders that accept them, one pass each. */
  static final class MessagePool {
    final Parties parties;
    /** The state the responders are restored from: the responder that issued the prekeys the messages use. */
    final byte[] cards;
    final byte[][] messages;
    Responders responders;
    Responder responder;
    int index;

    MessagePool(Parties p, byte[] cards, List<FirstContact> made) throws SottoException {
      parties = p;
      this.cards = cards;
      messages = new byte[made.size()][];
      Responder checker = p.responder(cards);
      for (int i = 0; i < messages.length; i++) {
        messages[i] = made.get(i).message();
        checkAgreement(p, made.get(i), checker.accept(messages[i], NOW), "pooled message " + i);
      }
    }

    void freshResponders(IterationParams iteration) {
      responders = new Responders(parties, cards, messages.length, iteration);
      responder = responders.next();
      index = 0;
    }

    Accepted acceptNext() throws SottoException {
      if (index == messages.length) {
        responder = responders.next();
        index = 0;
      }
      return responder.accept(messages[index++], NOW);
    }
  }

  /** {@value #POOL} messages without one-time prekeys to the fixture card. */
  @State(Scope.Benchmark)
  public static class Responding {
    MessagePool pool;

    @Setup(Level.Trial)
    public void makeMessages(Parties p) throws SottoException {
      RandomSource random = Fixtures.random("respond");
      List<FirstContact> made = new ArrayList<>();
      for (int i = 0; i < POOL; i++) {
        made.add(Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, random));
      }
      pool = new MessagePool(p, p.fixtureResponder, made);
    }

    @Setup(Level.Iteration)
    public void freshResponders(IterationParams iteration) {
      pool.freshResponders(iteration);
    }
  }

  /** One message for each X25519 one-time prekey of {@link #manyOneTimePrekeys} (256). */
  @State(Scope.Benchmark)
  public static class RespondingWithOneTimePrekey {
    MessagePool pool;

    @Setup(Level.Trial)
    public void makeMessages(Parties p) throws SottoException {
      RandomSource random = Fixtures.random("respond-one-time-prekey");
      ManyOneTimePrekeys many = manyOneTimePrekeys(p);
      List<FirstContact> made = new ArrayList<>();
      for (Prekeys to : many.targets()) {
        made.add(Initiator.to(p.alice, to).start(NOW, p.payload, random));
      }
      pool = new MessagePool(p, many.state(), made);
    }

    @Setup(Level.Iteration)
    public void freshResponders(IterationParams iteration) {
      pool.freshResponders(iteration);
    }
  }

  /** Initiate and respond without one-time prekeys, to the fixture card. */
  @State(Scope.Benchmark)
  public static class Handshaking {
    RandomSource random;
    byte[] cards;
    Responders responders;
    Responder responder;
    int accepted;

    @Setup(Level.Trial)
    public void setUp(Parties p) {
      random = Fixtures.random("handshake");
      cards = p.fixtureResponder;
    }

    @Setup(Level.Iteration)
    public void freshResponders(Parties p, IterationParams iteration) {
      responders = new Responders(p, cards, POOL, iteration);
      responder = responders.next();
      accepted = 0;
    }

    /** The responder for the next message: a fresh one after every {@value #POOL} messages. */
    Responder responder() {
      if (accepted == POOL) {
        responder = responders.next();
        accepted = 0;
      }
      accepted++;
      return responder;
    }
  }

  /** Initiate and respond with each X25519 one-time prekey of {@link #manyOneTimePrekeys} in turn. */
  @State(Scope.Benchmark)
  public static class HandshakingWithOneTimePrekey {
    RandomSource random;
    byte[] cards;
    Prekeys[] targets;
    Responders responders;
    Responder responder;
    int index;

    @Setup(Level.Trial)
    public void setUp(Parties p) {
      random = Fixtures.random("handshake-one-time-prekey");
      ManyOneTimePrekeys many = manyOneTimePrekeys(p);
      cards = many.state();
      targets = many.targets().toArray(new Prekeys[0]);
    }

    @Setup(Level.Iteration)
    public void freshResponders(Parties p, IterationParams iteration) {
      responders = new Responders(p, cards, targets.length, iteration);
      responder = responders.next();
      index = 0;
    }

    /** Advances to the next one-time prekey; a fresh responder after a pass through them all. */
    void advance() {
      if (++index == targets.length) {
        responder = responders.next();
        index = 0;
      }
    }
  }

  /**
   * The inputs of one real handshake between the parties, for the floor to repeat its raw
   * operations on, with the values the setup checks them against.
   */
  static final class FloorInputs {
    // Initiator: its private values and the responder's public keys.
    final byte[] ephemeralPrivate;
    final byte[] kemRandomness;
    final byte[] aliceDhPrivate;
    final byte[] spkPublic;
    final byte[] kemPublic;
    final byte[] bobDhPublic;
    final byte[] opkPublic;
    // Responder: its private values and what it receives.
    final byte[] spkPrivate;
    final byte[] kemSeed;
    /**
     * The bundle's ML-KEM key, expanded once, as the responder keeps it ({@code ResponderKemCache}:
     * made when the bundle is issued or restored, not per message).
     */
    final MlKem768.DecapsulationKey kemKey;
    final byte[] bobDhPrivate;
    final byte[] opkPrivate;
    final byte[] ephemeralPublic;
    final byte[] ciphertext;
    final byte[] aliceDhPublic;
    /** The initiator's Ed25519 identity key, which the responder validates (prime order) on reading it. */
    final byte[] aliceSigningKey;
    /** The identity key and nonce (HKDF output split), the encrypted identity, the payload's key, nonce and ciphertext. */
    final byte[] identityKey;
    final byte[] identityNonce;
    final byte[] encryptedIdentity;
    final byte[] confirmKey;
    final byte[] confirmNonce;
    final byte[] sealedPayload;
    // Both: the HKDF inputs, salt and IKM, of the identity key and of the session keys.
    final byte[] th1;
    final byte[] identityIkm;
    final byte[] th;
    final byte[] keysIkm;

    /**
     * Runs one handshake through the public API with known randomness, then recomputes every
     * primitive result the floor repeats and checks it against that handshake: the ephemeral
     * key and KEM ciphertext in the message, equal DH values and KEM secret on both sides, an
     * identity key that opens the encrypted identity, and session keys equal to both sides'.
     */
    FloorInputs(Parties p, boolean withOneTimePrekey) throws SottoException {
      Prekeys to = withOneTimePrekey ? p.prekeysWithOneTimePrekey : p.prekeys;
      Long opkId = withOneTimePrekey ? to.oneTimePrekey().orElseThrow().prekey().id() : null;
      String what = "floor (one-time prekey " + opkId + ")";
      RandomSource random = Fixtures.random("floor/" + withOneTimePrekey);
      ephemeralPrivate = X25519.generatePrivateKey(random);
      kemRandomness = random.bytes(MlKem768.ENCAPSULATION_RANDOMNESS_LENGTH);
      TestRandom.Replay replay = TestRandom.replay(Bytes.concat(ephemeralPrivate, kemRandomness));
      FirstContact fc = Initiator.to(p.alice, to).start(NOW, p.payload, replay);
      replay.assertExhausted();
      checkAgreement(p, fc, p.responder(p.fixtureResponder).accept(fc.message(), NOW), what);
      FirstMessage m = FirstMessage.parse(fc.message());

      PrekeySecrets secrets = new PrekeySecrets(p.issued);
      Identity.DerivedKeys alicePrivate = p.alice.derivedKeys(dev.sotto.InsecureSecretAccess.get());
      Identity.DerivedKeys bobPrivate = p.bob.derivedKeys(dev.sotto.InsecureSecretAccess.get());
      aliceDhPrivate = alicePrivate.x25519Private();
      aliceDhPublic = p.alice.publicIdentity().dhKey();
      bobDhPrivate = bobPrivate.x25519Private();
      bobDhPublic = p.bob.publicIdentity().dhKey();
      PrekeyBundle bundle = p.issued.bundle();
      spkPublic = bundle.signedPrekey().publicKey();
      spkPrivate = secrets.spkPrivate;
      kemPublic = bundle.kemPrekey().publicKey();
      kemSeed = secrets.kemSeed;
      kemKey = MlKem768.DecapsulationKey.fromSeed(kemSeed);
      Fixtures.check(Arrays.equals(kemKey.encapsulationKey(), kemPublic), what + ": the expanded ML-KEM key is the bundle's");
      aliceSigningKey = p.alice.publicIdentity().signingKey();
      Fixtures.check(Ed25519.isValidPublicKey(aliceSigningKey), what + ": the initiator's Ed25519 key is valid");
      opkPublic = opkId == null ? null : secrets.opkPublic(opkId);
      opkPrivate = opkId == null ? null : secrets.opkPrivate(opkId);

      ephemeralPublic = X25519.publicKey(ephemeralPrivate);
      Fixtures.check(Arrays.equals(ephemeralPublic, m.ephemeralKey()), what + ": ephemeral key");
      MlKem768.Encapsulation kem = MlKem768.encapsulate(kemPublic, kemRandomness);
      ciphertext = kem.ciphertext();
      byte[] ss = kem.sharedSecret();
      Fixtures.check(Arrays.equals(ciphertext, m.ciphertext()), what + ": KEM ciphertext");
      Fixtures.check(Arrays.equals(ss, MlKem768.decapsulate(kemSeed, ciphertext)), what + ": KEM shared secret");
      Fixtures.check(Arrays.equals(ss, kemKey.decapsulate(ciphertext)), what + ": KEM shared secret (expanded key)");
      byte[] dh1 = agreeBoth(aliceDhPrivate, spkPublic, spkPrivate, aliceDhPublic, what + ": DH1");
      byte[] dh2 = agreeBoth(ephemeralPrivate, bobDhPublic, bobDhPrivate, ephemeralPublic, what + ": DH2");
      byte[] dh3 = agreeBoth(ephemeralPrivate, spkPublic, spkPrivate, ephemeralPublic, what + ": DH3");
      byte[] dh4 = opkId == null ? null
          : agreeBoth(ephemeralPrivate, opkPublic, opkPrivate, ephemeralPublic, what + ": DH4");
      byte[] dh5 = agreeBoth(aliceDhPrivate, bobDhPublic, bobDhPrivate, aliceDhPublic, what + ": DH5");

      HandshakeCore.Prekeys prekeys = new HandshakeCore.Prekeys(bundle.signedPrekey().id(), spkPublic,
          bundle.kemPrekey().id(), kemPublic, opkId == null ? FirstMessage.NONE : opkId, opkPublic);
      Fixtures.check(m.time() == NOW.getEpochSecond(), what + ": the message's time");
      th1 = HandshakeCore.transcript1(m.flags(), m.time(), p.bob.publicIdentity(), p.card.inviteTag(), prekeys,
          ephemeralPublic, ciphertext);
      identityIkm = Bytes.concat(dh3, ss);
      byte[] idk = Hkdf.derive(th1, identityIkm, Labels.HANDSHAKE_IDENTITY, HandshakeCore.IDENTITY_KEY_LENGTH);
      identityKey = Arrays.copyOf(idk, Aead.KEY_LENGTH);
      identityNonce = Arrays.copyOfRange(idk, Aead.KEY_LENGTH, idk.length);
      encryptedIdentity = m.encryptedIdentity();
      byte[] identity = Aead.open(identityKey, identityNonce, th1, encryptedIdentity);
      Fixtures.check(Arrays.equals(identity, p.alice.publicIdentity().encoded()), what + ": identity key");

      th = fc.secrets().transcriptHash();
      keysIkm = dh4 == null ? Bytes.concat(dh1, dh2, dh3, dh5, ss) : Bytes.concat(dh1, dh2, dh3, dh4, dh5, ss);
      byte[] okm = Hkdf.derive(th, keysIkm, Labels.HANDSHAKE_KEYS, HandshakeCore.KEYS_LENGTH);
      HandshakeCore.Keys keys = fc.secrets().keys(dev.sotto.InsecureSecretAccess.get());
      Fixtures.check(Arrays.equals(okm, concatComponents(keys)), what + ": session keys");
      confirmKey = keys.confirmKey();
      confirmNonce = keys.confirmNonce();
      sealedPayload = m.payload();
      Fixtures.check(Arrays.equals(Aead.open(confirmKey, confirmNonce, th, sealedPayload), p.payload),
          what + ": the payload opens with the session's confirmation key");
      Fixtures.check(identityIkm.length == 64 && keysIkm.length == (dh4 == null ? 160 : 192), what + ": IKM lengths");
    }

    /** The keys of a handshake in the order HKDF outputs them: the record's components in order. */
    private static byte[] concatComponents(HandshakeCore.Keys keys) {
      RecordComponent[] components = HandshakeCore.Keys.class.getRecordComponents();
      byte[][] parts = new byte[components.length][];
      try {
        for (int i = 0; i < parts.length; i++) {
          parts[i] = (byte[]) components[i].getAccessor().invoke(keys);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      return Bytes.concat(parts);
    }

    private static byte[] agreeBoth(byte[] aPrivate, byte[] bPublic, byte[] bPrivate, byte[] aPublic, String what)
        throws SottoException {
      byte[] dh = X25519.agree(aPrivate, bPublic);
      Fixtures.check(Arrays.equals(dh, X25519.agree(bPrivate, aPublic)), what);
      return dh;
    }
  }

  /**
   * The private halves of the fixture prekeys, drawn again from their random streams in the order
   * that {@code Responder.issueBundle} and {@code Responder.issueOneTimePrekeys} document, and
   * checked against their public keys.
   */
  static final class PrekeySecrets {
    final byte[] spkPrivate;
    final byte[] kemSeed;
    private final List<OneTimePrekey> oneTime;
    private final List<byte[]> oneTimePrivate = new ArrayList<>();

    PrekeySecrets(Fixtures.Issued issued) {
      RandomSource random = Fixtures.random("bundle");
      spkPrivate = X25519.generatePrivateKey(random);
      kemSeed = random.bytes(MlKem768.SEED_LENGTH);
      Fixtures.check(Arrays.equals(X25519.publicKey(spkPrivate), issued.bundle().signedPrekey().publicKey())
          && Arrays.equals(MlKem768.encapsulationKey(kemSeed), issued.bundle().kemPrekey().publicKey()),
          "the fixture bundle's prekeys come from its random stream");
      oneTime = issued.oneTime();
      RandomSource oneTimeRandom = Fixtures.random("one-time-prekeys");
      for (OneTimePrekey p : oneTime) {
        if (!p.isKem()) {
          oneTimePrivate.add(X25519.generatePrivateKey(oneTimeRandom));
          Fixtures.check(Arrays.equals(X25519.publicKey(oneTimePrivate.get(oneTimePrivate.size() - 1)),
              p.prekey().publicKey()), "the fixture one-time prekeys come from their random stream");
        }
      }
    }

    byte[] opkPublic(long id) {
      return oneTime.get(indexOf(id)).prekey().publicKey();
    }

    byte[] opkPrivate(long id) {
      return oneTimePrivate.get(indexOf(id));
    }

    /** The index of an X25519 one-time prekey (they come first, in the order they were drawn). */
    private int indexOf(long id) {
      for (int i = 0; i < oneTimePrivate.size(); i++) {
        if (oneTime.get(i).prekey().id() == id) {
          return i;
        }
      }
      throw new IllegalStateException("the fixture has no X25519 one-time prekey " + id);
    }
  }

  /** The floor's inputs, for both variants. */
  @State(Scope.Benchmark)
  public static class Floor {
    FloorInputs plain;
    FloorInputs oneTime;

    @Setup(Level.Trial)
    public void setUp(Parties p) throws SottoException {
      plain = new FloorInputs(p, false);
      oneTime = new FloorInputs(p, true);
    }
  }

  /**
   * What the initiator computes, as primitives only and in its order: EK = X25519(ek, 9),
   * ML-KEM-768 encapsulation (with the FIPS 203 key check, as {@code MlKem768.encapsulate} does
   * it in the protocol too), DH3, HKDF to 44 bytes (identity key), DH1, DH2, [DH4], DH5 (the two
   * identity keys), HKDF to {@code HandshakeCore.KEYS_LENGTH} = 204 bytes (session keys). The HKDF
   * inputs are precomputed: concatenating them is protocol work.
   */
  static void initiatorFloor(FloorInputs f, Blackhole bh) throws SottoException {
    bh.consume(X25519.publicKey(f.ephemeralPrivate));
    bh.consume(MlKem768.encapsulate(f.kemPublic, f.kemRandomness));
    bh.consume(X25519.agree(f.ephemeralPrivate, f.spkPublic));
    bh.consume(Hkdf.derive(f.th1, f.identityIkm, Labels.HANDSHAKE_IDENTITY, HandshakeCore.IDENTITY_KEY_LENGTH));
    bh.consume(X25519.agree(f.aliceDhPrivate, f.spkPublic));
    bh.consume(X25519.agree(f.ephemeralPrivate, f.bobDhPublic));
    if (f.opkPublic != null) {
      bh.consume(X25519.agree(f.ephemeralPrivate, f.opkPublic));
    }
    bh.consume(X25519.agree(f.aliceDhPrivate, f.bobDhPublic));
    bh.consume(Hkdf.derive(f.th, f.keysIkm, Labels.HANDSHAKE_KEYS, HandshakeCore.KEYS_LENGTH));
  }

  /**
   * What the responder's protocol must compute for a first contact, as primitives only and in its
   * order: DH3; ML-KEM-768 decapsulation with the bundle's key already expanded (the responder
   * keeps each bundle's key expanded, {@code ResponderKemCache}, so expanding the 64-byte seed is
   * no longer part of a first contact); HKDF to 44 bytes (identity key and nonce); opening the
   * encrypted identity (ChaCha20-Poly1305, 68 bytes); the full Ed25519 check of the initiator's
   * identity key that the spec requires of a public identity (a point decoding and a multiplication
   * by the group order: the only Ed25519 work in the responder's half, which verifies no signature);
   * DH1, DH2, [DH4], DH5; HKDF to 204 bytes (session keys); opening the payload (ChaCha20-Poly1305,
   * {@value #PAYLOAD_LENGTH} bytes). Not in it, so protocol overhead: the two SHA-256 transcript
   * hashes, reading the message and the identity, the prekey look-up, expiry and replay cache.
   */
  static void responderFloor(FloorInputs f, Blackhole bh) throws SottoException {
    bh.consume(X25519.agree(f.spkPrivate, f.ephemeralPublic));
    bh.consume(f.kemKey.decapsulate(f.ciphertext));
    bh.consume(Hkdf.derive(f.th1, f.identityIkm, Labels.HANDSHAKE_IDENTITY, HandshakeCore.IDENTITY_KEY_LENGTH));
    bh.consume(Aead.open(f.identityKey, f.identityNonce, f.th1, f.encryptedIdentity));
    bh.consume(Ed25519.isValidPublicKey(f.aliceSigningKey));
    bh.consume(X25519.agree(f.spkPrivate, f.aliceDhPublic));
    bh.consume(X25519.agree(f.bobDhPrivate, f.ephemeralPublic));
    if (f.opkPrivate != null) {
      bh.consume(X25519.agree(f.opkPrivate, f.ephemeralPublic));
    }
    bh.consume(X25519.agree(f.bobDhPrivate, f.aliceDhPublic));
    bh.consume(Hkdf.derive(f.th, f.keysIkm, Labels.HANDSHAKE_KEYS, HandshakeCore.KEYS_LENGTH));
    bh.consume(Aead.open(f.confirmKey, f.confirmNonce, f.th, f.sealedPayload));
  }

  // ---- Protocol, through the public API ----

  /** {@code Initiator.start} without one-time prekeys: the first message and the initiator's secrets. */
  @Benchmark
  public FirstContact initiate(Parties p) throws SottoException {
    return Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, p.random);
  }

  /** {@code Initiator.start} with the fixture's first X25519 one-time prekey (the initiator keeps no state). */
  @Benchmark
  public FirstContact initiateWithOneTimePrekey(Parties p) throws SottoException {
    return Initiator.to(p.alice, p.prekeysWithOneTimePrekey).start(NOW, p.payload, p.random);
  }

  /** {@code Responder.accept} of a message without one-time prekeys, replay cache included. */
  @Benchmark
  public Accepted respond(Responding s) throws SottoException {
    return s.pool.acceptNext();
  }

  /** {@code Responder.accept} of a message with an X25519 one-time prekey, which it deletes. */
  @Benchmark
  public Accepted respondWithOneTimePrekey(RespondingWithOneTimePrekey s) throws SottoException {
    return s.pool.acceptNext();
  }

  /** {@link #initiate} then {@link #respond} of the new message. */
  @Benchmark
  public Accepted handshake(Parties p, Handshaking s, Blackhole bh) throws SottoException {
    FirstContact fc = Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, s.random);
    bh.consume(fc);
    return s.responder().accept(fc.message(), NOW);
  }

  /** {@link #initiateWithOneTimePrekey} then {@link #respondWithOneTimePrekey} of the new message. */
  @Benchmark
  public Accepted handshakeWithOneTimePrekey(Parties p, HandshakingWithOneTimePrekey s, Blackhole bh)
      throws SottoException {
    FirstContact fc = Initiator.to(p.alice, s.targets[s.index]).start(NOW, p.payload, s.random);
    bh.consume(fc);
    Accepted accepted = s.responder.accept(fc.message(), NOW);
    s.advance();
    return accepted;
  }

  // ---- The primitive floor ----

  /** 1 X25519 public key, 1 ML-KEM-768 encapsulation, 4 X25519 agreements, 2 HKDF (44 and 204 bytes). */
  @Benchmark
  public void floorInitiate(Floor f, Blackhole bh) throws SottoException {
    initiatorFloor(f.plain, bh);
  }

  /** As {@link #floorInitiate} with a 5th X25519 agreement (DH4) and a 192-byte (not 160) IKM for the session keys. */
  @Benchmark
  public void floorInitiateWithOneTimePrekey(Floor f, Blackhole bh) throws SottoException {
    initiatorFloor(f.oneTime, bh);
  }

  /**
   * 4 X25519 agreements, 1 ML-KEM-768 decapsulation (expanded key), 2 HKDF (44 and 204 bytes), 2
   * ChaCha20-Poly1305 opens, 1 Ed25519 public key check: see {@link #responderFloor}.
   */
  @Benchmark
  public void floorRespond(Floor f, Blackhole bh) throws SottoException {
    responderFloor(f.plain, bh);
  }

  /** As {@link #floorRespond} with a 5th X25519 agreement (DH4) and a 192-byte IKM for the session keys. */
  @Benchmark
  public void floorRespondWithOneTimePrekey(Floor f, Blackhole bh) throws SottoException {
    responderFloor(f.oneTime, bh);
  }

  /** {@link #floorInitiate} then {@link #floorRespond}. */
  @Benchmark
  public void floorHandshake(Floor f, Blackhole bh) throws SottoException {
    initiatorFloor(f.plain, bh);
    responderFloor(f.plain, bh);
  }

  /** {@link #floorInitiateWithOneTimePrekey} then {@link #floorRespondWithOneTimePrekey}. */
  @Benchmark
  public void floorHandshakeWithOneTimePrekey(Floor f, Blackhole bh) throws SottoException {
    initiatorFloor(f.oneTime, bh);
    responderFloor(f.oneTime, bh);
  }
}
