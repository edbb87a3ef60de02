package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.Prekey;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bech32m;
import dev.sotto.internal.encoding.Bytes;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code card.json}: issuing cards from recorded randomness, reading them in binary and text
 * form, and the rejection of every kind of malformed, tampered, expired or foreign card
 * (spec: card.adoc).
 *
 * <p>Operations: {@code issue}, {@code parse}, {@code parse_text}.
 */
public final class CardVectors implements VectorSuite {
  private static final long T0 = 1_800_000_000L;
  private static final long DAY = 86_400L;
  /** An X25519 point of order 8, which no Sotto encoding accepts (spec: conventions.adoc#public-keys). */
  private static final byte[] SMALL_ORDER_X25519 =
      Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");

  @Override
  public String component() {
    return "card";
  }

  @Override
  public String description() {
    return "Contact card: issuing from recorded randomness (every drawn value given), reading the binary "
        + "and text forms at a given time, and the rejection of truncated, oversized, malformed, "
        + "tampered, expired and foreign cards. Spec: card.adoc.";
  }

  /** The parameters of one issued card. */
  private record Spec(long created, long expires, long spkId, long pqspkId, long[] opkIds, long[] pqopkIds,
      List<Address> addresses) {}

  @Override
  public ArrayNode generate() {
    Cases cases = new Cases();
    RandomSource random = seededRandom();

    // Link keys are fixed (Addresses.linkKey), not drawn from the random source.
    List<Address> two =
        List.of(Addresses.peer("192.0.2.7", 7400, 1), Addresses.mailbox("mailbox.example.org", 7401, 2));
    List<Address> eight = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      eight.add(i % 2 == 0
          ? Addresses.peer("10.0.0." + i, 7000 + i, 10 + i)
          : Addresses.mailbox("mb" + i + ".example.net", 443, 10 + i));
    }
    long[] thirtyTwo = new long[32];
    for (int i = 0; i < 32; i++) {
      thirtyTwo[i] = 1000 + i;
    }
    String longHost = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(28);

