package dev.sotto.internal.crypto;

import static dev.sotto.internal.crypto.WycheproofFiles.assertBytes;
import static dev.sotto.internal.crypto.WycheproofFiles.assertIllegalArgument;
import static dev.sotto.internal.crypto.WycheproofFiles.assertSottoException;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sotto.ErrorCode;
import dev.sotto.internal.encoding.Bytes;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * ChaCha20-Poly1305 ({@link Aead}) against Wycheproof chacha20_poly1305_test.json. Valid
 * cases: seal gives ct || tag and open gives msg back. Invalid cases: a nonce of the wrong
 * size is API misuse (IllegalArgumentException from seal and open); otherwise open fails
 * with AUTH_FAILED. Run through the backend this runtime chooses, then through each backend forced.
 */
class ChaCha20Poly1305WycheproofTest {
  @TestFactory
  Stream<DynamicNode> chacha20Poly1305() {
    return WycheproofFiles.cases("chacha20_poly1305_test.json", c -> {
      byte[] key = c.bytes("key");
      byte[] nonce = c.bytes("iv");
      byte[] aad = c.bytes("aad");
      byte[] msg = c.bytes("msg");
      byte[] sealed = Bytes.concat(c.bytes("ct"), c.bytes("tag"));
      assertEquals(c.groupInteger("ivSize"), nonce.length * 8, "ivSize of the group");
      if (c.isValid()) {
        assertBytes(sealed, Aead.seal(key, nonce, aad, msg), "seal (ct || tag)");
        assertBytes(msg, Aead.open(key, nonce, aad, sealed), "open");
        for (Aead.Backend b : Aead.Backend.values()) {
          assertBytes(sealed, Aead.seal(b, key, nonce, aad, msg), "seal (ct || tag), " + b);
          assertBytes(msg, Aead.open(b, key, nonce, aad, sealed), "open, " + b);
        }
      } else if (c.isInvalid() && nonce.length != Aead.NONCE_LENGTH) {
        assertIllegalArgument(() -> Aead.seal(key, nonce, aad, msg));
        assertIllegalArgument(() -> Aead.open(key, nonce, aad, sealed));
        for (Aead.Backend b : Aead.Backend.values()) {
          assertIllegalArgument(() -> Aead.seal(b, key, nonce, aad, msg));
          assertIllegalArgument(() -> Aead.open(b, key, nonce, aad, sealed));
        }
      } else if (c.isInvalid()) {
        assertSottoException(ErrorCode.AUTH_FAILED, () -> Aead.open(key, nonce, aad, sealed));
        for (Aead.Backend b : Aead.Backend.values()) {
          assertSottoException(ErrorCode.AUTH_FAILED, () -> Aead.open(b, key, nonce, aad, sealed));
        }
      } else {
        throw new AssertionError("no rule for result " + c.result());
      }
    });
  }
}
