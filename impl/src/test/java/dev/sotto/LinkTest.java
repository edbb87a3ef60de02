package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkTest {
  private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);
  private final RandomSource random = TestRandom.deterministic(new byte[32]);

  private static LinkResponder responder(LinkKey key) {
    return new LinkResponder(key, new LinkReplayFilter(16));
  }

  private Link[] pair() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkInitiator initiator = LinkInitiator.start(key.publicKey(), NOW, random);
    LinkResponder.Accepted accepted = responder(key).accept(initiator.hello(), NOW, random);
    return new Link[] {initiator.finish(accepted.accept()), accepted.link()};
  }

  @Test
  void handshakeLengthsAndFrames() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkInitiator initiator = LinkInitiator.start(key.publicKey(), NOW, random);
    assertEquals(1243, initiator.hello().length);
    LinkResponder.Accepted accepted = responder(key).accept(initiator.hello(), NOW, random);
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
    LinkInitiator initiator = LinkInitiator.start(key.publicKey(), NOW, random);
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
        () -> responder(other).accept(initiator.hello(), NOW, random)).code());
    byte[] hello = initiator.hello();
    hello[0] = 1;
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, assertThrows(SottoException.class,
        () -> responder(key).accept(hello, NOW, random)).code());
    LinkResponder.Accepted accepted = responder(key).accept(initiator.hello(), NOW, random);
    byte[] accept = accepted.accept();
    accept[accept.length - 1] ^= 1;
    assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class, () -> initiator.finish(accept)).code());
  }

  @Test
  void theClockWindowIs120SecondsEitherWay() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    for (long skew : new long[] {-120, 0, 120}) {
      byte[] hello = LinkInitiator.start(key.publicKey(), NOW.plusSeconds(skew), random).hello();
      responder(key).accept(hello, NOW, random);
    }
    for (long skew : new long[] {-121, 121, -86_400}) {
      byte[] hello = LinkInitiator.start(key.publicKey(), NOW.plusSeconds(skew), random).hello();
      assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
          () -> responder(key).read(hello, NOW)).code(), "skew " + skew);
    }
  }

  /** spec: transport.adoc#link-replay: a replay is refused before any public-key operation, and draws nothing. */
  @Test
  void aReplayedHelloIsRefusedBeforeTheKeyExchange() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkResponder responder = responder(key);
    // A hello from a clock 120 s ahead: accepted now, it passes the clock check for 240 s more.
    byte[] hello = LinkInitiator.start(key.publicKey(), NOW.plusSeconds(120), random).hello();
    responder.accept(hello, NOW, random);
    for (long later = 0; later <= 240; later += 40) {
      Instant at = NOW.plusSeconds(later);
      assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class,
          () -> responder.accept(hello, at, TestRandom.replay(new byte[0]))).code(), "at +" + later);
    }
    assertEquals(ErrorCode.EXPIRED, assertThrows(SottoException.class,
        () -> responder.read(hello, NOW.plusSeconds(241))).code());
    // Another responder (another node, or this one after a restart) has its own filter.
    responder(key).accept(hello, NOW, random);
  }

  @Test
  void onlyAVerifiedHelloEntersTheFilter() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkReplayFilter filter = new LinkReplayFilter(16);
    LinkResponder responder = new LinkResponder(key, filter);
    byte[] hello = LinkInitiator.start(key.publicKey(), NOW, random).hello();
    byte[] forged = hello.clone();
    forged[forged.length - 1] ^= 1;
    for (int i = 0; i < 3; i++) {
      assertEquals(ErrorCode.AUTH_FAILED, assertThrows(SottoException.class,
          () -> responder.accept(forged, NOW, TestRandom.replay(new byte[0]))).code());
    }
    assertEquals(0, filter.size());
    responder.accept(hello, NOW, random);
    assertEquals(1, filter.size());
  }

  /** Two copies read before either is accepted (two threads): the second is REPLAY after its proof, before its KEM. */
  @Test
  void twoCopiesReadAtOnceAreAcceptedOnce() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkResponder responder = responder(key);
    byte[] hello = LinkInitiator.start(key.publicKey(), NOW, random).hello();
    LinkResponder.Hello first = responder.read(hello, NOW);
    LinkResponder.Hello second = responder.read(hello, NOW);
    responder.accept(first, random);
    assertEquals(ErrorCode.REPLAY, assertThrows(SottoException.class,
        () -> responder.accept(second, TestRandom.replay(new byte[0]))).code());
    assertThrows(IllegalArgumentException.class, () -> responder(key).accept(responder.read(
        LinkInitiator.start(key.publicKey(), NOW, random).hello(), NOW), random));
  }

  @Test
  void theFilterForgetsAfter240SecondsAndRefusesWhenFull() throws SottoException {
    LinkKey key = LinkKey.generate(random);
    LinkReplayFilter filter = new LinkReplayFilter(2);
    LinkResponder responder = new LinkResponder(key, filter);
    responder.accept(LinkInitiator.start(key.publicKey(), NOW, random).hello(), NOW, random);
    responder.accept(LinkInitiator.start(key.publicKey(), NOW, random).hello(), NOW.plusSeconds(1), random);
    byte[] third = LinkInitiator.start(key.publicKey(), NOW.plusSeconds(200), random).hello();
    assertEquals(ErrorCode.LIMIT_EXCEEDED, assertThrows(SottoException.class,
        () -> responder.accept(third, NOW.plusSeconds(240), random)).code());
    assertEquals(2, filter.size());
    responder.accept(third, NOW.plusSeconds(241), random);
    assertEquals(2, filter.size(), "the first was forgotten 241 s after it was accepted");
    assertEquals(48_600, LinkReplayFilter.capacityFor(200, 400));
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
