package dev.sotto.internal.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/** Argon2id (RFC 9106), version 0x13, no secret and no associated data. spec: backup.adoc#backup-keys */
public final class Argon2id {
  private Argon2id() {}

  /**
   * Argon2id(password, salt, t = iterations, m = memory KiB, p = parallelism), {@code length}
   * bytes. The caller has checked the parameters against their bounds.
   */
  public static byte[] derive(byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withSalt(salt)
        .withMemoryAsKB(memoryKib)
        .withIterations(iterations)
        .withParallelism(parallelism)
        .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(parameters);
    byte[] out = new byte[length];
    byte[] copy = password.clone();
    try {
      generator.generateBytes(copy, out);
    } finally {
      Arrays.fill(copy, (byte) 0);
    }
    return out;
  }
}
