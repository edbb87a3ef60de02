package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of contact cards (spec: card.adoc). */
class CardProperties {
  private static final long T0 = 1_800_000_000L;

  /** The parameters of a card; the randomness comes from {@code randomSeed}. */
  record Params(byte[] identitySeed, byte[] randomSeed, List<Address> addresses, long lifetime) {
    Identity owner() {
      return Identity.fromSeed(IdentitySeed.fromBytes(identitySeed));
    }

    Card issue() {
      Card.Builder b = Card.builder(owner())
          .validity(Instant.ofEpochSecond(T0), Instant.ofEpochSecond(T0 + lifetime));
      addresses.forEach(b::address);
      return b.issue(TestRandom.deterministic(randomSeed));
    }
  }

  @Provide
  Arbitrary<Params> cards() {
    Arbitrary<byte[]> seeds = Arbitraries.bytes().array(byte[].class).ofSize(32);
    Arbitrary<Address> address = Combinators.combine(
            Arbitraries.of(Address.KIND_PEER_TCP, Address.KIND_MAILBOX_TCP),
            Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789.:-").ofMinLength(1).ofMaxLength(60),
            Arbitraries.integers().between(1, 65535),
            seeds.map(X25519::publicKey))
        .as((kind, host, port, linkKey) -> kind == Address.KIND_PEER_TCP
            ? Address.peer(host, port, linkKey)
            : Address.mailbox(host, port, linkKey));
    return Combinators.combine(
            seeds, seeds,
            address.list().ofMaxSize(Card.MAX_ADDRESSES),
            Arbitraries.longs().between(1, 800L * 86400))
        .as(Params::new);
  }

  /** A card's prekeys: a bundle and one one-time prekey of each kind, issued by its owner's responder. */
  record Issued(Card card, PrekeyBundle bundle, OneTimePrekey x25519, OneTimePrekey kem) {
    static Issued of(Params params) {
      Card card = params.issue();
      Responder responder = new Responder(params.owner());
      responder.addCard(card);
      RandomSource random = TestRandom.deterministic(params.identitySeed());
      Instant created = Instant.ofEpochSecond(T0);
      PrekeyBundle bundle = responder.issueBundle(card, created, created.plusSeconds(3 * 86400), random);
      List<OneTimePrekey> oneTime = responder.issueOneTimePrekeys(card, created.plusSeconds(3 * 86400), 1, 1, random);
      return new Issued(card, bundle, oneTime.get(0), oneTime.get(1));
    }
  }

  @Property(tries = 60)
  void binaryAndTextFormsRoundTrip(@ForAll("cards") Params params) throws SottoException {
    Card card = params.issue();
    Instant now = Instant.ofEpochSecond(T0);
    Card fromBinary = Card.parse(card.encoded(), now);
    Card fromText = Card.parseText(card.text(), now);
    assertEquals(card, fromBinary);
    assertEquals(card, fromText);
    assertArrayEquals(card.encoded(), fromBinary.encoded());
    assertEquals(params.addresses(), fromBinary.addresses());
    assertEquals(166 + params.addresses().stream().mapToInt(a -> 2 + a.value().length).sum(), card.encoded().length);
    assertArrayEquals(Card.bundleTag(card.inviteTag()), fromText.bundleTag());
  }

  @Property(tries = 60)
  void sameInputsGiveTheSameCard(@ForAll("cards") Params params) {
    assertArrayEquals(params.issue().encoded(), params.issue().encoded());
  }

  @Property(tries = 300)
  void everySingleByteChangeIsRejected(
      @ForAll("cards") Params params, @ForAll @IntRange(min = 0, max = 1_000_000) int where,
      @ForAll @IntRange(min = 1, max = 255) int xor) {
    byte[] encoded = params.issue().encoded();
    encoded[where % encoded.length] ^= (byte) xor;
    assertThrows(SottoException.class, () -> Card.parse(encoded, Instant.ofEpochSecond(T0)));
  }

  /** Not a sample: each byte of one card with every kind of field, flipped in turn. */
  @Property(tries = 1)
  void everyPositionOfOneFullCardIsProtected(@ForAll @Size(value = 32) byte[] seed) {
    Address peer = Address.peer("127.0.0.1", 7400, X25519.publicKey(seed));
    Card card = new Params(seed, seed, List.of(peer), 86400).issue();
    byte[] encoded = card.encoded();
    for (int i = 0; i < encoded.length; i++) {
      byte[] tampered = encoded.clone();
      tampered[i] ^= 0x01;
      int at = i;
      assertThrows(SottoException.class, () -> Card.parse(tampered, Instant.ofEpochSecond(T0)), "byte " + at);
    }
  }

  @Property(tries = 40)
  void aCardNeverVerifiesUnderAnotherIdentity(@ForAll("cards") Params mine, @ForAll("cards") Params theirs) {
    Card card = mine.issue();
    Card other = theirs.issue();
    if (card.identity().equals(other.identity())) {
      return;
    }
    SottoException mismatch = assertThrows(SottoException.class,
        () -> Card.parse(card.encoded(), Instant.ofEpochSecond(T0), other.identity()));
    assertEquals(ErrorCode.IDENTITY_MISMATCH, mismatch.code());

    // Put the other identity in the card, keeping the signature: it must not verify.
    byte[] swapped = card.encoded();
    byte[] otherIdentity = other.identity().encoded();
    System.arraycopy(otherIdentity, 0, swapped, 1, otherIdentity.length);
    SottoException forged = assertThrows(SottoException.class, () -> Card.parse(swapped, Instant.ofEpochSecond(T0)));
    assertEquals(ErrorCode.BAD_SIGNATURE, forged.code());
  }

