package dev.sotto.node.store;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;

/**
 * The identity file {@code <home>/identity}: the node's {@link IdentitySeed}, sealed under a
 * passphrase or, if the user chose none, in clear.
 *
 * <h2>Format</h2>
 *
 * <p>Integers are unsigned and big-endian.
 *
 * <pre>
 * offset  length  field
 *  0       7      magic, the ASCII bytes "SOTTOID"
 *  7       1      version, 1
 *  8       1      mode: 0 = plain, 1 = passphrase
 * mode 0 (41 bytes in all):
 *  9      32      the seed, in clear; the file's owner-only permissions are its only protection
 * mode 1 (94 bytes in all):
 *  9       4      Argon2id memory, in KiB (u32)
 * 13       4      Argon2id iterations (u32)
 * 17       1      Argon2id parallelism (u8)
 * 18      16      salt
 * 34      12      nonce
 * 46      48      ChaCha20-Poly1305(key, nonce, aad = bytes 0 to 45, plaintext = seed):
 *                 32 bytes of ciphertext, then the 16-byte tag
 * </pre>
 *
 * <p>where key = Argon2id version 0x13 (RFC 9106) of the passphrase's UTF-8 bytes, with the salt
 * and the stored parameters, no secret, no associated data, and a 32-byte tag. Every header byte
 * is authenticated, so a file whose parameters, salt or nonce were altered fails like a wrong
 * passphrase: the two cannot be told apart.
 *
 * <p>The file is created owner-only (0600), in a home directory that is created owner-only
 * (0700), where the file system has POSIX permissions. Passphrases are {@code char[]} owned by
 * the caller, who clears them; the vault clears its own copies (best effort, as always in Java).
 */
public final class Vault {
  /** The file name of the identity file in a node's home directory. */
  public static final String FILE_NAME = "identity";

  private static final byte[] MAGIC = "SOTTOID".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int MODE_PLAIN = 0;
  private static final int MODE_PASSPHRASE = 1;
  private static final int HEADER_LENGTH = MAGIC.length + 2;
  private static final int SALT_LENGTH = 16;
  private static final int PARAMS_LENGTH = 4 + 4 + 1;
  private static final int AAD_LENGTH = HEADER_LENGTH + PARAMS_LENGTH + SALT_LENGTH + Crypto.NONCE_LENGTH;
  private static final int PLAIN_LENGTH = HEADER_LENGTH + IdentitySeed.LENGTH;
  private static final int SEALED_LENGTH = AAD_LENGTH + IdentitySeed.LENGTH + Crypto.TAG_LENGTH;
  private static final byte[] STORE_KEY_INFO = "sotto/v1/node/store".getBytes(StandardCharsets.US_ASCII);

  /**
   * Argon2id cost parameters (RFC 9106 section 3.1). The bounds keep a damaged or hostile file
   * from asking for more than 4 GiB or an hour of work.
   *
   * @param memoryKiB memory in KiB, from 8 × parallelism to 4 GiB
   * @param iterations passes over the memory, 1 to 1024
   * @param parallelism lanes, 1 to 255
   */
  public record Params(int memoryKiB, int iterations, int parallelism) {
    /** 64 MiB, 3 iterations, 1 lane: RFC 9106's second recommended option. */
    public static final Params DEFAULT = new Params(64 * 1024, 3, 1);

    public static final int MAX_MEMORY_KIB = 4 * 1024 * 1024;
    public static final int MAX_ITERATIONS = 1024;

