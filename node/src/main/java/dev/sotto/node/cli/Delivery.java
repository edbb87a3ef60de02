package dev.sotto.node.cli;

import dev.sotto.node.Node;
import dev.sotto.node.Report;
import java.io.IOException;
import java.nio.file.Path;

/** What becomes of a queued message, in words: whether a node runs to deliver it, and how it went. */
final class Delivery {
  /** A status older than this (two of the node's heartbeats) is one the running node stopped writing. */
  static final long STALE_MILLIS = 125_000;

  private Delivery() {}

  static String status(Path home) throws IOException {
    return NodeLock.isHeld(home)
        ? "the running node delivers it"
        : "no node is running for this home: 'sotto run' delivers it";
  }

  /** Whether the node that runs for this home writes its status (so that waiting for an outcome makes sense). */
  static boolean reporting(Report.NodeState state, long now) {
    return state != null && state.stoppedMillis() == 0 && now - state.writtenMillis() < STALE_MILLIS;
  }

  /**
   * Whether the node that runs for this home writes its status, waiting up to a second (or
   * {@code waitSeconds}) for one that just started to write its first.
   */
  static boolean awaitReporting(Io io, Node node, double waitSeconds) throws Exception {
    long end = System.nanoTime() + (long) (Math.min(1, waitSeconds) * 1e9);
    while (!reporting(node.nodeState(), io.clock().millis())) {
      if (System.nanoTime() - end >= 0) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** How a message left: "delivered to bob's node (127.0.0.1:7402)", "left at bob's mailbox 127.0.0.1:7400 ...". */
  static String outcome(String contact, Report.Outcome o) {
    return switch (o.route()) {
      case DIRECT -> "delivered to " + contact + "'s node (" + o.where() + ")";
      case MAILBOX -> "left at " + contact + "'s mailbox " + o.where() + ": " + contact + "'s node fetches it from there";
      case DROPPED -> "not sent: " + o.where();
    };
  }

  /** Where a waiting message stands, in words (after "queued; "). */
  static String waiting(Io io, String contact, Report.Waiting w) {
    return switch (w.state()) {
      case QUEUED -> "the running node delivers it";
      case WAITING_FOR_PREKEYS -> "it waits for " + contact + "'s prekeys: no address on " + contact
          + "'s card served them yet ('sotto contact list' shows the tries)";
      case SENDING -> "the running node is sending it";
      case FAILING -> "not delivered yet: " + failing(io, w) + "; the running node keeps trying";
    };
  }

  /** "failing since 12:00:05 (3 attempts, next at 12:00:40): node 127.0.0.1:7402: connection refused". */
  static String failing(Io io, Report.Waiting w) {
    StringBuilder out = new StringBuilder("failing");
    if (w.failingSinceMillis() > 0) {
      out.append(" since ").append(Show.time(io, w.failingSinceMillis() / 1000));
    }
    out.append(" (").append(w.attempts() == 0 ? "behind an earlier message"
        : w.attempts() + (w.attempts() == 1 ? " attempt" : " attempts"));
    if (w.nextAttemptMillis() > 0) {
      out.append(", next at ").append(Show.time(io, w.nextAttemptMillis() / 1000));
    }
    out.append(")");
    if (w.error() != null) {
      out.append(": ").append(w.error());
    }
    return out.toString();
  }

  /**
   * Waits up to {@code waitMillis} for the message to leave or to fail, and says how it went: one
   * line, after "queued; " unless it left.
   */
  static String await(Io io, Node node, String contact, long seq, long waitMillis) throws Exception {
    long end = System.nanoTime() + waitMillis * 1_000_000;
    Report.MessageState state;
    while (true) {
      state = node.messageState(contact, seq);
      if (state != null && state.outcome() != null) {
        return outcome(contact, state.outcome());
      }
      // A failure is said once the node wrote why (its status follows within a quarter second).
      boolean settled = state != null && (state.waiting().state() == Report.State.FAILING && state.waiting().error() != null
          || state.waiting().state() == Report.State.WAITING_FOR_PREKEYS);
      if (settled || System.nanoTime() - end >= 0) {
        break;
      }
      Thread.sleep(50);
    }
    if (state == null) {
      return "queued; the running node delivers it";
    }
    String line = "queued; " + waiting(io, contact, state.waiting());
    return state.waiting().state() == Report.State.QUEUED ? line : line + " ('sotto outbox' shows it)";
  }
}
