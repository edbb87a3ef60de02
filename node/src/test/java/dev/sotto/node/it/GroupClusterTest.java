package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.RandomSource;
import dev.sotto.node.GroupForgery;
import dev.sotto.node.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A group of five node processes on loopback (spec: group.adoc; transport.adoc#mailbox, group
 * items). Alice's node hosts the group's mailbox. Alice, bob, carol and dave make the group and
 * each says hello; erin joins after that, and reads everything sent after her join and none of the
 * hellos. Bob and carol are killed with SIGKILL while the first messages after the join are on
 * their way: bob a few milliseconds after he queued his (its sender keys still in his outbox),
 * carol once she has read one of the others'; alice writes while both are away. Dave is removed:
 * his process keeps fetching at the mailbox (his own count of answered FETCHes and the mailbox's
 * grow) and he reads nothing sent after. Carol, who holds alice's chain, forges the next message of
 * it in alice's name and deposits it at the mailbox with the one take leaf she can compute, her
 * own: carol's node fetches it and refuses it ({@code group_forged}), bob and erin are never handed
 * it (a FETCH_GROUP hands out only the items that carry the fetcher's leaf, which carol cannot make
 * for them), no one shows it, and alice's genuine message under the same number is read as usual.
 *
 * <p>At the end every node's history holds exactly the texts it should, each once, from the right
 * sender, and nothing else: 15 texts, 66 copies in all. Measured in four runs on a shared 2-core
 * machine (load average 1 to 12): 29 to 46 s, of which the five JVMs take 7 to 10 s to start (about
 * 16 s at the worst load), the two restarts 4 to 9 s and bob's and carol's catch-up 4 to 8 s after
 * that; each wait has a 60 s bound.
 */
