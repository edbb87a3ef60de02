package dev.sotto.node;

import dev.sotto.NodeMessage;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the command line shows of delivery: where a message stands ({@code sotto send}), what
 * waits in the outbox ({@code sotto outbox}), and what the running node is doing
 * ({@code sotto status}). Read from the store, in which the running node keeps its {@link Ledger}
 * and its {@link NodeStatus}; any process of the home can read them.
 */
public final class Report {
  private Report() {}

  /** Where a message that has not left stands. */
  public enum State {
    /** Queued, not sealed yet (the running node seals it at its next turn). */
    QUEUED,
    /** Queued; the contact's prekeys must be fetched before a first contact can carry it. */
    WAITING_FOR_PREKEYS,
    /** Sealed, and being sent: no attempt has failed yet. */
    SENDING,
    /** Sealed; no address of the contact took it yet, and it is tried again after a back-off. */
    FAILING
  }

  /** How a message left. */
  public enum Route {
    /** The contact's node took it. */
    DIRECT,
    /** A mailbox of the contact's took it. */
    MAILBOX,
    /** It was never sent: it could not be sealed. */
    DROPPED
  }

  /**
   * A message in the outbox: to whom; what (a text's first characters, or what a message without
   * text is); its seq (-1 if not known: sealed by a node older than its ledger); when it was queued
   * (ms); its state; for a sealed one, how many attempts failed and when the next is due; for a
   * failing one, why (each address's reason) and since when. A message behind one that fails
   * fails with it (0 attempts of its own: it leaves after that one).
   */
  public record Waiting(String contact, String what, long seq, long queuedMillis, State state, int attempts,
      long nextAttemptMillis, String error, long failingSinceMillis) {
    @Override
    public String toString() {
      return "Waiting[" + contact + ", seq " + seq + ", " + state + "]"; // no text
    }
  }

  /** A message that left: how, where (a host and port; or why it was dropped), when (ms). */
  public record Outcome(Route route, String where, long atMillis) {}

  /** Where one message stands: exactly one of the two is set. */
  public record MessageState(Waiting waiting, Outcome outcome) {}

  /** A mailbox of this node as the running node saw it: the last fetch, the last that worked (ms, 0: none), failures. */
  public record Mailbox(String address, long lastFetchMillis, long lastOkMillis, Trouble fetch, Trouble publish) {}

  /** Something that fails: since when (ms), why, how many times in a row. */
  public record Trouble(long sinceMillis, String error, long failures) {}

  /**
   * What the node running for this home last wrote of itself: when; since when it runs, until when
   * (0: it did not stop cleanly, or runs), its process and where it listens (empty: it does not
   * listen); its mailboxes; the
   * contacts it fails to deliver to (by name); the parts of its work that fail; how many received
   * envelopes and fetched prekeys it refused, and the last.
   */
  public record NodeState(long writtenMillis, long startedMillis, long stoppedMillis, long pid, String listening,
      List<Mailbox> mailboxes,
      Map<String, Trouble> failingContacts, Map<String, Trouble> problems, long refused, String lastRefused,
      long lastRefusedMillis) {}

  static Trouble trouble(NodeStatus.Trouble t) {
    return t == null ? null : new Trouble(t.sinceMillis(), t.error(), t.failures());
  }

  /** The node's state as last written, with contacts by name; null if no node ever wrote one. */
  static NodeState nodeState(Tx tx) throws StoreException {
    NodeStatus.Snapshot s = tx.get(NodeStatus.KV).map(NodeStatus::decode).orElse(null);
    if (s == null) {
      return null;
    }
    Map<Long, String> names = new HashMap<>();
    for (Tx.Contact c : tx.contacts()) {
      names.put(c.id(), c.name());
    }
    List<Mailbox> mailboxes = new ArrayList<>();
    for (NodeStatus.Mailbox m : s.mailboxes()) {
      String shown;
      try {
        shown = NodeStatus.shown(Node.parseAddress(m.address()));
      } catch (IllegalArgumentException e) {
        shown = m.address();
      }
      mailboxes.add(new Mailbox(shown, m.lastFetchMillis(), m.lastOkMillis(), trouble(m.fetch()), trouble(m.publish())));
    }
    Map<String, Trouble> failing = new LinkedHashMap<>();
    for (NodeStatus.Contact c : s.failingContacts()) {
      String name = names.get(c.contactId());
      if (name != null) {
        failing.put(name, trouble(c.delivery()));
      }
    }
    Map<String, Trouble> problems = new LinkedHashMap<>();
    s.problems().forEach((k, v) -> problems.put(k, trouble(v)));
    return new NodeState(s.writtenMillis(), s.startedMillis(), s.stoppedMillis(), s.pid(), s.listening(), mailboxes, failing, problems,
        s.refused(), s.lastRefused(), s.lastRefusedMillis());
  }

