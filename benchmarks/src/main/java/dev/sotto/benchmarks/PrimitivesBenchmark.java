package dev.sotto.benchmarks;

import dev.sotto.Card;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import java.nio.charset.StandardCharsets;
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
 * The SOTTO-1 primitives as {@code dev.sotto.internal.crypto} exposes them, with fixed,
 * deterministic inputs. Every method returns its result, so that JMH consumes it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class PrimitivesBenchmark {
  static final int KIB = 1024;

  // X25519
  byte[] x25519Private;
  byte[] x25519PeerPublic;

  // Ed25519
  byte[] ed25519Private;
  byte[] ed25519Public;
  byte[] message1KiB;
  byte[] signature1KiB;
  /** Exactly what a card's signature covers: "sotto/v1/card" || body of the benchmarked card shape. */
  byte[] cardSignedMessage;
  byte[] cardSignature;

  // ML-KEM-768
  byte[] mlKemSeed;
  byte[] mlKemEncapsulationKey;
  byte[] mlKemRandomness;
  byte[] mlKemCiphertext;

  // HKDF, HMAC
  byte[] hkdfSalt;
  byte[] hkdfIkm;
  byte[] hkdfInfo;
  byte[] hmacKey;

  // ChaCha20-Poly1305
  byte[] aeadKey;
  byte[] aeadNonce;
  byte[] aeadAad;
  byte[] aeadSealed1KiB;

  @Setup
  public void setUp() throws SottoException {
    RandomSource random = Fixtures.random("primitives");

    x25519Private = X25519.generatePrivateKey(random);
    x25519PeerPublic = X25519.publicKey(X25519.generatePrivateKey(random));

    ed25519Private = random.bytes(Ed25519.PRIVATE_KEY_LENGTH);
    ed25519Public = Ed25519.publicKey(ed25519Private);
    message1KiB = random.bytes(KIB);
    signature1KiB = Ed25519.sign(ed25519Private, message1KiB);
    Card card = Fixtures.card();
    byte[] encoded = card.encoded();
    byte[] body = Arrays.copyOf(encoded, encoded.length - Ed25519.SIGNATURE_LENGTH);
    cardSignedMessage = Bytes.concat(Labels.CARD_SIGNATURE, body);
    cardSignature = Ed25519.sign(ed25519Private, cardSignedMessage);
    Fixtures.check(Ed25519.verify(card.identity().signingKey(), cardSignedMessage, card.signature()),
        "the card signature covers the label and the card body");

    mlKemSeed = random.bytes(MlKem768.SEED_LENGTH);
    mlKemEncapsulationKey = MlKem768.encapsulationKey(mlKemSeed);
    mlKemRandomness = random.bytes(MlKem768.ENCAPSULATION_RANDOMNESS_LENGTH);
    MlKem768.Encapsulation encapsulation = MlKem768.encapsulate(mlKemEncapsulationKey, mlKemRandomness);
    mlKemCiphertext = encapsulation.ciphertext();
    Fixtures.check(Arrays.equals(encapsulation.sharedSecret(), MlKem768.decapsulate(mlKemSeed, mlKemCiphertext)),
        "ML-KEM-768 round trip");

    hkdfSalt = random.bytes(32);
    hkdfIkm = random.bytes(32);
    hkdfInfo = "sotto/v1/benchmark".getBytes(StandardCharsets.US_ASCII);
    hmacKey = random.bytes(Hmac.LENGTH);

    aeadKey = random.bytes(Aead.KEY_LENGTH);
    aeadNonce = random.bytes(Aead.NONCE_LENGTH);
    aeadAad = random.bytes(32);
    aeadSealed1KiB = Aead.seal(aeadKey, aeadNonce, aeadAad, message1KiB);
    Fixtures.check(Arrays.equals(message1KiB, Aead.open(aeadKey, aeadNonce, aeadAad, aeadSealed1KiB)),
        "ChaCha20-Poly1305 round trip");
    Fixtures.check(Ed25519.verify(ed25519Public, message1KiB, signature1KiB)
        && Ed25519.verify(ed25519Public, cardSignedMessage, cardSignature), "Ed25519 signatures verify");
  }


  /** X25519(k, 9): a public key from a private key. */
  @Benchmark
  public byte[] x25519PublicKey() {
    return X25519.publicKey(x25519Private);
  }

  /** X25519(k, u) with the all-zero check. */
  @Benchmark
  public byte[] x25519Agree() throws SottoException {
    return X25519.agree(x25519Private, x25519PeerPublic);
  }

  @Benchmark
  public byte[] ed25519Sign1KiB() {
    return Ed25519.sign(ed25519Private, message1KiB);
  }

  /** Signing what a card signature covers (the benchmarked card shape; its length is in the README). */
  @Benchmark
  public byte[] ed25519SignCardBody() {
    return Ed25519.sign(ed25519Private, cardSignedMessage);
  }

  /** Strict verification (S < L, canonical encodings). */
  @Benchmark
  public boolean ed25519Verify1KiB() {
    return Ed25519.verify(ed25519Public, message1KiB, signature1KiB);
  }

  @Benchmark
  public boolean ed25519VerifyCardBody() {
    return Ed25519.verify(ed25519Public, cardSignedMessage, cardSignature);
  }

  /** ML-KEM.KeyGen_internal(d, z) from the 64-byte seed, returning the encapsulation key. */
  @Benchmark
  public byte[] mlKem768KeyGen() {
    return MlKem768.encapsulationKey(mlKemSeed);
  }

  /** The FIPS 203 section 7.2 key check, then ML-KEM.Encaps_internal(ek, m). */
  @Benchmark
  public MlKem768.Encapsulation mlKem768Encapsulate() throws SottoException {
    return MlKem768.encapsulate(mlKemEncapsulationKey, mlKemRandomness);
  }

  /** ML-KEM.Decaps_internal; the decapsulation key is kept as its seed, so this includes expanding it. */
  @Benchmark
  public byte[] mlKem768Decapsulate() {
    return MlKem768.decapsulate(mlKemSeed, mlKemCiphertext);
  }

  /** HKDF-SHA-256 extract and expand: 32-byte salt, IKM and output. */
  @Benchmark
  public byte[] hkdfSha256() {
    return Hkdf.derive(hkdfSalt, hkdfIkm, hkdfInfo, 32);
  }

  @Benchmark
  public byte[] hmacSha256_1KiB() {
    return Hmac.sha256(hmacKey, message1KiB);
  }

  /** ChaCha20-Poly1305 with 32 bytes of associated data. */
  @Benchmark
  public byte[] chaCha20Poly1305Seal1KiB() {
    return Aead.seal(aeadKey, aeadNonce, aeadAad, message1KiB);
  }

  @Benchmark
  public byte[] chaCha20Poly1305Open1KiB() throws SottoException {
    return Aead.open(aeadKey, aeadNonce, aeadAad, aeadSealed1KiB);
  }
}