class GroupClusterTest extends ClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final List<String> ALL = List.of("alice", "bob", "carol", "dave", "erin");
  private static final List<String> FOUR = ALL.subList(0, 4);

  private String id;
  /** Every text sent to the group, with the nodes that should hold it: its sender and its readers. */
  private final Map<String, Set<String>> holders = new LinkedHashMap<>();
  private final Map<String, String> senders = new LinkedHashMap<>();

  /** Queues a text to the group at {@code from} (beside its process) and notes who should read it. */
  private void send(String from, String text, List<String> readers) throws Exception {
    cluster.node(from).groupSend(id, text);
    Set<String> should = new TreeSet<>(readers);
    should.add(from);
    holders.put(text, should);
    senders.put(text, from);
  }

  private static List<String> others(List<String> members, String from) {
    return members.stream().filter(m -> !m.equals(from)).toList();
  }

  private List<Node.GroupLine> lines(String at) throws Exception {
    Node n = cluster.node(at);
    if (n.groups().isEmpty()) {
      return List.of();
    }
    return n.groupHistory(id).stream().filter(l -> !l.event()).toList();
  }

  private long copies(String at, String text) throws Exception {
    return lines(at).stream().filter(l -> l.text().equals(text)).count();
  }

  /** Waits until every reader of every text sent so far holds it. */
  private void awaitReaders() throws Exception {
    for (Map.Entry<String, Set<String>> e : holders.entrySet()) {
      for (String r : e.getValue()) {
        cluster.await(WAIT, r + " reads '" + e.getKey() + "'", () -> copies(r, e.getKey()) >= 1);
      }
    }
  }

  private void awaitGroup(List<String> members, int size) throws Exception {
    for (String m : members) {
      cluster.await(WAIT, m + " holds the group of " + size, () -> !cluster.node(m).groups().isEmpty()
          && cluster.node(m).groups().get(0).members() == size);
    }
  }

  private long counter(String at, String name) throws Exception {
    return cluster.counters(at).get(name);
  }

  @Test
  void fiveMembersReadEachMessageOnceThroughAJoinKillsARemovalAndAForgery() throws Exception {
    for (String name : ALL) {
      cluster.init(name, List.of());
    }
    for (int i = 0; i < ALL.size(); i++) {
      for (int j = i + 1; j < ALL.size(); j++) {
        cluster.introduce(ALL.get(i), ALL.get(j));
      }
    }
    cluster.log("five nodes made and introduced");
    for (String name : ALL) {
      cluster.spawn(name, "--fetch-ms", "200");
    }
    for (String name : ALL) {
      cluster.running(name).port();
    }
    cluster.log("five nodes ready");
    Node alice = cluster.node("alice");
    id = alice.groupCreate("five");
    for (String member : FOUR.subList(1, 4)) {
      alice.groupAdd(id, member);
    }
    awaitGroup(FOUR, 4);
    cluster.log("the group of four is made");

    for (String from : FOUR) {
      send(from, "hello from " + from, others(FOUR, from));
    }
    awaitReaders();
    cluster.log("every member read every hello");
    assertTrue(cluster.node("erin").groups().isEmpty(), "erin is no member yet");

    alice.groupAdd(id, "erin");
    awaitGroup(ALL, 5);
    cluster.log("erin joined");

    // The first messages after the join: every chain is stale, so each sender hands out a new
    // chain in its pairwise sessions first. Bob is killed a few milliseconds after queuing his.
    send("alice", "welcome erin, from alice", others(ALL, "alice"));
    send("bob", "welcome erin, from bob", others(ALL, "bob"));
    cluster.kill("bob");
    int bobUnsent = cluster.node("bob").outboxSize();
    assertTrue(bobUnsent > 0, "bob was killed with his sender keys still to send");
    cluster.log("bob killed with " + bobUnsent + " pairwise messages unsent");
    for (String from : List.of("carol", "dave", "erin")) {
      send(from, "welcome erin, from " + from, others(ALL, from));
    }
    List<String> welcomes = List.of("alice", "dave", "erin").stream().map(f -> "welcome erin, from " + f).toList();
    cluster.await(WAIT, "carol reads a welcome", () -> {
      for (String w : welcomes) {
        if (copies("carol", w) > 0) {
          return true;
        }
      }
      return false;
    });
    cluster.kill("carol");
    long carolHeld = welcomes.stream().filter(w -> {
      try {
        return copies("carol", w) > 0;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).count();
    cluster.log("carol killed holding " + carolHeld + " of the " + welcomes.size() + " others' welcomes she reads");
    send("alice", "while bob and carol were away", others(ALL, "alice"));
    for (String r : List.of("dave", "erin")) {
      cluster.await(WAIT, r + " reads what alice sent meanwhile", () -> copies(r, "while bob and carol were away") == 1);
    }
    for (String name : List.of("bob", "carol")) {
      cluster.spawn(name, "--fetch-ms", "200");
    }
    for (String name : List.of("bob", "carol")) {
      cluster.running(name).port();
    }
    cluster.log("bob and carol restarted");
    awaitReaders();
    cluster.log("bob and carol caught up after SIGKILL; every member read every message since erin joined");

    alice.groupRemove(id, "dave");
    cluster.await(WAIT, "dave learns his removal", () -> !cluster.node("dave").groups().get(0).member());
    awaitGroup(List.of("alice", "bob", "carol", "erin"), 4);
    cluster.log("dave removed");
    long mailboxBefore = counter("alice", "mailbox_fetches");
    long daveBefore = counter("dave", "group_fetches");
    List<String> four = List.of("alice", "bob", "carol", "erin");
    for (String from : four) {
      send(from, "after dave left, from " + from, others(four, from));
    }
    awaitReaders();
    // Dave fetches every 200 ms: at least 10 more of his FETCHes answered after the others read.
    long daveRead = counter("dave", "group_fetches");
    cluster.await(WAIT, "dave fetches 10 more times", () -> counter("dave", "group_fetches") >= daveRead + 10);
    long daveAfter = counter("dave", "group_fetches");
    long mailboxAfter = counter("alice", "mailbox_fetches");
    assertTrue(cluster.running("dave").process.isAlive());
    // Each of dave's answered FETCHes was counted at the mailbox first (at most one was on its way
    // when the mailbox's count was read first).
    assertTrue(mailboxAfter - mailboxBefore >= daveAfter - daveBefore - 1, "the mailbox served dave's fetches");
    assertFalse(cluster.node("dave").groups().get(0).member());
    for (String from : four) {
      assertEquals(0, copies("dave", "after dave left, from " + from), "dave reads nothing new");
    }
    cluster.log("dave fetched " + (daveAfter - daveBefore) + " times since the others wrote (the mailbox answered "
        + (mailboxAfter - mailboxBefore) + " FETCHes in all) and read nothing new");

    // Carol holds alice's chain (made after the removal): she writes its next message in alice's
    // name, signed with a key of her own, and leaves it at the group's mailbox.
    for (String n : four) {
      assertEquals(0, counter(n, "group_forged"), n + " refused nothing as forged so far");
    }
    RandomSource random = RandomSource.secure();
    Envelope forged = GroupForgery.forge(cluster.node("carol"), id, alice.fingerprint(), "forged: alice's, really",
        random);
    assertEquals(Frame.OK, GroupForgery.deposit(cluster.node("carol"), id, forged, random));
    cluster.log("carol deposited a message forged in alice's name");
    cluster.await(WAIT, "carol refuses the forgery", () -> counter("carol", "group_forged") >= 1);
    cluster.log("carol refused the forgery");
    send("alice", "alice, after the forgery", others(four, "alice"));
    awaitReaders();
    cluster.log("alice's genuine message under the forged one's number read");
    for (String n : List.of("bob", "erin")) {
      assertEquals(0, counter(n, "group_forged"), n + " was never handed the forgery (it lacks their leaves)");
    }
    assertEquals(0, counter("alice", "group_forged"), "alice does not fetch her own chain");
    assertEquals(0, counter("dave", "group_forged"), "dave holds no chain made after his removal");

    Map<String, Map<String, Long>> refusals = new TreeMap<>();
    for (String n : ALL) {
      Map<String, Long> c = cluster.counters(n);
      refusals.put(n, Map.of("refused", c.get("group_refused"), "forged", c.get("group_forged"), "opened",
          c.get("group_opened")));
    }
    cluster.log("group counters " + refusals);

    // Every node holds exactly the texts it should, each once, from its sender, and nothing else.
    for (String at : ALL) {
      List<String> should = new ArrayList<>();
      for (Map.Entry<String, Set<String>> e : holders.entrySet()) {
        if (e.getValue().contains(at)) {
          should.add(e.getKey());
        }
      }
      List<Node.GroupLine> held = lines(at);
      assertEquals(new TreeSet<>(should), new TreeSet<>(held.stream().map(Node.GroupLine::text).toList()),
          at + " holds what it should and nothing else");
      for (Node.GroupLine l : held) {
        assertEquals(1, copies(at, l.text()), at + " holds '" + l.text() + "' once");
        String from = senders.get(l.text());
        assertEquals(from.equals(at) ? "me" : from, l.from(), "the sender of '" + l.text() + "' at " + at);
      }
    }
    for (String from : FOUR) {
      assertEquals(0, copies("erin", "hello from " + from), "erin reads nothing sent before her join");
    }
    assertEquals(1, copies("erin", "welcome erin, from bob"), "erin reads bob's message, sent as he was killed");
    assertEquals(1, copies("bob", "while bob and carol were away"), "bob holds it once after his restart");
    assertEquals(1, copies("carol", "while bob and carol were away"), "carol holds it once after her restart");
    cluster.log("every node holds what it should, once: " + holders.size() + " texts, "
        + holders.values().stream().mapToInt(Set::size).sum() + " copies");
  }
}
