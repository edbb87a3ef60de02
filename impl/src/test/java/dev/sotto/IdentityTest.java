package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.testing.TestRandom;
import org.junit.jupiter.api.Test;

class IdentityTest {
  private static final String ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

  @Test
  void recoveryCodeRoundTripsAndCatchesEverySingleTypo() throws SottoException {
    IdentitySeed seed = IdentitySeed.generate(TestRandom.deterministic(new byte[] {7}));
    String code = seed.recoveryCode();
    assertTrue(code.startsWith("sottoseed1"));
    assertEquals(seed, IdentitySeed.fromRecoveryCode(code));
    assertEquals(seed, IdentitySeed.fromRecoveryCode(code.toUpperCase()));
    for (int i = "sottoseed1".length(); i < code.length(); i++) {
      for (char c : ALPHABET.toCharArray()) {
        if (c == code.charAt(i)) continue;
        String typo = code.substring(0, i) + c + code.substring(i + 1);
        SottoException e = assertThrows(SottoException.class, () -> IdentitySeed.fromRecoveryCode(typo));
        assertEquals(ErrorCode.BAD_CHECKSUM, e.code());
      }
    }
  }

  @Test
  void sameSeedSameKeysAndSecretsStayRedacted() throws SottoException {
    IdentitySeed seed = IdentitySeed.fromBytes(new byte[32]);
    Identity a = Identity.fromSeed(seed);
    Identity b = Identity.fromSeed(IdentitySeed.fromRecoveryCode(seed.recoveryCode()));
    assertEquals(a.publicIdentity(), b.publicIdentity());
    assertEquals(a.publicIdentity(), PublicIdentity.parse(a.publicIdentity().encoded()));
    assertEquals(a.fingerprint(), Fingerprint.parse(a.fingerprint().text()));
    assertFalse(seed.toString().contains(seed.recoveryCode()));
    assertEquals("IdentitySeed[redacted]", seed.toString());
  }
}
