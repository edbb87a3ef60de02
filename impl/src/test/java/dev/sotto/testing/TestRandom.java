package dev.sotto.testing;

import dev.sotto.RandomSource;
import java.util.Objects;
import org.bouncycastle.crypto.engines.ChaCha7539Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.digests.SHA256Digest;

/**
 * Reproducible {@link RandomSource}s for tests and vector generation only. They live in the
 * implementation's test artifact (the {@code sotto-impl} test-jar), not in the library, so that
 * production code cannot pick them by mistake: production code uses {@link RandomSource#secure()}.
 */
public final class TestRandom {
  private TestRandom() {}

  /**
   * A deterministic stream for tests and vector generation only: the ChaCha20 (RFC 8439)
   * keystream under key SHA-256("sotto/v1/test-random" || seed), nonce zero, counter from
   * zero. Never use it for real keys.
   */
  public static RandomSource deterministic(byte[] seed) {
    Objects.requireNonNull(seed, "seed");
    SHA256Digest sha = new SHA256Digest();
    byte[] label = "sotto/v1/test-random".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    sha.update(label, 0, label.length);
    sha.update(seed, 0, seed.length);
    byte[] key = new byte[32];
    sha.doFinal(key, 0);
    ChaCha7539Engine engine = new ChaCha7539Engine();
    engine.init(true, new ParametersWithIV(new KeyParameter(key), new byte[12]));
    java.util.Arrays.fill(key, (byte) 0);
    return out -> {
      synchronized (engine) {
        byte[] zeros = new byte[out.length];
        engine.processBytes(zeros, 0, zeros.length, out, 0);
      }
    };
  }

  /**
   * A source for tests and vector checks only that hands out exactly the given bytes, in order,
   * and fails when they run out or when some are left unused at {@link Replay#assertExhausted()}.
   * Vectors record every random value an operation drew; this replays them.
   */
  public static Replay replay(byte[] bytes) {
    return new Replay(bytes);
  }

  /** A {@link RandomSource} that replays recorded bytes; see {@link TestRandom#replay}. */
  public static final class Replay implements RandomSource {
    private final byte[] bytes;
    private int position;

    private Replay(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      if (bytes.length - position < out.length) {
        throw new IllegalStateException(
            "replayed randomness exhausted: " + out.length + " bytes wanted, " + (bytes.length - position) + " left");
      }
      System.arraycopy(bytes, position, out, 0, out.length);
      position += out.length;
    }

    /** Fails if some recorded bytes were not drawn. */
    public void assertExhausted() {
      if (position != bytes.length) {
        throw new IllegalStateException("replayed randomness not used up: " + (bytes.length - position) + " bytes left");
      }
    }

    @Override
    public String toString() {
      return "TestRandom.Replay[" + bytes.length + " bytes]";
    }
  }
}
