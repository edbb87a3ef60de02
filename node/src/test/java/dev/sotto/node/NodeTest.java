package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nodes in one process over real loopback TCP: direct delivery and delivery through a mailbox. */
class NodeTest {
  @TempDir Path dir;

  @Test
  void offlineFriendGetsMessagesThroughTheMailboxThenAnswersDirectly() throws Exception {
    Path mailboxHome = TestNodes.init(dir, "mailbox", List.of());
    try (Node mailbox = Node.open(mailboxHome, null, TestNodes.fast())) {
      mailbox.start();
      Path aliceHome = TestNodes.init(dir, "alice", List.of(mailbox.mailboxAddress()));
      Path bobHome = TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress()));
      try (Node alice = Node.open(aliceHome, null, TestNodes.fast())) {
        alice.start();
        try (Node bob = Node.open(bobHome, null, TestNodes.fast())) {
          // Bob is online when alice adds him: her node fetches his prekeys from his node (the
          // mailbox's prekey service is another branch's), and he answers her first contact.
          bob.start();
          bob.addContact("alice", alice.card().text(), false);
          alice.addContact("bob", bob.card().text());
          long id = alice.contact("bob").id();
          TestNodes.await(Duration.ofSeconds(20),
              () -> alice.firstContactStatus(id).state() == FirstContacts.State.ANSWERED);
        }
        for (int i = 0; i < 5; i++) {
          alice.send("bob", "hello " + i);
        }
        TestNodes.await(Duration.ofSeconds(20), () -> alice.outboxSize() == 0);
        assertEquals(5, mailbox.mailboxItems().size());
        assertEquals(5, alice.counters()[1]);

        List<Node.Shown> got = new ArrayList<>();
        try (Node bob = Node.open(bobHome, null, TestNodes.fast())) {
          bob.start();
          TestNodes.await(Duration.ofSeconds(20), () -> {
            got.addAll(bob.read());
            return got.stream().filter(m -> !m.text().isEmpty()).count() == 5;
          });
          assertEquals("alice", got.get(0).contact());
          for (int i = 0; i < 5; i++) {
            assertEquals("hello " + i, got.get(i + 1).text());
          }
          TestNodes.await(Duration.ofSeconds(5), () -> mailbox.mailboxItems().isEmpty());
          bob.send("alice", "hi alice");
          TestNodes.await(Duration.ofSeconds(20), () -> bob.outboxSize() == 0);
          assertTrue(bob.counters()[0] >= 1, "bob's answer went directly");
          List<Node.Shown> alices = new ArrayList<>();
          TestNodes.await(Duration.ofSeconds(20), () -> {
            alices.addAll(alice.read());
            return alices.stream().anyMatch(m -> m.kind() == Node.Kind.TEXT);
          });
          assertEquals(List.of("hi alice"), alices.stream().filter(m -> m.kind() == Node.Kind.TEXT)
              .map(Node.Shown::text).toList());
          assertTrue(bob.read().isEmpty());
        }
      }
    }
  }

  @Test
  void aLinkClosedForIdlenessIsReopenedNotCountedAsAFailure() throws Exception {
    Node.Options shortIdle = TestNodes.fast().withLimits(dev.sotto.node.net.Server.Limits.DEFAULT.withIdleMillis(300));
    try (Node bob = Node.open(TestNodes.init(dir, "bob", List.of()), null, shortIdle);
        Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast())) {
      bob.start();
      alice.start();
      bob.addContact("alice", alice.card().text(), false);
      alice.addContact("bob", bob.card().text());
      alice.send("bob", "first");
      TestNodes.await(Duration.ofSeconds(20), () -> alice.outboxSize() == 0);
      TestNodes.await(Duration.ofSeconds(5), () -> bob.openLinks() == 0); // bob closed the idle link
      alice.send("bob", "second");
      TestNodes.await(Duration.ofSeconds(5), () -> alice.outboxSize() == 0);
      assertEquals(3, alice.counters()[0], "all three envelopes delivered directly");
      assertEquals(0, alice.counters()[3], "the closed link was reopened at once, not counted as a failure");
      List<Node.Shown> got = new ArrayList<>();
      TestNodes.await(Duration.ofSeconds(5), () -> {
        got.addAll(bob.read());
        return got.size() == 3;
      });
      assertEquals("second", got.get(2).text());
    }
  }
}
