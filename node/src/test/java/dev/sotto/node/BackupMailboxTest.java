package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Vault;
import dev.sotto.testing.TestRandom;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup class of the mailbox (spec: transport.adoc#backup-class, the reference node's policy
 * in #mailbox-policy): a round trip through a real link, the quotas and the new-space budget, the
 * retention, and a flood of DEPOSITs that fills the mailbox without touching a backup. About 3 s.
 */
class BackupMailboxTest {
  @TempDir Path dir;
  private final Random random = new Random(16);

  private Envelope envelope(int size, int tagByte) throws Exception {
    byte[] b = new byte[size];
    random.nextBytes(b);
    b[0] = 2;
    java.util.Arrays.fill(b, 1, 17, (byte) tagByte);
    return Envelope.parse(b);
  }

  private static byte[] tag(int tagByte) {
    byte[] t = new byte[16];
    java.util.Arrays.fill(t, (byte) tagByte);
    return t;
  }

  private static byte[] credential(int b) {
    byte[] c = new byte[32];
    java.util.Arrays.fill(c, (byte) b);
    return c;
  }

  private static Frame one(List<Frame> frames) {
    assertEquals(1, frames.size(), frames.toString());
    return frames.get(0);
  }

  @Test
  void putGetKeepDeleteThroughALinkAndAFloodOfDepositsEvictsNothing() throws Exception {
    // A mailbox of 1 MiB for envelopes: the flood below fills its open half (512 KiB) in 8 deposits.
    NodeCore.Policy small = NodeCore.Policy.DEFAULT.withQuotas(256, 1 << 20);
    Path home = TestNodes.init(dir, "mailbox", List.of());
    try (Node node = Node.open(home, null, TestNodes.fast().withPolicy(small))) {
      node.start();
      byte[] alice = credential(1);
      byte[] mallory = credential(2);
      Envelope head = envelope(1024, 0x11);
      Envelope chunk = envelope(65536, 0x22);
      try (LinkChannel link = LinkChannel.connect(node.mailboxAddress(), "test", RandomSource.secure(), 10_000,
          WireTap.NONE)) {
        long id = 1;
        assertEquals(Frame.OK, one(link.call(Frame.backupPut(id++, alice, chunk))).type());
        assertEquals(Frame.OK, one(link.call(Frame.backupPut(id++, alice, head))).type());
        // GET: the envelopes in the order asked, a tag twice counted once, an unknown tag left out.
        List<Frame> got = link.call(Frame.backupTags(Frame.BACKUP_GET, id++, alice,
            List.of(head.tag(), tag(0x33), chunk.tag(), head.tag())));
        assertEquals(3, got.size());
        assertArrayEquals(head.encoded(), got.get(0).itemEnvelope().encoded());
        assertArrayEquals(chunk.encoded(), got.get(1).itemEnvelope().encoded());
        assertEquals(Frame.DONE, got.get(2).type());
        assertEquals(false, got.get(2).more());
        // Another credential is another space: it sees nothing, and its DELETE deletes nothing.
        assertEquals(1, link.call(Frame.backupTags(Frame.BACKUP_GET, id++, mallory, List.of(head.tag()))).size());
        assertEquals(Frame.OK, one(link.call(Frame.backupTags(Frame.BACKUP_DELETE, id++, mallory,
            List.of(head.tag(), chunk.tag())))).type());
        assertEquals(List.of(true, false, true), one(link.call(Frame.backupTags(Frame.BACKUP_KEEP, id++, alice,
            List.of(head.tag(), tag(0x33), chunk.tag())))).heldBody());
        // A new head under the same tag replaces the old one.
        Envelope head2 = envelope(1024, 0x11);
        assertEquals(Frame.OK, one(link.call(Frame.backupPut(id++, alice, head2))).type());
        assertArrayEquals(head2.encoded(), link.call(Frame.backupTags(Frame.BACKUP_GET, id++, alice,
            List.of(head.tag()))).get(0).itemEnvelope().encoded());

        // A flood of envelopes under tags nobody watches, until the mailbox refuses them.
        int stored = 0;
        for (int i = 0; i < 40; i++) {
          Frame answer = one(link.call(Frame.deposit(id++, envelope(65536, 0x40 + i))));
          if (answer.type() == Frame.ERROR) {
            assertEquals(ErrorCode.LIMIT_EXCEEDED.number(), answer.errorNumber());
            break;
          }
          stored++;
        }
        assertTrue(stored >= 7 && stored < 40, "the flood filled the open part of the mailbox: " + stored);
        List<Frame> after = link.call(Frame.backupTags(Frame.BACKUP_GET, id++, alice,
            List.of(head.tag(), chunk.tag())));
        assertEquals(3, after.size(), "the backup is all there after the flood");
        assertArrayEquals(chunk.encoded(), after.get(1).itemEnvelope().encoded());
        // and the backup class still takes a put: its quota is its own
        assertEquals(Frame.OK, one(link.call(Frame.backupPut(id++, alice, envelope(65536, 0x23)))).type());

        assertEquals(Frame.OK, one(link.call(Frame.backupTags(Frame.BACKUP_DELETE, id++, alice,
            List.of(head.tag())))).type());
        assertEquals(List.of(false, true), one(link.call(Frame.backupTags(Frame.BACKUP_KEEP, id++, alice,
            List.of(head.tag(), chunk.tag())))).heldBody());
      }
      assertEquals(4L, node.core().backups().counters().get("backup_puts"));
    }
  }

  @Test
  void quotasRefuseWithoutEvictingAndTheRetentionRunsFromTheLastPutOrKeep() throws Exception {
    ResetTest.TestClock clock = new ResetTest.TestClock(Instant.parse("2026-06-01T00:00:00Z"));
    AtomicLong nanos = new AtomicLong(1_000_000_000L);
    try (Store store = Store.open(dir, Vault.storeKey(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'k'}))),
        TestRandom.deterministic(new byte[] {'r'}))) {
      // 3 envelopes or 140,000 bytes per space, 200,000 bytes in all, 2 new spaces a day per prefix.
      BackupMailbox.Policy policy = new BackupMailbox.Policy(Duration.ofDays(400).toMillis(), 3, 140_000, 200_000, 2);
      BackupMailbox backups = new BackupMailbox(store, clock, policy, false, nanos::get);
      Mailbox mailbox = new Mailbox(store, clock, NodeCore.Policy.DEFAULT, Mailbox.FetchBudgets.DEFAULT, nanos::get);
      NodeCore.LinkState link = new NodeCore.LinkState(InetAddress.getByName("198.51.100.7"));
      NodeCore.LinkState other = new NodeCore.LinkState(InetAddress.getByName("203.0.113.9"));
      long[] id = {1};
      var put = (ThrowingPut) (l, cred, env) -> one(backups.handle(l, Frame.backupPut(id[0]++, cred, env), mailbox));

      byte[] a = credential(1);
      assertEquals(Frame.OK, put.run(link, a, envelope(65536, 1)).type());
      assertEquals(Frame.OK, put.run(link, a, envelope(65536, 2)).type());
      // a third 64 KiB envelope passes the space's bytes; a 1 KiB one fits; a fourth envelope passes its count
      assertLimit(put.run(link, a, envelope(65536, 3)));
      assertEquals(Frame.OK, put.run(link, a, envelope(1024, 3)).type());
      assertLimit(put.run(link, a, envelope(1024, 4)));
      // replacing an envelope held is no new envelope
      assertEquals(Frame.OK, put.run(link, a, envelope(1024, 3)).type());
      // another space: within its own quota, but the spaces together are full at 200,000 bytes
      byte[] b = credential(2);
      assertEquals(Frame.OK, put.run(link, b, envelope(16384, 1)).type());
      assertLimit(put.run(link, b, envelope(65536, 2)));
      // the prefix made 2 spaces today: a third is refused, another prefix's is not
      assertLimit(put.run(link, credential(3), envelope(1024, 1)));
      assertEquals(Frame.OK, put.run(other, credential(3), envelope(1024, 1)).type());
      nanos.addAndGet(Duration.ofHours(13).toNanos()); // half a day: one new space more
      assertEquals(Frame.OK, put.run(link, credential(4), envelope(1024, 1)).type());
      assertLimit(put.run(link, credential(5), envelope(1024, 1)));
      // nothing was evicted for room
      assertEquals(List.of(true, true, true), heldOf(backups, mailbox, link, a, List.of(tag(1), tag(2), tag(3))));

      // 399 days on, a keep renews two of them; a day later the third has expired, the two have not
      clock.advance(Duration.ofDays(399));
      assertEquals(List.of(true, true), heldOf(backups, mailbox, link, a, List.of(tag(1), tag(2))));
      clock.advance(Duration.ofDays(2));
      assertEquals(List.of(true, true, false), heldOf(backups, mailbox, link, a, List.of(tag(1), tag(2), tag(3))));
      assertEquals(Frame.DONE, one(backups.handle(link, Frame.backupTags(Frame.BACKUP_GET, id[0]++, a,
          List.of(tag(3))), mailbox)).type());
      assertTrue(backups.expire() > 0);
    }
  }

  private interface ThrowingPut {
    Frame run(NodeCore.LinkState link, byte[] credential, Envelope envelope) throws Exception;
  }

  private static List<Boolean> heldOf(BackupMailbox backups, Mailbox mailbox, NodeCore.LinkState link, byte[] cred,
      List<byte[]> tags) throws Exception {
    return one(backups.handle(link, Frame.backupTags(Frame.BACKUP_KEEP, 99, cred, tags), mailbox)).heldBody();
  }

  private static void assertLimit(Frame answer) throws Exception {
    assertEquals(Frame.ERROR, answer.type());
    assertEquals(ErrorCode.LIMIT_EXCEEDED.number(), answer.errorNumber());
  }
}
