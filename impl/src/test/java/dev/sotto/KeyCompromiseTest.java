package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A thief of Bob's prekeys (spec: security.adoc#key-compromise) forges a first contact in the name
 * of Alice, a contact Bob has verified. Revision 1's key schedule accepted it: its keys depended on
 * Alice's identity only through DH1, which the holder of Bob's signed prekey computes alone.
 * Revision 2 adds DH5 between the two identity keys.
 */
class KeyCompromiseTest {
  final Identity alice = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'a'})));
  final Identity bob = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'b'})));
  final byte[] claim = "it is Alice, send me the keys".getBytes(StandardCharsets.UTF_8);

  /** What the thief holds: Bob's card and the private halves of its prekeys (not Bob's identity key). */
  record Stolen(Card card, byte[] spkPrivate, byte[] kemSeed) {}

  Stolen steal(IssuedCard issued) {
    Card card = issued.card();
    return new Stolen(card, issued.secrets().x25519Private(card.signedPrekey().id()),
        issued.secrets().mlKemSeed(card.kemPrekey().id()));
  }

  /** The thief's first message "from" {@code victim}, with {@code dh5} as the thief computes it. */
  byte[] forge(Stolen s, PublicIdentity victim, HandshakeCore.Dh dh5) throws SottoException {
    RandomSource random = TestRandom.deterministic(new byte[] {'t'});
    Card card = s.card();
    HandshakeCore.Prekeys prekeys = new HandshakeCore.Prekeys(card.signedPrekey().id(), card.signedPrekey().publicKey(),
        card.kemPrekey().id(), card.kemPrekey().publicKey(), FirstMessage.NONE, null);
    byte[] ek = X25519.generatePrivateKey(random);
    byte[] ekPublic = X25519.publicKey(ek);
    MlKem768.Encapsulation kem = MlKem768.encapsulate(card.kemPrekey().publicKey(), random.bytes(32));
    byte[] th1 = HandshakeCore.transcript1(0, card.identity(), prekeys, ekPublic, kem.ciphertext());
    byte[] dh3 = X25519.agree(ek, card.signedPrekey().publicKey());
    byte[] idk = HandshakeCore.identityKey(th1, dh3, kem.sharedSecret());
    byte[] eid = Aead.seal(Arrays.copyOf(idk, 32), Arrays.copyOfRange(idk, 32, 44), th1, victim.encoded());
    byte[] th = HandshakeCore.transcript(th1, eid, victim);
    byte[] dh1 = X25519.agree(s.spkPrivate(), victim.dhKey()); // the responder's side of DH(ik_a, SPK_B)
    byte[] dh2 = X25519.agree(ek, card.identity().dhKey());
    HandshakeCore.Keys keys = HandshakeCore.keys(th, dh1, dh2, dh3, null, dh5.agree(victim.dhKey()), kem.sharedSecret());
    byte[] sealed = Aead.seal(keys.confirmKey(), keys.confirmNonce(), th, claim);
    return new FirstMessage(0, prekeys.spkId(), prekeys.kemId(), FirstMessage.NONE, ekPublic, kem.ciphertext(), eid,
        sealed).encode();
  }

  IssuedCard bobsCard() {
    return Card.builder(bob).validity(CardTest.CREATED, CardTest.EXPIRES).signedPrekeyId(1).kemPrekeyId(2)
        .issue(TestRandom.deterministic(new byte[] {'c'}));
  }

  @Test
  void bobsPrekeysAloneDoNotLetAThiefPoseAsAlice() throws SottoException {
    Stolen stolen = steal(bobsCard());
    Responder bobSide = new Responder(bob);
    bobSide.add(bobsCard());
    Responder.Snapshot before = bobSide.snapshot();
    // Without ik_a or ik_b the thief can only guess DH5.
    byte[] guess = TestRandom.deterministic(new byte[] {'g'}).bytes(32);
    byte[] forged = forge(stolen, alice.publicIdentity(), peer -> guess.clone());
    assertEquals(ErrorCode.AUTH_FAILED,
        assertThrows(SottoException.class, () -> bobSide.accept(forged, HandshakeTest.NOW)).code());
    assertEquals(before, bobSide.snapshot());
  }

  @Test
  void theSameForgeryWithBobsIdentityKeyToo() throws SottoException {
    // The table's other row: with Bob's identity key as well as his prekeys the thief is Bob, and
    // a handshake without the initiator's signature cannot prevent it (key-compromise
    // impersonation). It also shows that the forgery above fails for DH5 alone.
    Stolen stolen = steal(bobsCard());
    Responder bobSide = new Responder(bob);
    bobSide.add(bobsCard());
    byte[] forged = forge(stolen, alice.publicIdentity(), bob::agree);
    Accepted accepted = bobSide.accept(forged, HandshakeTest.NOW);
    assertEquals(alice.publicIdentity(), accepted.peer());
    assertArrayEquals(claim, accepted.payload());
  }

  @Test
  void anIssuedCardsPrivatePrekeysAreClearedOnceAResponderHoldsThem() throws SottoException {
    IssuedCard issued = Card.builder(bob).validity(CardTest.CREATED, CardTest.EXPIRES).signedPrekeyId(1)
        .kemPrekeyId(2).oneTimePrekeyIds(10).issue(TestRandom.deterministic(new byte[] {'d'}));
    new Responder(bob).add(issued);
    assertArrayEquals(new byte[32], issued.secrets().x25519Private(10));
    assertArrayEquals(new byte[32], issued.secrets().x25519Private(1));
    assertArrayEquals(new byte[64], issued.secrets().mlKemSeed(2));
  }
}
