package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.IdentitySeed;
import dev.sotto.PrekeyBundle;
import dev.sotto.RandomSource;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore holds the backup's own cards again with fresh bundles (spec:
 * backup.adoc#backup-after-restore): alice's old card, which carol holds and never used, is still
 * good for a first contact with the restored device, through a bundle it issued and published at the
 * mailbox before any reset, whose serial outranks the lost device's; a first contact made with the
 * lost device's bundle is refused (no prekey of it comes back). One mailbox over loopback TCP, the
 * rest in process; about 3 s idle, 10 s on a loaded 2-core machine.
 */
class BackupRestoreCardsTest {
  @TempDir Path dir;

  /** The bundles a mailbox serves for a bundle tag, highest serial first. */
  private static List<PrekeyBundle> bundlesAt(Address mailbox, Card card) throws Exception {
    try (LinkChannel link = LinkChannel.connect(mailbox, "test", RandomSource.secure(), 10_000, WireTap.NONE)) {
      Frame answer = link.call(Frame.getPrekeys(1, card.bundleTag())).get(0);
      assertEquals(Frame.PREKEYS, answer.type());
      return answer.prekeyItems().stream().filter(i -> i.kind() == Frame.PrekeyItem.Kind.BUNDLE).map(i -> {
        try {
          return PrekeyBundle.parse(i.encoded(), card, Instant.now());
        } catch (dev.sotto.SottoException e) {
          throw new AssertionError(e);
        }
      }).toList();
    }
  }

  /** Draws every one-time record the mailbox holds under the card's bundle tag (as contacts' first contacts would). */
  private static void drain(Address mailbox, Card card) throws Exception {
    try (LinkChannel link = LinkChannel.connect(mailbox, "test", RandomSource.secure(), 10_000, WireTap.NONE)) {
      for (int i = 0; i < 100; i++) {
        Frame answer = link.call(Frame.getPrekeys(i + 2, card.bundleTag())).get(0);
        if (answer.prekeyItems().stream().allMatch(item -> item.kind() == Frame.PrekeyItem.Kind.BUNDLE)) {
          return;
        }
      }
    }
    throw new AssertionError("the mailbox kept handing out one-time records");
  }

  @Test
  void theBackupsOwnCardsAreHeldAgainWithFreshBundlesPublishedBeforeTheResets() throws Exception {
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Path mboxHome = TestNodes.init(dir, "mbox", List.of());
    try (Node mbox = Node.open(mboxHome, null, TestNodes.fast())) {
      mbox.start();
      List<Address> mailboxes = List.of(mbox.mailboxAddress());
      Path oldHome = dir.resolve("alice-old");
      Node.init(oldHome, seed, null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1", TestNodes.freePort(),
          mailboxes), RandomSource.secure(), Clock.systemUTC());
      Path carolHome = TestNodes.init(dir, "carol", List.of());
      Path daveHome = TestNodes.init(dir, "dave", List.of());
      try (Node old = Node.open(oldHome, null, TestNodes.fast()); Node carol = Node.open(carolHome, null,
          TestNodes.fast()); Node dave = Node.open(daveHome, null, TestNodes.fast())) {
        Card oldCard = old.card();
        assertEquals(0, old.publishPrekeys());
        PrekeyBundle oldBundle = old.core().store().read(tx -> NodeCore.ownBundle(tx));
        assertEquals(oldBundle, bundlesAt(mbox.mailboxAddress(), oldCard).get(0));
        old.backups().backup(true, null, Backups.Progress.NONE);

        // the machine is lost; a new one restores from the mailbox
        Path newHome = dir.resolve("alice-new");
        Recovery.plan(newHome, seed).commit(null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1",
            TestNodes.freePort(), mailboxes), RandomSource.secure(), Clock.systemUTC());
        long restoredAt = Instant.now().getEpochSecond();
        try (Node fresh = Node.open(newHome, null, TestNodes.fast())) {
          Card newCard = fresh.card();
          assertNotEquals(oldCard, newCard, "a new card of its own");
          Backups.Restored restored = fresh.backups().restoreFromMailboxes(Backups.Progress.NONE, m -> null);
          assertEquals(1, restored.ownCards(), "the old card is held again");
          List<Card> held = fresh.core().store().read(tx -> fresh.core().heldCards(tx));
          assertTrue(held.contains(oldCard) && held.contains(newCard), held.toString());
          // the fresh bundle of the old card: issued in the restore's transaction, published by finishRestore
          Node.RestoreFinished finished = fresh.finishRestore(Backups.Progress.NONE);
          assertEquals(0, finished.unpublished());
          List<PrekeyBundle> atMailbox = bundlesAt(mbox.mailboxAddress(), oldCard);
          PrekeyBundle best = atMailbox.get(0);
          assertTrue(best.serial() >= restoredAt - 5 && best.serial() > oldBundle.serial(),
              "the fresh bundle outranks the lost device's: " + best.serial() + " > " + oldBundle.serial());
          assertFalse(Arrays.equals(oldBundle.signedPrekey().publicKey(), best.signedPrekey().publicKey()),
              "no prekey of the lost device");
          assertFalse(Arrays.equals(oldBundle.encoded(), best.encoded()));

          // The lost device's one-time records are still at the mailbox (a mailbox cannot be told to drop
          // them; they expire within 3 days): a first contact that draws one fails at the restored device
          // (UNKNOWN_PREKEY). Known limit (README, spec backup-after-restore); here they are drawn first.
          drain(mbox.mailboxAddress(), oldCard);
          // carol holds only the old card: her first contact fetches at the mailbox and reaches the restored device
          carol.addContact("alice", oldCard.text());
          List<Envelope> hello = TestNodes.outbox(carol);
          assertFalse(hello.isEmpty());
          TestNodes.deliver(hello, fresh);
          List<ContactBook.Request> requests = fresh.contactBook().requests();
          assertEquals(1, requests.size());
          assertEquals(carol.fingerprint(), requests.get(0).fingerprint());

          // dave makes his first contact with the lost device's bundle (from the old node itself): refused
          TestNodes.connect(dave, old);
          dave.addContact("alice", oldCard.text());
          List<Envelope> stale = TestNodes.outbox(dave);
          assertFalse(stale.isEmpty());
          for (Envelope e : stale) {
            try {
              assertNotEquals(NodeCore.Outcome.ACCEPTED, fresh.core().receive(e));
            } catch (dev.sotto.SottoException refused) {
              // refused: the restored device holds no prekey of the lost one
            }
          }
          assertEquals(1, fresh.contactBook().requests().size(), "no request from dave");
        }
      }
    }
  }
}
