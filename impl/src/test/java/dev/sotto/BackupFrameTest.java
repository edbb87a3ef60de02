package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backup class's frames (spec: transport.adoc#backup-class), written and read. */
class BackupFrameTest {
  @Test
  void putAndTagsAndHeldRoundTrip() throws SottoException {
    Backup backup = BackupWriter.start(BackupTest.KEYS, BackupProtection.none(), BackupTest.random("f"))
        .write(BackupTest.contents(1, 1, 10), BackupTest.NOW);
    byte[] credential = BackupTest.KEYS.credential(CardTest.linkKey("mailbox"));
    Frame put = Frame.backupPut(3, credential, backup.head());
    assertArrayEquals(credential, put.backupPutBody().credential());
    assertEquals(backup.head(), put.backupPutBody().envelope());
    byte[] tag = backup.head().tag();
    for (int type : new int[] {Frame.BACKUP_GET, Frame.BACKUP_KEEP, Frame.BACKUP_DELETE}) {
      Frame f = Frame.backupTags(type, 4, credential, List.of(tag, tag));
      assertEquals(2, f.backupTagsBody().tags().size());
    }
    List<Boolean> bits = new ArrayList<>();
    for (int i = 0; i < 13; i++) {
      bits.add(i % 4 == 1);
    }
    assertEquals(bits, Frame.held(5, bits).heldBody());
    assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class,
        () -> Frame.of(Frame.HELD, 1, new byte[] {0, 1, (byte) 0xc0}).heldBody()).code());
    assertThrows(IllegalArgumentException.class, () -> Frame.backupTags(Frame.FETCH, 1, credential, List.of(tag)));
  }

  @Test
  void credentialsDifferPerMailboxAndPerSeed() {
    byte[] a = BackupTest.KEYS.credential(CardTest.linkKey("one"));
    byte[] b = BackupTest.KEYS.credential(CardTest.linkKey("two"));
    byte[] c = BackupKeys.of(IdentitySeed.generate(BackupTest.random("bob"))).credential(CardTest.linkKey("one"));
    assertEquals(3, java.util.Set.of(java.util.HexFormat.of().formatHex(a), java.util.HexFormat.of().formatHex(b),
        java.util.HexFormat.of().formatHex(c)).size());
  }
}
