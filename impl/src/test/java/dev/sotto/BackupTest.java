package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.backup.Chunks;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Backups (spec: backup.adoc): written, restored, incremental, and refused. */
class BackupTest {
  static final IdentitySeed SEED = IdentitySeed.generate(TestRandom.deterministic(bytes("alice")));
  static final BackupKeys KEYS = BackupKeys.of(SEED);
  static final Instant NOW = CardTest.NOW;
  /** Argon2id at its cheapest, for tests. */
  static final BackupProtection.Argon2 CHEAP = new BackupProtection.Argon2(8, 1, 1);

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static RandomSource random(String name) {
    return TestRandom.deterministic(bytes(name));
  }

  /** Contents with {@code contacts} contacts and {@code messages} messages of about {@code size} bytes each. */
  static BackupContents contents(int contacts, int messages, int size) {
    List<BackupContents.Contact> list = new ArrayList<>();
    for (int i = 0; i < contacts; i++) {
      Card card = CardTest.issue("contact " + i);
      list.add(new BackupContents.Contact(10 + i, card.identity(), "Contact " + i, i % 3 == 0 ? null : card,
          BackupContents.Status.values()[i % 3], i % 2 == 0, i % 5 == 0, NOW.getEpochSecond(), i, 2 * i,
          i % 2 == 0 ? OptionalLong.of(1_800_000_000L + i) : OptionalLong.empty(), OptionalLong.empty()));
    }
    List<BackupContents.Message> history = new ArrayList<>();
    for (int i = 0; i < messages; i++) {
      history.add(new BackupContents.Message(10 + i % Math.max(1, contacts), i % 2 == 0, i % 3 == 0,
          BackupContents.TEXT, i / 2, 1_800_000_000L + i, 1_800_000_001L + i, ("message " + i + " ").repeat(
              Math.max(1, size / 12))));
    }
    BackupContents.Builder b = BackupContents.builder()
        .contacts(List.of(CardTest.issue("alice")), list)
        .settings(Map.of("mailbox.0", bytes("mailbox:127.0.0.1:7401"), "theme", bytes("dark")));
    if (contacts > 0) {
      b.history(history);
    }
    return b.build();
  }

  static List<byte[]> encoded(List<Envelope> envelopes) {
    return envelopes.stream().map(Envelope::encoded).toList();
  }

  static BackupRestore.Restored restore(Backup backup) throws SottoException {
    return BackupRestore.restore(KEYS, List.of(backup.head().encoded()), encoded(backup.chunks()), null, null,
        random("device"));
  }

  @Test
  void aBackupRestoresToTheSameContents() throws SottoException {
    BackupContents contents = contents(5, 40, 100);
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    Backup backup = writer.write(contents, NOW);
    BackupRestore.Restored restored = restore(backup);
    assertEquals(contents, restored.contents());
    assertEquals(1, restored.manifest().counter());
    assertEquals(0, restored.manifest().generation());
    assertEquals(NOW, restored.manifest().created());
    assertEquals(1, backup.chunks().size());
    // the new lineage: generation 1, counter continuing
    assertEquals(1, restored.writer().next().generation());
    assertEquals(2, restored.writer().next().counter());
  }

  @Test
  void writingIsDeterministicAndDrawsNothing() {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    Backup a = writer.write(contents(3, 10, 50), NOW);
    Backup b = writer.write(contents(3, 10, 50), NOW);
    assertEquals(a.head(), b.head());
    assertEquals(a.chunks(), b.chunks());
  }

  @Test
  void partsAreOptional() throws SottoException {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    BackupContents empty = BackupContents.builder().build();
    Backup backup = writer.write(empty, NOW);
    assertEquals(0, backup.chunks().size());
    BackupContents restored = restore(backup).contents();
    assertFalse(restored.hasContacts() || restored.hasSettings() || restored.hasHistory());
    BackupContents settingsOnly = BackupContents.builder().settings(Map.of("a", new byte[0])).build();
    assertEquals(settingsOnly, restore(writer.write(settingsOnly, NOW)).contents());
    assertThrows(IllegalArgumentException.class,
        () -> BackupContents.builder().history(List.of()).build(), "history needs contacts");
  }