  /** Every message waiting to leave, contact by contact, each contact's in the order they leave. */
  static List<Waiting> outbox(Tx tx) throws StoreException {
    List<Waiting> out = new ArrayList<>();
    Ledger ledger = Ledger.read(tx);
    NodeState state = nodeState(tx);
    for (Tx.Contact c : tx.contacts()) {
      out.addAll(outbox(tx, c, ledger, state));
    }
    return out;
  }

  private static List<Waiting> outbox(Tx tx, Tx.Contact c, Ledger ledger, NodeState state) throws StoreException {
    List<Waiting> out = new ArrayList<>();
    Trouble trouble = state == null ? null : state.failingContacts().get(c.name());
    // Sealed first: they leave before what is still queued.
    Map<String, Waiting> sealed = new LinkedHashMap<>();
    // An envelope waits behind the first one that failed: it fails with it.
    Tx.Outgoing head = null;
    for (Tx.Outgoing o : tx.outbox(c.id())) {
      if (head == null && o.attempts() > 0) {
        head = o;
      }
      Ledger.Waiting w = ledger.of(o.id());
      String key = w == null ? "envelope " + o.id() : w.kind() + ":" + w.seq();
      if (sealed.containsKey(key)) {
        continue; // a message sealed into several envelopes is shown once, at its first
      }
      Tx.Message m = w == null ? null : message(tx, c.id(), w.seq(), w.kind());
      State s = head == null ? State.SENDING : State.FAILING;
      sealed.put(key, new Waiting(c.name(), what(w == null ? -1 : w.kind(), m), w == null ? -1 : w.seq(),
          m != null ? m.storedAt() : o.created(), s, o.attempts(), head == null ? 0 : head.nextAttemptMillis(),
          s == State.FAILING && trouble != null ? trouble.error() : null,
          s == State.FAILING && trouble != null ? trouble.sinceMillis() : 0));
    }
    out.addAll(sealed.values());
    boolean prekeys = tx.sendingSession(c.id()).isEmpty() && tx.prekeys(c.id()).bundle() == null;
    for (Tx.Pending p : tx.pendingOf(c.id())) {
      int kind = NodeCore.kindOf(p.payload());
      long seq = NodeCore.seqOf(p.payload());
      Tx.Message m = message(tx, c.id(), seq, kind);
      out.add(new Waiting(c.name(), what(kind, m), seq, m != null ? m.storedAt() : p.created(),
          prekeys ? State.WAITING_FOR_PREKEYS : State.QUEUED, 0, 0, null, 0));
    }
    return out;
  }

  /** Where a message stands: waiting (as in {@link #outbox}), or how it left; null if neither is known. */
  static MessageState message(Tx tx, Tx.Contact c, long seq) throws StoreException {
    Ledger ledger = Ledger.read(tx);
    boolean waiting = ledger.waiting().stream().anyMatch(w -> w.contactId() == c.id() && w.seq() == seq)
        || tx.pendingOf(c.id()).stream().anyMatch(p -> NodeCore.seqOf(p.payload()) == seq);
    // The whole outbox of the contact only when the message is in it (each envelope is opened to read it).
    for (Waiting w : waiting ? outbox(tx, c, ledger, nodeState(tx)) : List.<Waiting>of()) {
      if (w.seq() == seq) {
        return new MessageState(w, null);
      }
    }
    for (int kind : new int[] {NodeMessage.TEXT, NodeMessage.HELLO}) {
      Ledger.Done d = ledger.outcome(c.id(), seq, kind);
      if (d != null) {
        return new MessageState(null, new Outcome(Route.valueOf(d.route().name()), d.where(), d.atMillis()));
      }
    }
    return null;
  }

  private static Tx.Message message(Tx tx, long contactId, long seq, int kind) throws StoreException {
    if (seq < 0 || kind != NodeMessage.TEXT && kind != NodeMessage.HELLO) {
      return null;
    }
    List<Tx.Message> m = tx.sent(contactId, seq, seq + 1);
    return m.isEmpty() ? null : m.get(0);
  }

  /** Up to 40 characters of a text, or what a message without one is. */
  private static String what(int kind, Tx.Message m) {
    return switch (kind) {
      case NodeMessage.TEXT -> m == null ? "a text (deleted by retention)" : preview(m.text());
      case NodeMessage.HELLO -> "your introduction (HELLO)";
      case NodeMessage.SYNC -> "a session reset's follow-up (SYNC)";
      case NodeMessage.RESET -> "a session reset (RESET)";
      default -> "sealed earlier, or a session reset";
    };
  }

  private static String preview(String text) {
    String one = text.replaceAll("\\s+", " ").strip();
    return one.codePointCount(0, one.length()) <= 40 ? one
        : one.substring(0, one.offsetByCodePoints(0, 39)) + "\u2026";
  }
}
