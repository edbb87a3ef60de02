package dev.sotto.conformance.vectors;

import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Prekey bundles and one-time prekey records as raw fields, with an encoder of their own, so that
 * the generator can make (and sign) what the library would refuse to issue (spec: card.adoc#bundle,
 * card.adoc#one-time-prekey).
 */
final class RawPrekeys {
  private RawPrekeys() {}

  static final String BUNDLE_LABEL = "sotto/v2/bundle";
  static final String ONE_TIME_LABEL = "sotto/v2/one-time-prekey";

  /** The message a bundle's or record's signature covers: label || invite_tag || body. */
  static byte[] signedMessage(String label, byte[] inviteTag, byte[] body) {
    return Bytes.concat(label.getBytes(StandardCharsets.US_ASCII), inviteTag, body);
  }

  /**
   * <pre>
   *   version u8 || suite u16 || serial u32 || created u64 || expires u64 || spk_id u32 || spk (typed)
   *   || pqspk_id u32 || pqspk (typed) || signature[64]
   * </pre>
   */
  static final class Bundle {
    /** Offsets of the fields. */
    static final int SUITE = 1;
    static final int SERIAL = 3;
    static final int CREATED = 7;
    static final int EXPIRES = 15;
    static final int SPK_ID = 23;
    static final int SPK = 27;
    static final int PQSPK_ID = 60;
    static final int PQSPK = 64;
    static final int SIGNATURE = 1249;

    int version = PrekeyBundle.VERSION;
    int suite = 0x0001;
    long serial;
    long created;
    long expires;
    long spkId;
    int spkType = 0x02;
    byte[] spk;
    long pqspkId;
    int pqspkType = 0x03;
    byte[] pqspk;

    static Bundle of(PrekeyBundle b) {
      Bundle raw = new Bundle();
      raw.serial = b.serial();
      raw.created = b.created().getEpochSecond();
      raw.expires = b.expires().getEpochSecond();
      raw.spkId = b.signedPrekey().id();
      raw.spk = b.signedPrekey().publicKey();
      raw.pqspkId = b.kemPrekey().id();
      raw.pqspk = b.kemPrekey().publicKey();
      return raw;
    }

    byte[] body() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(version);
      Raw.u16(out, suite);
      Raw.u32(out, serial);
      Raw.u64(out, created);
      Raw.u64(out, expires);
      Raw.u32(out, spkId);
      out.write(spkType);
      out.writeBytes(spk);
      Raw.u32(out, pqspkId);
      out.write(pqspkType);
      out.writeBytes(pqspk);
      return out.toByteArray();
    }

    /** body || Ed25519(signingPrivate, label || inviteTag || body). */
    byte[] signedBy(byte[] signingPrivate, byte[] inviteTag) {
      return signedBy(signingPrivate, inviteTag, BUNDLE_LABEL);
    }

    byte[] signedBy(byte[] signingPrivate, byte[] inviteTag, String label) {
      byte[] body = body();
      return Bytes.concat(body, Ed25519.sign(signingPrivate, signedMessage(label, inviteTag, body)));
    }
  }

  /** version u8 || suite u16 || expires u64 || id u32 || key (typed) || signature[64]. */
  static final class OneTime {
    static final int SUITE = 1;
    static final int EXPIRES = 3;
    static final int ID = 11;
    static final int KEY = 15;

    int version = OneTimePrekey.VERSION;
    int suite = 0x0001;
    long expires;
    long id;
    int type;
    byte[] key;

    static OneTime of(OneTimePrekey p) {
      OneTime raw = new OneTime();
      raw.expires = p.expires().getEpochSecond();
      raw.id = p.prekey().id();
      raw.type = p.isKem() ? 0x03 : 0x02;
      raw.key = p.prekey().publicKey();
      return raw;
    }

    byte[] body() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(version);
      Raw.u16(out, suite);
      Raw.u64(out, expires);
      Raw.u32(out, id);
      out.write(type);
      out.writeBytes(key);
      return out.toByteArray();
    }

    byte[] signedBy(byte[] signingPrivate, byte[] inviteTag) {
      return signedBy(signingPrivate, inviteTag, ONE_TIME_LABEL);
    }

    byte[] signedBy(byte[] signingPrivate, byte[] inviteTag, String label) {
      byte[] body = body();
      return Bytes.concat(body, Ed25519.sign(signingPrivate, signedMessage(label, inviteTag, body)));
    }
  }
}
