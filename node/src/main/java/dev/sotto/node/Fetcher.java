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
