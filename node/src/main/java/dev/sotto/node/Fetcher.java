package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.SottoException;
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
  /** Per mailbox (its address text): where its prefix fetches resume, for the prefixes named last. */
  private final Map<String, PrefixCursor> cursors = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Where prefix fetches at one mailbox resume: every item under one of {@code prefixes} with an id
   * up to {@code after} has been handed out; a prefix not among them starts from 0. The lowest ids
   * of items left for later, of contact requests ({@code requests}: their tags then) and of first
   * contacts over their budget (Long.MAX_VALUE: none). In memory: after a restart every prefix
   * starts from 0 again (items already taken come again and are dropped).
   */
  record PrefixCursor(long after, Set<Integer> prefixes, long requestFrom, long budgetFrom, Set<String> requests) {}

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

  /**
   * One round by tag prefix (spec: transport.adoc#fetch-prefix, #node-prefix-fetch): the prefixes
   * of the tags watched, those named in the last round from the mailbox's cursor and the new ones
   * from 0, each set paged to its end; every item under a watched tag is received, the others (and
   * a loop of this node's) dropped; nothing is acknowledged. The cursor moves only when the whole
   * round succeeds, to an id that no item still unseen can be at or below: the last id the first
   * chain of requests (the old prefixes, or else the first 1,024 new ones) was handed, or its start
   * when it was handed nothing; ids are given in the order deposited, so an item deposited after a
   * chain ended has a higher id than any handed out before. An item this round
   * could not take yet does not hold the cursor back (a stranger could then make every round read
   * the mailbox again): the lowest id of an item of a contact request not yet accepted, and of a
   * first contact over its budget, is kept, and the round after a request leaves the requests (or
   * after every invite tag's budget is open again) reads from there once. A round that stops paging
   * at {@link #PREFIX_ROUND_BYTES} keeps the cursor at or below where it stopped.
   */
  private void fetchByPrefix(LinkPool.Calls link, Address mailbox) throws IOException, SottoException,
      StoreException {
    // Every tag watched, the invite tags whose first-contact budget is spent among them: their items
    // are handed out anyway, refused for the budget, and kept above the cursor until it refills.
    // The requests' tags first, then the tags watched: a request accepted in between is then in both,
    // and its items are held back once and read again at the next round, never dropped.
    Set<String> held = new java.util.HashSet<>(core.requestTags());
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
    String key = Node.addressText(mailbox);
    PrefixCursor cursor = cursors.get(key);
    boolean requestLeft = cursor != null && !held.containsAll(cursor.requests());
    boolean budgetsOpen = core.fetchTags().size() == core.watchedTags().size();
    long requestFrom = Long.MAX_VALUE;
    long budgetFrom = Long.MAX_VALUE;
    if (cursor != null) {
      long after = cursor.after();
      requestFrom = cursor.requestFrom();
      budgetFrom = cursor.budgetFrom();
      if (requestLeft && requestFrom != Long.MAX_VALUE) {
        after = Math.min(after, requestFrom - 1);
        requestFrom = Long.MAX_VALUE;
      }
      if (budgetsOpen && budgetFrom != Long.MAX_VALUE) {
        after = Math.min(after, budgetFrom - 1);
        budgetFrom = Long.MAX_VALUE;
      }
      cursor = new PrefixCursor(after, cursor.prefixes(), requestFrom, budgetFrom, held);
    }
    List<Integer> old = new ArrayList<>();
    List<Integer> fresh = new ArrayList<>();
    for (int p : prefixes) {
      (cursor != null && cursor.prefixes().contains(p) ? old : fresh).add(p);
    }
    // floor: {cut short at, a request's lowest, over budget lowest, where the first chain ended}
    long[] floor = {Long.MAX_VALUE, requestFrom, budgetFrom, -1};
    long[] bytes = {0};
    if (!old.isEmpty()) {
      pages(link, mailbox, old, cursor.after(), watched, held, floor, bytes);
    }
    if (!fresh.isEmpty()) {
      pages(link, mailbox, fresh, 0, watched, held, floor, bytes);
    }
    // Every item under the first chain's prefixes up to where it ended was handed out; every later
    // chain, ending later, was handed all it held then; whatever came after has a higher id.
    long next = Math.min(floor[3], floor[0] - 1);
    cursors.put(key, new PrefixCursor(next, Set.copyOf(prefixes), floor[1], floor[2], Set.copyOf(held)));
  }

  /**
   * Pages through one set of prefixes from {@code after} to its end, 1,024 prefixes a chain;
   * {@code floor[3]}, when still -1, takes the last id the first chain ended at. Each answer is checked whole before any of it
   * is used: an item id not above the last, or a tag under none of the prefixes, is a link error.
   */
  private void pages(LinkPool.Calls link, Address mailbox, List<Integer> prefixes, long after, Set<String> watched,
      Set<String> held, long[] floor, long[] bytes) throws IOException, SottoException, StoreException {
    for (int from = 0; from < prefixes.size(); from += Frame.MAX_COUNT) {
      List<Integer> chunk = prefixes.subList(from, Math.min(prefixes.size(), from + Frame.MAX_COUNT));
      long last = after;
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
          if (loops != null && loops.taken(envelope)) {
            continue; // a loop of this node's: taken, shown as nothing, left to expire
          }
          String tag = java.util.HexFormat.of().formatHex(envelope.tag());
          if (held.contains(tag)) {
            floor[1] = Math.min(floor[1], response.itemId()); // a request's: read again once it leaves
            continue;
          }
          if (!watched.contains(tag)) {
            dropped.incrementAndGet(); // another's: dropped unopened, and the mailbox is told nothing
            continue;
          }
          synchronized (unacked) {
            lastRemembered = System.nanoTime();
            remembering = true;
          }
          try {
            if (core.receiveFetched(envelope) != NodeCore.Outcome.DUPLICATE) {
              fetched.incrementAndGet();
              // What it opened may watch new tags (a first contact's session, a chain's next tags),
              // under which the items after it in this answer came: they are told apart anew.
              watched.clear();
              core.watchedTags().forEach(t -> watched.add(java.util.HexFormat.of().formatHex(t)));
              // Held only grows in a round: the cursor keeps every request seen, so that one that
              // leaves during the round (its items held back before) is noticed at the next.
              held.addAll(core.requestTags());
            }
          } catch (SottoException e) {
            if (e.code() == dev.sotto.ErrorCode.LIMIT_EXCEEDED) {
              floor[2] = Math.min(floor[2], response.itemId()); // a first contact over budget: again later
            } else {
              status.refused(clock.millis(), "an envelope fetched from mailbox " + NodeStatus.shown(mailbox) + ": "
                  + e.code());
            }
          }
        }
        last = previous;
        if (more && bytes[0] >= PREFIX_ROUND_BYTES) {
          // Cut short: the rest at the next round. Everything up to `last` under these prefixes was
          // handed out, nothing after it: the cursor may not pass it.
          floor[0] = Math.min(floor[0], last + 1);
          more = false;
        }
        int taken = items.size();
        log.log(Level.DEBUG, () -> "mailbox " + NodeStatus.shown(mailbox) + ": " + taken + " items by prefix");
      }
      if (floor[3] < 0) {
        floor[3] = last;
      }
    }
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
