package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.SottoException;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivery (spec: transport.adoc#node-delivery): each contact with envelopes due gets one job at a
 * time on {@link Outbound}, which sends its envelopes in order, each to the contact's node
 * (DELIVER) or, if no node takes it, to the first of its mailboxes that does (DEPOSIT), and stops
 * at the first that no address takes (it waits out a back-off, 250 ms doubling up to 30 s, and
 * the envelopes after it wait behind it). So a contact's envelopes leave in the order they were
 * sealed and are taken out of the outbox only once taken (the receiver drops duplicates), as
 * when one thread did all the delivering; but a contact whose addresses are slow or silent holds
 * up no other contact: its job waits on its own addresses' budgets ({@link LinkPool.Budgets}).
 */
final class Deliveries {
  /** Envelopes one job sends at most, before it lets other jobs of its lane have a turn. */
  private static final int ROUND = 256;
  /** Envelopes taken out of the outbox in one commit: a crash sends at most this many again. */
  private static final int COMMIT_EVERY = 32;
  /** A contact whose exchanges all ended within this stays in the proven lane. */
  private static final long PROVEN_MILLIS = 2_000;

  private final NodeCore core;
  private final LinkPool links;
  private final Outbound outbound;
  private final NodeStatus status;
  private final Clock clock;
  private final System.Logger log;
  final AtomicLong delivered = new AtomicLong();
  final AtomicLong deposited = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  /** Contacts whose last round went through quickly: their jobs run in the proven lane. */
  private final Set<Long> proven = ConcurrentHashMap.newKeySet();

  private record KnownCard(byte[] encoded, List<Address> addresses) {}

  /** Contacts' cards as last parsed: a card's signature is checked once, not at every delivery. */
  private final Map<Long, KnownCard> cards = new ConcurrentHashMap<>();

  Deliveries(NodeCore core, LinkPool links, Outbound outbound, NodeStatus status, Clock clock, System.Logger log) {
    this.core = core;
    this.links = links;
    this.outbound = outbound;
    this.status = status;
    this.clock = clock;
    this.log = log;
  }

  static String key(long contactId) {
    return "deliver:" + contactId;
  }

  /** Queues a job for each contact with envelopes due that has none queued or running. */
  void dispatch() throws StoreException, SottoException {
    // Taken before the outbox is read: a job that ends meanwhile has its contact skipped this
    // time (its rows may be stale), never sent twice.
    Set<String> busy = outbound.inFlight();
    for (long contactId : core.dueContacts()) {
      String key = key(contactId);
      if (!busy.contains(key)) {
        outbound.submit(key, proven.contains(contactId) ? Outbound.Lane.PROVEN : Outbound.Lane.UNPROVEN,
            () -> deliverTo(contactId));
      }
    }
  }

  /** One round for one contact: its due envelopes, in order, up to the first that no address takes. */
  void deliverTo(long contactId) throws StoreException, SottoException {
    NodeCore.Batch batch = core.dueOf(contactId, ROUND);
    if (batch == null || batch.envelopes().isEmpty()) {
      return;
    }
    List<Address> addresses;
    try {
      addresses = addressesOf(contactId, batch.card());
    } catch (SottoException e) {
      // A contact whose card does not parse cannot be reached; it waits out a back-off like any failure.
      failures.incrementAndGet();
      status.delivery(contactId, clock.millis(), "its card is refused: " + e.code());
      core.failed(batch.envelopes().get(0));
      proven.remove(contactId);
      return;
    }
    List<Address> peers = inOrder(addresses, true);
    List<Address> mailboxes = inOrder(addresses, false);
    List<NodeCore.Sent> sent = new ArrayList<>();
    boolean quick = true;
    String failure = null;
    List<Tx.Outgoing> due = batch.envelopes();
    int next = 0;
    try {
      while (next < due.size()) {
        // Several due: sent ahead on the link to the first peer address, as many as it takes in
        // order; the first it does not take goes the way of one envelope, below.
        if (due.size() - next > 1 && !peers.isEmpty() && !links.resting(peers.get(0))) {
          long start = System.nanoTime();
          int window = Math.min(due.size() - next, LinkChannel.AHEAD);
          int taken = sendAhead(contactId, peers.get(0), "", Frame.DELIVER, due.subList(next, next + window),
              sent);
          quick &= System.nanoTime() - start < PROVEN_MILLIS * 1_000_000;
          next += taken;
          if (taken == window) {
            continue;
          }
        }
        // Several due and no peer address to try (none, or each rests after a failure): sent ahead
        // as DEPOSITs on the link to the first mailbox address that does not rest, the same way.
        Address box = due.size() - next > 1 && peers.stream().allMatch(links::resting)
            ? mailboxes.stream().filter(a -> !links.resting(a)).findFirst().orElse(null) : null;
        if (box != null) {
          long start = System.nanoTime();
          int window = Math.min(due.size() - next, LinkChannel.AHEAD);
          int taken = sendAhead(contactId, box, depositLane(contactId), Frame.DEPOSIT,
              due.subList(next, next + window), sent);
          quick &= System.nanoTime() - start < PROVEN_MILLIS * 1_000_000;
          next += taken;
          if (taken == window) {
            continue;
          }
        }
        Tx.Outgoing outgoing = due.get(next++);
        Envelope envelope = Envelope.parse(outgoing.envelope());
        long start = System.nanoTime();
        List<String> why = new ArrayList<>();
        Address to = tryEach(peers, envelope, Frame.DELIVER, "node", why, "");
        Ledger.Route route = Ledger.Route.DIRECT;
        if (to == null) {
          // Through Tor, deposits for each contact go on a link of their own, not on the one that carries
          // this node's fetches from that mailbox (spec: security.adoc#security-tor).
          to = tryEach(mailboxes, envelope, Frame.DEPOSIT, "mailbox", why, depositLane(contactId));
          route = Ledger.Route.MAILBOX;
        }
        quick &= System.nanoTime() - start < PROVEN_MILLIS * 1_000_000;
        if (to == null) {
          failures.incrementAndGet();
          failure = why.isEmpty() ? "its card gives no address" : String.join("; ", why);
          core.failed(outgoing);
          break;
        }
        took(contactId, outgoing, to, route, sent);
      }
    } finally {
      core.delivered(sent);
    }
    status.delivery(contactId, clock.millis(), failure);
    if (failure == null && quick) {
      proven.add(contactId);
    } else {
      proven.remove(contactId);
    }
  }

  /** An envelope taken at {@code to}: counted, logged, and noted for the outbox's next commit. */
  private void took(long contactId, Tx.Outgoing outgoing, Address to, Ledger.Route route, List<NodeCore.Sent> sent)
      throws StoreException, SottoException {
    (route == Ledger.Route.DIRECT ? delivered : deposited).incrementAndGet();
    String where = NodeStatus.shown(to);
    String how = route == Ledger.Route.DIRECT ? "delivered to its node at " : "left at its mailbox ";
    log.log(Level.DEBUG, () -> "contact #" + contactId + ": envelope " + outgoing.id() + " " + how + where
        + (outgoing.attempts() > 0 ? " after " + outgoing.attempts() + " failed attempts" : ""));
    sent.add(new NodeCore.Sent(outgoing.id(), route, where));
    if (sent.size() >= COMMIT_EVERY) {
      core.delivered(sent);
      sent.clear();
    }
  }

  /**
   * Sends {@code window} ahead to {@code to} ({@link #ahead}) and notes each envelope taken (a
   * DELIVER's as direct, a DEPOSIT's as left at a mailbox); returns how many were taken, in order.
   */
  private int sendAhead(long contactId, Address to, String lane, int type, List<Tx.Outgoing> window,
      List<NodeCore.Sent> sent) throws StoreException, SottoException {
    int taken = ahead(to, lane, type, window);
    Ledger.Route route = type == Frame.DELIVER ? Ledger.Route.DIRECT : Ledger.Route.MAILBOX;
    for (Tx.Outgoing o : window.subList(0, taken)) {
      took(contactId, o, to, route, sent);
    }
    return taken;
  }

  /**
   * DELIVERs (or DEPOSITs, {@code type}) the envelopes to {@code address} sent ahead on one link of
   * {@code lane} (spec: transport.adoc#requests); returns how many of the first ones it took
   * (answered OK), in order: 0 when the exchange failed (the envelope-by-envelope way then says why).
   */
  private int ahead(Address address, String lane, int type, List<Tx.Outgoing> window) {
    try {
      List<List<Frame>> answers = links.exchange(address, lane, link -> {
        List<Frame> requests = new ArrayList<>();
        for (Tx.Outgoing o : window) {
          Envelope envelope = Envelope.parse(o.envelope());
          long id = link.nextRequestId();
          requests.add(type == Frame.DELIVER ? Frame.deliver(id, envelope) : Frame.deposit(id, envelope));
        }
        return link.callAll(requests);
      });
      int taken = 0;
      while (taken < answers.size() && answers.get(taken).get(0).type() == Frame.OK) {
        taken++;
      }
      return taken;
    } catch (IOException | SottoException | StoreException | RuntimeException e) {
      return 0;
    }
  }

  /** DROPPED answers sent (or left at a mailbox) and given up, since the node started. */
  final AtomicLong told = new AtomicLong();
  final AtomicLong notTold = new AtomicLong();

  /**
   * Sends the DROPPED answers that wait (spec: transport.adoc#node-requests), each once: DELIVER
   * at the peer addresses of the requester's card, else DEPOSIT at its mailboxes, each address
   * tried once (those that rest after a failure skipped); then it leaves the queue, taken or not.
   * The requester chose those addresses: an answer costs one attempt at each, on the lane of
   * destinations not proven, never a retry.
   */
  void tell() throws StoreException, SottoException {
    for (Requests.Tell tell : core.tells()) {
      Address to = null;
      try {
        List<Address> addresses = Card.parse(tell.card(), Instant.EPOCH).addresses();
        Envelope envelope = Envelope.parse(tell.envelope());
        List<String> why = new ArrayList<>();
        to = tryEach(inOrder(addresses, true), envelope, Frame.DELIVER, "node", why, "");
        if (to == null) {
          to = tryEach(inOrder(addresses, false), envelope, Frame.DEPOSIT, "mailbox", why,
              links.isolatesLanes() ? "answers" : "");
        }
      } catch (SottoException e) {
        // a card or envelope that no longer reads: nothing to send
      }
      (to != null ? told : notTold).incrementAndGet();
      core.told(tell);
    }
  }

  /**
   * The card's addresses of one kind in the order they are tried: the card's, except that those
   * whose last exchange failed come after the others (a dead mailbox listed first costs its
   * budget once, not at every envelope).
   */
  /** The peer (or mailbox) addresses this node can reach (onion ones in Tor mode only), those that work first. */
  private List<Address> inOrder(List<Address> addresses, boolean peer) {
    List<Address> working = new ArrayList<>();
    List<Address> failing = new ArrayList<>();
    for (Address a : addresses) {
      if ((peer ? a.isPeer() : a.isMailbox()) && links.reaches(a)) {
        (links.health(a).ok() ? working : failing).add(a);
      }
    }
    working.addAll(failing);
    return working;
  }

  List<Address> addressesOf(long contactId, byte[] encoded) throws SottoException {
    KnownCard known = cards.get(contactId);
    if (known == null || !Arrays.equals(known.encoded(), encoded)) {
      // Expiry does not matter here: the addresses of an expired card are still where the contact was.
      known = new KnownCard(encoded, Card.parse(encoded, Instant.EPOCH).addresses());
      cards.put(contactId, known);
    }
    return known.addresses();
  }

  /**
   * Offers the envelope to each address in turn (those that rest after a failure are skipped);
   * returns the one that took it, or null, with each failure's reason added to {@code why}.
   */
  /** The lane of deposits for a contact: its own through Tor, none over TCP (one IP address either way). */
  private String depositLane(long contactId) {
    return links.isolatesLanes() ? "deposits/" + contactId : "";
  }

  private Address tryEach(List<Address> addresses, Envelope envelope, int type, String what, List<String> why,
      String lane) {
    for (Address address : addresses) {
      String at = what + " " + NodeStatus.shown(address);
      if (links.resting(address)) {
        why.add(at + ": " + links.health(address).error());
        continue;
      }
      try {
        Frame response = links.exchange(address, lane, link -> {
          long id = link.nextRequestId();
          Frame request = type == Frame.DELIVER ? Frame.deliver(id, envelope) : Frame.deposit(id, envelope);
          return link.call(request).get(0);
        });
        if (response.type() == Frame.OK) {
          return address;
        }
        why.add(at + ": answered " + errorName(response));
      } catch (LinkPool.NotNow e) {
        why.add(at + ": " + (links.health(address).ok() ? LinkPool.reason(e) : links.health(address).error()));
      } catch (IOException | SottoException | StoreException | RuntimeException e) {
        why.add(at + ": " + LinkPool.reason(e));
      }
    }
    return null;
  }

  /** An ERROR response's code by name, or its number if this code does not know it. */
  static String errorName(Frame response) {
    if (response.type() != Frame.ERROR) {
      return "0x" + Integer.toHexString(response.type());
    }
    try {
      int number = response.errorNumber();
      for (dev.sotto.ErrorCode c : dev.sotto.ErrorCode.values()) {
        if (c.number() == number) {
          return c.name();
        }
      }
      return "error " + number;
    } catch (SottoException e) {
      return "a malformed ERROR";
    }
  }
}
