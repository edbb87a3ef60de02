package dev.sotto.internal.crypto;

import static dev.sotto.internal.crypto.WycheproofFiles.assertBytes;
import static dev.sotto.internal.crypto.WycheproofFiles.assertIllegalArgument;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** HKDF-SHA-256 against Wycheproof hkdf_sha256_test.json; the invalid cases ask for more than 255 * 32 bytes. */
class HkdfWycheproofTest {
  @TestFactory
  Stream<DynamicNode> hkdfSha256() {
    return WycheproofFiles.cases("hkdf_sha256_test.json", c -> {
      byte[] ikm = c.bytes("ikm");
      byte[] salt = c.bytes("salt");
      byte[] info = c.bytes("info");
      int size = c.integer("size");
      if (c.isValid()) {
        assertBytes(c.bytes("okm"), Hkdf.derive(salt, ikm, info, size), "okm");
      } else if (c.isInvalid()) {
        assertIllegalArgument(() -> Hkdf.derive(salt, ikm, info, size));
      } else {
        throw new AssertionError("no rule for result " + c.result());
      }
    });
  }
}
