package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CardTest {
  static final Instant CREATED = Instant.ofEpochSecond(1_800_000_000L);
  static final Instant EXPIRES = CREATED.plusSeconds(30 * 86400);
  static final Instant NOW = CREATED.plusSeconds(3600);

  static IssuedCard issue(String seed, int otpks, int kemOtpks) {
    Identity identity = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(seed.getBytes())));
    long[] ids = new long[otpks];
    for (int i = 0; i < otpks; i++) ids[i] = 100 + i;
    long[] kemIds = new long[kemOtpks];
    for (int i = 0; i < kemOtpks; i++) kemIds[i] = 200 + i;
    return Card.builder(identity)
        .validity(CREATED, EXPIRES)
        .signedPrekeyId(1)
        .kemPrekeyId(2)
        .oneTimePrekeyIds(ids)
        .kemOneTimePrekeyIds(kemIds)
        .address(Address.peer("127.0.0.1", 7400, linkKey("peer")))
        .address(Address.mailbox("mailbox.example", 7401, linkKey("mailbox")))
        .issue(TestRandom.deterministic((seed + "/card").getBytes()));
  }

  /** The X25519 public key of a private key named {@code name}: a valid link key. */
  static byte[] linkKey(String name) {
    return X25519.publicKey(Hmac.hash(name.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void roundTripsThroughBinaryAndText() throws SottoException {
    Card card = issue("alice", 3, 1).card();
    assertEquals(card, Card.parse(card.encoded(), NOW));
    assertEquals(card, Card.parseText(card.text(), NOW));
    assertEquals(card, Card.parseText(card.text().toUpperCase(), NOW));
    assertEquals(3, card.oneTimePrekeys().size());
    assertEquals(1, card.kemOneTimePrekeys().size());
    assertEquals("mailbox.example", card.addresses().get(1).host());
    assertEquals(7401, card.addresses().get(1).port());
    assertArrayEquals(linkKey("mailbox"), card.addresses().get(1).linkKey());
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
    assertArrayEquals(issue("bob", 2, 2).card().encoded(), issue("bob", 2, 2).card().encoded());
  }

  @Test
  void expiredCardIsRejected() {
    Card card = issue("carol", 0, 0).card();
    SottoException e = assertThrows(SottoException.class, () -> Card.parse(card.encoded(), EXPIRES));
    assertEquals(ErrorCode.EXPIRED, e.code());
  }

  @Test
  void cardOfAnotherIdentityIsAMismatch() {
    Card card = issue("dave", 0, 0).card();
    PublicIdentity other = issue("erin", 0, 0).card().identity();
    SottoException e = assertThrows(SottoException.class, () -> Card.parse(card.encoded(), NOW, other));
    assertEquals(ErrorCode.IDENTITY_MISMATCH, e.code());
  }

  @Test
  void truncationAndTrailingBytesAreTyped() {
    byte[] encoded = issue("frank", 1, 0).card().encoded();
    for (int length = 0; length < encoded.length; length += 37) {
      byte[] cut = Arrays.copyOf(encoded, length);
      SottoException e = assertThrows(SottoException.class, () -> Card.parse(cut, NOW));
      assertEquals(ErrorCode.TRUNCATED, e.code(), "length " + length);
    }
    byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);
    assertEquals(ErrorCode.TRAILING_DATA, assertThrows(SottoException.class, () -> Card.parse(longer, NOW)).code());
  }

  @Test
  void everyBitFlipIsRejected() {
    byte[] encoded = issue("grace", 1, 0).card().encoded();
    for (int i = 0; i < encoded.length; i += 7) {
      byte[] tampered = encoded.clone();
      tampered[i] ^= 0x01;
      assertThrows(SottoException.class, () -> Card.parse(tampered, NOW), "byte " + i);
    }
  }

  @Test
  void invalidBuilderInputIsApiMisuse() {
    Identity identity = Identity.fromSeed(IdentitySeed.generate(TestRandom.deterministic(new byte[] {1})));
    Card.Builder repeated = Card.builder(identity).validity(CREATED, EXPIRES).signedPrekeyId(1).kemPrekeyId(1);
    assertThrows(IllegalArgumentException.class, () -> repeated.issue(TestRandom.deterministic(new byte[] {2})));
    Card.Builder backwards = Card.builder(identity).validity(EXPIRES, CREATED).signedPrekeyId(1).kemPrekeyId(2);
    assertThrows(IllegalArgumentException.class, () -> backwards.issue(TestRandom.deterministic(new byte[] {2})));
  }

  @Test
  void secretsNeverShowInToString() {
    IssuedCard issued = issue("heidi", 1, 1);
    assertTrue(issued.secrets().toString().contains("redacted"));
    assertTrue(issued.secrets().holds(1) && issued.secrets().holds(100) && issued.secrets().holds(200));
    assertFalse(issued.secrets().holds(3));
  }
}
