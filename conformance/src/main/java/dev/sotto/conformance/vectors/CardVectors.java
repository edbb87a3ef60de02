package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.OneTimePrekey;
import dev.sotto.Prekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
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
 * form, and the rejection of every kind of malformed, tampered, expired or foreign card (spec:
 * card.adoc); the bundle tag of a card; issuing and reading prekey bundles and one-time prekey
 * records, with the signed message of each, and their rejections.
 *
 * <p>Operations: {@code issue}, {@code parse}, {@code parse_text}, {@code bundle_tag},
 * {@code issue_bundle}, {@code parse_bundle}, {@code issue_one_time_prekeys},
 * {@code parse_one_time_prekey}.
 */
public final class CardVectors implements VectorSuite {
  private static final long T0 = 1_800_000_000L;
  private static final long DAY = 86_400L;
  /** An X25519 point of order 8, which no Sotto encoding accepts (spec: conventions.adoc#public-keys). */
  private static final byte[] SMALL_ORDER_X25519 =
      Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
  /** An X25519 point of order 8 other than {@link #SMALL_ORDER_X25519}. */
  private static final byte[] SMALL_ORDER_X25519_2 =
      Bytes.unhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157");

  @Override
  public String component() {
    return "card";
  }

  @Override
  public String description() {
    return "Contact card: issuing from recorded randomness (the invite tag given), reading the binary and text forms "
        + "at a given time, and the rejection of truncated, oversized, malformed, tampered, expired and foreign "
        + "cards; the bundle tag; prekey bundles and one-time prekey records issued from recorded randomness (with "
        + "the signed message and every key) and read under their card, and their rejections (truncated, trailing "
        + "data, version, suite, repeated ids, invalid keys, bad signatures, another card's, expired). "
        + "Spec: card.adoc.";
  }

  /** The parameters of one issued card. */
  private record Spec(long created, long expires, List<Address> addresses) {}

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
    String longHost = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(28);

