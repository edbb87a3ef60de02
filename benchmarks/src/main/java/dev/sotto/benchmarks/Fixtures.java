package dev.sotto.benchmarks;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/** The deterministic inputs the benchmarks share. */
final class Fixtures {
  static final Instant CREATED = Instant.ofEpochSecond(1_800_000_000L);
  static final Instant EXPIRES = CREATED.plusSeconds(365L * 86400);
  /** The expiry of the fixture bundle and one-time prekeys: three days, as the reference node's. */
  static final Instant BUNDLE_EXPIRES = CREATED.plusSeconds(3L * 86400);
  /** The time at which cards and prekeys are read and first messages made: within their validity. */
  static final Instant NOW = CREATED.plusSeconds(3600);

  private Fixtures() {}

  /** A deterministic random stream named by {@code label}. */
  static RandomSource random(String label) {
    return TestRandom.deterministic(("sotto-benchmarks/" + label).getBytes(StandardCharsets.US_ASCII));
  }

  static Identity identity() {
    return Identity.fromSeed(IdentitySeed.generate(random("identity")));
  }

  /**
   * The benchmarked card shape: two addresses, valid a year (a card holds no prekeys). The
   * builder holds no randomness and can issue any number of cards.
   */
  static Card.Builder cardBuilder(Identity identity) {
    return Card.builder(identity)
        .validity(CREATED, EXPIRES)
        .address(Address.peer("127.0.0.1", 7400, linkKey("peer")))
        .address(Address.mailbox("mailbox.example", 7401, linkKey("mailbox")));
  }

  /** A valid link key: the X25519 public key of the private key SHA-256(name). */
  private static byte[] linkKey(String name) {
    return X25519.publicKey(Hmac.hash(name.getBytes(StandardCharsets.US_ASCII)));
  }

  /** One card of the benchmarked shape, always the same: its invite tag is drawn from {@code random("card")}. */
  static Card card() {
    return cardBuilder(identity()).issue(random("card"));
  }

  /**
   * The fixture card's prekeys, issued by its owner's ({@link #identity()}) responder, which keeps
   * their private halves: a bundle valid from {@link #CREATED} to {@link #BUNDLE_EXPIRES} (ids 0 and
   * 1; its keys drawn from {@code random("bundle")}), then two X25519 one-time prekeys (ids 2 and 3)
   * and one ML-KEM-768 one-time prekey (id 4), drawn from {@code random("one-time-prekeys")}.
   */
  record Issued(Responder responder, Card card, PrekeyBundle bundle, List<OneTimePrekey> oneTime) {}

  static Issued issued() {
    Card card = card();
    Responder responder = new Responder(identity());
    responder.addCard(card);
    PrekeyBundle bundle = responder.issueBundle(card, CREATED, BUNDLE_EXPIRES, random("bundle"));
    List<OneTimePrekey> oneTime = responder.issueOneTimePrekeys(card, BUNDLE_EXPIRES, 2, 1,
        random("one-time-prekeys"));
    return new Issued(responder, card, bundle, oneTime);
  }

  static void check(boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException("benchmark setup: " + what);
    }
  }
}
