package dev.sotto;

import java.security.SecureRandom;

/**
 * The single source of randomness of the library. Every random value that any
 * operation uses is drawn from the {@code RandomSource} it is given, in the order the
 * specification states, so that operations are reproducible when the source is.
 *
 * <p>Production code uses {@link #secure()}. The reproducible sources that tests and vector
 * generation use are in the implementation's test artifact ({@code dev.sotto.testing.TestRandom}).
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
}