    Object[][] issued = {
      {"minimal card: no addresses", new Spec(T0, T0 + 365 * DAY, List.of())},
      {"one mailbox address", new Spec(T0, T0 + 365 * DAY, List.of(Addresses.mailbox("mailbox.example.org", 7401, 3)))},
      {"a peer and a mailbox address", new Spec(T0, T0 + 365 * DAY, two)},
      {"8 addresses (the limit)", new Spec(T0, T0 + 365 * DAY, eight)},
      {"IPv6 peer address", new Spec(T0, T0 + 365 * DAY, List.of(Addresses.peer("2001:db8::1", 65535, 3)))},
      {"host of 220 characters (the limit: a value of 255 bytes)", new Spec(T0, T0 + 365 * DAY,
          List.of(Addresses.mailbox(longHost, 1, 4)))},
      {"validity of one second", new Spec(T0, T0 + 1, two)},
      {"valid two years (the recommended most)", new Spec(T0 + 5, T0 + 5 + 730 * DAY,
          List.of(Addresses.peer("peer.example", 7400, 5)))},
      {"created at 0, expires at 9999-12-31T23:59:59Z (the largest time)", new Spec(0, Card.MAX_TIME, List.of())},
      {"a card from another identity", new Spec(T0, T0 + 365 * DAY, two)},
    };
    List<CardRecipe> recipes = new ArrayList<>();
    for (Object[] row : issued) {
      recipes.add(issue(cases, (String) row[0], random.bytes(32), (Spec) row[1], random));
    }
    // Addresses of kinds this revision does not define, issued from their value bytes; an own
    // random source, so that every value drawn after it is what it was before this case existed.
    RandomSource kinds = dev.sotto.testing.TestRandom.deterministic("card.json undefined kinds".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII));
    issue(cases, "addresses of undefined kinds 0x05 and 0xff, issued from their values, after a mailbox",
        kinds.bytes(32), new Spec(T0, T0 + 365 * DAY, List.of(Addresses.mailbox("mailbox.example.org", 7401, 3),
            Address.of(0x05, "future-transport".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
            Address.of(0xff, new byte[] {0x00, (byte) 0xff}))), kinds);
    // Onion addresses (kinds 3 and 4), with their own random source for the same reason.
    RandomSource onions = dev.sotto.testing.TestRandom.deterministic("card.json onion addresses".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII));
    issue(cases, "an onion peer and an onion mailbox address (kinds 0x03 and 0x04)", onions.bytes(32),
        new Spec(T0, T0 + 365 * DAY, List.of(
            Addresses.onion(Address.KIND_PEER_ONION, Addresses.onionBytes(Addresses.onionKey(1), 3), 7400, 30),
            Addresses.onion(Address.KIND_MAILBOX_ONION, Addresses.onionBytes(Addresses.onionKey(2), 3), 7401, 31))),
        onions);
    // The base card's owner issues a second card: another invite tag, so other bundles.
    CardRecipe base = recipes.get(2);
    CardRecipe second = issue(cases, "a second card of the same identity (another invite tag)", base.identitySeed(),
        new Spec(T0 + 60, T0 + 365 * DAY, two), random);
    CardRecipe foreign = recipes.get(9);

    List<Card> cards = recipes.stream().map(CardRecipe::issue).toList();
    Card baseCard = base.issue();
    byte[] sk = base.signingKey();
    long created = base.created();
    long expires = base.expires();

    parseValid(cases, "read at its creation time", baseCard.encoded(), created, null);
    parseValid(cases, "read at the last second before expiry", baseCard.encoded(), expires - 1, null);
    parseValid(cases, "read before its creation time (clocks differ; allowed)", baseCard.encoded(), created - DAY, null);
    parseValid(cases, "read with the expected identity", baseCard.encoded(), created + 60, baseCard.identity());
    parseValid(cases, "a card without addresses", cards.get(0).encoded(), created, null);
    parseValid(cases, "a card with 8 addresses", cards.get(3).encoded(), created, null);
    RawCard unknownKind = RawCard.of(baseCard);
    unknownKind.addresses.add(new RawCard.RawAddress(0x05, "future-transport".getBytes(StandardCharsets.US_ASCII)));
    unknownKind.addresses.add(new RawCard.RawAddress(0xff, filled(255, 0xa5)));
    parseValid(cases, "addresses of undefined kinds 0x05 and 0xff are kept", unknownKind.signedBy(sk), created, null);
    RawCard onionCard = RawCard.of(baseCard);
    onionCard.addresses.add(RawCard.RawAddress.onion(Address.KIND_PEER_ONION, Addresses.linkKey(32), 443,
        Addresses.onionBytes(Addresses.onionKey(3), 3)));
    // A published onion address (DuckDuckGo's): its checksum was computed by Tor, not by this generator.
    onionCard.addresses.add(RawCard.RawAddress.onion(Address.KIND_MAILBOX_ONION, Addresses.linkKey(33), 7401,
        Bytes.unhex("1d04a1d04a338c6e6ae970bfabee49049d6702250984ca950c01673f4ec034ad916403")));
    parseValid(cases, "onion addresses of kinds 0x03 and 0x04 after a peer and a mailbox (a mixed card is valid)",
        onionCard.signedBy(sk), created, null);
    RawCard maxCard = RawCard.of(baseCard);
    maxCard.addresses.clear();
    for (int i = 0; i < 8; i++) {
      maxCard.addresses.add(new RawCard.RawAddress(0x10 + i, filled(255, i)));
    }
    parseValid(cases, "the largest possible card (2222 bytes)", maxCard.signedBy(sk), created, null);

    parseTextValid(cases, "text form, lowercase", baseCard.text(), created, null);
    parseTextValid(cases, "text form, uppercase", baseCard.text().toUpperCase(Locale.ROOT), created, null);
    parseTextValid(cases, "text form with the expected identity", cards.get(0).text(), created,
        cards.get(0).identity());

    invalid(cases, base, foreign.issue(), foreign.owner());

    bundleTag(cases, "an invite tag of zeros", new byte[16]);
    bundleTag(cases, "an invite tag of 0xff bytes", filled(16, 0xff));
    bundleTag(cases, "the invite tag of a card", baseCard.inviteTag());

    bundles(cases, base, second, foreign, recipes.get(0), random);
    oneTimePrekeys(cases, base, second, foreign, random);
    return cases.toArray();
  }

  /**
   * The invalid cases, from the base card: each with one fault, signed where the fault is in the
   * body, so that only the intended check rejects it; and some with two faults, to fix which check
   * comes first.
   */
  private static void invalid(Cases cases, CardRecipe base, Card foreign, Identity stranger) {
    Card card = base.issue();
    byte[] sk = base.signingKey();
    byte[] good = card.encoded();
    int sig = good.length - 64;
    long created = base.created();
    long expires = base.expires();
    long now = created + 60;

    parseInvalid(cases, "empty input", new byte[0], now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside the identity", Texts.cut(good, 40), now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside the invite tag", Texts.cut(good, RawCard.INVITE_TAG + 7), now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut before the address count", Texts.cut(good, RawCard.ADDRESS_COUNT), now,
        ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside an address value", Texts.cut(good, sig - 3), now, ErrorCode.TRUNCATED);
    parseInvalid(cases, "cut inside the signature (63 of 64 bytes)", Texts.cut(good, good.length - 1), now,
        ErrorCode.TRUNCATED);
    parseInvalid(cases, "one byte after the signature", Arrays.copyOf(good, good.length + 1), now,
        ErrorCode.TRAILING_DATA);
    parseInvalid(cases, "version 0x01 (a revision-1 card)", Texts.with(good, 0, 0x01), now,
        ErrorCode.UNSUPPORTED_VERSION);
    parseInvalid(cases, "version 0x01 and nothing after it: the version is read first", new byte[] {0x01}, now,
        ErrorCode.UNSUPPORTED_VERSION);
    parseInvalid(cases, "version 0x03", Texts.with(good, 0, 0x03), now, ErrorCode.UNSUPPORTED_VERSION);
    parseInvalid(cases, "version 0x00", Texts.with(good, 0, 0x00), now, ErrorCode.UNSUPPORTED_VERSION);
    parseInvalid(cases, "suite 0x0002", Texts.with(good, RawCard.SUITE + 1, 0x02), now, ErrorCode.UNSUPPORTED_SUITE);

    RawCard r = RawCard.of(card);
    r.signingKeyType = 0x02;
    parseInvalid(cases, "identity signing key with the X25519 type byte (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.dhKeyType = 0x03;
    parseInvalid(cases, "identity DH key with the ML-KEM type byte (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.expires = r.created;
    parseInvalid(cases, "expires equal to created (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.expires = r.created - 1;
    parseInvalid(cases, "expires before created (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.created = Long.MIN_VALUE;
    parseInvalid(cases, "created of 2^63 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.expires = Card.MAX_TIME + 1;
    parseInvalid(cases, "expires one second after 9999-12-31T23:59:59Z (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.expires = Card.MAX_TIME + 1;
    parseInvalid(cases, "input ends right after an expiry out of range: the expiry is reported, not the truncation",
        Texts.cut(r.body(), RawCard.INVITE_TAG), now, ErrorCode.INVALID_ENCODING);
    // Over the count limit, every entry well formed, signed: only the count rule rejects it.
    r = RawCard.of(card);
    for (int i = r.addresses.size(); i < 9; i++) {
      r.addresses.add(RawCard.RawAddress.tcp(0x02, Addresses.linkKey(20 + i), 7400 + i, "mb" + i + ".example.net"));
    }
    parseInvalid(cases, "9 well-formed addresses (signed): over the limit of 8", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addressCount = 9;
    parseInvalid(cases, "address count 9 and nothing after it: the count is reported, not the truncation",
        Texts.cut(r.body(), RawCard.ADDRESSES), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.get(0).kind = 0;
    parseInvalid(cases, "address kind 0 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.add(new RawCard.RawAddress(0x05, new byte[0]));
    parseInvalid(cases, "address of length 0 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.set(0, RawCard.RawAddress.tcp(0x01, Addresses.linkKey(1), 0, "192.0.2.7"));
    parseInvalid(cases, "port 0 (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, Addresses.linkKey(2), 7401, "Mailbox.example.org"));
    parseInvalid(cases, "uppercase letter in a host (signed)", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.set(1, new RawCard.RawAddress(0x02, new byte[] {0x1c, 0x69}));
    parseInvalid(cases, "TCP address value of 2 bytes: a port, without link key or host (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, Addresses.linkKey(2), 7401, ""));
    parseInvalid(cases, "TCP address value of 35 bytes: a link key and a port, without a host (signed)", r.signedBy(sk),
        now, ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.get(1).value[0] = 0x01;
    parseInvalid(cases, "link key with the Ed25519 type byte 0x01 (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_ENCODING);
    r = RawCard.of(card);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, SMALL_ORDER_X25519, 7401, ""));
    parseInvalid(cases, "TCP address value of 35 bytes with a link key of small order (signed): the length is reported "
        + "first", r.signedBy(sk), now, ErrorCode.INVALID_ENCODING);

    onionInvalid(cases, card, sk, now);

    r = RawCard.of(card);
    r.dhKey = SMALL_ORDER_X25519_2;
    parseInvalid(cases, "identity DH key of small order (signed)", r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(card);
    r.dhKey[31] |= (byte) 0x80;
    parseInvalid(cases, "identity DH key not canonical: top bit set (signed)", r.signedBy(sk), now,
        ErrorCode.INVALID_KEY);
    r = RawCard.of(card);
    r.signingKey = Edwards25519.withTorsion(r.signingKey);
    parseInvalid(cases, "identity signing key plus a point of order 8: a valid point, not of order l (signed)",
        r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(card);
    r.addresses.set(1, RawCard.RawAddress.tcp(0x02, SMALL_ORDER_X25519, 7401, "mailbox.example.org"));
    parseInvalid(cases, "link key of small order (signed)", r.signedBy(sk), now, ErrorCode.INVALID_KEY);
    r = RawCard.of(card);
    r.addresses.set(0, RawCard.RawAddress.tcp(0x01, SMALL_ORDER_X25519, 0, "192.0.2.7"));
    parseInvalid(cases, "link key of small order and port 0 (signed): the key is reported first", r.signedBy(sk), now,
        ErrorCode.INVALID_KEY);

    parseInvalid(cases, "signature with one bit flipped", Texts.flip(good, sig + 10, 0x01), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "invite tag with one bit flipped", Texts.flip(good, RawCard.INVITE_TAG + 13, 0x80), now,
        ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "expiry changed by one second", Texts.flip(good, RawCard.EXPIRES + 7, 0x01), now,
        ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "a port changed", Texts.flip(good, RawCard.ADDRESSES + 2 + 33 + 1, 0x01), now,
        ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "signed by another identity's key", RawCard.of(card).signedBy(
        stranger.derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private()), now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "signed under the revision-1 label \"sotto/v1/card\"",
        Bytes.concat(Arrays.copyOf(good, sig), dev.sotto.internal.crypto.Ed25519.sign(sk,
            Bytes.concat("sotto/v1/card".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(good, sig)))),
        now, ErrorCode.BAD_SIGNATURE);
    parseInvalid(cases, "signature S + l (malleated, S not reduced)", malleate(good), now, ErrorCode.BAD_SIGNATURE);
    byte[] body = Arrays.copyOf(good, sig);
    byte[] torsion = Edwards25519.signWithTorsion(sk, card.identity().signingKey(), RawCard.signedMessage(body));
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

    String text = card.text();
    textInvalid(cases, "one character changed", Texts.substitute(text, 150), now, ErrorCode.BAD_CHECKSUM);
    textInvalid(cases, "two adjacent characters swapped", Texts.swap(text, 200), now, ErrorCode.BAD_CHECKSUM);
    textInvalid(cases, "mixed case", text.substring(0, 100) + text.substring(100).toUpperCase(Locale.ROOT), now,
        ErrorCode.INVALID_TEXT);
    textInvalid(cases, "the recovery-code prefix", Bech32m.encode("sottoseed", good), now, ErrorCode.INVALID_TEXT);
    textInvalid(cases, "no separator: the '1' removed", "sottocard" + text.substring("sottocard1".length()), now,
        ErrorCode.INVALID_TEXT);
    textInvalid(cases, "text form of a truncated card", Bech32m.encode("sottocard", Texts.cut(good, 100)), now,
        ErrorCode.TRUNCATED);
    textInvalid(cases, "text form of a revision-1 card (version 0x01)", Bech32m.encode("sottocard",
        Texts.with(good, 0, 0x01)), now, ErrorCode.UNSUPPORTED_VERSION);
    textInvalid(cases, "text form of a card with a bad signature", Bech32m.encode("sottocard", Texts.flip(good, sig, 0x04)),
        now, ErrorCode.BAD_SIGNATURE);
  }

  // ---------------------------------------------------------------- prekey bundles

  /** A responder of {@code card} whose id counter starts at {@code nextId} and serial counter at {@code serial}. */
  private static Responder responder(CardRecipe card, long nextId, long serial) {
    Responder r = PrekeyRecipe.fresh(card.owner(), nextId, serial);
    r.addCard(card.issue());
    return r;
  }

  /** Issues a bundle of {@code card} from a responder whose counters are at {@code spkId} and {@code serial}. */
  private static PrekeyBundle issueBundle(Cases cases, String comment, CardRecipe card, long serial, long spkId,
      long created, long expires, RandomSource random) {
    Responder r = responder(card, spkId, serial);
    RecordingRandom draws = new RecordingRandom(random);
    PrekeyBundle b = r.issueBundle(card.issue(), Instant.ofEpochSecond(created), Instant.ofEpochSecond(expires), draws);
    PrekeyRecipe.Bundle recipe = new PrekeyRecipe.Bundle(b.serial(), created, expires, b.signedPrekey().id(),
        b.kemPrekey().id(), draws.draws().get(0), draws.draws().get(1));
    ObjectNode in = Json.object();
    in.set("card", card.toJson());
    recipe.toJson(in);
    cases.valid("issue_bundle", comment, in, bundleIssued(card.issue(), b));
    return b;
  }

  private static ObjectNode bundleIssued(Card card, PrekeyBundle b) {
    byte[] encoded = b.encoded();
    byte[] body = Arrays.copyOf(encoded, encoded.length - 64);
    return Json.object()
        .put("card", Bytes.hex(card.encoded()))
        .put("spk_public", Bytes.hex(b.signedPrekey().publicKey()))
        .put("pqspk_public", Bytes.hex(b.kemPrekey().publicKey()))
        .put("signed_message", Bytes.hex(RawPrekeys.signedMessage(RawPrekeys.BUNDLE_LABEL, card.inviteTag(), body)))
        .put("signature", Bytes.hex(Arrays.copyOfRange(encoded, encoded.length - 64, encoded.length)))
        .put("bundle", Bytes.hex(encoded));
  }

  private static void bundles(Cases cases, CardRecipe base, CardRecipe second, CardRecipe foreign, CardRecipe bare,
      RandomSource random) {
    long created = T0 + DAY;
    PrekeyBundle first = issueBundle(cases, "the first bundle of a responder: serial 0, ids 0 and 1", base, 0, 0, created,
        created + 3 * DAY, random);
    issueBundle(cases, "the next bundle: serial 1, ids 2 and 3", base, 1, 2, created + DAY, created + 4 * DAY, random);
    issueBundle(cases, "valid 7 days (the recommended most)", base, 2, 4, created, created + 7 * DAY, random);
    issueBundle(cases, "validity of one second", base, 3, 6, created, created + 1, random);
    issueBundle(cases, "ids 2^32 - 2 and 2^32 - 1, serial 2^32 - 1 (the largest)", base, 0xffffffffL, 0xfffffffeL,
        created, created + 3 * DAY, random);
    issueBundle(cases, "ids 2^32 - 1 and 0: the id counter wraps", base, 5, 0xffffffffL, created, created + 3 * DAY,
        random);
    PrekeyBundle widest = issueBundle(cases, "created at 0, expires at 9999-12-31T23:59:59Z (the largest time)", base, 6,
        8, 0, Card.MAX_TIME, random);
    issueBundle(cases, "a bundle of a card without addresses", bare, 0, 0, created, created + 3 * DAY, random);
    PrekeyBundle ofSecond = issueBundle(cases, "a bundle of the owner's second card", second, 7, 10, created,
        created + 3 * DAY, random);
    PrekeyBundle ofForeign = issueBundle(cases, "a bundle of another identity's card", foreign, 0, 0, created,
        created + 3 * DAY, random);

    Card card = base.issue();
    byte[] sk = base.signingKey();
    byte[] tag = card.inviteTag();
    byte[] good = first.encoded();
    long expires = first.expires().getEpochSecond();
    long now = created + 60;
    parseBundleValid(cases, "read at its creation time", card, good, created);
    parseBundleValid(cases, "read at the last second before expiry", card, good, expires - 1);
    parseBundleValid(cases, "read before its creation time (clocks differ; allowed)", card, good, created - DAY);
    parseBundleValid(cases, "ids 2^32 - 1 and 0, serial 2^32 - 1, signed (the reader's limits)", card,
        signed(RawPrekeys.Bundle.of(first), b -> {
          b.serial = 0xffffffffL;
          b.spkId = 0xffffffffL;
          b.pqspkId = 0;
        }, sk, tag), now);
    parseBundleValid(cases, "created at 0, expires at 9999-12-31T23:59:59Z", card, widest.encoded(), now);
    parseBundleValid(cases, "a bundle of the owner's second card, read under it", second.issue(), ofSecond.encoded(), now);

    parseBundleInvalid(cases, "empty input", card, new byte[0], now, ErrorCode.TRUNCATED);
    parseBundleInvalid(cases, "cut inside the serial", card, Texts.cut(good, RawPrekeys.Bundle.SERIAL + 2), now,
        ErrorCode.TRUNCATED);
    parseBundleInvalid(cases, "cut inside the signed prekey", card, Texts.cut(good, RawPrekeys.Bundle.SPK + 10), now,
        ErrorCode.TRUNCATED);
    parseBundleInvalid(cases, "cut inside the ML-KEM prekey", card, Texts.cut(good, RawPrekeys.Bundle.PQSPK + 600), now,
        ErrorCode.TRUNCATED);
    parseBundleInvalid(cases, "cut inside the signature (1312 bytes)", card, Texts.cut(good, good.length - 1), now,
        ErrorCode.TRUNCATED);
    parseBundleInvalid(cases, "one byte after the signature (1314 bytes)", card, Arrays.copyOf(good, good.length + 1),
        now, ErrorCode.TRAILING_DATA);
    parseBundleInvalid(cases, "version 0x01", card, Texts.with(good, 0, 0x01), now, ErrorCode.UNSUPPORTED_VERSION);
    parseBundleInvalid(cases, "version 0x03", card, Texts.with(good, 0, 0x03), now, ErrorCode.UNSUPPORTED_VERSION);
    parseBundleInvalid(cases, "version 0x01 and nothing after it: the version is read first", card, new byte[] {0x01},
        now, ErrorCode.UNSUPPORTED_VERSION);
    parseBundleInvalid(cases, "suite 0x0002", card, Texts.with(good, RawPrekeys.Bundle.SUITE + 1, 0x02), now,
        ErrorCode.UNSUPPORTED_SUITE);
    parseBundleInvalid(cases, "expires equal to created (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.expires = b.created, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "expires before created (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.expires = b.created - 1, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "expires one second after 9999-12-31T23:59:59Z (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.expires = Card.MAX_TIME + 1, sk, tag), now,
        ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "created of 2^63 (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.created = Long.MIN_VALUE, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "pqspk_id equal to spk_id (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.pqspkId = b.spkId, sk, tag), now, ErrorCode.INVALID_ENCODING);
    RawPrekeys.Bundle repeated = RawPrekeys.Bundle.of(first);
    repeated.pqspkId = repeated.spkId;
    parseBundleInvalid(cases, "input ends right after a pqspk_id equal to spk_id: the id is reported, not the truncation",
        card, Texts.cut(repeated.body(), RawPrekeys.Bundle.PQSPK), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "pqspk_id equal to spk_id, then an ML-KEM key that fails the modulus check (signed): the "
        + "id is reported first", card, signed(RawPrekeys.Bundle.of(first), b -> {
          b.pqspkId = b.spkId;
          b.pqspk[0] = (byte) 0xff;
          b.pqspk[1] |= 0x0f;
        }, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "signed prekey with the ML-KEM type byte (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.spkType = 0x03, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "ML-KEM prekey with the X25519 type byte (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.pqspkType = 0x02, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseBundleInvalid(cases, "signed prekey of small order (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.spk = SMALL_ORDER_X25519.clone(), sk, tag), now,
        ErrorCode.INVALID_KEY);
    parseBundleInvalid(cases, "signed prekey not canonical: top bit set (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> b.spk[31] |= (byte) 0x80, sk, tag), now, ErrorCode.INVALID_KEY);
    parseBundleInvalid(cases, "ML-KEM prekey fails the modulus check in its first coefficient (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> {
          b.pqspk[0] = (byte) 0xff;
          b.pqspk[1] |= 0x0f;
        }, sk, tag), now, ErrorCode.INVALID_KEY);
    parseBundleInvalid(cases, "ML-KEM prekey fails the modulus check in its last coefficient (signed)", card,
        signed(RawPrekeys.Bundle.of(first), b -> {
          b.pqspk[1150] = (byte) 0xff;
          b.pqspk[1151] = (byte) 0xff;
        }, sk, tag), now, ErrorCode.INVALID_KEY);

    int sig = RawPrekeys.Bundle.SIGNATURE;
    parseBundleInvalid(cases, "signature with one bit flipped", card, Texts.flip(good, sig + 20), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "serial changed", card, Texts.flip(good, RawPrekeys.Bundle.SERIAL + 3), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "expiry changed by one second", card, Texts.flip(good, RawPrekeys.Bundle.EXPIRES + 7), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "signed prekey id changed", card, Texts.flip(good, RawPrekeys.Bundle.SPK_ID + 3, 0x04),
        now, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "signed prekey replaced by another valid key", card,
        Texts.replace(good, RawPrekeys.Bundle.SPK + 1, ofForeign.signedPrekey().publicKey()), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "ML-KEM prekey replaced by another valid key", card,
        Texts.replace(good, RawPrekeys.Bundle.PQSPK + 1, ofForeign.kemPrekey().publicKey()), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "a bundle of the owner's other card (signed under another invite tag)", card,
        ofSecond.encoded(), now, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "a bundle of the owner's card read under the owner's other card", second.issue(), good,
        now, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "a bundle of another identity's card", card, ofForeign.encoded(), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "signed without the invite tag", card, Bytes.concat(Arrays.copyOf(good, sig),
        dev.sotto.internal.crypto.Ed25519.sign(sk, Bytes.concat(RawPrekeys.BUNDLE_LABEL.getBytes(
            StandardCharsets.US_ASCII), Arrays.copyOf(good, sig)))), now, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "signed under the one-time prekey label", card,
        RawPrekeys.Bundle.of(first).signedBy(sk, tag, RawPrekeys.ONE_TIME_LABEL), now, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "signed under the card's label", card,
        RawPrekeys.Bundle.of(first).signedBy(sk, tag, RawCard.SIGNATURE_LABEL), now, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "signature S + l (malleated, S not reduced)", card, malleate(good), now,
        ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "expired and a bad signature: the signature is checked first", card,
        Texts.flip(good, sig + 20), expires, ErrorCode.BAD_SIGNATURE);
    parseBundleInvalid(cases, "read at its expiry time", card, good, expires, ErrorCode.EXPIRED);
    parseBundleInvalid(cases, "read four days after its expiry", card, good, expires + 4 * DAY, ErrorCode.EXPIRED);
  }

  /** A raw bundle edited by {@code edit}, then signed. */
  private static byte[] signed(RawPrekeys.Bundle raw, java.util.function.Consumer<RawPrekeys.Bundle> edit, byte[] sk,
      byte[] inviteTag) {
    edit.accept(raw);
    return raw.signedBy(sk, inviteTag);
  }

  private static void parseBundleValid(Cases cases, String comment, Card card, byte[] bundle, long now) {
    ObjectNode in = Json.object().put("card", Bytes.hex(card.encoded())).put("bundle", Bytes.hex(bundle)).put("now", now);
    try {
      cases.valid("parse_bundle", comment, in, bundleFields(PrekeyBundle.parse(bundle, card, Instant.ofEpochSecond(now))));
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' case: " + comment, e);
    }
  }

  private static void parseBundleInvalid(Cases cases, String comment, Card card, byte[] bundle, long now,
      ErrorCode error) {
    cases.invalid("parse_bundle", comment,
        Json.object().put("card", Bytes.hex(card.encoded())).put("bundle", Bytes.hex(bundle)).put("now", now), error);
  }

  /** Every field of a read bundle, as the vectors list them. */
  static ObjectNode bundleFields(PrekeyBundle b) {
    byte[] encoded = b.encoded();
    ObjectNode out = Json.object();
    out.put("serial", b.serial());
    out.put("created", b.created().getEpochSecond());
    out.put("expires", b.expires().getEpochSecond());
    out.set("spk", prekey(b.signedPrekey()));
    out.set("pqspk", prekey(b.kemPrekey()));
    out.put("signature", Bytes.hex(Arrays.copyOfRange(encoded, encoded.length - 64, encoded.length)));
    return out;
  }

  // ---------------------------------------------------------------- one-time prekey records

  private static List<OneTimePrekey> issueOneTime(Cases cases, String comment, CardRecipe card, long firstId,
      long expires, int x25519, int kem, RandomSource random) {
    Responder r = responder(card, firstId, 0);
    RecordingRandom draws = new RecordingRandom(random);
    List<OneTimePrekey> issued = r.issueOneTimePrekeys(card.issue(), Instant.ofEpochSecond(expires), x25519, kem, draws);
    PrekeyRecipe.OneTime recipe = new PrekeyRecipe.OneTime(expires, firstId,
        List.copyOf(draws.draws().subList(0, x25519)), List.copyOf(draws.draws().subList(x25519, x25519 + kem)));
    ObjectNode in = Json.object();
    in.set("card", card.toJson());
    recipe.toJson(in);
    cases.valid("issue_one_time_prekeys", comment, in, oneTimeIssued(card.issue(), issued));
    return issued;
  }

  private static ObjectNode oneTimeIssued(Card card, List<OneTimePrekey> issued) {
    ObjectNode out = Json.object();
    out.put("card", Bytes.hex(card.encoded()));
    ArrayNode list = out.putArray("prekeys");
    for (OneTimePrekey p : issued) {
      byte[] encoded = p.encoded();
      byte[] body = Arrays.copyOf(encoded, encoded.length - 64);
      list.addObject()
          .put("kind", kind(p))
          .put("id", p.prekey().id())
          .put("public", Bytes.hex(p.prekey().publicKey()))
          .put("signed_message", Bytes.hex(RawPrekeys.signedMessage(RawPrekeys.ONE_TIME_LABEL, card.inviteTag(), body)))
          .put("signature", Bytes.hex(Arrays.copyOfRange(encoded, encoded.length - 64, encoded.length)))
          .put("record", Bytes.hex(encoded));
    }
    return out;
  }

  private static String kind(OneTimePrekey p) {
    return p.isKem() ? "ml-kem-768" : "x25519";
  }

  private static void oneTimePrekeys(Cases cases, CardRecipe base, CardRecipe second, CardRecipe foreign,
      RandomSource random) {
    long expires = T0 + 4 * DAY;
    List<OneTimePrekey> x = issueOneTime(cases, "one X25519 one-time prekey, id 0", base, 0, expires, 1, 0, random);
    List<OneTimePrekey> kem = issueOneTime(cases, "one ML-KEM-768 one-time prekey, id 7", base, 7, expires, 0, 1,
        random);
    issueOneTime(cases, "three X25519 then two ML-KEM-768 one-time prekeys, ids 2 to 6", base, 2, expires, 3, 2,
        random);
    issueOneTime(cases, "32 X25519 and 4 ML-KEM-768 one-time prekeys (the reference node's batch), ids 100 to 135", base,
        100, expires, 32, 4, random);
    issueOneTime(cases, "ids 2^32 - 1 and 0: the id counter wraps", base, 0xffffffffL, expires, 1, 1, random);
    issueOneTime(cases, "expires at 9999-12-31T23:59:59Z (the largest time)", base, 9, Card.MAX_TIME, 1, 0, random);
    List<OneTimePrekey> ofSecond = issueOneTime(cases, "one X25519 one-time prekey of the owner's second card", second,
        0, expires, 1, 0, random);
    List<OneTimePrekey> ofForeign = issueOneTime(cases, "one of each kind of another identity's card", foreign, 0,
        expires, 1, 1, random);

    Card card = base.issue();
    byte[] sk = base.signingKey();
    byte[] tag = card.inviteTag();
    byte[] good = x.get(0).encoded();
    byte[] goodKem = kem.get(0).encoded();
    long now = T0 + DAY;
    parseOneTimeValid(cases, "an X25519 record, read a day before its expiry", card, good, expires - DAY);
    parseOneTimeValid(cases, "an X25519 record, read at the last second before expiry", card, good, expires - 1);
    parseOneTimeValid(cases, "an ML-KEM-768 record", card, goodKem, now);
    parseOneTimeValid(cases, "id 2^32 - 1 (signed)", card, signedRecord(RawPrekeys.OneTime.of(x.get(0)),
        p -> p.id = 0xffffffffL, sk, tag), now);
    parseOneTimeValid(cases, "a record of the owner's second card, read under it", second.issue(),
        ofSecond.get(0).encoded(), now);

    parseOneTimeInvalid(cases, "empty input", card, new byte[0], now, ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "cut inside the expiry", card, Texts.cut(good, RawPrekeys.OneTime.EXPIRES + 3), now,
        ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "cut before the key's type byte", card, Texts.cut(good, RawPrekeys.OneTime.KEY), now,
        ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "cut inside an X25519 key", card, Texts.cut(good, RawPrekeys.OneTime.KEY + 20), now,
        ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "cut inside an ML-KEM-768 key", card, Texts.cut(goodKem, RawPrekeys.OneTime.KEY + 900),
        now, ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "cut inside the signature (111 bytes)", card, Texts.cut(good, good.length - 1), now,
        ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "one byte after the signature (113 bytes)", card, Arrays.copyOf(good, good.length + 1),
        now, ErrorCode.TRAILING_DATA);
    parseOneTimeInvalid(cases, "one byte after the signature of an ML-KEM-768 record (1265 bytes)", card,
        Arrays.copyOf(goodKem, goodKem.length + 1), now, ErrorCode.TRAILING_DATA);
    parseOneTimeInvalid(cases, "an X25519 record with the ML-KEM type byte: the key runs past the end", card,
        Texts.with(good, RawPrekeys.OneTime.KEY, 0x03), now, ErrorCode.TRUNCATED);
    parseOneTimeInvalid(cases, "version 0x01", card, Texts.with(good, 0, 0x01), now, ErrorCode.UNSUPPORTED_VERSION);
    parseOneTimeInvalid(cases, "version 0x03", card, Texts.with(good, 0, 0x03), now, ErrorCode.UNSUPPORTED_VERSION);
    parseOneTimeInvalid(cases, "version 0x01 and nothing after it: the version is read first", card, new byte[] {0x01},
        now, ErrorCode.UNSUPPORTED_VERSION);
    parseOneTimeInvalid(cases, "suite 0x0002", card, Texts.with(good, RawPrekeys.OneTime.SUITE + 1, 0x02), now,
        ErrorCode.UNSUPPORTED_SUITE);
    parseOneTimeInvalid(cases, "expires one second after 9999-12-31T23:59:59Z (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(x.get(0)), p -> p.expires = Card.MAX_TIME + 1, sk, tag), now,
        ErrorCode.INVALID_ENCODING);
    parseOneTimeInvalid(cases, "expires of 2^63 (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(x.get(0)), p -> p.expires = Long.MIN_VALUE, sk, tag), now,
        ErrorCode.INVALID_ENCODING);
    parseOneTimeInvalid(cases, "key type 0x01, an Ed25519 key's (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(x.get(0)), p -> p.type = 0x01, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseOneTimeInvalid(cases, "key type 0x04, undefined (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(x.get(0)), p -> p.type = 0x04, sk, tag), now, ErrorCode.INVALID_ENCODING);
    parseOneTimeInvalid(cases, "key type 0x00 and nothing after it: the type is reported, not the truncation", card,
        Texts.cut(Texts.with(good, RawPrekeys.OneTime.KEY, 0x00), RawPrekeys.OneTime.KEY + 1), now,
        ErrorCode.INVALID_ENCODING);
    parseOneTimeInvalid(cases, "X25519 key of small order (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(x.get(0)), p -> p.key = SMALL_ORDER_X25519_2.clone(), sk, tag), now,
        ErrorCode.INVALID_KEY);
    parseOneTimeInvalid(cases, "X25519 key not canonical: top bit set (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(x.get(0)), p -> p.key[31] |= (byte) 0x80, sk, tag), now,
        ErrorCode.INVALID_KEY);
    parseOneTimeInvalid(cases, "ML-KEM-768 key fails the modulus check in its last coefficient (signed)", card,
        signedRecord(RawPrekeys.OneTime.of(kem.get(0)), p -> {
          p.key[1150] = (byte) 0xff;
          p.key[1151] = (byte) 0xff;
        }, sk, tag), now, ErrorCode.INVALID_KEY);

    int sig = good.length - 64;
    parseOneTimeInvalid(cases, "signature with one bit flipped", card, Texts.flip(good, sig + 5), now,
        ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "id changed", card, Texts.flip(good, RawPrekeys.OneTime.ID + 3), now,
        ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "expiry changed by one second", card, Texts.flip(good, RawPrekeys.OneTime.EXPIRES + 7),
        now, ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "X25519 key replaced by another valid key", card,
        Texts.replace(good, RawPrekeys.OneTime.KEY + 1, ofForeign.get(0).prekey().publicKey()), now,
        ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "ML-KEM-768 key replaced by another valid key", card,
        Texts.replace(goodKem, RawPrekeys.OneTime.KEY + 1, ofForeign.get(1).prekey().publicKey()), now,
        ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "a record of the owner's other card (signed under another invite tag)", card,
        ofSecond.get(0).encoded(), now, ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "a record of the owner's card read under the owner's other card", second.issue(), good,
        now, ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "a record of another identity's card", card, ofForeign.get(0).encoded(), now,
        ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "signed under the bundle label", card,
        RawPrekeys.OneTime.of(x.get(0)).signedBy(sk, tag, RawPrekeys.BUNDLE_LABEL), now, ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "signature S + l (malleated, S not reduced)", card, malleate(good), now,
        ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "expired and a bad signature: the signature is checked first", card,
        Texts.flip(good, sig + 5), expires, ErrorCode.BAD_SIGNATURE);
    parseOneTimeInvalid(cases, "an X25519 record read at its expiry time", card, good, expires, ErrorCode.EXPIRED);
    parseOneTimeInvalid(cases, "an ML-KEM-768 record read at its expiry time", card, goodKem, expires,
        ErrorCode.EXPIRED);
  }

  /** A raw record edited by {@code edit}, then signed. */
  private static byte[] signedRecord(RawPrekeys.OneTime raw, java.util.function.Consumer<RawPrekeys.OneTime> edit,
      byte[] sk, byte[] inviteTag) {
    edit.accept(raw);
    return raw.signedBy(sk, inviteTag);
  }

  private static void parseOneTimeValid(Cases cases, String comment, Card card, byte[] record, long now) {
    ObjectNode in = Json.object().put("card", Bytes.hex(card.encoded())).put("record", Bytes.hex(record)).put("now", now);
    try {
      cases.valid("parse_one_time_prekey", comment, in,
          oneTimeFields(OneTimePrekey.parse(record, card, Instant.ofEpochSecond(now))));
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' case: " + comment, e);
    }
  }

  private static void parseOneTimeInvalid(Cases cases, String comment, Card card, byte[] record, long now,
      ErrorCode error) {
    cases.invalid("parse_one_time_prekey", comment,
        Json.object().put("card", Bytes.hex(card.encoded())).put("record", Bytes.hex(record)).put("now", now), error);
  }

  static ObjectNode oneTimeFields(OneTimePrekey p) {
    byte[] encoded = p.encoded();
    return Json.object()
        .put("expires", p.expires().getEpochSecond())
        .put("kind", kind(p))
        .put("id", p.prekey().id())
        .put("public", Bytes.hex(p.prekey().publicKey()))
        .put("signature", Bytes.hex(Arrays.copyOfRange(encoded, encoded.length - 64, encoded.length)));
  }

  /** Onion addresses that break a rule of card.adoc#onion-addresses, each signed, in the order of the rules. */
  private static void onionInvalid(Cases cases, Card card, byte[] sk, long now) {
    byte[] key = Addresses.onionKey(4);
    byte[] good = Addresses.onionBytes(key, 3);
    byte[] torsion = Edwards25519.withTorsion(key);
    byte[] link = Addresses.linkKey(40);
    RawCard.RawAddress whole = RawCard.RawAddress.onion(Address.KIND_PEER_ONION, link, 7400, good);
    Object[][] rows = {
      {"onion address value of 69 bytes (signed)",
          new RawCard.RawAddress(Address.KIND_PEER_ONION, Arrays.copyOf(whole.value, 69)), ErrorCode.INVALID_ENCODING},
      {"onion address value of 71 bytes (signed)",
          new RawCard.RawAddress(Address.KIND_MAILBOX_ONION, Bytes.concat(whole.value, new byte[1])),
          ErrorCode.INVALID_ENCODING},
      {"onion address with a link key of small order (signed)",
          RawCard.RawAddress.onion(Address.KIND_MAILBOX_ONION, SMALL_ORDER_X25519, 7400, good), ErrorCode.INVALID_KEY},
      {"onion address with port 0 (signed)",
          RawCard.RawAddress.onion(Address.KIND_PEER_ONION, link, 0, good), ErrorCode.INVALID_ENCODING},
      {"onion address of version 0x02 (its checksum computed for version 2) (signed)",
          RawCard.RawAddress.onion(Address.KIND_PEER_ONION, link, 7400, Addresses.onionBytes(key, 2)),
          ErrorCode.INVALID_ENCODING},
      {"onion address with its version byte changed to 0x04, checksum of version 3 (signed)",
          RawCard.RawAddress.onion(Address.KIND_PEER_ONION, link, 7400, Texts.with(good, 34, 0x04)),
          ErrorCode.INVALID_ENCODING},
      {"onion address whose checksum has one bit flipped (signed)",
          RawCard.RawAddress.onion(Address.KIND_MAILBOX_ONION, link, 7400, Texts.flip(good, 33, 0x01)),
          ErrorCode.INVALID_ENCODING},
      {"onion address whose key has one bit flipped, checksum of the old key (signed)",
          RawCard.RawAddress.onion(Address.KIND_MAILBOX_ONION, link, 7400, Texts.flip(good, 5, 0x10)),
          ErrorCode.INVALID_ENCODING},
      {"onion service key plus a point of order 8, its checksum right: a valid point, not of order l (signed)",
          RawCard.RawAddress.onion(Address.KIND_PEER_ONION, link, 7400, Addresses.onionBytes(torsion, 3)),
          ErrorCode.INVALID_KEY},
      {"onion service key of order 8 and version 0x02: the version is reported first (signed)",
          RawCard.RawAddress.onion(Address.KIND_PEER_ONION, link, 7400, Addresses.onionBytes(torsion, 2)),
          ErrorCode.INVALID_ENCODING},
      {"onion address with a link key of small order and version 0x02: the link key is reported first (signed)",
          RawCard.RawAddress.onion(Address.KIND_PEER_ONION, SMALL_ORDER_X25519, 7400, Addresses.onionBytes(key, 2)),
          ErrorCode.INVALID_KEY},
    };
    for (Object[] row : rows) {
      RawCard r = RawCard.of(card);
      r.addresses.add((RawCard.RawAddress) row[1]);
      parseInvalid(cases, (String) row[0], r.signedBy(sk), now, (ErrorCode) row[2]);
    }
  }

  // ---------------------------------------------------------------- cards

  private static CardRecipe issue(Cases cases, String comment, byte[] seed, Spec spec, RandomSource random) {
    CardRecipe recipe = CardRecipe.record(seed, spec.created(), spec.expires(), spec.addresses(), random);
    Card card = recipe.issue();
    cases.valid("issue", comment, recipe.toJson(), cardIssued(card));
    return recipe;
  }

  private static ObjectNode cardIssued(Card card) {
    byte[] encoded = card.encoded();
    ObjectNode out = Json.object();
    out.put("public_identity", Bytes.hex(card.identity().encoded()));
    out.put("bundle_tag", Bytes.hex(card.bundleTag()));
    out.put("signed_message", Bytes.hex(RawCard.signedMessage(Arrays.copyOf(encoded, encoded.length - 64))));
    out.put("signature", Bytes.hex(card.signature()));
    out.put("card", Bytes.hex(encoded));
    out.put("card_text", card.text());
    return out;
  }

  private static void bundleTag(Cases cases, String comment, byte[] inviteTag) {
    cases.valid("bundle_tag", comment, Json.object().put("invite_tag", Bytes.hex(inviteTag)),
        Json.object().put("bundle_tag", Bytes.hex(Card.bundleTag(inviteTag))));
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
    out.put("invite_tag", Bytes.hex(card.inviteTag()));
    out.put("bundle_tag", Bytes.hex(card.bundleTag()));
    ArrayNode addresses = out.putArray("addresses");
    for (Address a : card.addresses()) {
      ObjectNode node = addresses.addObject().put("kind", a.kind()).put("value", Bytes.hex(a.value()));
      if (a.isTcp() || a.isOnion()) {
        node.put("host", a.host()).put("port", a.port()).put("link_key", Bytes.hex(a.linkKey()));
      }
    }
    out.put("signature", Bytes.hex(card.signature()));
    return out;
  }

  private static ObjectNode prekey(Prekey p) {
    return Json.object().put("id", p.id()).put("public", Bytes.hex(p.publicKey()));
  }

  // ---------------------------------------------------------------- verification

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    String operation = testCase.path("operation").asText();
    try {
      switch (operation) {
        case "issue" -> {
          Card card = CardRecipe.fromJson(in).issue();
          if (check.accepted()) {
            compareFields(check, cardIssued(card), "");
          }
        }
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
        case "bundle_tag" -> {
          byte[] tag = Card.bundleTag(Bytes.unhex(in.path("invite_tag").asText()));
          if (check.accepted()) {
            check.bytes("bundle_tag", tag);
          }
        }
        case "issue_bundle" -> {
          CardRecipe recipe = CardRecipe.fromJson(in.path("card"));
          PrekeyRecipe.Bundle bundle = PrekeyRecipe.Bundle.fromJson(in);
          Responder r = responder(recipe, bundle.spkId(), bundle.serial());
          Card card = recipe.issue();
          PrekeyBundle b = PrekeyRecipe.issueBundle(r, card, bundle);
          if (check.accepted()) {
            compareFields(check, bundleIssued(card, b), "");
          }
        }
        case "issue_one_time_prekeys" -> {
          CardRecipe recipe = CardRecipe.fromJson(in.path("card"));
          PrekeyRecipe.OneTime oneTime = PrekeyRecipe.OneTime.fromJson(in);
          Responder r = responder(recipe, oneTime.firstId(), 0);
          Card card = recipe.issue();
          List<OneTimePrekey> issued = PrekeyRecipe.issueOneTime(r, card, oneTime);
          if (check.accepted()) {
            compareFields(check, oneTimeIssued(card, issued), "");
          }
        }
        case "parse_bundle", "parse_one_time_prekey" -> {
          Instant now = Instant.ofEpochSecond(in.path("now").asLong());
          Card card;
          try {
            card = Card.parse(Bytes.unhex(in.path("card").asText()), now);
          } catch (SottoException e) {
            check.fail("the case's card is refused: " + e.code() + " (" + e.getMessage() + ")");
            return;
          }
          ObjectNode actual = operation.equals("parse_bundle")
              ? bundleFields(PrekeyBundle.parse(Bytes.unhex(in.path("bundle").asText()), card, now))
              : oneTimeFields(OneTimePrekey.parse(Bytes.unhex(in.path("record").asText()), card, now));
          if (check.accepted()) {
            compareFields(check, actual, "");
          }
        }
        default -> check.fail("unknown operation '" + operation + "'");
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }

  /** Compares every field of {@code actual} with the case's output, recursively. */
  static void compareFields(CaseCheck check, JsonNode actual, String prefix) {
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
      } else if (value.isNull()) {
        check.isNull(name);
      } else {
        check.text(name, value.asText());
      }
    });
  }

  private static byte[] filled(int length, int value) {
    byte[] out = new byte[length];
    Arrays.fill(out, (byte) value);
    return out;
  }

  /** Replaces S by S + l (little-endian add), which a strict verifier rejects. */
  private static byte[] malleate(byte[] signed) {
    byte[] l = Bytes.unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    byte[] out = signed.clone();
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