    /** @throws IllegalArgumentException for a value out of bounds */
    public Params {
      if (parallelism < 1 || parallelism > 255) {
        throw new IllegalArgumentException("Argon2id parallelism must be 1 to 255");
      }
      if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) {
        throw new IllegalArgumentException("Argon2id memory must be 8 KiB per lane to " + MAX_MEMORY_KIB + " KiB");
      }
      if (iterations < 1 || iterations > MAX_ITERATIONS) {
        throw new IllegalArgumentException("Argon2id iterations must be 1 to " + MAX_ITERATIONS);
      }
    }
  }

  private Vault() {}

  /** Whether {@code home} holds an identity file. */
  public static boolean exists(Path home) {
    return Files.exists(home.resolve(FILE_NAME));
  }

  /**
   * Writes a new identity file, creating {@code home} if needed. The file appears whole or not at
   * all: it is written to a temporary file, synced, then linked (or atomically moved) into place.
   *
   * @param passphraseOrNull the passphrase, or null for a plain file; an empty passphrase is
   *     refused as a likely mistake
   * @param params the Argon2id cost; ignored for a plain file
   * @param random draws the salt and the nonce
   * @throws StoreException {@code EXISTS} if there is an identity file already, {@code IO} if it
   *     cannot be written
   */
  public static void create(Path home, IdentitySeed seed, char[] passphraseOrNull, Params params, RandomSource random)
      throws StoreException {
    if (passphraseOrNull != null && passphraseOrNull.length == 0) {
      throw new IllegalArgumentException("an empty passphrase: pass null for a file without one");
    }
    Path file = home.resolve(FILE_NAME);
    if (Files.exists(file)) {
      throw new StoreException(StoreException.Kind.EXISTS, "there is an identity file in " + home + " already");
    }
    byte[] content = passphraseOrNull == null ? plain(seed) : sealed(seed, passphraseOrNull, params, random);
    try {
      createHome(home);
      writeAtomically(file, content, false);
    } catch (FileAlreadyExistsException e) {
      throw new StoreException(StoreException.Kind.EXISTS, "there is an identity file in " + home + " already");
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot write the identity file in " + home, e);
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  /**
   * Writes the identity file anew, over the one in {@code home} if there is one, atomically: a
   * crash leaves the old file or the new one. For a recovery (the seed from its recovery code),
   * and to seal the file under another passphrase or none.
   *
   * @throws StoreException {@code IO} if it cannot be written
   */
  public static void replace(Path home, IdentitySeed seed, char[] passphraseOrNull, Params params, RandomSource random)
      throws StoreException {
    if (passphraseOrNull != null && passphraseOrNull.length == 0) {
      throw new IllegalArgumentException("an empty passphrase: pass null for a file without one");
    }
    byte[] content = passphraseOrNull == null ? plain(seed) : sealed(seed, passphraseOrNull, params, random);
    try {
      createHome(home);
      writeAtomically(home.resolve(FILE_NAME), content, true);
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot write the identity file in " + home, e);
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  /**
   * Reads the identity file.
   *
   * @param passphraseOrNull the passphrase, or null; ignored if the file has none
   * @throws StoreException {@code MISSING} if there is no identity file; {@code WRONG_PASSPHRASE}
   *     if the passphrase does not open it (or the file was altered), or if it needs one and none
   *     was given; {@code CORRUPT} if it is not an identity file of this version
   */
  public static IdentitySeed open(Path home, char[] passphraseOrNull) throws StoreException {
    byte[] file = read(home);
    byte[] seed = null;
    try {
      if (file[HEADER_LENGTH - 1] == MODE_PLAIN) {
        seed = Arrays.copyOfRange(file, HEADER_LENGTH, PLAIN_LENGTH);
        return IdentitySeed.fromBytes(seed);
      }
      if (passphraseOrNull == null) {
        throw new StoreException(StoreException.Kind.WRONG_PASSPHRASE, "a passphrase is needed to open the identity file");
      }
      ByteBuffer in = ByteBuffer.wrap(file, HEADER_LENGTH, PARAMS_LENGTH);
      Params params;
      try {
        params = new Params(in.getInt(), in.getInt(), Byte.toUnsignedInt(in.get()));
      } catch (IllegalArgumentException e) {
        throw new StoreException(StoreException.Kind.CORRUPT, "the identity file's Argon2id parameters are out of bounds");
      }
      int saltAt = HEADER_LENGTH + PARAMS_LENGTH;
      byte[] salt = Arrays.copyOfRange(file, saltAt, saltAt + SALT_LENGTH);
      byte[] nonce = Arrays.copyOfRange(file, saltAt + SALT_LENGTH, AAD_LENGTH);
      byte[] aad = Arrays.copyOfRange(file, 0, AAD_LENGTH);
      byte[] key = deriveKey(passphraseOrNull, salt, params);
      try {
        seed = Crypto.open(key, nonce, aad, file, AAD_LENGTH, file.length - AAD_LENGTH);
        return IdentitySeed.fromBytes(seed);
      } catch (InvalidCipherTextException e) {
        throw new StoreException(
            StoreException.Kind.WRONG_PASSPHRASE, "the passphrase does not open the identity file, or the file was altered");
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    } finally {
      Arrays.fill(file, (byte) 0);
      if (seed != null) {
        Arrays.fill(seed, (byte) 0);
      }
    }
  }

  /**
   * Whether the identity file is sealed under a passphrase.
   *
   * @throws StoreException {@code MISSING}, {@code CORRUPT} or {@code IO} as for {@link #open}
   */
  public static boolean needsPassphrase(Path home) throws StoreException {
    byte[] file = read(home);
    try {
      return file[HEADER_LENGTH - 1] == MODE_PASSPHRASE;
    } finally {
      Arrays.fill(file, (byte) 0);
    }
  }

  /**
   * The keys of the node's store: HKDF-SHA-256 (RFC 5869) with an empty salt, the seed as input
   * keying material and the ASCII info "sotto/v1/node/store", 64 bytes, of which the first 32 are
   * the encryption key and the last 32 the index key.
   */
  public static StoreKey storeKey(IdentitySeed seed) {
    byte[] ikm = seed.toBytes();
    byte[] okm = Crypto.hkdf(ikm, new byte[0], STORE_KEY_INFO, 2 * StoreKey.LENGTH);
    byte[] encryption = Arrays.copyOfRange(okm, 0, StoreKey.LENGTH);
    byte[] index = Arrays.copyOfRange(okm, StoreKey.LENGTH, okm.length);
    try {
      return new StoreKey(encryption, index);
    } finally {
      Arrays.fill(ikm, (byte) 0);
      Arrays.fill(okm, (byte) 0);
      Arrays.fill(encryption, (byte) 0);
      Arrays.fill(index, (byte) 0);
    }
  }

  private static final byte[] PUBLISH_KEY_INFO = "sotto/v2/node/publish".getBytes(StandardCharsets.US_ASCII);

  /**
   * The credential this node's identity PUBLISHes its prekeys with under {@code bundleTag} at the
   * mailbox whose link key is {@code mailboxLinkKey} (32 raw bytes) (spec:
   * transport.adoc#prekey-service): HKDF-SHA-256(salt = bundle tag, ikm = identity seed, info =
   * "sotto/v2/node/publish" || 0x02 || link key, 32 bytes). Derived, not drawn, so that a home
   * recovered from the seed publishes to the same mailboxes again; one per tag, so that a mailbox
   * cannot link two cards by their credentials; one per mailbox, so that a mailbox, which learns the
   * credential it is given, cannot publish with it at another.
   */
  public static byte[] publishCredential(IdentitySeed seed, byte[] bundleTag, byte[] mailboxLinkKey) {
    if (mailboxLinkKey.length != 32) {
      throw new IllegalArgumentException("a link key is 32 raw bytes");
    }
    byte[] info = new byte[PUBLISH_KEY_INFO.length + 33];
    System.arraycopy(PUBLISH_KEY_INFO, 0, info, 0, PUBLISH_KEY_INFO.length);
    info[PUBLISH_KEY_INFO.length] = 0x02;
    System.arraycopy(mailboxLinkKey, 0, info, PUBLISH_KEY_INFO.length + 1, 32);
    byte[] ikm = seed.toBytes();
    try {
      return Crypto.hkdf(ikm, bundleTag, info, 32);
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
  }

  private static byte[] plain(IdentitySeed seed) {
    byte[] raw = seed.toBytes();
    try {
      return ByteBuffer.allocate(PLAIN_LENGTH).put(MAGIC).put((byte) VERSION).put((byte) MODE_PLAIN).put(raw).array();
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  private static byte[] sealed(IdentitySeed seed, char[] passphrase, Params params, RandomSource random) {
    byte[] salt = random.bytes(SALT_LENGTH);
    byte[] nonce = random.bytes(Crypto.NONCE_LENGTH);
    byte[] aad = ByteBuffer.allocate(AAD_LENGTH)
        .put(MAGIC).put((byte) VERSION).put((byte) MODE_PASSPHRASE)
        .putInt(params.memoryKiB()).putInt(params.iterations()).put((byte) params.parallelism())
        .put(salt).put(nonce)
        .array();
    byte[] key = deriveKey(passphrase, salt, params);
    byte[] raw = seed.toBytes();
    try {
      return ByteBuffer.allocate(SEALED_LENGTH).put(aad).put(Crypto.seal(key, nonce, aad, raw)).array();
    } finally {
      Arrays.fill(key, (byte) 0);
      Arrays.fill(raw, (byte) 0);
    }
  }

  private static byte[] deriveKey(char[] passphrase, byte[] salt, Params params) {
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
    byte[] password = new byte[encoded.remaining()];
    encoded.get(password);
    if (encoded.hasArray()) {
      Arrays.fill(encoded.array(), (byte) 0);
    }
    try {
      return Crypto.argon2id(password, salt, null, null, params, Crypto.KEY_LENGTH);
    } finally {
      Arrays.fill(password, (byte) 0);
    }
  }

  /** The whole file, its magic, version, mode and length checked. */
  private static byte[] read(Path home) throws StoreException {
    Path path = home.resolve(FILE_NAME);
    byte[] file;
    try {
      // Both valid lengths are tiny: refuse to read a large file into memory.
      if (Files.size(path) > SEALED_LENGTH) {
        throw new StoreException(StoreException.Kind.CORRUPT, "the identity file in " + home + " is too long");
      }
      file = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new StoreException(StoreException.Kind.MISSING, "there is no identity file in " + home);
    } catch (IOException e) {
      throw new StoreException(StoreException.Kind.IO, "cannot read the identity file in " + home, e);
    }
    String problem = null;
    if (file.length < HEADER_LENGTH || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      problem = "is not an identity file";
    } else if (file[MAGIC.length] != VERSION) {
      problem = "has version " + Byte.toUnsignedInt(file[MAGIC.length]) + ", not " + VERSION;
    } else {
      int mode = file[HEADER_LENGTH - 1];
      if (mode != MODE_PLAIN && mode != MODE_PASSPHRASE) {
        problem = "has an unknown mode " + Byte.toUnsignedInt(file[HEADER_LENGTH - 1]);
      } else if (file.length != (mode == MODE_PLAIN ? PLAIN_LENGTH : SEALED_LENGTH)) {
        problem = "has the wrong length, " + file.length + " bytes";
      }
    }
    if (problem != null) {
      Arrays.fill(file, (byte) 0);
      throw new StoreException(StoreException.Kind.CORRUPT, "the file " + path + " " + problem);
    }
    return file;
  }

  /** Creates {@code home} owner-only if it does not exist; an existing directory is left as it is. */
  static void createHome(Path home) throws IOException {
    if (!Files.isDirectory(home)) {
      Files.createDirectories(home, ownerOnly(home, "rwx------"));
    }
  }

  /** The attribute that makes a new file or directory owner-only, where permissions are POSIX. */
  static FileAttribute<?>[] ownerOnly(Path near, String permissions) {
    return near.getFileSystem().supportedFileAttributeViews().contains("posix")
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))}
        : new FileAttribute<?>[0];
  }

  /** Writes through a synced temporary file; without {@code replace}, never over an existing file. */
  private static void writeAtomically(Path target, byte[] content, boolean replace) throws IOException {
    Path dir = target.getParent();
    Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", ownerOnly(dir, "rw-------"));
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      if (replace) {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        try {
          // A hard link, unlike a rename, fails if the target appeared meanwhile: two concurrent
          // creates cannot overwrite each other's identity.
          Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
          throw e;
        } catch (IOException | UnsupportedOperationException e) {
          if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
          }
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } finally {
      Files.deleteIfExists(temp);
    }
    syncDirectory(dir);
  }

  /** Makes the new directory entry durable; not every platform can open a directory, so best effort. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // The file itself is synced; only its name might be lost in a crash right now.
    }
  }
}
