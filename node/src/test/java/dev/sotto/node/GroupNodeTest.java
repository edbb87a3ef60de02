package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group of three nodes in one process over real loopback TCP (spec: group.adoc,
 * transport.adoc#node-messages): welcomes and sender keys carried in the pairwise sessions, each
 * message deposited once at the group's mailbox (alice's node) and read there by every member, the
 * item deleted once every member took it; a removal, after which the removed member keeps fetching
 * and reads nothing new. About 10 s.
 */
class GroupNodeTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private static void introduce(Node from, String fromName, Node to, String toName) throws Exception {
    to.addContact(fromName, from.currentCard().text(), false);
    from.addContact(toName, to.currentCard().text());
  }

  private static boolean reads(Node n, String group, String text) throws Exception {
    return !n.groups().isEmpty() && n.groupHistory(group).stream().anyMatch(l -> !l.event() && l.text().equals(text));
  }

  @Test
  void aGroupOfThreeReadsEachMessageOnceAndARemovedMemberNothingNew() throws Exception {
    Path a = TestNodes.init(dir, "alice", List.of());
    Path b = TestNodes.init(dir, "bob", List.of());
    Path c = TestNodes.init(dir, "carol", List.of());
    try (Node alice = Node.open(a, null, TestNodes.fast()); Node bob = Node.open(b, null, TestNodes.fast());
        Node carol = Node.open(c, null, TestNodes.fast())) {
      TestNodes.connect(alice, bob, carol);
      alice.start();
      bob.start();
      carol.start();
      introduce(alice, "alice", bob, "bob");
      introduce(alice, "alice", carol, "carol");
      introduce(bob, "bob", carol, "carol");

      String id = alice.groupCreate("friends");
      alice.groupAdd("friends", "bob");
      alice.groupAdd("friends", "carol");
      TestNodes.await(TIMEOUT, () -> bob.groups().size() == 1 && carol.groups().size() == 1
          && bob.groups().get(0).members() == 3 && carol.groups().get(0).members() == 3);
      assertEquals(id, bob.groups().get(0).id());

      // The first change (adding bob) was sealed when alice was alone: no leaves, it stays until its
      // expiry; the second, taken by bob, is gone.
      TestNodes.await(TIMEOUT, () -> alice.mailboxItems().size() == 1);
      alice.groupSend("friends", "hello, friends");
      TestNodes.await(TIMEOUT, () -> reads(bob, id, "hello, friends") && reads(carol, id, "hello, friends"));
      bob.groupSend(id, "hi from bob");
      TestNodes.await(TIMEOUT, () -> reads(alice, id, "hi from bob") && reads(carol, id, "hi from bob"));
      // Every member took both messages: alice's mailbox holds neither any more.
      TestNodes.await(TIMEOUT, () -> alice.mailboxItems().size() == 1);
      for (Node n : List.of(alice, bob, carol)) {
        assertEquals(1, n.groupHistory(id).stream().filter(l -> l.text().equals("hello, friends")).count(),
            "delivered once");
      }
      assertEquals(List.of("alice", "bob", "carol").size(), bob.groupMembers(id).size());

      alice.groupRemove(id, "carol");
      TestNodes.await(TIMEOUT, () -> !carol.groups().get(0).member() && bob.groups().get(0).members() == 2);
      alice.groupSend(id, "carol cannot read this");
      bob.groupSend(id, "nor this");
      TestNodes.await(TIMEOUT, () -> reads(bob, id, "carol cannot read this") && reads(alice, id, "nor this"));
      // Carol keeps fetching (every 100 ms) and reads nothing new.
      Thread.sleep(1_500);
      assertFalse(reads(carol, id, "carol cannot read this"));
      assertFalse(reads(carol, id, "nor this"));
      assertTrue(carol.groupHistory(id).stream().anyMatch(l -> l.event() && l.text().contains("removed")),
          carol.groupHistory(id).toString());
    }
  }
}
