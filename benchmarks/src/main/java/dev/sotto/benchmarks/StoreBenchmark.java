package dev.sotto.benchmarks;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.Vault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor of {@link NodeBenchmark}: one durable store commit (SQLite, WAL, synchronous=FULL:
 * one fsync), here a sealed 100-byte value. Delivering one message costs four such commits in a
 * row: the sender queues it, seals it, the receiver commits it before answering OK, and the
 * sender removes it from its outbox.
 */
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class StoreBenchmark {
  private Path dir;
  private Store store;
  private final byte[] value = new byte[100];

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("sotto-store-bench");
    store = Store.open(dir, Vault.storeKey(IdentitySeed.generate(RandomSource.secure())));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    NodeFixtures.deleteTree(dir);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void commit() throws Exception {
    store.write(tx -> {
      tx.put("value", value);
      return null;
    });
  }
}
