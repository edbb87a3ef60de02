package dev.sotto.benchmarks;

import dev.sotto.Backup;
import dev.sotto.BackupContents;
import dev.sotto.BackupKeys;
import dev.sotto.BackupProtection;
import dev.sotto.BackupRestore;
import dev.sotto.BackupWriter;
import dev.sotto.Envelope;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Backups (spec: backup.adoc) of a history of 100,000 messages across 200 contacts (texts of 10 to
 * 300 characters, 155 on average: about 20 MiB of records), through the library's writer and
 * restorer, in one thread.
 *
 * <ul>
 *   <li>{@code writeWhole}: the first backup of a lineage: every record encoded, cut, every chunk
 *       sealed (as a mailbox that holds none of them, or a file, needs).
 *   <li>{@code writeAfter100}: the next backup after 100 new messages: every record encoded and cut
 *       again and every chunk's id computed (a keyed hash of its data), but only the chunks the
 *       previous backup did not have are sealed (what a mailbox that holds the others is sent).
 *   <li>{@code restoreWhole}: opening the head and every chunk and reading the records back.
 * </ul>
 *
 * The setup prints the sizes (records, chunks, what the incremental backup uploads) once per fork.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class BackupBenchmark {
  static final int CONTACTS = 200;
  static final int MESSAGES = 100_000;

  private BackupKeys keys;
  private BackupWriter fresh;
  private BackupWriter afterFirst;
  private BackupContents contents;
  private BackupContents plus100;
  private List<byte[]> heads;
  private List<byte[]> chunks;

  static BackupContents history(int messages, List<BackupContents.Contact> contacts) {
    Random r = new Random(16);
    List<BackupContents.Message> history = new ArrayList<>(messages);
    long[] seqIn = new long[CONTACTS];
    long[] seqOut = new long[CONTACTS];
    for (int i = 0; i < messages; i++) {
      int c = r.nextInt(CONTACTS);
      boolean in = r.nextBoolean();
      long seq = in ? seqIn[c]++ : seqOut[c]++;
      String text = "m".repeat(10 + r.nextInt(291));
      history.add(new BackupContents.Message(c, in, true, BackupContents.TEXT, seq, 1_780_000_000L + i,
          1_780_000_000L + i, text));
    }
    return BackupContents.builder().contacts(List.of(), contacts).settings(Map.of()).history(history).build();
  }

  @Setup
  public void setUp() throws SottoException {
    RandomSource random = TestRandom.deterministic(new byte[] {'b', 'k'});
    keys = BackupKeys.of(IdentitySeed.generate(random));
    List<BackupContents.Contact> contacts = new ArrayList<>();
    for (int i = 0; i < CONTACTS; i++) {
      Identity id = Identity.fromSeed(IdentitySeed.generate(random));
      contacts.add(new BackupContents.Contact(i, id.publicIdentity(), "contact-" + i, null,
          BackupContents.Status.CONTACT, false, false, 1_780_000_000L, 500, 500, OptionalLong.empty(),
          OptionalLong.empty()));
    }
    contents = history(MESSAGES, contacts);
    plus100 = history(MESSAGES + 100, contacts); // the same generator: the first 100,000 are the same messages
    fresh = BackupWriter.start(keys, BackupProtection.none(), random);
    Backup first = fresh.write(contents, Instant.ofEpochSecond(1_790_000_000L));
    afterFirst = first.next();
    Backup second = afterFirst.write(plus100, Instant.ofEpochSecond(1_790_086_400L));
    heads = List.of(first.head().encoded());
    chunks = first.chunks().stream().map(Envelope::encoded).toList();
    long texts = contents.history().stream().mapToLong(m -> m.text().length()).sum();
    long whole = first.chunks().stream().mapToLong(Envelope::length).sum() + first.head().length();
    long increment = second.newChunks().stream().mapToLong(Envelope::length).sum() + second.head().length();
    System.out.printf("%nbackup of %,d messages (%,d bytes of text), %d contacts: %d chunks, %,d bytes with the head;"
        + " after 100 more: %d new chunks, %,d bytes uploaded with the head%n", MESSAGES, texts, CONTACTS,
        first.chunks().size(), whole, second.newChunks().size(), increment);
    System.out.printf("the second backup sealed %d of its %d chunks%n", second.sealedCount(), second.chunkCount());
  }

  @Benchmark
  public List<Envelope> writeWhole() {
    return fresh.write(contents, Instant.ofEpochSecond(1_790_000_000L)).chunks();
  }

  @Benchmark
  public List<Envelope> writeAfter100() {
    return afterFirst.write(plus100, Instant.ofEpochSecond(1_790_086_400L)).newChunks();
  }

  @Benchmark
  public BackupRestore.Restored restoreWhole() throws SottoException {
    return BackupRestore.restore(keys, heads, chunks, null, null, TestRandom.deterministic(new byte[] {'r'}));
  }
}
