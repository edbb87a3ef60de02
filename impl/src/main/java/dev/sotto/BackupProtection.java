package dev.sotto;

import dev.sotto.internal.backup.ContentKeys;
import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.backup.SeedKeys;
import dev.sotto.internal.crypto.Argon2id;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * How a backup's contents are sealed (spec: backup.adoc#backup-passphrase): under a key of the
 * seed alone, or of the seed and a passphrase through Argon2id. Holds the normalised passphrase
 * until it is used; {@link #toString()} does not show it.
 */
public final class BackupProtection {
  /** The most bytes a passphrase has, as UTF-8 after NFC. */
  public static final int MAX_PASSPHRASE_BYTES = 1024;

  /**
   * Argon2id's cost (RFC 9106): memory in KiB, iterations, parallelism; within the bounds of
   * spec: backup.adoc#argon2-bounds, or an {@link IllegalArgumentException}.
   */
  public record Argon2(int memory, int iterations, int parallelism) {
    /** What the reference implementation writes: 64 MiB, 3 passes, 1 lane. */
    public static final Argon2 DEFAULT = new Argon2(65_536, 3, 1);

    public Argon2 {
      if (!Manifest.Passphrase.withinBounds(memory, iterations, parallelism)) {
        throw new IllegalArgumentException("Argon2id parameters out of bounds: parallelism 1..4, memory 8*p..1048576"
            + " KiB, iterations 1..16, memory*iterations <= 2097152");
      }
    }
  }

  private final byte[] passphrase;
  private final Argon2 argon2;

  private BackupProtection(byte[] passphrase, Argon2 argon2) {
    this.passphrase = passphrase;
    this.argon2 = argon2;
  }

  /** No passphrase: the seed alone opens the contents. */
  public static BackupProtection none() {
    return new BackupProtection(null, null);
  }

  /** A passphrase with the default Argon2id cost. The caller may clear {@code passphrase} afterwards. */
  public static BackupProtection passphrase(char[] passphrase) {
    return passphrase(passphrase, Argon2.DEFAULT);
  }

  /**
   * A passphrase: its UTF-8 encoding after Unicode normalisation form C, 1 to 1,024 bytes (otherwise
   * an {@link IllegalArgumentException}), with Argon2id at {@code argon2}.
   */
  public static BackupProtection passphrase(char[] passphrase, Argon2 argon2) {
    Objects.requireNonNull(argon2, "argon2");
    return new BackupProtection(normalized(passphrase), argon2);
  }

  /** The Argon2id parameters, if there is a passphrase. */
  public Optional<Argon2> argon2() {
    return Optional.ofNullable(argon2);
  }

  public boolean hasPassphrase() {
    return passphrase != null;
  }

  /** P: the passphrase's UTF-8 encoding after NFC (spec: backup.adoc#backup-keys). */
  static byte[] normalized(char[] passphrase) {
    Objects.requireNonNull(passphrase, "passphrase");
    String nfc = Normalizer.normalize(CharBuffer.wrap(passphrase), Normalizer.Form.NFC);
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(nfc);
    byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);
    if (encoded.hasArray()) {
      Arrays.fill(encoded.array(), (byte) 0);
    }
    if (bytes.length < 1 || bytes.length > MAX_PASSPHRASE_BYTES) {
      Arrays.fill(bytes, (byte) 0);
      throw new IllegalArgumentException("a backup passphrase is 1 to " + MAX_PASSPHRASE_BYTES + " bytes of UTF-8");
    }
    return bytes;
  }

  /** The content keys under this protection, with the manifest's Argon2id parameters for a passphrase. */
  ContentKeys derive(SeedKeys keys) {
    if (passphrase == null) {
      return keys.content(null);
    }
    return derive(keys, passphrase, argon2.memory(), argon2.iterations(), argon2.parallelism());
  }

  /** K_content of passphrase bytes {@code p} under the given Argon2id cost. */
  static ContentKeys derive(SeedKeys keys, byte[] p, long memory, long iterations, int parallelism) {
    byte[] a = Argon2id.derive(p, keys.argon2Salt(), (int) memory, (int) iterations, parallelism, 32);
    try {
      return keys.content(a);
    } finally {
      Arrays.fill(a, (byte) 0);
    }
  }

  /** The Argon2id output A, for the conformance generator. */
  byte[] argon2Output(SeedKeys keys) {
    return Argon2id.derive(passphrase, keys.argon2Salt(), argon2.memory(), argon2.iterations(), argon2.parallelism(), 32);
  }

  byte[] passphraseBytes() {
    return passphrase;
  }

  @Override
  public String toString() {
    return passphrase == null ? "BackupProtection[none]" : "BackupProtection[passphrase, " + argon2 + "]";
  }
}
