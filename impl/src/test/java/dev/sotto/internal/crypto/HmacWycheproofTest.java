package dev.sotto.internal.crypto;

import static dev.sotto.internal.crypto.WycheproofFiles.assertBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * HMAC-SHA-256 against Wycheproof hmac_sha256_test.json. A group's tagSize may truncate the
 * tag: the first tagSize / 8 bytes of our full HMAC are compared; an invalid (modified) tag
 * must not match them.
 */
class HmacWycheproofTest {
  @TestFactory
  Stream<DynamicNode> hmacSha256() {
    return WycheproofFiles.cases("hmac_sha256_test.json", c -> {
      byte[] key = c.bytes("key");
      byte[] msg = c.bytes("msg");
      byte[] tag = c.bytes("tag");
      int tagBytes = c.groupInteger("tagSize") / 8;
      byte[] ours = Arrays.copyOf(Hmac.sha256(key, msg), tagBytes);
      if (c.isValid()) {
        assertEquals(tagBytes, tag.length, "tag length of the group");
        assertBytes(tag, ours, "tag");
      } else if (c.isInvalid()) {
        assertFalse(Arrays.equals(tag, ours), "a modified tag matches");
      } else {
        throw new AssertionError("no rule for result " + c.result());
      }
    });
  }
}
