package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.internal.encoding.Bytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Node messages (spec: transport.adoc#node-messages): RESET and SYNC written and read, and refused. */
class NodeMessageTest {
  private static final IssuedCard ALICE = CardTest.issue("alice", 0, 0);
  private static final IssuedCard BOB = CardTest.issue("bob", 0, 0);
  private static final PublicIdentity ALICE_ID = ALICE.card().identity();

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

  @Test
  void resetIsKindSeqSentAtInSeqOutSeqNameCard() throws SottoException {
    byte[] encoded = NodeMessage.reset(9, 1_800_000_100L, 4, 9, "Alice", ALICE.card()).encode();
    assertArrayEquals(Bytes.concat(new byte[] {0x03}, u64(9), u64(1_800_000_100L), u64(4), u64(9),
        new byte[] {5}, "Alice".getBytes(StandardCharsets.US_ASCII), ALICE.card().encoded()), encoded);
    NodeMessage read = parse(encoded);
    assertEquals(NodeMessage.RESET, read.kind());
    assertEquals(9, read.seq());
    assertEquals(1_800_000_100L, read.sentAt());
    assertEquals(4, read.inSeq());
    assertEquals(9, read.outSeq());
    assertEquals("Alice", read.name());
    assertEquals(ALICE.card(), read.card());
    assertNull(read.text());
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
    NodeMessage max = parse(NodeMessage.sync(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).encode());
    assertEquals(Long.MAX_VALUE, max.inSeq());
    assertEquals(Long.MAX_VALUE, max.outSeq());
  }

  @Test
  void helloAndTextHaveNoMarks() throws SottoException {
    assertEquals(-1, parse(NodeMessage.text(1, 2, "hi").encode()).inSeq());
    assertEquals(-1, parse(NodeMessage.hello(0, 2, "Alice", ALICE.card()).encode()).outSeq());
  }

  @Test
  void badResetsAndSyncsAreRefusedWithTheirCodes() {
    byte[] reset = NodeMessage.reset(9, 100, 4, 9, "Alice", ALICE.card()).encode();
    byte[] sync = NodeMessage.sync(3, 7, 12, 3).encode();
    int name = 1 + 8 + 8 + 8 + 8; // offset of name_length in a RESET
    int card = name + 1 + 5;
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(sync, 0, 0x05)));
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, 17)), "no in_seq");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, 30)), "cut inside out_seq");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, 17, 0x80)), "in_seq of 2^63");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, 25, 0x80)), "out_seq of 2^63");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, name)), "no name_length");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, name, 0)), "name_length 0");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, name, 65)), "name_length 65, before the name");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(reset, name + 2, 0xff)), "name not UTF-8");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, name + 3)), "cut inside the name");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(reset, card)), "no card");
    assertEquals(ErrorCode.IDENTITY_MISMATCH, refused(NodeMessage.reset(9, 100, 4, 9, "Alice", BOB.card()).encode()));
    assertEquals(ErrorCode.TRAILING_DATA, refused(Arrays.copyOf(reset, reset.length + 1)));
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> NodeMessage.parse(reset, CardTest.EXPIRES, ALICE_ID)).code());
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(sync, 17)), "no in_seq");
    assertEquals(ErrorCode.TRUNCATED, refused(Arrays.copyOf(sync, 32)), "cut inside out_seq");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(sync, 17, 0x80)), "in_seq of 2^63");
    assertEquals(ErrorCode.INVALID_ENCODING, refused(withByte(sync, 25, 0x80)), "out_seq of 2^63");
    assertEquals(ErrorCode.TRAILING_DATA, refused(Arrays.copyOf(sync, 34)));
  }

  @Test
  void writingChecksItsArguments() {
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.sync(0, 0, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.sync(0, 0, 0, -1));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.reset(0, 0, 0, 0, "", ALICE.card()));
    assertThrows(IllegalArgumentException.class, () -> NodeMessage.reset(0, 0, 0, 0, "x".repeat(65), ALICE.card()));
    assertThrows(NullPointerException.class, () -> NodeMessage.reset(0, 0, 0, 0, "Alice", null));
  }

  private static byte[] withByte(byte[] b, int index, int value) {
    byte[] copy = b.clone();
    copy[index] = (byte) value;
    return copy;
  }
}
