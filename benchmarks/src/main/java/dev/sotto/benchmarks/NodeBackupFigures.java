package dev.sotto.benchmarks;

import dev.sotto.Address;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.Backups;
import dev.sotto.node.Node;
import dev.sotto.node.Recovery;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import dev.sotto.node.store.Vault;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The node's backup figures, timed end to end (issue 16): a node whose store holds {@code N}
 * messages (default 100,000) across 200 contacts, texts of 10 to 300 characters, backs up to a
 * mailbox node over loopback TCP and to a file; then, after 100 new messages, backs up again (the
 * incremental backup); then a fresh home of the same identity restores from the mailbox (the whole
 * restore: fetching, opening, the store's one transaction) and finishes it (fresh prekeys
 * published). Prints wall-clock time, bytes uploaded and chunks for each step, and the overhead
 * over the text. A timed run, not a JMH benchmark: each step is long and runs once.
 *
 * <pre>java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.NodeBackupFigures [N]</pre>
 */
public final class NodeBackupFigures {
  private static final int CONTACTS = 200;
  private static final Vault.Params CHEAP = new Vault.Params(1024, 1, 1);

  private NodeBackupFigures() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = Files.createTempDirectory("sotto-backup-figures");
    try {
      run(dir, messages);
    } finally {
      NodeFixtures.deleteTree(dir);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Adds {@code count} messages (both directions, random contacts), returns the bytes of text added. */
  private static long chat(Tx tx, List<Long> ids, Random r, int count, long from) throws StoreException {
    long text = 0;
    for (int i = 0; i < count; i++) {
      long contact = ids.get(r.nextInt(ids.size()));
      Tx.Contact c = tx.contact(contact).orElseThrow();
      boolean incoming = r.nextBoolean();
      long seq = incoming ? c.nextInSeq() : c.nextOutSeq();
      String body = "m".repeat(10 + r.nextInt(291));
      text += body.length();
      tx.insertMessage(contact, incoming, seq, from + i, (from + i) * 1000, body);
      tx.setSeqs(contact, incoming ? c.nextOutSeq() : seq + 1, incoming ? seq + 1 : c.nextInSeq());
    }
    return text;
  }

  private static void run(Path dir, int messages) throws Exception {
    RandomSource random = RandomSource.secure();
    IdentitySeed seed = IdentitySeed.generate(random);
    Path mboxHome = NodeFixtures.initNode(dir, "mbox", List.of());
    try (Node mbox = Node.open(mboxHome, null, Node.Options.defaults())) {
      mbox.start();
      List<Address> mailboxes = List.of(mbox.mailboxAddress());
      Path home = dir.resolve("alice");
      Node.init(home, seed, null, CHEAP, new Node.Config("alice", "127.0.0.1", freePort(), mailboxes), random,
          Clock.systemUTC());
      long text;
      Random r = new Random(100);
      List<Long> ids = new ArrayList<>();
      long t0 = System.nanoTime();
      try (Store store = Store.openExisting(home, Vault.storeKey(seed), random)) {
        text = store.write(tx -> {
          for (int i = 0; i < CONTACTS; i++) {
            byte[] identity = Identity.fromSeed(IdentitySeed.generate(random)).publicIdentity().encoded();
            ids.add(tx.insertContact("contact-" + i, identity, null, 1_780_000_000_000L));
          }
          return chat(tx, ids, r, messages, 1_780_000_000L);
        });
      }
      System.out.printf("store: %,d messages across %d contacts, %,d bytes of text, written in %.1f s%n",
          messages, CONTACTS, text, seconds(t0));
      Path file = dir.resolve("alice.sotto-backup");
      try (Node alice = Node.open(home, null, Node.Options.defaults())) {
        t0 = System.nanoTime();
        Backups.Written first = alice.backups().backup(true, null, Backups.Progress.NONE);
        report("backup to the mailbox", t0, first, text);

        t0 = System.nanoTime();
        Backups.Written toFile = alice.backups().backup(false, file, Backups.Progress.NONE);
        System.out.printf("backup to a file: %.1f s, %,d bytes on disk (%d chunks)%n", seconds(t0),
            Files.size(file), toFile.chunks());

      }
      // a day of chatting, written while the node is closed (as the store's own writer would)
      long added;
      try (Store store = Store.openExisting(home, Vault.storeKey(seed), random)) {
        added = store.write(tx -> chat(tx, ids, r, 100, 1_790_000_000L));
      }
      try (Node alice = Node.open(home, null, Node.Options.defaults())) {
        t0 = System.nanoTime();
        Backups.Written second = alice.backups().backup(true, null, Backups.Progress.NONE);
        report("incremental backup after 100 messages (" + added + " bytes of text)", t0, second, added);
      }

      Path restoredHome = dir.resolve("alice-new");
      t0 = System.nanoTime();
      Recovery.plan(restoredHome, seed).commit(null, CHEAP, new Node.Config("alice", "127.0.0.1", freePort(),
          mailboxes), random, Clock.systemUTC());
      try (Node fresh = Node.open(restoredHome, null, Node.Options.defaults())) {
        Backups.Restored restored = fresh.backups().restoreFromMailboxes(Backups.Progress.NONE, m -> null);
        double restoreSeconds = seconds(t0);
        Node.RestoreFinished finished = fresh.finishRestore(Backups.Progress.NONE);
        System.out.printf("restore from the mailbox: %.1f s (%d contacts, %,d messages, counter %d);"
            + " finishing it (prekeys, resets, the claim's backup): %.1f s more, %d publications left%n",
            restoreSeconds, restored.contacts(), restored.messages(), restored.manifest().counter(),
            seconds(t0) - restoreSeconds, finished.unpublished());
        if (restored.messages() != messages + 100L) {
          throw new AssertionError("restored " + restored.messages() + " messages, not " + (messages + 100));
        }
      }
    }
  }

  private static void report(String what, long t0, Backups.Written w, long text) {
    System.out.printf("%s: %.1f s, %d of %d chunks sealed and uploaded, %,d bytes uploaded (%.0f %% over the text)%n",
        what, seconds(t0), w.chunksUploaded(), w.chunks(), w.bytesUploaded(),
        100.0 * (w.bytesUploaded() - text) / text);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