  @Property(tries = 60)
  void truncationIsTruncatedAndExtensionIsTrailingData(
      @ForAll("cards") Params params, @ForAll @IntRange(min = 0, max = 1_000_000) int cut) {
    byte[] encoded = params.issue().encoded();
    byte[] shorter = Arrays.copyOf(encoded, cut % encoded.length);
    assertEquals(ErrorCode.TRUNCATED,
        assertThrows(SottoException.class, () -> Card.parse(shorter, Instant.ofEpochSecond(T0))).code());
    byte[] longer = Arrays.copyOf(encoded, encoded.length + 1 + cut % 7);
    assertEquals(ErrorCode.TRAILING_DATA,
        assertThrows(SottoException.class, () -> Card.parse(longer, Instant.ofEpochSecond(T0))).code());
  }

  @Property(tries = 60)
  void validExactlyUntilExpiry(@ForAll("cards") Params params) throws SottoException {
    Card card = params.issue();
    Card.parse(card.encoded(), card.expires().minusSeconds(1));
    SottoException e = assertThrows(SottoException.class, () -> Card.parse(card.encoded(), card.expires()));
    assertEquals(ErrorCode.EXPIRED, e.code());
    assertTrue(card.toString().startsWith("Card[sottofp1"));
  }

  @Property(tries = 40)
  void prekeysRoundTripUnderTheirCard(@ForAll("cards") Params params) throws SottoException {
    Issued issued = Issued.of(params);
    Instant now = Instant.ofEpochSecond(T0);
    assertEquals(issued.bundle(), PrekeyBundle.parse(issued.bundle().encoded(), issued.card(), now));
    assertEquals(PrekeyBundle.LENGTH, issued.bundle().encoded().length);
    assertEquals(issued.x25519(), OneTimePrekey.parse(issued.x25519().encoded(), issued.card(), now));
    assertEquals(OneTimePrekey.X25519_LENGTH, issued.x25519().encoded().length);
    assertEquals(issued.kem(), OneTimePrekey.parse(issued.kem().encoded(), issued.card(), now));
    assertEquals(OneTimePrekey.ML_KEM_LENGTH, issued.kem().encoded().length);
    Set<Long> ids = new HashSet<>(List.of(issued.bundle().signedPrekey().id(), issued.bundle().kemPrekey().id(),
        issued.x25519().prekey().id(), issued.kem().prekey().id()));
    assertEquals(4, ids.size(), "a responder gives every prekey its own id");
  }

  @Property(tries = 200)
  void everySingleByteChangeOfAPrekeyRecordIsRejected(
      @ForAll("cards") Params params, @ForAll @IntRange(min = 0, max = 1_000_000) int where,
      @ForAll @IntRange(min = 1, max = 255) int xor, @ForAll @IntRange(min = 0, max = 2) int which) {
    Issued issued = Issued.of(params);
    byte[] encoded = switch (which) {
      case 0 -> issued.bundle().encoded();
      case 1 -> issued.x25519().encoded();
      default -> issued.kem().encoded();
    };
    encoded[where % encoded.length] ^= (byte) xor;
    Instant now = Instant.ofEpochSecond(T0);
    assertThrows(SottoException.class, () -> {
      if (which == 0) {
        PrekeyBundle.parse(encoded, issued.card(), now);
      } else {
        OneTimePrekey.parse(encoded, issued.card(), now);
      }
    });
  }

  /** A bundle or record signed for one card never verifies under another, even of the same owner. */
  @Property(tries = 40)
  void prekeysBelongToOneCard(@ForAll("cards") Params params, @ForAll @Size(value = 32) byte[] otherRandom)
      throws SottoException {
    Issued issued = Issued.of(params);
    Card other = new Params(params.identitySeed(), otherRandom, params.addresses(), params.lifetime()).issue();
    if (Arrays.equals(other.inviteTag(), issued.card().inviteTag())) {
      return;
    }
    Instant now = Instant.ofEpochSecond(T0);
    assertEquals(ErrorCode.BAD_SIGNATURE, assertThrows(SottoException.class,
        () -> PrekeyBundle.parse(issued.bundle().encoded(), other, now)).code());
    assertEquals(ErrorCode.BAD_SIGNATURE, assertThrows(SottoException.class,
        () -> OneTimePrekey.parse(issued.x25519().encoded(), other, now)).code());
    assertEquals(ErrorCode.BAD_SIGNATURE, assertThrows(SottoException.class,
        () -> OneTimePrekey.parse(issued.kem().encoded(), other, now)).code());
  }

  @Property(tries = 40)
  void prekeysAreValidExactlyUntilTheirExpiry(@ForAll("cards") Params params) throws SottoException {
    Issued issued = Issued.of(params);
    Instant expires = issued.bundle().expires();
    PrekeyBundle.parse(issued.bundle().encoded(), issued.card(), expires.minusSeconds(1));
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> PrekeyBundle.parse(issued.bundle().encoded(), issued.card(), expires)).code());
    OneTimePrekey.parse(issued.kem().encoded(), issued.card(), issued.kem().expires().minusSeconds(1));
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> OneTimePrekey.parse(issued.kem().encoded(), issued.card(), issued.kem().expires())).code());
  }
}
