package dev.sotto.benchmarks;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.IssuedCard;
import dev.sotto.RandomSource;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.node.Node;
import dev.sotto.node.store.Vault;
import dev.sotto.testing.TestRandom;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The deterministic inputs the benchmarks share. */
final class Fixtures {
  static final Instant CREATED = Instant.ofEpochSecond(1_800_000_000L);
  static final Instant EXPIRES = CREATED.plusSeconds(30L * 86400);
  /** The time at which cards are parsed: within their validity. */
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
   * The benchmarked card shape: a signed X25519 prekey, a signed ML-KEM-768 prekey, two
   * X25519 one-time prekeys, one ML-KEM-768 one-time prekey and two addresses. The builder
   * holds no randomness and can issue any number of cards.
   */
  static Card.Builder cardBuilder(Identity identity) {
    return Card.builder(identity)
        .validity(CREATED, EXPIRES)
        .signedPrekeyId(1)
        .kemPrekeyId(2)
        .oneTimePrekeyIds(100, 101)
        .kemOneTimePrekeyIds(200)
        .address(Address.peer("127.0.0.1", 7400, linkKey("peer")))
        .address(Address.mailbox("mailbox.example", 7401, linkKey("mailbox")));
  }

  /** A valid link key: the X25519 public key of the private key SHA-256(name). */
  private static byte[] linkKey(String name) {
    return X25519.publicKey(Hmac.hash(name.getBytes(StandardCharsets.US_ASCII)));
  }

  /** One card of the benchmarked shape, always the same. */
  static Card card() {
    return issuedCard().card();
  }

  /**
   * {@link #card()} with the private halves of its prekeys, which its owner ({@link #identity()})
   * keeps: it drew them from {@code random("card")}.
   */
  static IssuedCard issuedCard() {
    return cardBuilder(identity()).issue(random("card"));
  }

  static void check(boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException("benchmark setup: " + what);
    }
  }

  /** A new node in {@code dir/name} on a free loopback port (cheap Argon2id: no passphrase anyway). */
  static Path initNode(Path dir, String name, List<Address> mailboxes) throws Exception {
    Path home = dir.resolve(name);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Node.init(home, IdentitySeed.generate(RandomSource.secure()), null,
        new Vault.Params(1024, 1, 1), new Node.Config(name, "127.0.0.1", port, mailboxes),
        RandomSource.secure(), Clock.systemUTC());
    return home;
  }

  /** Deletes a directory tree (a benchmark's temporary homes). */
  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
