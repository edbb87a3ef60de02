package dev.sotto.benchmarks;

import dev.sotto.Group;
import dev.sotto.GroupChange;
import dev.sotto.GroupState;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.group.GroupMessage;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Groups (spec: group.adoc) at 10, 100 and 1,000 members, through {@link Group}, beside their
 * primitive floor.
 *
 * <ul>
 *   <li>{@code seal1KiB}: one member seals a 1 KiB payload (a 4 KiB envelope: 1 KiB does not fit
 *       the 869 bytes of a 1 KiB group envelope) and computes the take leaves of the other
 *       {@code members - 1}. Its chain holds 1,000 messages: every 1,000th call makes a new chain
 *       and its {@code members - 1} sender keys, measured (that is {@code rekey} / 1,000 per call).
 *   <li>{@code open1KiB}: another member opens them in order, from a pool of 999 messages of one
 *       chain; receivers restored from one state before each iteration (not measured) take turns,
 *       one per pool.
 *   <li>{@code rekey}: a member makes a new chain and its {@code members - 1} sender keys (what a
 *       change costs each member that sends afterwards; at 1,000 members: 999 sender keys to seal
 *       in pairwise sessions, not measured here).
 *   <li>{@code sealFloor1KiB}: what sealing must compute: KDF of the chain (2 HMACs), the siv
 *       (2 HMACs), the body key (HKDF, 44 bytes), an Ed25519 signature over the signed message,
 *       the AEAD seal, the tag (1 HMAC), and per other member a token (1 HMAC) and a leaf (1
 *       SHA-256), with take seeds computed beforehand.
 *   <li>{@code openFloor1KiB}: KDF of the chain, the body key, the AEAD open, an Ed25519
 *       verification, and the member's token.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GroupBenchmark {
  static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);
  static final int POOL = 999;
  static final int RECEIVERS = 12;

  @Param({"10", "100", "1000"})
  public int members;

  private RandomSource random;
  private Group sender;
  private byte[] receiverState;
  private byte[][] pool;
  private Group[] receivers;
  private int opened;
  private final byte[] payload = new byte[1024];

  // The floors' inputs.
  private byte[] chainKey;
  private byte[] ad;
  private byte[] signingPrivate;
  private byte[] signingPublic;
  private byte[] plaintextHead;
  private byte[] content;
  private byte[] sealedBody;
  private byte[] tagKey;
  private byte[] tag;
  private byte[][] takeSeeds;
  private byte[] signature;

  @Setup(Level.Trial)
  public void setUp() throws SottoException {
    random = TestRandom.deterministic(("group benchmark " + members).getBytes(StandardCharsets.US_ASCII));
    List<PublicIdentity> ids = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      ids.add(Identity.fromSeed(IdentitySeed.fromBytes(random.bytes(32))).publicIdentity());
    }
    sender = Group.create(ids.get(0), "bench", List.of(), random);
    for (int from = 1; from < members; from += GroupChange.MAX_OPS) {
      List<GroupChange.Op> adds = new ArrayList<>();
      for (int i = from; i < Math.min(members, from + GroupChange.MAX_OPS); i++) {
        adds.add(new GroupChange.Add(ids.get(i), GroupState.Role.MEMBER));
      }
      sender.propose(adds, NOW, random);
    }
    Group receiver = Group.join(ids.get(1), ids.get(0), sender.state().encoded());
    Group.Sealed first = sender.seal(payload, NOW, random);
    for (Group.Delivery d : first.senderKeys()) {
      if (d.to().equals(ids.get(1))) {
        receiver.receiveSenderKey(ids.get(0), d.payload());
      }
    }
    receiver.open(first.envelope().encoded());
    receiverState = receiver.serialize();
    pool = new byte[POOL][];
    for (int i = 0; i < POOL; i++) {
      pool[i] = sender.seal(payload, NOW, random).envelope().encoded();
    }
    if (!Arrays.equals(payload, Group.restore(receiverState).open(pool[0]).payload().orElseThrow())) {
      throw new IllegalStateException("the pool does not open");
    }
    // Floor inputs, of the sizes a 4 KiB envelope has.
    chainKey = random.bytes(32);
    tagKey = random.bytes(32);
    signingPrivate = random.bytes(32);
    signingPublic = Ed25519.publicKey(signingPrivate);
    ad = new byte[73];
    content = GroupMessage.content(GroupMessage.TYPE_PAYLOAD, payload, 4096 - GroupMessage.OVERHEAD);
    plaintextHead = new byte[8 + 32];
    signature = Ed25519.sign(signingPrivate, signed());
    byte[] mk = Hmac.sha256(chainKey, Labels.GROUP_STEP_MESSAGE);
    byte[] kn = Hkdf.derive(new byte[12], mk, Labels.GROUP_BODY, 44);
    sealedBody = Aead.seal(Arrays.copyOf(kn, 32), Arrays.copyOfRange(kn, 32, 44), ad, plaintext());
    tag = Arrays.copyOf(Hmac.sha256(tagKey, Labels.GROUP_TAG, new Writer().u32(5).toByteArray()), 16);
    takeSeeds = new byte[members - 1][];
    for (int i = 0; i < takeSeeds.length; i++) {
      takeSeeds[i] = random.bytes(32);
    }
  }

  private byte[] signed() {
    return dev.sotto.internal.encoding.Bytes.concat(Labels.GROUP_SIGNATURE, ad, plaintextHead, content);
  }

  private byte[] plaintext() {
    return dev.sotto.internal.encoding.Bytes.concat(plaintextHead, signature, content);
  }

  @Setup(Level.Iteration)
  public void receivers() throws SottoException {
    receivers = new Group[RECEIVERS];
    for (int i = 0; i < RECEIVERS; i++) {
      receivers[i] = Group.restore(receiverState);
    }
    opened = 0;
  }

  @Benchmark
  public Group.Sealed seal1KiB() {
    return sender.seal(payload, NOW, random);
  }

  @Benchmark
  public Group.Opened open1KiB() throws SottoException {
    int round = opened / POOL;
    int at = opened % POOL;
    opened++;
    int r = round % RECEIVERS;
    if (round >= RECEIVERS && at == 0) {
      receivers[r] = Group.restore(receiverState); // past the receivers made for this iteration: measured
    }
    return receivers[r].open(pool[at]);
  }

  @Benchmark
  public List<Group.Delivery> rekey() {
    return sender.requestChains(NOW, random);
  }

  @Benchmark
  public void sealFloor1KiB(Blackhole bh) {
    byte[] mk = Hmac.sha256(chainKey, Labels.GROUP_STEP_MESSAGE);
    bh.consume(Hmac.sha256(chainKey, Labels.GROUP_STEP_CHAIN));
    byte[] sig = Ed25519.sign(signingPrivate, signed());
    byte[] plaintext = dev.sotto.internal.encoding.Bytes.concat(plaintextHead, sig, content);
    byte[] sivKey = Hmac.sha256(mk, Labels.GROUP_SIV);
    byte[] siv = Arrays.copyOf(Hmac.sha256(sivKey, ad, plaintext), 12);
    byte[] kn = Hkdf.derive(siv, mk, Labels.GROUP_BODY, 44);
    bh.consume(Aead.seal(Arrays.copyOf(kn, 32), Arrays.copyOfRange(kn, 32, 44), ad, plaintext));
    byte[] t = Arrays.copyOf(Hmac.sha256(tagKey, Labels.GROUP_TAG, new Writer().u32(5).toByteArray()), 16);
    for (byte[] seed : takeSeeds) {
      byte[] token = Arrays.copyOf(Hmac.sha256(seed, Labels.GROUP_TAKE_TOKEN, t), 16);
      bh.consume(Hmac.hash(Labels.GROUP_TAKE_LEAF, token));
    }
  }

  @Benchmark
  public void openFloor1KiB(Blackhole bh) throws SottoException {
    byte[] mk = Hmac.sha256(chainKey, Labels.GROUP_STEP_MESSAGE);
    bh.consume(Hmac.sha256(chainKey, Labels.GROUP_STEP_CHAIN));
    byte[] kn = Hkdf.derive(new byte[12], mk, Labels.GROUP_BODY, 44);
    byte[] plaintext = Aead.open(Arrays.copyOf(kn, 32), Arrays.copyOfRange(kn, 32, 44), ad, sealedBody);
    bh.consume(Ed25519.verify(signingPublic, signed(), Arrays.copyOfRange(plaintext, 40, 104)));
    bh.consume(Arrays.copyOf(Hmac.sha256(takeSeeds[0], Labels.GROUP_TAKE_TOKEN, tag), 16));
  }
}
