package dev.sotto.benchmarks;

import dev.sotto.Card;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import java.util.Arrays;
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
 * Contact cards and their prekeys through the public API: the card shape of
 * {@link Fixtures#cardBuilder} (two addresses, no prekeys), the fixture bundle (a signed X25519
 * prekey and a signed ML-KEM-768 prekey) and one-time prekey records of each kind
 * ({@link Fixtures#issued}).
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
   * One deterministic stream for the whole trial: each {@link #issue} draws the next 16 bytes of
   * it (the invite tag), each {@link #issueBundle} the next 96 (the two prekeys), so each card and
   * bundle is new, and a run is reproducible.
   */
  RandomSource issueRandom;
  Card card;
  byte[] encoded;
  String text;
  byte[] inviteTag;
  byte[] bundle;
  byte[] x25519Record;
  byte[] kemRecord;
  /**
   * A responder of the card's owner that holds the card: {@link #issueBundle} issues on it. It
   * holds at most 16 bundles; each one more withdraws the oldest, so its state stays the same size.
   */
  Responder responder;

  @Setup
  public void setUp() throws SottoException {
    builder = Fixtures.cardBuilder(Fixtures.identity());
    issueRandom = Fixtures.random("issue");
    Fixtures.Issued issued = Fixtures.issued();
    card = issued.card();
    encoded = card.encoded();
    text = card.text();
    inviteTag = card.inviteTag();
    bundle = issued.bundle().encoded();
    x25519Record = issued.oneTime().get(0).encoded();
    kemRecord = issued.oneTime().get(2).encoded();
    Fixtures.check(card.equals(Card.parse(encoded, Fixtures.NOW)), "binary round trip");
    Fixtures.check(card.equals(Card.parseText(text, Fixtures.NOW)), "text round trip");
    Fixtures.check(issued.bundle().equals(PrekeyBundle.parse(bundle, card, Fixtures.NOW)), "bundle round trip");
    Fixtures.check(!issued.oneTime().get(0).isKem() && issued.oneTime().get(2).isKem(), "one-time prekey kinds");
    Fixtures.check(issued.oneTime().get(0).equals(OneTimePrekey.parse(x25519Record, card, Fixtures.NOW))
        && issued.oneTime().get(2).equals(OneTimePrekey.parse(kemRecord, card, Fixtures.NOW)),
        "one-time prekey round trips");
    Fixtures.check(Arrays.equals(card.bundleTag(), Card.bundleTag(inviteTag)), "bundle tag");
    responder = new Responder(Fixtures.identity());
    responder.addCard(card);
    Fixtures.check(issueBundle().card().equals(card), "a bundle is issued for the card");
  }

  /**
   * Issuing (encoding) a card, identity given: drawing the invite tag, writing the body, signing
   * it, and the builder's own check that the result parses (which verifies the signature).
   */
  @Benchmark
  public Card issue() {
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

  /** The bundle tag of an invite tag: one HKDF-SHA-256 to 16 bytes. */
  @Benchmark
  public byte[] bundleTag() {
    return Card.bundleTag(inviteTag);
  }

  /**
   * {@code Responder.issueBundle}: drawing the X25519 private key and the ML-KEM-768 seed, deriving
   * both public keys (an ML-KEM key generation), writing and signing the bundle, the reader's check
   * of it (a signature verification and the ML-KEM modulus check) and the responder's bookkeeping.
   */
  @Benchmark
  public PrekeyBundle issueBundle() {
    return responder.issueBundle(card, Fixtures.CREATED, Fixtures.BUNDLE_EXPIRES, issueRandom);
  }

  /** {@code PrekeyBundle.parse} under the card: structure, key validation, signature, expiry. */
  @Benchmark
  public PrekeyBundle parseBundle() throws SottoException {
    return PrekeyBundle.parse(bundle, card, Fixtures.NOW);
  }

  /** {@code OneTimePrekey.parse} of an X25519 record (112 bytes). */
  @Benchmark
  public OneTimePrekey parseOneTimePrekey() throws SottoException {
    return OneTimePrekey.parse(x25519Record, card, Fixtures.NOW);
  }

  /** {@code OneTimePrekey.parse} of an ML-KEM-768 record (1264 bytes). */
  @Benchmark
  public OneTimePrekey parseKemOneTimePrekey() throws SottoException {
    return OneTimePrekey.parse(kemRecord, card, Fixtures.NOW);
  }
}
