package dev.sotto.node;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.SottoException;
import dev.sotto.node.net.HandshakeBudget;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The backup class of a node's mailbox (spec: transport.adoc#backup-class): BACKUP_PUT,
 * BACKUP_GET, BACKUP_KEEP and BACKUP_DELETE, in spaces named by the SHA-256 of the credential,
 * kept in a table of their own ({@code backup_items}) under a retention and quotas of their own
 * (the reference node's, transport.adoc#mailbox-policy). Nothing here shares a byte of quota with
 * DEPOSIT: a flood of envelopes cannot evict a backup, and nothing is ever evicted for room (a full
 * store refuses new puts). Only the holder of a space's credential writes, renews or deletes in it.
 *
 * <p>New spaces are admitted under a budget per source prefix (in memory, like the mailbox's deposit
 * buckets: a restart fills it again); a BACKUP_GET is charged to the mailbox's FETCH budgets.
 * Thread-safe.
 */
public final class BackupMailbox {
  /**
   * The backup class's limits: how long an envelope is kept after its last put or keep, envelopes and
   * bytes per space, bytes of every space together, and new spaces per source prefix per day.
   */
  public record Policy(long retentionMillis, int envelopesPerSpace, long bytesPerSpace, long totalBytes,
      int newSpacesPerPrefixPerDay) {
    /** The reference node's: 400 days; 4,096 envelopes and 256 MiB per space; 4 GiB in all; 4 new spaces a day. */
    public static final Policy DEFAULT = new Policy(400L * 24 * 3600 * 1000, 4096, 256L << 20, 4L << 30, 4);

    public Policy {
      if (retentionMillis <= 0 || envelopesPerSpace < 1 || bytesPerSpace < 1 || totalBytes < 1
          || newSpacesPerPrefixPerDay < 1) {
        throw new IllegalArgumentException("backup class limits out of range");
      }
    }
  }

  /** Source prefixes with a new-space bucket at most; beyond, the one charged longest ago is forgotten. */
  static final int PREFIXES = 65_536;
  private static final double DAY_NANOS = 24 * 3600 * 1e9;

  private final Store store;
  private final Clock clock;
  private final LongSupplier nanos;
  private final boolean loopbackByPrefix;
  private volatile Policy policy;
  /** New-space buckets by source prefix: {tokens, last refill in nanos}, the one charged longest ago first. */
  private final LinkedHashMap<HandshakeBudget.Prefix, double[]> newSpaces = new LinkedHashMap<>();
  private final Map<String, Long> counters = new LinkedHashMap<>();

  BackupMailbox(Store store, Clock clock, Policy policy, boolean loopbackByPrefix, LongSupplier nanos) {
    this.store = store;
    this.clock = clock;
    this.policy = policy;
    this.loopbackByPrefix = loopbackByPrefix;
    this.nanos = nanos;
    for (String name : List.of("puts", "refused_space_full", "refused_full", "refused_new_space", "gets",
        "gets_refused", "keeps", "deletes")) {
      counters.put(name, 0L);
    }
  }

  /** The limits in force. */
  public Policy policy() {
    return policy;
  }

  /** Other limits from now on (tests, and an operator's smaller node). */
  public void policy(Policy policy) {
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
  }

  /** The counters since start. */
  public synchronized Map<String, Long> counters() {
    Map<String, Long> m = new LinkedHashMap<>();
    counters.forEach((k, v) -> m.put("backup_" + k, v));
    return m;
  }

  private void count(String name) {
    counters.merge(name, 1L, Long::sum);
  }

  /**
   * Answers one backup request. The caller checked that this node runs a mailbox.
   *
   * @throws SottoException the body's errors
   */
  synchronized List<Frame> handle(NodeCore.LinkState link, Frame request, Mailbox mailbox)
      throws StoreException, SottoException {
    long id = request.requestId();
    return switch (request.type()) {
      case Frame.BACKUP_PUT -> List.of(put(link, id, request.backupPutBody()));
      case Frame.BACKUP_GET -> get(link, request, mailbox);
      case Frame.BACKUP_KEEP -> List.of(keep(id, request.backupTagsBody()));
      case Frame.BACKUP_DELETE -> List.of(delete(id, request.backupTagsBody()));
      default -> throw new IllegalArgumentException("not a backup request");
    };
  }

  /** BACKUP_PUT: stores or replaces; LIMIT_EXCEEDED, changing nothing, past a quota or the new-space budget. */
  private Frame put(NodeCore.LinkState link, long requestId, Frame.BackupPut body)
      throws StoreException, SottoException {
    byte[] space = sha256(body.credential());
    Envelope envelope = body.envelope();
    byte[] tag = envelope.tag();
    long size = envelope.length();
    long now = clock.millis();
    Policy p = policy;
    String refusal = store.write(tx -> {
      tx.expireBackups(now);
      Tx.BackupUsage usage = tx.backupUsage(space);
      long old = tx.backupSize(space, tag, now);
      long envelopes = usage.envelopes() + (old < 0 ? 1 : 0);
      long bytes = usage.bytes() - Math.max(old, 0) + size;
      if (envelopes > p.envelopesPerSpace() || bytes > p.bytesPerSpace()) {
        return "refused_space_full";
      }
      if (tx.backupBytes() - Math.max(old, 0) + size > p.totalBytes()) {
        return "refused_full";
      }
      if (usage.envelopes() == 0 && !admitNewSpace(link.source)) {
        return "refused_new_space";
      }
      tx.putBackup(space, tag, envelope.encoded(), now + p.retentionMillis());
      return null;
    });
    if (refusal != null) {
      count(refusal);
      return Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED);
    }
    count("puts");
    return Frame.ok(requestId);
  }

  /** BACKUP_GET: an ITEM per tag first asked that the space holds, at most 64, then DONE. Charged as a FETCH. */
  private List<Frame> get(NodeCore.LinkState link, Frame request, Mailbox mailbox)
      throws StoreException, SottoException {
    long requestId = request.requestId();
    if (!mailbox.fetchAdmitted(link)) {
      count("gets_refused");
      return List.of(Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED));
    }
    Frame.BackupTags body = request.backupTagsBody();
    byte[] space = sha256(body.credential());
    long now = clock.millis();
    List<byte[]> tags = distinct(body.tags());
    List<Tx.Item> held = store.read(tx -> {
      List<Tx.Item> items = new ArrayList<>();
      for (byte[] tag : tags) {
        Optional<Tx.Item> item = tx.backupItem(space, tag, now);
        if (item.isPresent()) {
          items.add(item.get());
          if (items.size() > Frame.MAX_ITEMS) {
            break;
          }
        }
      }
      return items;
    });
    List<Frame> out = new ArrayList<>();
    long bytes = 0;
    for (Tx.Item item : held.subList(0, Math.min(held.size(), Frame.MAX_ITEMS))) {
      out.add(Frame.item(requestId, item.id(), Envelope.parse(item.envelope())));
      bytes += item.envelope().length;
    }
    out.add(Frame.done(requestId, held.size() > Frame.MAX_ITEMS));
    mailbox.chargeFetch(link, Mailbox.REQUEST_COST + Mailbox.TAG_COST * tags.size() + bytes);
    count("gets");
    return out;
  }

  /** BACKUP_KEEP: one bit per tag asked; each held one is kept for the retention from now. */
  private Frame keep(long requestId, Frame.BackupTags body) throws StoreException, SottoException {
    byte[] space = sha256(body.credential());
    long now = clock.millis();
    long expires = now + policy.retentionMillis();
    List<Boolean> held = store.write(tx -> {
      List<Boolean> bits = new ArrayList<>();
      for (byte[] tag : body.tags()) {
        bits.add(tx.keepBackup(space, tag, now, expires));
      }
      return bits;
    });
    count("keeps");
    return Frame.held(requestId, held);
  }

  /** BACKUP_DELETE: deletes what the space holds under the tags; OK. */
  private Frame delete(long requestId, Frame.BackupTags body) throws StoreException, SottoException {
    byte[] space = sha256(body.credential());
    store.write(tx -> {
      for (byte[] tag : body.tags()) {
        tx.deleteBackup(space, tag);
      }
      return null;
    });
    count("deletes");
    return Frame.ok(requestId);
  }

  /** Deletes the backup envelopes past their expiry; returns how many. */
  int expire() throws StoreException, SottoException {
    long now = clock.millis();
    return store.write(tx -> tx.expireBackups(now));
  }

  /** Takes a token of the source prefix's new-space bucket (none for loopback), or says there is none. */
  private boolean admitNewSpace(InetAddress source) {
    if (source.isLoopbackAddress() && !loopbackByPrefix) {
      return true;
    }
    HandshakeBudget.Prefix prefix = HandshakeBudget.Prefix.of(source);
    long t = nanos.getAsLong();
    int burst = policy.newSpacesPerPrefixPerDay();
    double[] bucket = newSpaces.remove(prefix);
    if (bucket == null) {
      bucket = new double[] {burst, t};
    }
    bucket[0] = Math.min(burst, bucket[0] + (t - (long) bucket[1]) / DAY_NANOS * burst);
    bucket[1] = t;
    boolean admitted = bucket[0] >= 1;
    if (admitted) {
      bucket[0] -= 1;
    }
    newSpaces.put(prefix, bucket);
    if (newSpaces.size() > PREFIXES) {
      Iterator<HandshakeBudget.Prefix> it = newSpaces.keySet().iterator();
      it.next();
      it.remove(); // lenient: it comes back with a full bucket
    }
    return admitted;
  }

  private static List<byte[]> distinct(List<byte[]> tags) {
    Set<String> seen = new LinkedHashSet<>();
    List<byte[]> out = new ArrayList<>();
    for (byte[] tag : tags) {
      if (seen.add(HexFormat.of().formatHex(tag))) {
        out.add(tag);
      }
    }
    return out;
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
