package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.ErrorCode;
import dev.sotto.IdentitySeed;
import dev.sotto.NodeMessage;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.store.Tx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running node of an older restore generation stops once another device restored the identity
 * (spec: backup.adoc#backup-generations): the check that a running node makes of its backup heads
 * (every 10 minutes; here every 300 ms, through {@link Node.Options#withBackupCheck}) finds the newer
 * head, and from then on the old node seals and delivers nothing, {@code send} refuses, while the
 * new device and its contact keep talking. Over loopback TCP, about 10 s.
 */
class BackupSupersededTest {
  @TempDir Path dir;

  private static Node.Options fast() {
    return TestNodes.fast().withBackupCheck(Duration.ofMillis(300));
  }

  private static List<String> texts(List<Node.Shown> shown) {
    return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).map(Node.Shown::text).toList();
  }

  /** Reads into {@code into} until it holds {@code text}. */
  private static void awaitText(Node node, List<Node.Shown> into, String text) throws Exception {
    TestNodes.await(Duration.ofSeconds(30), () -> {
      into.addAll(node.read());
      return texts(into).contains(text);
    });
  }

  @Test
  void aRunningOldDeviceStopsSendingOnceAnotherRestored() throws Exception {
    Path mboxHome = TestNodes.init(dir, "mbox", List.of());
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    try (Node mbox = Node.open(mboxHome, null, fast())) {
      mbox.start();
      List<Address> mailboxes = List.of(mbox.mailboxAddress());
      Path bobHome = TestNodes.init(dir, "bob", mailboxes);
      Path oldHome = dir.resolve("alice-old");
      Node.init(oldHome, seed, null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1", TestNodes.freePort(),
          mailboxes), RandomSource.secure(), Clock.systemUTC());
      try (Node bob = Node.open(bobHome, null, fast()); Node old = Node.open(oldHome, null, fast())) {
        bob.start();
        old.start();
        bob.addContact("alice", old.card().text(), false);
        old.addContact("bob", bob.card().text());
        long id = old.contact("bob").id();
        TestNodes.await(Duration.ofSeconds(20),
            () -> old.firstContactStatus(id).state() == FirstContacts.State.ANSWERED);
        old.send("bob", "one");
        List<Node.Shown> bobGot = new ArrayList<>();
        awaitText(bob, bobGot, "one");
        // the old device backs up while it runs (as its daily backup would)
        assertEquals(1, old.backups().backup(true, null, Backups.Progress.NONE).manifest().counter());
        assertFalse(old.backups().superseded().isPresent());

        // another device restores the identity from the mailbox: its claim is backup 2 of generation 1
        Path newHome = dir.resolve("alice-new");
        Recovery.plan(newHome, seed).commit(null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1",
            TestNodes.freePort(), mailboxes), RandomSource.secure(), Clock.systemUTC());
        try (Node fresh = Node.open(newHome, null, fast())) {
          Backups.Restored restored = fresh.backups().restoreFromMailboxes(Backups.Progress.NONE, m -> null);
          assertEquals(1, restored.contacts());
          Node.RestoreFinished finished = fresh.finishRestore(Backups.Progress.NONE);
          assertEquals(1, finished.claim().manifest().generation(), String.valueOf(finished.claimFailure()));
          long claimed = System.nanoTime();

          // the running old node reads the heads within a few checks, and stops
          TestNodes.await(Duration.ofSeconds(10), () -> old.backups().superseded().isPresent());
          long tookMillis = (System.nanoTime() - claimed) / 1_000_000;
          assertTrue(tookMillis < 10_000, tookMillis + " ms");
          SottoException refused = assertThrows(SottoException.class, () -> old.send("bob", "refused"));
          assertEquals(ErrorCode.NOT_PERMITTED, refused.code());
          assertThrows(Backups.Failed.class, () -> old.backups().backup(true, null, Backups.Progress.NONE));

          // a message queued behind send's back (an older program, a race with the check) is never sealed
          long now = System.currentTimeMillis();
          long seq = old.core().store().write(tx -> {
            Tx.Contact c = tx.contactByName("bob").orElseThrow();
            tx.queuePending(c.id(), NodeMessage.text(c.nextOutSeq(), now / 1000, "stale").encode(), now);
            tx.insertMessage(c.id(), false, c.nextOutSeq(), now / 1000, now, "stale");
            tx.setSeqs(c.id(), c.nextOutSeq() + 1, c.nextInSeq());
            return c.nextOutSeq();
          });
          Thread.sleep(1500); // a few dozen ticks of the old node's loop, a backup turn, fetches
          Report.MessageState early = old.messageState("bob", seq);
          assertTrue(early != null && early.waiting() != null && early.waiting().state() == Report.State.QUEUED,
              "the old device sealed or sent it: " + early);
          bobGot.addAll(bob.read());
          assertFalse(texts(bobGot).contains("stale"), "bob got nothing from the old device: " + texts(bobGot));

          // the new device works: it resets the session with bob, and they write both ways
          fresh.start();
          fresh.send("bob", "three");
          awaitText(bob, bobGot, "three");
          bob.send("alice", "four");
          List<Node.Shown> freshGot = new ArrayList<>();
          awaitText(fresh, freshGot, "four");

          // meanwhile (several seconds, many ticks of the old node's loop) the stale message stayed queued
          Report.MessageState state = old.messageState("bob", seq);
          assertTrue(state != null && state.waiting() != null && state.waiting().state() == Report.State.QUEUED,
              String.valueOf(state));
          Thread.sleep(1500); // one more backup turn and a few fetches
          bobGot.addAll(bob.read());
          assertFalse(texts(bobGot).contains("stale"), "bob got nothing from the old device: " + texts(bobGot));
          assertEquals(Report.State.QUEUED, old.messageState("bob", seq).waiting().state());
          assertTrue(old.outbox().stream().allMatch(w -> w.state() == Report.State.QUEUED), old.outbox().toString());
        }
      }
    }
  }
}
