package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** Ed25519 verification against Wycheproof ed25519_test.json: verify returns exactly whether the case is valid. */
class Ed25519WycheproofTest {
  @TestFactory
  Stream<DynamicNode> ed25519Verify() {
    return WycheproofFiles.cases("ed25519_test.json", c -> {
      byte[] publicKey = c.groupBytes("publicKey", "pk");
      byte[] message = c.bytes("msg");
      byte[] signature = c.bytes("sig");
      boolean expected = switch (c.result()) {
        case "valid" -> true;
        case "invalid" -> false;
        default -> throw new AssertionError("no rule for result " + c.result());
      };
      assertEquals(expected, Ed25519.verify(publicKey, message, signature), "verify");
    });
  }
}
