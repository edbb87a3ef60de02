package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.store.Tx;
import dev.sotto.testing.TestRandom;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incremental backup of the node (spec: backup.adoc#backup-incremental): a store of 4,000
 * messages across 20 contacts backs up to a mailbox; after 100 more messages (a day of chatting:
 * new messages at the end of the history, the contacts' sequence marks changed), the next backup
 * seals and uploads only the chunks that changed, keeps the others at the mailbox, and a fresh
 * device restores from it the whole history, paced by a mailbox whose FETCH budget is smaller
 * than the backup. Over loopback TCP, about 5 s (most of it the store's
 * 8,200 inserts).
 */
class BackupIncrementalTest {
  @TempDir Path dir;

  private static final int CONTACTS = 20;

  private static void chat(Tx tx, List<Long> ids, Random r, int count, long from)
      throws dev.sotto.node.store.StoreException {
    for (int i = 0; i < count; i++) {
      long contact = ids.get(r.nextInt(ids.size()));
      Tx.Contact c = tx.contact(contact).orElseThrow();
      boolean incoming = r.nextBoolean();
      long seq = incoming ? c.nextInSeq() : c.nextOutSeq();
      tx.insertMessage(contact, incoming, seq, from + i, (from + i) * 1000, "m".repeat(100 + r.nextInt(101)));
      tx.setSeqs(contact, incoming ? c.nextOutSeq() : seq + 1, incoming ? seq + 1 : c.nextInSeq());
    }
  }

  /** Every conversation, as (contact name, direction, seq, text) lines. */
  private static List<String> history(Node node) throws Exception {
    return node.core().store().read(tx -> {
      List<String> lines = new ArrayList<>();
      for (Tx.Contact c : tx.contacts()) {
        for (Tx.Message m : tx.messages(c.id())) {
          lines.add(c.name() + " " + m.incoming() + " " + m.seq() + " " + m.text());
        }
      }
      lines.sort(null);
      return lines;
    });
  }

  @Test
  void aDayOfChattingSealsAndUploadsOnlyTheChangedChunks() throws Exception {
    RandomSource random = TestRandom.deterministic(new byte[] {'i', 'n', 'c'});
    IdentitySeed seed = IdentitySeed.generate(random);
    Path mboxHome = TestNodes.init(dir, "mbox", List.of());
    try (Node mbox = Node.open(mboxHome, null, TestNodes.fast())) {
      mbox.start();
      List<Address> mailboxes = List.of(mbox.mailboxAddress());
      Path home = dir.resolve("alice");
      Node.init(home, seed, null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1", TestNodes.freePort(),
          mailboxes), RandomSource.secure(), Clock.systemUTC());
      List<String> before;
      try (Node alice = Node.open(home, null, TestNodes.fast())) {
        Random r = new Random(16);
        List<Long> ids = new ArrayList<>();
        alice.core().store().write(tx -> {
          for (int i = 0; i < CONTACTS; i++) {
            byte[] identity = Identity.fromSeed(IdentitySeed.generate(random)).publicIdentity().encoded();
            ids.add(tx.insertContact("contact-" + i, identity, null, 1_780_000_000_000L));
          }
          chat(tx, ids, r, 4_000, 1_780_000_000L);
          return null;
        });
        Backups.Written first = alice.backups().backup(true, null, Backups.Progress.NONE);
        assertTrue(first.chunks() >= 10, "a history of several chunks: " + first.chunks());
        assertEquals(first.chunks(), first.chunksUploaded());
        assertEquals(first.chunks(), first.chunksSealed());

        alice.core().store().write(tx -> {
          chat(tx, ids, r, 100, 1_780_100_000L);
          return null;
        });
        Backups.Written second = alice.backups().backup(true, null, Backups.Progress.NONE);
        assertEquals(2, second.manifest().counter());
        // the chunk of the contacts (their marks changed), the last chunk of the history, and what follows it
        assertTrue(second.chunksUploaded() >= 1 && second.chunksUploaded() <= 3,
            "uploaded " + second.chunksUploaded() + " of " + second.chunks());
        assertEquals(second.chunksUploaded(), second.chunksSealed(), "only what went up was sealed");
        assertTrue(second.chunks() - second.chunksUploaded() >= first.chunks() - 3, "the others are kept, as they were");
        assertTrue(second.bytesUploaded() <= 3 * 65_536 + 4_096, "bytes uploaded: " + second.bytesUploaded());
        before = history(alice);
        assertEquals(4_100, before.size());
      }

      // a fresh device of the identity restores the second backup: the whole history. The mailbox's
      // FETCH budgets are made smaller than the backup (a burst of 1 KiB, 64 KiB a second), as a
      // history of 100,000 messages (25 MB) is larger than the default burst (8 MiB): the restore
      // is refused for the budget at least once and waits it out (spec: backup.adoc#backup-class-fetch)
      Mailbox.Rate small = new Mailbox.Rate(64 << 10, 1 << 10);
      mbox.core().mailbox().useBudgets(new Mailbox.FetchBudgets(small, small, small));
      long refusedBefore = mbox.core().mailbox().counters().get("mailbox_fetches_refused");
      Path restoredHome = dir.resolve("alice-new");
      Recovery.plan(restoredHome, seed).commit(null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1",
          TestNodes.freePort(), mailboxes), RandomSource.secure(), Clock.systemUTC());
      try (Node fresh = Node.open(restoredHome, null, TestNodes.fast())) {
        Backups.Restored restored = fresh.backups().restoreFromMailboxes(Backups.Progress.NONE, m -> null);
        assertEquals(2, restored.manifest().counter());
        assertEquals(CONTACTS, restored.contacts());
        assertEquals(4_100, restored.messages());
        assertEquals(before, history(fresh));
        assertTrue(mbox.core().mailbox().counters().get("mailbox_fetches_refused") > refusedBefore,
            "the mailbox refused the restore for its budget at least once");
      }
    }
  }
}
