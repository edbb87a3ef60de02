package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk during a backup to a file and during a restore (issue 16): one line, and nothing
 * half-done. The backup's file is written through a sink that fails part way (as ENOSPC would):
 * the file already there stays as it was, no partial file is left, the lineage does not advance.
 * The restore's store may grow by only 32 KiB (SQLite's max_page_count, {@link
 * dev.sotto.node.store.Store#limitGrowth}): its one transaction fails with SQLITE_FULL and the store
 * holds no contact, message, lineage or card more than before; with room again, the same open
 * store restores the same file whole. No network, no root; about 2 s.
 */
class BackupFullDiskTest {
  @TempDir Path dir;

  @Test
  void aFullDiskLeavesTheBackupFileAndTheRestoredStoreAsTheyWere() throws Exception {
    IdentitySeed seed = IdentitySeed.generate(RandomSource.secure());
    Path home = dir.resolve("alice");
    Node.init(home, seed, null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1", TestNodes.freePort(),
        List.of()), RandomSource.secure(), Clock.systemUTC());
    Path file = dir.resolve("alice.backup");
    try (Node alice = Node.open(home, null, TestNodes.fast())) {
      alice.core().store().write(tx -> {
        for (int c = 0; c < 2; c++) {
          long id = tx.insertContact("contact-" + c, Identity.fromSeed(IdentitySeed.generate(RandomSource.secure()))
              .publicIdentity().encoded(), null, 1_780_000_000_000L);
          for (int i = 0; i < 1_000; i++) {
            tx.insertMessage(id, i % 2 == 0, i / 2, 1_780_000_000L + i, (1_780_000_000L + i) * 1000, "m".repeat(150));
          }
        }
        return null;
      });
      assertEquals(1, alice.backups().backup(false, file, Backups.Progress.NONE).manifest().counter());
      byte[] kept = Files.readAllBytes(file);

      // the disk fills up half way through the next backup's file
      alice.backups().writeFilesWith((temp, bytes) -> {
        Files.write(temp, Arrays.copyOf(bytes, bytes.length / 2));
        throw new IOException("No space left on device");
      });
      Backups.Failed full = assertThrows(Backups.Failed.class,
          () -> alice.backups().backup(false, file, Backups.Progress.NONE));
      assertEquals("the backup was stored nowhere: " + file + ": No space left on device", full.getMessage());
      assertArrayEquals(kept, Files.readAllBytes(file), "the earlier backup file is as it was");
      try (var listing = Files.list(dir)) {
        assertEquals(List.of(), listing.filter(p -> p.getFileName().toString().endsWith(".part")).toList());
      }
      assertEquals(2, alice.backups().writer().orElseThrow().next().counter(), "the lineage did not advance");
    }

    // a new device restores on a disk with 32 KiB left: one line, and nothing of the backup
    Path other = dir.resolve("other");
    Recovery.plan(other, seed).commit(null, TestNodes.CHEAP, new Node.Config("alice", "127.0.0.1",
        TestNodes.freePort(), List.of()), RandomSource.secure(), Clock.systemUTC());
    try (Node fresh = Node.open(other, null, TestNodes.fast())) {
      List<Card> cards = fresh.core().store().read(tx -> fresh.core().heldCards(tx));
      fresh.core().store().limitGrowth(32 * 1024);
      StoreException e = assertThrows(StoreException.class,
          () -> fresh.backups().restoreFile(file, m -> null));
      // one line; the CLI shows it as "the disk is full: the store could not write (SQLITE_FULL); nothing was restored"
      assertEquals("IO: the disk is full: the store could not write (SQLITE_FULL)", e.getMessage());
      assertEquals(StoreException.Kind.IO, e.kind());
      assertTrue(fresh.contacts().isEmpty());
      assertEquals(0L, (long) fresh.core().store().read(tx -> tx.countMessages()));
      assertTrue(fresh.backups().writer().isEmpty(), "no lineage");
      assertFalse(fresh.backups().restorePending(), "no resets asked for");
      assertEquals(cards, fresh.core().store().read(tx -> fresh.core().heldCards(tx)), "no card held again");

      // with room again, the same store (its statements prepared anew) restores the same file whole
      fresh.core().store().limitGrowth(1L << 30);
      Backups.Restored r = fresh.backups().restoreFile(file, m -> null);
      assertEquals(2, r.contacts());
      assertEquals(2_000, r.messages());
    }
  }
}
