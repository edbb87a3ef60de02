package dev.sotto;

import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.internal.group.GroupMessage;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One member's side of a group (spec: group.adoc): the states it holds and the tip among them, its
 * own sender chain, the chains the other members handed it, and their skipped keys. An application
 * {@link #seal}s payloads and {@link #propose}s changes into envelopes that it leaves once at the
 * group's mailbox, {@link #open}s the envelopes it fetches there under {@link #tags()}, and carries
 * the sender keys and welcomes that these calls return to each member in their pairwise
 * {@link Session}, handing those it receives to {@link #receiveSenderKey} and {@link #join}.
 *
 * <p>{@link #open} and {@link #receiveSenderKey} are transactional: an input that is refused leaves
 * the group exactly as it was. Sealing draws 32 bytes only when it makes a new chain. The group
 * serialises to a versioned byte format ({@link #serialize}); it holds every secret of the group, so
 * store it encrypted.
 */
public final class Group {
  /** The window of each receiving chain: the next 8 message numbers are watched (spec: group.adoc#group-open). */
  public static final int WINDOW = 8;
  /** A sender chain carries at most 1,000 messages. */
  public static final int MAX_CHAIN = 1000;
  /** At most this many skipped message keys are kept in all, the oldest evicted first. */
  public static final int MAX_SKIPPED = 2000;
  /** Pending sender keys kept at most, the oldest dropped first. */
  public static final int MAX_PENDING_KEYS = 1000;
  /** A chain is replaced when it is this old (7 days). */
  public static final long PERIOD_SECONDS = 604_800;
  /** The largest group payload: a 64 KiB envelope's content less its type and length. */
  public static final int MAX_PAYLOAD = 65536 - GroupMessage.OVERHEAD - GroupMessage.CONTENT_HEADER;
  static final int STATE_VERSION = 0x01;
  private static final int MAX_CHAINS_PER_SENDER = 2;

  /** Where the state a message was sealed under stands in the receiver's tree (spec: group.adoc#group-open). */
  public enum View {
    /** The receiver's tip. */
    CURRENT,
    /** An ancestor of the tip, or older than anything held: the sender had not applied the later changes. */
    BEHIND,
    /** Held on a branch that is not the tip: the sender has not seen the change that won. */
    BRANCH,
    /** Of a later epoch than the tip: the receiver misses changes. */
    AHEAD
  }

  /** What became of a change that a member opened. */
  public enum ChangeStatus {
    /** Applied, and on the tip's path: it is the group's. */
    CURRENT,
    /** Applied on a branch that is not the tip. */
    BRANCH,
    /** Its parent is not held yet: kept until it is. */
    PENDING,
    /** Its parent is older than the base: too old to win. */
    DROPPED
  }

  /** A payload for one member, to be sealed in the pairwise session with it: a sender key or a welcome. */
  public static final class Delivery {
    private final PublicIdentity to;
    private final byte[] payload;

    Delivery(PublicIdentity to, byte[] payload) {
      this.to = to;
      this.payload = payload;
    }

    public PublicIdentity to() {
      return to;
    }

    /** The bytes to seal in the session with {@link #to()}. A sender key holds secrets. */
    public byte[] payload() {
      return payload.clone();
    }

    @Override
    public String toString() {
      return "Delivery[to " + to + ", " + payload.length + " bytes, redacted]";
    }
  }

  /**
   * What a seal gives: the envelope to leave once at the group's mailbox, the take leaves to
   * deposit with it (spec: group.adoc#group-delivery), and the payloads to carry pairwise first:
   * sender keys of a new chain, and welcomes for the members a change added.
   */
  public record Sealed(Envelope envelope, List<byte[]> leaves, List<Delivery> senderKeys, List<Delivery> welcomes) {
    public Sealed {
      leaves = List.copyOf(leaves);
      senderKeys = List.copyOf(senderKeys);
      welcomes = List.copyOf(welcomes);
    }
  }

  /**
   * An opened group message: its sender, where its state stands, the payload or the change (with
   * what became of it), whether the tip moved, this member's own changes that left the tip (to be
   * proposed again if still wanted), and the token this member presents to the mailbox once it has
   * taken the item.
   */
  public record Opened(PublicIdentity sender, View view, Optional<byte[]> payload, Optional<GroupChange> change,
      Optional<ChangeStatus> status, boolean tipMoved, List<GroupChange> lost, byte[] takeToken) {
    @Override
    public String toString() {
      return "Opened[from " + sender + ", " + view + (change.isPresent() ? ", a change " + status.orElseThrow() : "")
          + ", redacted]";
    }
  }

  /**
   * What a sender key did: installed now, or kept until its state is held; whether that state is
   * one this member lacks at an epoch it holds (a diverging view, to be shown: spec:
   * group.adoc#group-sender-key); and whether it asks for this member's chain.
   */
  public record KeyReceived(boolean pending, boolean fork, boolean requested) {}

  // ------------------------------------------------------------------ state

  /** This member's own chain (spec: group.adoc#group-chains). */
  private record OwnChain(long chainId, long epoch, byte[] stateHash, long created, byte[] chainKey, long ns,
      byte[] tagKey, byte[] signingPrivate, byte[] takeSecret, byte[] signingPublic) {
    OwnChain(long chainId, long epoch, byte[] stateHash, long created, byte[] chainKey, long ns, byte[] tagKey,
        byte[] signingPrivate, byte[] takeSecret) {
      this(chainId, epoch, stateHash, created, chainKey, ns, tagKey, signingPrivate, takeSecret,
          Ed25519.publicKey(signingPrivate));
    }

    OwnChain advanced(byte[] next) {
      return new OwnChain(chainId, epoch, stateHash, created, next, ns + 1, tagKey, signingPrivate, takeSecret,
          signingPublic);
    }

    @Override
    public String toString() {
      return "OwnChain[redacted]";
    }
  }

  /** A receiving chain: mutable, changed only when an opening commits. */
  private static final class Chain {
    final Fingerprint sender;
    final long chainId;
    final long epoch;
    final byte[] stateHash;
    final byte[] signingKey;
    final byte[] tagKey;
    final byte[] takeSeed;
    byte[] chainKey;
    long nr;
    final List<ByteBuffer> indexed = new ArrayList<>();

    Chain(Fingerprint sender, long chainId, long epoch, byte[] stateHash, byte[] signingKey, byte[] tagKey,
        byte[] takeSeed, byte[] chainKey, long nr) {
      this.sender = sender;
      this.chainId = chainId;
      this.epoch = epoch;
      this.stateHash = stateHash;
      this.signingKey = signingKey;
      this.tagKey = tagKey;
      this.takeSeed = takeSeed;
      this.chainKey = chainKey;
      this.nr = nr;
    }

    @Override
    public String toString() {
      return "Chain[redacted]";
    }
  }

  private record SkipId(Fingerprint sender, long chainId, long n) {}

  private record Skip(byte[] messageKey, byte[] tag) {
    @Override
    public String toString() {
      return "Skip[redacted]";
    }
  }

  private enum Kind { WATCH, SKIPPED, REPLAY }

  private record Ref(Chain chain, long n, Kind kind) {}

  private record Pend(PublicIdentity from, GroupSenderKey key) {
    Fingerprint sender() {
      return from.fingerprint();
    }
  }

  private final PublicIdentity me;
  private final Fingerprint myFingerprint;
  private final byte[] groupId;
  private GroupTree tree;
  private OwnChain own;
  /** The application asked for a new chain. */
  private boolean rotate;
  /** The next sender keys ask their recipients for their chains (after a resync). */
  private boolean request;
  /** Each sender's chains, oldest first. */
  private final LinkedHashMap<Fingerprint, List<Chain>> chains = new LinkedHashMap<>();
  /** Pending sender keys, oldest first. */
  private final List<Pend> pendingKeys = new ArrayList<>();
  /** Skipped message keys, oldest first. */
  private final LinkedHashMap<SkipId, Skip> skipped = new LinkedHashMap<>();
  /** Every recognised tag (watched, skipped and replay windows), kept in step with the chains. */
  private final HashMap<ByteBuffer, Ref> index = new HashMap<>();

  private Group(PublicIdentity me, GroupTree tree) {
    this.me = me;
    this.myFingerprint = me.fingerprint();
    this.tree = tree;
    this.groupId = tree.base().groupId();
  }

  // ------------------------------------------------------------------ starting

  /**
   * A new group whose only member is {@code me}, an admin (spec: group.adoc#group-create). Draws
   * the group's id, 32 bytes.
   *
   * @throws IllegalArgumentException when the name is not 1 to 64 bytes of UTF-8, there are more than
   *     4 mailboxes, or a mailbox's host is not {@code me}
   */
  public static Group create(PublicIdentity me, String name, List<GroupState.Mailbox> mailboxes, RandomSource random) {
    Objects.requireNonNull(me, "me");
    GroupState.checkName(name);
    byte[] id = random.bytes(GroupState.GROUP_ID_LENGTH);
    return new Group(me, new GroupTree(GroupState.initial(id, me, name, mailboxes)));
  }

  /**
   * Joins a group from a welcome that {@code from} sent in their pairwise session (spec:
   * group.adoc#group-welcome).
   *
   * @throws SottoException the group state's errors; NOT_PERMITTED when {@code me} is no member of
   *     the state or {@code from} is no admin of it
   */
  public static Group join(PublicIdentity me, PublicIdentity from, byte[] welcome) throws SottoException {
    GroupState state = GroupState.parse(welcome);
    if (!state.isMember(me.fingerprint())) {
      throw new SottoException(ErrorCode.NOT_PERMITTED, "welcome: the state does not list this member");
    }
    Optional<GroupState.Member> sender = state.member(from.fingerprint());
    if (sender.isEmpty() || sender.get().role() != GroupState.Role.ADMIN) {
      throw new SottoException(ErrorCode.NOT_PERMITTED, "welcome: its sender is no admin of the state");
    }
    return new Group(me, new GroupTree(state));
  }

  // ------------------------------------------------------------------ sealing

  /**
   * Seals a payload of at most {@link #MAX_PAYLOAD} bytes under this member's chain, making a new
   * chain first if there is none or it is stale at {@code now} (spec: group.adoc#group-rotation):
   * then the result's sender keys must reach the other members before they can open the envelope.
   * Draws 32 bytes only then.
   *
   * @throws IllegalStateException when this member is no member of the tip (it left or was removed)
   * @throws IllegalArgumentException when the payload is larger than {@link #MAX_PAYLOAD}
   */
  public synchronized Sealed seal(byte[] payload, Instant now, RandomSource random) {
    Objects.requireNonNull(payload, "payload");
    if (payload.length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("a group payload is at most " + MAX_PAYLOAD + " bytes");
    }
    requireMember();
    Prepared p = prepare(now, random);
    Message m = sealContent(p.chain(), GroupMessage.TYPE_PAYLOAD, payload);
    own = p.chain().advanced(m.nextChainKey());
    rotate = false;
    request &= p.senderKeys().isEmpty();
    return new Sealed(m.envelope(), m.leaves(), p.senderKeys(), List.of());
  }

  /**
   * Makes a change of the group on its tip, seals it (spec: group.adoc#group-seal) and applies it:
   * the tip moves to its result. Welcomes go to the members it adds.
   *
   * @throws IllegalStateException when this member is no member of the tip
   * @throws IllegalArgumentException when the change is not permitted or does not apply (spec:
   *     group.adoc#group-apply): nothing is sealed or drawn, nothing changes
   */
  public synchronized Sealed propose(List<GroupChange.Op> ops, Instant now, RandomSource random) {
    requireMember();
    GroupChange change = GroupChange.of(tree.tip(), myFingerprint, ops);
    GroupTree working = tree.copy();
    GroupState result;
    try {
      result = change.applyTo(tree.tip());
      working.add(change);
    } catch (SottoException e) {
      throw new IllegalArgumentException("this change does not apply: " + e.getMessage(), e);
    }
    Prepared p = prepare(now, random);
    Message m = sealContent(p.chain(), GroupMessage.TYPE_CHANGE, change.encodedView());
    own = p.chain().advanced(m.nextChainKey());
    rotate = false;
    request &= p.senderKeys().isEmpty();
    adopt(working);
    List<Delivery> welcomes = new ArrayList<>();
    for (GroupChange.Op op : ops) {
      if (op instanceof GroupChange.Add a && result.isMember(a.identity().fingerprint())) {
        welcomes.add(new Delivery(a.identity(), result.encoded()));
      }
    }
    return new Sealed(m.envelope(), m.leaves(), p.senderKeys(), welcomes);
  }

  /**
   * Makes a new chain now and returns its sender keys, each asking its recipient for its own current
   * chain (the request flag): what a member does when it comes back after more than the mailboxes'
   * retention, before it asks for a resync (spec: group.adoc#group-offline). Draws 32 bytes.
   *
   * @throws IllegalStateException when this member is no member of the tip
   */
  public synchronized List<Delivery> requestChains(Instant now, RandomSource random) {
    requireMember();
    Prepared p = prepare(now, random, true, true);
    own = p.chain();
    rotate = false;
    return p.senderKeys();
  }

  /** Asks for a new chain at the next seal (after a restore from an older copy: spec: group.adoc#group-state-storage). */
  public synchronized void rotate() {
    rotate = true;
  }

  private void requireMember() {
    if (!tree.tip().isMember(myFingerprint)) {
      throw new IllegalStateException("no member of this group any more");
    }
  }

  private boolean stale(OwnChain c, Instant now) {
    return c == null || rotate || !Arrays.equals(c.stateHash(), tree.tip().hashView()) || c.ns() >= MAX_CHAIN
        || now.getEpochSecond() - c.created() >= PERIOD_SECONDS;
  }

  private record Prepared(OwnChain chain, List<Delivery> senderKeys) {}

  /** The chain to seal under, new when the old one is stale, with its sender keys. Draws 32 bytes then. */
  private Prepared prepare(Instant now, RandomSource random) {
    return prepare(now, random, false, request);
  }

  private Prepared prepare(Instant now, RandomSource random, boolean force, boolean withRequest) {
    if (!force && !stale(own, now)) {
      return new Prepared(own, List.of());
    }
    byte[] seed = random.bytes(32);
    GroupKdf.ChainMaterial m;
    try {
      m = GroupKdf.chain(groupId, seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
    GroupState tip = tree.tip();
    OwnChain chain = new OwnChain(m.chainId(), tip.epoch(), tip.hash(), now.getEpochSecond(), m.chainKey(), 0,
        m.tagKey(), m.signingPrivate(), m.takeSecret());
    List<Delivery> keys = new ArrayList<>();
    for (GroupState.Member member : tip.members()) {
      if (!member.fingerprint().equals(myFingerprint)) {
        keys.add(new Delivery(member.identity(), senderKey(chain, member.fingerprint(), withRequest).encode()));
      }
    }
    return new Prepared(chain, keys);
  }

  private GroupSenderKey senderKey(OwnChain c, Fingerprint to, boolean withRequest) {
    return new GroupSenderKey(groupId, c.epoch(), c.stateHash(), c.chainId(), c.ns(), c.chainKey(), c.tagKey(),
        c.signingPublic(), takeSeed(c, to), withRequest);
  }

  /** The take seeds of the own chain, by member: computed once per chain (spec: group.adoc#group-chains). */
  private final HashMap<Fingerprint, byte[]> takeSeeds = new HashMap<>();
  private byte[] takeSeedsOf;

  private byte[] takeSeed(OwnChain c, Fingerprint member) {
    if (takeSeedsOf != c.takeSecret()) {
      takeSeeds.clear();
      takeSeedsOf = c.takeSecret();
    }
    return takeSeeds.computeIfAbsent(member, m -> GroupKdf.takeSeed(c.takeSecret(), m.bytes()));
  }

  private record Message(Envelope envelope, List<byte[]> leaves, byte[] nextChainKey) {}

  /** Seals a content as message Ns of {@code c}, under the tip (spec: group.adoc#group-seal). */
  private Message sealContent(OwnChain c, int type, byte[] data) {
    long n = c.ns();
    byte[] mk = GroupKdf.messageKey(c.chainKey());
    try {
      int size = 0;
      for (int bucket : Envelope.BUCKETS) {
        if (bucket - GroupMessage.OVERHEAD >= GroupMessage.CONTENT_HEADER + data.length) {
          size = bucket - GroupMessage.OVERHEAD;
          break;
        }
      }
      byte[] content = GroupMessage.content(type, data, size);
      GroupState tip = tree.tip();
      byte[] ad = GroupMessage.ad(groupId, myFingerprint.bytes(), c.chainId(), n);
      byte[] signature = Ed25519.sign(c.signingPrivate(), GroupMessage.signedMessage(ad, tip.epoch(), tip.hashView(), content));
      byte[] body = GroupMessage.seal(mk, ad, GroupMessage.plaintext(tip.epoch(), tip.hashView(), signature, content));
      byte[] tag = GroupKdf.tag(c.tagKey(), n);
      List<byte[]> leaves = new ArrayList<>();
      for (GroupState.Member member : tip.members()) {
        if (!member.fingerprint().equals(myFingerprint)) {
          byte[] seed = takeSeed(c, member.fingerprint());
          leaves.add(GroupKdf.takeLeaf(GroupKdf.takeToken(seed, tag)));
        }
      }
      leaves.sort(Arrays::compareUnsigned);
      return new Message(Envelope.of(tag, body), leaves, GroupKdf.nextChainKey(c.chainKey()));
    } finally {
      Arrays.fill(mk, (byte) 0);
    }
  }

  // ------------------------------------------------------------------ opening

  /**
   * Opens a group envelope (spec: group.adoc#group-open).
   *
   * @throws SottoException the envelope's errors; UNKNOWN_TAG (a tag of no chain held: a removed
   *     member's, or one whose sender key has not arrived); REPLAY; UNSUPPORTED_VERSION,
   *     TRUNCATED, AUTH_FAILED, INVALID_ENCODING (the message); BAD_SIGNATURE (not the chain's
   *     signing key: a forged author); FORK (sealed under a state this member does not hold at an
   *     epoch it holds); for a change, its reading and applying errors and NOT_PERMITTED. The group
   *     is then unchanged.
   */
  public synchronized Opened open(byte[] envelope) throws SottoException {
    Envelope e = Envelope.parse(envelope);
    byte[] tag = e.tag();
    Ref ref = index.get(ByteBuffer.wrap(tag));
    if (ref == null) {
      throw new SottoException(ErrorCode.UNKNOWN_TAG, "group: no chain held has this tag");
    }
    if (ref.kind() == Kind.REPLAY) {
      throw new SottoException(ErrorCode.REPLAY, "group: this message was already opened");
    }
    Chain c = ref.chain();
    long n = ref.n();
    GroupMessage.Head head = GroupMessage.head(e.body());
    byte[] mk;
    byte[] nextChainKey = null;
    List<long[]> skippedNumbers = new ArrayList<>();
    List<Skip> newSkips = new ArrayList<>();
    if (ref.kind() == Kind.SKIPPED) {
      mk = skipped.get(new SkipId(c.sender, c.chainId, n)).messageKey();
    } else {
      byte[] ck = c.chainKey;
      for (long k = c.nr; k < n; k++) {
        skippedNumbers.add(new long[] {k});
        newSkips.add(new Skip(GroupKdf.messageKey(ck), GroupKdf.tag(c.tagKey, k)));
        ck = GroupKdf.nextChainKey(ck);
      }
      mk = GroupKdf.messageKey(ck);
      nextChainKey = GroupKdf.nextChainKey(ck);
    }
    byte[] ad = GroupMessage.ad(groupId, c.sender.bytes(), c.chainId, n);
    GroupMessage.Plain p = GroupMessage.read(GroupMessage.open(mk, ad, head));
    GroupMessage.verify(c.signingKey, ad, p);
    View view = place(p.epoch(), p.stateHash());
    PublicIdentity sender = tree.tip().member(c.sender).orElseThrow().identity();

    GroupTree working = null;
    GroupChange change = null;
    ChangeStatus status = null;
    if (p.type() == GroupMessage.TYPE_CHANGE) {
      change = GroupChange.parse(groupId, p.data());
      if (!change.author().equals(c.sender)) {
        throw new SottoException(ErrorCode.NOT_PERMITTED, "group change: its author is not its message's sender");
      }
      if (change.parentEpoch() != p.epoch() || !Arrays.equals(change.parentHashView(), p.stateHash())) {
        throw new SottoException(ErrorCode.INVALID_ENCODING, "group change: its parent is not its message's state");
      }
      working = tree.copy();
      GroupTree.Result r = working.add(change);
      status = switch (r.added()) {
        case PENDING -> ChangeStatus.PENDING;
        case DROPPED -> ChangeStatus.DROPPED;
        case APPLIED -> working.onTipPath(r.state()) ? ChangeStatus.CURRENT
            : working.holds(r.state()) ? ChangeStatus.BRANCH : ChangeStatus.DROPPED;
      };
    }

    // Every check has passed: commit.
    if (ref.kind() == Kind.WATCH && n == c.nr) {
      // The usual case, the next message in order: the index moves by one, two HMACs.
      c.chainKey = nextChainKey;
      c.nr = n + 1;
      advanceInOrder(c, n, tag);
    } else {
      if (ref.kind() == Kind.SKIPPED) {
        skipped.remove(new SkipId(c.sender, c.chainId, n));
      } else {
        for (int i = 0; i < newSkips.size(); i++) {
          skipped.put(new SkipId(c.sender, c.chainId, skippedNumbers.get(i)[0]), newSkips.get(i));
        }
        c.chainKey = nextChainKey;
        c.nr = n + 1;
      }
      List<Chain> touched = new ArrayList<>();
      touched.add(c);
      evictSkipped(touched);
      touched.forEach(this::reindex);
    }
    boolean moved = false;
    List<GroupChange> lost = List.of();
    if (working != null) {
      GroupState before = tree.tip();
      List<GroupChange> oldPath = tree.tipPath();
      adopt(working);
      moved = !before.equals(tree.tip());
      if (moved) {
        List<GroupChange> newPath = tree.tipPath();
        lost = new ArrayList<>();
        for (GroupChange old : oldPath) {
          if (old.author().equals(myFingerprint) && !newPath.contains(old)) {
            lost.add(old);
          }
        }
      }
    }
    byte[] token = GroupKdf.takeToken(c.takeSeed, tag);
    return new Opened(sender, view, p.type() == GroupMessage.TYPE_PAYLOAD ? Optional.of(p.data()) : Optional.empty(),
        Optional.ofNullable(change), Optional.ofNullable(status), moved, List.copyOf(lost), token);
  }

  /** Step 6 of the opening: FORK unless the state is held, older than the base or ahead of the tip. */
  private View place(long epoch, byte[] hash) throws SottoException {
    GroupTree.Node held = tree.held(epoch, hash);
    if (held != null) {
      ByteBuffer key = ByteBuffer.wrap(hash);
      if (held.state().equals(tree.tip())) {
        return View.CURRENT;
      }
      return tree.onTipPath(key) ? View.BEHIND : View.BRANCH;
    }
    if (epoch < tree.base().epoch()) {
      return View.BEHIND;
    }
    if (epoch > tree.tip().epoch()) {
      return View.AHEAD;
    }
    throw new SottoException(ErrorCode.FORK, "group: sealed under a state this member does not hold, at an epoch it holds");
  }

  /** Takes a new tree: deletes what belongs to members no longer in the tip, installs pending keys now held. */
  private void adopt(GroupTree working) {
    tree = working;
    GroupState tip = tree.tip();
    for (Iterator<Map.Entry<Fingerprint, List<Chain>>> it = chains.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Fingerprint, List<Chain>> e = it.next();
      if (!tip.isMember(e.getKey())) {
        e.getValue().forEach(this::dropChain);
        it.remove();
      }
    }
    pendingKeys.removeIf(p -> !tip.isMember(p.sender()));
    for (Iterator<Pend> it = pendingKeys.iterator(); it.hasNext(); ) {
      Pend p = it.next();
      GroupTree.Node held = tree.held(p.key().epoch(), p.key().stateHash());
      if (held != null) {
        it.remove();
        Fingerprint f = p.from().fingerprint();
        if (held.state().isMember(f) && tip.isMember(f) && chain(f, p.key().chainId()) == null) {
          install(p.from(), p.key());
        }
      }
    }
  }

  // ------------------------------------------------------------------ sender keys

  /**
   * Takes a sender key that {@code from} sent in their pairwise session (spec:
   * group.adoc#group-sender-key).
   *
   * @throws SottoException the sender key's reading errors; NOT_PERMITTED (from this member itself,
   *     or from no member of the key's state or of the tip: a removed member); REPLAY (a chain held
   *     or pending already). The group is then unchanged.
   */
  public synchronized KeyReceived receiveSenderKey(PublicIdentity from, byte[] senderKey) throws SottoException {
    GroupSenderKey k = GroupSenderKey.parse(groupId, senderKey);
    Fingerprint f = from.fingerprint();
    if (f.equals(myFingerprint)) {
      throw new SottoException(ErrorCode.NOT_PERMITTED, "sender key: from this member itself");
    }
    GroupTree.Node held = tree.held(k.epoch(), k.stateHash());
    boolean pending = held == null && k.epoch() >= tree.base().epoch();
    if (held != null && !held.state().isMember(f) || !tree.tip().isMember(f)) {
      throw new SottoException(ErrorCode.NOT_PERMITTED, "sender key: from no member");
    }
    boolean fork = pending && k.epoch() <= tree.tip().epoch();
    if (chain(f, k.chainId()) != null
        || pendingKeys.stream().anyMatch(p -> p.sender().equals(f) && p.key().chainId() == k.chainId())) {
      throw new SottoException(ErrorCode.REPLAY, "sender key: this chain is held already");
    }
    if (pending) {
      pendingKeys.add(new Pend(from, k));
      while (pendingKeys.size() > MAX_PENDING_KEYS) {
        pendingKeys.remove(0);
      }
    } else {
      install(from, k);
    }
    return new KeyReceived(pending, fork, k.request());
  }

  /**
   * A sender key of this member's current chain at its current position, for {@code member}: the
   * answer to a sender key with the request flag. Empty when this member has no chain that is not
   * stale (its next seal makes one, whose sender key reaches the member anyway) or {@code member}
   * is no other member of the tip.
   */
  public synchronized Optional<Delivery> senderKeyFor(PublicIdentity member, Instant now) {
    Fingerprint f = member.fingerprint();
    if (stale(own, now) || f.equals(myFingerprint) || !tree.tip().isMember(f)) {
      return Optional.empty();
    }
    return Optional.of(new Delivery(member, senderKey(own, f, false).encode()));
  }

  private void install(PublicIdentity from, GroupSenderKey k) {
    Fingerprint f = from.fingerprint();
    Chain c = new Chain(f, k.chainId(), k.epoch(), k.stateHash(), k.signingKey(), k.tagKey(), k.takeSeed(),
        k.chainKey(), k.n());
    List<Chain> list = chains.computeIfAbsent(f, x -> new ArrayList<>());
    list.add(c);
    while (list.size() > MAX_CHAINS_PER_SENDER) {
      dropChain(list.remove(0));
    }
    reindex(c);
  }

  private Chain chain(Fingerprint sender, long chainId) {
    for (Chain c : chains.getOrDefault(sender, List.of())) {
      if (c.chainId == chainId) {
        return c;
      }
    }
    return null;
  }

  private void dropChain(Chain c) {
    unindex(c);
    skipped.keySet().removeIf(id -> id.sender().equals(c.sender) && id.chainId() == c.chainId);
  }

  // ------------------------------------------------------------------ resync

  /**
   * Adopts a member's current state after a long absence (spec: group.adoc#group-offline): the
   * state becomes the base and the tip, the chains of members it no longer lists are deleted, and
   * this member's next sender keys ask every member for its current chain.
   *
   * @return false, changing nothing, when the state's epoch is not above the tip's
   * @throws SottoException the group state's errors; INVALID_ENCODING for another group's state;
   *     NOT_PERMITTED when this member or {@code from} is no member of it
   */
  public synchronized boolean resync(PublicIdentity from, byte[] state) throws SottoException {
    GroupState s = GroupState.parse(state);
    if (!Arrays.equals(s.groupIdView(), groupId)) {
      throw new SottoException(ErrorCode.INVALID_ENCODING, "resync: another group's state");
    }
    if (!s.isMember(myFingerprint) || !s.isMember(from.fingerprint())) {
      throw new SottoException(ErrorCode.NOT_PERMITTED, "resync: this member or the sender is no member of the state");
    }
    if (s.epoch() <= tree.tip().epoch()) {
      return false;
    }
    adopt(new GroupTree(s));
    request = true;
    return true;
  }

  // ------------------------------------------------------------------ tags

  private static List<Long> watched(long nr) {
    List<Long> out = new ArrayList<>();
    long end = Math.min(nr + WINDOW, MAX_CHAIN);
    for (long n = nr; n < end; n++) {
      out.add(n);
    }
    for (long n = (nr + WINDOW + 31) / 32 * 32; n < MAX_CHAIN - 1; n += 32) {
      if (n > nr + WINDOW - 1) {
        out.add(n);
      }
    }
    if (MAX_CHAIN - 1 > nr + WINDOW - 1) {
      out.add((long) MAX_CHAIN - 1);
    }
    return out;
  }

  private void unindex(Chain c) {
    for (ByteBuffer k : c.indexed) {
      Ref r = index.get(k);
      if (r != null && r.chain() == c) {
        index.remove(k);
      }
    }
    c.indexed.clear();
  }

  private void put(Chain c, byte[] tag, long n, Kind kind) {
    ByteBuffer k = ByteBuffer.wrap(tag);
    index.put(k, new Ref(c, n, kind));
    c.indexed.add(k);
  }

  /**
   * What {@link #reindex} gives after message {@code n = Nr} was opened in order, computed from the
   * index before: n joins the replay window, n - 8 leaves it, n + 8 joins the window (unless it is
   * an anchor already).
   */
  private void advanceInOrder(Chain c, long n, byte[] tag) {
    ByteBuffer opened = ByteBuffer.wrap(tag);
    index.put(opened, new Ref(c, n, Kind.REPLAY));
    if (n - WINDOW >= 0) {
      ByteBuffer k = ByteBuffer.wrap(GroupKdf.tag(c.tagKey, n - WINDOW));
      Ref r = index.get(k);
      if (r != null && r.chain() == c && r.kind() == Kind.REPLAY) {
        index.remove(k);
        c.indexed.remove(k);
      }
    }
    long next = n + WINDOW;
    if (next < MAX_CHAIN) {
      ByteBuffer k = ByteBuffer.wrap(GroupKdf.tag(c.tagKey, next));
      Ref r = index.get(k);
      if (r == null || r.chain() != c) {
        put(c, k.array(), next, Kind.WATCH);
      }
    }
  }

  /** Recomputes the tags of a chain: its replay window, window, anchors and skipped keys. */
  private void reindex(Chain c) {
    unindex(c);
    for (long n = Math.max(0, c.nr - WINDOW); n < c.nr; n++) {
      if (!skipped.containsKey(new SkipId(c.sender, c.chainId, n))) {
        put(c, GroupKdf.tag(c.tagKey, n), n, Kind.REPLAY);
      }
    }
    for (long n : watched(c.nr)) {
      put(c, GroupKdf.tag(c.tagKey, n), n, Kind.WATCH);
    }
    for (Map.Entry<SkipId, Skip> e : skipped.entrySet()) {
      if (e.getKey().sender().equals(c.sender) && e.getKey().chainId() == c.chainId) {
        put(c, e.getValue().tag(), e.getKey().n(), Kind.SKIPPED);
      }
    }
  }

  private void evictSkipped(List<Chain> touched) {
    while (skipped.size() > MAX_SKIPPED) {
      SkipId oldest = skipped.keySet().iterator().next();
      skipped.remove(oldest);
      Chain c = chain(oldest.sender(), oldest.chainId());
      if (c != null && !touched.contains(c)) {
        touched.add(c);
      }
    }
  }

  /** The mailbox tags to fetch now: every held chain's window, anchors and skipped keys (16 bytes each). */
  public synchronized List<byte[]> tags() {
    List<byte[]> out = new ArrayList<>();
    for (Map.Entry<ByteBuffer, Ref> e : index.entrySet()) {
      if (e.getValue().kind() != Kind.REPLAY) {
        out.add(Bytes.concat(e.getKey().array()));
      }
    }
    out.sort(Arrays::compareUnsigned);
    return out;
  }

  /**
   * The tags to fetch now, as {@link #tags}, each with this member's take leaf for it (spec:
   * group.adoc#group-delivery): what a FETCH_GROUP names, so that a mailbox hands out only the items
   * under a tag whose sender gave this member a leaf (spec: transport.adoc#mailbox).
   */
  public synchronized List<Frame.Watch> watches() {
    List<Frame.Watch> out = new ArrayList<>();
    for (Map.Entry<ByteBuffer, Ref> e : index.entrySet()) {
      if (e.getValue().kind() != Kind.REPLAY) {
        byte[] tag = Bytes.concat(e.getKey().array());
        out.add(new Frame.Watch(tag, GroupKdf.takeLeaf(GroupKdf.takeToken(e.getValue().chain().takeSeed, tag))));
      }
    }
    out.sort((x, y) -> Arrays.compareUnsigned(x.tag(), y.tag()));
    return out;
  }

  // ------------------------------------------------------------------ reading

  /** The current state (the tip). */
  public synchronized GroupState state() {
    return tree.tip();
  }

  /** Whether this member is a member of the tip (false once it has left or been removed). */
  public synchronized boolean isMember() {
    return tree.tip().isMember(myFingerprint);
  }

  public PublicIdentity me() {
    return me;
  }

  public byte[] groupId() {
    return groupId.clone();
  }

  /** The changes waiting for their parent. */
  public synchronized List<GroupChange> pendingChanges() {
    return tree.pending();
  }

  // ------------------------------------------------------------------ storage

  /**
   * The group's byte form, the reference implementation's own (spec: group.adoc#group-state-storage):
   * version u8 || suite u16 || me (68) || flags u8 || base || changes || pending changes || own chain
   * || receiving chains || pending sender keys || skipped keys. It holds every secret of the group.
   */
  public synchronized byte[] serialize() {
    Writer w = new Writer().u8(STATE_VERSION).u16(Suite.SOTTO_1.id()).bytes(me.encodedView())
        .u8((rotate ? 1 : 0) | (request ? 2 : 0));
    byte[] base = tree.base().encodedView();
    w.u32(base.length).bytes(base);
    List<GroupChange> changes = tree.changes();
    w.u16(changes.size());
    changes.forEach(c -> w.u32(c.encodedView().length).bytes(c.encodedView()));
    List<GroupChange> pending = tree.pending();
    w.u8(pending.size());
    pending.forEach(c -> w.u32(c.encodedView().length).bytes(c.encodedView()));
    if (own == null) {
      w.u8(0);
    } else {
      w.u8(1).u32(own.chainId()).u64(own.epoch()).bytes(own.stateHash()).u64(own.created()).bytes(own.chainKey())
          .u32(own.ns()).bytes(own.tagKey()).bytes(own.signingPrivate()).bytes(own.takeSecret());
    }
    List<Chain> all = new ArrayList<>();
    chains.values().forEach(all::addAll);
    w.u16(all.size());
    for (Chain c : all) {
      w.bytes(c.sender.bytes()).u32(c.chainId).u64(c.epoch).bytes(c.stateHash).bytes(c.signingKey).bytes(c.tagKey)
          .bytes(c.takeSeed).bytes(c.chainKey).u32(c.nr);
    }
    w.u16(pendingKeys.size());
    pendingKeys.forEach(p -> w.bytes(p.from().encodedView()).bytes(p.key().encode()));
    w.u16(skipped.size());
    skipped.forEach((id, s) -> w.bytes(id.sender().bytes()).u32(id.chainId()).u32(id.n()).bytes(s.messageKey())
        .bytes(s.tag()));
    return w.toByteArray();
  }

  /**
   * Restores a group written by {@link #serialize()}. A state restored from anything but the latest
   * save should {@link #rotate()} before sealing again (spec: group.adoc#group-state-storage).
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, UNSUPPORTED_SUITE,
   *     INVALID_ENCODING, INVALID_KEY, or a change's errors, for a malformed state
   */
  public static Group restore(byte[] serialized) throws SottoException {
    Reader in = new Reader(serialized, "group");
    in.version(STATE_VERSION, "group");
    in.suite();
    PublicIdentity me = PublicIdentity.read(in);
    int flagsOffset = in.position();
    int flags = in.u8("flags");
    if ((flags & ~3) != 0) {
      throw in.invalid("flags", flagsOffset, "undefined flag bits");
    }
    GroupState base = GroupState.parse(in.bytes(in.u32("base_length"), "base"));
    List<GroupChange> changes = new ArrayList<>();
    for (int i = 0, count = in.u16("change_count"); i < count; i++) {
      changes.add(GroupChange.parse(base.groupIdView(), in.bytes(in.u32("change_length"), "change")));
    }
    List<GroupChange> pending = new ArrayList<>();
    for (int i = 0, count = in.u8("pending_count"); i < count; i++) {
      pending.add(GroupChange.parse(base.groupIdView(), in.bytes(in.u32("pending_length"), "pending")));
    }
    Group g = new Group(me, GroupTree.rebuild(base, changes, pending));
    g.rotate = (flags & 1) != 0;
    g.request = (flags & 2) != 0;
    int ownOffset = in.position();
    int hasOwn = in.u8("own");
    if (hasOwn > 1) {
      throw in.invalid("own", ownOffset, "presence byte");
    }
    if (hasOwn == 1) {
      g.own = new OwnChain(in.u32("chain_id"), in.u64("epoch"), in.bytes(32, "state_hash"), in.u64("created"),
          in.bytes(32, "chain_key"), in.u32("ns"), in.bytes(32, "tag_key"), in.bytes(32, "signing_private"),
          in.bytes(32, "take_secret"));
      if (g.own.ns() > MAX_CHAIN) {
        throw in.invalid("ns", ownOffset, "beyond the chain bound");
      }
    }
    List<Chain> all = new ArrayList<>();
    for (int i = 0, count = in.u16("chain_count"); i < count; i++) {
      int offset = in.position();
      Chain c = new Chain(Fingerprint.fromBytes(in.bytes(32, "sender")), in.u32("chain_id"), in.u64("epoch"),
          in.bytes(32, "state_hash"), in.bytes(32, "signing_key"), in.bytes(32, "tag_key"), in.bytes(32, "take_seed"),
          in.bytes(32, "chain_key"), in.u32("nr"));
      if (c.nr > MAX_CHAIN || !Ed25519.isValidPublicKey(c.signingKey)) {
        throw in.invalid("chain", offset, "a receiving chain beyond its bound or with an invalid key");
      }
      g.chains.computeIfAbsent(c.sender, x -> new ArrayList<>()).add(c);
      all.add(c);
    }
    for (int i = 0, count = in.u16("pending_keys"); i < count; i++) {
      PublicIdentity from = PublicIdentity.read(in);
      GroupSenderKey k = GroupSenderKey.parse(base.groupIdView(), in.bytes(GroupSenderKey.LENGTH, "sender_key"));
      g.pendingKeys.add(new Pend(from, k));
    }
    for (int i = 0, count = in.u16("skipped_count"); i < count; i++) {
      SkipId id = new SkipId(Fingerprint.fromBytes(in.bytes(32, "sender")), in.u32("chain_id"), in.u32("n"));
      g.skipped.put(id, new Skip(in.bytes(32, "message_key"), in.bytes(16, "tag")));
    }
    in.end();
    all.forEach(g::reindex);
    return g;
  }

  /** For the conformance suite: this member's own chain key and position. Not for applications. */
  public synchronized Optional<byte[]> ownChainKey(InsecureSecretAccess access) {
    Objects.requireNonNull(access, "access");
    return own == null ? Optional.empty() : Optional.of(own.chainKey().clone());
  }

  @Override
  public String toString() {
    return "Group[" + tree.tip() + ", redacted]";
  }

}
