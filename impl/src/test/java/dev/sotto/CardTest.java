package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cards of version 2 (design r2-prekeys section 1): long-lived, no prekeys. */
class CardTest {
  static final Instant CREATED = Instant.ofEpochSecond(1_800_000_000L);
  static final Instant EXPIRES = CREATED.plusSeconds(30 * 86400);
  static final Instant NOW = CREATED.plusSeconds(3600);

  static Identity identity(String seed) {
    return Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(seed.getBytes(StandardCharsets.US_ASCII))));
  }

  /** A card of the identity named {@code seed} with two addresses. */
  static Card issue(String seed) {
    return Card.builder(identity(seed))
        .validity(CREATED, EXPIRES)
        .address(Address.peer("127.0.0.1", 7400, linkKey("peer")))
        .address(Address.mailbox("mailbox.example", 7401, linkKey("mailbox")))
        .issue(TestRandom.deterministic((seed + "/card").getBytes(StandardCharsets.US_ASCII)));
  }

  /** The X25519 public key of a private key named {@code name}: a valid link key. */
  static byte[] linkKey(String name) {
    return X25519.publicKey(Hmac.hash(name.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void roundTripsThroughBinaryAndText() throws SottoException {
    Card card = issue("alice");
    assertEquals(card, Card.parse(card.encoded(), NOW));
    assertEquals(card, Card.parseText(card.text(), NOW));
    assertEquals(card, Card.parseText(card.text().toUpperCase(), NOW));
    assertEquals(card, Card.parse(card.encoded(), NOW, identity("alice").publicIdentity()));
    assertEquals(card, Card.parseText(card.text(), NOW, identity("alice").publicIdentity()));
    assertEquals(CREATED, card.created());
    assertEquals(EXPIRES, card.expires());
    assertEquals("mailbox.example", card.addresses().get(1).host());
    assertEquals(7401, card.addresses().get(1).port());
    assertArrayEquals(linkKey("mailbox"), card.addresses().get(1).linkKey());
  }

  @Test
  void theLayoutIsVersionIdentityTimesInviteTagAddressesSignature() throws SottoException {
    Identity owner = identity("ivan");
    byte[] tag = Bytes.unhex("000102030405060708090a0b0c0d0e0f");
    Card card = Card.builder(owner).validity(CREATED, EXPIRES).issue(TestRandom.replay(tag));
    byte[] body = new Writer().u8(0x02).bytes(owner.publicIdentity().encoded()).u64(CREATED.getEpochSecond())
        .u64(EXPIRES.getEpochSecond()).bytes(tag).u8(0).toByteArray();
    assertEquals(166, card.encoded().length, "1 + 68 + 8 + 8 + 16 + 1 + 64");
    assertArrayEquals(body, Arrays.copyOf(card.encoded(), body.length));
    assertArrayEquals(owner.sign(Bytes.concat("sotto/v2/card/signature".getBytes(StandardCharsets.US_ASCII), body)),
        card.signature());
    assertArrayEquals(tag, card.inviteTag());
    Card withAddress = Card.builder(owner).validity(CREATED, EXPIRES).address(Address.peer("a.example", 1, linkKey("p")))
        .issue(TestRandom.replay(tag));
    assertEquals(166 + 2 + Address.peer("a.example", 1, linkKey("p")).value().length, withAddress.encoded().length);
    assertEquals(withAddress, Card.parse(withAddress.encoded(), NOW));
  }

  @Test
  void issuingDrawsTheInviteTagOnly() {
    TestRandom.Replay replay = TestRandom.replay(new byte[16]);
    Card.builder(identity("judy")).validity(CREATED, EXPIRES).issue(replay);
    replay.assertExhausted();
  }

  @Test
  void theBundleTagIsDerivedFromTheInviteTag() {
    Card card = issue("alice");
    byte[] expected = Hkdf.derive(new byte[0], card.inviteTag(),
        "sotto/v2/card/bundle-tag".getBytes(StandardCharsets.US_ASCII), 16);
    assertArrayEquals(expected, card.bundleTag());
    assertArrayEquals(expected, Card.bundleTag(card.inviteTag()));
    assertFalse(Arrays.equals(card.inviteTag(), card.bundleTag()), "the tags differ");
    assertNotEquals(Bytes.hex(card.bundleTag()), Bytes.hex(issue("bob").bundleTag()));
    assertThrows(IllegalArgumentException.class, () -> Card.bundleTag(new byte[15]));
    assertArrayEquals(Labels.CARD_BUNDLE_TAG, "sotto/v2/card/bundle-tag".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void addressValueIsLinkKeyPortHost() {
    Address address = Address.peer("a.example", 0x1234, linkKey("peer"));
    assertArrayEquals(Bytes.concat(new byte[] {0x02}, linkKey("peer"), new byte[] {0x12, 0x34},
        "a.example".getBytes(StandardCharsets.US_ASCII)), address.value());
    assertEquals("peer a.example:4660", address.toString());
  }

  @Test
  void invalidAddressesAreApiMisuse() {
    byte[] key = linkKey("peer");
    byte[] smallOrder = Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000");
    byte[] nonCanonical = key.clone();
    nonCanonical[31] |= (byte) 0x80;
    assertEquals(220, Address.mailbox("a".repeat(220), 1, key).host().length());
    assertThrows(IllegalArgumentException.class, () -> Address.mailbox("a".repeat(221), 1, key));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("", 7400, key));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("Upper.example", 7400, key));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("a.example", 0, key));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("a.example", 65536, key));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("a.example", 7400, smallOrder));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("a.example", 7400, nonCanonical));
    assertThrows(IllegalArgumentException.class, () -> Address.peer("a.example", 7400, Arrays.copyOf(key, 31)));
  }

  @Test
  void sameInputsGiveTheSameCard() {
    assertArrayEquals(issue("bob").encoded(), issue("bob").encoded());
  }

  @Test
  void expiredCardIsRejected() throws SottoException {
    Card card = issue("carol");
    SottoException e = assertThrows(SottoException.class, () -> Card.parse(card.encoded(), EXPIRES));
    assertEquals(ErrorCode.EXPIRED, e.code());
    assertEquals(card, Card.parse(card.encoded(), EXPIRES.minusSeconds(1)));
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class, () -> Card.parseText(card.text(), EXPIRES)).code());
  }

  @Test
  void cardOfAnotherIdentityIsAMismatch() {
    Card card = issue("dave");
    PublicIdentity other = issue("erin").identity();
    SottoException e = assertThrows(SottoException.class, () -> Card.parse(card.encoded(), NOW, other));
    assertEquals(ErrorCode.IDENTITY_MISMATCH, e.code());
    // The signature is checked before the identity, and expiry before the identity too.
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class, () -> Card.parse(card.encoded(), EXPIRES, other))
        .code());
  }

  @Test
  void revisionOneCardsAreAnUnsupportedVersion() {
    byte[] encoded = issue("frank").encoded();
    encoded[0] = 0x01;
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, assertThrows(SottoException.class, () -> Card.parse(encoded, NOW)).code());
    assertEquals(ErrorCode.UNSUPPORTED_VERSION,
        assertThrows(SottoException.class, () -> Card.parse(new byte[] {0x01}, NOW)).code(), "before TRUNCATED");
  }

  @Test
  void fieldRulesAreTypedBeforeTheSignature() {
    Identity owner = identity("gina");
    byte[] tag = new byte[16];
    // Signed by the owner, so that only the rule under test is broken.
    assertEquals(ErrorCode.INVALID_ENCODING, refused(owner, body(owner, 100, 100, tag, 0)), "expires == created");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(owner, body(owner, 100, 99, tag, 0)), "expires < created");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(owner, body(owner, 100, Card.MAX_TIME + 1, tag, 0)), "time");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(owner, body(owner, 100, 200, tag, 9)), "9 addresses");
    byte[] good = body(owner, 100, Card.MAX_TIME, tag, 0);
    byte[] signed = Bytes.concat(good, owner.sign(Bytes.concat(Labels.CARD_SIGNATURE, good)));
    assertEquals(ErrorCode.EXPIRED,
        assertThrows(SottoException.class, () -> Card.parse(signed, Instant.ofEpochSecond(Card.MAX_TIME))).code());
    assertDoesNotThrow(() -> Card.parse(signed, Instant.ofEpochSecond(Card.MAX_TIME - 1)), "the largest time");
  }

  private static byte[] body(Identity owner, long created, long expires, byte[] tag, int addresses) {
    return new Writer().u8(0x02).bytes(owner.publicIdentity().encoded()).u64(created).u64(expires).bytes(tag)
        .u8(addresses).toByteArray();
  }

  private static ErrorCode refused(Identity owner, byte[] body) {
    byte[] signed = Bytes.concat(body, owner.sign(Bytes.concat(Labels.CARD_SIGNATURE, body)));
    return assertThrows(SottoException.class, () -> Card.parse(signed, Instant.ofEpochSecond(150))).code();
  }

  @Test
  void truncationAtEveryLengthAndTrailingBytesAreTyped() {
    byte[] encoded = issue("frank").encoded();
    for (int length = 0; length < encoded.length; length++) {
      byte[] cut = Arrays.copyOf(encoded, length);
      SottoException e = assertThrows(SottoException.class, () -> Card.parse(cut, NOW));
      assertEquals(ErrorCode.TRUNCATED, e.code(), "length " + length);
    }
    byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);
    assertEquals(ErrorCode.TRAILING_DATA, assertThrows(SottoException.class, () -> Card.parse(longer, NOW)).code());
  }

  @Test
  void everyBitFlipIsRejected() {
    byte[] encoded = issue("grace").encoded();
    for (int i = 0; i < encoded.length; i++) {
      for (int bit = 0; bit < 8; bit += 3) {
        byte[] tampered = encoded.clone();
        tampered[i] ^= (byte) (1 << bit);
        assertThrows(SottoException.class, () -> Card.parse(tampered, NOW), "byte " + i + " bit " + bit);
      }
    }
  }

  @Test
  void aSignatureOverAnotherLabelIsBad() {
    Identity owner = identity("hank");
    byte[] body = body(owner, 100, 200, new byte[16], 0);
    for (byte[] label : new byte[][] {"sotto/v1/card".getBytes(StandardCharsets.US_ASCII), Labels.BUNDLE_SIGNATURE,
        Labels.ONE_TIME_PREKEY_SIGNATURE}) {
      byte[] signed = Bytes.concat(body, owner.sign(Bytes.concat(label, body)));
      assertEquals(ErrorCode.BAD_SIGNATURE,
          assertThrows(SottoException.class, () -> Card.parse(signed, Instant.ofEpochSecond(150))).code());
    }
  }

  @Test
  void invalidBuilderInputIsApiMisuse() {
    Identity identity = identity("x");
    Card.Builder none = Card.builder(identity);
    assertThrows(IllegalArgumentException.class, () -> none.issue(TestRandom.deterministic(new byte[] {2})));
    Card.Builder backwards = Card.builder(identity).validity(EXPIRES, CREATED);
    assertThrows(IllegalArgumentException.class, () -> backwards.issue(TestRandom.deterministic(new byte[] {2})));
    Card.Builder same = Card.builder(identity).validity(CREATED, CREATED);
    assertThrows(IllegalArgumentException.class, () -> same.issue(TestRandom.deterministic(new byte[] {2})));
    Card.Builder late = Card.builder(identity).validity(CREATED, Instant.ofEpochSecond(Card.MAX_TIME + 1));
    assertThrows(IllegalArgumentException.class, () -> late.issue(TestRandom.deterministic(new byte[] {2})));
    Card.Builder crowded = Card.builder(identity).validity(CREATED, EXPIRES);
    for (int i = 0; i <= Card.MAX_ADDRESSES; i++) {
      crowded.address(Address.peer("a.example", 1 + i, linkKey("p")));
    }
    assertThrows(IllegalArgumentException.class, () -> crowded.issue(TestRandom.deterministic(new byte[] {2})));
  }

  @Test
  void nothingSecretShowsInToString() {
    HandshakeTest h = new HandshakeTest();
    Responder r = h.responder();
    String text = r.toString() + h.bundle + h.oneTime + h.bobsCard + h.prekeys(HandshakeTest.OPK_1, null);
    for (String hex : new String[] {Bytes.hex(TestRandom.deterministic(new byte[] {'d'}).bytes(8)),
        Bytes.hex(TestRandom.deterministic(new byte[] {'e'}).bytes(8))}) {
      assertFalse(text.contains(hex), text);
    }
    assertFalse(text.contains(Bytes.hex(h.bobsCard.inviteTag())), "the invite tag is the mailbox tag of first contacts");
  }

  /** Address.of: any kind from its value, with its kind's rules for kinds 1 and 2. */
  @Test
  void addressesOfEveryKindFromTheirValues() throws SottoException {
    Address peer = Address.peer("192.0.2.7", 7400, linkKey("peer"));
    assertEquals(peer, Address.of(1, peer.value()));
    assertEquals("192.0.2.7", Address.of(1, peer.value()).host());
    Address future = Address.of(5, "future".getBytes(StandardCharsets.US_ASCII));
    assertEquals(5, future.kind());
    assertFalse(future.isTcp());
    assertEquals(255, Address.of(255, new byte[255]).value().length);
    assertThrows(IllegalArgumentException.class, () -> Address.of(0, new byte[1]));
    assertThrows(IllegalArgumentException.class, () -> Address.of(256, new byte[1]));
    assertThrows(IllegalArgumentException.class, () -> Address.of(7, new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> Address.of(7, new byte[256]));
    byte[] portZero = peer.value().clone();
    portZero[33] = 0;
    portZero[34] = 0;
    assertThrows(IllegalArgumentException.class, () -> Address.of(2, portZero));
    byte[] upper = peer.value().clone();
    upper[35] = 'A';
    assertThrows(IllegalArgumentException.class, () -> Address.of(1, upper));
    Card card = Card.builder(identity("kinds")).validity(CREATED, EXPIRES).address(future).address(peer)
        .issue(TestRandom.deterministic("kinds/card".getBytes(StandardCharsets.US_ASCII)));
    Card read = Card.parse(card.encoded(), NOW);
    assertEquals(List.of(future, peer), read.addresses());
  }
}
