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
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
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
  record Params(byte[] identitySeed, byte[] randomSeed, int opks, int pqopks, List<Address> addresses, long lifetime) {
    Card issue() {
      Identity owner = Identity.fromSeed(IdentitySeed.fromBytes(identitySeed));
      long[] ids = new long[opks];
      long[] kemIds = new long[pqopks];
      for (int i = 0; i < opks; i++) ids[i] = 10 + i;
      for (int i = 0; i < pqopks; i++) kemIds[i] = 100 + i;
      Card.Builder b = Card.builder(owner)
          .validity(Instant.ofEpochSecond(T0), Instant.ofEpochSecond(T0 + lifetime))
          .signedPrekeyId(1).kemPrekeyId(2).oneTimePrekeyIds(ids).kemOneTimePrekeyIds(kemIds);
      addresses.forEach(b::address);
      return b.issue(TestRandom.deterministic(randomSeed)).card();
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
            Arbitraries.integers().between(0, Card.MAX_ONE_TIME_PREKEYS),
            Arbitraries.integers().between(0, Card.MAX_KEM_ONE_TIME_PREKEYS),
            address.list().ofMaxSize(Card.MAX_ADDRESSES),
            Arbitraries.longs().between(1, 400L * 86400))
        .as(Params::new);
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
    assertEquals(params.opks(), fromBinary.oneTimePrekeys().size());
    assertEquals(params.pqopks(), fromBinary.kemOneTimePrekeys().size());
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
    Card card = new Params(seed, seed, 2, 1, List.of(peer), 86400).issue();
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
}
