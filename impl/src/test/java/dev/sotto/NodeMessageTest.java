package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Node messages (spec: transport.adoc#node-messages): HELLO, TEXT, RESET, SYNC and DROPPED written,
 * read and refused. HELLO and RESET carry the sender's card and a bundle of it.
 */
class NodeMessageTest {
  private static final Card ALICE = CardTest.issue("alice");
  private static final Card BOB = CardTest.issue("bob");
  private static final PublicIdentity ALICE_ID = ALICE.identity();
  private static final Responder ALICE_RESPONDER = responder(CardTest.identity("alice"), ALICE);
  private static final PrekeyBundle ALICE_BUNDLE = ALICE_RESPONDER.bundles(ALICE).get(0);
  private static final PrekeyBundle BOB_BUNDLE = responder(CardTest.identity("bob"), BOB).bundles(BOB).get(0);

  private static Responder responder(Identity owner, Card card) {
    Responder r = new Responder(owner);
    r.addCard(card);
    r.issueBundle(card, CardTest.CREATED, CardTest.CREATED.plus(Duration.ofDays(3)),
        TestRandom.deterministic(owner.fingerprint().text().getBytes(StandardCharsets.US_ASCII)));
    return r;
  }

  private static NodeMessage parse(byte[] payload) throws SottoException {
    return NodeMessage.parse(payload, CardTest.NOW, ALICE_ID);
  }

  private static ErrorCode refused(byte[] payload) {
    return assertThrows(SottoException.class, () -> parse(payload)).code();
  }

  private static byte[] u64(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (56 - 8 * i));
    }
    return b;
  }

  private static byte[] cardAndBundle(Card card, PrekeyBundle bundle) {
    byte[] c = card.encoded();
    return Bytes.concat(new byte[] {(byte) (c.length >>> 8), (byte) c.length}, c, bundle.encoded());
  }

  @Test
  void resetIsKindSeqSentAtInSeqOutSeqNameCardBundle() throws SottoException {
    byte[] encoded = NodeMessage.reset(9, 1_800_000_100L, 4, 9, "Alice", ALICE_BUNDLE).encode();
    assertArrayEquals(Bytes.concat(new byte[] {0x03}, u64(9), u64(1_800_000_100L), u64(4), u64(9),
        new byte[] {5}, "Alice".getBytes(StandardCharsets.US_ASCII), cardAndBundle(ALICE, ALICE_BUNDLE)), encoded);
    NodeMessage read = parse(encoded);
    assertEquals(NodeMessage.RESET, read.kind());
    assertEquals(9, read.seq());
    assertEquals(1_800_000_100L, read.sentAt());
    assertEquals(4, read.inSeq());
    assertEquals(9, read.outSeq());
    assertEquals("Alice", read.name());
    assertEquals(ALICE, read.card());
    assertEquals(ALICE_BUNDLE, read.bundle());
    assertNull(read.text());
  }

  @Test
  void helloIsKindSeqSentAtNameCardBundle() throws SottoException {
    byte[] encoded = NodeMessage.hello(2, 7, "Alice", ALICE_BUNDLE).encode();
    assertArrayEquals(Bytes.concat(new byte[] {0x01}, u64(2), u64(7), new byte[] {5},
        "Alice".getBytes(StandardCharsets.US_ASCII), cardAndBundle(ALICE, ALICE_BUNDLE)), encoded);
    NodeMessage read = parse(encoded);
    assertEquals(NodeMessage.HELLO, read.kind());
    assertEquals(ALICE, read.card());
    assertEquals(ALICE_BUNDLE, read.bundle());
    assertEquals(-1, read.inSeq());
    assertEquals(-1, read.outSeq());
  }

  @Test
  void aContactCanMakeAFirstContactFromTheBundleOfAHello() throws SottoException {
    NodeMessage read = parse(NodeMessage.hello(0, 7, "Alice", ALICE_BUNDLE).encode());
    Identity bob = CardTest.identity("bob");
    Session.Started started = Session.initiate(bob, Prekeys.of(read.bundle()), CardTest.NOW, "again".getBytes(),
        TestRandom.deterministic(new byte[] {1}));
    Session.Accepted accepted = Session.accept(ALICE_RESPONDER, started.envelopes().get(0).encoded(), CardTest.NOW,
        TestRandom.deterministic(new byte[] {2}));
    assertArrayEquals("again".getBytes(), accepted.payload().orElseThrow());
  }

  @Test
  void syncIsKindSeqSentAtInSeqOutSeq() throws SottoException {
    byte[] encoded = NodeMessage.sync(3, 7, 12, 3).encode();
    assertArrayEquals(Bytes.concat(new byte[] {0x04}, u64(3), u64(7), u64(12), u64(3)), encoded);
    assertEquals(33, encoded.length);
    NodeMessage read = NodeMessage.parse(encoded, CardTest.NOW, null);
    assertEquals(NodeMessage.SYNC, read.kind());
    assertEquals(12, read.inSeq());
    assertEquals(3, read.outSeq());
    assertNull(read.name());
    assertNull(read.card());
    assertNull(read.bundle());
    NodeMessage max = parse(NodeMessage.sync(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).encode());
    assertEquals(Long.MAX_VALUE, max.inSeq());
    assertEquals(Long.MAX_VALUE, max.outSeq());
  }

  @Test
  void droppedIsKindSeqSentAtAndNothingMore() throws SottoException {
    byte[] encoded = NodeMessage.dropped(0, 7).encode();
    assertArrayEquals(Bytes.concat(new byte[] {0x05}, u64(0), u64(7)), encoded);
    assertEquals(17, encoded.length);
    NodeMessage read = NodeMessage.parse(encoded, CardTest.NOW, null);
    assertEquals(NodeMessage.DROPPED, read.kind());
    assertEquals(7, read.sentAt());
    assertEquals(-1, read.inSeq());
    assertNull(read.text());
    assertNull(read.card());
    assertEquals(ErrorCode.TRAILING_DATA, refused(Arrays.copyOf(encoded, 18)), "a byte after sent_at");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(encoded, 16)), "cut inside sent_at");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(encoded, 0, 0x09)), "kind 0x09");
  }

  @Test
  void textHasNoMarks() throws SottoException {
    NodeMessage text = parse(NodeMessage.text(1, 2, "hi").encode());
    assertEquals(-1, text.inSeq());
    assertEquals("hi", text.text());
    assertNull(text.bundle());
  }

  @Test
  void badResetsAndSyncsAreRefusedWithTheirCodes() {
    byte[] reset = NodeMessage.reset(9, 100, 4, 9, "Alice", ALICE_BUNDLE).encode();
    byte[] sync = NodeMessage.sync(3, 7, 12, 3).encode();
    int name = 1 + 8 + 8 + 8 + 8; // offset of name_length in a RESET
    int cardLength = name + 1 + 5;
    int card = cardLength + 2;
    int bundle = card + ALICE.encoded().length;
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(sync, 0, 0x09)));
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, 17)), "no in_seq");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, 30)), "cut inside out_seq");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, 17, 0x80)), "in_seq of 2^63");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, 25, 0x80)), "out_seq of 2^63");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, name)), "no name_length");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, name, 0)), "name_length 0");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, name, 65)), "name_length 65, before the name");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, name + 2, 0xff)), "name not UTF-8");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, name + 3)), "cut inside the name");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, cardLength)), "no card_length");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, card)), "no card");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, bundle - 1)), "cut inside the card");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, bundle)), "no bundle");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, reset.length - 1)), "cut inside the bundle");
    assertEquals(ErrorCode.TRAILING_DATA, refused(Arrays.copyOf(reset, reset.length + 1)), "a bundle with more");
    assertEquals(ErrorCode.BAD_SIGNATURE, refused(withByte(reset, card + 100, reset[card + 100] ^ 1)), "the card");
    assertEquals(ErrorCode.BAD_SIGNATURE, refused(withByte(reset, reset.length - 1, reset[reset.length - 1] ^ 1)),
        "the bundle");
    assertEquals(ErrorCode.IDENTITY_MISMATCH, refused(NodeMessage.reset(9, 100, 4, 9, "Alice", BOB_BUNDLE).encode()));
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> NodeMessage.parse(reset, CardTest.EXPIRES, ALICE_ID)).code());
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(sync, 17)), "no in_seq");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(sync, 32)), "cut inside out_seq");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(sync, 17, 0x80)), "in_seq of 2^63");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(sync, 25, 0x80)), "out_seq of 2^63");
    assertEquals(ErrorCode.TRAILING_DATA, refused(Arrays.copyOf(sync, 34)));
  }

  @Test
  void theBundleMustBeOfTheCardBesideIt() {
    // Alice's card with a bundle of another card of Alice's (another invite tag): a bundle is
    // signed over its card's invite tag.
    Identity alice = CardTest.identity("alice");
    Card other = Card.builder(alice).validity(CardTest.CREATED, CardTest.EXPIRES)
        .issue(TestRandom.deterministic(new byte[] {'o'}));
    PrekeyBundle ofOther = responder(alice, other).bundles(other).get(0);
    byte[] mixed = Bytes.concat(Arrays.copyOf(NodeMessage.hello(0, 7, "Alice", ALICE_BUNDLE).encode(),
        1 + 8 + 8 + 1 + 5), cardAndBundle(ALICE, ofOther));
    assertEquals(ErrorCode.BAD_SIGNATURE, refused(mixed));
    byte[] bobsBundle = Bytes.concat(Arrays.copyOf(NodeMessage.hello(0, 7, "Alice", ALICE_BUNDLE).encode(),
        1 + 8 + 8 + 1 + 5), cardAndBundle(ALICE, BOB_BUNDLE));
    assertEquals(ErrorCode.BAD_SIGNATURE, refused(bobsBundle));
  }

  @Test
  void theBundlesTimeIsNotCheckedOnReading() throws SottoException {
    // It may expire while the message waits at a mailbox; its user checks it when it uses it.
    byte[] hello = NodeMessage.hello(0, 7, "Alice", ALICE_BUNDLE).encode();
    NodeMessage late = NodeMessage.parse(hello, ALICE_BUNDLE.expires(), ALICE_ID);
    assertEquals(ALICE_BUNDLE, late.bundle());
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> Session.initiate(CardTest.identity("bob"), Prekeys.of(late.bundle()), ALICE_BUNDLE.expires(),
            new byte[0], TestRandom.deterministic(new byte[] {1}))).code());
  }

  @Test
  void refusalsNameNoDecryptedValue() {
    byte[] reset = NodeMessage.reset(9, 100, 4, 9, "Alice", BOB_BUNDLE).encode();
    SottoException e = assertThrows(SottoException.class, () -> parse(reset));
    assertFalse(e.getMessage().contains(BOB.identity().fingerprint().text()), e.getMessage());
    byte[] tampered = NodeMessage.reset(9, 100, 4, 9, "Alice", ALICE_BUNDLE).encode();
    tampered[tampered.length - 1] ^= 1;
    SottoException b = assertThrows(SottoException.class, () -> parse(tampered));
    assertTrue(b.getMessage().contains("node_message: the bundle is refused"), b.getMessage());
  }

  @Test
  void writingChecksItsArguments() {
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.sync(0, 0, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.sync(0, 0, 0, -1));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.reset(0, 0, 0, 0, "", ALICE_BUNDLE));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.reset(0, 0, 0, 0, "x".repeat(65), ALICE_BUNDLE));
    assertThrows(NullPointerException.class, () -> NodeMessage.reset(0, 0, 0, 0, "Alice", null));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.hello(0, 0, "", ALICE_BUNDLE));
    assertThrows(NullPointerException.class, () -> NodeMessage.hello(0, 0, "Alice", null));
  }

  private static byte[] withByte(byte[] b, int index, int value) {
    byte[] copy = b.clone();
    copy[index] = (byte) value;
    return copy;
  }

  @Test
  void groupKindsCarryTheirBodyAsItIs() throws SottoException {
    byte[] key = new byte[NodeMessage.GROUP_KEY_LENGTH];
    key[0] = 1;
    NodeMessage read = parse(NodeMessage.groupKey(5, 1_800_000_000L, key).encode());
    assertEquals(NodeMessage.GROUP_KEY, read.kind());
    org.junit.jupiter.api.Assertions.assertArrayEquals(key, read.groupData());
    byte[] welcome = NodeMessage.groupWelcome(5, 1_800_000_000L, new byte[] {1, 2, 3}).encode();
    assertEquals(3, parse(welcome).groupData().length);
    assertEquals(ErrorCode.TRUNCATED, refused(java.util.Arrays.copyOf(welcome, 17)));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> NodeMessage.groupKey(1, 1, new byte[210]));
  }
}
