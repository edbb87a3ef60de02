package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sotto.testing.TestRandom;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class RandomSourceTest {
  @Test
  void theOnlyStaticFactoryOfTheProductionInterfaceIsSecure() {
    List<String> statics = Arrays.stream(RandomSource.class.getDeclaredMethods())
        .filter(m -> Modifier.isStatic(m.getModifiers()) && !m.isSynthetic())
        .map(Method::getName)
        .sorted()
        .toList();
    assertEquals(List.of("secure"), statics);
    assertEquals(0, RandomSource.class.getDeclaredClasses().length, "no nested source classes");
  }

  @Test
  void theTestSourcesAreNotInTheLibrary() {
    assertNotEquals(
        RandomSource.class.getProtectionDomain().getCodeSource().getLocation(),
        TestRandom.class.getProtectionDomain().getCodeSource().getLocation());
  }

  @Test
  void theDeterministicStreamIsTheDocumentedChaCha20Keystream() throws Exception {
    byte[] seed = "seed".getBytes(StandardCharsets.US_ASCII);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update("sotto/v1/test-random".getBytes(StandardCharsets.US_ASCII));
    byte[] key = sha.digest(seed);
    Cipher chacha = Cipher.getInstance("ChaCha20");
    chacha.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new ChaCha20ParameterSpec(new byte[12], 0));
    byte[] expected = chacha.doFinal(new byte[100]);

    RandomSource random = TestRandom.deterministic(seed);
    byte[] drawn = new byte[100];
    System.arraycopy(random.bytes(7), 0, drawn, 0, 7);
    System.arraycopy(random.bytes(93), 0, drawn, 7, 93);
    assertArrayEquals(expected, drawn);
  }
}