  @Test
  void aLargeHistoryIsChunkedAndAnIncrementalBackupUploadsOnlyWhatChanged() throws SottoException {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    BackupContents day1 = contents(20, 3000, 150);
    Backup first = writer.write(day1, NOW);
    assertTrue(first.chunks().size() > 5, "several chunks: " + first.chunks().size());
    for (Envelope e : first.chunks().subList(0, first.chunks().size() - 1)) {
      assertEquals(65536, e.length());
    }
    assertEquals(first.chunks(), first.newChunks());
    BackupContents day2 = contents(20, 3100, 150);
    Backup second = first.next().write(day2, NOW.plusSeconds(86400));
    assertEquals(2, second.manifest().counter());
    // nothing is sealed until asked for; the new chunks alone seal only themselves
    assertEquals(0, second.sealedCount());
    assertEquals(second.chunkCount(), second.chunkTags().size());
    assertTrue(second.newChunks().size() <= 3, "new chunks: " + second.newChunks().size());
    assertEquals(second.newChunks().size(), second.sealedCount());
    // a kept chunk, sealed when asked for, is the previous backup's envelope, byte for byte (spec: backup.adoc#backup-chunking)
    Set<String> firstTags = first.chunks().stream().map(e -> Bytes.hex(e.tag())).collect(Collectors.toSet());
    for (int i = 0; i < second.chunkCount(); i++) {
      if (!second.newChunkIndexes().contains(i)) {
        assertTrue(firstTags.contains(Bytes.hex(second.chunkTags().get(i))));
        assertEquals(first.chunks().get(first.chunks().stream().map(e -> Bytes.hex(e.tag())).toList()
            .indexOf(Bytes.hex(second.chunkTags().get(i)))), second.chunk(i));
        assertEquals(second.chunk(i).length(), (int) second.chunkLengths().get(i));
      }
    }
    assertEquals(day2, BackupRestore.restore(KEYS, List.of(second.head().encoded()),
        encoded(second.chunks()), null, null, random("d")).contents());
    Set<String> kept = second.chunks().stream().map(e -> Bytes.hex(e.tag())).collect(Collectors.toSet());
    for (byte[] tag : second.obsoleteTags()) {
      assertFalse(kept.contains(Bytes.hex(tag)));
    }
    assertEquals(first.chunks().size() + second.newChunks().size() - second.obsoleteTags().size(),
        second.chunks().size());
  }

  @Test
  void aRecordLongerThanAChunkIsCutInside() throws SottoException {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    BackupContents contents = contents(2, 4, 65_000);
    Backup backup = writer.write(contents, NOW);
    List<byte[]> data = backup.trace(InsecureSecretAccess.get()).chunkData();
    assertTrue(data.stream().anyMatch(d -> d.length == Chunks.MAX));
    assertEquals(contents, restore(backup).contents());
  }

