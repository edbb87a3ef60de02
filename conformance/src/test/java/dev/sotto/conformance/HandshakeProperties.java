package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Accepted;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.FirstContact;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.Initiator;
import dev.sotto.IssuedCard;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties of the handshake (spec: handshake.adoc). */
class HandshakeProperties {
  private static final Instant CREATED = Instant.ofEpochSecond(1_800_000_000L);
  private static final Instant NOW = CREATED.plusSeconds(60);

  /** One first contact: random identities, card, one-time prekey choice, payload and randomness. */
  record Scenario(byte[] aliceSeed, byte[] bobSeed, byte[] cardRandom, byte[] initiatorRandom, boolean opk, boolean kemOpk,
      byte[] payload) {
    Identity alice() {
      return Identity.fromSeed(IdentitySeed.fromBytes(aliceSeed));
    }

    Identity bob() {
      return Identity.fromSeed(IdentitySeed.fromBytes(bobSeed));
    }

    IssuedCard card() {
      return Card.builder(bob()).validity(CREATED, CREATED.plusSeconds(86400)).signedPrekeyId(1).kemPrekeyId(2)
          .oneTimePrekeyIds(10, 11, 12).kemOneTimePrekeyIds(20, 21).issue(TestRandom.deterministic(cardRandom));
    }

    Responder responder(IssuedCard card) {
      Responder r = new Responder(bob());
      r.add(card);
      return r;
    }

    FirstContact start(IssuedCard card) throws SottoException {
      return Initiator.to(alice(), card.card()).oneTimePrekeys(opk ? 10L : null, kemOpk ? 20L : null)
          .start(NOW, payload, TestRandom.deterministic(initiatorRandom));
    }
  }

