package dev.sotto.benchmarks;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ChaCha20-Poly1305 through each backend of {@code Aead} (Bouncy Castle's pure Java, this project's
 * pure Java ({@code JAVA}: 64-bit Poly1305 limbs, keystream XORed in place), and the JDK's
 * SunJCE cipher, forced even where the runtime would not choose it), sealing and opening
 * {@code length} bytes with 32 bytes of AAD, and through the backend the runtime chooses
 * ({@code sealChosen}, {@code openChosen}). On JDK 20 and later the JDK's ChaCha20 and Poly1305
 * are intrinsified; on JDK 17 they are not, and the runtime keeps the pure Java backend. Run it under
 * both (JAVA_HOME) to see the difference that {@code Aead.JDK_THRESHOLD} is chosen from.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class AeadBenchmark {
  @Param({"1024", "2048", "16384", "65536"})
  int length;

  byte[] key;
  byte[] nonce;
  byte[] aad;
  byte[] plaintext;
  byte[] sealed;

  @Setup
  public void setUp() throws SottoException {
    RandomSource random = Fixtures.random("aead");
    key = random.bytes(Aead.KEY_LENGTH);
    nonce = random.bytes(Aead.NONCE_LENGTH);
    aad = random.bytes(32);
    plaintext = random.bytes(length);
    sealed = Aead.seal(Aead.Backend.BOUNCY_CASTLE, key, nonce, aad, plaintext);
    Fixtures.check(Arrays.equals(sealed, Aead.seal(Aead.Backend.JDK, key, nonce, aad, plaintext)),
        "the backends agree");
    Fixtures.check(Arrays.equals(sealed, Aead.seal(Aead.Backend.JAVA, key, nonce, aad, plaintext)),
        "the pure Java backend agrees");
    Fixtures.check(Arrays.equals(plaintext, Aead.open(Aead.Backend.JDK, key, nonce, aad, sealed)), "round trip");
  }

  @Benchmark
  public byte[] sealBouncyCastle() {
    return Aead.seal(Aead.Backend.BOUNCY_CASTLE, key, nonce, aad, plaintext);
  }

  @Benchmark
  public byte[] sealJava() {
    return Aead.seal(Aead.Backend.JAVA, key, nonce, aad, plaintext);
  }

  @Benchmark
  public byte[] sealJdk() {
    return Aead.seal(Aead.Backend.JDK, key, nonce, aad, plaintext);
  }

  @Benchmark
  public byte[] sealChosen() {
    return Aead.seal(key, nonce, aad, plaintext);
  }

  @Benchmark
  public byte[] openBouncyCastle() throws SottoException {
    return Aead.open(Aead.Backend.BOUNCY_CASTLE, key, nonce, aad, sealed);
  }

  @Benchmark
  public byte[] openJava() throws SottoException {
    return Aead.open(Aead.Backend.JAVA, key, nonce, aad, sealed);
  }

  @Benchmark
  public byte[] openJdk() throws SottoException {
    return Aead.open(Aead.Backend.JDK, key, nonce, aad, sealed);
  }

  @Benchmark
  public byte[] openChosen() throws SottoException {
    return Aead.open(key, nonce, aad, sealed);
  }
}
