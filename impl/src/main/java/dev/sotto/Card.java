package dev.sotto;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.encoding.Bech32m;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A contact card: the signed, long-lived part of what lets one peer write to another without a
 * server (spec: card.adoc): the owner's identity, a validity period, the invite tag and the
 * owner's addresses. It holds no prekeys: those come in short-lived {@link PrekeyBundle}s and
 * {@link OneTimePrekey} records that the owner's mailboxes serve under {@link #bundleTag()}. A
 * {@code Card} object always holds a card whose encoding is canonical and whose signature
 * verified.
 *
 * <p>Cards are made with {@link #builder(Identity)} and read with {@link #parse} or
 * {@link #parseText}.
 */
public final class Card {
  /** The card format version this implementation writes and reads. */
  public static final int VERSION = 0x02;
  public static final int INVITE_TAG_LENGTH = 16;
  /** The length of the bundle tag (spec: card.adoc#bundle-tag). */
  public static final int BUNDLE_TAG_LENGTH = 16;
  public static final int MAX_ADDRESSES = 8;
  /** The largest time a card may carry: 9999-12-31T23:59:59Z, in seconds since the epoch. */
  public static final long MAX_TIME = 253_402_300_799L;

  private final PublicIdentity identity;
  private final long created;
  private final long expires;
  private final byte[] inviteTag;
  private final List<Address> addresses;
  private final byte[] encoded;

  private Card(Fields f, byte[] encoded) {
    this.identity = f.identity;
    this.created = f.created;
    this.expires = f.expires;
    this.inviteTag = f.inviteTag;
    this.addresses = List.copyOf(f.addresses);
    this.encoded = encoded;
  }

  /** The fields of a card body, as read or as to be written. */
  private static final class Fields {
    PublicIdentity identity;
    long created;
    long expires;
    byte[] inviteTag;
    final List<Address> addresses = new ArrayList<>();
  }

  // spec: card.adoc#parsing

  /**
   * Parses and verifies a card's canonical binary encoding at time {@code now}.
   *
   * @throws SottoException with the code of the first check that fails, in the order of
   *     spec: card.adoc#parsing: {@code TRUNCATED}, {@code TRAILING_DATA},
   *     {@code UNSUPPORTED_VERSION}, {@code UNSUPPORTED_SUITE}, {@code INVALID_ENCODING},
   *     {@code INVALID_KEY}, then {@code BAD_SIGNATURE}, then {@code EXPIRED}
   */
  public static Card parse(byte[] encoded, Instant now) throws SottoException {
    Card card = parseAndVerifySignature(encoded);
    card.checkNotExpired(now);
    return card;
  }

  /**
   * As {@link #parse(byte[], Instant)}, and then requires that the card belongs to
   * {@code expected}: {@code IDENTITY_MISMATCH} otherwise.
   */
  public static Card parse(byte[] encoded, Instant now, PublicIdentity expected) throws SottoException {
    Card card = parse(encoded, now);
    card.checkIdentity(expected);
    return card;
  }

  /**
   * Parses and verifies a card's text form ({@code sottocard1...}) at time {@code now}.
   *
   * @throws SottoException {@code INVALID_TEXT} or {@code BAD_CHECKSUM} for the text, then
   *     anything {@link #parse(byte[], Instant)} throws
   */
  public static Card parseText(String text, Instant now) throws SottoException {
    return parse(Bech32m.decode(Labels.CARD_PREFIX, text, "card"), now);
  }

  /** As {@link #parseText(String, Instant)}, then {@code IDENTITY_MISMATCH} unless the card is {@code expected}'s. */
  public static Card parseText(String text, Instant now, PublicIdentity expected) throws SottoException {
    return parse(Bech32m.decode(Labels.CARD_PREFIX, text, "card"), now, expected);
  }

  /** A card as kept in a stored state: structure and signature are checked, not the time. */
  static Card parseStored(byte[] encoded) throws SottoException {
    return parseAndVerifySignature(encoded);
  }

  private static Card parseAndVerifySignature(byte[] encoded) throws SottoException {
    Objects.requireNonNull(encoded, "encoded");
    Reader in = new Reader(encoded, "card");
    Fields f = readBody(in);
    int bodyLength = in.position();
    byte[] signature = in.bytes(Ed25519.SIGNATURE_LENGTH, "signature");
    in.end();
    byte[] body = Arrays.copyOf(encoded, bodyLength);
    if (!Ed25519.verify(f.identity.signingKey(), Bytes.concat(Labels.CARD_SIGNATURE, body), signature)) {
      throw new SottoException(ErrorCode.BAD_SIGNATURE, "card signature does not verify under the card's identity key");
    }
    return new Card(f, encoded.clone());
  }

  private static Fields readBody(Reader in) throws SottoException {
    Fields f = new Fields();
    in.version(VERSION, "card");
    f.identity = PublicIdentity.read(in);
    f.created = readTime(in, "created");
    int expiresOffset = in.position();
    f.expires = readTime(in, "expires");
    if (f.expires <= f.created) {
      throw in.invalid("expires", expiresOffset, "must be later than 'created'");
    }
    f.inviteTag = in.bytes(INVITE_TAG_LENGTH, "invite tag");
    int countOffset = in.position();
    int count = in.u8("address count");
    if (count > MAX_ADDRESSES) {
      throw in.invalid("address count", countOffset, count + " addresses, at most " + MAX_ADDRESSES);
    }
    for (int i = 0; i < count; i++) {
      f.addresses.add(Address.read(in, i));
    }
    return f;
  }

  /** Reads a time: a u64 of at most {@link #MAX_TIME} (spec: card.adoc#card-table). */
  static long readTime(Reader in, String field) throws SottoException {
    int offset = in.position();
    long time = in.u64(field);
    if (time > MAX_TIME) {
      throw in.invalid(field, offset, "time after 9999-12-31T23:59:59Z");
    }
    return time;
  }

  private static byte[] writeBody(Fields f) {
    Writer out = new Writer()
        .u8(VERSION)
        .bytes(f.identity.encodedView())
        .u64(f.created)
        .u64(f.expires)
        .bytes(f.inviteTag);
    out.u8(f.addresses.size());
    f.addresses.forEach(a -> a.write(out));
    return out.toByteArray();
  }

  /** @throws SottoException {@code EXPIRED} when {@code now} is at or after the expiry time */
  public void checkNotExpired(Instant now) throws SottoException {
    if (now.getEpochSecond() >= expires) {
      throw new SottoException(ErrorCode.EXPIRED, "card expired at " + Instant.ofEpochSecond(expires));
    }
  }

  /** @throws SottoException {@code IDENTITY_MISMATCH} unless this card belongs to {@code expected} */
  public void checkIdentity(PublicIdentity expected) throws SottoException {
    if (!identity.equals(expected)) {
      throw new SottoException(ErrorCode.IDENTITY_MISMATCH, "card belongs to " + identity.fingerprint().text());
    }
  }

  public PublicIdentity identity() {
    return identity;
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

  /** The mailbox tag under which first-contact envelopes for this card are deposited. */
  public byte[] inviteTag() {
    return inviteTag.clone();
  }

  byte[] inviteTagView() {
    return inviteTag;
  }

  /**
   * The mailbox tag under which the owner publishes, and initiators fetch, this card's prekeys:
   * HKDF(salt = "", ikm = invite_tag, info = "sotto/v2/card/bundle-tag", 16) (spec: card.adoc#bundle-tag).
   */
  public byte[] bundleTag() {
    return bundleTag(inviteTag);
  }

  /** The bundle tag of the card with this invite tag. */
  public static byte[] bundleTag(byte[] inviteTag) {
    if (inviteTag.length != INVITE_TAG_LENGTH) {
      throw new IllegalArgumentException("an invite tag is " + INVITE_TAG_LENGTH + " bytes");
    }
    return Hkdf.derive(new byte[0], inviteTag, Labels.CARD_BUNDLE_TAG, BUNDLE_TAG_LENGTH);
  }

  public List<Address> addresses() {
    return addresses;
  }

  /** The 64-byte Ed25519 signature. */
  public byte[] signature() {
    return Arrays.copyOfRange(encoded, encoded.length - Ed25519.SIGNATURE_LENGTH, encoded.length);
  }

  /** The canonical binary encoding. */
  public byte[] encoded() {
    return encoded.clone();
  }

  /** The text form: Bech32m with prefix {@code sottocard}, URL-safe. */
  public String text() {
    return Bech32m.encode(Labels.CARD_PREFIX, encoded);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Card that && Arrays.equals(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "Card[" + identity.fingerprint().text() + ", expires " + expires() + ", " + addresses.size() + " addresses]";
  }

  /** Starts a card for {@code identity}. */
  public static Builder builder(Identity identity) {
    return new Builder(identity);
  }

  /**
   * Makes a card (spec: card.adoc#card-issuing). The validity and the addresses are the
   * caller's; the invite tag is drawn from the {@link RandomSource} given to {@link #issue}.
   */
  public static final class Builder {
    private final Identity identity;
    private Long created;
    private Long expires;
    private final List<Address> addresses = new ArrayList<>();

    private Builder(Identity identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
    }

    /** The validity period; {@code expires} must be later than {@code created}. Whole seconds count. */
    public Builder validity(Instant created, Instant expires) {
      this.created = created.getEpochSecond();
      this.expires = expires.getEpochSecond();
      return this;
    }

    public Builder address(Address address) {
      addresses.add(Objects.requireNonNull(address, "address"));
      return this;
    }

    /**
     * Draws the invite tag (16 bytes) from {@code random}, then signs the card.
     *
     * @throws IllegalArgumentException when a field breaks a rule of the card format (no
     *     validity, expiry not after creation, a time out of range, more than 8 addresses)
     */
    public Card issue(RandomSource random) {
      if (created == null) {
        throw new IllegalArgumentException("the validity is required");
      }
      Fields f = new Fields();
      f.identity = identity.publicIdentity();
      f.created = created;
      f.expires = expires;
      f.inviteTag = random.bytes(INVITE_TAG_LENGTH);
      f.addresses.addAll(addresses);
      byte[] body;
      try {
        body = writeBody(f);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("card field out of range: " + e.getMessage(), e);
      }
      byte[] encoded = Bytes.concat(body, identity.sign(Bytes.concat(Labels.CARD_SIGNATURE, body)));
      try {
        // One rule set: what we write must pass exactly the checks a reader applies.
        return parseAndVerifySignature(encoded);
      } catch (SottoException e) {
        throw new IllegalArgumentException("card would be rejected by readers: " + e.getMessage(), e);
      }
    }
  }
}
