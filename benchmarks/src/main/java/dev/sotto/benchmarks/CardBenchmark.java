package dev.sotto.benchmarks;

import dev.sotto.Card;
import dev.sotto.IssuedCard;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
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
 * Contact cards through the public API, for the card shape of {@link Fixtures#cardBuilder}:
 * a signed X25519 prekey, a signed ML-KEM-768 prekey, 2 X25519 one-time prekeys, 1 ML-KEM-768
 * one-time prekey, 2 addresses.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class CardBenchmark {
  Card.Builder builder;
  /**
   * One deterministic stream for the whole trial: each {@link #issue} draws the next 240
   * bytes of it, so each issued card has fresh prekeys, and a run is reproducible.
   */
  RandomSource issueRandom;
  Card card;
  byte[] encoded;
  String text;

  @Setup
  public void setUp() throws SottoException {
    builder = Fixtures.cardBuilder(Fixtures.identity());
    issueRandom = Fixtures.random("issue");
    card = Fixtures.card();
    encoded = card.encoded();
    text = card.text();
    Fixtures.check(card.equals(Card.parse(encoded, Fixtures.NOW)), "binary round trip");
    Fixtures.check(card.equals(Card.parseText(text, Fixtures.NOW)), "text round trip");
  }

  /**
   * Issuing (encoding) a card, identity given: drawing and deriving the 3 X25519 and 2
   * ML-KEM-768 prekeys, writing the body, signing it, and the builder's own check that the
   * result parses (which verifies the signature).
   */
  @Benchmark
  public IssuedCard issue() {
    return builder.issue(issueRandom);
  }

  /** The text form (Bech32m) of an existing card. */
  @Benchmark
  public String text() {
    return card.text();
  }

  /** Parsing the binary encoding: structure, key validation, signature, expiry. */
  @Benchmark
  public Card parse() throws SottoException {
    return Card.parse(encoded, Fixtures.NOW);
  }

  /** Parsing the text form: Bech32m decoding, then everything {@link #parse} does. */
  @Benchmark
  public Card parseText() throws SottoException {
    return Card.parseText(text, Fixtures.NOW);
  }
}