    Object[][] issued = {
      {"minimal card: no one-time prekeys, no addresses", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(), ids(), List.of())},
      {"one X25519 one-time prekey", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(3), ids(), List.of())},
      {"one ML-KEM one-time prekey", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(), ids(3), List.of())},
      {"one one-time prekey of each kind, two addresses", new Spec(T0, T0 + 7 * DAY, 10, 11, ids(12), ids(13), two)},
      {"32 X25519 one-time prekeys (the limit)", new Spec(T0, T0 + 30 * DAY, 1, 2, thirtyTwo, ids(), two)},
      {"4 ML-KEM one-time prekeys (the limit)", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(), ids(5, 6, 7, 8), List.of())},
      {"8 addresses (the limit)", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(3), ids(), eight)},
      {"IPv6 peer address", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(), ids(), List.of(Addresses.peer("2001:db8::1", 65535, 3)))},
      {"host of 220 characters (the limit: a value of 255 bytes)", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(), ids(),
          List.of(Addresses.mailbox(longHost, 1, 4)))},
      {"prekey ids 0 and 2^32 - 1", new Spec(T0, T0 + 30 * DAY, 0, 0xffffffffL, ids(0x80000000L), ids(), List.of())},
      {"validity of one second", new Spec(T0, T0 + 1, 1, 2, ids(3, 4, 5), ids(6, 7), two)},
      {"created at 0, expires at 9999-12-31T23:59:59Z (the largest time)", new Spec(0, Card.MAX_TIME, 1, 2, ids(), ids(), List.of())},
      {"three one-time prekeys of each limit's mix", new Spec(T0 + 5, T0 + 14 * DAY, 21, 22, ids(23, 24, 25), ids(26, 27),
          List.of(Addresses.peer("peer.example", 7400, 5)))},
      {"a card from another identity", new Spec(T0, T0 + 30 * DAY, 1, 2, ids(3), ids(4), two)},
    };
    List<Card> cards = new ArrayList<>();
    List<Identity> owners = new ArrayList<>();
    for (Object[] row : issued) {
      byte[] seed = random.bytes(32);
      Identity owner = Identity.fromSeed(IdentitySeed.fromBytes(seed));
      cards.add(issue(cases, (String) row[0], seed, (Spec) row[1], random));
      owners.add(owner);
    }

    Card base = cards.get(3);
    Identity baseOwner = owners.get(3);
    byte[] sk = baseOwner.derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private();
    long created = base.created().getEpochSecond();
    long expires = base.expires().getEpochSecond();

    parseValid(cases, "read at its creation time", base.encoded(), created, null);
    parseValid(cases, "read at the last second before expiry", base.encoded(), expires - 1, null);
    parseValid(cases, "read before its creation time (clocks differ; allowed)", base.encoded(), created - DAY, null);
    parseValid(cases, "read with the expected identity", base.encoded(), created + 60, base.identity());
    parseValid(cases, "the largest card", cards.get(4).encoded(), created, null);
    RawCard unknownKind = RawCard.of(base);
    unknownKind.addresses.add(new RawCard.RawAddress(0x03, "future-transport".getBytes(StandardCharsets.US_ASCII)));
    unknownKind.addresses.add(new RawCard.RawAddress(0xff, filled(255, 0xa5)));
    parseValid(cases, "addresses of undefined kinds 0x03 and 0xff are kept", unknownKind.signedBy(sk), created, null);
    RawCard maxCard = RawCard.of(cards.get(4));
    maxCard.pqopks.addAll(RawCard.of(cards.get(5)).pqopks);
    maxCard.addresses.clear();
    for (int i = 0; i < 8; i++) {
      maxCard.addresses.add(new RawCard.RawAddress(0x10 + i, filled(255, i)));
    }
    byte[] maxOwnerKey = owners.get(4).derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private();
    parseValid(cases, "the largest possible card (9390 bytes)", maxCard.signedBy(maxOwnerKey), created, null);

    parseTextValid(cases, "text form, lowercase", base.text(), created, null);
    parseTextValid(cases, "text form, uppercase", base.text().toUpperCase(Locale.ROOT), created, null);
    parseTextValid(cases, "text form with the expected identity", cards.get(0).text(), created, cards.get(0).identity());

    invalid(cases, cards, owners, created, expires);
    return cases.toArray();
  }

  /**
   * The invalid cases, from the base card (cards[3]): each with one fault, signed where the fault
   * is in the body, so that only the intended check rejects it; and some with two faults, to fix
   * which check comes first.
   */
  private static void invalid(Cases cases, List<Card> cards, List<Identity> owners, long created, long expires) {
    Card base = cards.get(3);
    byte[] sk = owners.get(3).derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private();
    Identity stranger = owners.get(13);
    Card foreign = cards.get(13);
    byte[] good = base.encoded();
    int sig = good.length - 64;
    // Offsets within the body (spec: card.adoc#card-layout).
    int spkOffset = 85;
    int pqspkOffset = 122;
    long now = created + 60;

    parseInvalid(cases, "empty input", new byte[0], now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside the signed ML-KEM prekey", Texts.cut(good, 600), now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside the signature (63 of 64 bytes)", Texts.cut(good, good.length - 1), now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside an address value", Texts.cut(good, sig - 3), now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "one byte after the signature", Arrays.copyOf(good, good.length + 1), now, ErrorCode.TRAILING_DATA);
    parseInvalid(cases, "version 2", Texts.with(good, 0, 0x02), now, ErrorCode.UNSUPPORTED_VERSION);
    parseInvalid(cases, "version 0", Texts.with(good, 0, 0x00), now, ErrorCode.UNSUPPORTED_VERSION);
    parseInvalid(cases, "suite 0x0002", Texts.with(good, 2, 0x02), now, ErrorCode.UNSUPPORTED_SUITE);

    RawCard r = RawCard.of(base);
    r.signingKeyType = 0x02;
    parseInvalid(cases, "identity signing key with the X25519 type byte (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.spk.type = 0x03;
    parseInvalid(cases, "signed prekey with the ML-KEM type byte", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.pqspk.type = 0x02;
    parseInvalid(cases, "ML-KEM prekey with the X25519 type byte", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.expires = r.created;
    parseInvalid(cases, "expires equal to created (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.expires = r.created - 1;
    parseInvalid(cases, "expires before created (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.created = Long.MIN_VALUE;
    parseInvalid(cases, "created of 2^63 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.expires = Card.MAX_TIME + 1;
    parseInvalid(cases, "expires one second after 9999-12-31T23:59:59Z (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    // Over a count limit, every entry well formed, ids distinct, signed: only the count rule rejects
    // them. The 33rd X25519 (5th ML-KEM) one-time prekey is the base card's, whose id is unused.
    r = RawCard.of(cards.get(4));
    r.opks.add(RawCard.of(base).opks.get(0));
    parseInvalid(cases, "33 well-formed X25519 one-time prekeys (signed): over the limit of 32",
        r.signedBy(owners.get(4).derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private()), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(cards.get(5));
    r.pqopks.add(RawCard.of(base).pqopks.get(0));
    parseInvalid(cases, "5 well-formed ML-KEM one-time prekeys (signed): over the limit of 4",
        r.signedBy(owners.get(5).derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private()), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    for (int i = r.addresses.size(); i < 9; i++) {
      r.addresses.add(RawCard.RawAddress.tcp(0x02, Addresses.linkKey(20 + i), 7400 + i, "mb" + i + ".example.net"));
    }
    parseInvalid(cases, "9 well-formed addresses (signed): over the limit of 8", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.pqspk.id = r.spk.id;
    parseInvalid(cases, "ML-KEM prekey id repeats the signed prekey id (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.pqopks.get(0).id = r.opks.get(0).id;
    parseInvalid(cases, "one-time prekey ids repeat across kinds (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    // A repeated id is reported as soon as it is read, before the key after it.
    r = RawCard.of(base);
    r.pqspk.id = r.spk.id;
    r.pqspk.key[0] = (byte) 0xff;
    r.pqspk.key[1] |= 0x0f;
    parseInvalid(cases, "repeated ML-KEM prekey id followed by a key that fails the modulus check (signed): the id is "
        + "reported first", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.opks.get(0).id = r.spk.id;
    r.opks.get(0).key = Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    parseInvalid(cases, "repeated one-time prekey id followed by a key of small order (signed): the id is reported first",
        r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.pqspk.id = r.spk.id;
    parseInvalid(cases, "input ends right after a repeated prekey id: the id is reported, not the truncation",
        Texts.cut(r.body(), pqspkOffset + 4), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.get(0).kind = 0;
    parseInvalid(cases, "address kind 0 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.add(new RawCard.RawAddress(0x05, new byte[0]));
    parseInvalid(cases, "address of length 0 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.set(0, RawCard.RawAddress.tcp(0x01, Addresses.linkKey(1), 0, "192.0.2.7"));
    parseInvalid(cases, "port 0 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, Addresses.linkKey(2), 7401, "Mailbox.example.org"));
    parseInvalid(cases, "uppercase letter in a host (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.set(1, new RawCard.RawAddress(0x02, new byte[] {0x1c, 0x69}));
    parseInvalid(cases, "TCP address value of 2 bytes: a port, without link key or host (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, Addresses.linkKey(2), 7401, ""));
    parseInvalid(cases, "TCP address value of 35 bytes: a link key and a port, without a host (signed)", r.signedBy(sk),
        now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.get(1).value[0] = 0x01;
    parseInvalid(cases, "link key with the Ed25519 type byte 0x01 (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(base);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, SMALL_ORDER_X25519, 7401, ""));
    parseInvalid(cases, "TCP address value of 35 bytes with a link key of small order (signed): the length is reported "
        + "first", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);

    r = RawCard.of(base);
    r.spk.key[31] |= (byte) 0x80;
    parseInvalid(cases, "signed prekey not canonical: top bit set (signed)", r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(base);
    r.opks.get(0).key = Bytes.unhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157");
    parseInvalid(cases, "one-time prekey of small order (signed)", r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(base);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, SMALL_ORDER_X25519, 7401, "mailbox.example.org"));
    parseInvalid(cases, "link key of small order (signed)", r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(base);
    r.addresses.set(0, RawCard.RawAddress.tcp(0x01, SMALL_ORDER_X25519, 0, "192.0.2.7"));
    parseInvalid(cases, "link key of small order and port 0 (signed): the key is reported first", r.signedBy(sk), now,
        ErrorCode.INVALID_KEY);
    r = RawCard.of(base);
    r.pqspk.key[0] = (byte) 0xff;
    r.pqspk.key[1] |= 0x0f;
    parseInvalid(cases, "ML-KEM prekey fails the modulus check (signed)", r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(base);
    r.signingKey = Edwards25519.withTorsion(r.signingKey);
    parseInvalid(cases, "identity signing key plus a point of order 8: a valid point, not of order l (signed)",
        r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(base);
    r.pqopks.get(0).key[1150] = (byte) 0xff;
    r.pqopks.get(0).key[1151] = (byte) 0xff;
    parseInvalid(cases, "ML-KEM one-time prekey fails the modulus check in its last coefficient (signed)",
        r.signedBy(sk), now, ErrorCode.INVALID_KEY);

    parseInvalid(cases, "signature with one bit flipped", Texts.flip(good, sig + 10, 0x01), now, ErrorCode.BAD_SIGNATURE);
    int inviteTagOffset = sig - 1 - RawCard.of(base).addresses.stream().mapToInt(a -> 2 + a.length).sum() - 16;
    parseInvalid(cases, "invite tag with one bit flipped", Texts.flip(good, inviteTagOffset + 13, 0x80), now,
        ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "expiry changed by one second", Texts.flip(good, 84, 0x01), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "signed prekey replaced by another valid key",
        Texts.replace(good, spkOffset + 5, foreign.signedPrekey().publicKey()), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "ML-KEM prekey replaced by another valid key",
        Texts.replace(good, pqspkOffset + 5, foreign.kemPrekey().publicKey()), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "signed by another identity's key", RawCard.of(base).signedBy(
        stranger.derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private()), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "signature S + l (malleated, S not reduced)", malleate(good), now, ErrorCode.BAD_SIGNATURE);
    byte[] body = Arrays.copyOf(good, sig);
    byte[] torsion = Edwards25519.signWithTorsion(sk, base.identity().signingKey(),
        Bytes.concat("sotto/v1/card".getBytes(StandardCharsets.US_ASCII), body));
    parseInvalid(cases, "signature with R' = rB + T, T of order 8, and S recomputed for R': valid under the cofactored "
        + "equation only (a cofactorless verifier rejects it)", Bytes.concat(body, torsion), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "expired and a bad signature: the signature is checked first", Texts.flip(good, sig + 10, 0x01),
        expires + DAY, ErrorCode.BAD_SIGNATURE);
    cases.invalid("parse", "another identity expected and a bad signature: the signature is checked first",
        Json.object().put("card", Bytes.hex(Texts.flip(good, sig + 10, 0x01))).put("now", now)
            .put("expected_identity", Bytes.hex(foreign.identity().encoded())),
        ErrorCode.BAD_SIGNATURE);
    cases.invalid("parse", "expired and another identity expected: the expiry is checked first",
        Json.object().put("card", Bytes.hex(good)).put("now", expires)
            .put("expected_identity", Bytes.hex(foreign.identity().encoded())),
        ErrorCode.EXPIRED);
    parseInvalid(cases, "read at its expiry time", good, expires, ErrorCode.EXPIRED);
    parseInvalid(cases, "read a year after expiry", good, expires + 365 * DAY, ErrorCode.EXPIRED);
    cases.invalid("parse", "a valid card of another identity than the one expected",
        Json.object().put("card", Bytes.hex(good)).put("now", now)
            .put("expected_identity", Bytes.hex(foreign.identity().encoded())),
        ErrorCode.IDENTITY_MISMATCH);

    String text = base.text();
    textInvalid(cases, "one character changed", Texts.substitute(text, 500), now, ErrorCode.BAD_CHECKSUM);
    textInvalid(cases, "two adjacent characters swapped", Texts.swap(text, 1000), now, ErrorCode.BAD_CHECKSUM);
    textInvalid(cases, "mixed case", text.substring(0, 100) + text.substring(100).toUpperCase(Locale.ROOT), now,
        ErrorCode.INVALID_TEXT);
    textInvalid(cases, "the recovery-code prefix", Bech32m.encode("sottoseed", good), now, ErrorCode.INVALID_TEXT);
    textInvalid(cases, "no separator: the '1' removed", "sottocard" + text.substring("sottocard1".length()), now,
        ErrorCode.INVALID_TEXT);
    textInvalid(cases, "text form of a truncated card", Bech32m.encode("sottocard", Texts.cut(good, 100)), now,
        ErrorCode.TRUNCATED);
    textInvalid(cases, "text form of a card with a bad signature", Bech32m.encode("sottocard", Texts.flip(good, sig, 0x04)), now,
        ErrorCode.BAD_SIGNATURE);
  }

  private static Card issue(Cases cases, String comment, byte[] seed, Spec spec, RandomSource random) {
    CardRecipe recipe = CardRecipe.record(seed, spec.created(), spec.expires(), spec.spkId(), spec.pqspkId(),
        spec.opkIds(), spec.pqopkIds(), spec.addresses(), random);
    Card card = recipe.issue().card();
    ObjectNode out = Json.object();
    out.put("public_identity", Bytes.hex(card.identity().encoded()));
    out.put("spk_public", Bytes.hex(card.signedPrekey().publicKey()));
    out.put("pqspk_public", Bytes.hex(card.kemPrekey().publicKey()));
    ArrayNode opkOut = out.putArray("opk_public");
    card.oneTimePrekeys().forEach(p -> opkOut.add(Bytes.hex(p.publicKey())));
    ArrayNode pqopkOut = out.putArray("pqopk_public");
    card.kemOneTimePrekeys().forEach(p -> pqopkOut.add(Bytes.hex(p.publicKey())));
    out.put("signature", Bytes.hex(card.signature()));
    out.put("card", Bytes.hex(card.encoded()));
    out.put("card_text", card.text());
    cases.valid("issue", comment, recipe.toJson(), out);
    return card;
  }

  private static void parseValid(Cases cases, String comment, byte[] card, long now, PublicIdentity expected) {
    ObjectNode in = Json.object().put("card", Bytes.hex(card)).put("now", now);
    if (expected != null) {
      in.put("expected_identity", Bytes.hex(expected.encoded()));
    }
    try {
      cases.valid("parse", comment, in, fields(Card.parse(card, Instant.ofEpochSecond(now))));
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' case: " + comment, e);
    }
  }

  private static void parseTextValid(Cases cases, String comment, String text, long now, PublicIdentity expected) {
    ObjectNode in = Json.object().put("text", text).put("now", now);
    if (expected != null) {
      in.put("expected_identity", Bytes.hex(expected.encoded()));
    }
    try {
      Card card = Card.parseText(text, Instant.ofEpochSecond(now));
      ObjectNode out = fields(card);
      out.put("card", Bytes.hex(card.encoded()));
      cases.valid("parse_text", comment, in, out);
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' case: " + comment, e);
    }
  }

  private static void parseInvalid(Cases cases, String comment, byte[] card, long now, ErrorCode error) {
    cases.invalid("parse", comment, Json.object().put("card", Bytes.hex(card)).put("now", now), error);
  }

  private static void textInvalid(Cases cases, String comment, String text, long now, ErrorCode error) {
    cases.invalid("parse_text", comment, Json.object().put("text", text).put("now", now), error);
  }

  /** Every field of a read card, as the vectors list them. */
  static ObjectNode fields(Card card) {
    ObjectNode out = Json.object();
    out.put("public_identity", Bytes.hex(card.identity().encoded()));
    out.put("created", card.created().getEpochSecond());
    out.put("expires", card.expires().getEpochSecond());
    out.set("spk", prekey(card.signedPrekey()));
    out.set("pqspk", prekey(card.kemPrekey()));
    ArrayNode opk = out.putArray("opk");
    card.oneTimePrekeys().forEach(p -> opk.add(prekey(p)));
    ArrayNode pqopk = out.putArray("pqopk");
    card.kemOneTimePrekeys().forEach(p -> pqopk.add(prekey(p)));
    out.put("invite_tag", Bytes.hex(card.inviteTag()));
    ArrayNode addresses = out.putArray("addresses");
    for (Address a : card.addresses()) {
      ObjectNode node = addresses.addObject().put("kind", a.kind()).put("value", Bytes.hex(a.value()));
      if (a.isTcp()) {
        node.put("host", a.host()).put("port", a.port()).put("link_key", Bytes.hex(a.linkKey()));
      }
    }
    out.put("signature", Bytes.hex(card.signature()));
    return out;
  }

  private static ObjectNode prekey(Prekey p) {
    return Json.object().put("id", p.id()).put("public", Bytes.hex(p.publicKey()));
  }

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    String operation = testCase.path("operation").asText();
    try {
      switch (operation) {
        case "issue" -> verifyIssue(in, check);
        case "parse", "parse_text" -> {
          Instant now = Instant.ofEpochSecond(in.path("now").asLong());
          Card card = operation.equals("parse")
              ? Card.parse(Bytes.unhex(in.path("card").asText()), now)
              : Card.parseText(in.path("text").asText(), now);
          if (in.has("expected_identity")) {
            card.checkIdentity(PublicIdentity.parse(Bytes.unhex(in.path("expected_identity").asText())));
          }
          if (check.accepted()) {
            compareFields(check, fields(card), "");
            if (operation.equals("parse_text")) {
              check.bytes("card", card.encoded());
            }
          }
        }
        default -> check.fail("unknown operation '" + operation + "'");
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }

  private static void verifyIssue(JsonNode in, CaseCheck check) {
    Card card = CardRecipe.fromJson(in).issue().card();
    if (!check.accepted()) {
      return;
    }
    check.bytes("public_identity", card.identity().encoded());
    check.bytes("spk_public", card.signedPrekey().publicKey());
    check.bytes("pqspk_public", card.kemPrekey().publicKey());
    for (int i = 0; i < card.oneTimePrekeys().size(); i++) {
      check.bytes("opk_public[" + i + "]", card.oneTimePrekeys().get(i).publicKey());
    }
    for (int i = 0; i < card.kemOneTimePrekeys().size(); i++) {
      check.bytes("pqopk_public[" + i + "]", card.kemOneTimePrekeys().get(i).publicKey());
    }
    check.number("opk_public.length", card.oneTimePrekeys().size());
    check.bytes("signature", card.signature());
    check.bytes("card", card.encoded());
    check.text("card_text", card.text());
  }

  /** Compares every field of {@code actual} with the case's output, recursively. */
  private static void compareFields(CaseCheck check, JsonNode actual, String prefix) {
    actual.properties().forEach(e -> {
      String name = prefix + e.getKey();
      JsonNode value = e.getValue();
      if (value.isObject()) {
        compareFields(check, value, name + ".");
      } else if (value.isArray()) {
        check.number(name + ".length", value.size());
        for (int i = 0; i < value.size(); i++) {
          JsonNode item = value.get(i);
          if (item.isObject()) {
            compareFields(check, item, name + "[" + i + "].");
          } else {
            check.text(name + "[" + i + "]", item.asText());
          }
        }
      } else if (value.isNumber()) {
        check.number(name, value.asLong());
      } else {
        check.text(name, value.asText());
      }
    });
  }

  private static long[] ids(long... ids) {
    return ids;
  }

  private static byte[] filled(int length, int value) {
    byte[] out = new byte[length];
    Arrays.fill(out, (byte) value);
    return out;
  }


  /** Replaces S by S + l (little-endian add), which a strict verifier rejects. */
  private static byte[] malleate(byte[] card) {
    byte[] l = Bytes.unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    byte[] out = card.clone();
    int s = out.length - 32;
    int carry = 0;
    for (int i = 0; i < 32; i++) {
      int sum = (out[s + i] & 0xff) + (l[i] & 0xff) + carry;
      out[s + i] = (byte) sum;
      carry = sum >>> 8;
    }
    return out;
  }
}
