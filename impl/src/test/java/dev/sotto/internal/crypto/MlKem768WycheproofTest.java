package dev.sotto.internal.crypto;

import static dev.sotto.internal.crypto.WycheproofFiles.assertBytes;
import static dev.sotto.internal.crypto.WycheproofFiles.assertRejected;
import static dev.sotto.internal.crypto.WycheproofFiles.assertSottoException;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.ErrorCode;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * ML-KEM-768 against the three Wycheproof files. Sotto keeps a decapsulation key as its
 * 64-byte seed, so key generation is checked through the encapsulation key only (the
 * expanded dk is not compared); decapsulation is checked from the seed.
 */
class MlKem768WycheproofTest {
  @TestFactory
  Stream<DynamicNode> keyGenerationFromSeed() {
    return WycheproofFiles.cases("mlkem_768_keygen_seed_test.json", c -> {
      requireValid(c);
      byte[] ek = MlKem768.encapsulationKey(c.bytes("seed"));
      assertBytes(c.bytes("ek"), ek, "ek");
      assertTrue(MlKem768.isValidEncapsulationKey(ek), "isValidEncapsulationKey of a generated ek");
    });
  }

  @TestFactory
  Stream<DynamicNode> encapsulation() {
    return WycheproofFiles.cases("mlkem_768_encaps_test.json", c -> {
      byte[] ek = c.bytes("ek");
      byte[] m = c.bytes("m");
      if (c.isValid()) {
        assertTrue(MlKem768.isValidEncapsulationKey(ek), "isValidEncapsulationKey");
        MlKem768.Encapsulation result = MlKem768.encapsulate(ek, m);
        assertBytes(c.bytes("c"), result.ciphertext(), "c");
        assertBytes(c.bytes("K"), result.sharedSecret(), "K");
      } else if (c.isInvalid()) {
        assertFalse(MlKem768.isValidEncapsulationKey(ek), "isValidEncapsulationKey");
        if (ek.length == MlKem768.ENCAPSULATION_KEY_LENGTH) {
          assertSottoException(ErrorCode.INVALID_KEY, () -> MlKem768.encapsulate(ek, m));
        } else {
          assertRejected(ErrorCode.INVALID_KEY, () -> MlKem768.encapsulate(ek, m));
        }
      } else {
        throw new AssertionError("no rule for result " + c.result());
      }
    });
  }

  @TestFactory
  Stream<DynamicNode> decapsulation() {
    return WycheproofFiles.cases("mlkem_768_test.json", c -> {
      byte[] seed = c.bytes("seed");
      byte[] ciphertext = c.bytes("c");
      if (c.has("ek") && seed.length == MlKem768.SEED_LENGTH) {
        assertBytes(c.bytes("ek"), MlKem768.encapsulationKey(seed), "ek");
      }
      if (c.isValid()) {
        assertBytes(c.bytes("K"), MlKem768.decapsulate(seed, ciphertext), "K");
      } else if (c.isInvalid()) {
        // A seed or a ciphertext of the wrong length: our length checks reject it.
        assertRejected(ErrorCode.INVALID_ENCODING, () -> MlKem768.decapsulate(seed, ciphertext));
      } else {
        throw new AssertionError("no rule for result " + c.result());
      }
    });
  }

  private static void requireValid(WycheproofFiles.Case c) {
    if (!c.isValid()) {
      throw new AssertionError("no rule for result " + c.result());
    }
  }
}
