package dev.sotto.node;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.SottoException;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.node.net.HandshakeBudget;
import dev.sotto.node.net.TokenBucket;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The mailbox a node runs for others (spec: transport.adoc#mailbox), with the reference node's
 * policy (#mailbox-policy) against floods of deposits and against fetches that cost more than they
 * should:
 *
 * <ul>
 *   <li><b>Room kept for watched tags.</b> A tag is <em>watched</em> when a FETCH asked for it within
 *       the retention time: someone who knows it is waiting for what comes under it. A deposit under
 *       a tag nobody watches may fill the mailbox only up to {@link #OPEN_SHARE} of its total quota;
 *       the rest is kept for watched tags. A flood under tags of its own making fills the open part
 *       and no more, and deposits for recipients who fetch still go in.
 *   <li><b>A share per source prefix.</b> The deposits from one source prefix (the /24 of an IPv4
 *       address, the /64 of an IPv6 one) may add up to {@link #PREFIX_SHARE} of the total quota per
 *       retention time (a bucket of bytes that refills over the retention time), so one network
 *       never holds more than twice that. Loopback sources have none (behind a Tor onion service
 *       every link comes from loopback): they meet the room kept for watched tags only.
 *   <li><b>A FETCH costs what it reads.</b> {@link #REQUEST_COST} per request, {@link #TAG_COST} per
 *       tag looked up, and the bytes of the envelopes it hands out, spent from three buckets: the
 *       link's, the source prefix's (none for loopback) and one for every source together. A FETCH
 *       is refused with LIMIT_EXCEEDED while any of them is in debt; one admitted is charged its
 *       whole cost afterwards, so a bucket is in debt by at most one FETCH.
 * </ul>
 *
 * <p>The watched tags and the buckets are in memory: after a restart every tag is unwatched until it
 * is fetched again (a recipient that is online fetches every second) and every bucket is full.
 * Thread-safe.
 */
public final class Mailbox {
  /** The part of the total quota that deposits under tags nobody watches may fill. */
  public static final double OPEN_SHARE = 0.5;
  /** The part of the total quota one source prefix may deposit per retention time. */
  public static final double PREFIX_SHARE = 1.0 / 16;
  /** Watched tags remembered at most; beyond, the one fetched longest ago is forgotten. */
  public static final int WATCHED_TAGS = 65_536;
  /** Items a link remembers having handed out (for its ACKs); beyond, the oldest are forgotten. */
  static final int HANDED_OUT = 4_096;
  /** Source prefixes with a deposit bucket at most; beyond, the one that deposited longest ago is forgotten. */
  static final int PREFIXES = 65_536;

  /** The cost of a FETCH, in bytes: one request. */
  public static final long REQUEST_COST = 1024;
  /** The cost of a FETCH, in bytes: each tag it looks up. */
  public static final long TAG_COST = 512;

  /**
   * A bucket of bytes of FETCH (or deposit) work: sustained rate per second and burst. Its buckets
   * may go into debt: a request is admitted while the level is positive (or covers a deposit's
   * size) and charged its cost after it is done. Used under the mailbox's lock.
   */
  public record Rate(double perSecond, long burst) {
    /** A full bucket at {@code now}. */
    TokenBucket full(long now) {
      return new TokenBucket(burst, now);
    }

    /** The bytes in {@code bucket} at {@code now}. */
    double at(TokenBucket bucket, long now) {
      return bucket.at(now, perSecond, burst);
    }

    /** Charges {@code cost} bytes to {@code bucket} at {@code now}. */
    void charge(TokenBucket bucket, long now, double cost) {
      bucket.charge(now, perSecond, burst, cost);
    }
  }

  /** The FETCH budgets (spec: transport.adoc#mailbox-policy): per link, per source prefix, in all. */
  public record FetchBudgets(Rate link, Rate prefix, Rate global) {
    public static final FetchBudgets DEFAULT = new FetchBudgets(new Rate(2 << 20, 8 << 20), new Rate(4 << 20, 8 << 20),
        new Rate(8 << 20, 8 << 20));
  }

  /** What one link remembers: the items it handed out (only it may acknowledge them) and its FETCH bucket. */
  static final class LinkBook {
    private final LinkedHashMap<Long, Boolean> handedOut = new LinkedHashMap<>();
    private TokenBucket fetch;

    synchronized void handedOut(long id) {
      handedOut.remove(id);
      handedOut.put(id, Boolean.TRUE);
      if (handedOut.size() > HANDED_OUT) {
        Iterator<Long> it = handedOut.keySet().iterator();
        it.next();
        it.remove();
      }
    }

    synchronized List<Long> handedOut(List<Long> ids) {
      return ids.stream().filter(handedOut::containsKey).distinct().toList();
    }

    synchronized void forget(List<Long> ids) {
      ids.forEach(handedOut::remove);
    }
  }

  /** A 16-byte tag as a map key. */
  private record Tag(long high, long low) {
    static Tag of(byte[] tag) {
      ByteBuffer b = ByteBuffer.wrap(tag);
      return new Tag(b.getLong(), b.getLong());
    }
  }

  private final Store store;
  private final Clock clock;
  private final NodeCore.Policy policy;
  private FetchBudgets budgets;
  private final LongSupplier nanos;
  /** Watched tags, with when a FETCH last asked for them (millis), least recently asked first. */
  private final LinkedHashMap<Tag, Long> watched = new LinkedHashMap<>(1024, 0.75f, true);
  /** Deposit buckets by source prefix, the one charged longest ago first. */
  private final LinkedHashMap<HandshakeBudget.Prefix, TokenBucket> depositors = new LinkedHashMap<>();
  private final LinkedHashMap<HandshakeBudget.Prefix, TokenBucket> fetchers = new LinkedHashMap<>();
  private TokenBucket global;
  private final Map<String, Long> counters = new LinkedHashMap<>();

  Mailbox(Store store, Clock clock, NodeCore.Policy policy, FetchBudgets budgets, LongSupplier nanos) {
    this.store = store;
    this.clock = clock;
    this.policy = policy;
    this.budgets = budgets;
    this.nanos = nanos;
    this.global = budgets.global().full(nanos.getAsLong());
    for (String name : List.of("deposits", "duplicates", "refused_tag_full", "refused_open_full", "refused_full",
        "refused_prefix", "fetches", "fetches_refused", "bytes_served", "acks", "group_deposits", "takes", "leaves_taken")) {
      counters.put(name, 0L);
    }
  }

  /** Other FETCH budgets from now on, the shared bucket full (tests: a mailbox that paces a restore). */
  synchronized void useBudgets(FetchBudgets b) {
    budgets = b;
    global = b.global().full(nanos.getAsLong());
    fetchers.clear();
  }

  private void count(String name, long n) {
    counters.merge(name, n, Long::sum);
  }

  /** The mailbox's counters since start, and the tags watched now. */
  public synchronized Map<String, Long> counters() {
    Map<String, Long> m = new LinkedHashMap<>();
    counters.forEach((k, v) -> m.put("mailbox_" + k, v));
    m.put("mailbox_watched_tags", (long) watched.size());
    return m;
  }

  /** The source's prefix for the mailbox's budgets, or null for loopback (unless the policy counts it by prefix). */
  private HandshakeBudget.Prefix prefixOf(InetAddress source) {
    if (source.isLoopbackAddress() && !policy.loopbackByPrefix()) {
      return null;
    }
    return HandshakeBudget.Prefix.of(source);
  }

  // ---------------------------------------------------------------- DEPOSIT

  /**
   * DEPOSIT (spec: transport.adoc#mailbox): OK when stored or held already; LIMIT_EXCEEDED when the
   * tag's quota, the room open to its tag (watched or not) or its source's share refuses it.
   */
  synchronized Frame deposit(NodeCore.LinkState link, long requestId, Envelope envelope)
      throws StoreException, SottoException {
    return deposit(link, requestId, envelope, null);
  }

  /**
   * DEPOSIT_GROUP (spec: transport.adoc#mailbox): as DEPOSIT, under the same quotas and policy; the
   * item is stored with its leaves, untaken.
   */
  synchronized Frame depositGroup(NodeCore.LinkState link, long requestId, Frame.GroupDeposit body)
      throws StoreException, SottoException {
    return deposit(link, requestId, body.envelope(), body.leaves());
  }

  private Frame deposit(NodeCore.LinkState link, long requestId, Envelope envelope, List<byte[]> leaves)
      throws StoreException, SottoException {
    long now = clock.millis();
    long t = nanos.getAsLong();
    long size = envelope.length();
    boolean isWatched = watched(Tag.of(envelope.tag()), now);
    Rate share = prefixShare();
    HandshakeBudget.Prefix prefix = prefixOf(link.source);
    TokenBucket bucket = null;
    if (prefix != null) {
      bucket = depositors.get(prefix);
      if (bucket == null) {
        bucket = share.full(t);
      }
      if (share.at(bucket, t) < size) {
        count("refused_prefix", 1);
        return Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED);
      }
    }
    long room = isWatched ? policy.totalQuotaBytes() : (long) (policy.totalQuotaBytes() * OPEN_SHARE);
    Tx.DepositResult result = store.write(tx -> leaves == null
        ? tx.deposit(envelope.tag(), envelope.encoded(), now, now + policy.retentionMillis(), policy.perTagQuota(), room)
        : tx.depositGroup(envelope.tag(), envelope.encoded(), leaves, now, now + policy.retentionMillis(),
            policy.perTagQuota(), room));
    switch (result) {
      case STORED -> {
        count(leaves == null ? "deposits" : "group_deposits", 1);
        if (bucket != null) {
          share.charge(bucket, t, size);
          depositors.remove(prefix);
          depositors.put(prefix, bucket);
          if (depositors.size() > PREFIXES) {
            Iterator<HandshakeBudget.Prefix> it = depositors.keySet().iterator();
            it.next();
            it.remove(); // forgetting it is lenient: it comes back with a full bucket
          }
        }
        return Frame.ok(requestId);
      }
      case DUPLICATE -> {
        count("duplicates", 1);
        return Frame.ok(requestId);
      }
      case TAG_FULL -> count("refused_tag_full", 1);
      default -> count(isWatched ? "refused_full" : "refused_open_full", 1);
    }
    return Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED);
  }

  /** A prefix's deposits: {@link #PREFIX_SHARE} of the total quota, refilled over the retention time. */
  private Rate prefixShare() {
    double bytes = policy.totalQuotaBytes() * PREFIX_SHARE;
    return new Rate(bytes / (policy.retentionMillis() / 1000.0), (long) bytes);
  }

  private boolean watched(Tag tag, long now) {
    Long last = watched.get(tag);
    return last != null && now - last < policy.retentionMillis();
  }

  // ---------------------------------------------------------------- FETCH and ACK

  /**
   * FETCH (spec: transport.adoc#mailbox): the unexpired items under the tags, at most 64, then
   * DONE; LIMIT_EXCEEDED while a budget is in debt, before the body is read (so it costs next to
   * nothing). The tags become watched.
   *
   * @throws SottoException the body's errors (INVALID_ENCODING, TRUNCATED, TRAILING_DATA)
   */
  synchronized List<Frame> fetch(NodeCore.LinkState link, Frame request) throws StoreException, SottoException {
    return fetch(link, request, false);
  }

  /**
   * FETCH_GROUP (spec: transport.adoc#mailbox): as FETCH, handing out only the group items under a
   * named tag that carry the leaf named with it, untaken. The tags become watched.
   *
   * @throws SottoException the body's errors (INVALID_ENCODING, TRUNCATED, TRAILING_DATA)
   */
  synchronized List<Frame> fetchGroup(NodeCore.LinkState link, Frame request) throws StoreException, SottoException {
    return fetch(link, request, true);
  }

  /**
   * FETCH_PREFIX (spec: transport.adoc#fetch-prefix): the unexpired items with an id above the
   * request's, whose tag begins with one of its prefixes, at most 64 in id order, then DONE; the same
   * budgets as FETCH, charged per prefix as per tag. No tag becomes watched, and the items handed out
   * are not remembered for this link's ACKs: an ACK never deletes them (else a prefix of 0 bits would
   * let anyone delete everything the mailbox holds), so they leave at expiry.
   *
   * @throws SottoException the body's errors (INVALID_ENCODING, TRUNCATED, TRAILING_DATA)
   */
  synchronized List<Frame> fetchPrefix(NodeCore.LinkState link, Frame request) throws StoreException,
      SottoException {
    return fetch(link, request, false, true);
  }

  private List<Frame> fetch(NodeCore.LinkState link, Frame request, boolean group) throws StoreException,
      SottoException {
    return fetch(link, request, group, false);
  }

  private List<Frame> fetch(NodeCore.LinkState link, Frame request, boolean group, boolean byPrefix)
      throws StoreException, SottoException {
    long requestId = request.requestId();
    long t = nanos.getAsLong();
    HandshakeBudget.Prefix prefix = prefixOf(link.source);
    TokenBucket own = link.book.fetch;
    if (own == null) {
      own = link.book.fetch = budgets.link().full(t);
    }
    TokenBucket shared = null;
    if (prefix != null) {
      shared = fetchers.get(prefix);
      if (shared == null) {
        shared = budgets.prefix().full(t);
      }
    }
    if (budgets.link().at(own, t) <= 0 || (shared != null && budgets.prefix().at(shared, t) <= 0)
        || budgets.global().at(global, t) <= 0) {
      count("fetches_refused", 1);
      return List.of(Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED));
    }
    Frame.PrefixFetch byPrefixBody = byPrefix ? request.prefixFetchBody() : null;
    List<Frame.Watch> watches = group ? request.watches() : null;
    List<byte[]> tags = byPrefix ? List.of() : group ? watches.stream().map(Frame.Watch::tag).toList() : request.tags();
    int looked = byPrefix ? byPrefixBody.prefixes().size() : tags.size();
    long now = clock.millis();
    for (byte[] tag : tags) {
      watched.put(Tag.of(tag), now);
    }
    while (watched.size() > WATCHED_TAGS) {
      Iterator<Tag> it = watched.keySet().iterator();
      it.next();
      it.remove();
    }
    List<Tx.Item> items = store.read(tx -> byPrefix ? tx.fetchPrefix(byPrefixBody, now, Frame.MAX_ITEMS + 1)
        : group ? tx.fetchGroup(watches, now, Frame.MAX_ITEMS + 1) : tx.fetch(tags, now, Frame.MAX_ITEMS + 1));
    List<Frame> out = new ArrayList<>();
    long bytes = 0;
    for (Tx.Item item : items.subList(0, Math.min(items.size(), Frame.MAX_ITEMS))) {
      if (!byPrefix) {
        link.book.handedOut(item.id());
      }
      out.add(Frame.item(requestId, item.id(), Envelope.parse(item.envelope())));
      bytes += item.envelope().length;
    }
    out.add(Frame.done(requestId, items.size() > Frame.MAX_ITEMS));
    double cost = REQUEST_COST + TAG_COST * looked + bytes;
    budgets.link().charge(own, t, cost);
    budgets.global().charge(global, t, cost);
    if (shared != null) {
      budgets.prefix().charge(shared, t, cost);
      fetchers.remove(prefix);
      fetchers.put(prefix, shared);
      forgetFull(fetchers, t, budgets.prefix());
    }
    count(byPrefix ? "prefix_fetches" : "fetches", 1);
    count("bytes_served", bytes);
    return out;
  }

  /** Drops the prefix buckets, charged longest ago first, that would be full again (and so equal new ones). */
  private static void forgetFull(LinkedHashMap<HandshakeBudget.Prefix, TokenBucket> buckets, long now, Rate rate) {
    Iterator<TokenBucket> it = buckets.values().iterator();
    while (it.hasNext()) {
      TokenBucket b = it.next();
      if (rate.at(b, now) < rate.burst() && buckets.size() <= PREFIXES) {
        return;
      }
      it.remove();
    }
  }

  /**
   * ACK (spec: transport.adoc#mailbox): deletes the listed items that this link handed out, but
   * never a group item (so no member deletes one for the others); OK.
   */
  Frame ack(NodeCore.LinkState link, long requestId, List<Long> ids) throws StoreException, SottoException {
    List<Long> mine = link.book.handedOut(ids);
    if (!mine.isEmpty()) {
      List<Long> deleted = store.write(tx -> {
        Set<Long> group = tx.groupItems(mine);
        List<Long> others = mine.stream().filter(id -> !group.contains(id)).toList();
        tx.deleteItems(others);
        return others;
      });
      link.book.forget(deleted);
    }
    synchronized (this) {
      count("acks", 1);
    }
    return Frame.ok(requestId);
  }

  /**
   * TAKE (spec: transport.adoc#mailbox): for each group item that this link handed out, the leaf of
   * the token becomes taken (one leaf, if it is there twice); an item whose leaves are all taken is
   * deleted. Anything else is ignored; OK.
   */
  Frame take(NodeCore.LinkState link, long requestId, List<Frame.Take> takes) throws StoreException, SottoException {
    List<Long> ids = takes.stream().map(Frame.Take::itemId).toList();
    List<Long> mine = link.book.handedOut(ids);
    int taken = 0;
    if (!mine.isEmpty()) {
      Set<Long> handed = Set.copyOf(mine);
      taken = store.write(tx -> {
        int n = 0;
        for (Frame.Take t : takes) {
          if (handed.contains(t.itemId()) && tx.takeLeaf(t.itemId(), GroupKdf.takeLeaf(t.token()))) {
            n++;
          }
        }
        return n;
      });
    }
    synchronized (this) {
      count("takes", 1);
      count("leaves_taken", taken);
    }
    return Frame.ok(requestId);
  }

  // ---------------------------------------------------------------- requests charged as a FETCH

  /**
   * Whether a request charged to the FETCH budgets (BACKUP_GET, spec: transport.adoc#backup-class)
   * may run now: none of the link's, its prefix's and the global bucket is in debt.
   */
  synchronized boolean fetchAdmitted(NodeCore.LinkState link) {
    long t = nanos.getAsLong();
    TokenBucket own = link.book.fetch;
    HandshakeBudget.Prefix prefix = prefixOf(link.source);
    TokenBucket shared = prefix == null ? null : fetchers.get(prefix);
    boolean admitted = (own == null || budgets.link().at(own, t) > 0)
        && (shared == null || budgets.prefix().at(shared, t) > 0) && budgets.global().at(global, t) > 0;
    if (!admitted) {
      count("fetches_refused", 1);
    }
    return admitted;
  }

  /** Charges a request admitted by {@link #fetchAdmitted} its cost, in bytes, as a FETCH is charged. */
  synchronized void chargeFetch(NodeCore.LinkState link, double cost) {
    long t = nanos.getAsLong();
    if (link.book.fetch == null) {
      link.book.fetch = budgets.link().full(t);
    }
    budgets.link().charge(link.book.fetch, t, cost);
    budgets.global().charge(global, t, cost);
    HandshakeBudget.Prefix prefix = prefixOf(link.source);
    if (prefix != null) {
      TokenBucket shared = fetchers.remove(prefix);
      if (shared == null) {
        shared = budgets.prefix().full(t);
      }
      budgets.prefix().charge(shared, t, cost);
      fetchers.put(prefix, shared);
      forgetFull(fetchers, t, budgets.prefix());
    }
  }
}
