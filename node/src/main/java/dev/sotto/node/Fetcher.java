package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.SottoException;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Fetching from this node's mailboxes (spec: transport.adoc#fetch): each mailbox gets its own job
 * on {@link Outbound}, at most one at a time, so that a mailbox that is slow or silent delays
 * fetching from no other.
 *
 * <p>The tags of fetched items whose ACK may have been lost are remembered (see
 * {@link NodeCore#receiveFetched}) until every mailbox had a clean round (every item
 * acknowledged) that began after the last one was remembered; then they are forgotten. Rounds at
 * different mailboxes now overlap, so the rule is kept with times: a tag remembered during a
 * round at one mailbox is forgotten only after that mailbox's next clean round.
 */
final class Fetcher {
  private final NodeCore core;
  private final LinkPool links;
  private final Outbound outbound;
  private final NodeStatus status;
  private final Clock clock;
  private final System.Logger log;
  private final Supplier<List<Address>> mailboxes;
  final AtomicLong fetched = new AtomicLong();
  /** Items handed out by prefix under tags this node does not watch, dropped unopened. */
  final AtomicLong dropped = new AtomicLong();
  /** The loop chain (null: neither loops nor padding), and whether each is on. */
  private CoverLoops loops;
  private boolean loopsOn;
  private boolean pad;

  /** Guards the two below and the forgetting. */
  private final Object unacked = new Object();
  /** When (nanoTime) a tag was last remembered; the store may hold some from a previous run. */
  private long lastRemembered = System.nanoTime();
  private boolean remembering = true;
  /** Per mailbox (its address text): when its last clean round began. */
  private final Map<String, Long> cleanSince = new HashMap<>();

  Fetcher(NodeCore core, LinkPool links, Outbound outbound, NodeStatus status, Clock clock, System.Logger log,
      Supplier<List<Address>> mailboxes) {
    this.core = core;
    this.links = links;
    this.outbound = outbound;
    this.status = status;
    this.clock = clock;
    this.log = log;
    this.mailboxes = mailboxes;
  }

  /** With padding, prefixes of at most this many bits are named all (1,024: one request). */
  static final int PAD_ALL_BITS = 10;
  /**
   * Envelope bytes one prefix round takes at most before it stops paging (it goes on at the next
   * round, from where it stopped), so that a mailbox that answers {@code more} without end, or a
   * flood under the prefixes, costs at most this and one answer (64 envelopes of 64 KiB) a round.
   */
  static final long PREFIX_ROUND_BYTES = 4L << 20;
  /** Fetching by tag prefix: the prefix length in bits, or -1 (off: FETCH by tag). */
  private int prefixBits = -1;
  /** Entries a stored cursor keeps at most of the items it passed without taking them (16 bytes each). */
  static final int MAX_PASSED = 2048;
  /** Stored cursors that did not read, after which every prefix was read from the start again. */
  final AtomicLong cursorsReset = new AtomicLong();

  /**
   * The name of a mailbox's stored cursor: by the mailbox's link key, so that it follows the
   * mailbox's store (a mailbox that starts a new store has a new key and a new cursor), not its address.
   */
  static String cursorName(Address mailbox) {
    return "prefix-cursor:" + java.util.HexFormat.of().formatHex(mailbox.linkKey());
  }

  /**
   * Where prefix fetches at one mailbox resume (spec: transport.adoc#node-prefix-fetch), kept in
   * the store and moved in the commit that takes the items of the round it covers: every item under
   * one of {@code prefixes} (of {@code bits} bits) with an id up to {@code after} has been handed
   * out; a prefix not among them starts from 0. The lowest ids of items left for later, of contact
   * requests ({@code requests}: the ids of their sessions then) and of first contacts over their budget
   * (Long.MAX_VALUE: none). {@code passed}: the ids of the items handed out under a tag not watched
   * then, each with its tag's first 8 bytes (big-endian), at most {@link #MAX_PASSED} (the highest
   * ids), read again once their tag is watched.
   */
  record PrefixCursor(long after, int bits, Set<Integer> prefixes, long requestFrom, long budgetFrom,
      Set<Long> requests, java.util.NavigableMap<Long, Long> passed) {
    static final int VERSION = 1;

    PrefixCursor {
      prefixes = Set.copyOf(prefixes);
      requests = Set.copyOf(requests);
      passed = java.util.Collections.unmodifiableNavigableMap(new java.util.TreeMap<>(passed));
    }

    /**
     * version u8 (1) || bits u8 || after u64 || requestFrom u64 || budgetFrom u64 || count u32 ||
     * prefix u16 × count (increasing) || count u32 || request session id u64 × count (increasing) ||
     * count u32 || (id u64 || tag's first 8 bytes) × count (ids increasing).
     */
    byte[] encode() {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 + 24 + 4 + 2 * prefixes.size() + 4 + 8 * requests.size()
          + 4 + 16 * passed.size());
      b.put((byte) VERSION).put((byte) bits).putLong(after).putLong(requestFrom).putLong(budgetFrom);
      b.putInt(prefixes.size());
      new java.util.TreeSet<>(prefixes).forEach(p -> b.putShort((short) (int) p));
      b.putInt(requests.size());
      new java.util.TreeSet<>(requests).forEach(b::putLong);
      b.putInt(passed.size());
      passed.forEach((id, tag8) -> b.putLong(id).putLong(tag8));
      return b.array();
    }

    /** The cursor {@code stored} holds, or null when it does not read as {@link #encode} writes one. */
    static PrefixCursor decode(byte[] stored) {
      try {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(stored);
        int version = b.get() & 0xff;
        int bits = b.get() & 0xff;
        long after = b.getLong();
        long requestFrom = b.getLong();
        long budgetFrom = b.getLong();
        if (version != VERSION || bits > Frame.MAX_PREFIX_BITS || after < 0 || requestFrom < 0 || budgetFrom < 0) {
          return null;
        }
        int count = b.getInt();
        if (count < 0 || count > b.remaining() / 2) {
          return null;
        }
        Set<Integer> prefixes = new java.util.HashSet<>();
        int previous = -1;
        for (int i = 0; i < count; i++) {
          int p = b.getShort() & 0xffff;
          if (p <= previous || (p & ((1 << (Frame.MAX_PREFIX_BITS - bits)) - 1)) != 0) {
            return null;
          }
          prefixes.add(p);
          previous = p;
        }
        count = b.getInt();
        if (count < 0 || count > b.remaining() / 8) {
          return null;
        }
        Set<Long> requests = new java.util.HashSet<>();
        long lastSession = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
          long session = b.getLong();
          if (i > 0 && session <= lastSession) {
            return null;
          }
          requests.add(session);
          lastSession = session;
        }
        count = b.getInt();
        if (count < 0 || count > MAX_PASSED || count > b.remaining() / 16) {
          return null;
        }
        java.util.NavigableMap<Long, Long> passed = new java.util.TreeMap<>();
        long last = 0;
        for (int i = 0; i < count; i++) {
          long id = b.getLong();
          if (id <= last) {
            return null;
          }
          passed.put(id, b.getLong());
          last = id;
        }
        if (b.hasRemaining()) {
          return null;
        }
        return new PrefixCursor(after, bits, prefixes, requestFrom, budgetFrom, requests, passed);
      } catch (java.nio.BufferUnderflowException e) {
        return null;
      }
    }
  }

  /** Fetches by tag prefixes of {@code bits} bits (spec: transport.adoc#fetch-prefix), or by tag (-1). */
  void byPrefix(int bits) {
    this.prefixBits = bits;
  }

  /** Fetches the loops of {@code chain} (when {@code loopsOn}) and pads every FETCH (when {@code pad}). */
  void cover(CoverLoops chain, boolean loopsOn, boolean pad) {
    this.loops = chain;
    this.loopsOn = loopsOn;
    this.pad = pad;
  }

  /** The tags of a round: the core's, with the loops' and the padding (spec: transport.adoc#node-cover). */
  private List<byte[]> round(List<byte[]> real) {
    return loops == null ? real : loops.round(real, loopsOn, pad);
  }

  static String key(Address mailbox) {
    return "fetch:" + Node.addressText(mailbox);
  }

  /** Queues a fetch from each mailbox that has none queued or running and does not rest after a failure. */
  void dispatch() {
    Set<String> busy = outbound.inFlight();
    for (Address mailbox : mailboxes.get()) {
      String key = key(mailbox);
      if (busy.contains(key)) {
        continue;
      }
      if (links.resting(mailbox)) {
        continue; // its last round's failure is in the status already
      }
      boolean proven = links.health(mailbox).ok() && links.health(mailbox).lastOkMillis() > 0;
      outbound.submit(key, proven ? Outbound.Lane.PROVEN : Outbound.Lane.UNPROVEN, () -> fetchFrom(mailbox));
    }
  }

  /**
   * The rounds of one slot of steady fetching ({@link SteadyFetch}), by destination: one per
   * mailbox that does not rest after a failure.
   */
  Map<String, SteadyFetch.Round> rounds() {
    Map<String, SteadyFetch.Round> out = new java.util.LinkedHashMap<>();
    for (Address mailbox : mailboxes.get()) {
      if (!links.resting(mailbox)) {
        out.put(key(mailbox), () -> fetchFrom(mailbox));
      }
    }
    return out;
  }

  /** One round at one mailbox: FETCH every watched tag, commit each item, ACK them. */
  void fetchFrom(Address mailbox) throws StoreException, SottoException {
    long began = System.nanoTime();
    String error = null;
    try {
      links.exchange(mailbox, link -> {
        fetchFrom(link, mailbox);
        return null;
      });
    } catch (LinkPool.NotNow e) {
      return; // resting after a failure already shown, or busy: nothing was tried
    } catch (IOException | SottoException | RuntimeException e) {
      error = LinkPool.reason(e);
    }
    status.fetched(mailbox, clock.millis(), error);
    if (error == null) {
      forgetIfClean(mailbox, began);
    }
  }

  /**
   * FETCHes the tags to fetch ({@link NodeCore#fetchTags}: no request's, and no invite tag whose
   * first-contact budget is spent), 1,024 a request, each request again while the mailbox holds
   * more; the list is taken anew when the items fetched spent an invite tag's budget, so that a
   * backlog of first contacts at the mailbox is fetched no faster than the budgets allow, and the
   * contacts' items behind it are fetched at once.
   */
  private void fetchFrom(LinkPool.Calls link, Address mailbox) throws IOException, SottoException, StoreException {
    if (prefixBits >= 0) {
      fetchByPrefix(link, mailbox);
      return;
    }
    List<byte[]> real = core.fetchTags();
    List<byte[]> tags = round(real);
    for (int from = 0; from < tags.size(); from += Frame.MAX_COUNT) {
      List<byte[]> chunk = tags.subList(from, Math.min(tags.size(), from + Frame.MAX_COUNT));
      boolean more = true;
      while (more) {
        List<Frame> responses = link.call(Frame.fetch(link.nextRequestId(), chunk));
        List<Long> done = new ArrayList<>();
        List<Envelope> taken = new ArrayList<>();
        more = false;
        for (Frame response : responses) {
          if (response.type() == Frame.ITEM) {
            // A malformed ITEM is a link error (spec: transport.adoc#requests): it propagates.
            Envelope envelope = response.itemEnvelope();
            done.add(response.itemId());
            if (loops == null || !loops.taken(envelope)) {
              taken.add(envelope); // a loop of this node's is acknowledged like any item, shown as nothing
            }
          } else if (response.type() == Frame.DONE) {
            more = response.more();
          } else if (response.type() == Frame.ERROR) {
            throw new IOException("the mailbox answered FETCH with " + Deliveries.errorName(response));
          }
        }
        if (!taken.isEmpty()) {
          synchronized (unacked) {
            lastRemembered = System.nanoTime();
            remembering = true;
          }
          // One durable commit for the items of this FETCH, so that a round lasts about one fsync
          // however many items it brings (a round that outlasts its slot makes steady fetching skip one).
          for (Object result : core.receiveFetchedAll(taken)) {
            if (result instanceof SottoException e) {
              // Fails to open now, so it never will: acknowledge it away like the rest.
              status.refused(clock.millis(), "an envelope fetched from mailbox " + NodeStatus.shown(mailbox) + ": "
                  + e.code());
            } else {
              fetched.incrementAndGet();
            }
          }
        }
        if (done.isEmpty()) {
          break;
        }
        int count = done.size();
        log.log(Level.DEBUG, () -> "mailbox " + NodeStatus.shown(mailbox) + ": fetched " + count + " items");
        link.call(Frame.ack(link.nextRequestId(), done));
        List<byte[]> now = core.fetchTags();
        if (more && now.size() < real.size()) {
          // An invite tag's budget is spent: the same round goes on without it, from the start.
          real = now;
          tags = round(now);
          from = -Frame.MAX_COUNT;
          break;
        }
      }
    }
  }

  /** An item a prefix round was handed: its id and envelope. */
  private record Handed(long id, Envelope envelope) {}

  /** A tag's first 8 bytes, big-endian: what a stored cursor keeps of the tags it passed. */
  private static long tag8(byte[] tag) {
    return java.nio.ByteBuffer.wrap(tag, 0, 8).getLong();
  }

  /**
   * One round by tag prefix (spec: transport.adoc#fetch-prefix, #node-prefix-fetch): the prefixes
   * of the tags watched, those named in the last round from the mailbox's stored cursor and the new
   * ones from 0, each set paged to its end; every item under a watched tag is received, the others
   * (and a loop of this node's) dropped; nothing is acknowledged. The round's items are taken, and
   * the cursor moved, in one commit, after the last answer: a crash before it loses nothing (the
   * items come again), and after it skips nothing. The cursor moves only when the whole round
   * succeeds, to an id that no item still unseen can be at or below: the last id the first chain of
   * requests (the old prefixes, or else the first 1,024 new ones) was handed, or its start when it
   * was handed nothing; ids are given in the order deposited, so an item deposited after a chain
   * ended has a higher id than any handed out before. An item this round could not take yet does
   * not hold the cursor back (a stranger could then make every round read the mailbox again): the
   * lowest id of an item of a contact request not yet accepted, and of a first contact over its
   * budget, is kept, and the round after a request leaves the requests (or after every invite tag's
   * budget is open again) reads from there once. An item dropped because its tag was not watched is
   * kept in the cursor's {@code passed} (its id and its tag's first 8 bytes), and read again once
   * its tag is watched: a chain of its prefixes from the lowest such id up to the cursor. A round
   * that stops paging at {@link #PREFIX_ROUND_BYTES} keeps the cursor at or below where it stopped.
   */
  private void fetchByPrefix(LinkPool.Calls link, Address mailbox) throws IOException, SottoException,
      StoreException {
    // Every tag watched, the invite tags whose first-contact budget is spent among them: their items
    // are handed out anyway, refused for the budget, and kept above the cursor until it refills.
    // The requests' tags first, then the tags watched: a request accepted in between is then in both,
    // and its items are held back once and read again at the next round, never dropped.
    Map<String, Long> requests = core.requestTagSessions();
    Set<String> held = new java.util.HashSet<>(requests.keySet());
    Set<Long> heldSessions = new java.util.HashSet<>(requests.values());
    List<byte[]> tags = round(core.watchedTags());
    Set<String> watched = new java.util.HashSet<>();
    java.util.TreeSet<Integer> prefixes = new java.util.TreeSet<>();
    for (byte[] tag : tags) {
      watched.add(java.util.HexFormat.of().formatHex(tag));
      prefixes.add(Frame.PrefixFetch.prefixOf(tag, prefixBits));
    }
    for (String tag : held) {
      prefixes.add(Frame.PrefixFetch.prefixOf(java.util.HexFormat.of().parseHex(tag), prefixBits));
    }
    if (pad && prefixBits <= PAD_ALL_BITS) {
      // Padded: every prefix of that length, so that the set named never changes with the tags watched.
      for (int p = 0; p < 1 << prefixBits; p++) {
        prefixes.add(p << (Frame.MAX_PREFIX_BITS - prefixBits));
      }
    }
    if (prefixes.isEmpty()) {
      return;
    }
    String name = cursorName(mailbox);
    PrefixCursor cursor = loadCursor(mailbox, name);
    boolean budgetsOpen = core.fetchTags().size() == core.watchedTags().size();
    long after = 0;
    long requestFrom = Long.MAX_VALUE;
    long budgetFrom = Long.MAX_VALUE;
    Set<Integer> named = Set.of();
    java.util.NavigableMap<Long, Long> passed = new java.util.TreeMap<>();
    if (cursor != null) {
      after = cursor.after();
      requestFrom = cursor.requestFrom();
      budgetFrom = cursor.budgetFrom();
      named = cursor.prefixes();
      passed.putAll(cursor.passed());
      if (!heldSessions.containsAll(cursor.requests()) && requestFrom != Long.MAX_VALUE) {
        after = Math.min(after, requestFrom - 1); // a request left: its items are read again, once
        requestFrom = Long.MAX_VALUE;
      }
      if (budgetsOpen && budgetFrom != Long.MAX_VALUE) {
        after = Math.min(after, budgetFrom - 1);
        budgetFrom = Long.MAX_VALUE;
      }
    }
    // Items passed without being taken whose tag is watched now (a later item opened their session or
    // moved its window on), or a request's: read again, from the lowest of them up to the cursor.
    Set<Long> wanted = new java.util.HashSet<>();
    for (String tag : watched) {
      wanted.add(tag8(java.util.HexFormat.of().parseHex(tag)));
    }
    for (String tag : held) {
      wanted.add(tag8(java.util.HexFormat.of().parseHex(tag)));
    }
    java.util.TreeSet<Integer> again = new java.util.TreeSet<>();
    List<Long> matched = new ArrayList<>();
    for (Map.Entry<Long, Long> e : passed.entrySet()) {
      if (wanted.contains(e.getValue()) && e.getKey() <= after) {
        matched.add(e.getKey());
        again.add(Frame.PrefixFetch.prefixOf(java.nio.ByteBuffer.allocate(8).putLong(e.getValue()).array(),
            prefixBits));
      }
    }
    List<Integer> old = new ArrayList<>();
    List<Integer> fresh = new ArrayList<>();
    for (int p : prefixes) {
      (named.contains(p) ? old : fresh).add(p);
    }
    // floor: {cut short at, a request's lowest, over budget lowest, where the first chain ended}
    long[] floor = {Long.MAX_VALUE, requestFrom, budgetFrom, -1};
    long[] bytes = {0};
    List<Handed> handed = new ArrayList<>();
    long againReached = -1;
    Exception failure = null;
    try {
      if (!again.isEmpty()) {
        againReached = pages(link, mailbox, List.copyOf(again), matched.get(0) - 1, after, handed, floor, bytes,
            false);
      }
      if (!old.isEmpty()) {
        pages(link, mailbox, old, after, Long.MAX_VALUE, handed, floor, bytes, true);
      }
      if (!fresh.isEmpty()) {
        pages(link, mailbox, fresh, 0, Long.MAX_VALUE, handed, floor, bytes, true);
      }
    } catch (IOException | SottoException | RuntimeException e) {
      failure = e; // what the good answers before it handed out is still taken, the cursor left where it was
    }
    if (!handed.isEmpty()) {
      synchronized (unacked) { // not in the commit: forgetIfClean takes this lock before the core's
        lastRemembered = System.nanoTime();
        remembering = true;
      }
    }
    boolean complete = failure == null;
    long reached = againReached;
    List<String> refusals = new ArrayList<>();
    List<Handed> dropping = new ArrayList<>();
    // One commit for the round's items and, when the round is complete, its cursor (written only
    // when it moved: a round handed nothing new writes nothing).
    PrefixCursor stored = cursor;
    Store.GroupWork commit = () -> {
      for (Handed h : handed) {
        take(mailbox, h, watched, held, heldSessions, floor, dropping, refusals);
      }
      // What the round opened may watch the tags of items it dropped before (a first contact after
      // its session's messages, a window moved on): they are in hand, taken now.
      boolean more = !dropping.isEmpty();
      while (more) {
        more = false;
        List<Handed> before = List.copyOf(dropping);
        dropping.clear();
        for (Handed h : before) {
          String tag = java.util.HexFormat.of().formatHex(h.envelope().tag());
          if (watched.contains(tag) || held.contains(tag)) {
            more = true;
            take(mailbox, h, watched, held, heldSessions, floor, dropping, refusals);
          } else {
            dropping.add(h);
          }
        }
      }
      if (!complete) {
        return;
      }
      long next = Math.min(floor[3], floor[0] - 1);
      for (long id : matched) {
        if (id <= reached) {
          passed.remove(id); // read again (or no longer at the mailbox)
        }
      }
      for (Handed h : handed) {
        passed.remove(h.id());
      }
      for (Handed h : dropping) {
        passed.put(h.id(), tag8(h.envelope().tag()));
      }
      while (passed.size() > MAX_PASSED) {
        passed.pollFirstEntry(); // the oldest: past the bound, an item under a tag watched later is not read
      }
      PrefixCursor moved = new PrefixCursor(next, prefixBits, prefixes, floor[1], floor[2], heldSessions, passed);
      if (!moved.equals(stored)) {
        core.store().write(tx -> {
          tx.put(name, moved.encode());
          return null;
        });
      }
    };
    if (handed.isEmpty()) {
      commit.run(); // no item: at most the cursor's own write
    } else {
      core.inOneCommitWith(commit);
    }
    dropped.addAndGet(dropping.size());
    for (String refusal : refusals) {
      status.refused(clock.millis(), refusal);
    }
    if (failure instanceof IOException e) {
      throw e;
    } else if (failure instanceof SottoException e) {
      throw e;
    } else if (failure instanceof RuntimeException e) {
      throw e;
    }
  }

  /**
   * Takes one handed item, in the round's commit: a request's is held back (its lowest id kept), one
   * under a tag not watched is dropped unopened (the mailbox is told nothing), the others received.
   */
  private void take(Address mailbox, Handed h, Set<String> watched, Set<String> held, Set<Long> heldSessions,
      long[] floor, List<Handed> dropping,
      List<String> refusals) throws StoreException, SottoException {
    String tag = java.util.HexFormat.of().formatHex(h.envelope().tag());
    if (held.contains(tag)) {
      floor[1] = Math.min(floor[1], h.id()); // a request's: read again once it leaves
      return;
    }
    if (!watched.contains(tag)) {
      dropping.add(h);
      return;
    }
    try {
      if (core.receiveFetched(h.envelope()) != NodeCore.Outcome.DUPLICATE) {
        fetched.incrementAndGet();
        // What it opened may watch new tags (a first contact's session, a chain's next tags),
        // under which the items after it came: they are told apart anew.
        watched.clear();
        core.watchedTags().forEach(t -> watched.add(java.util.HexFormat.of().formatHex(t)));
        // Held only grows in a round: the cursor keeps every request seen, so that one that
        // leaves during the round (its items held back before) is noticed at the next.
        Map<String, Long> now = core.requestTagSessions();
        held.addAll(now.keySet());
        heldSessions.addAll(now.values());
      }
    } catch (SottoException e) {
      if (e.code() == dev.sotto.ErrorCode.LIMIT_EXCEEDED) {
        floor[2] = Math.min(floor[2], h.id()); // a first contact over budget: again later
      } else {
        refusals.add("an envelope fetched from mailbox " + NodeStatus.shown(mailbox) + ": " + e.code());
      }
    }
  }

  /**
   * The stored cursor of a mailbox, or null: none, or one of another prefix length (its prefixes
   * name other items), or one that does not read, after which every prefix is read from the start
   * (items already taken come again and are dropped as duplicates; nothing is skipped). A value that
   * fails to open is the store's CORRUPT, as for every sealed value.
   */
  private PrefixCursor loadCursor(Address mailbox, String name) throws StoreException, SottoException {
    byte[] stored = core.store().read(tx -> tx.get(name)).orElse(null);
    if (stored == null) {
      return null;
    }
    PrefixCursor cursor = PrefixCursor.decode(stored);
    if (cursor == null) {
      cursorsReset.incrementAndGet();
      log.log(Level.WARNING, () -> "mailbox " + NodeStatus.shown(mailbox)
          + ": the stored prefix cursor does not read; every prefix is read from the start again");
      return null;
    }
    return cursor.bits() == prefixBits ? cursor : null;
  }

  /**
   * Pages through one set of prefixes from {@code after} to its end, 1,024 prefixes a chain, keeping
   * the items up to {@code upto} in {@code handed} (a loop of this node's is taken here, not kept).
   * A main chain ({@code main}) is one of the round's old or new prefixes: {@code floor[3]}, when
   * still -1, takes the last id the first chain ended at, and a chain cut short at the round's bytes
   * lowers {@code floor[0]}; a chain that reads passed items again stops at {@code upto}, the cursor.
   * Each answer is checked whole before any of it is kept: an item id not above the last, or a tag
   * under none of the prefixes, is a link error. Returns how far every chain got for certain: {@code
   * upto} or more unless one was cut short.
   */
  private long pages(LinkPool.Calls link, Address mailbox, List<Integer> prefixes, long after, long upto,
      List<Handed> handed, long[] floor, long[] bytes, boolean main) throws IOException, SottoException,
      StoreException {
    long reached = Long.MAX_VALUE;
    for (int from = 0; from < prefixes.size(); from += Frame.MAX_COUNT) {
      List<Integer> chunk = prefixes.subList(from, Math.min(prefixes.size(), from + Frame.MAX_COUNT));
      long last = after;
      boolean cut = false;
      boolean more = true; // every chain gets a page, so that one cut short has handed out an item
      while (more) {
        Frame.PrefixFetch request = new Frame.PrefixFetch(last, prefixBits, chunk);
        List<Frame> responses = link.call(Frame.fetchPrefix(link.nextRequestId(), request));
        more = false;
        List<Frame> items = new ArrayList<>();
        long previous = last;
        for (Frame response : responses) {
          if (response.type() == Frame.ITEM) {
            Envelope envelope = response.itemEnvelope();
            if (response.itemId() <= previous || !request.covers(envelope.tag())) {
              throw new IOException("link error: FETCH_PREFIX answered with item " + response.itemId()
                  + " out of order or under no prefix named");
            }
            previous = response.itemId();
            bytes[0] += envelope.length();
            items.add(response);
          } else if (response.type() == Frame.DONE) {
            more = response.more();
          } else if (response.type() == Frame.ERROR) {
            throw new IOException("the mailbox answered FETCH_PREFIX with " + Deliveries.errorName(response));
          }
        }
        if (more && items.isEmpty()) {
          throw new IOException("link error: FETCH_PREFIX answered more with no item");
        }
        for (Frame response : items) {
          Envelope envelope = response.itemEnvelope();
          if (response.itemId() > upto) {
            continue; // above the cursor: the main chains hand it out
          }
          if (loops != null && loops.taken(envelope)) {
            continue; // a loop of this node's: taken, shown as nothing, left to expire
          }
          handed.add(new Handed(response.itemId(), envelope));
        }
        last = previous;
        if (last >= upto) {
          more = false;
        }
        if (more && bytes[0] >= PREFIX_ROUND_BYTES) {
          // Cut short: the rest at the next round. Everything up to `last` under these prefixes was
          // handed out, nothing after it: the cursor may not pass it.
          if (main) {
            floor[0] = Math.min(floor[0], last + 1);
          }
          cut = true;
          more = false;
        }
        int taken = items.size();
        log.log(Level.DEBUG, () -> "mailbox " + NodeStatus.shown(mailbox) + ": " + taken + " items by prefix");
      }
      if (main && floor[3] < 0) {
        floor[3] = last;
      }
      reached = Math.min(reached, cut ? last : Math.max(last, upto));
    }
    return reached;
  }

  private void forgetIfClean(Address mailbox, long began) throws StoreException, SottoException {
    synchronized (unacked) {
      cleanSince.put(Node.addressText(mailbox), began);
      if (!remembering) {
        return;
      }
      List<Address> all = mailboxes.get();
      cleanSince.keySet().retainAll(all.stream().map(Node::addressText).toList());
      for (Address m : all) {
        Long since = cleanSince.get(Node.addressText(m));
        if (since == null || since - lastRemembered <= 0) {
          return;
        }
      }
      core.forgetUnacked();
      remembering = false;
    }
  }
}
