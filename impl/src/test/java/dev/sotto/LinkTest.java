package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.testing.TestRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkTest {
  private final RandomSource random = TestRandom.deterministic(new byte[32]);

  private Link[] pair() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkInitiator initiator = LinkInitiator.start(key.publicKey(), random);
    LinkResponder.Accepted accepted = LinkResponder.accept(key, initiator.hello(), random);
    return new Link[] {initiator.finish(accepted.accept()), accepted.link()};
  }

  @Test
  void handshakeLengthsAndFrames() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkInitiator initiator = LinkInitiator.start(key.publicKey(), random);
    assertEquals(1235, initiator.hello().length);
    LinkResponder.Accepted accepted = LinkResponder.accept(key, initiator.hello(), random);
    assertEquals(1137, accepted.accept().length);
    Link a = initiator.finish(accepted.accept());
    Link b = accepted.link();
    assertArrayEquals(a.transcript(), b.transcript());
    for (int size : new int[] {0, 1062, 1063, 4134, 4135, 16422, 16423, 65574}) {
      Frame frame = Frame.of(Frame.DELIVER, 7, new byte[size]);
      byte[] wire = a.seal(frame);
      assertTrue(Link.FRAME_SIZES.contains(wire.length));
      assertEquals(Link.frameLength(wire[0]), wire.length);
      assertEquals(frame, b.open(wire));
    }
    assertEquals(Frame.ok(3), a.open(b.seal(Frame.ok(3))));
  }

  @Test
  void wrongKeyOrTamperedHelloIsRefused() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkKey other = LinkKey.generate(random);
    LinkInitiator initiator = LinkInitiator.start(key.publicKey(), random);
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
        () -> LinkResponder.accept(other, initiator.hello(), random)).code());
    byte[] hello = initiator.hello();
    hello[0] = 2;
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, assertThrows(SottoException.class,
        () -> LinkResponder.accept(key, hello, random)).code());
    LinkResponder.Accepted accepted = LinkResponder.accept(key, initiator.hello(), random);
    byte[] accept = accepted.accept();
    accept[accept.length - 1] ^= 1;
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> initiator.finish(accept)).code());
  }

  @Test
  void replayedOrReorderedFrameIsALinkErrorAndChangesNothing() throws SottoException {
    Link[] links = pair();
    byte[] first = links[0].seal(Frame.ok(1));
    byte[] second = links[0].seal(Frame.ok(2));
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> links[1].open(second)).code());
    assertEquals(0, links[1].received());
    links[1].open(first);
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> links[1].open(first)).code());
    assertEquals(Frame.ok(2), links[1].open(second));
    byte[] bad = links[0].seal(Frame.ok(3));
    bad[0] = 4;
    assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class, () -> links[1].open(bad)).code());
  }

  @Test
  void requestBodiesAreChecked() throws SottoException {
    byte[] tag = new byte[16];
    assertEquals(1, Frame.fetch(1, List.of(tag, tag.clone())).tags().size());
    assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class,
        () -> Frame.of(Frame.FETCH, 1, new byte[] {0, 0}).tags()).code());
    assertEquals(ErrorCode.TRUNCATED, assertThrows(SottoException.class,
        () -> Frame.of(Frame.FETCH, 1, new byte[] {0, 1, 5}).tags()).code());
    assertEquals(List.of(5L, 9L), Frame.ack(1, List.of(5L, 9L)).itemIds());
    byte[] notABucket = new byte[1000];
    notABucket[0] = Envelope.VERSION;
    assertEquals(ErrorCode.INVALID_ENCODING, assertThrows(SottoException.class,
        () -> Frame.of(Frame.DELIVER, 1, notABucket).envelope()).code());
  }
}
