package dev.sotto;

import java.security.SecureRandom;
import java.util.Objects;
import org.bouncycastle.crypto.engines.ChaCha7539Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.digests.SHA256Digest;

/**
 * The single source of randomness of the library. Every random value that any
 * operation uses is drawn from the {@code RandomSource} it is given, in the order the
 * specification states, so that operations are reproducible when the source is.
 */
@FunctionalInterface
public interface RandomSource {

  /** Fills {@code out} with random bytes. */
  void nextBytes(byte[] out);

  /** Returns {@code length} random bytes. */
  default byte[] bytes(int length) {
    byte[] out = new byte[length];
    nextBytes(out);
    return out;
  }

  /** The operating system's cryptographically secure generator: the one to use in production. */
  static RandomSource secure() {
    SecureRandom random = new SecureRandom();
    return random::nextBytes;
  }

  /**
   * A deterministic stream for tests and vector generation only: the ChaCha20 (RFC 8439)
   * keystream under key SHA-256("sotto/v1/test-random" || seed), nonce zero, counter from
   * zero. Never use it for real keys.
   */
  static RandomSource deterministic(byte[] seed) {
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
   * A source that hands out exactly the given bytes, in order, and fails when they run out
   * or when some are left unused at {@link Replay#assertExhausted()}. Vectors record every
   * random value an operation drew; this replays them.
   */
  static Replay replay(byte[] bytes) {
    return new Replay(bytes);
  }

  /** A {@link RandomSource} that replays recorded bytes; see {@link RandomSource#replay}. */
  final class Replay implements RandomSource {
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
      return "RandomSource.Replay[" + bytes.length + " bytes]";
    }
  }
}
