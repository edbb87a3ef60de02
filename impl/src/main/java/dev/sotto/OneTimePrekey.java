package dev.sotto;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A one-time prekey record (spec: card.adoc#one-time-prekey): one X25519 or ML-KEM-768 prekey of a
 * card, signed by the owner over the card's invite tag, with its own expiry. A mailbox hands each
 * record out once; the owner deletes the private key when a first contact uses it.
 *
 * <pre>
 *   version u8 = 0x02 || suite u16 || expires u64 || id u32 || key (typed: 0x02 X25519 or 0x03 ML-KEM-768)
 *   || signature[64]
 * </pre>
 */
public final class OneTimePrekey {
  public static final int VERSION = 0x02;
  /** The length of a record of an X25519 prekey. */
  public static final int X25519_LENGTH = 1 + 2 + 8 + 4 + KeyCodec.X25519_ENCODED_LENGTH + Ed25519.SIGNATURE_LENGTH;
  /** The length of a record of an ML-KEM-768 prekey. */
  public static final int ML_KEM_LENGTH = 1 + 2 + 8 + 4 + KeyCodec.ML_KEM_768_ENCODED_LENGTH + Ed25519.SIGNATURE_LENGTH;

  private final Card card;
  private final long expires;
  private final boolean kem;
  private final Prekey prekey;
  private final byte[] encoded;

  private OneTimePrekey(Card card, long expires, boolean kem, Prekey prekey, byte[] encoded) {
    this.card = card;
    this.expires = expires;
    this.kem = kem;
    this.prekey = prekey;
    this.encoded = encoded;
  }

  /**
   * Reads a record of {@code card} and checks it at {@code now}, in this order: its fields
   * ({@code TRUNCATED}, {@code TRAILING_DATA}, {@code UNSUPPORTED_VERSION}, {@code UNSUPPORTED_SUITE},
   * {@code INVALID_ENCODING} for a key type other than X25519 or ML-KEM-768, {@code INVALID_KEY}),
   * its signature ({@code BAD_SIGNATURE}), then {@code EXPIRED}.
   */
  public static OneTimePrekey parse(byte[] encoded, Card card, Instant now) throws SottoException {
    OneTimePrekey record = parseStored(encoded, card);
    record.checkNotExpired(now);
    return record;
  }

  /** A record as kept in a stored state: structure and signature are checked, not the time. */
  static OneTimePrekey parseStored(byte[] encoded, Card card) throws SottoException {
    Objects.requireNonNull(encoded, "encoded");
    Objects.requireNonNull(card, "card");
    Reader in = new Reader(encoded, "one-time prekey");
    in.version(VERSION, "one-time prekey");
    in.suite();
    long expires = Card.readTime(in, "expires");
    long id = in.u32("id");
    int typeOffset = in.position();
    if (in.remaining() < 1) {
      in.u8("key"); // TRUNCATED, with the reader's own text
    }
    int type = encoded[typeOffset] & 0xff;
    byte[] key;
    boolean kem;
    if (type == KeyCodec.TYPE_X25519) {
      key = KeyCodec.readX25519(in, "key");
      kem = false;
    } else if (type == KeyCodec.TYPE_ML_KEM_768) {
      key = KeyCodec.readMlKem768(in, "key");
      kem = true;
    } else {
      throw in.invalid("key", typeOffset, "key type 0x" + Integer.toHexString(type) + " is neither X25519 nor ML-KEM-768");
    }
    int bodyLength = in.position();
    byte[] signature = in.bytes(Ed25519.SIGNATURE_LENGTH, "signature");
    in.end();
    byte[] body = Arrays.copyOf(encoded, bodyLength);
    if (!Ed25519.verify(card.identity().signingKey(),
        Bytes.concat(Labels.ONE_TIME_PREKEY_SIGNATURE, card.inviteTagView(), body), signature)) {
      throw new SottoException(ErrorCode.BAD_SIGNATURE, "one-time prekey signature does not verify under the card");
    }
    return new OneTimePrekey(card, expires, kem, new Prekey(id, key), encoded.clone());
  }

  static OneTimePrekey issue(Identity owner, Card card, long expires, boolean kem, Prekey prekey) {
    byte[] body = new Writer().u8(VERSION).u16(Suite.SOTTO_1.id()).u64(expires).u32(prekey.id())
        .bytes(kem ? KeyCodec.mlKem768(prekey.publicKeyView()) : KeyCodec.x25519(prekey.publicKeyView()))
        .toByteArray();
    byte[] encoded = Bytes.concat(body,
        owner.sign(Bytes.concat(Labels.ONE_TIME_PREKEY_SIGNATURE, card.inviteTagView(), body)));
    try {
      return parseStored(encoded, card);
    } catch (SottoException e) {
      throw new IllegalArgumentException("one-time prekey would be rejected by readers: " + e.getMessage(), e);
    }
  }

  /** @throws SottoException {@code EXPIRED} when {@code now} is at or after the expiry time */
  public void checkNotExpired(Instant now) throws SottoException {
    if (now.getEpochSecond() >= expires) {
      throw new SottoException(ErrorCode.EXPIRED, "one-time prekey expired at " + Instant.ofEpochSecond(expires));
    }
  }

  public Card card() {
    return card;
  }

  public Instant expires() {
    return Instant.ofEpochSecond(expires);
  }

  long expiresSeconds() {
    return expires;
  }

  /** Whether this is an ML-KEM-768 prekey (otherwise X25519). */
  public boolean isKem() {
    return kem;
  }

  public Prekey prekey() {
    return prekey;
  }

  public byte[] encoded() {
    return encoded.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof OneTimePrekey that && Arrays.equals(encoded, that.encoded) && card.equals(that.card);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "OneTimePrekey[" + (kem ? "ML-KEM-768" : "X25519") + " " + prekey.id() + ", expires " + expires() + "]";
  }
}
