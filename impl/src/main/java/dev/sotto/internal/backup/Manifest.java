package dev.sotto.internal.backup;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.Suite;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A backup's manifest and the head envelope that carries it (spec: backup.adoc#backup-manifest):
 * the fields, their encoding with the signature by BK, and the head's sealing under K_manifest.
 */
public record Manifest(long generation, byte[] device, long counter, long created, int parts, Passphrase passphrase,
    List<byte[]> chunkIds) {
  public static final int VERSION = 0x02;
  public static final int DEVICE_LENGTH = 16;
  public static final int CHUNK_ID_LENGTH = 32;
  public static final int SIV_LENGTH = 16;
  public static final int MAX_CHUNKS = 2000;
  public static final long MAX_GENERATION = 0xffffffffL;
  public static final long MAX_TIME = 253_402_300_799L;

  public static final int PART_CONTACTS = 0x01;
  public static final int PART_SETTINGS = 0x02;
  public static final int PART_HISTORY = 0x04;

  public static final int PROTECTION_NONE = 0x00;
  public static final int PROTECTION_PASSPHRASE = 0x01;

  /** The Argon2id parameters and the passphrase check of a passphrase manifest. */
  public record Passphrase(long memory, long iterations, int parallelism, byte[] check) {
    public static final int MIN_PARALLELISM = 1;
    public static final int MAX_PARALLELISM = 4;
    public static final long MAX_MEMORY = 1_048_576;
    public static final long MAX_ITERATIONS = 16;
    public static final long MAX_WORK = 2_097_152;

    /** Whether the parameters are within the bounds a reader accepts (spec: backup.adoc#argon2-bounds). */
    public static boolean withinBounds(long memory, long iterations, long parallelism) {
      return parallelism >= MIN_PARALLELISM && parallelism <= MAX_PARALLELISM
          && memory >= 8 * parallelism && memory <= MAX_MEMORY
          && iterations >= 1 && iterations <= MAX_ITERATIONS
          && memory * iterations <= MAX_WORK;
    }
  }

  public Manifest {
    chunkIds = List.copyOf(chunkIds);
  }

  /** The manifest's bytes, the signature by bk_private included. */
  public byte[] encode(SeedKeys keys) {
    byte[] body = body();
    byte[] signing = keys.signingPrivate();
    try {
      return Bytes.concat(body, Ed25519.sign(signing, Bytes.concat(Labels.BACKUP_SIGNATURE, body)));
    } finally {
      Arrays.fill(signing, (byte) 0);
    }
  }

  /** Every byte before the signature. */
  public byte[] body() {
    Writer w = new Writer().u8(VERSION).u16(Suite.SOTTO_1.id()).u32(generation).bytes(device).u64(counter)
        .u64(created).u8(parts);
    if (passphrase == null) {
      w.u8(PROTECTION_NONE);
    } else {
      w.u8(PROTECTION_PASSPHRASE).u32(passphrase.memory()).u32(passphrase.iterations()).u8(passphrase.parallelism())
          .bytes(passphrase.check());
    }
    w.u16(chunkIds.size());
    chunkIds.forEach(w::bytes);
    return w.toByteArray();
  }

  /** The head: 0x02 || head_tag || siv || Seal(manifest || zeros), the smallest bucket that holds it. */
  public byte[] seal(SeedKeys keys) {
    byte[] manifest = encode(keys);
    int bucket = Chunks.bucket((long) Envelope.HEADER_LENGTH + SIV_LENGTH + manifest.length + Aead.TAG_LENGTH);
    byte[] plaintext = Arrays.copyOf(manifest, bucket - Envelope.HEADER_LENGTH - SIV_LENGTH - Aead.TAG_LENGTH);
    byte[] manifestKey = keys.manifestKey();
    try {
      byte[] siv = siv(manifestKey, plaintext);
      byte[] keyAndNonce = Hkdf.derive(siv, manifestKey, Labels.BACKUP_MANIFEST_SEAL, 44);
      byte[] sealed = Aead.sealWith(keyAndNonce, new byte[0], plaintext);
      Arrays.fill(keyAndNonce, (byte) 0);
      return Bytes.concat(new byte[] {Envelope.VERSION}, keys.headTag(), siv, sealed);
    } finally {
      Arrays.fill(manifestKey, (byte) 0);
    }
  }

  /** siv = HMAC(K_manifest, "sotto/v2/backup/manifest-siv" || plaintext)[0:16]. */
  public static byte[] siv(byte[] manifestKey, byte[] plaintext) {
    return Arrays.copyOf(Hmac.sha256(manifestKey, Labels.BACKUP_MANIFEST_SIV, plaintext), SIV_LENGTH);
  }

  /**
   * Reads a head (spec: backup.adoc#backup-manifest), in order: the envelope, the tag, the AEAD, the
   * fields, the padding, the signature.
   */
  public static Manifest open(byte[] head, SeedKeys keys) throws SottoException {
    Envelope envelope = Envelope.parse(head);
    if (!Bytes.constantTimeEquals(envelope.tag(), keys.headTag())) {
      throw new SottoException(ErrorCode.UNKNOWN_TAG, "backup head: the tag is not this identity's head tag");
    }
    byte[] siv = Arrays.copyOfRange(head, Envelope.HEADER_LENGTH, Envelope.HEADER_LENGTH + SIV_LENGTH);
    byte[] manifestKey = keys.manifestKey();
    byte[] plaintext;
    try {
      byte[] keyAndNonce = Hkdf.derive(siv, manifestKey, Labels.BACKUP_MANIFEST_SEAL, 44);
      try {
        plaintext = Aead.openWith(keyAndNonce, new byte[0],
            Arrays.copyOfRange(head, Envelope.HEADER_LENGTH + SIV_LENGTH, head.length));
      } finally {
        Arrays.fill(keyAndNonce, (byte) 0);
      }
    } finally {
      Arrays.fill(manifestKey, (byte) 0);
    }
    return read(plaintext, keys);
  }

  /** Reads a manifest's plaintext (the manifest and its zero padding) and verifies its signature. */
  public static Manifest read(byte[] plaintext, SeedKeys keys) throws SottoException {
    Reader in = Reader.decrypted(plaintext, "backup manifest");
    in.version(VERSION, "backup manifest");
    in.suite();
    long generation = in.u32("generation");
    byte[] device = in.bytes(DEVICE_LENGTH, "device");
    int at = in.position();
    long counter = in.u64("counter");
    if (counter == 0) {
      throw in.invalid("counter", at, "a counter is at least 1");
    }
    at = in.position();
    long created = in.u64("created");
    if (created > MAX_TIME) {
      throw in.invalid("created", at, "a time is at most 253402300799");
    }
    at = in.position();
    int parts = in.u8("parts");
    if ((parts & ~0x07) != 0 || ((parts & PART_HISTORY) != 0 && (parts & PART_CONTACTS) == 0)) {
      throw in.invalid("parts", at, "undefined part bits, or history without contacts");
    }
    at = in.position();
    int protection = in.u8("protection");
    Passphrase passphrase = null;
    if (protection == PROTECTION_PASSPHRASE) {
      int paramsAt = in.position();
      long memory = in.u32("memory");
      long iterations = in.u32("iterations");
      int parallelism = in.u8("parallelism");
      if (!Passphrase.withinBounds(memory, iterations, parallelism)) {
        throw in.invalid("argon2id parameters", paramsAt, "out of bounds");
      }
      passphrase = new Passphrase(memory, iterations, parallelism, in.bytes(ContentKeys.CHECK_LENGTH, "check"));
    } else if (protection != PROTECTION_NONE) {
      throw in.invalid("protection", at, "neither 0x00 nor 0x01");
    }
    at = in.position();
    int count = in.u16("chunk_count");
    if (count > MAX_CHUNKS) {
      throw in.invalid("chunk_count", at, "more than " + MAX_CHUNKS);
    }
    List<byte[]> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(in.bytes(CHUNK_ID_LENGTH, "chunk_id"));
    }
    int bodyLength = in.position();
    byte[] signature = in.bytes(Ed25519.SIGNATURE_LENGTH, "signature");
    in.zeros("padding");
    byte[] body = Arrays.copyOf(plaintext, bodyLength);
    if (!Ed25519.verify(keys.signingPublic(), Bytes.concat(Labels.BACKUP_SIGNATURE, body), signature)) {
      throw new SottoException(ErrorCode.BAD_SIGNATURE, "backup manifest: the signature does not verify under BK");
    }
    return new Manifest(generation, device, counter, created, parts, passphrase, ids);
  }
}
