package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The group item requests (spec: transport.adoc#mailbox, DEPOSIT_GROUP and TAKE), written and read. */
class GroupFrameTest {
  private static Envelope envelope(int size, int fill) {
    byte[] b = new byte[size];
    java.util.Arrays.fill(b, (byte) fill);
    b[0] = Envelope.VERSION;
    try {
      return Envelope.parse(b);
    } catch (SottoException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] leaf(int i) {
    return new byte[] {0, 0, 0, 0, 0, 0, (byte) (i >> 8), (byte) i};
  }

  @Test
  void depositGroupRoundTrip() throws SottoException {
    Envelope e = envelope(1024, 7);
    List<byte[]> leaves = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_LEAVES; i++) {
      leaves.add(leaf(i));
    }
    Frame f = Frame.depositGroup(9, leaves, e);
    assertEquals(Frame.DEPOSIT_GROUP, f.type());
    Frame.GroupDeposit read = f.groupDepositBody();
    assertEquals(e, read.envelope());
    assertEquals(Frame.MAX_LEAVES, read.leaves().size());
    assertArrayEquals(leaf(998), read.leaves().get(998));
    assertEquals(0, Frame.depositGroup(1, List.of(), e).groupDepositBody().leaves().size());
    // A 64 KiB envelope leaves room for 4 leaves in the largest frame, not 5.
    Envelope large = envelope(65536, 1);
    assertEquals(4, Frame.depositGroup(1, leaves.subList(0, 4), large).groupDepositBody().leaves().size());
    assertThrows(IllegalArgumentException.class, () -> Frame.depositGroup(1, leaves.subList(0, 5), large));
    List<byte[]> tooMany = new ArrayList<>(leaves);
    tooMany.add(leaf(999));
    assertThrows(IllegalArgumentException.class, () -> Frame.depositGroup(1, tooMany, e));
    assertThrows(IllegalArgumentException.class, () -> Frame.depositGroup(1, List.of(new byte[7]), e));
  }

  @Test
  void takeRoundTrip() throws SottoException {
    List<Frame.Take> takes = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      byte[] token = new byte[Frame.TOKEN_LENGTH];
      token[0] = (byte) i;
      takes.add(new Frame.Take(i + 1, token));
    }
    Frame f = Frame.take(3, takes);
    assertEquals(takes, f.takes());
    assertThrows(IllegalArgumentException.class, () -> Frame.take(1, List.of()));
    List<Frame.Take> tooMany = new ArrayList<>(takes);
    tooMany.add(takes.get(0));
    assertThrows(IllegalArgumentException.class, () -> Frame.take(1, tooMany));
    assertThrows(IllegalArgumentException.class, () -> new Frame.Take(-1, new byte[16]));
    assertThrows(IllegalArgumentException.class, () -> new Frame.Take(1, new byte[15]));
    // The token is copied in and out, and kept out of toString.
    byte[] token = new byte[16];
    Frame.Take t = new Frame.Take(5, token);
    token[0] = 1;
    assertEquals(0, t.token()[0]);
    assertEquals("Take[item 5]", t.toString());
  }

  @Test
  void badBodiesAreTypedErrors() {
    assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class,
        () -> Frame.of(Frame.DEPOSIT_GROUP, 1, new byte[] {0x03, (byte) 0xe8}).groupDepositBody()).code());
    assertEquals(ErrorCode.TRUNCATED, assertThrows(SottoException.class,
        () -> Frame.of(Frame.DEPOSIT_GROUP, 1, new byte[] {0, 1, 1, 2, 3}).groupDepositBody()).code());
    assertEquals(ErrorCode.TRUNCATED, assertThrows(SottoException.class,
        () -> Frame.of(Frame.DEPOSIT_GROUP, 1, new byte[] {0, 0}).groupDepositBody()).code());
    assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class,
        () -> Frame.of(Frame.TAKE, 1, new byte[] {0, 0}).takes()).code());
    assertEquals(ErrorCode.TRAILING_DATA, assertThrows(SottoException.class,
        () -> Frame.of(Frame.TAKE, 1, java.util.Arrays.copyOf(Frame.take(1, List.of(new Frame.Take(1, new byte[16])))
            .body(), 27)).takes()).code());
    assertThrows(IllegalStateException.class, () -> Frame.ok(1).takes());
  }

  /** The frame a body of {@code length} bytes is sent in: the smallest class that holds it (spec: transport.adoc#frames). */
  static int wireBytes(int length) {
    for (int c = 0; c < Link.FRAME_SIZES.size(); c++) {
      if (Link.capacity(c) >= length) {
        return Link.FRAME_SIZES.get(c);
      }
    }
    throw new AssertionError("no frame holds " + length + " bytes");
  }

  /**
   * What a group message of a 1 KiB envelope costs its sender on the link, against N - 1 pairwise
   * envelopes of 1 KiB (README, Performance, Groups): one DEPOSIT_GROUP with N - 1 leaves, against
   * N - 1 DEPOSITs.
   */
  @Test
  void oneGroupDepositAgainstNMinusOnePairwiseDeposits() {
    Envelope e = envelope(1024, 3);
    int[][] expected = {{10, 4160, 9 * 1088}, {100, 4160, 99 * 1088}, {1000, 16448, 999 * 1088}};
    for (int[] row : expected) {
      List<byte[]> leaves = new ArrayList<>();
      for (int i = 0; i < row[0] - 1; i++) {
        leaves.add(leaf(i));
      }
      assertEquals(row[1], wireBytes(Frame.depositGroup(1, leaves, e).body().length), row[0] + " members");
      assertEquals(row[2], (row[0] - 1) * wireBytes(Frame.deposit(1, e).body().length), row[0] + " members, pairwise");
    }
  }
}
