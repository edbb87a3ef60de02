package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Backup;
import dev.sotto.BackupContents;
import dev.sotto.BackupKeys;
import dev.sotto.BackupManifest;
import dev.sotto.BackupProtection;
import dev.sotto.BackupRestore;
import dev.sotto.BackupWriter;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.InsecureSecretAccess;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.backup.Chunks;
import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.backup.SeedKeys;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of backups (spec: backup.adoc): a backup restores to what was backed up; any single
 * bit changed in a head or a chunk is refused, and the refusal draws nothing; another identity opens
 * nothing; the newest head wins and one below the floor is a rollback; a backup after new messages
 * keeps every chunk but the last; Argon2id parameters are accepted exactly within their bounds.
 */
class BackupProperties {
  private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);
  private static final BackupProtection.Argon2 CHEAP = new BackupProtection.Argon2(8, 1, 1);
  private static final String[] WORDS = {"hello", "Zoë", "👋", "李", "ok", "see you at 8", "ñandú", "\u0000", " ", "é"};

  private static RandomSource source(long seed) {
    return TestRandom.deterministic(("backup properties " + seed).getBytes(StandardCharsets.US_ASCII));
  }

  private static BackupKeys keys(long seed) {
    return BackupKeys.of(IdentitySeed.generate(source(seed)));
  }

  private static Card card(RandomSource random) {
    Identity identity = Identity.fromSeed(IdentitySeed.generate(random));
    return Card.builder(identity).validity(NOW, NOW.plusSeconds(86_400))
        .address(Address.mailbox("m.example", 7401, dev.sotto.internal.crypto.X25519.publicKey(random.bytes(32))))
        .issue(random);
  }

  private static String text(Random r, int words) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < words; i++) {
      b.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
    }
    return b.toString();
  }

  /** Contents of {@code contacts} contacts and {@code messages} messages, drawn from {@code seed}. */
  static BackupContents contents(long seed, int contacts, int messages, int words) {
    RandomSource random = source(seed ^ 0x5eed);
    Random r = new Random(seed);
    List<BackupContents.Contact> list = new ArrayList<>();
    for (int i = 0; i < contacts; i++) {
      Card c = card(random);
      list.add(new BackupContents.Contact(r.nextInt(1000) * 10L + i, c.identity(), text(r, 1 + r.nextInt(3)).trim()
          .isEmpty() ? "x" : truncate(text(r, 1 + r.nextInt(3))), r.nextBoolean() ? c : null,
          BackupContents.Status.values()[r.nextInt(3)], r.nextBoolean(), r.nextBoolean(),
          r.nextInt(1 << 30), r.nextInt(1 << 20), r.nextInt(1 << 20),
          r.nextBoolean() ? OptionalLong.of(r.nextInt(1 << 30)) : OptionalLong.empty(),
          r.nextBoolean() ? OptionalLong.of(r.nextInt(1 << 30)) : OptionalLong.empty()));
    }
    BackupContents.Builder b = BackupContents.builder();
    if (contacts > 0 || r.nextBoolean()) {
      b.contacts(r.nextBoolean() ? List.of() : List.of(), list);
    }
    if (r.nextBoolean()) {
      TreeMap<String, byte[]> settings = new TreeMap<>();
      for (int i = 0; i < r.nextInt(5); i++) {
        byte[] value = new byte[r.nextInt(100)];
        r.nextBytes(value);
        settings.put("key." + r.nextInt(100), value);
      }
      b.settings(settings);
    }
    if (contacts > 0) {
      List<BackupContents.Message> history = new ArrayList<>();
      for (int i = 0; i < messages; i++) {
        history.add(message(r, list.get(r.nextInt(contacts)).id(), i, words));
      }
      b.history(history);
    }
    return b.build();
  }

  private static String truncate(String name) {
    String t = name.trim();
    while (t.getBytes(StandardCharsets.UTF_8).length > 64 || t.isEmpty()) {
      t = t.isEmpty() ? "x" : t.substring(0, t.length() / 2).trim();
      if (Character.isHighSurrogate(t.isEmpty() ? 'x' : t.charAt(t.length() - 1))) {
        t = t.substring(0, t.length() - 1);
      }
    }
    return t;
  }

  private static BackupContents.Message message(Random r, long contact, int seq, int words) {
    return new BackupContents.Message(contact, r.nextBoolean(), r.nextBoolean(),
        r.nextInt(10) == 0 ? BackupContents.HELLO : BackupContents.TEXT, seq, 1_800_000_000L + seq,
        1_800_000_000L + seq + r.nextInt(100), text(r, r.nextInt(words + 1)));
  }

  private static List<byte[]> encoded(List<Envelope> envelopes) {
    return envelopes.stream().map(Envelope::encoded).toList();
  }

  private static BackupRestore.Restored restore(BackupKeys keys, Backup b, char[] passphrase) throws SottoException {
    return BackupRestore.restore(keys, List.of(b.head().encoded()), encoded(b.chunks()), null, passphrase,
        source(99));
  }

  @Property(tries = 40)
  void aBackupRestoresToWhatWasBackedUp(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 0, max = 5) int contacts, @ForAll @IntRange(min = 0, max = 400) int messages,
      @ForAll @IntRange(min = 0, max = 60) int words, @ForAll boolean passphrase) throws SottoException {
    BackupKeys keys = keys(seed);
    BackupContents contents = contents(seed, contacts, messages, words);
    BackupProtection protection = passphrase ? BackupProtection.passphrase(("p" + seed).toCharArray(), CHEAP)
        : BackupProtection.none();
    Backup backup = BackupWriter.start(keys, protection, source(seed)).write(contents, NOW);
    BackupRestore.Restored r = restore(keys, backup, passphrase ? ("p" + seed).toCharArray() : null);
    assertEquals(contents, r.contents());
    assertEquals(contents.contacts(), r.contents().contacts());
    assertEquals(contents.history(), r.contents().history());
    assertEquals(1, r.manifest().counter());
    // the file holds the same backup
    dev.sotto.BackupFile file = dev.sotto.BackupFile.parse(backup.file());
    assertEquals(contents, BackupRestore.restore(keys, List.of(file.head()), file.chunks(), null,
        passphrase ? ("p" + seed).toCharArray() : null, source(1)).contents());
  }

  @Property(tries = 300)
  void anySingleBitChangedInAHeadOrAChunkIsRefusedAndDrawsNothing(@ForAll @LongRange(min = 0, max = 50) long seed,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where, @ForAll boolean inHead) {
    BackupKeys keys = keys(seed);
    Backup backup = BackupWriter.start(keys, BackupProtection.none(), source(seed))
        .write(contents(seed, 2, 30 + (int) seed * 10, 20), NOW);
    Assume.that(!backup.chunks().isEmpty());
    List<byte[]> chunks = new ArrayList<>(encoded(backup.chunks()));
    byte[] head = backup.head().encoded();
    byte[] target = inHead ? head : chunks.get(where % chunks.size());
    int bit = (where / 7) % (target.length * 8);
    target[bit / 8] ^= (byte) (1 << (bit % 8));
    TestRandom.Replay none = TestRandom.replay(new byte[0]);
    assertThrows(SottoException.class, () -> BackupRestore.restore(keys, List.of(head), chunks, null, null, none));
  }

  @Property(tries = 60)
  void anotherIdentityOpensNothing(@ForAll @LongRange(min = 0, max = 1_000_000) long a,
      @ForAll @LongRange(min = 0, max = 1_000_000) long b) {
    Assume.that(a != b);
    Backup backup = BackupWriter.start(keys(a), BackupProtection.none(), source(a)).write(contents(a, 1, 3, 3), NOW);
    BackupKeys other = keys(b);
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class,
        () -> BackupManifest.open(other, backup.head().encoded())).code());
    byte[] retagged = backup.head().encoded();
    System.arraycopy(other.headTag(), 0, retagged, 1, 16);
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
        () -> BackupManifest.open(other, retagged)).code());
  }

  @Property(tries = 40)
  void theNewestHeadWinsInAnyOrderAndOneBelowTheFloorIsARollback(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 2, max = 6) int backups, @ForAll @IntRange(min = 0, max = 100) int older)
      throws SottoException {
    BackupKeys keys = keys(seed);
    BackupWriter writer = BackupWriter.start(keys, BackupProtection.none(), source(seed));
    List<Backup> all = new ArrayList<>();
    for (int i = 0; i < backups; i++) {
      Backup b = writer.write(contents(seed, 1, i, 2), NOW.plusSeconds(i));
      all.add(b);
      writer = b.next();
    }
    List<byte[]> heads = new ArrayList<>(all.stream().map(b -> b.head().encoded()).toList());
    Collections.shuffle(heads, new Random(seed));
    BackupRestore.Restored r = BackupRestore.restore(keys, heads, encoded(all.get(backups - 1).chunks()), null, null,
        source(1));
    assertEquals(backups, r.manifest().counter());
    Backup old = all.get(older % (backups - 1));
    BackupRestore.Rollback e = assertThrows(BackupRestore.Rollback.class, () -> BackupRestore.restore(keys,
        List.of(old.head().encoded()), encoded(old.chunks()), all.get(backups - 1).manifest().rank(), null,
        source(1)));
    assertEquals(ErrorCode.REPLAY, e.code());
    assertEquals(old.manifest().counter(), e.refused().counter());
  }

  @Property(tries = 12)
  void aBackupAfterNewMessagesKeepsEveryChunkButTheLast(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 1000, max = 3000) int messages, @ForAll @IntRange(min = 1, max = 200) int added)
      throws SottoException {
    BackupKeys keys = keys(seed);
    BackupContents before = contents(seed, 3, messages + added, 20);
    List<BackupContents.Message> earlier = before.history().subList(0, messages);
    BackupContents.Builder builder = BackupContents.builder().contacts(before.ownCards(), before.contacts())
        .history(earlier);
    if (before.hasSettings()) {
      builder.settings(before.settings());
    }
    BackupContents first = builder.build();
    Backup one = BackupWriter.start(keys, BackupProtection.none(), source(seed)).write(first, NOW);
    Backup two = one.next().write(before, NOW.plusSeconds(86_400));
    List<byte[]> oldData = one.trace(InsecureSecretAccess.get()).chunkData();
    Set<String> newTags = new HashSet<>();
    two.newChunks().forEach(e -> newTags.add(Bytes.hex(e.tag())));
    Set<String> kept = new HashSet<>();
    two.chunks().forEach(e -> kept.add(Bytes.hex(e.tag())));
    for (int i = 0; i < one.chunks().size() - 1; i++) {
      assertTrue(kept.contains(Bytes.hex(one.chunks().get(i).tag())), "chunk " + i + " of " + one.chunks().size());
      assertFalse(newTags.contains(Bytes.hex(one.chunks().get(i).tag())));
    }
    assertTrue(two.obsoleteTags().size() <= 1);
    long uploaded = 0;
    for (Envelope e : two.newChunks()) {
      uploaded += e.length();
    }
    long appended = 0;
    List<byte[]> records = two.trace(InsecureSecretAccess.get()).records();
    for (int i = records.size() - added; i < records.size(); i++) {
      appended += records.get(i).length;
    }
    long lastOld = oldData.isEmpty() ? 0 : oldData.get(oldData.size() - 1).length;
    long newData = 0;
    for (byte[] d : two.trace(InsecureSecretAccess.get()).chunkData()) {
      newData += d.length;
    }
    long uploadedData = 0;
    List<byte[]> data = two.trace(InsecureSecretAccess.get()).chunkData();
    for (int i = 0; i < data.size(); i++) {
      if (newTags.contains(Bytes.hex(keys.chunkTag(two.trace(InsecureSecretAccess.get()).chunkIds().get(i))))) {
        uploadedData += data.get(i).length;
      }
    }
    assertTrue(uploadedData <= lastOld + appended, uploadedData + " > " + lastOld + " + " + appended);
    assertTrue(uploaded < 65_536L * (2 + appended / Chunks.MIN), "uploaded " + uploaded);
    assertEquals(before, BackupRestore.restore(keys, List.of(two.head().encoded()), encoded(two.chunks()), null, null,
        source(1)).contents());
    assertTrue(newData > 0);
  }

  @Property(tries = 500)
  void argon2ParametersAreAcceptedExactlyWithinTheirBounds(@ForAll @LongRange(min = 0, max = 3_000_000) long memory,
      @ForAll @LongRange(min = 0, max = 40) long iterations, @ForAll @IntRange(min = 0, max = 8) int parallelism) {
    boolean within = parallelism >= 1 && parallelism <= 4 && memory >= 8L * parallelism && memory <= 1_048_576
        && iterations >= 1 && iterations <= 16 && memory * iterations <= 2_097_152;
    boolean constructed;
    try {
      new BackupProtection.Argon2((int) memory, (int) iterations, parallelism);
      constructed = true;
    } catch (IllegalArgumentException e) {
      constructed = false;
    }
    assertEquals(within, constructed);
    if (!within) {
      // A manifest that asks for them is refused before Argon2id runs.
      byte[] seed = new byte[32];
      SeedKeys k = new SeedKeys(seed);
      byte[] head = new Manifest(0, new byte[16], 1, NOW.getEpochSecond(), 0,
          new Manifest.Passphrase(memory, iterations, parallelism, new byte[16]), List.of()).seal(k);
      BackupKeys keys = BackupKeys.of(IdentitySeed.fromBytes(seed));
      assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class, () -> BackupRestore.restore(keys,
          List.of(head), List.of(), null, "p".toCharArray(), source(1))).code());
    }
  }

  @Property(tries = 30)
  void writingIsDeterministicAndTheWriterStateComesBack(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @Size(max = 3) List<@IntRange(min = 0, max = 50) Integer> extra) throws SottoException {
    BackupKeys keys = keys(seed);
    BackupWriter writer = BackupWriter.start(keys, BackupProtection.none(), source(seed));
    Backup a = writer.write(contents(seed, 2, 20, 5), NOW);
    BackupWriter back = BackupWriter.deserialize(keys, a.next().serialize());
    BackupContents next = contents(seed, 2, 20 + extra.size(), 5);
    assertArrayEquals(a.next().write(next, NOW).head().encoded(), back.write(next, NOW).head().encoded());
  }
}
