package dev.sotto;

import dev.sotto.internal.backup.SeedKeys;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import java.util.Objects;

/**
 * The backup keys of an identity that depend on its seed alone (spec: backup.adoc#backup-keys):
 * what a fresh machine with only the recovery code needs to find its backups at a mailbox
 * ({@link #headTag()}, {@link #credential(byte[])}) and to open and check their manifests
 * ({@link BackupManifest#open}). The contents need the content key too, which a
 * {@link BackupProtection} (the passphrase, if any) completes.
 *
 * <p>Holds secrets: {@link #toString()} shows nothing of them.
 */
public final class BackupKeys {
  private final SeedKeys keys;
  private final PublicIdentity owner;

  private BackupKeys(SeedKeys keys, PublicIdentity owner) {
    this.keys = keys;
    this.owner = owner;
  }

  /** The backup keys of {@code seed}. */
  public static BackupKeys of(IdentitySeed seed) {
    Objects.requireNonNull(seed, "seed");
    byte[] bytes = seed.toBytes();
    try {
      return new BackupKeys(new SeedKeys(bytes), Identity.fromSeed(seed).publicIdentity());
    } finally {
      java.util.Arrays.fill(bytes, (byte) 0);
    }
  }

  /** The public identity whose backups these keys open. */
  public PublicIdentity owner() {
    return owner;
  }

  /** The tag every head of this identity is stored under (16 bytes). */
  public byte[] headTag() {
    return keys.headTag();
  }

  /**
   * The credential for the backup class of the mailbox whose X25519 link key is {@code linkKey}
   * (32 raw bytes, as an address gives it): 32 bytes, different for each mailbox (spec:
   * transport.adoc#backup-class).
   */
  public byte[] credential(byte[] linkKey) {
    Bytes.requireLength(linkKey, 32, "link key");
    return keys.credential(KeyCodec.x25519(linkKey));
  }

  /** The tag of the chunk {@code chunkId}. */
  public byte[] chunkTag(byte[] chunkId) {
    Bytes.requireLength(chunkId, 32, "chunk id");
    return keys.chunkTag(chunkId);
  }

  /** BK, the Ed25519 public key that manifests are signed with (32 bytes). Published nowhere. */
  public byte[] signingKey() {
    return keys.signingPublic();
  }

  /** The derived secrets, for the conformance generator, which publishes them as intermediate values. */
  public Derived derived(InsecureSecretAccess access) {
    Objects.requireNonNull(access, "access");
    return new Derived(keys.signingPrivate(), keys.manifestKey(), keys.tagKey(), keys.argon2Salt());
  }

  /** The seed-derived secrets (see {@link #derived}). */
  public record Derived(byte[] signingPrivate, byte[] manifestKey, byte[] tagKey, byte[] argon2Salt) {
    @Override
    public String toString() {
      return "Derived[redacted]";
    }
  }

  SeedKeys internal() {
    return keys;
  }

  @Override
  public String toString() {
    return "BackupKeys[" + owner.fingerprint().text() + "]";
  }
}
