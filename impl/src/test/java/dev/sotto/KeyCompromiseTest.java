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
  final HandshakeTest h = new HandshakeTest();
  final byte[] claim = "it is Alice, send me the keys".getBytes(StandardCharsets.UTF_8);

  /** What the thief holds: Bob's card, a bundle and the private halves of its prekeys (not Bob's identity key). */
  record Stolen(Card card, PrekeyBundle bundle, byte[] spkPrivate, byte[] kemSeed) {}

  /**
   * The private halves of the fixture's bundle, recomputed from the responder's draws: the signed
   * prekey's private key (32 bytes), then the ML-KEM seed (64).
   */
  Stolen steal() {
    RandomSource draws = TestRandom.deterministic(new byte[] {'d'});
    byte[] spk = draws.bytes(32);
    byte[] seed = draws.bytes(64);
    assertArrayEquals(X25519.publicKey(spk), h.bundle.signedPrekey().publicKey(), "the recomputed key is the bundle's");
    assertArrayEquals(MlKem768.encapsulationKey(seed), h.bundle.kemPrekey().publicKey());
    return new Stolen(h.bobsCard, h.bundle, spk, seed);
  }

  /** The thief's first message "from" {@code victim}, with {@code dh5} as the thief computes it. */
  byte[] forge(Stolen s, PublicIdentity victim, HandshakeCore.Dh dh5) throws SottoException {
    RandomSource random = TestRandom.deterministic(new byte[] {'t'});
    Card card = s.card();
    PrekeyBundle bundle = s.bundle();
    long time = HandshakeTest.NOW.getEpochSecond();
    HandshakeCore.Prekeys prekeys = new HandshakeCore.Prekeys(bundle.signedPrekey().id(),
        bundle.signedPrekey().publicKey(), bundle.kemPrekey().id(), bundle.kemPrekey().publicKey(), FirstMessage.NONE,
        null);
    byte[] ek = X25519.generatePrivateKey(random);
    byte[] ekPublic = X25519.publicKey(ek);
    MlKem768.Encapsulation kem = MlKem768.encapsulate(bundle.kemPrekey().publicKey(), random.bytes(32));
    byte[] th1 = HandshakeCore.transcript1(0, time, card.identity(), card.inviteTag(), prekeys, ekPublic,
        kem.ciphertext());
    byte[] dh3 = X25519.agree(ek, bundle.signedPrekey().publicKey());
    byte[] idk = HandshakeCore.identityKey(th1, dh3, kem.sharedSecret());
    byte[] eid = Aead.seal(Arrays.copyOf(idk, 32), Arrays.copyOfRange(idk, 32, 44), th1, victim.encoded());
    byte[] th = HandshakeCore.transcript(th1, eid, victim);
    byte[] dh1 = X25519.agree(s.spkPrivate(), victim.dhKey()); // the responder's side of DH(ik_a, SPK_B)
    byte[] dh2 = X25519.agree(ek, card.identity().dhKey());
    HandshakeCore.Keys keys = HandshakeCore.keys(th, dh1, dh2, dh3, null, dh5.agree(victim.dhKey()), kem.sharedSecret());
    byte[] sealed = Aead.seal(keys.confirmKey(), keys.confirmNonce(), th, claim);
    return new FirstMessage(0, time, prekeys.spkId(), prekeys.kemId(), FirstMessage.NONE, ekPublic, kem.ciphertext(),
        eid, sealed).encode();
  }

  @Test
  void bobsPrekeysAloneDoNotLetAThiefPoseAsAlice() throws SottoException {
    Stolen stolen = steal();
    Responder bobSide = h.responder();
    Responder.Snapshot before = bobSide.snapshot();
    byte[] state = bobSide.serialize();
    // Without ik_a or ik_b the thief can only guess DH5.
    byte[] guess = TestRandom.deterministic(new byte[] {'g'}).bytes(32);
    byte[] forged = forge(stolen, h.alice.publicIdentity(), peer -> guess.clone());
    assertEquals(ErrorCode.AUTH_FAILED,
        assertThrows(SottoException.class, () -> bobSide.accept(forged, HandshakeTest.NOW)).code());
    HandshakeTest.assertUnchanged(bobSide, before, state, "a forgery");
    // The thief's own DH with Alice's public key is no better.
    Identity thief = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {'T'})));
    byte[] forged2 = forge(stolen, h.alice.publicIdentity(), thief::agree);
    assertEquals(ErrorCode.AUTH_FAILED,
        assertThrows(SottoException.class, () -> bobSide.accept(forged2, HandshakeTest.NOW)).code());
    HandshakeTest.assertUnchanged(bobSide, before, state, "a forgery");
  }

  @Test
  void theSameForgeryWithBobsIdentityKeyToo() throws SottoException {
    // The table's other row: with Bob's identity key as well as his prekeys the thief is Bob, and
    // a handshake without the initiator's signature cannot prevent it (key-compromise
    // impersonation). It also shows that the forgery above fails for DH5 alone.
    Stolen stolen = steal();
    Responder bobSide = h.responder();
    byte[] forged = forge(stolen, h.alice.publicIdentity(), h.bob::agree);
    Accepted accepted = bobSide.accept(forged, HandshakeTest.NOW);
    assertEquals(h.alice.publicIdentity(), accepted.peer());
    assertArrayEquals(claim, accepted.payload());
  }

  @Test
  void issuingABundleDrawsItsTwoPrivateKeysAndNothingElse() {
    // What the thief recomputes above is exactly what the responder drew, in the order it drew it.
    RandomSource draws = TestRandom.deterministic(new byte[] {'d'});
    TestRandom.Replay replay = TestRandom.replay(dev.sotto.internal.encoding.Bytes.concat(draws.bytes(32), draws.bytes(64)));
    Responder r = new Responder(h.bob);
    r.addCard(h.bobsCard);
    assertEquals(h.bundle, r.issueBundle(h.bobsCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE, replay));
    replay.assertExhausted();
    RandomSource otp = TestRandom.deterministic(new byte[] {'e'});
    TestRandom.Replay records = TestRandom.replay(dev.sotto.internal.encoding.Bytes.concat(otp.bytes(32), otp.bytes(32),
        otp.bytes(64)));
    assertEquals(h.oneTime, r.issueOneTimePrekeys(h.bobsCard, HandshakeTest.PREKEYS_EXPIRE, 2, 1, records));
    records.assertExhausted();
  }
}
