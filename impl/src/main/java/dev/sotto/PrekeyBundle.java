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
 * A prekey bundle (spec: card.adoc#bundle): the signed, short-lived prekeys of one card, an X25519
 * signed prekey and an ML-KEM-768 one (the last-resort prekeys: they serve any number of first
 * contacts until they expire). The owner's mailboxes serve it under the card's bundle tag; the
 * owner signs it with its identity key over the card's invite tag, so a bundle belongs to one card.
 * A {@code PrekeyBundle} object always holds a bundle whose encoding is canonical and whose
 * signature verified under its card.
 *
 * <pre>
 *   version u8 = 0x02 || suite u16 || serial u32 || created u64 || expires u64
 *   || spk_id u32 || spk (typed X25519) || pqspk_id u32 || pqspk (typed ML-KEM-768) || signature[64]
 * </pre>
 */
public final class PrekeyBundle {
  public static final int VERSION = 0x02;
  /** Every bundle is this long. */
  public static final int LENGTH = 1 + 2 + 4 + 8 + 8 + 4 + KeyCodec.X25519_ENCODED_LENGTH + 4
      + KeyCodec.ML_KEM_768_ENCODED_LENGTH + Ed25519.SIGNATURE_LENGTH;

  private final Card card;
  private final long serial;
  private final long created;
  private final long expires;
  private final Prekey signedPrekey;
  private final Prekey kemPrekey;
  private final byte[] encoded;

  private PrekeyBundle(Card card, long serial, long created, long expires, Prekey signedPrekey, Prekey kemPrekey,
      byte[] encoded) {
    this.card = card;
    this.serial = serial;
    this.created = created;
    this.expires = expires;
    this.signedPrekey = signedPrekey;
    this.kemPrekey = kemPrekey;
    this.encoded = encoded;
  }

  /**
   * Reads a bundle of {@code card} and checks it at time {@code now}, in this order (spec:
   * card.adoc#bundle-layout): its fields ({@code TRUNCATED}, {@code TRAILING_DATA},
   * {@code UNSUPPORTED_VERSION}, {@code UNSUPPORTED_SUITE}, {@code INVALID_ENCODING},
   * {@code INVALID_KEY}), its signature under the card's identity and invite tag
   * ({@code BAD_SIGNATURE}), then {@code EXPIRED} when {@code now} is at or after its expiry.
   */
  public static PrekeyBundle parse(byte[] encoded, Card card, Instant now) throws SottoException {
    PrekeyBundle bundle = parseStored(encoded, card);
    bundle.checkNotExpired(now);
    return bundle;
  }

  /** A bundle as kept in a stored state: structure and signature are checked, not the time. */
  static PrekeyBundle parseStored(byte[] encoded, Card card) throws SottoException {
    Objects.requireNonNull(encoded, "encoded");
    Objects.requireNonNull(card, "card");
    Reader in = new Reader(encoded, "prekey bundle");
    in.version(VERSION, "prekey bundle");
    in.suite();
    long serial = in.u32("serial");
    long created = Card.readTime(in, "created");
    int expiresOffset = in.position();
    long expires = Card.readTime(in, "expires");
    if (expires <= created) {
      throw in.invalid("expires", expiresOffset, "must be later than 'created'");
    }
    long spkId = in.u32("spk_id");
    byte[] spk = KeyCodec.readX25519(in, "spk");
    int idOffset = in.position();
    long kemId = in.u32("pqspk_id");
    if (kemId == spkId) {
      throw in.invalid("pqspk_id", idOffset, "equals spk_id");
    }
    byte[] pqspk = KeyCodec.readMlKem768(in, "pqspk");
    int bodyLength = in.position();
    byte[] signature = in.bytes(Ed25519.SIGNATURE_LENGTH, "signature");
    in.end();
    byte[] body = Arrays.copyOf(encoded, bodyLength);
    if (!Ed25519.verify(card.identity().signingKey(), Bytes.concat(Labels.BUNDLE_SIGNATURE, card.inviteTagView(), body),
        signature)) {
      throw new SottoException(ErrorCode.BAD_SIGNATURE, "prekey bundle signature does not verify under the card");
    }
    return new PrekeyBundle(card, serial, created, expires, new Prekey(spkId, spk), new Prekey(kemId, pqspk),
        encoded.clone());
  }

  /** Writes and signs a bundle: the caller checks the fields' ranges. */
  static PrekeyBundle issue(Identity owner, Card card, long serial, long created, long expires, Prekey spk,
      Prekey pqspk) {
    byte[] body = new Writer().u8(VERSION).u16(Suite.SOTTO_1.id()).u32(serial).u64(created).u64(expires)
        .u32(spk.id()).bytes(KeyCodec.x25519(spk.publicKeyView()))
        .u32(pqspk.id()).bytes(KeyCodec.mlKem768(pqspk.publicKeyView()))
        .toByteArray();
    byte[] encoded = Bytes.concat(body, owner.sign(Bytes.concat(Labels.BUNDLE_SIGNATURE, card.inviteTagView(), body)));
    try {
      return parseStored(encoded, card);
    } catch (SottoException e) {
      throw new IllegalArgumentException("bundle would be rejected by readers: " + e.getMessage(), e);
    }
  }

  /** @throws SottoException {@code EXPIRED} when {@code now} is at or after the expiry time */
  public void checkNotExpired(Instant now) throws SottoException {
    if (now.getEpochSecond() >= expires) {
      throw new SottoException(ErrorCode.EXPIRED, "prekey bundle expired at " + Instant.ofEpochSecond(expires));
    }
  }

  /** The card this bundle belongs to. */
  public Card card() {
    return card;
  }

  /** The owner numbers the bundles of one card from 0: of two valid bundles, keep the higher serial. */
  public long serial() {
    return serial;
  }

  public Instant created() {
    return Instant.ofEpochSecond(created);
  }

  public Instant expires() {
    return Instant.ofEpochSecond(expires);
  }

  long expiresSeconds() {
    return expires;
  }

  /** The signed X25519 prekey. */
  public Prekey signedPrekey() {
    return signedPrekey;
  }

  /** The signed ML-KEM-768 prekey (the last-resort KEM prekey). */
  public Prekey kemPrekey() {
    return kemPrekey;
  }

  /** The canonical binary encoding. */
  public byte[] encoded() {
    return encoded.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PrekeyBundle that && Arrays.equals(encoded, that.encoded) && card.equals(that.card);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "PrekeyBundle[serial " + serial + ", spk " + signedPrekey.id() + ", expires " + expires() + "]";
  }
}
