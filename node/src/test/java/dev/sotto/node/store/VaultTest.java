package dev.sotto.node.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultTest {
  private static final Vault.Params CHEAP = new Vault.Params(1024, 1, 1);
  private static final String PASSPHRASE = "correct horse battery staple";

  @TempDir Path dir;

  private final RandomSource random = TestRandom.deterministic("vault-test".getBytes(StandardCharsets.US_ASCII));
  private final IdentitySeed seed = IdentitySeed.generate(random);

  private Path home() {
    return dir.resolve("home");
  }

  @Test
  void plainRoundTrip() throws Exception {
    assertFalse(Vault.exists(home()));
    Vault.create(home(), seed, null, CHEAP, random);
    assertTrue(Vault.exists(home()));
    assertFalse(Vault.needsPassphrase(home()));
    assertEquals(41, Files.size(home().resolve("identity")));
    assertEquals(seed, Vault.open(home(), null));
    assertEquals(seed, Vault.open(home(), "ignored".toCharArray()));
  }

  @Test
  void passphraseRoundTrip() throws Exception {
    Vault.create(home(), seed, PASSPHRASE.toCharArray(), CHEAP, random);
    assertTrue(Vault.needsPassphrase(home()));
    byte[] file = Files.readAllBytes(home().resolve("identity"));
    assertEquals(94, file.length);
    assertArrayEquals("SOTTOID".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(file, 7));
    assertArrayEquals(new byte[] {1, 1, 0, 0, 4, 0, 0, 0, 0, 1, 1}, Arrays.copyOfRange(file, 7, 18));
    assertEquals(seed, Vault.open(home(), PASSPHRASE.toCharArray()));
  }

  @Test
  void filesAreOwnerOnly() throws Exception {
    Vault.create(home(), seed, null, CHEAP, random);
    if (Files.getFileStore(home()).supportsFileAttributeView("posix")) {
      assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(home()));
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(home().resolve("identity")));
    }
    try (var files = Files.list(home())) {
      assertEquals(List.of(home().resolve("identity")), files.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void wrongOrMissingPassphrase() throws Exception {
    Vault.create(home(), seed, PASSPHRASE.toCharArray(), CHEAP, random);
    StoreException wrong = assertThrows(StoreException.class, () -> Vault.open(home(), "wrong".toCharArray()));
    assertEquals(StoreException.Kind.WRONG_PASSPHRASE, wrong.kind());
    StoreException none = assertThrows(StoreException.class, () -> Vault.open(home(), null));
    assertEquals(StoreException.Kind.WRONG_PASSPHRASE, none.kind());
    assertTrue(none.getMessage().contains("a passphrase is needed"), none.getMessage());
    assertNoSecret(wrong, none);
  }

  @Test
  void createRefusesToOverwrite() throws Exception {
    Vault.create(home(), seed, null, CHEAP, random);
    IdentitySeed other = IdentitySeed.generate(random);
    StoreException e = assertThrows(StoreException.class, () -> Vault.create(home(), other, null, CHEAP, random));
    assertEquals(StoreException.Kind.EXISTS, e.kind());
    assertEquals(seed, Vault.open(home(), null));
  }

  @Test
  void replaceWritesOverTheFileOrWhereThereIsNone() throws Exception {
    Vault.replace(home(), seed, null, CHEAP, random);
    assertEquals(seed, Vault.open(home(), null));
    Vault.replace(home(), seed, PASSPHRASE.toCharArray(), CHEAP, random);
    assertTrue(Vault.needsPassphrase(home()));
    assertEquals(seed, Vault.open(home(), PASSPHRASE.toCharArray()));
    assertEquals(Set.of(Vault.FILE_NAME), Set.of(home().toFile().list()), "no temporary file is left");
  }

  @Test
  void missingFile() {
    assertEquals(StoreException.Kind.MISSING, assertThrows(StoreException.class, () -> Vault.open(home(), null)).kind());
    assertEquals(StoreException.Kind.MISSING, assertThrows(StoreException.class, () -> Vault.needsPassphrase(home())).kind());
  }

  @Test
  void truncatedFilesAreCorrupt() throws Exception {
    for (char[] passphrase : new char[][] {null, PASSPHRASE.toCharArray()}) {
      Path home = dir.resolve(passphrase == null ? "plain" : "sealed");
      Vault.create(home, seed, passphrase, CHEAP, random);
      Path file = home.resolve("identity");
      byte[] good = Files.readAllBytes(file);
      for (int length = 0; length < good.length; length++) {
        Files.write(file, Arrays.copyOf(good, length));
        StoreException e = assertThrows(StoreException.class, () -> Vault.open(home, passphrase));
        assertEquals(StoreException.Kind.CORRUPT, e.kind(), "length " + length);
        assertNoSecret(e);
      }
      Files.write(file, Arrays.copyOf(good, good.length + 1));
      assertEquals(StoreException.Kind.CORRUPT, assertThrows(StoreException.class, () -> Vault.open(home, passphrase)).kind());
    }
  }

  @Test
  void everyAlteredByteIsDetected() throws Exception {
    Vault.create(home(), seed, PASSPHRASE.toCharArray(), CHEAP, random);
    Path file = home().resolve("identity");
    byte[] good = Files.readAllBytes(file);
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x01;
      Files.write(file, bad);
      StoreException e = assertThrows(StoreException.class, () -> Vault.open(home(), PASSPHRASE.toCharArray()), "byte " + i);
      Set<StoreException.Kind> expected = i < 9
          ? Set.of(StoreException.Kind.CORRUPT)
          : Set.of(StoreException.Kind.CORRUPT, StoreException.Kind.WRONG_PASSPHRASE);
      assertTrue(expected.contains(e.kind()), "byte " + i + ": " + e.kind());
      assertNoSecret(e);
    }
  }

  @Test
  void alteredPlainHeaderIsCorrupt() throws Exception {
    Vault.create(home(), seed, null, CHEAP, random);
    Path file = home().resolve("identity");
    byte[] good = Files.readAllBytes(file);
    for (int i = 0; i < 9; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x02;
      Files.write(file, bad);
      StoreException e = assertThrows(StoreException.class, () -> Vault.open(home(), null));
      assertEquals(StoreException.Kind.CORRUPT, e.kind(), "byte " + i);
      assertNoSecret(e);
    }
  }

  @Test
  void argon2idMatchesRfc9106Vector() {
    // RFC 9106 section 5.3.
    byte[] tag = Crypto.argon2id(filled(32, 0x01), filled(16, 0x02), filled(8, 0x03), filled(12, 0x04),
        new Vault.Params(32, 3, 4), 32);
    assertEquals("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", HexFormat.of().formatHex(tag));
  }

  @Test
  void storeKeyIsHkdfOfTheSeed() throws Exception {
    StoreKey key = Vault.storeKey(seed);
    // RFC 5869 by hand, with the JDK's HMAC: PRK = HMAC(salt, IKM), T(i) = HMAC(PRK, T(i-1) || info || i).
    byte[] info = "sotto/v1/node/store".getBytes(StandardCharsets.US_ASCII);
    byte[] prk = hmac(new byte[32], seed.toBytes());
    byte[] t1 = hmac(prk, concat(info, new byte[] {1}));
    byte[] t2 = hmac(prk, concat(t1, info, new byte[] {2}));
    assertArrayEquals(t1, key.encryptionKey());
    assertArrayEquals(t2, key.indexKey());
    assertNotEquals(HexFormat.of().formatHex(key.encryptionKey()),
        HexFormat.of().formatHex(Vault.storeKey(IdentitySeed.generate(random)).encryptionKey()));
    assertEquals("StoreKey[redacted]", key.toString());
  }

  @Test
  void parametersAreBounded() {
    assertEquals(new Vault.Params(65536, 3, 1), Vault.Params.DEFAULT);
    assertThrows(IllegalArgumentException.class, () -> new Vault.Params(7, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Vault.Params(31, 1, 4));
    assertThrows(IllegalArgumentException.class, () -> new Vault.Params(1024, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Vault.Params(1024, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new Vault.Params(1024, 1, 256));
    assertThrows(IllegalArgumentException.class, () -> new Vault.Params(Vault.Params.MAX_MEMORY_KIB + 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> Vault.create(home(), seed, new char[0], CHEAP, random));
  }

  private void assertNoSecret(StoreException... exceptions) {
    String hex = HexFormat.of().formatHex(seed.toBytes());
    for (StoreException e : exceptions) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        String message = String.valueOf(t.getMessage());
        assertFalse(message.contains(PASSPHRASE), message);
        assertFalse(message.toLowerCase().contains(hex), message);
        assertFalse(message.contains(seed.recoveryCode()), message);
      }
    }
  }

  private static byte[] filled(int length, int value) {
    byte[] out = new byte[length];
    Arrays.fill(out, (byte) value);
    return out;
  }

  private static byte[] hmac(byte[] key, byte[] data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  private static byte[] concat(byte[]... parts) {
    byte[] out = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }
}
