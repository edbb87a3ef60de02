package dev.sotto.internal.backup;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import java.util.Arrays;

/** K_content and the keys derived from it (spec: backup.adoc#backup-keys). */
public final class ContentKeys {
  public static final int CHECK_LENGTH = 16;

  private final byte[] contentKey;
  private final byte[] idKey;
  private final byte[] cutKey;

  public ContentKeys(byte[] contentKey) {
    Bytes.requireLength(contentKey, 32, "content key");
    this.contentKey = contentKey.clone();
    this.idKey = Hkdf.derive(new byte[0], contentKey, Labels.BACKUP_CHUNK_ID, 32);
    this.cutKey = Hkdf.derive(new byte[0], contentKey, Labels.BACKUP_CUT, 32);
  }

  public byte[] contentKey() {
    return contentKey.clone();
  }

  public byte[] idKey() {
    return idKey.clone();
  }

  public byte[] cutKey() {
    return cutKey.clone();
  }

  /** HMAC(K_content, "sotto/v2/backup/passphrase-check")[0:16]. */
  public byte[] check() {
    return Arrays.copyOf(Hmac.sha256(contentKey, Labels.BACKUP_PASSPHRASE_CHECK), CHECK_LENGTH);
  }

  /** chunk_id = HMAC(K_id, data). */
  public byte[] chunkId(byte[] data) {
    return Hmac.sha256(idKey, data);
  }

  /** Whether a record ends a chunk once it holds MIN bytes: HMAC(K_cut, record)[0] &lt; 32. */
  public boolean cutsAfter(byte[] record, int offset, int length) {
    byte[] r = Arrays.copyOfRange(record, offset, offset + length);
    return (Hmac.sha256(cutKey, r)[0] & 0xff) < 32;
  }

  /** key (32) || nonce (12) of a chunk. */
  public byte[] chunkKeyAndNonce(byte[] chunkId) {
    return Hkdf.derive(chunkId, contentKey, Labels.BACKUP_CHUNK_KEY, 44);
  }

  public boolean sameAs(ContentKeys other) {
    return other != null && Bytes.constantTimeEquals(contentKey, other.contentKey);
  }

  @Override
  public String toString() {
    return "ContentKeys[redacted]";
  }
}
