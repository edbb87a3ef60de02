package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sotto.node.Node;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A group of four node processes on loopback (spec: group.adoc; transport.adoc#mailbox, group
 * items): alice's node hosts the group's mailbox; every member's messages reach every other member
 * exactly once; bob is killed with SIGKILL and gets what was sent meanwhile when he comes back;
 * dave is removed, keeps fetching, and reads nothing sent after his removal. About 25 s on a loaded
 * 2-core machine (each wait has a 60 s bound).
 */
class GroupClusterTest extends ClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final List<String> ALL = List.of("alice", "bob", "carol", "dave");

  private long copies(String at, String text) throws Exception {
    Node n = cluster.node(at);
    if (n.groups().isEmpty()) {
      return 0;
    }
    return n.groupHistory(n.groups().get(0).id()).stream().filter(l -> !l.event() && l.text().equals(text)).count();
  }

  private void awaitRead(List<String> readers, String text) throws Exception {
    for (String r : readers) {
      cluster.await(WAIT, r + " reads '" + text + "'", () -> copies(r, text) >= 1);
    }
  }

  @Test
  void membersReadEachMessageOnceAKilledMemberCatchesUpARemovedOneReadsNothingNew() throws Exception {
    for (String name : ALL) {
      cluster.init(name, List.of());
    }
    for (int i = 0; i < ALL.size(); i++) {
      for (int j = i + 1; j < ALL.size(); j++) {
        cluster.introduce(ALL.get(i), ALL.get(j));
      }
    }
    for (String name : ALL) {
      cluster.spawn(name, "--fetch-ms", "200");
    }
    for (String name : ALL) {
      cluster.running(name).port();
    }
    Node alice = cluster.node("alice");
    String id = alice.groupCreate("four");
    for (String member : ALL.subList(1, ALL.size())) {
      alice.groupAdd(id, member);
    }
    for (String member : ALL) {
      cluster.await(WAIT, member + " holds the group of 4", () -> !cluster.node(member).groups().isEmpty()
          && cluster.node(member).groups().get(0).members() == 4);
    }
    cluster.log("the group of four is made");

    for (String from : ALL) {
      cluster.node(from).groupSend(id, "hello from " + from);
    }
    for (String from : ALL) {
      awaitRead(ALL, "hello from " + from);
    }
    cluster.log("every member read every hello");

    cluster.kill("bob");
    alice.groupSend(id, "while bob was away");
    cluster.node("carol").groupSend(id, "carol, while bob was away");
    awaitRead(List.of("carol", "dave"), "while bob was away");
    cluster.start("bob", "--fetch-ms", "200");
    awaitRead(List.of("bob"), "while bob was away");
    awaitRead(List.of("bob"), "carol, while bob was away");
    cluster.log("bob caught up after SIGKILL");

    alice.groupRemove(id, "dave");
    cluster.await(WAIT, "dave learns his removal", () -> !cluster.node("dave").groups().get(0).member());
    for (String member : List.of("alice", "bob", "carol")) {
      cluster.await(WAIT, member + " holds the group of 3", () -> cluster.node(member).groups().get(0).members() == 3);
    }
    alice.groupSend(id, "after dave left");
    cluster.node("bob").groupSend(id, "bob after dave left");
    awaitRead(List.of("bob", "carol"), "after dave left");
    awaitRead(List.of("alice", "carol"), "bob after dave left");
    // Dave fetches every 200 ms meanwhile; give him a few more rounds.
    Thread.sleep(2_000);
    assertEquals(0, copies("dave", "after dave left"));
    assertEquals(0, copies("dave", "bob after dave left"));
    assertFalse(cluster.node("dave").groups().get(0).member());

    for (String reader : ALL) {
      for (String from : ALL) {
        if (!from.equals(reader)) {
          assertEquals(1, copies(reader, "hello from " + from), reader + " holds " + from + "'s hello once");
        }
      }
    }
    for (String reader : List.of("alice", "carol", "dave")) {
      assertEquals(1, copies(reader, "while bob was away"));
    }
    assertEquals(1, copies("bob", "while bob was away"), "bob holds it once after his restart");
  }
}
