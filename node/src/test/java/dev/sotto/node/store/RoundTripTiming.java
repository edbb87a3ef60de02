package dev.sotto.node.store;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A quick measurement, not a test: the store work of one message out and one message in, as the
 * node does it (the same calls, in the same transactions), on a store that already holds 20
 * contacts and 4,000 messages. Run with {@code java -cp ... dev.sotto.node.store.RoundTripTiming [rounds [directory]]}.
 *
 * <p>Out: queue it (Node.send), seal it (NodeCore.sealPending), find it due (NodeCore.due), drop
 * it once delivered (NodeCore.sent). In: receive an envelope (NodeCore.receive), show it
 * (Node.read). Seven transactions, five of them commits.
 */
public final class RoundTripTiming {
  private static final int CONTACTS = 20;
  private static final int MESSAGES_EACH = 200;
  private static final byte[] STATE = new byte[3_000];
  private static final byte[] ENVELOPE = new byte[600];

  private RoundTripTiming() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    // A second argument: the directory to work in (/dev/shm takes the disk's fsync out of the figure).
    Path home = args.length > 1 ? Files.createTempDirectory(Path.of(args[1]), "roundtrip")
        : Files.createTempDirectory("roundtrip");
    RandomSource random = RandomSource.secure();
    try (Store store = Store.open(home, Vault.storeKey(IdentitySeed.generate(random)), random)) {
      long[] contacts = new long[CONTACTS];
      long[] sessions = new long[CONTACTS];
      long t0 = System.nanoTime();
      for (int c = 0; c < CONTACTS; c++) {
        int i = c;
        contacts[c] = store.write(tx -> tx.insertContact("contact-" + i, ("identity-" + i).getBytes(), new byte[2_000], 1));
        sessions[c] = store.write(tx -> tx.insertSession(contacts[i], STATE, 1));
        store.write(tx -> {
          for (int m = 0; m < MESSAGES_EACH; m++) {
            tx.insertMessage(contacts[i], m % 2 == 0, m / 2, 1, 1, "an earlier message " + m);
          }
          tx.setSeqs(contacts[i], MESSAGES_EACH / 2, MESSAGES_EACH / 2);
          return null;
        });
      }
      System.out.printf("set-up: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      for (int pass = 0; pass < 2; pass++) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long cpu = threads.getCurrentThreadCpuTime();
        for (int r = 0; r < rounds; r++) {
          int round = pass * rounds + r;
          roundTrip(store, contacts[round % CONTACTS], sessions[round % CONTACTS], round);
        }
        long micros = (System.nanoTime() - start) / 1_000 / rounds;
        long cpuMicros = (threads.getCurrentThreadCpuTime() - cpu) / 1_000 / rounds;
        System.out.printf("%s: %d round trips, %d us each (%d us of CPU)%n", pass == 0 ? "warm-up" : "measured", rounds,
            micros, cpuMicros);
      }
    } finally {
      Store.deleteFiles(home);
      Files.deleteIfExists(home);
    }
  }

  private static void roundTrip(Store store, long contact, long session, int r) throws Exception {
    long now = 1_000_000L + r;
    // Node.send
    store.write(tx -> {
      Tx.Contact c = tx.contact(contact).orElseThrow();
      tx.queuePending(contact, "a message out".getBytes(), now);
      tx.insertMessage(contact, false, c.nextOutSeq(), now / 1000, now, "a message out");
      tx.setSeqs(contact, c.nextOutSeq() + 1, c.nextInSeq());
      return null;
    });
    // NodeCore.sealPending
    store.write(tx -> {
      Tx.Pending p = tx.pendingExcept(Set.of(), 1).get(0);
      Tx.SessionRow s = tx.sendingSession(p.contactId()).orElseThrow();
      tx.updateSession(s.id(), STATE, now);
      tx.queueEnvelope(p.contactId(), ENVELOPE, now);
      tx.deletePending(p.id());
      return tx.pendingExcept(Set.of(), 1);
    });
    // NodeCore.due, then NodeCore.sent
    List<Tx.Outgoing> due = store.read(tx -> {
      List<Tx.Outgoing> out = tx.due(now, 64);
      tx.contact(out.get(0).contactId()).orElseThrow();
      return out;
    });
    store.write(tx -> {
      for (Tx.Outgoing o : due) {
        tx.deleteEnvelope(o.id());
      }
      return null;
    });
    // NodeCore.receive
    store.write(tx -> {
      tx.markReceived(("digest-" + r).getBytes(), now);
      Tx.SessionRow s = tx.session(session).orElseThrow();
      tx.updateSession(s.id(), STATE, now);
      Tx.Contact c = tx.contact(contact).orElseThrow();
      tx.insertMessage(contact, true, c.nextInSeq(), now / 1000, now, "a message in");
      long next = c.nextInSeq();
      while (tx.hasMessage(contact, true, next)) {
        next++;
      }
      tx.setSeqs(contact, c.nextOutSeq(), next);
      return null;
    });
    // Node.read
    store.write(tx -> {
      tx.contacts();
      tx.unreadNotices();
      for (Tx.Message m : tx.unread()) {
        tx.markRead(m.id());
      }
      return null;
    });
  }
}