  @Provide
  Arbitrary<Scenario> scenarios() {
    Arbitrary<byte[]> seed = Arbitraries.bytes().array(byte[].class).ofSize(32);
    return Combinators.combine(seed, seed, seed, seed, Arbitraries.of(true, false), Arbitraries.of(true, false),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300)).as(Scenario::new);
  }

  @Property(tries = 60)
  void bothSidesAlwaysDeriveTheSameSecrets(@ForAll("scenarios") Scenario s) throws SottoException {
    IssuedCard card = s.card();
    FirstContact fc = s.start(card);
    Accepted accepted = s.responder(card).accept(fc.message(), NOW);
    assertTrue(fc.secrets().matches(accepted.secrets()));
    assertArrayEquals(fc.secrets().transcriptHash(), accepted.secrets().transcriptHash());
    assertEquals(s.alice().publicIdentity(), accepted.peer());
    assertArrayEquals(s.payload(), accepted.payload());
  }

  @Property(tries = 150)
  void everySingleByteChangeIsRejectedAndLeavesTheResponderUnchanged(
      @ForAll("scenarios") Scenario s, @ForAll @IntRange(min = 0, max = 1_000_000) int where,
      @ForAll @IntRange(min = 1, max = 255) int xor) throws SottoException {
    IssuedCard card = s.card();
    Responder responder = s.responder(card);
    byte[] message = s.start(card).message();
    message[where % message.length] ^= (byte) xor;
    Responder.Snapshot before = responder.snapshot();
    assertThrows(SottoException.class, () -> responder.accept(message, NOW));
    assertEquals(before, responder.snapshot());
  }

  @Property(tries = 60)
  void aReplayedFirstMessageIsRejected(@ForAll("scenarios") Scenario s) throws SottoException {
    IssuedCard card = s.card();
    Responder responder = s.responder(card);
    byte[] message = s.start(card).message();
    responder.accept(message, NOW);
    Responder.Snapshot after = responder.snapshot();
    SottoException e = assertThrows(SottoException.class, () -> responder.accept(message, NOW));
    assertEquals(s.opk() || s.kemOpk() ? ErrorCode.UNKNOWN_PREKEY : ErrorCode.REPLAY, e.code());
    assertEquals(after, responder.snapshot());
  }

  /** Which public value of the transcript is replaced. */
  enum Swap { SIGNED_PREKEY, KEM_PREKEY, ONE_TIME_PREKEY, EPHEMERAL_KEY, KEM_CIPHERTEXT }

  /**
   * Replacing any one public value by another valid one changes the derived keys (computed with
   * the core, where the substitution is possible), and a message carrying the substitution is
   * rejected by the responder.
   */
  @Property(tries = 60)
  void replacingAnyPublicValueChangesTheSecretOrIsRejected(@ForAll("scenarios") Scenario s, @ForAll Swap swap)
      throws SottoException {
    IssuedCard card = s.card();
    Card c = card.card();
    byte[] ikA = s.alice().derivedKeys(dev.sotto.InsecureSecretAccess.get()).x25519Private();
    RandomSource r = TestRandom.deterministic(s.initiatorRandom());
    byte[] ek = r.bytes(32);
    byte[] m = r.bytes(32);
    byte[] otherEk = r.bytes(32);
    byte[] otherM = r.bytes(32);
    HandshakeCore.Prekeys p = new HandshakeCore.Prekeys(1, c.signedPrekey().publicKey(), 2, c.kemPrekey().publicKey(),
        10, c.oneTimePrekeys().get(0).publicKey());
    HandshakeCore.Trace base = HandshakeCore.initiate(s.alice().publicIdentity(), pub -> X25519.agree(ikA, pub),
        c.identity(), p, false, ek, m, s.payload());
    HandshakeCore.Prekeys q = switch (swap) {
      case SIGNED_PREKEY -> new HandshakeCore.Prekeys(1, c.oneTimePrekeys().get(1).publicKey(), 2, p.kemKey(), 10, p.opk());
      case KEM_PREKEY -> new HandshakeCore.Prekeys(1, p.spk(), 2, c.kemOneTimePrekeys().get(0).publicKey(), 10, p.opk());
      case ONE_TIME_PREKEY -> new HandshakeCore.Prekeys(1, p.spk(), 2, p.kemKey(), 10, c.oneTimePrekeys().get(2).publicKey());
      default -> p;
    };
    HandshakeCore.Trace changed = HandshakeCore.initiate(s.alice().publicIdentity(), pub -> X25519.agree(ikA, pub),
        c.identity(), q, false, swap == Swap.EPHEMERAL_KEY ? otherEk : ek, swap == Swap.KEM_CIPHERTEXT ? otherM : m,
        s.payload());
    assertFalse(Arrays.equals(base.keys().rootKey(), changed.keys().rootKey()), swap + " did not change the root key");
    assertFalse(Arrays.equals(base.transcript(), changed.transcript()), swap + " did not change the transcript");

    // On the wire: splice the replaced value (EK or ciphertext) of a second message into the first.
    Responder responder = s.responder(card);
    FirstMessage first = FirstMessage.parse(new FirstMessage(0, 1, 2, FirstMessage.NONE, base.ephemeralPublic(),
        base.kemCiphertext(), base.encryptedIdentity(), base.sealedPayload()).encode());
    FirstMessage spliced = new FirstMessage(0, 1, 2, FirstMessage.NONE,
        swap == Swap.EPHEMERAL_KEY ? changed.ephemeralPublic() : first.ephemeralKey(),
        swap == Swap.KEM_CIPHERTEXT ? changed.kemCiphertext() : first.ciphertext(),
        first.encryptedIdentity(), first.payload());
    if (swap == Swap.EPHEMERAL_KEY || swap == Swap.KEM_CIPHERTEXT) {
      Responder.Snapshot before = responder.snapshot();
      SottoException e = assertThrows(SottoException.class, () -> responder.accept(spliced.encode(), NOW));
      assertEquals(ErrorCode.AUTH_FAILED, e.code());
      assertEquals(before, responder.snapshot());
    }
  }
}
