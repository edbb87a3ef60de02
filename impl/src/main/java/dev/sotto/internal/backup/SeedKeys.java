package dev.sotto.internal.backup;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import java.util.Arrays;

/**
 * The backup keys that depend on the seed alone (spec: backup.adoc#backup-keys): the signing key
 * BK, the manifest key, the head tag, the chunk-tag key, the Argon2id salt, and the credentials.
 * Holds a copy of the seed, from which the content key and the credentials are derived.
 */
public final class SeedKeys {
  public static final int TAG_LENGTH = 16;
  public static final int KEY_LENGTH = 32;

  private final byte[] seed;
  private final byte[] signingPrivate;
  private final byte[] signingPublic;
  private final byte[] manifestKey;
  private final byte[] headTag;
  private final byte[] tagKey;
  private final byte[] argon2Salt;

  public SeedKeys(byte[] seed) {
    Bytes.requireLength(seed, 32, "seed");
    this.seed = seed.clone();
    this.signingPrivate = Hkdf.derive(new byte[0], seed, Labels.BACKUP_SIGNING_KEY, Ed25519.PRIVATE_KEY_LENGTH);
    this.signingPublic = Ed25519.publicKey(signingPrivate);
    this.manifestKey = Hkdf.derive(new byte[0], seed, Labels.BACKUP_MANIFEST_KEY, KEY_LENGTH);
    this.headTag = Hkdf.derive(new byte[0], seed, Labels.BACKUP_HEAD_TAG, TAG_LENGTH);
    this.tagKey = Hkdf.derive(new byte[0], seed, Labels.BACKUP_CHUNK_TAG, KEY_LENGTH);
    this.argon2Salt = Hkdf.derive(new byte[0], seed, Labels.BACKUP_ARGON2_SALT, 16);
  }

  /** bk_private, for signing manifests. */
  public byte[] signingPrivate() {
    return signingPrivate.clone();
  }

  /** BK, the Ed25519 public key of bk_private. */
  public byte[] signingPublic() {
    return signingPublic.clone();
  }

  public byte[] manifestKey() {
    return manifestKey.clone();
  }

  public byte[] headTag() {
    return headTag.clone();
  }

  public byte[] tagKey() {
    return tagKey.clone();
  }

  public byte[] argon2Salt() {
    return argon2Salt.clone();
  }

  /** The tag of the chunk {@code chunkId}: HMAC(K_tag, chunk_id)[0:16]. */
  public byte[] chunkTag(byte[] chunkId) {
    return Arrays.copyOf(Hmac.sha256(tagKey, chunkId), TAG_LENGTH);
  }

  /** The mailbox credential for the mailbox of {@code typedLinkKey} (33 bytes). */
  public byte[] credential(byte[] typedLinkKey) {
    return Hkdf.derive(new byte[0], seed, Bytes.concat(Labels.BACKUP_CREDENTIAL, typedLinkKey), KEY_LENGTH);
  }

  /** The content keys: without a passphrase, from the seed alone; with one, salted with Argon2id's output. */
  public ContentKeys content(byte[] argon2Output) {
    byte[] salt = argon2Output == null ? new byte[0] : argon2Output;
    return new ContentKeys(Hkdf.derive(salt, seed, Labels.BACKUP_CONTENT_KEY, KEY_LENGTH));
  }

  /** Best-effort erasure of the copies this object holds. */
  public void destroy() {
    for (byte[] b : new byte[][] {seed, signingPrivate, manifestKey, tagKey, argon2Salt}) {
      Arrays.fill(b, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "SeedKeys[redacted]";
  }
}
