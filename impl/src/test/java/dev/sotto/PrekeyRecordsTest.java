package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.Labels;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Prekey bundles and one-time prekey records (design r2-prekeys sections 2 to 4): their layout, and
 * every malformed input refused with the code of the first check that fails, in the order fields,
 * signature, time; and {@link Prekeys#of}'s refusals.
 */
class PrekeyRecordsTest {
  final HandshakeTest h = new HandshakeTest();
  final Instant now = HandshakeTest.NOW;
  final long created = HandshakeTest.CREATED.getEpochSecond();
  final long expires = HandshakeTest.PREKEYS_EXPIRE.getEpochSecond();
  final byte[] spk = h.bundle.signedPrekey().publicKey();
  final byte[] pqspk = h.bundle.kemPrekey().publicKey();

  /** A bundle body with any fields: typed keys as given (type byte included). */
  static byte[] bundleBody(int version, int suite, long serial, long created, long expires, long spkId, byte[] typedSpk,
      long pqspkId, byte[] typedPqspk) {
    return new Writer().u8(version).u16(suite).u32(serial).u64(created).u64(expires).u32(spkId).bytes(typedSpk)
        .u32(pqspkId).bytes(typedPqspk).toByteArray();
  }

  /** Signed by Bob over the bundle label and {@code card}'s invite tag: only the field under test is wrong. */
  byte[] signedBundle(Card card, byte[] body) {
    return Bytes.concat(body, h.bob.sign(Bytes.concat(Labels.BUNDLE_SIGNATURE, card.inviteTag(), body)));
  }

  byte[] signedRecord(Card card, byte[] body) {
    return Bytes.concat(body, h.bob.sign(Bytes.concat(Labels.ONE_TIME_PREKEY_SIGNATURE, card.inviteTag(), body)));
  }

  static byte[] recordBody(int version, int suite, long expires, long id, byte[] typedKey) {
    return new Writer().u8(version).u16(suite).u64(expires).u32(id).bytes(typedKey).toByteArray();
  }

  ErrorCode bundleRefused(byte[] encoded) {
    return bundleRefused(encoded, h.bobsCard, now);
  }

  static ErrorCode bundleRefused(byte[] encoded, Card card, Instant at) {
    return assertThrows(SottoException.class, () -> PrekeyBundle.parse(encoded, card, at)).code();
  }

  ErrorCode recordRefused(byte[] encoded) {
    return recordRefused(encoded, h.bobsCard, now);
  }

  static ErrorCode recordRefused(byte[] encoded, Card card, Instant at) {
    return assertThrows(SottoException.class, () -> OneTimePrekey.parse(encoded, card, at)).code();
  }

  /** Another card of Bob's: the same identity, another invite tag. */
  final Card otherCard = Card.builder(h.bob)
      .validity(CardTest.CREATED, CardTest.EXPIRES).issue(TestRandom.deterministic(new byte[] {'O'}));

  /** A valid ML-KEM-768 key whose first coefficient is 0xfff (at least q = 3329): fails the modulus check. */
  byte[] badKemKey() {
    byte[] key = pqspk.clone();
    key[0] = (byte) 0xff;
    key[1] = (byte) (key[1] | 0x0f);
    return key;
  }

  // ------------------------------------------------------------------ bundles

  @Test
  void aBundleIsItsFieldsThenBobsSignatureOverTheLabelTheInviteTagAndThem() throws SottoException {
    byte[] body = bundleBody(0x02, 0x0001, 0, created, expires, HandshakeTest.SPK, KeyCodec.x25519(spk),
        HandshakeTest.PQSPK, KeyCodec.mlKem768(pqspk));
    byte[] expected = Bytes.concat(body, h.bob.sign(Bytes.concat("sotto/v2/bundle".getBytes(StandardCharsets.US_ASCII),
        h.bobsCard.inviteTag(), body)));
    assertArrayEquals(expected, h.bundle.encoded());
    assertEquals(1313, PrekeyBundle.LENGTH);
    assertEquals(PrekeyBundle.LENGTH, h.bundle.encoded().length);
    PrekeyBundle read = PrekeyBundle.parse(expected, h.bobsCard, now);
    assertEquals(h.bundle, read);
    assertEquals(h.bobsCard, read.card());
    assertEquals(0, read.serial());
    assertEquals(HandshakeTest.CREATED, read.created());
    assertEquals(HandshakeTest.PREKEYS_EXPIRE, read.expires());
    assertArrayEquals(spk, read.signedPrekey().publicKey());
    assertArrayEquals(pqspk, read.kemPrekey().publicKey());
  }

  @Test
  void bundleTruncationAtEveryLengthAndTrailingData() {
    byte[] encoded = h.bundle.encoded();
    for (int length = 0; length < encoded.length; length++) {
      assertEquals(ErrorCode.TRUNCATED, bundleRefused(Arrays.copyOf(encoded, length)), "length " + length);
    }
    assertEquals(ErrorCode.TRAILING_DATA, bundleRefused(Arrays.copyOf(encoded, encoded.length + 1)));
    assertEquals(ErrorCode.TRAILING_DATA, bundleRefused(Bytes.concat(encoded, encoded)));
  }

  @Test
  void bundleVersionAndSuiteComeFirst() {
    byte[] encoded = h.bundle.encoded();
    for (int version : new int[] {0x00, 0x01, 0x03}) {
      byte[] other = encoded.clone();
      other[0] = (byte) version;
      assertEquals(ErrorCode.UNSUPPORTED_VERSION, bundleRefused(other), "version " + version);
    }
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, bundleRefused(new byte[] {0x01}), "a revision-1 byte, before TRUNCATED");
    byte[] suite = encoded.clone();
    suite[2] = 0x02;
    assertEquals(ErrorCode.UNSUPPORTED_SUITE, bundleRefused(suite));
    assertEquals(ErrorCode.UNSUPPORTED_SUITE, bundleRefused(new byte[] {0x02, 0x00, 0x02}), "before TRUNCATED");
    // Signed, so that nothing but the version is wrong.
    byte[] v1 = signedBundle(h.bobsCard, bundleBody(0x01, 1, 0, created, expires, 0, KeyCodec.x25519(spk), 1,
        KeyCodec.mlKem768(pqspk)));
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, bundleRefused(v1));
  }

  @Test
  void bundleFieldRulesAreTypedBeforeTheSignature() {
    byte[] x = KeyCodec.x25519(spk);
    byte[] k = KeyCodec.mlKem768(pqspk);
    Card c = h.bobsCard;
    // Each signed by Bob: only the rule under test is broken.
    assertEquals(ErrorCode.INVALID_ENCODING, bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 5, x, 5, k))),
        "spk_id == pqspk_id");
    assertEquals(ErrorCode.INVALID_ENCODING, bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, created, 0, x, 1, k))),
        "expires == created");
    assertEquals(ErrorCode.INVALID_ENCODING,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, created - 1, 0, x, 1, k))), "expires < created");
    assertEquals(ErrorCode.INVALID_ENCODING,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, Card.MAX_TIME + 1, 0, x, 1, k))), "a time after 9999");
    assertEquals(ErrorCode.INVALID_ENCODING,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, Card.MAX_TIME + 1, Card.MAX_TIME + 2, 0, x, 1, k))), "created");
    byte[] xAsKem = x.clone();
    xAsKem[0] = KeyCodec.TYPE_ML_KEM_768;
    assertEquals(ErrorCode.INVALID_ENCODING,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 0, xAsKem, 1, k))), "spk's type byte");
    byte[] kAsX = k.clone();
    kAsX[0] = KeyCodec.TYPE_X25519;
    assertEquals(ErrorCode.INVALID_ENCODING,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 0, x, 1, kAsX))), "pqspk's type byte");
    byte[] smallOrder = KeyCodec.x25519(Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000"));
    assertEquals(ErrorCode.INVALID_KEY,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 0, smallOrder, 1, k))), "spk of small order");
    byte[] nonCanonical = x.clone();
    nonCanonical[32] |= (byte) 0x80;
    assertEquals(ErrorCode.INVALID_KEY,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 0, nonCanonical, 1, k))), "spk non-canonical");
    assertEquals(ErrorCode.INVALID_KEY, bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 0, x, 1,
        KeyCodec.mlKem768(badKemKey())))), "pqspk fails the modulus check");
    // The order: the first failing field wins, and a field error comes before a bad signature.
    assertEquals(ErrorCode.INVALID_ENCODING,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, created, 5, smallOrder, 5, k))), "expires first");
    assertEquals(ErrorCode.INVALID_KEY,
        bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, expires, 5, smallOrder, 5, k))), "spk before ids");
    byte[] unsigned = h.bundle.encoded();
    unsigned[1 + 2 + 4 + 8 + 8 + 4 + 33 + 3] = (byte) HandshakeTest.SPK; // pqspk_id = spk_id, signature now wrong
    assertEquals(ErrorCode.INVALID_ENCODING, bundleRefused(unsigned), "before BAD_SIGNATURE");
    // Fields are checked as they are read: the id rule before a truncation after it, not before one inside it.
    assertEquals(ErrorCode.INVALID_ENCODING, bundleRefused(Arrays.copyOf(unsigned, 100)));
    assertEquals(ErrorCode.TRUNCATED, bundleRefused(Arrays.copyOf(unsigned, 63)));
    // The largest time is allowed.
    assertEquals(ErrorCode.EXPIRED, bundleRefused(signedBundle(c, bundleBody(2, 1, 0, created, Card.MAX_TIME, 0, x, 1, k)),
        c, Instant.ofEpochSecond(Card.MAX_TIME)));
  }

  @Test
  void bundleSignatures() throws SottoException {
    byte[] encoded = h.bundle.encoded();
    // Bytes whose change keeps every field valid: serial, created, expires, spk_id, spk, pqspk's rho, signature.
    for (int i : new int[] {3, 6, 14, 22, 25, 30, 1230, 1248, PrekeyBundle.LENGTH - 64, PrekeyBundle.LENGTH - 1}) {
      byte[] tampered = encoded.clone();
      tampered[i] ^= 0x01;
      assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(tampered), "byte " + i);
    }
    // A bundle of another card: Bob's other card (another invite tag), Alice's card.
    PrekeyBundle ofOther = otherResponder().issueBundle(otherCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE,
        TestRandom.deterministic(new byte[] {'d'}));
    assertEquals(PrekeyBundle.parse(ofOther.encoded(), otherCard, now), ofOther);
    assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(ofOther.encoded()), "the other card's bundle, same keys and ids");
    assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(encoded, otherCard, now));
    assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(encoded, CardTest.issue("alice"), now));
    // Signed over other labels, or without the invite tag.
    byte[] body = Arrays.copyOf(encoded, PrekeyBundle.LENGTH - 64);
    for (byte[] message : List.of(Bytes.concat(Labels.CARD_SIGNATURE, h.bobsCard.inviteTag(), body),
        Bytes.concat(Labels.ONE_TIME_PREKEY_SIGNATURE, h.bobsCard.inviteTag(), body),
        Bytes.concat(Labels.BUNDLE_SIGNATURE, body), Bytes.concat(Labels.BUNDLE_SIGNATURE, h.bobsCard.bundleTag(), body),
        body)) {
      assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(Bytes.concat(body, h.bob.sign(message))));
    }
    // Signed by Alice over Bob's card.
    assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(Bytes.concat(body,
        h.alice.sign(Bytes.concat(Labels.BUNDLE_SIGNATURE, h.bobsCard.inviteTag(), body)))));
  }

  Responder otherResponder() {
    Responder r = new Responder(h.bob);
    r.addCard(otherCard);
    r.addCard(h.bobsCard);
    return r;
  }

  @Test
  void bundleExpiryComesLast() throws SottoException {
    byte[] encoded = h.bundle.encoded();
    Instant at = HandshakeTest.PREKEYS_EXPIRE;
    assertEquals(h.bundle, PrekeyBundle.parse(encoded, h.bobsCard, at.minusSeconds(1)));
    assertEquals(ErrorCode.EXPIRED, bundleRefused(encoded, h.bobsCard, at));
    assertEquals(ErrorCode.EXPIRED, bundleRefused(encoded, h.bobsCard, at.plusSeconds(86_400)));
    byte[] tampered = encoded.clone();
    tampered[encoded.length - 1] ^= 1;
    assertEquals(ErrorCode.BAD_SIGNATURE, bundleRefused(tampered, h.bobsCard, at), "the signature before the time");
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class, () -> h.bundle.checkNotExpired(at)).code());
    // Not valid yet is no rule: a bundle is usable from the time it is read.
    assertEquals(h.bundle, PrekeyBundle.parse(encoded, h.bobsCard, HandshakeTest.CREATED.minusSeconds(3600)));
  }

  @Test
  void everyByteOfABundleCounts() {
    byte[] encoded = h.bundle.encoded();
    for (int i = 0; i < encoded.length; i++) {
      byte[] tampered = encoded.clone();
      tampered[i] ^= 0x10;
      assertThrows(SottoException.class, () -> PrekeyBundle.parse(tampered, h.bobsCard, now), "byte " + i);
    }
  }

  @Test
  void issuingBundlesIsCheckedAtTheApi() {
    Responder r = h.responder();
    RandomSource random = TestRandom.deterministic(new byte[] {'i'});
    assertThrows(IllegalArgumentException.class, () -> r.issueBundle(otherCard, HandshakeTest.CREATED,
        HandshakeTest.PREKEYS_EXPIRE, random), "a card not held");
    assertThrows(IllegalArgumentException.class, () -> r.issueBundle(h.bobsCard, HandshakeTest.PREKEYS_EXPIRE,
        HandshakeTest.PREKEYS_EXPIRE, random), "expires == created");
    assertThrows(IllegalArgumentException.class, () -> r.issueBundle(h.bobsCard, HandshakeTest.CREATED,
        Instant.ofEpochSecond(Card.MAX_TIME + 1), random), "a time after 9999");
    assertThrows(IllegalArgumentException.class, () -> r.issueBundle(h.bobsCard, Instant.ofEpochSecond(-1),
        HandshakeTest.PREKEYS_EXPIRE, random), "a time before 1970");
    assertThrows(IllegalArgumentException.class, () -> r.addCard(CardTest.issue("alice")), "another identity's card");
    assertThrows(IllegalArgumentException.class, () -> r.addCard(h.bobsCard), "a card held already");
    assertThrows(IllegalArgumentException.class, () -> r.issueOneTimePrekeys(h.bobsCard, HandshakeTest.PREKEYS_EXPIRE,
        -1, 0, random));
    assertThrows(IllegalArgumentException.class, () -> r.issueOneTimePrekeys(h.bobsCard,
        Instant.ofEpochSecond(Card.MAX_TIME + 1), 1, 0, random));
    assertThrows(IllegalArgumentException.class, () -> r.issueOneTimePrekeys(otherCard, HandshakeTest.PREKEYS_EXPIRE,
        1, 0, random));
    assertEquals(h.responder().serialize().length, r.serialize().length, "nothing was issued");
  }

  @Test
  void serialsCountPerResponderAndIdsAreNeverReused() {
    Responder r = otherResponder();
    RandomSource random = TestRandom.deterministic(new byte[] {'s'});
    PrekeyBundle a = r.issueBundle(h.bobsCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE, random);
    PrekeyBundle b = r.issueBundle(otherCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE, random);
    PrekeyBundle c = r.issueBundle(h.bobsCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE, random);
    assertEquals(List.of(0L, 1L, 2L), List.of(a.serial(), b.serial(), c.serial()));
    assertTrue(c.serial() > a.serial(), "of two bundles of a card, the later has the higher serial");
    List<OneTimePrekey> records = r.issueOneTimePrekeys(h.bobsCard, HandshakeTest.PREKEYS_EXPIRE, 2, 1, random);
    assertEquals(List.of(6L, 7L, 8L), records.stream().map(x -> x.prekey().id()).toList());
    // Ids of prekeys no longer held may come round again only after 2^32; held ones never.
    r.removeCard(otherCard);
    PrekeyBundle d = r.issueBundle(h.bobsCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE, random);
    assertEquals(List.of(9L, 10L), List.of(d.signedPrekey().id(), d.kemPrekey().id()));
  }

  // ------------------------------------------------------------------ one-time prekeys

  @Test
  void aRecordIsItsFieldsThenBobsSignature() throws SottoException {
    OneTimePrekey x = h.record(HandshakeTest.OPK_1);
    OneTimePrekey k = h.record(HandshakeTest.KEM_OPK);
    byte[] xBody = recordBody(2, 1, expires, HandshakeTest.OPK_1, KeyCodec.x25519(x.prekey().publicKey()));
    assertArrayEquals(Bytes.concat(xBody, h.bob.sign(Bytes.concat(
        "sotto/v2/one-time-prekey".getBytes(StandardCharsets.US_ASCII), h.bobsCard.inviteTag(), xBody))), x.encoded());
    byte[] kBody = recordBody(2, 1, expires, HandshakeTest.KEM_OPK, KeyCodec.mlKem768(k.prekey().publicKey()));
    assertArrayEquals(signedRecord(h.bobsCard, kBody), k.encoded());
    assertEquals(112, OneTimePrekey.X25519_LENGTH);
    assertEquals(1264, OneTimePrekey.ML_KEM_LENGTH);
    assertEquals(112, x.encoded().length);
    assertEquals(1264, k.encoded().length);
    assertEquals(x, OneTimePrekey.parse(x.encoded(), h.bobsCard, now));
    assertEquals(false, OneTimePrekey.parse(x.encoded(), h.bobsCard, now).isKem());
    assertEquals(true, OneTimePrekey.parse(k.encoded(), h.bobsCard, now).isKem());
    assertEquals(HandshakeTest.PREKEYS_EXPIRE, k.expires());
    assertEquals(h.bobsCard, k.card());
  }

  @Test
  void recordTruncationAtEveryLengthTrailingDataVersionSuiteAndType() {
    for (OneTimePrekey record : h.oneTime) {
      byte[] encoded = record.encoded();
      for (int length = 0; length < encoded.length; length++) {
        assertEquals(ErrorCode.TRUNCATED, recordRefused(Arrays.copyOf(encoded, length)), record + ", length " + length);
      }
      assertEquals(ErrorCode.TRAILING_DATA, recordRefused(Arrays.copyOf(encoded, encoded.length + 1)));
      byte[] v1 = encoded.clone();
      v1[0] = 1;
      assertEquals(ErrorCode.UNSUPPORTED_VERSION, recordRefused(v1));
      byte[] suite = encoded.clone();
      suite[1] = 1;
      assertEquals(ErrorCode.UNSUPPORTED_SUITE, recordRefused(suite));
      for (int type : new int[] {0x00, KeyCodec.TYPE_ED25519, 0x04, 0xff}) {
        byte[] other = encoded.clone();
        other[15] = (byte) type;
        assertEquals(ErrorCode.INVALID_ENCODING, recordRefused(other), "key type " + type);
        assertEquals(ErrorCode.INVALID_ENCODING, recordRefused(Arrays.copyOf(other, 16)), "type before length");
      }
    }
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, recordRefused(new byte[] {1}));
    assertEquals(ErrorCode.UNSUPPORTED_SUITE, recordRefused(new byte[] {2, 0, 3}));
  }

  @Test
  void recordFieldRulesAreTypedBeforeTheSignature() {
    byte[] x = KeyCodec.x25519(h.record(HandshakeTest.OPK_1).prekey().publicKey());
    byte[] smallOrder = KeyCodec.x25519(Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"));
    assertEquals(ErrorCode.INVALID_KEY, recordRefused(signedRecord(h.bobsCard, recordBody(2, 1, expires, 9, smallOrder))));
    assertEquals(ErrorCode.INVALID_KEY, recordRefused(signedRecord(h.bobsCard,
        recordBody(2, 1, expires, 9, KeyCodec.mlKem768(badKemKey())))));
    assertEquals(ErrorCode.INVALID_ENCODING, recordRefused(signedRecord(h.bobsCard,
        recordBody(2, 1, Card.MAX_TIME + 1, 9, x))), "a time after 9999");
    assertEquals(ErrorCode.INVALID_ENCODING, recordRefused(signedRecord(h.bobsCard,
        recordBody(2, 1, expires, 9, KeyCodec.ed25519(h.bob.publicIdentity().signingKey())))), "an Ed25519 key");
    // An X25519 type byte before an ML-KEM key's bytes: read as X25519, then 1,152 bytes too many.
    byte[] k = KeyCodec.mlKem768(h.record(HandshakeTest.KEM_OPK).prekey().publicKey());
    k[0] = KeyCodec.TYPE_X25519;
    assertThrows(SottoException.class, () -> OneTimePrekey.parse(signedRecord(h.bobsCard, recordBody(2, 1, expires, 9, k)),
        h.bobsCard, now));
    // Signed with both kinds' fields fine, the record is read.
    assertTrue(recordOk(signedRecord(h.bobsCard, recordBody(2, 1, expires, 9, x))));
  }

  boolean recordOk(byte[] encoded) {
    try {
      OneTimePrekey.parse(encoded, h.bobsCard, now);
      return true;
    } catch (SottoException e) {
      return false;
    }
  }

  @Test
  void recordSignaturesAndExpiry() throws SottoException {
    Responder other = otherResponder();
    for (OneTimePrekey record : h.oneTime) {
      byte[] encoded = record.encoded();
      for (int i = 0; i < encoded.length; i++) {
        byte[] tampered = encoded.clone();
        tampered[i] ^= 0x02;
        assertThrows(SottoException.class, () -> OneTimePrekey.parse(tampered, h.bobsCard, now), "byte " + i);
      }
      byte[] sig = encoded.clone();
      sig[encoded.length - 1] ^= 1;
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(sig));
      byte[] id = encoded.clone();
      id[14] ^= 1;
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(id), "the id is signed");
      byte[] exp = encoded.clone();
      exp[10] ^= 1;
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(exp), "the expiry is signed");
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(encoded, otherCard, now), "under Bob's other card");
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(encoded, CardTest.issue("alice"), now), "under Alice's card");
      byte[] body = Arrays.copyOf(encoded, encoded.length - 64);
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(Bytes.concat(body,
          h.bob.sign(Bytes.concat(Labels.BUNDLE_SIGNATURE, h.bobsCard.inviteTag(), body)))), "the bundle label");
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(Bytes.concat(body,
          h.bob.sign(Bytes.concat(Labels.ONE_TIME_PREKEY_SIGNATURE, body)))), "no invite tag");
      assertEquals(record, OneTimePrekey.parse(encoded, h.bobsCard, record.expires().minusSeconds(1)));
      assertEquals(ErrorCode.EXPIRED, recordRefused(encoded, h.bobsCard, record.expires()));
      assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(sig, h.bobsCard, record.expires()), "signature before time");
    }
    // A record of Bob's other card with the same key: refused under this card.
    List<OneTimePrekey> ofOther = other.issueOneTimePrekeys(otherCard, HandshakeTest.PREKEYS_EXPIRE, 1, 0,
        TestRandom.deterministic(new byte[] {'e'}));
    assertEquals(ErrorCode.BAD_SIGNATURE, recordRefused(ofOther.get(0).encoded()));
  }

  // ------------------------------------------------------------------ Prekeys.of

  @Test
  void prekeysOfRefusesMixedCardsWrongKindsAndIdClashes() throws SottoException {
    OneTimePrekey x1 = h.record(HandshakeTest.OPK_1);
    OneTimePrekey x2 = h.record(HandshakeTest.OPK_2);
    OneTimePrekey k = h.record(HandshakeTest.KEM_OPK);
    Prekeys all = Prekeys.of(h.bundle, x1, k);
    assertEquals(h.bobsCard, all.card());
    assertEquals(h.bundle, all.bundle());
    assertEquals(Optional.of(x1), all.oneTimePrekey());
    assertEquals(Optional.of(k), all.kemOneTimePrekey());
    assertEquals(Optional.empty(), Prekeys.of(h.bundle).oneTimePrekey());
    assertEquals(Optional.empty(), Prekeys.of(h.bundle, x2, null).kemOneTimePrekey());
    assertThrows(NullPointerException.class, () -> Prekeys.of(null, x1, k));

    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, k, null), "ML-KEM where X25519");
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, null, x1), "X25519 where ML-KEM");
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, k, x1), "both swapped");

    // Records of Bob's other card (same identity, other invite tag) and of Alice's.
    Responder other = otherResponder();
    List<OneTimePrekey> ofOther = other.issueOneTimePrekeys(otherCard, HandshakeTest.PREKEYS_EXPIRE, 1, 1,
        TestRandom.deterministic(new byte[] {'q'}));
    assertEquals(List.of(0L, 1L), ofOther.stream().map(r -> r.prekey().id()).toList());
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, ofOther.get(0), null), "other card");
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, null, ofOther.get(1)), "other card, ML-KEM");
    PrekeyBundle otherBundle = other.issueBundle(otherCard, HandshakeTest.CREATED, HandshakeTest.PREKEYS_EXPIRE,
        TestRandom.deterministic(new byte[] {'r'}));
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(otherBundle, x1, null), "this card's, other bundle");
    Identity aliceId = CardTest.identity("alice");
    Card alices = CardTest.issue("alice");
    Responder alice = new Responder(aliceId);
    alice.addCard(alices);
    OneTimePrekey ofAlice = alice.issueOneTimePrekeys(alices, HandshakeTest.PREKEYS_EXPIRE, 3, 0,
        TestRandom.deterministic(new byte[] {'a'})).get(2);
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, ofAlice, null), "another identity's");

    // Id clashes: another responder of Bob's with this card gives ids 0, 1, 2 to other keys.
    Responder second = new Responder(h.bob);
    second.addCard(h.bobsCard);
    List<OneTimePrekey> clash = second.issueOneTimePrekeys(h.bobsCard, HandshakeTest.PREKEYS_EXPIRE, 2, 1,
        TestRandom.deterministic(new byte[] {'z'}));
    assertEquals(List.of(0L, 1L, 2L), clash.stream().map(r -> r.prekey().id()).toList());
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, clash.get(0), null), "id of the spk");
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, clash.get(1), null), "id of the pqspk");
    assertThrows(IllegalArgumentException.class, () -> Prekeys.of(h.bundle, x1, clash.get(2)),
        "the ML-KEM one-time prekey has the X25519 one's id");
    Prekeys.of(h.bundle, x2, clash.get(2)); // with another X25519 one it clashes with nothing
  }
}
