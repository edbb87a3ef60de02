package dev.sotto.node;

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
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The prekey service of a mailbox (spec: transport.adoc#prekey-service): holds the prekey bundles
 * and one-time prekey records that card owners PUBLISH under their bundle tags, and serves them to
 * GET_PREKEYS, each one-time record at most once.
 *
 * <p>The mailbox cannot verify what it holds (it does not know the owners' cards): the first
 * PUBLISH under a bundle tag makes the SHA-256 of its credential the tag's owner, and only that
 * credential may publish there again. A tag is secret until its card is given out, and the owner
 * publishes before that, so no one else can be first. One-time records are handed out under a
 * budget per source prefix and kind, so that one source cannot drain them; beyond it GET_PREKEYS still
 * answers with the bundles (the last-resort prekeys, which never run out).
 */
public final class PrekeyMailbox {
  /** Item kinds as stored. */
  static final int BUNDLE = 0;
  static final int X25519 = 1;
  static final int ML_KEM = 2;

  /**
   * The service's limits: bundles kept per tag (the highest serials), one-time records held per tag,
   * bundle tags owned in all, how long an owner that publishes nothing and holds nothing is
   * remembered, and the budget of one-time handouts.
   */
  public record Policy(int bundlesPerTag, int oneTimePerTag, int maxOwners, long forgetOwnerSeconds,
      HandshakeBudget.Rates handouts) {
    /**
     * The reference node's (spec: transport.adoc#mailbox-policy): 2 bundles, 256 one-time records,
     * 65,536 tags, 30 days; of each kind, 1 handout per 10 s per source prefix (burst 8; loopback
     * sources are one prefix) and 10 a second in all (burst 100).
     */
    public static final Policy DEFAULT = new Policy(2, 256, 65_536, 30L * 24 * 3600,
        new HandshakeBudget.Rates(0.1, 8, 10, 100, true));
  }

  private final Store store;
  private final Clock clock;
  private final Policy policy;
  private final long totalQuotaBytes;
  private final HandshakeBudget x25519Handouts;
  private final HandshakeBudget kemHandouts;
  private final LongSupplier nanos;

  /**
   * A service over {@code store}'s tables; {@code totalQuotaBytes} is the mailbox's total quota,
   * which envelopes and prekey items share; the budgets run on {@code nanos}.
   */
  public PrekeyMailbox(Store store, Clock clock, Policy policy, long totalQuotaBytes, LongSupplier nanos) {
    this.store = store;
    this.clock = clock;
    this.policy = policy;
    this.totalQuotaBytes = totalQuotaBytes;
    this.nanos = nanos;
    this.x25519Handouts = new HandshakeBudget(policy.handouts(), nanos.getAsLong());
    this.kemHandouts = new HandshakeBudget(policy.handouts(), nanos.getAsLong());
  }

  /**
   * PUBLISH: all or nothing. AUTH_FAILED when the tag has another owner; LIMIT_EXCEEDED when a new
   * owner would pass the bound of tags, or the one-time records would pass the bound per tag.
   * Items expired already are not kept; items held already are kept once.
   */
  public synchronized Frame publish(long requestId, Frame.Publish body) throws StoreException, SottoException {
    long now = clock.instant().getEpochSecond();
    byte[] tag = body.bundleTag();
    byte[] hash = sha256(body.credential());
    return store.write(tx -> {
      tx.expirePrekeys(now, now - policy.forgetOwnerSeconds());
      var owner = tx.prekeyOwner(tag);
      if (owner.isPresent() && !MessageDigest.isEqual(owner.get(), hash)) {
        return Frame.error(requestId, ErrorCode.AUTH_FAILED);
      }
      if (owner.isEmpty() && tx.prekeyOwners() >= policy.maxOwners()) {
        return Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED);
      }
      java.util.Set<String> held = new java.util.HashSet<>();
      for (int kind : new int[] {X25519, ML_KEM}) {
        tx.prekeyItems(tag, kind, now).forEach(r -> held.add(java.util.HexFormat.of().formatHex(r.item())));
      }
      long newBytes = 0;
      for (Frame.PrekeyItem item : body.items()) {
        if (item.expires() > now) {
          newBytes += item.encoded().length;
          if (item.kind() != Frame.PrekeyItem.Kind.BUNDLE) {
            held.add(java.util.HexFormat.of().formatHex(item.encoded()));
          }
        }
      }
      if (held.size() > policy.oneTimePerTag() || tx.mailboxBytes() + tx.prekeyBytes() + newBytes > totalQuotaBytes) {
        return Frame.error(requestId, ErrorCode.LIMIT_EXCEEDED);
      }
      tx.setPrekeyOwner(tag, hash, now);
      for (Frame.PrekeyItem item : body.items()) {
        if (item.expires() <= now) {
          continue;
        }
        int kind = kind(item);
        if (kind == BUNDLE) {
          for (Tx.PrekeyRow same : tx.prekeyItems(tag, BUNDLE, 0)) {
            if (same.serial() == item.serial()) {
              tx.deletePrekeyItem(same.id()); // a bundle of the same serial replaces the one held
            }
          }
        }
        tx.addPrekeyItem(tag, kind, kind == BUNDLE ? item.serial() : 0, item.expires(), item.encoded());
      }
      List<Tx.PrekeyRow> bundles = new ArrayList<>(tx.prekeyItems(tag, BUNDLE, now));
      bundles.sort(Comparator.comparingLong(Tx.PrekeyRow::serial).reversed().thenComparing(
          Comparator.comparingLong(Tx.PrekeyRow::id).reversed()));
      for (Tx.PrekeyRow old : bundles.subList(Math.min(bundles.size(), policy.bundlesPerTag()), bundles.size())) {
        tx.deletePrekeyItem(old.id());
      }
      return Frame.ok(requestId);
    });
  }

  /**
   * GET_PREKEYS: the bundles held under the tag, highest serial first, then, if {@code source}'s
   * budget allows, the oldest X25519 and the oldest ML-KEM one-time record, each deleted as it is
   * handed out. An unknown tag gets an empty answer (the same as a tag whose items expired).
   */
  public synchronized Frame serve(long requestId, byte[] tag, InetAddress source) throws StoreException, SottoException {
    long now = clock.instant().getEpochSecond();
    return store.write(tx -> {
      tx.expirePrekeys(now, now - policy.forgetOwnerSeconds());
      List<Frame.PrekeyItem> out = new ArrayList<>();
      List<Tx.PrekeyRow> bundles = new ArrayList<>(tx.prekeyItems(tag, BUNDLE, now));
      bundles.sort(Comparator.comparingLong(Tx.PrekeyRow::serial).reversed());
      bundles.forEach(b -> out.add(new Frame.PrekeyItem(Frame.PrekeyItem.Kind.BUNDLE, b.item())));
      List<Tx.PrekeyRow> x = tx.prekeyItems(tag, X25519, now);
      List<Tx.PrekeyRow> kem = tx.prekeyItems(tag, ML_KEM, now);
      long t = nanos.getAsLong();
      if (!x.isEmpty() && x25519Handouts.admit(source, t) == HandshakeBudget.Outcome.ADMITTED) {
        tx.deletePrekeyItem(x.get(0).id());
        out.add(new Frame.PrekeyItem(Frame.PrekeyItem.Kind.X25519_ONE_TIME, x.get(0).item()));
      }
      if (!kem.isEmpty() && kemHandouts.admit(source, t) == HandshakeBudget.Outcome.ADMITTED) {
        tx.deletePrekeyItem(kem.get(0).id());
        out.add(new Frame.PrekeyItem(Frame.PrekeyItem.Kind.ML_KEM_ONE_TIME, kem.get(0).item()));
      }
      return Frame.prekeys(requestId, out);
    });
  }

  /**
   * Whether {@code source} may be handed one more one-time record of this kind now (taking a token
   * if so): the same budget serves a node's own prekeys (spec: transport.adoc#prekey-service).
   */
  public boolean admitHandout(boolean kem, InetAddress source) {
    return (kem ? kemHandouts : x25519Handouts).admit(source, nanos.getAsLong()) == HandshakeBudget.Outcome.ADMITTED;
  }

  private static int kind(Frame.PrekeyItem item) {
    return switch (item.kind()) {
      case BUNDLE -> BUNDLE;
      case X25519_ONE_TIME -> X25519;
      case ML_KEM_ONE_TIME -> ML_KEM;
    };
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
