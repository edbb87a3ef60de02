package dev.sotto.conformance.vectors;

import dev.sotto.RandomSource;
import java.util.ArrayList;
import java.util.List;

/** Passes draws through from another source and records each one, so that a vector can publish them. */
final class RecordingRandom implements RandomSource {
  private final RandomSource source;
  private final List<byte[]> draws = new ArrayList<>();

  RecordingRandom(RandomSource source) {
    this.source = source;
  }

  @Override
  public void nextBytes(byte[] out) {
    source.nextBytes(out);
    draws.add(out.clone());
  }

  List<byte[]> draws() {
    return draws;
  }

  /** Every draw so far, concatenated: what a vector publishes as its random bytes. */
  byte[] drawn() {
    return dev.sotto.internal.encoding.Bytes.concat(draws.toArray(new byte[0][]));
  }
}
