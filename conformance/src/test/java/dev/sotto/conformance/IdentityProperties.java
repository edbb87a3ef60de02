package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.ErrorCode;
import dev.sotto.Fingerprint;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import java.util.Arrays;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of identities (spec: identity.adoc). */
class IdentityProperties {
  private static final String ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

  @Property(tries = 200)
  void theSameSeedAlwaysGivesTheSameKeys(@ForAll @Size(32) byte[] seed) throws SottoException {
    Identity a = Identity.fromSeed(IdentitySeed.fromBytes(seed));
    Identity b = Identity.fromSeed(IdentitySeed.fromBytes(seed.clone()));
    assertEquals(a.publicIdentity(), b.publicIdentity());
    assertArrayEquals(a.derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private(), b.derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private());
    assertArrayEquals(a.derivedKeys(dev.sotto.InsecureSecretAccess.get()).x25519Private(), b.derivedKeys(dev.sotto.InsecureSecretAccess.get()).x25519Private());
    Identity restored = Identity.fromSeed(IdentitySeed.fromRecoveryCode(IdentitySeed.fromBytes(seed).recoveryCode()));
    assertEquals(a.publicIdentity(), restored.publicIdentity());
  }

  @Property(tries = 200)
  void differentSeedsGiveDifferentIdentities(@ForAll @Size(32) byte[] s1, @ForAll @Size(32) byte[] s2) {
    Assume.that(!Arrays.equals(s1, s2));
    PublicIdentity a = Identity.fromSeed(IdentitySeed.fromBytes(s1)).publicIdentity();
    PublicIdentity b = Identity.fromSeed(IdentitySeed.fromBytes(s2)).publicIdentity();
    assertNotEquals(a, b);
    assertNotEquals(a.fingerprint(), b.fingerprint());
  }

  @Property(tries = 300)
  void anySingleCharacterTypoInARecoveryCodeIsCaught(
      @ForAll @Size(32) byte[] seed, @ForAll @IntRange(min = 0, max = 1000) int where,
      @ForAll @IntRange(min = 1, max = 31) int shift) {
    String code = IdentitySeed.fromBytes(seed).recoveryCode();
    int data = "sottoseed1".length();
    int i = data + where % (code.length() - data);
    char typo = ALPHABET.charAt((ALPHABET.indexOf(code.charAt(i)) + shift) % 32);
    String mistyped = code.substring(0, i) + typo + code.substring(i + 1);
    SottoException e = assertThrows(SottoException.class, () -> IdentitySeed.fromRecoveryCode(mistyped));
    assertEquals(ErrorCode.BAD_CHECKSUM, e.code());
  }

  @Property(tries = 200)
  void publicIdentityAndFingerprintRoundTrip(@ForAll @Size(32) byte[] seed) throws SottoException {
    PublicIdentity identity = Identity.fromSeed(IdentitySeed.fromBytes(seed)).publicIdentity();
    assertEquals(identity, PublicIdentity.parse(identity.encoded()));
    assertEquals(identity.fingerprint(), Fingerprint.parse(identity.fingerprint().text()));
  }

  @Property(tries = 200)
  void secretsNeverReachToString(@ForAll @Size(32) byte[] seed) {
    IdentitySeed s = IdentitySeed.fromBytes(seed);
    Identity identity = Identity.fromSeed(s);
    String shown = s + " " + identity + " " + identity.derivedKeys(dev.sotto.InsecureSecretAccess.get());
    assertFalse(shown.contains(s.recoveryCode().substring(10, 30)));
    assertFalse(shown.contains(dev.sotto.internal.encoding.Bytes.hex(seed).substring(0, 16)));
    assertFalse(shown.contains(dev.sotto.internal.encoding.Bytes.hex(identity.derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private()).substring(0, 16)));
  }
}
