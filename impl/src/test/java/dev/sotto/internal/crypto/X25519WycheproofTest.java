package dev.sotto.internal.crypto;

import static dev.sotto.internal.crypto.WycheproofFiles.assertBytes;
import static dev.sotto.internal.crypto.WycheproofFiles.assertSottoException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sotto.ErrorCode;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * X25519 against Wycheproof x25519_test.json. The suite's rule for every case, valid or
 * acceptable: the result is X25519 as RFC 7748 computes it, except that an all-zero shared
 * secret (the ZeroSharedSecret cases) is rejected with INVALID_KEY.
 *
 * <p>X25519 is Sotto's own code, so these cases are required: an absent file fails the run.
 */
class X25519WycheproofTest {
  @TestFactory
  Stream<DynamicNode> x25519() {
    return WycheproofFiles.requiredCases("x25519_test.json", c -> {
      byte[] privateKey = c.bytes("private");
      byte[] publicKey = c.bytes("public");
      byte[] shared = c.bytes("shared");
      boolean zero = isAllZero(shared);
      assertEquals(c.hasFlag("ZeroSharedSecret"), zero, "ZeroSharedSecret flag vs all-zero shared secret");
      if (c.isInvalid()) {
        fail("x25519_test.json has no invalid cases; this one needs a rule");
      }
      if (zero) {
        assertSottoException(ErrorCode.INVALID_KEY, () -> X25519.agree(privateKey, publicKey));
      } else {
        assertBytes(shared, X25519.agree(privateKey, publicKey), "shared secret");
      }
    });
  }

  private static boolean isAllZero(byte[] value) {
    int acc = 0;
    for (byte b : value) {
      acc |= b;
    }
    return acc == 0;
  }
}
