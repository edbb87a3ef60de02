package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Fingerprint;
import dev.sotto.Frame;
import dev.sotto.Group;
import dev.sotto.GroupChange;
import dev.sotto.GroupState;
import dev.sotto.NodeMessage;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's groups (spec: group.adoc, transport.adoc#node-messages): each member's {@link Group}
 * kept sealed in the store, its sender keys and welcomes carried as GROUP_KEY and GROUP_WELCOME node
 * messages in the pairwise sessions with the members (who must be contacts), each group message
 * deposited once, with its take leaves, at the group's first mailbox that answers, and fetched there
 * by every member, who presents its take token once it has opened it.
 *
 * <p>What is stored, all in sealed key-value entries: the list of groups; per group its state
 * ({@link Group#serialize}), its history and the next {@code seq} of this node's messages to it;
 * the deposits not yet made; the sender keys of groups not yet joined.
 */
final class Groups {
  static final String KV_INDEX = "groups";
  static final String KV_OUT = "group-out";
  static final String KV_EARLY = "group-early-keys";

  private final Store store;
  private final Clock clock;
  private final RandomSource random;
  private final PublicIdentity me;
  private final LinkPool links;
  private final System.Logger log;
  /** FETCHes answered at the groups' mailboxes, since start. */
  private final AtomicLong fetches = new AtomicLong();
  /** Group items opened and taken, since start. */
  private final AtomicLong opened = new AtomicLong();
  /** Group items refused when opened (each opening: a refused item is fetched and opened again), since start. */
  private final AtomicLong refused = new AtomicLong();
  /** Of the refused, those signed with another key than their chain's: a forged author (BAD_SIGNATURE). */
  private final AtomicLong forged = new AtomicLong();
  /** Resyncs asked for (a return after the retention, or a fork), and states adopted, since start. */
  private final AtomicLong resyncsAsked = new AtomicLong();
  private final AtomicLong resyncsAnswered = new AtomicLong();
  private final AtomicLong resyncsAdopted = new AtomicLong();
  /** Group messages sent in the pairwise sessions because the group's mailboxes failed (spec: group.adoc#group-delivery). */
  private final AtomicLong pairwiseSent = new AtomicLong();
  /** Group messages opened from a pairwise session. */
  private final AtomicLong pairwiseOpened = new AtomicLong();
  /** When each waiting deposit first failed at every mailbox of its group (this process's memory only). */
  private final Map<java.nio.ByteBuffer, Long> failingSince = new java.util.concurrent.ConcurrentHashMap<>();
  /** How long a deposit fails at every mailbox before its envelope goes pairwise to each member. */
  private volatile long fallbackMillis = FALLBACK_MILLIS;
  static final long FALLBACK_MILLIS = 60_000;
  static final String KV_EARLY_ENVELOPES = "group-early-envelopes";
  /**
   * How long the group's mailboxes are taken to keep items (this node's own retention, 7 days by
   * default): a member whose last fetch of a group is older asks for a resync (spec:
   * group.adoc#group-offline).
   */
  private final long absenceMillis;
  /** The mailbox this node offers a group whose mailbox moves: its own, or its first. */
  private final java.util.function.Supplier<GroupState.Mailbox> ownMailbox;

  Groups(Store store, Clock clock, RandomSource random, PublicIdentity me, LinkPool links, System.Logger log,
      long absenceMillis, java.util.function.Supplier<GroupState.Mailbox> ownMailbox) {
    this.absenceMillis = absenceMillis;
    this.ownMailbox = ownMailbox;
    this.store = store;
    this.clock = clock;
    this.random = random;
    this.me = me;
    this.links = links;
    this.log = log;
  }

  /** A group as the user sees it. */
  record Info(String id, String name, int members, boolean member, long epoch) {}

  /** A member as the user sees it: its contact name (or "me", or its fingerprint) and whether it is an admin. */
  record Member(String name, String fingerprint, boolean admin) {}

  /** A line of a group's history: who (a name), when (the sender's clock), what; events are changes. */
  record Line(String from, long sentAt, String text, boolean event) {}

  /**
   * The counters since start, by name: {@code group_fetches}, {@code group_opened}, {@code
   * group_refused} and, of those, {@code group_forged} (spec: group.adoc#group-open).
   */
  Map<String, Long> counters() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("group_fetches", fetches.get());
    m.put("group_opened", opened.get());
    m.put("group_refused", refused.get());
    m.put("group_forged", forged.get());
    m.put("group_resyncs_asked", resyncsAsked.get());
    m.put("group_resyncs_adopted", resyncsAdopted.get());
    m.put("group_resyncs_answered", resyncsAnswered.get());
    m.put("group_pairwise_sent", pairwiseSent.get());
    m.put("group_pairwise_opened", pairwiseOpened.get());
    return m;
  }

  // ---------------------------------------------------------------- the store

  static String id(byte[] groupId) {
    return Bytes.hex(groupId).substring(0, 16);
  }

  private static List<String> index(Tx tx) throws StoreException {
    List<String> out = new ArrayList<>();
    Optional<byte[]> raw = tx.get(KV_INDEX);
    if (raw.isPresent() && raw.get().length > 0) {
      for (String s : new String(raw.get(), StandardCharsets.US_ASCII).split(",")) {
        out.add(s);
      }
    }
    return out;
  }

  static Group load(Tx tx, String id) throws StoreException, SottoException {
    return Group.restore(tx.get("group:" + id).orElseThrow(
        () -> new StoreException(StoreException.Kind.MISSING, "no group " + id)));
  }

  private static void save(Tx tx, Group g) throws StoreException {
    String id = id(g.groupId());
    List<String> index = index(tx);
    if (!index.contains(id)) {
      index.add(id);
      tx.put(KV_INDEX, String.join(",", index).getBytes(StandardCharsets.US_ASCII));
    }
    tx.put("group:" + id, g.serialize());
  }

  /** The group named {@code nameOrId}: by its name among this node's groups, or by its id. */
  static String find(Tx tx, String nameOrId) throws StoreException, SottoException {
    String found = null;
    for (String id : index(tx)) {
      if (id.equals(nameOrId)) {
        return id;
      }
      if (load(tx, id).state().name().equals(nameOrId)) {
        if (found != null) {
          throw new IllegalArgumentException("two groups are named '" + nameOrId + "': use the id");
        }
        found = id;
      }
    }
    if (found == null) {
      throw new IllegalArgumentException("no group '" + nameOrId + "'");
    }
    return found;
  }

  /** A line of a group's history and when this node stored it (its own clock, milliseconds). */
  private record Entry(Line line, long storedAt) {}

  /** Marks the history's second layout, which keeps each line's storing time. */
  private static final int HISTORY_V2 = -2;

  private static List<Line> history(Tx tx, String id) throws StoreException {
    return entries(tx, id).stream().map(Entry::line).toList();
  }

  private static List<Entry> entries(Tx tx, String id) throws StoreException {
    List<Entry> out = new ArrayList<>();
    Optional<byte[]> raw = tx.get("group-log:" + id);
    if (raw.isEmpty()) {
      return out;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw.get()))) {
      int n = in.readInt();
      boolean v2 = n == HISTORY_V2;
      if (v2) {
        n = in.readInt();
      }
      for (int i = 0; i < n; i++) {
        String from = string(in);
        long sentAt = in.readLong();
        String text = string(in);
        boolean event = in.readBoolean();
        // A line of the first layout: its sender's time stands for the storing time.
        long storedAt = v2 ? in.readLong() : sentAt * 1000;
        out.add(new Entry(new Line(from, sentAt, text, event), storedAt));
      }
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.CORRUPT, "a group's history does not read");
    }
    return out;
  }

  private void append(Tx tx, String id, Line line) throws StoreException {
    List<Entry> lines = entries(tx, id);
    lines.add(new Entry(line, clock.millis()));
    putEntries(tx, id, lines);
  }

  private static void putEntries(Tx tx, String id, List<Entry> lines) throws StoreException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(HISTORY_V2);
      out.writeInt(lines.size());
      for (Entry e : lines) {
        Line l = e.line();
        string(out, l.from());
        out.writeLong(l.sentAt());
        string(out, l.text());
        out.writeBoolean(l.event());
        out.writeLong(e.storedAt());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tx.put("group-log:" + id, bytes.toByteArray());
  }

  /**
   * Deletes the lines of every group's history that this node stored before {@code beforeMillis}
   * (the node's global retention, as for its pairwise conversations: 'sotto config --keep'), in
   * that transaction; returns how many. The history is rewritten, and the store overwrites the
   * freed pages (secure_delete); the node truncates its write-ahead log after.
   */
  int deleteHistoryBefore(Tx tx, long beforeMillis) throws StoreException {
    int deleted = 0;
    for (String id : index(tx)) {
      List<Entry> lines = entries(tx, id);
      List<Entry> kept = lines.stream().filter(e -> e.storedAt() >= beforeMillis).toList();
      if (kept.size() < lines.size()) {
        deleted += lines.size() - kept.size();
        putEntries(tx, id, kept);
      }
    }
    return deleted;
  }

  private static String string(DataInputStream in) throws IOException {
    return new String(lengthPrefixed(in), StandardCharsets.UTF_8);
  }

  /**
   * A 4-byte length and that many bytes, from a stored value read in memory: a length that is
   * negative or runs past the value's end is an IOException (so CORRUPT), never an allocation of it.
   */
  private static byte[] lengthPrefixed(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new java.io.EOFException("a stored length runs past the end");
    }
    byte[] b = new byte[length];
    in.readFully(b);
    return b;
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  /** A pending deposit: the group, the envelope and its leaves. */
  private record Deposit(String group, byte[] envelope, List<byte[]> leaves) {}

  private static List<Deposit> deposits(Tx tx) throws StoreException {
    List<Deposit> out = new ArrayList<>();
    Optional<byte[]> raw = tx.get(KV_OUT);
    if (raw.isEmpty()) {
      return out;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw.get()))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String group = string(in);
        byte[] envelope = lengthPrefixed(in);
        int leaves = in.readInt();
        List<byte[]> ls = new ArrayList<>();
        for (int j = 0; j < leaves; j++) {
          byte[] leaf = new byte[Frame.LEAF_LENGTH];
          in.readFully(leaf);
          ls.add(leaf);
        }
        out.add(new Deposit(group, envelope, ls));
      }
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.CORRUPT, "the group deposits do not read");
    }
    return out;
  }

  private static void putDeposits(Tx tx, List<Deposit> deposits) throws StoreException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(deposits.size());
      for (Deposit d : deposits) {
        string(out, d.group());
        out.writeInt(d.envelope().length);
        out.write(d.envelope());
        out.writeInt(d.leaves().size());
        for (byte[] leaf : d.leaves()) {
          out.write(leaf);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tx.put(KV_OUT, bytes.toByteArray());
  }

  private String nameOf(Tx tx, Fingerprint fp) throws StoreException {
    if (fp.equals(me.fingerprint())) {
      return "me";
    }
    for (Tx.Contact c : tx.contacts()) {
      if (fingerprintOf(c.identity()).equals(fp)) {
        return c.name();
      }
    }
    return Bytes.hex(fp.bytes()).substring(0, 12);
  }

  private static Fingerprint fingerprintOf(byte[] storedIdentity) {
    try {
      return PublicIdentity.parse(storedIdentity).fingerprint();
    } catch (SottoException e) {
      throw new IllegalStateException("a stored identity does not read", e);
    }
  }

  // ---------------------------------------------------------------- what the user does

  /** Creates a group whose mailbox is {@code mailbox} (this node's own, or one it uses). */
  String create(String name, Address mailbox, boolean own) throws StoreException, SottoException {
    Group g = Group.create(me, name, List.of(new GroupState.Mailbox(own ? Optional.of(me.fingerprint())
        : Optional.empty(), mailbox)), random);
    long now = clock.millis();
    store.write(tx -> {
      save(tx, g);
      append(tx, id(g.groupId()), new Line("me", now / 1000, "created the group " + name, true));
      return null;
    });
    return id(g.groupId());
  }

  /** Adds a contact to the group (this node must be an admin). */
  void add(String group, String contactName) throws StoreException, SottoException {
    change(group, (tx, g) -> {
      Tx.Contact c = Node.contactNamed(tx, contactName);
      return List.of(new GroupChange.Add(PublicIdentity.parse(c.identity()), GroupState.Role.MEMBER));
    }, "added " + contactName);
  }

  /**
   * Removes a member (a contact's name) from the group. When the member hosts mailboxes of the
   * group, the same change names the group's mailboxes without them, and this node's own when
   * none would be left (spec: transport.adoc#node-groups): the move is announced by the removal
   * itself, signed by its author, and deposited at the old mailboxes as well as the new.
   */
  void remove(String group, String memberName) throws StoreException, SottoException {
    change(group, (tx, g) -> {
      Tx.Contact c = Node.contactNamed(tx, memberName);
      Fingerprint f = PublicIdentity.parse(c.identity()).fingerprint();
      List<GroupChange.Op> ops = new ArrayList<>(List.of(new GroupChange.Remove(f)));
      List<GroupState.Mailbox> now = g.state().mailboxes();
      List<GroupState.Mailbox> kept = new ArrayList<>(now.stream().filter(m -> !m.host().equals(Optional.of(f)))
          .toList());
      if (kept.size() < now.size() && kept.isEmpty()) {
        kept.add(ownMailbox.get());
        ops.add(new GroupChange.SetMailboxes(kept));
      }
      return ops;
    }, "removed " + memberName);
  }

  /** Makes a member (a contact's name) an admin of the group (this node must be an admin). */
  void promote(String group, String memberName) throws StoreException, SottoException {
    change(group, (tx, g) -> {
      Tx.Contact c = Node.contactNamed(tx, memberName);
      return List.of(new GroupChange.SetRole(PublicIdentity.parse(c.identity()).fingerprint(),
          GroupState.Role.ADMIN));
    }, "made " + memberName + " an admin");
  }

  /** Leaves the group. */
  void leave(String group) throws StoreException, SottoException {
    change(group, (tx, g) -> List.of(new GroupChange.Remove(me.fingerprint())), "left the group");
  }

  /** Renames the group. */
  void rename(String group, String name) throws StoreException, SottoException {
    change(group, (tx, g) -> List.of(new GroupChange.Rename(name)), "renamed the group " + name);
  }

  private interface Ops {
    List<GroupChange.Op> of(Tx tx, Group g) throws StoreException, SottoException;
  }

  private void change(String group, Ops ops, String what) throws StoreException, SottoException {
    long now = clock.millis();
    store.write(tx -> {
      String id = find(tx, group);
      Group g = load(tx, id);
      requireMember(g);
      List<GroupState.Mailbox> before = g.state().mailboxes();
      Group.Sealed s = g.propose(ops.of(tx, g), Instant.ofEpochMilli(now), random);
      sealed(tx, id, g, s, now);
      // A change that moves the group's mailboxes is also left at those it leaves: the members
      // fetch there until they have applied it (and a removed host learns its removal).
      List<GroupState.Mailbox> after = g.state().mailboxes();
      List<Deposit> out = deposits(tx);
      for (GroupState.Mailbox m : before) {
        if (after.stream().noneMatch(x -> x.address().equals(m.address()))) {
          out.add(new Deposit(id + "@" + m.address().kind() + ":" + Bytes.hex(m.address().value()),
              s.envelope().encoded(), s.leaves()));
        }
      }
      putDeposits(tx, out);
      save(tx, g);
      append(tx, id, new Line("me", now / 1000, what, true));
      return null;
    });
  }

  /** Sends a text to the group; returns its seq. */
  long send(String group, String text) throws StoreException, SottoException {
    long now = clock.millis();
    return store.write(tx -> {
      String id = find(tx, group);
      Group g = load(tx, id);
      long seq = tx.get("group-seq:" + id).map(b -> Long.parseLong(new String(b, StandardCharsets.US_ASCII)))
          .orElse(0L);
      requireMember(g);
      byte[] payload = NodeMessage.text(seq, now / 1000, text).encode();
      Group.Sealed s = g.seal(payload, Instant.ofEpochMilli(now), random);
      sealed(tx, id, g, s, now);
      save(tx, g);
      tx.put("group-seq:" + id, Long.toString(seq + 1).getBytes(StandardCharsets.US_ASCII));
      append(tx, id, new Line("me", now / 1000, text, false));
      return seq;
    });
  }

  private static void requireMember(Group g) {
    if (!g.isMember()) {
      throw new IllegalArgumentException("you are no longer a member of " + g.state().name());
    }
  }

  /** Queues a seal's welcomes and sender keys to the members (contacts) and its envelope for deposit. */
  private void sealed(Tx tx, String id, Group g, Group.Sealed s, long now) throws StoreException, SottoException {
    for (Group.Delivery d : s.welcomes()) {
      pairwise(tx, d.to(), NodeMessage.GROUP_WELCOME, d.payload(), now);
    }
    for (Group.Delivery d : s.senderKeys()) {
      pairwise(tx, d.to(), NodeMessage.GROUP_KEY, d.payload(), now);
    }
    List<Deposit> out = deposits(tx);
    out.add(new Deposit(id, s.envelope().encoded(), s.leaves()));
    putDeposits(tx, out);
  }

  /** For tests: how long a deposit fails at every mailbox before it goes pairwise. */
  void fallbackAfter(long millis) {
    fallbackMillis = millis;
  }

  /** A GROUP_KEY, GROUP_WELCOME or GROUP_ENVELOPE to a member, in the session with it; a member that is no contact gets nothing. */
  private void pairwise(Tx tx, PublicIdentity to, int kind, byte[] data, long now) throws StoreException,
      SottoException {
    Optional<Tx.Contact> c = tx.contactByIdentity(to.encoded());
    if (c.isEmpty()) {
      log.log(System.Logger.Level.WARNING, "a group member is no contact: it gets no " + NodeMessage.kindName(kind));
      return;
    }
    Node.sayHelloFirst(tx, c.get(), now);
    Tx.Contact contact = tx.contact(c.get().id()).orElseThrow();
    NodeMessage m = switch (kind) {
      case NodeMessage.GROUP_KEY -> NodeMessage.groupKey(contact.nextOutSeq(), now / 1000, data);
      case NodeMessage.GROUP_WELCOME -> NodeMessage.groupWelcome(contact.nextOutSeq(), now / 1000, data);
      default -> NodeMessage.groupEnvelope(contact.nextOutSeq(), now / 1000, Envelope.parse(data));
    };
    tx.queuePending(contact.id(), m.encode(), now);
  }

  // ---------------------------------------------------------------- what the user reads

  List<Info> list() throws StoreException, SottoException {
    return store.read(tx -> {
      List<Info> out = new ArrayList<>();
      for (String id : index(tx)) {
        Group g = load(tx, id);
        out.add(new Info(id, g.state().name(), g.state().members().size(), g.isMember(), g.state().epoch()));
      }
      return out;
    });
  }

  List<Member> members(String group) throws StoreException, SottoException {
    return store.read(tx -> {
      Group g = load(tx, find(tx, group));
      List<Member> out = new ArrayList<>();
      for (GroupState.Member m : g.state().members()) {
        out.add(new Member(nameOf(tx, m.fingerprint()), Bytes.hex(m.fingerprint().bytes()),
            m.role() == GroupState.Role.ADMIN));
      }
      return out;
    });
  }

  List<Line> history(String group) throws StoreException, SottoException {
    return store.read(tx -> history(tx, find(tx, group)));
  }

  // ---------------------------------------------------------------- what the members send pairwise

  /** A GROUP_KEY or GROUP_WELCOME opened in the session with {@code from}, in that transaction. */
  void received(Tx tx, NodeCore.GroupDelivery d) throws StoreException, SottoException {
    byte[] data = d.message().groupData();
    long now = clock.millis();
    if (d.message().kind() == NodeMessage.GROUP_ENVELOPE) {
      if (!openPairwise(tx, data, now)) {
        List<byte[][]> early = earlyEnvelopes(tx);
        early.add(new byte[][] {data});
        while (early.size() > 64) {
          early.remove(0);
        }
        putEarlyEnvelopes(tx, early);
      }
      return;
    }
    if (d.message().kind() == NodeMessage.GROUP_WELCOME) {
      if (data.length < 35) {
        return;
      }
      String id = id(java.util.Arrays.copyOfRange(data, 3, 35));
      if (index(tx).contains(id)) {
        resynced(tx, id, d.from(), data, now);
        return;
      }
      Group g;
      try {
        g = Group.join(me, d.from(), data);
      } catch (SottoException e) {
        log.log(System.Logger.Level.INFO, "a welcome refused: " + e.code());
        return;
      }
      save(tx, g);
      append(tx, id, new Line(nameOf(tx, d.from().fingerprint()), now / 1000, "added you to " + g.state().name(),
          true));
      // Sender keys that came before the welcome.
      List<byte[][]> early = early(tx);
      List<byte[][]> rest = new ArrayList<>();
      for (byte[][] e : early) {
        if (id(java.util.Arrays.copyOfRange(e[1], 1, 33)).equals(id)) {
          try {
            g.receiveSenderKey(PublicIdentity.parse(e[0]), e[1]);
          } catch (SottoException ex) {
            // refused: dropped
          }
        } else {
          rest.add(e);
        }
      }
      putEarly(tx, rest);
      save(tx, g);
      return;
    }
    String id = id(java.util.Arrays.copyOfRange(data, 1, 33));
    if (!index(tx).contains(id)) {
      List<byte[][]> early = early(tx);
      early.add(new byte[][] {d.from().encoded(), data});
      while (early.size() > 256) {
        early.remove(0);
      }
      putEarly(tx, early);
      return;
    }
    Group g = load(tx, id);
    Group.KeyReceived r;
    try {
      r = g.receiveSenderKey(d.from(), data);
    } catch (SottoException e) {
      log.log(System.Logger.Level.INFO, "a sender key refused: " + e.code());
      return;
    }
    if (r.fork()) {
      long epoch = java.nio.ByteBuffer.wrap(data, 33, 8).getLong();
      append(tx, id, new Line(nameOf(tx, d.from().fingerprint()), now / 1000, "(your view of " + g.state().name()
          + " differs from " + nameOf(tx, d.from().fingerprint()) + "'s since epoch " + epoch + ")", true));
      // Heal it: ask the members for their chains and states (at most once an hour for a group).
      askResync(tx, id, g, now, "your view of the group differs from a member's", FORK_RESYNC_EVERY_MILLIS);
    }
    save(tx, g);
    retryEarlyEnvelopes(tx, now);
    g = load(tx, id);
    if (r.requested() && g.isMember() && g.state().isMember(d.from().fingerprint())) {
      // The sender asks for this member's chain and state (it came back after a long absence, or
      // its view forked): spec: group.adoc#group-offline, #group-sender-key. The chain, when it is
      // not stale (else the next seal makes one, whose key reaches the sender anyway), and the
      // tip's state, as a welcome's encoding, which the sender adopts if it is ahead of its own.
      Optional<Group.Delivery> answer = g.senderKeyFor(d.from(), Instant.ofEpochMilli(now));
      if (answer.isPresent()) {
        pairwise(tx, d.from(), NodeMessage.GROUP_KEY, answer.get().payload(), now);
      }
      pairwise(tx, d.from(), NodeMessage.GROUP_WELCOME, g.state().encoded(), now);
      resyncsAnswered.incrementAndGet();
    }
    save(tx, g);
  }

  /**
   * Opens a group envelope that came in a pairwise session (the sender's fallback when the group's
   * mailboxes failed: spec: group.adoc#group-delivery) with the group whose chain it names, and
   * shows it. False when no group holds its tag (its sender key may not have come yet); a copy
   * opened already (REPLAY) or refused otherwise is dropped.
   */
  private boolean openPairwise(Tx tx, byte[] envelope, long now) throws StoreException, SottoException {
    for (String id : index(tx)) {
      Group g = load(tx, id);
      Group.Opened o;
      try {
        o = g.open(envelope);
      } catch (SottoException e) {
        if (e.code() == ErrorCode.UNKNOWN_TAG) {
          continue;
        }
        refused.incrementAndGet();
        if (e.code() == ErrorCode.BAD_SIGNATURE) {
          forged.incrementAndGet();
        }
        return true;
      }
      show(tx, id, o, now);
      save(tx, g);
      pairwiseOpened.incrementAndGet();
      opened.incrementAndGet();
      return true;
    }
    return false;
  }

  /** Opens the pairwise envelopes kept for want of their chain, those that now open. */
  private void retryEarlyEnvelopes(Tx tx, long now) throws StoreException, SottoException {
    List<byte[][]> early = earlyEnvelopes(tx);
    if (early.isEmpty()) {
      return;
    }
    List<byte[][]> rest = new ArrayList<>();
    for (byte[][] e : early) {
      if (!openPairwise(tx, e[0], now)) {
        rest.add(e);
      }
    }
    putEarlyEnvelopes(tx, rest);
  }

  /** A fork asks for a resync at most this often per group. */
  static final long FORK_RESYNC_EVERY_MILLIS = 3_600_000;

  /**
   * Asks every other member of the tip for its current chain and state (spec:
   * group.adoc#group-offline): a new chain of this member's, whose sender keys carry the request
   * flag. Not more often than {@code everyMillis} for a group (0: whenever asked).
   */
  private void askResync(Tx tx, String id, Group g, long now, String why, long everyMillis) throws StoreException,
      SottoException {
    if (!g.isMember()) {
      return;
    }
    Optional<Long> last = tx.get("group-resync:" + id).map(b -> Long.parseLong(new String(b,
        StandardCharsets.US_ASCII)));
    if (everyMillis > 0 && last.isPresent() && now - last.get() < everyMillis) {
      return;
    }
    tx.put("group-resync:" + id, Long.toString(now).getBytes(StandardCharsets.US_ASCII));
    for (Group.Delivery k : g.requestChains(Instant.ofEpochMilli(now), random)) {
      pairwise(tx, k.to(), NodeMessage.GROUP_KEY, k.payload(), now);
    }
    resyncsAsked.incrementAndGet();
    append(tx, id, new Line("me", now / 1000, "(" + why + ": asked the members for the group's current state)",
        true));
  }

  /** A member's state, in answer to a resync request: adopted when it lists both and is ahead of the tip. */
  private void resynced(Tx tx, String id, PublicIdentity from, byte[] state, long now) throws StoreException,
      SottoException {
    Group g = load(tx, id);
    if (!g.isMember()) {
      return; // a removed member is not brought back by a state that lists it
    }
    long before = g.state().epoch();
    boolean adopted;
    try {
      adopted = g.resync(from, state);
    } catch (SottoException e) {
      log.log(System.Logger.Level.INFO, "a resync state refused: " + e.code());
      return;
    }
    if (!adopted) {
      return;
    }
    resyncsAdopted.incrementAndGet();
    save(tx, g);
    long after = g.state().epoch();
    append(tx, id, new Line(nameOf(tx, from.fingerprint()), now / 1000, "(caught up: " + (after - before)
        + " change(s) of the group missed, now " + g.state().name() + ", " + g.state().members().size()
        + " members, epoch " + after + ")", true));
  }

  /** The sender keys kept for a group not joined yet: (sender's encoding, sender key) each. */
  private static List<byte[][]> early(Tx tx) throws StoreException {
    return tuples(tx, KV_EARLY, 2, "the early sender keys");
  }

  private static void putEarly(Tx tx, List<byte[][]> early) throws StoreException {
    putTuples(tx, KV_EARLY, 2, early);
  }

  /** The GROUP_ENVELOPEs kept for want of their chain: (envelope) each. */
  private static List<byte[][]> earlyEnvelopes(Tx tx) throws StoreException {
    return tuples(tx, KV_EARLY_ENVELOPES, 1, "the early group envelopes");
  }

  private static void putEarlyEnvelopes(Tx tx, List<byte[][]> early) throws StoreException {
    putTuples(tx, KV_EARLY_ENVELOPES, 1, early);
  }

  /**
   * A list of tuples of {@code arity} byte strings, stored under {@code key} as a 4-byte count,
   * then each string of each tuple as a 4-byte length and its bytes (big-endian, DataOutput's);
   * absent: empty. {@code what} names the list in the CORRUPT error when it does not read.
   */
  static List<byte[][]> tuples(Tx tx, String key, int arity, String what) throws StoreException {
    List<byte[][]> out = new ArrayList<>();
    Optional<byte[]> raw = tx.get(key);
    if (raw.isEmpty()) {
      return out;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw.get()))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        byte[][] t = new byte[arity][];
        for (int j = 0; j < arity; j++) {
          t[j] = lengthPrefixed(in);
        }
        out.add(t);
      }
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.CORRUPT, what + " do not read");
    }
    return out;
  }

  static void putTuples(Tx tx, String key, int arity, List<byte[][]> tuples) throws StoreException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(tuples.size());
      for (byte[][] t : tuples) {
        for (int j = 0; j < arity; j++) {
          out.writeInt(t[j].length);
          out.write(t[j]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tx.put(key, bytes.toByteArray());
  }

  // ---------------------------------------------------------------- the network (the worker's jobs)

  /** Deposits what waits, each at its group's first mailbox that takes it. */
  void deposit() throws StoreException, SottoException {
    List<Deposit> waiting = store.read(Groups::deposits);
    for (Deposit d : waiting) {
      // "id", or "id@kind:value" for a deposit at one mailbox the group left (see change()).
      int at = d.group().indexOf('@');
      String group = at < 0 ? d.group() : d.group().substring(0, at);
      List<GroupState.Mailbox> mailboxes = at < 0 ? store.read(tx -> load(tx, group).state().mailboxes())
          : List.of(addressed(d.group().substring(at + 1)));
      boolean done = mailboxes.isEmpty();
      for (GroupState.Mailbox m : mailboxes) {
        try {
          // In Tor mode on a lane of the group's own, apart from the node's fetches (as Deliveries
          // keeps each contact's deposits apart).
          Frame answer = links.exchange(m.address(), links.isolatesLanes() ? "group-deposit/" + group : "",
              link -> link.call(Frame.depositGroup(link.nextRequestId(),
              d.leaves(), Envelope.parse(d.envelope())))).get(0);
          if (answer.type() == Frame.OK) {
            done = true;
            break;
          }
        } catch (IOException | RuntimeException e) {
          // the next mailbox, or the next round
        }
      }
      java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(d.envelope());
      long t = clock.millis();
      if (!done) {
        long since = failingSince.computeIfAbsent(key, k -> t);
        if (t - since >= fallbackMillis) {
          // Every mailbox of the group failed for that long: the envelope goes to each other member
          // in its pairwise session instead (a deposit at a mailbox the group left is dropped).
          store.write(tx -> {
            if (at < 0 && index(tx).contains(group)) {
              Group g = load(tx, group);
              for (GroupState.Member m : g.state().members()) {
                if (!m.identity().fingerprint().equals(me.fingerprint())) {
                  pairwise(tx, m.identity(), NodeMessage.GROUP_ENVELOPE, d.envelope(), t);
                }
              }
              pairwiseSent.incrementAndGet();
            }
            return null;
          });
          done = true;
        }
      }
      if (done) {
        failingSince.remove(key);
        store.write(tx -> {
          List<Deposit> now = deposits(tx);
          now.removeIf(x -> java.util.Arrays.equals(x.envelope(), d.envelope()) && x.group().equals(d.group()));
          putDeposits(tx, now);
          return null;
        });
      }
    }
  }

  private static GroupState.Mailbox addressed(String kindAndValue) {
    int colon = kindAndValue.indexOf(':');
    try {
      return new GroupState.Mailbox(Optional.empty(), Address.of(Integer.parseInt(kindAndValue.substring(0, colon)),
          Bytes.unhex(kindAndValue.substring(colon + 1))));
    } catch (RuntimeException e) {
      throw new IllegalStateException("a stored deposit's address does not read", e);
    }
  }

  /**
   * Fetches each group's watched tags at each of its mailboxes, on the pool's link of a lane of the
   * group's own (spec: group.adoc#group-learns: a mailbox does not see a member's group fetches and
   * its pairwise ones on one link; in Tor mode, on circuits of their own), opens what comes, and
   * takes what opened. Through the pool, so through Tor in Tor mode: never a direct connection. A
   * member that was removed keeps fetching its old chains' tags, and reads nothing new.
   */
  void fetch() throws StoreException, SottoException {
    for (String id : store.read(Groups::index)) {
      Group g = store.read(tx -> load(tx, id));
      List<Frame.Watch> tags = g.watches();
      boolean answered = false;
      for (GroupState.Mailbox m : tags.isEmpty() ? List.<GroupState.Mailbox>of() : g.state().mailboxes()) {
        if (!links.reaches(m.address())) {
          continue; // an address this node may not dial (an onion one without Tor, a TCP one in Tor mode)
        }
        try {
          links.exchange(m.address(), "group-fetch/" + id, link -> {
            fetchFrom(link, id, tags);
            return null;
          });
          answered = true;
        } catch (IOException | RuntimeException e) {
          // the mailbox failed: the next round tries again
        }
      }
      if (answered || tags.isEmpty()) {
        fetched(id);
      }
    }
  }

  /**
   * Notes that a group was fetched now; if the last fetch was longer ago than the mailboxes keep
   * items (the member was away: spec: group.adoc#group-offline), asks the members for a resync. The
   * time is written at most every sixteenth of the retention.
   */
  private void fetched(String id) throws StoreException, SottoException {
    long now = clock.millis();
    Optional<Long> stored = store.read(tx -> tx.get("group-fetched:" + id).map(b -> Long.parseLong(new String(b,
        StandardCharsets.US_ASCII))));
    if (stored.isPresent() && now - stored.get() < Math.max(1, absenceMillis / 16)) {
      return; // most rounds: nothing to write
    }
    store.write(tx -> {
      Optional<Long> last = tx.get("group-fetched:" + id).map(b -> Long.parseLong(new String(b,
          StandardCharsets.US_ASCII)));
      if (last.isPresent() && now - last.get() < Math.max(1, absenceMillis / 16)) {
        return null;
      }
      tx.put("group-fetched:" + id, Long.toString(now).getBytes(StandardCharsets.US_ASCII));
      if (last.isPresent() && now - last.get() > absenceMillis) {
        Group g = load(tx, id);
        askResync(tx, id, g, now, "you were away for longer than the mailboxes keep messages", 0);
        save(tx, g);
      }
      return null;
    });
  }

  private void fetchFrom(LinkPool.Calls link, String id, List<Frame.Watch> tags) throws IOException, SottoException,
      StoreException {
    for (int from = 0; from < tags.size(); from += Frame.MAX_COUNT) {
      List<Frame.Watch> chunk = tags.subList(from, Math.min(tags.size(), from + Frame.MAX_COUNT));
      // A mailbox hands out at most 64 items a FETCH: ask again while it holds more (at most 16
      // rounds a fetch, so that a flood of items that do not open cannot hold the job).
      for (int round = 0; round < 16; round++) {
        // FETCH_GROUP: only the items whose sender gave this member a leaf (spec: transport.adoc#mailbox).
        List<Frame> answer = link.call(Frame.fetchGroup(link.nextRequestId(), chunk));
        if (answer.get(0).type() == Frame.ERROR
            && answer.get(0).errorNumber() == ErrorCode.UNSUPPORTED_REQUEST.number()) {
          // A mailbox that does not serve FETCH_GROUP: a FETCH of the same tags, which another
          // member's junk under them can fill (spec: security.adoc#group-jamming).
          answer = link.call(Frame.fetch(link.nextRequestId(), chunk.stream().map(Frame.Watch::tag).toList()));
        }
        Frame last = answer.get(answer.size() - 1);
        if (last.type() == Frame.DONE) {
          fetches.incrementAndGet();
        }
        takeWhatOpens(link, id, answer);
        if (last.type() != Frame.DONE || !last.more()) {
          break;
        }
      }
    }
  }

  private void takeWhatOpens(LinkPool.Calls link, String id, List<Frame> answer) throws IOException, SottoException,
      StoreException {
    List<Frame.Take> takes = new ArrayList<>();
    for (Frame f : answer) {
      if (f.type() != Frame.ITEM) {
        continue;
      }
      byte[] envelope = f.itemEnvelope().encoded();
      long now = clock.millis();
      Optional<byte[]> token = store.write(tx -> {
        Group g = load(tx, id);
        Group.Opened o;
        try {
          o = g.open(envelope);
        } catch (SottoException e) {
          refused.incrementAndGet();
          if (e.code() == ErrorCode.BAD_SIGNATURE) {
            forged.incrementAndGet();
          }
          return Optional.<byte[]>empty(); // refused: left at the mailbox for the others
        }
        show(tx, id, o, now);
        save(tx, g);
        return Optional.of(o.takeToken());
      });
      if (token.isPresent()) {
        opened.incrementAndGet();
        takes.add(new Frame.Take(f.itemId(), token.get()));
      }
    }
    if (!takes.isEmpty()) {
      link.call(Frame.take(link.nextRequestId(), takes));
    }
  }

  /** Adds what an opened group message says to the group's history: a text, or a change as an event. */
  private void show(Tx tx, String id, Group.Opened o, long now) throws StoreException {
    String from = nameOf(tx, o.sender().fingerprint());
    if (o.payload().isPresent()) {
      try {
        NodeMessage text = NodeMessage.parse(o.payload().get(), Instant.ofEpochMilli(now), o.sender());
        if (text.kind() == NodeMessage.TEXT) {
          append(tx, id, new Line(from, text.sentAt(), text.text(), false));
        }
      } catch (SottoException e) {
        // not a node message: taken and dropped
      }
    } else if (o.change().isPresent()) {
      append(tx, id, new Line(from, now / 1000, describe(tx, o.change().get()), true));
    }
  }

  private String describe(Tx tx, GroupChange c) throws StoreException {
    List<String> parts = new ArrayList<>();
    for (GroupChange.Op op : c.ops()) {
      if (op instanceof GroupChange.Add a) {
        parts.add("added " + (a.identity().fingerprint().equals(me.fingerprint()) ? "you"
            : nameOf(tx, a.identity().fingerprint())));
      } else if (op instanceof GroupChange.Remove r) {
        parts.add(r.member().equals(c.author()) ? "left" : "removed " + (r.member().equals(me.fingerprint()) ? "you"
            : nameOf(tx, r.member())));
      } else if (op instanceof GroupChange.Rename r) {
        parts.add("renamed the group " + r.name());
      } else {
        parts.add("changed the group");
      }
    }
    return String.join(", ", parts);
  }
}
