package dev.sotto;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The states a member holds (spec: group.adoc#group-tip): a base, the results of the changes it
 * applied as children of their parents, and the pending changes whose parent it lacks. The tip is
 * a function of the tree alone. Pure: {@link #copy()} gives the working copy that an opening
 * changes, so that a refusal leaves the original as it was.
 */
final class GroupTree {
  static final int PRUNE_DEPTH = 64;
  static final int MAX_PENDING = 64;

  /** A held state; {@code change} is the least-key change that gives it (null for the base). */
  record Node(GroupState state, GroupChange change, ByteBuffer parent) {}

  /** What became of a change given to {@link #add}. */
  enum Added { APPLIED, PENDING, DROPPED }

  /** What {@link #add} did, and the hash of the change's result when it was applied. */
  record Result(Added added, ByteBuffer state) {}

  private GroupState base;
  /** Every held state by hash, the base included, in the order they were added. */
  private final LinkedHashMap<ByteBuffer, Node> nodes;
  /** Changes whose parent is not held, oldest first. */
  private final List<GroupChange> pending;
  private ByteBuffer tip;

  GroupTree(GroupState base) {
    this.base = base;
    this.nodes = new LinkedHashMap<>();
    this.nodes.put(ByteBuffer.wrap(base.hash()), new Node(base, null, null));
    this.pending = new ArrayList<>();
    this.tip = ByteBuffer.wrap(base.hash());
  }

  private GroupTree(GroupTree other) {
    this.base = other.base;
    this.nodes = new LinkedHashMap<>(other.nodes);
    this.pending = new ArrayList<>(other.pending);
    this.tip = other.tip;
  }

  GroupTree copy() {
    return new GroupTree(this);
  }

  GroupState base() {
    return base;
  }

  GroupState tip() {
    return nodes.get(tip).state();
  }

  List<GroupChange> pending() {
    return List.copyOf(pending);
  }

  /** The changes of the tree, in the order they were added (each after its parent). */
  List<GroupChange> changes() {
    List<GroupChange> out = new ArrayList<>();
    for (Node n : nodes.values()) {
      if (n.change() != null) {
        out.add(n.change());
      }
    }
    return out;
  }

  /** The held state of this epoch and hash, or null. */
  boolean holds(ByteBuffer hash) {
    return nodes.containsKey(hash);
  }

  Node held(long epoch, byte[] hash) {
    Node n = nodes.get(ByteBuffer.wrap(hash));
    return n != null && n.state().epoch() == epoch ? n : null;
  }

  /** Whether the state of {@code hash} is the tip or one of its ancestors. */
  boolean onTipPath(ByteBuffer hash) {
    for (ByteBuffer at = tip; at != null; at = nodes.get(at).parent()) {
      if (at.equals(hash)) {
        return true;
      }
    }
    return false;
  }

  /** The changes on the tip's path, base first. */
  List<GroupChange> tipPath() {
    return path(tip);
  }

  private List<GroupChange> path(ByteBuffer hash) {
    List<GroupChange> out = new ArrayList<>();
    for (ByteBuffer at = hash; at != null; at = nodes.get(at).parent()) {
      Node n = nodes.get(at);
      if (n.change() != null) {
        out.add(0, n.change());
      }
    }
    return out;
  }

  /**
   * Adds a change whose message was sealed under its parent: applies it if its parent is held
   * (with its errors), keeps it pending if its parent is ahead of the tip, drops it if it is older
   * than the base; then applies what pending changes it can, recomputes the tip and prunes.
   *
   * @throws SottoException the errors of applying the change (spec: group.adoc#group-apply)
   */
  Result add(GroupChange change) throws SottoException {
    Added added;
    ByteBuffer state = null;
    Node parent = held(change.parentEpoch(), change.parentHashView());
    if (parent != null) {
      GroupState result = change.applyTo(parent.state());
      insert(change, result);
      state = ByteBuffer.wrap(result.hash());
      added = Added.APPLIED;
    } else if (change.parentEpoch() > tip().epoch()) {
      if (!pending.contains(change)) {
        pending.add(change);
        if (pending.size() > MAX_PENDING) {
          pending.remove(0);
        }
      }
      added = Added.PENDING;
    } else {
      return new Result(Added.DROPPED, null); // below the base: too old to win (the caller made the FORK check)
    }
    applyPending();
    settle();
    return new Result(added, state);
  }

  /** Adds the result of a change that has passed its checks; a state held already keeps the least key. */
  private void insert(GroupChange change, GroupState result) {
    ByteBuffer key = ByteBuffer.wrap(result.hash());
    Node existing = nodes.get(key);
    if (existing != null) {
      if (existing.change() != null && compare(change.key(), existing.change().key()) < 0) {
        nodes.put(key, new Node(result, change, ByteBuffer.wrap(change.parentHash())));
      }
      return;
    }
    nodes.put(key, new Node(result, change, ByteBuffer.wrap(change.parentHash())));
  }

  private void applyPending() {
    boolean progress = true;
    while (progress) {
      progress = false;
      for (Iterator<GroupChange> it = pending.iterator(); it.hasNext(); ) {
        GroupChange c = it.next();
        Node parent = held(c.parentEpoch(), c.parentHashView());
        if (parent != null) {
          it.remove();
          try {
            insert(c, c.applyTo(parent.state()));
          } catch (SottoException e) {
            // A pending change that fails its checks is dropped (spec: group.adoc#group-tip).
          }
          progress = true;
          break;
        }
      }
    }
  }

  /** Recomputes the tip (spec: group.adoc#group-tip) and prunes below 64 epochs under it. */
  private void settle() {
    ByteBuffer best = null;
    List<GroupChange> bestPath = null;
    for (Map.Entry<ByteBuffer, Node> e : nodes.entrySet()) {
      Node n = e.getValue();
      if (best == null || n.state().epoch() > nodes.get(best).state().epoch()) {
        best = e.getKey();
        bestPath = path(best);
      } else if (n.state().epoch() == nodes.get(best).state().epoch()) {
        List<GroupChange> p = path(e.getKey());
        if (comparePaths(p, bestPath) < 0) {
          best = e.getKey();
          bestPath = p;
        }
      }
    }
    tip = best;
    prune();
  }

  private void prune() {
    long tipEpoch = tip().epoch();
    if (tipEpoch - base.epoch() <= PRUNE_DEPTH) {
      return;
    }
    ByteBuffer newBase = tip;
    while (nodes.get(newBase).state().epoch() > tipEpoch - PRUNE_DEPTH) {
      newBase = nodes.get(newBase).parent();
    }
    Set<ByteBuffer> keep = new HashSet<>();
    for (ByteBuffer k : nodes.keySet()) {
      for (ByteBuffer at = k; at != null; at = nodes.get(at).parent()) {
        if (at.equals(newBase)) {
          keep.add(k);
          break;
        }
      }
    }
    nodes.keySet().retainAll(keep);
    Node b = nodes.get(newBase);
    // The new base first, without a change: the others keep their order.
    LinkedHashMap<ByteBuffer, Node> rest = new LinkedHashMap<>(nodes);
    rest.remove(newBase);
    nodes.clear();
    nodes.put(newBase, new Node(b.state(), null, null));
    nodes.putAll(rest);
    base = b.state();
    pending.removeIf(c -> c.parentEpoch() < base.epoch());
  }

  static int comparePaths(List<GroupChange> a, List<GroupChange> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = compare(a.get(i).key(), b.get(i).key());
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  /**
   * Rebuilds a tree from a base, its changes in the order they were added and its pending changes
   * (a stored group, spec: group.adoc#group-state-storage).
   *
   * @throws SottoException INVALID_ENCODING when a change does not apply to a held parent
   */
  static GroupTree rebuild(GroupState base, List<GroupChange> changes, List<GroupChange> pending) throws SottoException {
    GroupTree t = new GroupTree(base);
    for (GroupChange c : changes) {
      Node parent = t.held(c.parentEpoch(), c.parentHashView());
      if (parent == null) {
        throw new SottoException(ErrorCode.INVALID_ENCODING, "group state: a change whose parent is not held");
      }
      t.insert(c, c.applyTo(parent.state()));
    }
    t.pending.addAll(pending);
    t.settle();
    return t;
  }
}
