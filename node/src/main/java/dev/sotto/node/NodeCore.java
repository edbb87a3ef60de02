package dev.sotto.node;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.Identity;
import dev.sotto.NodeMessage;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The node's logic, without I/O (spec: transport.adoc#node-delivery): what a received envelope
 * or request does to the store, what to send next, and what a mailbox answers. Session resets
 * (spec: transport.adoc#node-resets) are in {@link SessionResets}, called from here. Sockets,
 * threads and timers are in {@link Node}; every state change here is one store transaction, so
 * a crash at any point loses nothing and applies nothing twice.
 *
 * <p>Only one {@code NodeCore} per home touches sessions (the running node); command-line
 * processes beside it only queue plaintexts and read messages. Calls are serialised on the core.
 */
public final class NodeCore {
  static final String KV_LINK_KEY = "link-key";
  static final String KV_RESPONDER = "responder";
  static final String KV_CARD = "card";
  /** This node's newest bundle of its current card, as in a HELLO or RESET. */
  static final String KV_BUNDLE = "bundle";
  static final String KV_CONFIG = "config";
  static final String KV_UNACKED = "unacked-tags";

  private final Store store;
  private final Identity identity;
  private final Clock clock;
  private final RandomSource random;
  private final Policy policy;
  /** Tag (hex) to session id: the tags every session watches, updated when a session starts or receives. */
  private final TagIndex tagIndex = new TagIndex();
  /** The invite tags of this node's cards (hex); they change only when a card is issued. */
  private final Set<String> inviteTags = new HashSet<>();
  private boolean indexed;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final SessionResets resets;
  private final OwnPrekeys own;
  private final FirstContacts firstContacts;
  /** When the prekeys need maintenance next (a new bundle, a top-up, something to publish); EPOCH: now. */
  private volatile Instant prekeysDue = Instant.EPOCH;
  /** Whether the responder state was rewritten (private prekeys deleted) since the last checkpoint. */
  private volatile boolean responderRewritten;

  /** How a payload is sealed in a session: {@link Session#seal}; tests put a bound of their own in front of it. */
  @FunctionalInterface
  interface Sealing {
    List<Envelope> seal(long sessionId, Session session, byte[] plaintext, RandomSource random) throws SottoException;
  }

  private Sealing sealing = (id, session, plaintext, r) -> session.seal(plaintext, r);

  /** Where the rare things that need telling go (a message dropped): the node's log, once {@link #logTo} says so. */
  private volatile System.Logger log = System.getLogger(NodeLog.ROOT);

  void logTo(System.Logger logger) {
    log = logger;
  }

  /** Replaces how payloads are sealed (tests: a small bound on a sending chain). */
  void sealWith(Sealing s) {
    sealing = s;
  }
  /**
   * Sessions as last committed, with the state bytes committed, so that the next envelope does
   * not pay for a restore (which re-validates the peer's keys). An entry is taken out while its
   * session is in use and put back only after the commit: a rollback leaves nothing stale, and
   * a state written by anyone else (bytes that differ) is restored from the store.
   */
  private final Map<Long, Committed> cache = new HashMap<>();

  private record Committed(Session session, byte[] state) {}

  private Session load(Tx.SessionRow row) throws SottoException {
    Committed c = cache.remove(row.id());
    if (c != null && Arrays.equals(c.state(), row.state())) {
      return c.session();
    }
    return Session.restore(row.state());
  }

  /**
   * The node's limits (spec: transport.adoc#mailbox-policy); the mailbox's shares and budgets are
   * in {@link Mailbox}. {@code loopbackByPrefix} gives loopback sources the mailbox's per-prefix
   * shares and budgets like any other (tests on one machine), as the handshake budgets' option does.
   * {@code gapWaitMillis} is how long a contact's message may wait after a gap before the node asks
   * the contact for what is missing, and how often at most a contact's asking is answered by a
   * resend (spec: transport.adoc#node-gaps; 15 minutes, shorter in tests).
   */
  public record Policy(boolean mailbox, long retentionMillis, int perTagQuota, long totalQuotaBytes,
      long duplicateMemoryMillis, boolean loopbackByPrefix, RequestPolicy requests, long gapWaitMillis) {
    public static final long GAP_WAIT = 15L * 60 * 1000;
    public static final Policy DEFAULT = new Policy(true, 7L * 24 * 3600 * 1000, 256, 256L << 20, 8L * 24 * 3600 * 1000,
        false, RequestPolicy.DEFAULT, GAP_WAIT);

    public Policy {
      if (gapWaitMillis <= 0) {
        throw new IllegalArgumentException("the gap wait must be positive");
      }
    }

    public Policy(boolean mailbox, long retentionMillis, int perTagQuota, long totalQuotaBytes,
        long duplicateMemoryMillis, boolean loopbackByPrefix, RequestPolicy requests) {
      this(mailbox, retentionMillis, perTagQuota, totalQuotaBytes, duplicateMemoryMillis, loopbackByPrefix, requests,
          GAP_WAIT);
    }

    public Policy withMailbox(boolean on) {
      return new Policy(on, retentionMillis, perTagQuota, totalQuotaBytes, duplicateMemoryMillis, loopbackByPrefix,
          requests, gapWaitMillis);
    }

    public Policy withQuotas(int perTag, long totalBytes) {
      return new Policy(mailbox, retentionMillis, perTag, totalBytes, duplicateMemoryMillis, loopbackByPrefix, requests,
          gapWaitMillis);
    }

    public Policy withLoopbackByPrefix(boolean on) {
      return new Policy(mailbox, retentionMillis, perTagQuota, totalQuotaBytes, duplicateMemoryMillis, on, requests,
          gapWaitMillis);
    }

    public Policy withRequests(RequestPolicy r) {
      return new Policy(mailbox, retentionMillis, perTagQuota, totalQuotaBytes, duplicateMemoryMillis, loopbackByPrefix,
          r, gapWaitMillis);
    }

    public Policy withGapWait(java.time.Duration wait) {
      return new Policy(mailbox, retentionMillis, perTagQuota, totalQuotaBytes, duplicateMemoryMillis, loopbackByPrefix,
          requests, wait.toMillis());
    }
  }

  /**
   * What contact requests may hold and what first contacts may cost (spec:
   * transport.adoc#node-requests): {@code perCard} requests through one card and {@code total}
   * in all (a first contact that finds no room is dropped and answered with DROPPED); each
   * request {@code textsEach} texts of at most {@code bytesEach} UTF-8 bytes together (beyond, a
   * text is refused with LIMIT_EXCEEDED and waits at its sender); {@code tells} DROPPED answers
   * waiting to be sent (beyond, a dropped requester is not told); and the first contacts opened,
   * {@code perCardRate} a second per card (burst {@code perCardBurst}) and {@code globalRate} in
   * all (burst {@code globalBurst}; see {@link FirstContactBudget}).
   */
  public record RequestPolicy(int perCard, int total, int textsEach, int bytesEach, int tells, double perCardRate,
      int perCardBurst, double globalRate, int globalBurst) {
    public static final RequestPolicy DEFAULT = new RequestPolicy(32, 256, 8, 64 * 1024, 32, 2, 16, 8, 32);

    public RequestPolicy {
      if (perCard < 1 || total < perCard || textsEach < 0 || bytesEach < 0 || tells < 0 || !(perCardRate > 0)
          || !(globalRate > 0) || perCardBurst < 1 || globalBurst < 1) {
        throw new IllegalArgumentException("request bounds and rates out of range");
      }
    }

    /** The same with other bounds on the requests held. */
    public RequestPolicy withBounds(int perCardHeld, int totalHeld) {
      return new RequestPolicy(perCardHeld, totalHeld, textsEach, bytesEach, tells, perCardRate, perCardBurst,
          globalRate, globalBurst);
    }

    /** The same with other first-contact budgets. */
    public RequestPolicy withRates(double perCardPerSecond, int cardBurst, double globalPerSecond, int burst) {
      return new RequestPolicy(perCard, total, textsEach, bytesEach, tells, perCardPerSecond, cardBurst,
          globalPerSecond, burst);
    }
  }

  /** What became of a received envelope. */
  public enum Outcome {
    /** Opened and committed: a new session, a ratchet step, maybe a message. */
    ACCEPTED,
    /** Committed before: nothing done. */
    DUPLICATE
  }

  public NodeCore(Store store, Identity identity, Clock clock, RandomSource random, Policy policy) {
    this(store, identity, clock, random, policy, Mailbox.FetchBudgets.DEFAULT);
  }

  /** As above, with other FETCH budgets for the mailbox (a benchmark of the fetch path, which the budgets would cut short). */
  public NodeCore(Store store, Identity identity, Clock clock, RandomSource random, Policy policy,
      Mailbox.FetchBudgets fetchBudgets) {
    this.store = store;
    this.identity = identity;
    this.clock = clock;
    this.random = random;
    this.policy = policy;
    this.resets = new SessionResets(identity, random);
    this.own = new OwnPrekeys(identity, random);
    this.firstContacts = new FirstContacts(store, clock);
    this.prekeyMailbox = new PrekeyMailbox(store, clock, PrekeyMailbox.Policy.DEFAULT, policy.totalQuotaBytes(),
        System::nanoTime);
    this.mailbox = new Mailbox(store, clock, policy, fetchBudgets, System::nanoTime);
    this.backups = new BackupMailbox(store, clock, BackupMailbox.Policy.DEFAULT, policy.loopbackByPrefix(),
        System::nanoTime);
    this.budget = new FirstContactBudget(policy.requests(), System.nanoTime());
  }

  private final Mailbox mailbox;

  /**
   * Told of every request this node serves, as it arrives: what a mailbox that logs arrivals
   * knows (the request's type, when, its body's length). For the tests that play the timing
   * adversary (spec: security.adoc#security-timing); the node itself keeps no such log.
   */
  public interface RequestWatch {
    void served(int type, long nanoTime, int bodyLength);
  }

  private volatile RequestWatch watch;

  /**
   * Told of every request this node serves with its answers and the link it came on: the log of a
   * mailbox that keeps everything it sees (tags, sizes, items handed out and acknowledged, per
   * link). For the tests of cover loops and padded fetches (spec: transport.adoc#node-cover).
   */
  interface MailboxLog {
    void logged(LinkState link, Frame request, List<Frame> answers);
  }

  private volatile MailboxLog mailboxLog;

  void logMailbox(MailboxLog l) {
    mailboxLog = l;
  }

  /**
   * Replaces the answers of a request: a dishonest mailbox, for the tests of what a fetcher checks
   * (spec: transport.adoc#fetch-prefix). Null: honest.
   */
  interface MailboxForgery {
    List<Frame> forge(LinkState link, Frame request, List<Frame> answers);
  }

  private volatile MailboxForgery forgery;

  void forgeMailbox(MailboxForgery f) {
    forgery = f;
  }

  void watchRequests(RequestWatch w) {
    watch = w;
  }

  /** The sender delay's bound, in milliseconds (spec: transport.adoc#node-timing); 0: none. */
  private volatile long maxSendDelayMillis;

  /** Every message sealed from now on waits a delay drawn uniformly from [0, max] before it is first offered. */
  void sendDelay(java.time.Duration max) {
    maxSendDelayMillis = max.toMillis();
  }

  /** A sealed message's delay: uniform in [0, max] milliseconds, from the node's random source. */
  private long drawSendDelay() {
    long max = maxSendDelayMillis;
    return max == 0 ? 0 : Timing.uniform(random, max + 1);
  }
  private final BackupMailbox backups;

  /** The backup class of this node's mailbox (its policy and counters). */
  public BackupMailbox backups() {
    return backups;
  }

  /** The mailbox this node runs for others (its policy and counters). */
  public Mailbox mailbox() {
    return mailbox;
  }

  /** The first contacts this node makes: prekeys to fetch, retries, what the user is shown. */
  public FirstContacts firstContacts() {
    return firstContacts;
  }

  private final PrekeyMailbox prekeyMailbox;

  void onReceived(Runnable listener) {
    listeners.add(listener);
  }

  Store store() {
    return store;
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Opens an envelope addressed to this node and commits all its effects in one transaction
   * (spec: transport.adoc#deliver). On failure nothing is written.
   *
   * @throws SottoException the session layer's error (UNKNOWN_TAG, AUTH_FAILED, REPLAY, ...)
   */
  public Outcome receive(Envelope envelope) throws StoreException, SottoException {
    return receive(envelope, false);
  }

  /**
   * Like {@link #receive(Envelope)}, for an envelope fetched from a mailbox: the same transaction
   * also remembers its tag until the fetch round that acknowledges it ends, so that an item whose
   * effects were committed but whose ACK was lost (a crash between the two) is fetched again,
   * recognised as a duplicate and acknowledged, even after its tag has left the watched window.
   */
  public Outcome receiveFetched(Envelope envelope) throws StoreException, SottoException {
    return receive(envelope, true);
  }

  private synchronized Outcome receive(Envelope envelope, boolean fetched) throws StoreException, SottoException {
    ensureIndex();
    long now = clock.millis();
    Instant instant = clock.instant();
    String tag = HexFormat.of().formatHex(envelope.tag());
    byte[] digest = sha256(envelope.encoded());
    // A first contact is paid for before anything is written (spec: transport.adoc#node-requests);
    // one refused for its budget is first looked up, so that an exact duplicate is still answered OK.
    boolean[] budgeted = {false};
    if (!tagIndex.watches(tag) && inviteTags.contains(tag)) {
      try {
        budgeted[0] = spend(tag, fetched);
      } catch (SottoException overBudget) {
        if (store.read(tx -> tx.received(digest))) {
          return Outcome.DUPLICATE;
        }
        this.overBudget.incrementAndGet();
        throw overBudget;
      }
    }
    Map<Long, Committed> changes = new HashMap<>();
    Set<Long> forgotten = new HashSet<>();
    boolean[] delivered = new boolean[1];
    Responder[] acceptedBy = new Responder[1];
    byte[][] responderState = new byte[1][];
    Outcome outcome = store.write(tx -> {
      if (fetched) {
        rememberUnacked(tx, envelope.tag());
      }
      if (!tx.markReceived(digest, now)) {
        return Outcome.DUPLICATE;
      }
      Long sessionId = tagIndex.session(tag);
      if (sessionId != null) {
        Tx.SessionRow row = tx.session(sessionId)
            .orElseThrow(() -> new SottoException(ErrorCode.UNKNOWN_TAG, "no session watches this tag"));
        Session session = load(row);
        Optional<byte[]> payload = session.open(envelope.encoded(), random);
        if (payload.isPresent() && row.initiated() && isDropped(payload.get(), instant, session.peer())
            && !tx.heardFrom(row.contactId())) {
          // spec: transport.adoc#node-messages: the responder did not keep this node's first contact
          FirstContacts.dropped(tx, row, now);
          forgotten.add(row.id());
          dropAnswers.incrementAndGet();
          delivered[0] = true;
          return Outcome.ACCEPTED;
        }
        byte[] state = session.serialize();
        tx.updateSession(row.id(), state, now);
        if (!row.heard()) {
          tx.markHeard(row.id());
        }
        changes.put(row.id(), new Committed(session, state));
        if (payload.isPresent()) {
          Requests.Held held = Requests.read(tx);
          Requests.Request request = held.of(row.contactId());
          long text = request == null ? 0 : heldText(tx, request, session.peer(), payload.get(), instant);
          delivered[0] = deliverPayload(tx, row, session.peer(), payload.get(), instant, now);
          if (request != null && delivered[0] && text >= 0) {
            held.replace(request.with(1, text));
            Requests.write(tx, held);
          }
        }
        return Outcome.ACCEPTED;
      }
      // Checked before the responder state is restored (which costs key derivations): an
      // envelope under a tag nobody watches is refused cheaply.
      refreshInvites(tx);
      if (!inviteTags.contains(tag)) {
        throw new SottoException(ErrorCode.UNKNOWN_TAG, "no session or card watches this tag");
      }
      if (!budgeted[0]) {
        try {
          budgeted[0] = spend(tag, fetched); // a card issued by another process since the tags were read
        } catch (SottoException e) {
          overBudget.incrementAndGet();
          throw e;
        }
      }
      Responder responder = responder(tx);
      Session.Accepted accepted = Session.accept(responder, envelope.encoded(), instant, random);
      acceptedBy[0] = responder;
      Session session = accepted.session();
      byte[] first = accepted.payload().orElseThrow(
          () -> new SottoException(ErrorCode.TRUNCATED, "a first contact without a HELLO or RESET cannot be answered"));
      NodeMessage message = NodeMessage.parse(first, instant, session.peer());
      if (message.kind() != NodeMessage.HELLO && message.kind() != NodeMessage.RESET) {
        throw new SottoException(ErrorCode.INVALID_ENCODING, "a first contact must carry a HELLO or a RESET");
      }
      Optional<Tx.Contact> known = tx.contactByIdentity(session.peer().encoded());
      Requests.Held held = Requests.read(tx);
      if (known.isEmpty() || held.has(known.get().id())) {
        // spec: transport.adoc#node-requests: a stranger's first contact is a request, if there is room
        if (!takeRequest(tx, envelope, responder, session, message, known, held, now, forgotten)) {
          responderState[0] = responder.serialize();
          tx.put(KV_RESPONDER, responderState[0]);
          return Outcome.ACCEPTED;
        }
      }
      if (message.kind() == NodeMessage.RESET) {
        // spec: transport.adoc#node-delivery (resets); a refusal (REPLAY) rolls back the whole first contact
        SessionResets.Made made = resets.accept(tx, session, message, now, sealing);
        responderState[0] = responder.serialize();
        tx.put(KV_RESPONDER, responderState[0]);
        changes.put(made.sessionId(), new Committed(made.session(), made.state()));
        delivered[0] = true;
        return Outcome.ACCEPTED;
      }
      String moved = tx.contactByIdentity(session.peer().encoded())
          .map(c -> newAddresses(c.card(), message.card())).orElse("");
      long contactId = contactFor(tx, session.peer(), message, now);
      // A contact that has a session started by a RESET sends in it: a HELLO's session only receives.
      boolean afterReset = tx.sendingSession(contactId).map(r -> r.resetAt() >= 0).orElse(false);
      byte[] state = session.serialize();
      long id = tx.insertSession(contactId, state, now);
      if (afterReset) {
        tx.supersede(id, now);
      }
      responderState[0] = responder.serialize();
      tx.put(KV_RESPONDER, responderState[0]);
      changes.put(id, new Committed(session, state));
      delivered[0] = record(tx, contactId, message, moved, now);
      // Every accepted first contact is answered (design r2-prekeys, section 10): the initiator
      // learns that it arrived, and stops making it again. A request's answer waits for its acceptance.
      answer(tx, contactId, now);
      return Outcome.ACCEPTED;
    });
    for (long id : forgotten) {
      tagIndex.remove(id);
      cache.remove(id);
    }
    changes.forEach((id, c) -> {
      reindex(id, c.session());
      cache.put(id, c);
    });
    if (responderState[0] != null) {
      keep(acceptedBy[0], responderState[0]);
      responderRewritten = true;
      if (replayCacheFull(acceptedBy[0])) {
        prekeysDue = Instant.EPOCH;
      }
    }
    if (delivered[0]) {
      if (heldBack >= 0) {
        heldBack++; // told after the group's commit
      } else {
        listeners.forEach(Runnable::run);
      }
    }
    return outcome;
  }

  // ---------------------------------------------------------------- requests

  private final FirstContactBudget budget;
  final java.util.concurrent.atomic.AtomicLong overBudget = new java.util.concurrent.atomic.AtomicLong();
  final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
  final java.util.concurrent.atomic.AtomicLong blocked = new java.util.concurrent.atomic.AtomicLong();
  final java.util.concurrent.atomic.AtomicLong dropAnswers = new java.util.concurrent.atomic.AtomicLong();

  /**
   * Pays for a first contact under an invite tag: one delivered directly needs a token of its
   * card's budget and of the global one (LIMIT_EXCEEDED without, before anything else is done);
   * one fetched from a mailbox is charged whatever the budgets hold (see {@link FirstContactBudget}).
   */
  private boolean spend(String inviteTag, boolean fetched) throws SottoException {
    if (fetched) {
      budget.charge(inviteTag, System.nanoTime());
    } else if (!budget.admit(inviteTag, System.nanoTime())) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "first contacts through this card are over their budget");
    }
    return true;
  }

  private static boolean isDropped(byte[] payload, Instant instant, PublicIdentity peer) {
    if (kindOf(payload) != NodeMessage.DROPPED) {
      return false;
    }
    try {
      NodeMessage.parse(payload, instant, peer);
      return true;
    } catch (SottoException e) {
      return false; // malformed: dropped like any node message that does not parse
    }
  }

  /** The node's counters of first contacts from strangers since it started, by name. */
  Map<String, Long> requestCounters() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("firstContactsOverBudget", overBudget.get());
    m.put("requestsDropped", dropped.get());
    m.put("firstContactsBlocked", blocked.get());
    m.put("droppedAnswersReceived", dropAnswers.get());
    return m;
  }

  /**
   * Takes a first contact from an identity that is no contact (spec: transport.adoc#node-requests):
   * nothing is kept from a blocked identity; a requester already held gets its new session in
   * place of the old ones (it made its first contact again); a new requester is held if its
   * card's requests and all requests are below their bounds, as a contact row with a placeholder
   * name, and otherwise dropped: a DROPPED is sealed in its session for it, which is then forgotten.
   *
   * @return whether the first contact goes on as a contact's (a request held); false: nothing kept
   */
  private boolean takeRequest(Tx tx, Envelope envelope, Responder responder, Session session, NodeMessage message,
      Optional<Tx.Contact> known, Requests.Held held, long now, Set<Long> forgotten)
      throws StoreException, SottoException {
    PublicIdentity peer = session.peer();
    if (Requests.isBlocked(tx, peer.encoded())) {
      blocked.incrementAndGet();
      log.log(System.Logger.Level.DEBUG, "a first contact from a blocked identity was dropped");
      return false;
    }
    if (known.isPresent()) {
      long contactId = known.get().id();
      for (long id : tx.sessionIds(contactId)) {
        tx.deleteSession(id);
        forgotten.add(id);
      }
      for (Tx.Pending p : tx.pendingOf(contactId)) {
        tx.deletePending(p.id());
      }
      tx.deleteOutbox(contactId);
      return true;
    }
    String card = cardThrough(responder, envelope.tag());
    if (held.full(card, policy.requests())) {
      dropped.incrementAndGet();
      log.log(System.Logger.Level.INFO, "a first contact through card " + card + " was dropped: "
          + held.through(card) + " requests are held through it, " + held.all().size() + " in all");
      List<Envelope> answer = session.seal(NodeMessage.dropped(0, now / 1000).encode(), random);
      if (answer.size() == 1) {
        Requests.addTell(tx, new Requests.Tell(message.card().encoded(), answer.get(0).encoded(), now),
            policy.requests().tells());
      }
      return false;
    }
    long contactId = tx.insertContact(Requests.placeholder(peer.encoded()), peer.encoded(), message.card().encoded(),
        now);
    tx.setPrekeys(contactId, new Tx.ContactPrekeys(message.bundle().encoded(), List.of()));
    held.add(new Requests.Request(contactId, card, safeName(message.name()), now, 0, 0, false));
    Requests.write(tx, held);
    log.log(System.Logger.Level.INFO, "contact request #" + contactId + " came through card " + card);
    return true;
  }

  /** The short id of the held card whose invite tag this is ("" if none: it was just removed). */
  private static String cardThrough(Responder responder, byte[] inviteTag) {
    for (Card c : responder.cards()) {
      if (Arrays.equals(c.inviteTag(), inviteTag)) {
        return Requests.cardId(c);
      }
    }
    return "";
  }

  /**
   * For a payload in a request's session: the UTF-8 bytes of a TEXT that would be stored (-1 for
   * anything else: a duplicate, a HELLO, a malformed message), after checking that the request
   * has room for it.
   *
   * @throws SottoException LIMIT_EXCEEDED when it has none: the whole envelope is refused, and
   *     waits at its sender (or, left at a mailbox, until the request is accepted)
   */
  private long heldText(Tx tx, Requests.Request request, PublicIdentity peer, byte[] payload, Instant instant)
      throws StoreException, SottoException {
    NodeMessage message;
    try {
      message = NodeMessage.parse(payload, instant, peer);
    } catch (SottoException e) {
      return -1;
    }
    if (message.kind() != NodeMessage.TEXT || tx.hasMessage(request.contactId(), true, message.seq())
        || message.seq() < tx.contact(request.contactId()).orElseThrow().nextInSeq()) {
      return -1;
    }
    long bytes = message.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    RequestPolicy bounds = policy.requests();
    if (request.texts() + 1 > bounds.textsEach() || request.bytes() + bytes > bounds.bytesEach()) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "a request holds as many texts as it may until it is accepted");
    }
    return bytes;
  }

  /** The contacts that are requests, not accepted yet. */
  synchronized Set<Long> requestIds() throws StoreException, SottoException {
    return store.read(tx -> Requests.read(tx).ids());
  }

  /** The DROPPED answers waiting to be sent, oldest first. */
  synchronized List<Requests.Tell> tells() throws StoreException, SottoException {
    return store.read(Requests::tells);
  }

  /** A DROPPED answer was sent, or given up: it leaves the queue. */
  synchronized void told(Requests.Tell tell) throws StoreException, SottoException {
    store.write(tx -> {
      Requests.removeTell(tx, tell);
      return null;
    });
  }


  /** Whether the newest bundle of a held card has a replay cache big enough for a new bundle. */
  private static boolean replayCacheFull(Responder responder) {
    for (Card card : responder.cards()) {
      PrekeyBundle newest = OwnPrekeys.newestBundle(responder, card);
      if (newest != null && responder.replayEntries(newest.signedPrekey().id()) >= OwnPrekeys.REPLAY_RENEW) {
        return true;
      }
    }
    return false;
  }

  /**
   * Answers a first contact accepted with a HELLO: with this node's own HELLO, queued for the
   * session it sends in (the one just accepted, unless a reset's). A node that sent the contact a
   * HELLO before sends that one again (same seq: the contact stores it once); otherwise it
   * introduces itself with a new one.
   */
  private static void answer(Tx tx, long contactId, long now) throws StoreException, SottoException {
    Tx.Contact c = tx.contact(contactId).orElseThrow();
    PrekeyBundle bundle = ownBundle(tx);
    String name = ownName(tx);
    for (Tx.Message m : tx.sent(contactId, 0, c.nextOutSeq())) {
      if (m.kind() == NodeMessage.HELLO) {
        tx.queuePending(contactId, NodeMessage.hello(m.seq(), m.sentAt(), name, bundle).encode(), now);
        return;
      }
    }
    tx.queuePending(contactId, NodeMessage.hello(c.nextOutSeq(), now / 1000, name, bundle).encode(), now);
    tx.insertMessage(contactId, false, c.nextOutSeq(), now / 1000, now, "", NodeMessage.HELLO);
    tx.setSeqs(contactId, c.nextOutSeq() + 1, c.nextInSeq());
  }

  static String ownName(Tx tx) throws StoreException {
    return Node.Config.decode(tx.get(KV_CONFIG).orElseThrow(
        () -> new StoreException(StoreException.Kind.MISSING, "no configuration"))).name();
  }

  /** This node's newest bundle of its current card (its time not checked), for a HELLO or RESET. */
  static PrekeyBundle ownBundle(Tx tx) throws StoreException, SottoException {
    Card card = OwnPrekeys.currentCard(tx);
    byte[] bundle = tx.get(KV_BUNDLE).orElse(null);
    if (card == null || bundle == null) {
      throw new StoreException(StoreException.Kind.MISSING, "no card or bundle of this node");
    }
    return PrekeyBundle.parse(bundle, card, Instant.EPOCH);
  }

  private boolean deliverPayload(Tx tx, Tx.SessionRow row, PublicIdentity peer, byte[] payload, Instant instant,
      long now) throws StoreException, SottoException {
    long contactId = row.contactId();
    NodeMessage message;
    try {
      message = NodeMessage.parse(payload, instant, peer);
    } catch (SottoException e) {
      // The envelope was authentic and the ratchet has moved on; a malformed node message
      // cannot be asked for again, so it is dropped rather than leaving the session stuck.
      return false;
    }
    switch (message.kind()) {
      case NodeMessage.HELLO -> {
        Tx.Contact c = tx.contact(contactId).orElseThrow();
        String moved = newAddresses(c.card(), message.card());
        FirstContacts.takeCard(tx, c, message);
        return record(tx, contactId, message, moved, now);
      }
      case NodeMessage.SYNC -> {
        // The answer to this node's RESET is the first thing its peer seals in the session the
        // reset started; any other SYNC asks for a gap (spec: transport.adoc#node-gaps).
        boolean answer = row.initiated() && row.resetAt() >= 0 && !row.heard();
        resets.applyMarks(tx, contactId, message, answer ? SessionResets.Marks.ANSWER : SessionResets.Marks.SYNC,
            policy.gapWaitMillis(), now);
        return true;
      }
      case NodeMessage.RESET -> {
        return false; // a RESET counts only as a first contact's payload: inside a session it is ignored
      }
      case NodeMessage.DROPPED -> {
        return false; // taken in receive() when it answers this node's unanswered first contact; else ignored
      }
      case NodeMessage.GROUP_KEY, NodeMessage.GROUP_WELCOME, NodeMessage.GROUP_ENVELOPE -> {
        groupMessages.accept(tx, new GroupDelivery(peer, message));
        return false; // not a message of the conversation: no seq used up
      }
      default -> { }
    }
    return record(tx, contactId, message, message.text(), now);
  }

  /**
   * The addresses of {@code card}, as the user is shown them, if they differ from those of the
   * card held so far; else (or with no card held) the empty string. Stored as the text of the
   * HELLO that brought the card: a HELLO with a text is shown as a new card, one without as the
   * contact joining.
   */
  static String newAddresses(byte[] heldOrNull, Card card) {
    if (heldOrNull == null) {
      return "";
    }
    try {
      if (Card.parse(heldOrNull, Instant.EPOCH).addresses().equals(card.addresses())) {
        return "";
      }
    } catch (SottoException e) {
      // A held card that no longer parses: the new one replaces it, and is shown.
    }
    List<String> shown = new ArrayList<>();
    for (Address a : card.addresses()) {
      if (a.isTcp()) {
        String at = (a.host().indexOf(':') >= 0 ? "[" + a.host() + "]" : a.host()) + ":" + a.port();
        shown.add(a.kind() == Address.KIND_MAILBOX_TCP ? "mailbox " + at : at);
      } else if (a.isOnion()) {
        String at = a.host() + ":" + a.port() + " (Tor)";
        shown.add(a.isMailbox() ? "mailbox " + at : at);
      }
    }
    return shown.isEmpty() ? "(no address)" : String.join(", ", shown);
  }

  /**
   * Stores a received message once, and moves the contact's in-order mark past every message now
   * contiguous. {@code text} is the TEXT's, or for a HELLO the new addresses it brought (empty
   * for none: see {@link #newAddresses}).
   */
  private boolean record(Tx tx, long contactId, NodeMessage message, String text, long now)
      throws StoreException {
    Tx.Contact c = tx.contact(contactId).orElseThrow();
    // Below the in-order mark every message was stored once; retention may have deleted it since,
    // and a copy resent after a reset must not bring it back.
    if (message.seq() < c.nextInSeq()
        || !tx.insertMessage(contactId, true, message.seq(), message.sentAt(), now, text, message.kind())) {
      return false;
    }
    long next = c.nextInSeq();
    while (tx.hasMessage(contactId, true, next)) {
      next++;
    }
    if (next != c.nextInSeq()) {
      tx.setSeqs(c.id(), c.nextOutSeq(), next);
    }
    // Held after a gap: askForGaps looks at it (kept after a rollback: it only looks once more). A
    // contact looked at already is not looked at again for this: a message held now is held since
    // now, later than any the last look found, so it makes no ask due sooner than the look set
    // (each look walks the contact's unread messages, and a burst that arrives out of order held
    // one at almost every message).
    if (message.seq() > next && gapped.add(contactId)) {
      gapsChanged = true;
    }
    return true;
  }

  private long contactFor(Tx tx, PublicIdentity peer, NodeMessage hello, long now) throws StoreException {
    Optional<Tx.Contact> known = tx.contactByIdentity(peer.encoded());
    if (known.isPresent()) {
      FirstContacts.takeCard(tx, known.get(), hello);
      return known.get().id();
    }
    return newContact(tx, peer, hello, now);
  }

  /** A contact made from a first contact (HELLO or RESET): its chosen name made safe, and unique with a suffix. */
  static long newContact(Tx tx, PublicIdentity peer, NodeMessage message, long now) throws StoreException {
    String name = safeName(message.name());
    String candidate = name;
    for (int i = 2; tx.contactByName(candidate).isPresent(); i++) {
      candidate = name + "-" + i;
    }
    long id = tx.insertContact(candidate, peer.encoded(), message.card().encoded(), now);
    tx.setPrekeys(id, new Tx.ContactPrekeys(message.bundle().encoded(), List.of()));
    return id;
  }

  /** A peer's chosen name, made safe to print: letters, digits, '-', '_' and '.', at most 32. */
  static String safeName(String name) {
    StringBuilder out = new StringBuilder();
    name.codePoints().filter(cp -> Character.isLetterOrDigit(cp) || cp == '-' || cp == '_' || cp == '.')
        .limit(32).forEach(out::appendCodePoint);
    return out.length() == 0 ? "peer" : out.toString();
  }

  // ---------------------------------------------------------------- sending

  /**
   * Seals every queued plaintext into outbox envelopes, up to {@link #SEAL_BATCH} in one
   * transaction with their session states. A contact with no session to send in and no valid
   * prekeys waits (its plaintexts stay queued) until {@link FirstContacts#wanted} prekeys are fetched.
   * A plaintext that cannot be sealed (the contact's card expired before a session could start)
   * is found alone and dropped, so that it does not block the queue.
   */
  public synchronized int sealPending() throws StoreException, SottoException {
    // A request's answer waits for its acceptance (spec: transport.adoc#node-requests).
    Set<Long> waiting = new HashSet<>(requestIds());
    makeWantedResets(waiting);
    int sealed = 0;
    int batch = SEAL_BATCH;
    while (true) {
      Map<Long, Committed> changes = new HashMap<>();
      Set<Long> started = new HashSet<>();
      // Contacts found waiting for prekeys stay so even when the transaction rolls back.
      Set<Long> blocked = waiting;
      int n;
      try {
        int size = batch;
        n = store.write(tx -> sealIn(tx, size, changes, started, blocked));
      } catch (SottoException e) {
        if (batch > 1) {
          batch = 1; // find the plaintext that fails, alone
          continue;
        }
        long now = clock.millis();
        String why = "it cannot be sealed: " + e.code();
        store.write(tx -> {
          Ledger ledger = Ledger.read(tx);
          for (Tx.Pending p : tx.pendingExcept(waiting, 1)) {
            tx.deletePending(p.id());
            ledger.left(List.of(), List.of(new Ledger.Done(p.contactId(), seqOf(p.payload()), kindOf(p.payload()),
                Ledger.Route.DROPPED, why, now)));
            log.log(System.Logger.Level.WARNING, "contact #" + p.contactId() + ": a message was dropped: " + why);
          }
          ledger.write(tx);
          return null;
        });
        batch = SEAL_BATCH;
        continue;
      }
      // Sealing moves only the sending chain: the tags a session watches change only when a
      // session starts.
      changes.forEach((id, c) -> {
        if (started.contains(id)) {
          reindex(id, c.session());
        }
        cache.put(id, c);
      });
      if (n == 0) {
        return sealed;
      }
      sealed += n;
    }
  }

  /** Seals up to {@code size} queued plaintexts in {@code tx}; returns how many. */
  private int sealIn(Tx tx, int size, Map<Long, Committed> changes, Set<Long> started, Set<Long> blocked)
      throws StoreException, SottoException {
    int done = 0;
    List<Ledger.Waiting> sealedNow = new ArrayList<>();
    while (done < size) {
      Sealed result = sealOne(tx, changes, started, blocked, sealedNow);
      if (result == Sealed.NONE) {
        break;
      }
      if (result == Sealed.SEALED) {
        done++;
      }
    }
    if (!sealedNow.isEmpty()) {
      Ledger ledger = Ledger.read(tx);
      ledger.sealed(sealedNow);
      ledger.write(tx);
    }
    return done;
  }

  /**
   * Runs {@code queue}, which queues plaintexts, and seals them in the same transaction: a message
   * sent while the node runs costs one durable commit before it can leave, not two (spec:
   * transport.adoc#node-delivery). When sealing fails, {@code queue} runs again alone and the
   * plaintexts wait for {@link #sealPending}, which finds the one that cannot be sealed.
   */
  synchronized <T> T queueAndSeal(Store.Work<T> queue) throws StoreException, SottoException {
    Map<Long, Committed> changes = new HashMap<>();
    Set<Long> started = new HashSet<>();
    Object[] result = new Object[1];
    try {
      // Read in the same transaction: no transaction of its own on the sending thread's way.
      store.write(tx -> {
        result[0] = queue.run(tx);
        if (!tx.resetsWanted().isEmpty()) {
          return 0; // a reset to make first: the worker makes it, then seals (sealPending)
        }
        // A request's answer waits for its acceptance (spec: transport.adoc#node-requests).
        return sealIn(tx, SEAL_BATCH, changes, started, new HashSet<>(Requests.read(tx).ids()));
      });
    } catch (SottoException e) {
      return store.write(queue);
    }
    changes.forEach((id, c) -> {
      if (started.contains(id)) {
        reindex(id, c.session());
      }
      cache.put(id, c);
    });
    @SuppressWarnings("unchecked")
    T queued = (T) result[0];
    return queued;
  }

  /**
   * Makes the resets asked for ('sotto contact reset', or a reset session that went unanswered),
   * each in its own transaction. One whose contact has no valid prekeys waits for them (the
   * contact is added to {@code waiting}); one that cannot be made (the contact's latest card
   * expired) is given up: the flag is cleared, so that it is not tried at every tick.
   */
  private void makeWantedResets(Set<Long> waiting) throws StoreException, SottoException {
    for (long contactId : store.read(Tx::resetsWanted)) {
      try {
        SessionResets.Made made = store.write(tx -> {
          Instant instant = clock.instant();
          Card card = Card.parse(tx.contact(contactId).orElseThrow().card(), instant);
          Optional<Prekeys> prekeys = FirstContacts.usablePrekeys(tx, contactId, card, instant);
          if (prekeys.isEmpty()) {
            return null;
          }
          return resets.start(tx, contactId, prekeys.get(), instant, clock.millis());
        });
        if (made == null) {
          waiting.add(contactId);
          continue;
        }
        reindex(made.sessionId(), made.session());
        cache.put(made.sessionId(), new Committed(made.session(), made.state()));
      } catch (SottoException e) {
        store.write(tx -> {
          Tx.Resets r = tx.resets(contactId);
          tx.setResets(new Tx.Resets(contactId, r.resets(), r.missing(), r.resetIn(), r.resetOut(), false));
          return null;
        });
      }
    }
  }

  /** Plaintexts sealed in one transaction: one commit (one fsync) for a burst of messages. */
  private static final int SEAL_BATCH = 32;

  /** What {@link #sealOne} did. */
  private enum Sealed { NONE, SEALED, BLOCKED }

  /** The kind of a queued node message (its first byte; spec: transport.adoc#node-messages). */
  static int kindOf(byte[] payload) {
    return payload.length > 0 ? payload[0] & 0xff : 0;
  }

  /** The seq of a queued node message (the u64 after its kind). */
  static long seqOf(byte[] payload) {
    return payload.length >= 9 ? java.nio.ByteBuffer.wrap(payload, 1, 8).getLong() : -1;
  }

  private Sealed sealOne(Tx tx, Map<Long, Committed> changes, Set<Long> started, Set<Long> blocked,
      List<Ledger.Waiting> sealedNow) throws StoreException, SottoException {
    List<Tx.Pending> pending = tx.pendingExcept(blocked, 1);
    if (pending.isEmpty()) {
      return Sealed.NONE;
    }
    Tx.Pending p = pending.get(0);
    long contactId = p.contactId();
    // The state is read only when this transaction has not just written it (a burst seals many in one).
    Optional<Long> sending = tx.sendingSessionId(contactId);
    List<Envelope> envelopes;
    long now = clock.millis();
    Instant instant = clock.instant();
    if (sending.isEmpty()) {
      Card card = Card.parse(tx.contact(contactId).orElseThrow().card(), instant);
      Optional<Prekeys> prekeys = FirstContacts.usablePrekeys(tx, contactId, card, instant);
      if (prekeys.isEmpty()) {
        blocked.add(contactId); // until prekeys are fetched
        return Sealed.BLOCKED;
      }
      Session.Started initiated = Session.initiate(identity, prekeys.get(), instant, p.payload(), random);
      FirstContacts.usedPrekeys(tx, contactId, prekeys.get());
      byte[] state = initiated.session().serialize();
      long id = tx.insertSession(contactId, state, now, -1, true);
      Tx.FirstContacts f = tx.firstContacts(contactId);
      tx.setFirstContacts(new Tx.FirstContacts(contactId, f.made() + 1, 0, 0));
      changes.put(id, new Committed(initiated.session(), state));
      started.add(id);
      envelopes = initiated.envelopes();
    } else {
      long id = sending.get();
      Committed earlier = changes.remove(id);
      Session session;
      byte[] stored;
      if (earlier != null) {
        session = earlier.session();
        stored = earlier.state();
      } else {
        Tx.SessionRow row = tx.session(id).orElseThrow();
        session = load(row);
        stored = row.state();
      }
      try {
        envelopes = sealing.seal(id, session, p.payload(), random);
      } catch (SottoException e) {
        if (e.code() != ErrorCode.LIMIT_EXCEEDED) {
          throw e;
        }
        // The sending chain reached its bound (the peer has not answered for too long): the
        // session, unchanged by the refusal, is replaced by a reset, and the plaintext is sealed
        // in the new one (spec: transport.adoc#node-delivery).
        changes.put(id, new Committed(session, stored));
        Card card = Card.parse(tx.contact(contactId).orElseThrow().card(), instant);
        Optional<Prekeys> prekeys = FirstContacts.usablePrekeys(tx, contactId, card, instant);
        if (prekeys.isEmpty()) {
          // The reset waits for prekeys, and so do this contact's plaintexts.
          Tx.Resets r = tx.resets(contactId);
          tx.setResets(new Tx.Resets(contactId, r.resets(), r.missing(), r.resetIn(), r.resetOut(), true));
          blocked.add(contactId);
          return Sealed.BLOCKED;
        }
        SessionResets.Made made = resets.start(tx, contactId, prekeys.get(), instant, now);
        started.add(made.sessionId());
        session = made.session();
        id = made.sessionId();
        envelopes = sealing.seal(id, session, p.payload(), random);
      }
      byte[] state = session.serialize();
      tx.updateSession(id, state, now);
      changes.put(id, new Committed(session, state));
    }
    // One delay for all the envelopes of a message: they leave together, in order (spec: transport.adoc#node-timing).
    long due = now + drawSendDelay();
    for (Envelope e : envelopes) {
      long id = tx.queueEnvelope(contactId, e.encoded(), now, due);
      sealedNow.add(new Ledger.Waiting(id, contactId, seqOf(p.payload()), kindOf(p.payload())));
    }
    tx.deletePending(p.id());
    return Sealed.SEALED;
  }

  /** The next envelopes to send, by contact, in order; with the card to find each contact at. */
  public synchronized List<Batch> due(int limit) throws StoreException, SottoException {
    long now = clock.millis();
    return store.read(tx -> {
      Set<Long> requests = Requests.read(tx).ids();
      Map<Long, Batch> batches = new LinkedHashMap<>();
      for (Tx.Outgoing o : tx.due(now, limit)) {
        if (requests.contains(o.contactId())) {
          continue;
        }
        Batch batch = batches.get(o.contactId());
        if (batch == null) {
          Tx.Contact c = tx.contact(o.contactId()).orElseThrow();
          batch = new Batch(c.id(), c.name(), c.card(), new ArrayList<>());
          batches.put(o.contactId(), batch);
        }
        batch.envelopes().add(o);
      }
      return new ArrayList<>(batches.values());
    });
  }

  /** Envelopes due for one contact. */
  public record Batch(long contactId, String contactName, byte[] card, List<Tx.Outgoing> envelopes) {}

  /** The contacts with envelopes due now, the longest waiting first (see {@link Tx#dueContacts}). */
  synchronized List<Long> dueContacts() throws StoreException, SottoException {
    long now = clock.millis();
    return store.read(tx -> {
      Set<Long> requests = Requests.read(tx).ids();
      return tx.dueContacts(now).stream().filter(id -> !requests.contains(id)).toList();
    });
  }

  /**
   * A contact's next envelopes to send, up to {@code limit}, in order: the first ones of its
   * outbox, up to the first that waits out a back-off; null for a contact that is gone.
   */
  synchronized Batch dueOf(long contactId, int limit) throws StoreException, SottoException {
    long now = clock.millis();
    return store.read(tx -> {
      Optional<Tx.Contact> c = tx.contact(contactId);
      if (c.isEmpty()) {
        return null;
      }
      List<Tx.Outgoing> due = new ArrayList<>();
      for (Tx.Outgoing o : tx.outbox(contactId, limit)) {
        if (o.nextAttemptMillis() > now) {
          break;
        }
        due.add(o);
      }
      return new Batch(contactId, c.get().name(), c.get().card(), due);
    });
  }

  /**
   * Removes envelopes that a node or mailbox acknowledged. Done in batches: a crash before this
   * commit sends them again, which the receiver recognises as duplicates.
   */
  public synchronized void sent(List<Long> outgoingIds) throws StoreException, SottoException {
    delivered(outgoingIds.stream().map(id -> new Sent(id, null, "")).toList());
  }

  /** An envelope that left: how (null: not said) and where (a host and port). */
  record Sent(long outboxId, Ledger.Route route, String where) {}

  /**
   * Removes envelopes that a node or mailbox acknowledged, and notes in the {@link Ledger}, in the
   * same transaction, how their messages left.
   */
  synchronized void delivered(List<Sent> sent) throws StoreException, SottoException {
    if (sent.isEmpty()) {
      return;
    }
    long now = clock.millis();
    store.write(tx -> {
      Ledger ledger = Ledger.read(tx);
      List<Long> ids = new ArrayList<>();
      List<Ledger.Done> outcomes = new ArrayList<>();
      for (Sent s : sent) {
        tx.deleteEnvelope(s.outboxId());
        ids.add(s.outboxId());
        Ledger.Waiting w = ledger.of(s.outboxId());
        if (w != null && s.route() != null) {
          outcomes.add(new Ledger.Done(w.contactId(), w.seq(), w.kind(), s.route(), s.where(), now));
        }
      }
      ledger.left(ids, outcomes);
      ledger.write(tx);
      return null;
    });
  }

  /** An envelope's wait after failed attempts: 250 ms, doubling, at most 30 s. */
  static final Backoff DELIVERY_BACKOFF = new Backoff(250, 30_000);

  /** Reschedules an envelope after a failed attempt ({@link #DELIVERY_BACKOFF}). */
  public synchronized void failed(Tx.Outgoing outgoing) throws StoreException, SottoException {
    int attempts = outgoing.attempts() + 1;
    long delay = DELIVERY_BACKOFF.afterMillis(attempts);
    store.write(tx -> {
      tx.reschedule(outgoing.id(), attempts, clock.millis() + delay);
      return null;
    });
  }

  // ---------------------------------------------------------------- serving requests

  /** What one link remembers: the items it handed out, which only it may acknowledge, and its mailbox budget. */
  public static final class LinkState {
    final Mailbox.LinkBook book = new Mailbox.LinkBook();
    /** The address the link comes from (the budget of one-time prekey handouts is per source prefix). */
    final java.net.InetAddress source;

    public LinkState(java.net.InetAddress source) {
      this.source = source;
    }

    /** A link from loopback. */
    public LinkState() {
      this(java.net.InetAddress.getLoopbackAddress());
    }
  }

  /**
   * Answers one request (spec: transport.adoc#requests). Never throws for bad input: a request
   * that fails its checks is answered with ERROR.
   */
  public List<Frame> handle(LinkState link, Frame request) throws StoreException {
    RequestWatch w = watch;
    if (w != null) {
      w.served(request.type(), System.nanoTime(), request.body().length);
    }
    List<Frame> answers = answer(link, request);
    MailboxForgery f = forgery;
    if (f != null) {
      answers = f.forge(link, request, answers);
    }
    MailboxLog l = mailboxLog;
    if (l != null) {
      l.logged(link, request, answers);
    }
    return answers;
  }

  private List<Frame> answer(LinkState link, Frame request) throws StoreException {
    long id = request.requestId();
    try {
      switch (request.type()) {
        case Frame.DELIVER -> {
          receive(request.envelope());
          return List.of(Frame.ok(id));
        }
        case Frame.DEPOSIT -> {
          if (!policy.mailbox()) {
            break;
          }
          return List.of(mailbox.deposit(link, id, request.envelope()));
        }
        case Frame.FETCH -> {
          if (!policy.mailbox()) {
            break;
          }
          return mailbox.fetch(link, request);
        }
        case Frame.FETCH_GROUP -> { // spec: transport.adoc#mailbox, group items
          if (!policy.mailbox()) {
            break;
          }
          return mailbox.fetchGroup(link, request);
        }
        case Frame.FETCH_PREFIX -> { // spec: transport.adoc#fetch-prefix
          if (!policy.mailbox()) {
            break;
          }
          return mailbox.fetchPrefix(link, request);
        }
        case Frame.ACK -> {
          if (!policy.mailbox()) {
            break;
          }
          return List.of(mailbox.ack(link, id, request.itemIds()));
        }
        case Frame.DEPOSIT_GROUP, Frame.TAKE -> { // spec: transport.adoc#mailbox, group items
          if (!policy.mailbox()) {
            break;
          }
          return List.of(request.type() == Frame.TAKE ? mailbox.take(link, id, request.takes())
              : mailbox.depositGroup(link, id, request.groupDepositBody()));
        }
        case Frame.GET_PREKEYS -> {
          byte[] tag = request.bundleTag();
          Optional<List<Frame.PrekeyItem>> own = servePrekeys(tag, link.source);
          if (own.isPresent()) {
            return List.of(Frame.prekeys(id, own.get()));
          }
          if (!policy.mailbox()) {
            return List.of(Frame.prekeys(id, List.of())); // spec: an unknown tag gets count 0
          }
          return List.of(mailboxPrekeys(link, id, tag));
        }
        case Frame.PUBLISH -> {
          if (!policy.mailbox()) {
            break;
          }
          return List.of(mailboxPublish(link, id, request.publishBody()));
        }
        case Frame.BACKUP_PUT, Frame.BACKUP_GET, Frame.BACKUP_KEEP, Frame.BACKUP_DELETE -> {
          if (!policy.mailbox()) {
            break;
          }
          return backups.handle(link, request, mailbox); // spec: transport.adoc#backup-class
        }
        default -> {
          // fall through to UNSUPPORTED_REQUEST
        }
      }
      return List.of(Frame.error(id, ErrorCode.UNSUPPORTED_REQUEST));
    } catch (SottoException e) {
      if (request.type() == Frame.DELIVER) {
        refusals.accept("an envelope delivered by a node: " + e.code());
      }
      return List.of(Frame.error(id, e.code()));
    }
  }

  /** Messages received in a {@link #handleAll} group, whose listeners wait for its commit; -1 outside one. */
  private int heldBack = -1;

  /** Most DELIVERs, or DEPOSITs, that share one commit ({@link #handleAll}). */
  static final int GROUP_COMMIT = 16;

  /**
   * Answers requests that came together on one link, in order (spec: transport.adoc#requests).
   * Consecutive DELIVERs are taken in one transaction, each in its own savepoint (a refused one
   * changes nothing), so that they share one durable commit; their OKs are answers, sent only
   * after it. Consecutive DEPOSITs at this node's mailbox are stored the same way. Other requests
   * are answered one by one, as {@link #handle} does.
   */
  public List<List<Frame>> handleAll(LinkState link, List<Frame> requests) throws StoreException {
    List<List<Frame>> answers = new ArrayList<>();
    int i = 0;
    while (i < requests.size()) {
      int type = requests.get(i).type();
      boolean groups = type == Frame.DELIVER || (type == Frame.DEPOSIT && policy.mailbox());
      int end = i;
      while (groups && end < requests.size() && end - i < GROUP_COMMIT && requests.get(end).type() == type) {
        end++;
      }
      if (end - i < 2) {
        answers.add(handle(link, requests.get(i)));
        i++;
        continue;
      }
      List<Frame> run = requests.subList(i, end);
      List<List<Frame>> grouped = new ArrayList<>();
      Store.GroupWork work = () -> {
        for (Frame request : run) {
          grouped.add(handle(link, request));
        }
      };
      try {
        if (type == Frame.DELIVER) {
          inOneCommit(work);
        } else {
          synchronized (mailbox) { // before the store's lock, as the mailbox's own methods take them
            store.group(work);
          }
        }
      } catch (SottoException e) {
        throw new IllegalStateException("handle() answers protocol errors with ERROR", e);
      }
      answers.addAll(grouped);
      i = end;
    }
    return answers;
  }

  /**
   * Runs {@code work}, whose receives each write in a savepoint of one group commit ({@link
   * Store#group}); the listeners of what it received are told after the commit, not before.
   */
  private void inOneCommit(Store.GroupWork work) throws StoreException, SottoException {
    int received;
    synchronized (this) { // before the store's lock, as receive() takes them
      heldBack = 0;
      try {
        store.group(work);
      } catch (Throwable t) {
        // Each receive moved the memory (tag index, sessions cached) when its savepoint was
        // released, but the commit did not happen: what the store holds is read again.
        cache.clear();
        indexed = false;
        throw t;
      } finally {
        received = heldBack;
        heldBack = -1;
      }
    }
    for (int n = 0; n < received; n++) {
      listeners.forEach(Runnable::run);
    }
  }

  /**
   * Runs {@code work} in one group commit, as {@link #receiveFetchedAll} does: each {@link
   * #receiveFetched} and each write it makes is a savepoint of one transaction, and the listeners
   * of what it received are told after the commit. Fetching by prefix takes a round's items and
   * moves its stored cursor in one such commit (spec: transport.adoc#node-prefix-fetch).
   */
  void inOneCommitWith(Store.GroupWork work) throws StoreException, SottoException {
    inOneCommit(work);
  }

  /**
   * {@link #receiveFetched} for the envelopes of one FETCH, in order, with one durable commit for
   * them all: each in its own savepoint, so that one refused changes nothing and the others are
   * still taken. The result has, for each envelope, its {@link Outcome} or the {@link
   * SottoException} that refused it. Nothing of any is written if the commit fails (the
   * StoreException is thrown, and no item may be acknowledged).
   */
  public List<Object> receiveFetchedAll(List<Envelope> envelopes) throws StoreException {
    List<Object> results = new ArrayList<>();
    try {
      inOneCommit(() -> {
        for (Envelope envelope : envelopes) {
          try {
            results.add(receive(envelope, true));
          } catch (SottoException e) {
            results.add(e);
          }
        }
      });
    } catch (SottoException e) {
      throw new IllegalStateException("each refusal is a result", e);
    }
    return results;
  }

  private volatile java.util.function.Consumer<String> refusals = what -> { };

  /** A GROUP_KEY or GROUP_WELCOME opened in a session with {@code from}. */
  record GroupDelivery(PublicIdentity from, NodeMessage message) {}

  /** Takes a group node message in the transaction that opened it. */
  @FunctionalInterface
  interface GroupSink {
    void accept(Tx tx, GroupDelivery delivery) throws StoreException, SottoException;
  }

  private volatile GroupSink groupMessages = (tx, d) -> { };

  /** Hands each GROUP_KEY and GROUP_WELCOME opened to {@code sink}, in the transaction that opened it. */
  void onGroupMessage(GroupSink sink) {
    groupMessages = sink;
  }

  /** Tells {@code listener} of each envelope refused at DELIVER (by its error code: nothing of its content). */
  void onRefused(java.util.function.Consumer<String> listener) {
    refusals = listener;
  }

  /** PUBLISH at this node's mailbox (spec: transport.adoc#prekey-service). */
  Frame mailboxPublish(LinkState link, long requestId, Frame.Publish body) throws StoreException, SottoException {
    synchronized (this) {
      return prekeyMailbox.publish(requestId, body);
    }
  }

  /** GET_PREKEYS for a tag that is not this node's own, at its mailbox. */
  Frame mailboxPrekeys(LinkState link, long requestId, byte[] tag) throws StoreException, SottoException {
    synchronized (this) {
      return prekeyMailbox.serve(requestId, tag, link.source);
    }
  }

  /** The longest pause between two SYNCs asking a contact for the same gap: a day. */
  static final long MAX_GAP_PAUSE = 24L * 3600 * 1000;

  /** Contacts that may hold a message after a gap; every contact until the first look after opening. */
  private final Set<Long> gapped = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private boolean gapsLooked;
  /** Whether a contact not among {@link #gapped} held a message after a gap since the last look, and when the next ask is due at the earliest. */
  private boolean gapsChanged;
  private long nextGapLook;

  /** The last SYNC that asked a contact for a gap: the contact's in-order mark then, when, and the pause after it. */
  private record Ask(long nextIn, long at, long pause) {}

  private final Map<Long, Ask> asks = new HashMap<>();

  /**
   * Asks each contact that holds a message after a gap for what is missing (spec:
   * transport.adoc#node-gaps): when the oldest message held has waited {@code gapWaitMillis}, the
   * node queues a SYNC with its marks in its sending session, and the contact sends again what it
   * sent from this node's in-order mark on. While the mark does not move it asks again after a pause
   * that doubles up to {@link #MAX_GAP_PAUSE}; once it moves, after {@code gapWaitMillis} again.
   * Requests are not asked (nothing is sent to them). The SYNCs of all contacts are queued in one
   * transaction.
   *
   * @return how many contacts were asked
   */
  public synchronized int askForGaps() throws StoreException, SottoException {
    long now = clock.millis();
    long wait = policy.gapWaitMillis();
    if (gapsLooked && (gapped.isEmpty() || !gapsChanged && now < nextGapLook)) {
      return 0;
    }
    gapsChanged = false;
    long[] nextLook = {Long.MAX_VALUE};
    Set<Long> settled = new HashSet<>();
    Set<Long> held = new HashSet<>();
    List<Long> due = store.read(tx -> {
      Set<Long> looked = new HashSet<>(gapped);
      if (!gapsLooked) {
        tx.contacts().forEach(c -> looked.add(c.id()));
      }
      Set<Long> requests = Requests.read(tx).ids();
      List<Long> ids = new ArrayList<>();
      for (long id : looked) {
        Optional<Tx.Contact> c = tx.contact(id);
        if (c.isPresent() && requests.contains(id)) {
          // Not asked while a request; looked at again, in case it is accepted with a gap held.
          held.add(id);
          nextLook[0] = Math.min(nextLook[0], now + wait);
          continue;
        }
        java.util.OptionalLong since = c.isEmpty() ? java.util.OptionalLong.empty()
            : tx.heldSince(id, c.get().nextInSeq());
        if (since.isEmpty()) {
          settled.add(id);
          continue;
        }
        held.add(id);
        Ask last = asks.get(id);
        boolean same = last != null && last.nextIn() == c.get().nextInSeq();
        long at = same ? last.at() + last.pause() : Math.max(since.getAsLong(), last == null ? 0 : last.at()) + wait;
        if (now >= at) {
          ids.add(id);
        } else {
          nextLook[0] = Math.min(nextLook[0], at);
        }
      }
      return ids;
    });
    Map<Long, Ask> made = due.isEmpty() ? Map.of() : store.write(tx -> {
      Map<Long, Ask> queued = new HashMap<>();
      for (long id : due) {
        Tx.Contact c = tx.contact(id).orElseThrow();
        long nextIn = c.nextInSeq();
        long out = c.nextOutSeq();
        tx.queuePending(id, NodeMessage.sync(out, now / 1000, nextIn, out).encode(), now);
        Ask last = asks.get(id);
        boolean same = last != null && last.nextIn() == nextIn;
        queued.put(id, new Ask(nextIn, now, same ? Math.min(MAX_GAP_PAUSE, 2 * last.pause()) : wait));
      }
      return queued;
    });
    // Only after the commit: a rollback leaves the memory as it was, and the next turn looks again.
    gapsLooked = true;
    gapped.addAll(held); // the first look after opening finds them in the store
    settled.forEach(id -> {
      gapped.remove(id);
      asks.remove(id);
    });
    asks.putAll(made);
    // Looked at again when the first of the others is due, or when a message is held after a new gap.
    nextGapLook = Math.min(nextLook[0], made.isEmpty() ? Long.MAX_VALUE : now + wait);
    return made.size();
  }

  /**
   * Deletes expired mailbox items and old duplicate digests; deletes the sessions superseded for
   * longer than the mailbox retention, with their tags (nothing sealed in them can still be held
   * at a mailbox); and asks for a new reset where the last one went unanswered for that long (its
   * first contact expired at the mailbox, or was lost).
   */
  public synchronized int expire() throws StoreException, SottoException {
    long now = clock.millis();
    List<Long> deleted = new ArrayList<>();
    int expired = store.write(tx -> {
      tx.forgetReceivedBefore(now - policy.duplicateMemoryMillis());
      tx.expireBackups(now); // the backup class's envelopes past their 400 days (spec: transport.adoc#backup-class)
      for (Tx.SessionRow row : tx.supersededBefore(now - policy.retentionMillis())) {
        tx.deleteSession(row.id());
        deleted.add(row.id());
      }
      for (long contactId : tx.unansweredResets(now - policy.retentionMillis())) {
        Tx.Resets r = tx.resets(contactId);
        tx.setResets(new Tx.Resets(contactId, r.resets(), r.missing(), r.resetIn(), r.resetOut(), true));
      }
      // Sessions deleted by another process of this home (a request rejected, a contact removed).
      Set<Long> live = new HashSet<>(tx.allSessionIds());
      tagIndex.sessions().stream().filter(id -> !live.contains(id)).forEach(deleted::add);
      return tx.expire(now);
    });
    for (long id : deleted) {
      tagIndex.remove(id);
      cache.remove(id);
    }
    return expired;
  }

  // ---------------------------------------------------------------- tags

  /**
   * Every tag this node fetches: its sessions' tags (not those of requests: a request costs no
   * fetching until it is accepted), its cards' invite tags, and the tags of fetched items not yet
   * known to be acknowledged.
   */
  public List<byte[]> watchedTags() throws StoreException, SottoException {
    return tags(false);
  }

  /**
   * The tags of the sessions of contact requests not yet accepted, each with its session's id: the
   * node does not take their items, which wait at the mailbox until the request is accepted (spec:
   * transport.adoc#node-requests). Fetching by prefix is handed them anyway, and holds them back;
   * its stored cursor keeps the sessions' ids (8 bytes a session), not their tags (up to 128 each),
   * to notice a request that leaves (spec: transport.adoc#node-prefix-fetch).
   */
  synchronized Map<String, Long> requestTagSessions() throws StoreException, SottoException {
    ensureIndex();
    Map<String, Long> out = new HashMap<>();
    store.read(tx -> {
      Set<Long> requestSessions = new HashSet<>();
      for (long contactId : Requests.read(tx).ids()) {
        requestSessions.addAll(tx.sessionIds(contactId));
      }
      tagIndex.forEach((tag, session) -> {
        if (requestSessions.contains(session)) {
          out.put(tag, session);
        }
      });
      return null;
    });
    return out;
  }

  /**
   * The tags to fetch now: {@link #watchedTags}, less the invite tags whose first-contact budget
   * (or the global one) holds no token: their items wait at the mailbox until it does.
   */
  List<byte[]> fetchTags() throws StoreException, SottoException {
    return tags(true);
  }

  private synchronized List<byte[]> tags(boolean budgeted) throws StoreException, SottoException {
    ensureIndex();
    LinkedHashSet<String> hex = new LinkedHashSet<>();
    store.read(tx -> {
      Set<Long> requestSessions = new HashSet<>();
      for (long contactId : Requests.read(tx).ids()) {
        requestSessions.addAll(tx.sessionIds(contactId));
      }
      tagIndex.forEach((tag, session) -> {
        if (!requestSessions.contains(session)) {
          hex.add(tag);
        }
      });
      refreshInvites(tx);
      hex.addAll(inviteTags);
      byte[] unacked = tx.get(KV_UNACKED).orElse(new byte[0]);
      for (int i = 0; i + Envelope.TAG_LENGTH <= unacked.length; i += Envelope.TAG_LENGTH) {
        hex.add(HexFormat.of().formatHex(unacked, i, i + Envelope.TAG_LENGTH));
      }
      if (budgeted) {
        // Also when an item under it waits to be acknowledged: its duplicate is recognised later.
        long now = System.nanoTime();
        for (String invite : inviteTags) {
          if (!budget.open(invite, now)) {
            hex.remove(invite);
          }
        }
      }
      return null;
    });
    List<byte[]> tags = new ArrayList<>();
    for (String h : hex) {
      tags.add(HexFormat.of().parseHex(h));
    }
    return tags;
  }

  /** Most remembered tags of unacknowledged items; beyond it the oldest are forgotten (they expire at the mailbox). */
  static final int MAX_UNACKED_TAGS = 4096;

  private static void rememberUnacked(Tx tx, byte[] tag) throws StoreException {
    byte[] old = tx.get(KV_UNACKED).orElse(new byte[0]);
    for (int i = 0; i + Envelope.TAG_LENGTH <= old.length; i += Envelope.TAG_LENGTH) {
      if (Arrays.equals(old, i, i + Envelope.TAG_LENGTH, tag, 0, Envelope.TAG_LENGTH)) {
        return;
      }
    }
    int keep = Math.min(old.length, (MAX_UNACKED_TAGS - 1) * Envelope.TAG_LENGTH);
    byte[] updated = new byte[keep + Envelope.TAG_LENGTH];
    System.arraycopy(old, old.length - keep, updated, 0, keep);
    System.arraycopy(tag, 0, updated, keep, Envelope.TAG_LENGTH);
    tx.put(KV_UNACKED, updated);
  }

  /** After a fetch round in which every fetched item was acknowledged: nothing is left to fetch again. */
  public synchronized void forgetUnacked() throws StoreException, SottoException {
    store.write(tx -> {
      tx.delete(KV_UNACKED);
      return null;
    });
  }

  private void ensureIndex() throws StoreException, SottoException {
    if (!indexed) {
      reindex();
    }
  }

  /** Updates the tag index for one session, after its new state is committed. */
  private void reindex(long sessionId, Session session) {
    tagIndex.put(sessionId, session.tags());
  }

  /** Rebuilds the tag index from the committed sessions. */
  public synchronized void reindex() throws StoreException, SottoException {
    responderSeen = null;
    Map<Long, List<byte[]>> index = store.read(tx -> {
      refreshInvites(tx);
      Map<Long, List<byte[]>> m = new LinkedHashMap<>();
      for (Tx.SessionRow row : tx.allSessions()) {
        m.put(row.id(), Session.restore(row.state()).tags());
      }
      return m;
    });
    tagIndex.clear();
    index.forEach(tagIndex::put);
    indexed = true;
  }

  /** The responder state whose invite tags {@link #inviteTags} and bundle tags {@link #bundleTags} hold. */
  private byte[] responderSeen;
  /** The bundle tags of this node's cards (hex): GET_PREKEYS for them is answered from the responder. */
  private final Set<String> bundleTags = new HashSet<>();
  /**
   * The responder as last committed, with the state bytes committed: a restore re-derives and
   * checks every held key, so it is done only when the stored state is not this one (another
   * process wrote it). Taken out while in use, put back after the commit, as sessions are.
   */
  private Responder cachedResponder;
  private byte[] cachedResponderState;

  /**
   * Re-reads the invite and bundle tags when the responder state changed (a card issued by
   * another process of this home, such as 'sotto card' renewing it).
   */
  private void refreshInvites(Tx tx) throws StoreException, SottoException {
    byte[] state = responderState(tx);
    if (!Arrays.equals(state, responderSeen)) {
      keep(responder(tx), state);
    }
  }

  private static byte[] responderState(Tx tx) throws StoreException {
    return tx.get(KV_RESPONDER).orElseThrow(() -> new StoreException(StoreException.Kind.MISSING, "no responder state"));
  }

  /** The responder as stored, taken out of the cache: {@link #keep} it after the commit. */
  Responder responder(Tx tx) throws StoreException, SottoException {
    byte[] state = responderState(tx);
    Responder r = cachedResponder != null && Arrays.equals(state, cachedResponderState)
        ? cachedResponder : Responder.restore(identity, state);
    cachedResponder = null;
    cachedResponderState = null;
    if (!Arrays.equals(state, responderSeen)) {
      Set<String> invites = new HashSet<>();
      for (byte[] tag : r.inviteTags()) {
        invites.add(HexFormat.of().formatHex(tag));
      }
      inviteTags.clear();
      inviteTags.addAll(invites);
      bundleTags.clear();
      bundleTags.addAll(OwnPrekeys.bundleTags(r));
      responderSeen = state;
    }
    return r;
  }

  /** The cards the responder holds now, in the order it holds them. */
  synchronized List<Card> heldCards(Tx tx) throws StoreException, SottoException {
    byte[] state = responderState(tx);
    Responder r = responder(tx);
    keep(r, state);
    return r.cards();
  }

  /** Puts a responder back in the cache: {@code state} is what the store holds of it now. */
  private void keep(Responder r, byte[] state) {
    cachedResponder = r;
    cachedResponderState = state;
  }

  // ---------------------------------------------------------------- own prekeys

  /** Work in the transaction of {@link #withPrekeys}, which may run maintenance in it. */
  @FunctionalInterface
  interface PrekeyWork<T> {
    T run(Tx tx, Responder responder, Maintenance maintenance) throws StoreException, SottoException;
  }

  /** Runs the prekey maintenance (see {@link OwnPrekeys#maintain}) with these settings. */
  @FunctionalInterface
  interface Maintenance {
    OwnPrekeys.Maintained run(Node.Config config, boolean renew) throws StoreException, SottoException;
  }

  /**
   * Runs {@code work} in one write transaction in which it may run the prekey maintenance: the
   * responder's state and this node's newest bundle are written back in the same transaction.
   */
  synchronized <T> T withPrekeys(byte[] linkKey, PrekeyWork<T> work) throws StoreException, SottoException {
    Responder[] held = new Responder[1];
    byte[][] state = new byte[1][];
    OwnPrekeys.Maintained[] last = new OwnPrekeys.Maintained[1];
    boolean[] rewritten = new boolean[1];
    T result = store.write(tx -> {
      state[0] = responderState(tx);
      held[0] = responder(tx);
      return work.run(tx, held[0], (config, renew) -> {
        OwnPrekeys.Maintained m = own.maintain(tx, held[0], config, linkKey, clock.instant(), renew);
        byte[] after = held[0].serialize();
        if (!Arrays.equals(after, state[0])) {
          tx.put(KV_RESPONDER, after);
          state[0] = after;
          rewritten[0] = true;
        }
        Card card = OwnPrekeys.currentCard(tx);
        PrekeyBundle newest = OwnPrekeys.newestBundle(held[0], card);
        if (newest != null && !Arrays.equals(newest.encoded(), tx.get(KV_BUNDLE).orElse(null))) {
          tx.put(KV_BUNDLE, newest.encoded());
        }
        last[0] = m;
        return m;
      });
    });
    keep(held[0], state[0]);
    if (rewritten[0]) {
      responderRewritten = true;
      responderSeen = null; // the tags are read again from the new state
    }
    if (last[0] != null) {
      prekeysDue = last[0].nextDue();
    }
    return result;
  }

  /** Runs the prekey maintenance with the stored settings (see {@link OwnPrekeys#maintain}). */
  OwnPrekeys.Maintained maintainPrekeys(byte[] linkKey, boolean renew) throws StoreException, SottoException {
    return withPrekeys(linkKey, (tx, responder, maintenance) -> maintenance.run(Node.Config.decode(tx.get(KV_CONFIG).orElseThrow(
        () -> new StoreException(StoreException.Kind.MISSING, "no configuration"))), renew));
  }

  /** When the prekeys need maintenance next; {@link Instant#EPOCH} when at once. */
  Instant prekeysDue() {
    return prekeysDue;
  }

  /** Whether the responder state was rewritten since the last call (then its old copy wants a checkpoint). */
  boolean takeResponderRewritten() {
    boolean was = responderRewritten;
    responderRewritten = false;
    return was;
  }

  /** Whether the store still lists the publication as not done (another process may have done it meanwhile). */
  synchronized boolean unpublished(OwnPrekeys.Publication p) throws StoreException, SottoException {
    return store.read(tx -> OwnPrekeys.unpublished(tx, p));
  }

  /** Marks a publication to a mailbox done. */
  synchronized void published(OwnPrekeys.Publication p) throws StoreException, SottoException {
    store.write(tx -> {
      OwnPrekeys.published(tx, p);
      return null;
    });
  }

  /**
   * This node's answer to GET_PREKEYS for one of its own cards' bundle tags (see
   * {@link OwnPrekeys#serve}); empty for any other tag.
   */
  synchronized Optional<List<Frame.PrekeyItem>> servePrekeys(byte[] tag, java.net.InetAddress source)
      throws StoreException, SottoException {
    String hex = HexFormat.of().formatHex(tag);
    if (responderSeen == null) {
      store.read(tx -> {
        refreshInvites(tx);
        return null;
      });
    }
    if (!bundleTags.contains(hex)) {
      // The tags may be stale (another process issued a card): read again only when the state changed.
      store.read(tx -> {
        refreshInvites(tx);
        return null;
      });
      if (!bundleTags.contains(hex)) {
        return Optional.empty();
      }
    }
    Responder[] held = new Responder[1];
    byte[][] state = new byte[1][];
    Optional<List<Frame.PrekeyItem>> items = store.write(tx -> {
      state[0] = responderState(tx);
      held[0] = responder(tx);
      return OwnPrekeys.serve(tx, held[0], tag, clock.instant(), kem -> prekeyMailbox.admitHandout(kem, source));
    });
    keep(held[0], state[0]);
    return items;
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