  @Test
  void aPassphraseIsNeededAndAWrongOneIsRefusedBeforeAnyChunk() throws SottoException {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.passphrase("correct horse".toCharArray(), CHEAP),
        random("start"));
    BackupContents contents = contents(3, 5, 20);
    Backup backup = writer.write(contents, NOW);
    BackupManifest manifest = BackupManifest.open(KEYS, backup.head().encoded());
    assertEquals(CHEAP, manifest.passphrase().orElseThrow());
    List<byte[]> heads = List.of(backup.head().encoded());
    assertEquals(contents, BackupRestore.restore(KEYS, heads, encoded(backup.chunks()), null,
        "correct horse".toCharArray(), random("d")).contents());
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> BackupRestore.restore(KEYS, heads,
        List.of(), null, "wrong horse".toCharArray(), random("d"))).code());
    assertThrows(IllegalArgumentException.class,
        () -> BackupRestore.restore(KEYS, heads, encoded(backup.chunks()), null, null, random("d")));
    // NFC: a decomposed passphrase is the composed one
    BackupWriter nfc = BackupWriter.start(KEYS, BackupProtection.passphrase("caf\u00e9".toCharArray(), CHEAP),
        random("start"));
    Backup b = nfc.write(contents, NOW);
    assertEquals(contents, BackupRestore.restore(KEYS, List.of(b.head().encoded()), encoded(b.chunks()), null,
        "cafe\u0301".toCharArray(), random("d")).contents());
  }

  @Test
  void argon2ParametersOutOfBoundsAreRefusedByWriters() {
    assertThrows(IllegalArgumentException.class, () -> new BackupProtection.Argon2(7, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new BackupProtection.Argon2(1_048_577, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new BackupProtection.Argon2(65_536, 33, 1));
    assertThrows(IllegalArgumentException.class, () -> new BackupProtection.Argon2(1_048_576, 3, 1));
    assertThrows(IllegalArgumentException.class, () -> new BackupProtection.Argon2(64, 1, 5));
    assertThrows(IllegalArgumentException.class, () -> new BackupProtection.Argon2(16, 1, 4));
    new BackupProtection.Argon2(1_048_576, 2, 4);
    new BackupProtection.Argon2(32, 16, 4);
    assertThrows(IllegalArgumentException.class, () -> BackupProtection.passphrase(new char[0]));
  }

  @Test
  void anotherIdentityOpensNothing() {
    Backup backup = BackupWriter.start(KEYS, BackupProtection.none(), random("start")).write(contents(2, 2, 10), NOW);
    BackupKeys other = BackupKeys.of(IdentitySeed.generate(random("mallory")));
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
        () -> BackupManifest.open(other, backup.head().encoded())).code());
    byte[] retagged = backup.head().encoded();
    System.arraycopy(other.headTag(), 0, retagged, 1, 16);
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
        () -> BackupManifest.open(other, retagged)).code());
  }

  @Test
  void everySingleBitFlipOfAChunkOrHeadIsRefused() throws SottoException {
    Backup backup = BackupWriter.start(KEYS, BackupProtection.none(), random("start")).write(contents(2, 3, 10), NOW);
    byte[] head = backup.head().encoded();
    byte[] chunk = backup.chunks().get(0).encoded();
    for (int bit = 0; bit < 8 * 80; bit += 7) {
      byte[] h = head.clone();
      h[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(SottoException.class, () -> BackupManifest.open(KEYS, h));
      byte[] c = chunk.clone();
      c[bit / 8] ^= (byte) (1 << (bit % 8));
      ErrorCode code = assertThrows(SottoException.class, () -> BackupRestore.restore(KEYS, List.of(head),
          List.of(c), null, null, random("d"))).code();
      assertTrue(Set.of(ErrorCode.AUTH_FAILED, ErrorCode.TRUNCATED, ErrorCode.UNSUPPORTED_VERSION).contains(code),
          code.name());
    }
  }

  @Test
  void aMissingChunkIsTruncatedAndACorruptCopyIsPassedOverForAGoodOne() throws SottoException {
    Backup backup = BackupWriter.start(KEYS, BackupProtection.none(), random("start")).write(contents(2, 3, 10), NOW);
    List<byte[]> heads = List.of(backup.head().encoded());
    assertEquals(ErrorCode.TRUNCATED, assertThrows(SottoException.class,
        () -> BackupRestore.restore(KEYS, heads, List.of(), null, null, random("d"))).code());
    byte[] bad = backup.chunks().get(0).encoded();
    bad[100] ^= 1;
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
        () -> BackupRestore.restore(KEYS, heads, List.of(bad), null, null, random("d"))).code());
    BackupRestore.restore(KEYS, heads, List.of(bad, backup.chunks().get(0).encoded()), null, null, random("d"));
  }

  @Test
  void theNewestHeadWinsAndAnOlderOneBelowTheFloorIsARollback() throws SottoException {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    Backup first = writer.write(contents(2, 3, 10), NOW);
    Backup second = first.next().write(contents(2, 5, 10), NOW.plusSeconds(60));
    List<byte[]> chunks = new ArrayList<>(encoded(first.chunks()));
    chunks.addAll(encoded(second.chunks()));
    BackupRestore.Restored r = BackupRestore.restore(KEYS, List.of(first.head().encoded(), second.head().encoded()),
        chunks, null, null, random("d"));
    assertEquals(2, r.manifest().counter());
    BackupRestore.Rollback rollback = assertThrows(BackupRestore.Rollback.class, () -> BackupRestore.restore(KEYS,
        List.of(first.head().encoded()), chunks, second.manifest().rank(), null, random("d")));
    assertEquals(ErrorCode.REPLAY, rollback.code());
    assertEquals(1, rollback.refused().counter());
    assertEquals(2, rollback.floor().counter());
    assertFalse(rollback.getMessage().contains("1"), rollback.getMessage());
    // the floor itself restores
    BackupRestore.restore(KEYS, List.of(second.head().encoded()), chunks, second.manifest().rank(), null,
        random("d"));
  }

  @Test
  void aRestoredLineageSupersedesTheOldAndTiesGoToTheGreaterDevice() throws SottoException {
    BackupWriter old = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    Backup backup = old.write(contents(2, 3, 10), NOW);
    BackupRestore.Restored b = restore(backup);
    BackupRestore.Restored c = BackupRestore.restore(KEYS, List.of(backup.head().encoded()),
        encoded(backup.chunks()), null, null, random("other device"));
    Backup claimB = b.writer().write(b.contents(), NOW.plusSeconds(10));
    Backup claimC = c.writer().write(c.contents(), NOW.plusSeconds(10));
    assertTrue(claimB.newChunks().isEmpty(), "a claim uploads only its head");
    assertTrue(claimB.manifest().supersedes(backup.next().next()));
    assertTrue(claimB.manifest().supersedes(backup.manifest().rank()));
    boolean bWins = claimB.manifest().rank().compareLineage(claimC.manifest().rank()) > 0;
    assertEquals(bWins, claimB.manifest().supersedes(c.writer().next()));
    assertEquals(!bWins, claimC.manifest().supersedes(b.writer().next()));
    // the old lineage's later backups never supersede the new one
    Backup later = backup.next().write(contents(2, 9, 10), NOW.plusSeconds(99));
    assertFalse(later.manifest().supersedes(b.writer().next()));
  }

  @Test
  void theFileHoldsTheWholeBackup() throws SottoException {
    BackupContents contents = contents(4, 50, 30);
    Backup backup = BackupWriter.start(KEYS, BackupProtection.none(), random("start")).write(contents, NOW);
    BackupFile file = BackupFile.parse(backup.file());
    assertArrayEquals(backup.head().encoded(), file.head());
    assertEquals(contents, BackupRestore.restore(KEYS, List.of(file.head()), file.chunks(), null, null,
        random("d")).contents());
    byte[] longer = java.util.Arrays.copyOf(backup.file(), backup.file().length + 1);
    assertEquals(ErrorCode.TRAILING_DATA, assertThrows(SottoException.class, () -> BackupFile.parse(longer)).code());
  }

  @Test
  void aWriterSerialisesAndComesBack() throws SottoException {
    BackupWriter writer = BackupWriter.start(KEYS, BackupProtection.passphrase("pass".toCharArray(), CHEAP),
        random("start"));
    Backup first = writer.write(contents(2, 3, 10), NOW);
    BackupWriter back = BackupWriter.deserialize(KEYS, first.next().serialize());
    assertEquals(first.next().next(), back.next());
    Backup a = first.next().write(contents(2, 4, 10), NOW);
    Backup b = back.write(contents(2, 4, 10), NOW);
    assertEquals(a.head(), b.head());
    assertFalse(writer.toString().contains("pass"));
    assertFalse(KEYS.toString().contains(Bytes.hex(KEYS.headTag())));
  }

  @Test
  void aLineageTakesAPassphraseKeepsItAndDropsIt() throws SottoException {
    BackupWriter plain = BackupWriter.start(KEYS, BackupProtection.none(), random("start"));
    Backup first = plain.write(contents(2, 3, 10), NOW);
    BackupWriter locked = first.next().protectedBy(BackupProtection.passphrase("pass".toCharArray(), CHEAP));
    assertFalse(first.next().hasPassphrase());
    assertTrue(locked.hasPassphrase());
    assertEquals(first.next().next(), locked.next()); // the same lineage, the next counter
    Backup second = locked.write(contents(2, 3, 10), NOW);
    // a new key: every chunk is new, and every chunk of the first backup is obsolete
    assertEquals(second.chunks().size(), second.newChunks().size());
    assertEquals(first.chunks().size(), second.obsoleteTags().size());
    assertTrue(second.manifest().passphrase().isPresent());
    // the passphrase stays with the lineage (through the stored state) until it is dropped
    Backup third = BackupWriter.deserialize(KEYS, second.next().serialize()).write(contents(2, 4, 10), NOW);
    assertTrue(third.manifest().passphrase().isPresent());
    SottoException wrong = assertThrows(SottoException.class, () -> BackupRestore.restore(KEYS,
        List.of(third.head().encoded()), encoded(third.chunks()), null, "other".toCharArray(), random("device")));
    assertEquals(ErrorCode.AUTH_FAILED, wrong.code());
    assertEquals(contents(2, 4, 10).history(), BackupRestore.restore(KEYS, List.of(third.head().encoded()),
        encoded(third.chunks()), null, "pass".toCharArray(), random("device")).contents().history());
    Backup fourth = third.next().protectedBy(BackupProtection.none()).write(contents(2, 4, 10), NOW);
    assertTrue(fourth.manifest().passphrase().isEmpty());
    assertEquals(contents(2, 4, 10).history(), restore(fourth).contents().history());
  }

  @Test
  void aRefusedRestoreDrawsNothing() {
    Backup backup = BackupWriter.start(KEYS, BackupProtection.none(), random("start")).write(contents(2, 3, 10), NOW);
    TestRandom.Replay none = TestRandom.replay(new byte[0]);
    assertThrows(SottoException.class, () -> BackupRestore.restore(KEYS, List.of(backup.head().encoded()), List.of(),
        null, null, none));
  }
}
