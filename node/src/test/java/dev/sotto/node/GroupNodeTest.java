package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.Node.GroupLine;
import dev.sotto.node.Node.GroupMember;
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

  /**
   * A message sealed under alice's chain (which every member holds) and signed with another key:
   * bob fetches it at the group's mailbox and refuses it (BAD_SIGNATURE: nothing shown); alice's
   * next genuine message, under the same number, is read as if nothing had happened. Alice's
   * randomness is watched on this thread, so that the test knows her chain's seed, as a member that
   * holds her chain knows its keys.
   */
  @Test
  void aMessageForgedInAMembersNameIsRefused() throws Exception {
    Thread self = Thread.currentThread();
    List<byte[]> drawn = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    dev.sotto.RandomSource secure = dev.sotto.RandomSource.secure();
    dev.sotto.RandomSource watched = out -> {
      secure.nextBytes(out);
      if (Thread.currentThread() == self) {
        drawn.add(out.clone());
      }
    };
    Node.Options fast = TestNodes.fast();
    Node.Options aliceOptions = new Node.Options(fast.clock(), watched, fast.tick(), fast.fetchInterval(), fast.limits(),
        fast.policy(), fast.tap(), fast.listen(), fast.timing());
    Path a = TestNodes.init(dir, "alice", List.of());
    Path b = TestNodes.init(dir, "bob", List.of());
    try (Node alice = Node.open(a, null, aliceOptions); Node bob = Node.open(b, null, TestNodes.fast())) {
      TestNodes.connect(alice, bob);
      alice.start();
      bob.start();
      introduce(alice, "alice", bob, "bob");
      String id = alice.groupCreate("pair");
      alice.groupAdd(id, "bob");
      TestNodes.await(TIMEOUT, () -> bob.groups().size() == 1);
      drawn.clear();
      alice.groupSend(id, "genuine 0");
      TestNodes.await(TIMEOUT, () -> reads(bob, id, "genuine 0"));
      byte[] seed = drawn.stream().filter(d -> d.length == 32).reduce((x, y) -> y).orElseThrow();

      dev.sotto.Group g = alice.group(id);
      byte[] groupId = g.groupId();
      dev.sotto.GroupState tip = g.state();
      var chain = dev.sotto.internal.group.GroupKdf.chain(groupId, seed);
      byte[] ck1 = dev.sotto.internal.group.GroupKdf.nextChainKey(chain.chainKey());
      byte[] content = dev.sotto.internal.group.GroupMessage.content(dev.sotto.internal.group.GroupMessage.TYPE_PAYLOAD,
          dev.sotto.NodeMessage.text(1, 1, "forged").encode(), 1024 - dev.sotto.internal.group.GroupMessage.OVERHEAD);
      byte[] ad = dev.sotto.internal.group.GroupMessage.ad(groupId, alice.fingerprint().bytes(), chain.chainId(), 1);
      byte[] otherKey = secure.bytes(32);
      byte[] signature = dev.sotto.internal.crypto.Ed25519.sign(otherKey,
          dev.sotto.internal.group.GroupMessage.signedMessage(ad, tip.epoch(), tip.hash(), content));
      byte[] body = dev.sotto.internal.group.GroupMessage.seal(dev.sotto.internal.group.GroupKdf.messageKey(ck1), ad,
          dev.sotto.internal.group.GroupMessage.plaintext(tip.epoch(), tip.hash(), signature, content));
      dev.sotto.Envelope forged = dev.sotto.Envelope.parse(dev.sotto.internal.encoding.Bytes.concat(
          new byte[] {dev.sotto.Envelope.VERSION}, dev.sotto.internal.group.GroupKdf.tag(chain.tagKey(), 1), body));
      try (dev.sotto.node.net.LinkChannel link = dev.sotto.node.net.LinkChannel.connect(alice.mailboxAddress(), "forger",
          secure, 5_000, dev.sotto.node.net.WireTap.NONE)) {
        // With bob's leaf, which only alice (and a thief of her chain's take secret, as here) can compute:
        // a member that merely holds her chain cannot make it, and its forgery is handed to no one else.
        byte[] bobsLeaf = dev.sotto.internal.group.GroupKdf.takeLeaf(dev.sotto.internal.group.GroupKdf.takeToken(
            dev.sotto.internal.group.GroupKdf.takeSeed(chain.takeSecret(), bob.fingerprint().bytes()), forged.tag()));
        assertEquals(dev.sotto.Frame.OK, link.call(dev.sotto.Frame.depositGroup(link.nextRequestId(), List.of(bobsLeaf),
            forged))
            .get(0).type());
      }
      // Bob fetches every 100 ms: the forgery is at the mailbox under a tag he watches.
      Thread.sleep(1_500);
      assertFalse(reads(bob, id, "forged"), "a forged message is not shown");
      assertTrue(bob.serving().get("group_forged") >= 1, "bob's node counts the forgery: " + bob.serving());
      assertEquals(0, alice.serving().get("group_forged"), "alice does not fetch her own chain");
      // What bob's node did with it: authentic under alice's chain, refused for its signature.
      dev.sotto.SottoException refused = org.junit.jupiter.api.Assertions.assertThrows(dev.sotto.SottoException.class,
          () -> bob.group(id).open(forged.encoded()));
      assertEquals(dev.sotto.ErrorCode.BAD_SIGNATURE, refused.code());
      assertEquals(2, alice.mailboxItems().size(), "the forgery waits at the mailbox beside the first change");
      alice.groupSend(id, "genuine 1");
      TestNodes.await(TIMEOUT, () -> reads(bob, id, "genuine 1"));
      assertFalse(reads(bob, id, "forged"));
    }
  }

  /**
   * Carol is away (her node closed) while alice makes two changes and writes, longer than the
   * mailboxes keep items (4 s here, 7 days by default): the changes and the message expire before
   * she returns. On her return her node sees that its last fetch of the group is older than the
   * retention, asks the members for their chains and states (sender keys with the request flag,
   * spec: group.adoc#group-offline), adopts the state they answer with (epoch + 2, the new name),
   * installs the chains, and reads what is written after, once; what expired while she was away
   * is lost to her, and her history says she caught up. About 15 s (5 s of it waiting for the
   * items to expire).
   */
  @Test
  void aMemberAwayLongerThanTheRetentionCatchesUpOnItsReturn() throws Exception {
    Node.Options opts = TestNodes.fast().withPolicy(new NodeCore.Policy(true, 4_000, 256, 256L << 20,
        8L * 24 * 3600 * 1000, false, NodeCore.RequestPolicy.DEFAULT));
    Path a = TestNodes.init(dir, "alice", List.of());
    Path b = TestNodes.init(dir, "bob", List.of());
    Path c = TestNodes.init(dir, "carol", List.of());
    try (Node alice = Node.open(a, null, opts); Node bob = Node.open(b, null, opts)) {
      String id;
      long epochBefore;
      try (Node carol = Node.open(c, null, opts)) {
        TestNodes.connect(alice, bob, carol);
        alice.start();
        bob.start();
        carol.start();
        introduce(alice, "alice", bob, "bob");
        introduce(alice, "alice", carol, "carol");
        introduce(bob, "bob", carol, "carol");
        id = alice.groupCreate("friends");
        alice.groupAdd(id, "bob");
        alice.groupAdd(id, "carol");
        TestNodes.await(TIMEOUT, () -> bob.groups().size() == 1 && carol.groups().size() == 1
            && carol.groups().get(0).members() == 3);
        alice.groupSend(id, "before");
        TestNodes.await(TIMEOUT, () -> reads(carol, id, "before") && reads(bob, id, "before"));
        epochBefore = carol.groups().get(0).epoch();
      }
      // Carol is away: two changes and a message, which expire at the group's mailbox.
      alice.groupRename(id, "away once");
      alice.groupRename(id, "away twice");
      alice.groupSend(id, "while carol was away");
      TestNodes.await(TIMEOUT, () -> reads(bob, id, "while carol was away")
          && bob.groups().get(0).name().equals("away twice"));
      Thread.sleep(5_000); // past the 4 s retention of alice's mailbox (margin: 1 s, and every item is older)
      try (Node carol = Node.open(c, null, opts)) {
        TestNodes.connect(alice, bob, carol);
        carol.start();
        TestNodes.await(TIMEOUT, () -> carol.groups().get(0).name().equals("away twice"));
        assertEquals(epochBefore + 2, carol.groups().get(0).epoch());
        assertTrue(carol.serving().get("group_resyncs_asked") >= 1, carol.serving().toString());
        assertTrue(carol.groupHistory(id).stream().anyMatch(l -> l.event() && l.text().startsWith("(caught up: 2 ")),
            carol.groupHistory(id).toString());
        // Carol adopted the first answer; what alice and bob seal before they answered her is lost
        // to her (an answer carries a member's chain from its next message on: spec
        // group.adoc#group-offline), so they write once both answers are on their way to her.
        TestNodes.await(TIMEOUT, () -> alice.serving().get("group_resyncs_answered") >= 1
            && bob.serving().get("group_resyncs_answered") >= 1 && alice.outboxSize() == 0 && bob.outboxSize() == 0);
        alice.groupSend(id, "welcome back");
        bob.groupSend(id, "hi carol");
        TestNodes.await(TIMEOUT, () -> reads(carol, id, "welcome back") && reads(carol, id, "hi carol"));
        carol.groupSend(id, "I am back");
        TestNodes.await(TIMEOUT, () -> reads(alice, id, "I am back") && reads(bob, id, "I am back"));
        Thread.sleep(500); // a few more fetches: nothing is read twice
        assertEquals(1, carol.groupHistory(id).stream().filter(l -> l.text().equals("welcome back")).count());
        assertFalse(reads(carol, id, "while carol was away"), "expired while she was away: lost to her");
      }
    }
  }

  /**
   * Admin promotion and a mailbox that moves (spec: group.adoc#group-apply, transport.adoc#node-groups):
   * alice creates the group at her node's mailbox and makes bob an admin; bob removes alice, and
   * the removal names bob's mailbox as the group's (alice hosted the only one). The change is left
   * at both mailboxes, so alice learns her removal; after it bob and carol deposit and fetch at
   * bob's mailbox, and alice's mailbox takes no group deposit. About 10 s.
   */
  @Test
  void anAdminRemovesTheHostAndTheGroupMailboxMoves() throws Exception {
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
      String id = alice.groupCreate("moving");
      alice.groupAdd(id, "bob");
      alice.groupAdd(id, "carol");
      alice.groupPromote(id, "bob");
      TestNodes.await(TIMEOUT, () -> carol.groups().size() == 1 && bob.groups().size() == 1
          && bob.groupMembers(id).stream().filter(GroupMember::admin).count() == 2
          && carol.groupMembers(id).stream().filter(GroupMember::admin).count() == 2);
      // Carol, no admin, cannot change the group; bob, now one, can.
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> carol.groupRename(id, "no"));
      bob.groupRemove(id, "alice");
      TestNodes.await(TIMEOUT, () -> !alice.groups().get(0).member() && carol.groups().get(0).members() == 2);
      assertEquals(List.of(bob.mailboxAddress()), carol.group(id).state().mailboxes().stream()
          .map(dev.sotto.GroupState.Mailbox::address).toList(), "the group's mailbox is bob's now");
      assertTrue(alice.groupHistory(id).stream().anyMatch(l -> l.event() && l.text().contains("removed you")),
          alice.groupHistory(id).toString());
      long aliceDeposits = alice.serving().get("mailbox_group_deposits");
      long bobDeposits = bob.serving().get("mailbox_group_deposits");
      carol.groupSend(id, "at the new mailbox");
      bob.groupSend(id, "here too");
      TestNodes.await(TIMEOUT, () -> reads(bob, id, "at the new mailbox") && reads(carol, id, "here too"));
      Thread.sleep(500); // a few more rounds of deposits and fetches
      assertEquals(aliceDeposits, alice.serving().get("mailbox_group_deposits"), "the old host takes nothing new");
      assertTrue(bob.serving().get("mailbox_group_deposits") >= bobDeposits + 2, bob.serving().toString());
      assertFalse(reads(alice, id, "at the new mailbox"));
      assertEquals(1, carol.groupHistory(id).stream().filter(l -> l.text().equals("here too")).count());
    }
  }

  /**
   * A group's history follows the node's global retention ('sotto config --keep'), as its pairwise
   * conversations do: lines stored longer ago are deleted at once when the retention is set and by
   * every later turn, newer ones stay; with no retention nothing is deleted. One node, not started,
   * on a clock of the test's. Well under 1 s.
   */
  @Test
  void aGroupsHistoryFollowsTheGlobalRetention() throws Exception {
    ResetTest.TestClock clock = new ResetTest.TestClock(java.time.Instant.parse("2026-12-01T00:00:00Z"));
    Path a = TestNodes.init(dir, "alice", List.of());
    try (Node alice = Node.open(a, null, TestNodes.fast().withClock(clock))) {
      String id = alice.groupCreate("notes");
      alice.groupSend(id, "old");
      clock.advance(Duration.ofDays(2));
      assertEquals(0, alice.applyRetention(), "no retention: everything is kept");
      alice.groupSend(id, "new");
      assertEquals(2, alice.setKeep(86_400), "the creation and 'old', stored two days ago");
      assertEquals(List.of("new"), alice.groupHistory(id).stream().map(GroupLine::text).toList());
      clock.advance(Duration.ofHours(25));
      alice.groupSend(id, "newest");
      assertEquals(1, alice.applyRetention());
      assertEquals(List.of("newest"), alice.groupHistory(id).stream().map(GroupLine::text).toList());
    }
  }

  /**
   * The pairwise fallback (spec: group.adoc#group-delivery, transport.adoc#node-groups): the group
   * lives at a mailbox no member runs; it goes down while alice and bob write. Once their deposits
   * have failed at every mailbox of the group for 1 s (60 s by default), each goes to every other
   * member in its pairwise session as a GROUP_ENVELOPE (bob's after his new sender keys), and is
   * read once by each; when the mailbox comes back nothing of it is deposited there and nothing is
   * read twice, and the next message goes through the mailbox again. About 15 s.
   */
  @Test
  void whenTheGroupMailboxIsDownMessagesGoPairwiseOnce() throws Exception {
    Path m = TestNodes.init(dir, "mailbox", List.of());
    Path a = TestNodes.init(dir, "alice", List.of());
    Path b = TestNodes.init(dir, "bob", List.of());
    Path c = TestNodes.init(dir, "carol", List.of());
    try (Node alice = Node.open(a, null, TestNodes.fast()); Node bob = Node.open(b, null, TestNodes.fast());
        Node carol = Node.open(c, null, TestNodes.fast())) {
      Node mailbox = Node.open(m, null, TestNodes.fast());
      try {
        TestNodes.connect(alice, bob, carol, mailbox);
        mailbox.start();
        alice.start();
        bob.start();
        carol.start();
        for (Node n : List.of(alice, bob)) {
          n.groupFallbackAfter(Duration.ofSeconds(1));
        }
        introduce(alice, "alice", bob, "bob");
        introduce(alice, "alice", carol, "carol");
        introduce(bob, "bob", carol, "carol");
        String id = alice.groupCreate("elsewhere", mailbox.mailboxAddress());
        alice.groupAdd(id, "bob");
        alice.groupAdd(id, "carol");
        TestNodes.await(TIMEOUT, () -> bob.groups().size() == 1 && carol.groups().size() == 1
            && carol.groups().get(0).members() == 3);
        alice.groupSend(id, "through the mailbox");
        TestNodes.await(TIMEOUT, () -> reads(bob, id, "through the mailbox") && reads(carol, id, "through the mailbox"));
        mailbox.close();
        alice.groupSend(id, "while it is down");
        bob.groupSend(id, "bob, while it is down");
        TestNodes.await(TIMEOUT, () -> reads(bob, id, "while it is down") && reads(carol, id, "while it is down")
            && reads(alice, id, "bob, while it is down") && reads(carol, id, "bob, while it is down"));
        assertEquals(1, alice.serving().get("group_pairwise_sent"));
        assertEquals(1, bob.serving().get("group_pairwise_sent"));
        mailbox = Node.open(m, null, TestNodes.fast());
        TestNodes.connect(alice, bob, carol, mailbox);
        mailbox.start();
        int held = mailbox.mailboxItems().size();
        alice.groupSend(id, "the mailbox is back");
        TestNodes.await(TIMEOUT, () -> reads(bob, id, "the mailbox is back") && reads(carol, id, "the mailbox is back"));
        Thread.sleep(1_000); // more rounds of deposits and fetches: nothing is deposited or read twice
        assertTrue(mailbox.mailboxItems().size() <= held + 1, "only the last message went to the mailbox");
        for (Node n : List.of(alice, bob, carol)) {
          for (String text : List.of("through the mailbox", "while it is down", "bob, while it is down",
              "the mailbox is back")) {
            assertEquals(1, n.groupHistory(id).stream().filter(l -> l.text().equals(text)).count(), text);
          }
        }
      } finally {
        mailbox.close();
      }
    }
  }
}
