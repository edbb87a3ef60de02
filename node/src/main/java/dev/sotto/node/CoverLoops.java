package dev.sotto.node;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's loop chain (spec: transport.adoc#node-cover): the tags of cover loops, envelopes the
 * node deposits at its own mailboxes and fetches back, and the tags that pad its fetch sets.
 *
 * <p>Tag {@code i} of the chain is the first 16 bytes of {@code HMAC-SHA-256(cover_key, "tag" ||
 * u64 i)}, with {@code cover_key = HKDF(salt = [], ikm = seed, info = "sotto/v2/node/cover-key", L =
 * 32)}: only the node (and its recovery code) derives them, and to anyone else they are 16 bytes
 * like any session's tag. The chain is used in order: the next loop takes tag {@code next}; the node
 * watches the tags of the loops deposited and not yet fetched (at most {@link #PENDING}, older
 * ones are given up) and the {@link #AHEAD} tags from {@code next} on, a window that moves on as
 * loops are deposited, as a session's does as messages come. Padding takes the chain's tags past
 * that window. The counter and the loops pending are kept in the store, so a restart reuses no tag.
 *
 * <p>A loop's body is {@code 0x02} (a ratchet message's version) and random bytes from the node's
 * source, in a bucket size drawn with the weights of {@link #SIZE_WEIGHTS}: without the session's
 * keys a ratchet message's bytes after its version are indistinguishable from random ones, so a
 * mailbox cannot tell a loop from a message.
 */
final class CoverLoops {
  static final String KV = "cover-loops";
  static final byte[] LABEL = "sotto/v2/node/cover-key".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TAG = "tag".getBytes(StandardCharsets.US_ASCII);
  /** Tags of the chain watched ahead of the next loop. */
  static final int AHEAD = 32;
  /** Loops deposited and not yet fetched that the node watches at most; past that the oldest is given up. */
  static final int PENDING = 64;
  /** The weights, out of 100, of the bucket sizes 1, 4, 16 and 64 KiB of a loop. */
  static final int[] SIZE_WEIGHTS = {88, 8, 3, 1};
  /** Tags a FETCH of each frame class holds (spec: transport.adoc#frame-sizes: (largest body - 2) / 16). */
  static final int[] CLASS_TAGS = {66, 258, 1024};

  private final byte[] key;
  private final Store store;
  private final RandomSource random;
  private long next;
  private final TreeSet<Long> pending = new TreeSet<>();
  final AtomicLong deposited = new AtomicLong();
  final AtomicLong fetched = new AtomicLong();
  final AtomicLong givenUp = new AtomicLong();

  CoverLoops(IdentitySeed seed, Store store, RandomSource random) throws StoreException, SottoException {
    byte[] ikm = seed.toBytes();
    try {
      this.key = Hkdf.derive(new byte[0], ikm, LABEL, 32);
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
    this.store = store;
    this.random = random;
    byte[] kept = store.read(tx -> tx.get(KV)).orElse(null);
    if (kept != null && kept.length >= 8 && (kept.length - 8) % 8 == 0) {
      ByteBuffer b = ByteBuffer.wrap(kept);
      next = b.getLong();
      while (b.hasRemaining()) {
        pending.add(b.getLong());
      }
    }
  }

  /** Tags computed lately, by counter: a padded round names up to 1,024 of them every second. */
  private final java.util.LinkedHashMap<Long, byte[]> cache = new java.util.LinkedHashMap<>(2048, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<Long, byte[]> eldest) {
      return size() > 2048;
    }
  };

  /** Tag {@code i} of the chain. */
  synchronized byte[] tag(long i) {
    byte[] t = cache.get(i);
    if (t == null) {
      t = Arrays.copyOf(Hmac.sha256(key, TAG, ByteBuffer.allocate(8).putLong(i).array()), Envelope.TAG_LENGTH);
      cache.put(i, t);
    }
    return t.clone();
  }

  /**
   * The next loop: its tag taken from the chain (and the counter moved on in the store before the
   * envelope exists, so that a crash never deposits two loops under one tag), its size drawn.
   */
  synchronized Envelope next() throws StoreException, SottoException {
    long i = next++;
    pending.add(i);
    if (pending.size() > PENDING) {
      pending.pollFirst();
      givenUp.incrementAndGet(); // deposited and never fetched: lost, or the mailbox dropped it
    }
    save();
    int size = size(Timing.uniform(random, 100));
    byte[] encoded = new byte[size];
    encoded[0] = (byte) Envelope.VERSION;
    System.arraycopy(tag(i), 0, encoded, 1, Envelope.TAG_LENGTH);
    encoded[Envelope.HEADER_LENGTH] = 0x02; // the version of a ratchet message
    byte[] rest = random.bytes(size - Envelope.HEADER_LENGTH - 1);
    System.arraycopy(rest, 0, encoded, Envelope.HEADER_LENGTH + 1, rest.length);
    deposited.incrementAndGet();
    return Envelope.parse(encoded);
  }

  /** The bucket size for a draw in [0, 100). */
  static int size(long draw) {
    long at = 0;
    for (int k = 0; k < SIZE_WEIGHTS.length; k++) {
      at += SIZE_WEIGHTS[k];
      if (draw < at) {
        return Envelope.BUCKETS.get(k);
      }
    }
    throw new IllegalArgumentException("draw " + draw);
  }

  /**
   * Whether a fetched envelope is one of the node's loops: then it is no longer watched, and the
   * caller acknowledges it and shows nothing.
   */
  synchronized boolean taken(Envelope envelope) throws StoreException, SottoException {
    byte[] t = envelope.tag();
    for (long i : pending) {
      if (Arrays.equals(tag(i), t)) {
        pending.remove(i);
        save();
        fetched.incrementAndGet();
        return true;
      }
    }
    return false;
  }

  /** The counter of the next loop. */
  synchronized long nextCounter() {
    return next;
  }

  /** The loops deposited and not yet fetched. */
  synchronized int pending() {
    return pending.size();
  }

  private void save() throws StoreException, SottoException {
    ByteBuffer b = ByteBuffer.allocate(8 + 8 * pending.size()).putLong(next);
    pending.forEach(b::putLong);
    byte[] value = b.array();
    store.write(tx -> {
      tx.put(KV, value);
      return null;
    });
  }

  /**
   * The tags of one fetch round: the real ones, then with loops on the loops' (pending and
   * {@link #AHEAD}), then with padding on the chain's next tags until the last request of the
   * round (1,024 tags a request) names as many as its frame holds (66, 258 or 1,024). The real
   * tags and the chain's never meet (the chain's are HMAC outputs under a key of the node's).
   */
  synchronized List<byte[]> round(List<byte[]> real, boolean loops, boolean pad) {
    List<byte[]> out = new ArrayList<>(real);
    long from = next;
    if (loops) {
      for (long i : pending) {
        out.add(tag(i));
      }
      for (long i = next; i < next + AHEAD; i++) {
        out.add(tag(i));
      }
      from = next + AHEAD;
    }
    if (pad) {
      int last = out.size() % Frame.MAX_COUNT;
      if (last != 0 || out.isEmpty()) {
        int fill = padded(last) - last;
        for (long i = from; i < from + fill; i++) {
          out.add(tag(i));
        }
      }
    }
    return out;
  }

  /** The tags a request of {@code n} tags holds once padded to its frame: 66, 258 or 1,024. */
  static int padded(int n) {
    for (int c : CLASS_TAGS) {
      if (n <= c) {
        return c;
      }
    }
    throw new IllegalArgumentException(n + " tags in one FETCH");
  }

  /** Whether {@code t} is among the chain's first {@code n} tags; for tests. */
  boolean inChain(byte[] t, long n) {
    for (long i = 0; i < n; i++) {
      if (Arrays.equals(tag(i), t)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "CoverLoops[next " + next + ", pending " + pending.size() + "]"; // never the key or a tag
  }
}
