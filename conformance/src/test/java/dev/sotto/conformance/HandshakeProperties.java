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
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
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

    /** Bob's responder, its card, a bundle, three X25519 one-time prekeys and one ML-KEM-768 one. */
    record Bob(Responder responder, Card card, PrekeyBundle bundle, List<OneTimePrekey> oneTime) {
      Prekeys prekeys(boolean opk, boolean kemOpk) {
        return Prekeys.of(bundle, opk ? oneTime.get(0) : null, kemOpk ? oneTime.get(3) : null);
      }
    }

    Bob bob() {
      Identity bob = Identity.fromSeed(IdentitySeed.fromBytes(bobSeed));
      RandomSource random = TestRandom.deterministic(cardRandom);
      Card card = Card.builder(bob).validity(CREATED, CREATED.plusSeconds(365 * 86400)).issue(random);
      Responder r = new Responder(bob);
      r.addCard(card);
      PrekeyBundle bundle = r.issueBundle(card, CREATED, CREATED.plusSeconds(3 * 86400), random);
      return new Bob(r, card, bundle, r.issueOneTimePrekeys(card, CREATED.plusSeconds(3 * 86400), 3, 1, random));
    }

    FirstContact start(Bob bob) throws SottoException {
      return Initiator.to(alice(), bob.prekeys(opk, kemOpk))
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
    Scenario.Bob bob = s.bob();
    FirstContact fc = s.start(bob);
    Accepted accepted = bob.responder().accept(fc.message(), NOW);
    assertTrue(fc.secrets().matches(accepted.secrets()));
    assertArrayEquals(fc.secrets().transcriptHash(), accepted.secrets().transcriptHash());
    assertEquals(s.alice().publicIdentity(), accepted.peer());
    assertArrayEquals(s.payload(), accepted.payload());
  }

  @Property(tries = 150)
  void everySingleByteChangeIsRejectedAndLeavesTheResponderUnchanged(
      @ForAll("scenarios") Scenario s, @ForAll @IntRange(min = 0, max = 1_000_000) int where,
      @ForAll @IntRange(min = 1, max = 255) int xor) throws SottoException {
    Scenario.Bob bob = s.bob();
    Responder responder = bob.responder();
    byte[] message = s.start(bob).message();
    message[where % message.length] ^= (byte) xor;
    Responder.Snapshot before = responder.snapshot();
    assertThrows(SottoException.class, () -> responder.accept(message, NOW));
    assertEquals(before, responder.snapshot());
  }

  @Property(tries = 60)
  void aReplayedFirstMessageIsRejected(@ForAll("scenarios") Scenario s) throws SottoException {
    Scenario.Bob bob = s.bob();
    Responder responder = bob.responder();
    byte[] message = s.start(bob).message();
    responder.accept(message, NOW);
    Responder.Snapshot after = responder.snapshot();
    SottoException e = assertThrows(SottoException.class, () -> responder.accept(message, NOW));
    assertEquals(s.opk() || s.kemOpk() ? ErrorCode.UNKNOWN_PREKEY : ErrorCode.REPLAY, e.code());
    assertEquals(after, responder.snapshot());
  }

  /** Which public value of the transcript is replaced. */
  enum Swap { SIGNED_PREKEY, KEM_PREKEY, ONE_TIME_PREKEY, EPHEMERAL_KEY, KEM_CIPHERTEXT, TIME, INVITE_TAG }

  /**
   * Replacing any one public value by another valid one changes the derived keys (computed with
   * the core, where the substitution is possible), and a message carrying the substitution is
   * rejected by the responder.
   */
  @Property(tries = 60)
  void replacingAnyPublicValueChangesTheSecretOrIsRejected(@ForAll("scenarios") Scenario s, @ForAll Swap swap)
      throws SottoException {
    Scenario.Bob bob = s.bob();
    Card c = bob.card();
    byte[] ikA = s.alice().derivedKeys(dev.sotto.InsecureSecretAccess.get()).x25519Private();
    RandomSource r = TestRandom.deterministic(s.initiatorRandom());
    byte[] ek = r.bytes(32);
    byte[] m = r.bytes(32);
    byte[] otherEk = r.bytes(32);
    byte[] otherM = r.bytes(32);
    PrekeyBundle b = bob.bundle();
    List<OneTimePrekey> one = bob.oneTime();
    long spkId = b.signedPrekey().id();
    long kemId = b.kemPrekey().id();
    long opkId = one.get(0).prekey().id();
    HandshakeCore.Prekeys p = new HandshakeCore.Prekeys(spkId, b.signedPrekey().publicKey(), kemId,
        b.kemPrekey().publicKey(), opkId, one.get(0).prekey().publicKey());
    HandshakeCore.Trace base = HandshakeCore.initiate(s.alice().publicIdentity(), pub -> X25519.agree(ikA, pub),
        c.identity(), c.inviteTag(), NOW.getEpochSecond(), p, false, ek, m, s.payload());
    HandshakeCore.Prekeys q = switch (swap) {
      case SIGNED_PREKEY -> new HandshakeCore.Prekeys(spkId, one.get(1).prekey().publicKey(), kemId, p.kemKey(), opkId,
          p.opk());
      case KEM_PREKEY -> new HandshakeCore.Prekeys(spkId, p.spk(), kemId, one.get(3).prekey().publicKey(), opkId,
          p.opk());
      case ONE_TIME_PREKEY -> new HandshakeCore.Prekeys(spkId, p.spk(), kemId, p.kemKey(), opkId,
          one.get(2).prekey().publicKey());
      default -> p;
    };
    byte[] otherTag = c.inviteTag();
    otherTag[0] ^= 0x01;
    HandshakeCore.Trace changed = HandshakeCore.initiate(s.alice().publicIdentity(), pub -> X25519.agree(ikA, pub),
        c.identity(), swap == Swap.INVITE_TAG ? otherTag : c.inviteTag(),
        NOW.getEpochSecond() + (swap == Swap.TIME ? 1 : 0), q, false, swap == Swap.EPHEMERAL_KEY ? otherEk : ek,
        swap == Swap.KEM_CIPHERTEXT ? otherM : m, s.payload());
    assertFalse(Arrays.equals(base.keys().rootKey(), changed.keys().rootKey()), swap + " did not change the root key");
    assertFalse(Arrays.equals(base.transcript(), changed.transcript()), swap + " did not change the transcript");

    // On the wire: splice the replaced value (EK, ciphertext or time) of a second message into the first.
    Responder responder = bob.responder();
    long t = NOW.getEpochSecond();
    FirstMessage first = FirstMessage.parse(new FirstMessage(1, t, spkId, kemId, opkId, base.ephemeralPublic(),
        base.kemCiphertext(), base.encryptedIdentity(), base.sealedPayload()).encode());
    FirstMessage spliced = new FirstMessage(1, swap == Swap.TIME ? t + 1 : t, spkId, kemId, opkId,
        swap == Swap.EPHEMERAL_KEY ? changed.ephemeralPublic() : first.ephemeralKey(),
        swap == Swap.KEM_CIPHERTEXT ? changed.kemCiphertext() : first.ciphertext(),
        first.encryptedIdentity(), first.payload());
    if (swap == Swap.EPHEMERAL_KEY || swap == Swap.KEM_CIPHERTEXT || swap == Swap.TIME) {
      Responder.Snapshot before = responder.snapshot();
      SottoException e = assertThrows(SottoException.class, () -> responder.accept(spliced.encode(), NOW));
      assertEquals(ErrorCode.AUTH_FAILED, e.code());
      assertEquals(before, responder.snapshot());
    }
  }
}
