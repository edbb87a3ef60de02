package dev.sotto.internal.handshake;

import dev.sotto.SottoException;
import dev.sotto.Suite;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;

/**
 * The first message of a handshake, as it stands on the wire (spec: handshake.adoc#first-message).
 *
 * <pre>
 *   version u8 = 0x02 || suite u16 || flags u8 || time u64 || spk_id u32 || kem_id u32 || [opk_id u32]
 *   || ek (typed X25519, 33) || ciphertext bytes[1088] || encrypted_identity bytes[84]
 *   || payload_length u32 || payload bytes[payload_length]
 * </pre>
 */
public record FirstMessage(
    int flags, long time, long spkId, long kemId, long opkId, byte[] ephemeralKey, byte[] ciphertext,
    byte[] encryptedIdentity, byte[] payload) {

  public static final int VERSION = 0x02;
  /** Flag bit: an X25519 one-time prekey was used; {@code opk_id} is present. */
  public static final int FLAG_ONE_TIME_PREKEY = 0x01;
  /** Flag bit: {@code kem_id} names an ML-KEM one-time prekey (otherwise the signed ML-KEM prekey). */
  public static final int FLAG_KEM_ONE_TIME_PREKEY = 0x02;
  /** No opk_id: {@link #opkId()} when the flag is clear. */
  public static final long NONE = -1;
  /** The largest time: 9999-12-31T23:59:59Z. */
  public static final long MAX_TIME = 253_402_300_799L;

  public static final int ENCRYPTED_IDENTITY_LENGTH = 68 + Aead.TAG_LENGTH;

  public boolean usesOneTimePrekey() {
    return (flags & FLAG_ONE_TIME_PREKEY) != 0;
  }

  public boolean usesKemOneTimePrekey() {
    return (flags & FLAG_KEM_ONE_TIME_PREKEY) != 0;
  }

  public byte[] encode() {
    Writer out = new Writer().u8(VERSION).u16(Suite.SOTTO_1.id()).u8(flags).u64(time).u32(spkId).u32(kemId);
    if (usesOneTimePrekey()) {
      out.u32(opkId);
    }
    return out.bytes(KeyCodec.x25519(ephemeralKey))
        .bytes(ciphertext)
        .bytes(encryptedIdentity)
        .u32(payload.length)
        .bytes(payload)
        .toByteArray();
  }

  /** Reads a first message, checking each field as it is read (spec: handshake.adoc#responder, step 1). */
  public static FirstMessage parse(byte[] encoded) throws SottoException {
    Reader in = new Reader(encoded, "first message");
    in.version(VERSION, "first message");
    in.suite();
    int flagsOffset = in.position();
    int flags = in.u8("flags");
    if ((flags & ~(FLAG_ONE_TIME_PREKEY | FLAG_KEM_ONE_TIME_PREKEY)) != 0) {
      throw in.invalid("flags", flagsOffset, String.format("undefined flag bits in 0x%02x", flags));
    }
    int timeOffset = in.position();
    long time = in.u64("time");
    if (time > MAX_TIME) {
      throw in.invalid("time", timeOffset, "time after 9999-12-31T23:59:59Z");
    }
    long spkId = in.u32("spk_id");
    long kemId = in.u32("kem_id");
    long opkId = (flags & FLAG_ONE_TIME_PREKEY) != 0 ? in.u32("opk_id") : NONE;
    byte[] ek = KeyCodec.readX25519(in, "ek");
    byte[] ciphertext = in.bytes(MlKem768.CIPHERTEXT_LENGTH, "ciphertext");
    byte[] encryptedIdentity = in.bytes(ENCRYPTED_IDENTITY_LENGTH, "encrypted_identity");
    int lengthOffset = in.position();
    long length = in.u32("payload_length");
    if (length < Aead.TAG_LENGTH) {
      throw in.invalid("payload_length", lengthOffset, "shorter than an AEAD tag");
    }
    byte[] payload = in.bytes(length, "payload");
    in.end();
    return new FirstMessage(flags, time, spkId, kemId, opkId, ek, ciphertext, encryptedIdentity, payload);
  }
}
