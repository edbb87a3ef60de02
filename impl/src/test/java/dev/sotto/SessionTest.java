package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.testing.TestRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionTest {
  final HandshakeTest h = new HandshakeTest();
  final RandomSource random = TestRandom.deterministic(new byte[] {'s'});

  record Pair(Session alice, Session bob) {}

  Pair start(byte[] first) throws SottoException {
    Responder responder = h.responder();
    Session.Started started = Session.initiate(h.alice, h.bobsCard.card(), HandshakeTest.NOW, first, random);
    Session bob = null;
    Optional<byte[]> got = Optional.empty();
    for (Envelope e : started.envelopes()) {
      if (bob == null) {
        Session.Accepted accepted = Session.accept(responder, e.encoded(), HandshakeTest.NOW, random);
        bob = accepted.session();
        got = accepted.payload();
      } else {
        got = bob.open(e.encoded(), random);
      }
    }
    assertArrayEquals(first, got.orElseThrow());
    return new Pair(started.session(), bob);
  }

  @Test
  void wholeStackRoundTripsEverySizeAndEnvelopesComeInBuckets() throws SottoException {
    Pair p = start("hi Bob".getBytes());
    for (int size : new int[] {0, 1, 100, 915, 916, 3987, 3988, 16275, 16276, 65427, 65428, 200_000}) {
      byte[] payload = random.bytes(size);
      List<Envelope> envelopes = p.bob().seal(payload, random);
      Optional<byte[]> got = Optional.empty();
      for (Envelope e : envelopes) {
        assertTrue(Envelope.BUCKETS.contains(e.length()), "size " + e.length());
        got = p.alice().open(e.encoded(), random);
      }
      assertArrayEquals(payload, got.orElseThrow(), "payload of " + size + " bytes");
    }
    assertEquals(1024, p.alice().seal(new byte[915], random).get(0).length());
    assertEquals(4096, p.alice().seal(new byte[916], random).get(0).length());
  }

  @Test
  void aLargeFirstPayloadIsChunkedBehindTheFirstContact() throws SottoException {
    byte[] big = random.bytes(300_000);
    Pair p = start(big);
    assertArrayEquals("ok".getBytes(), p.alice().open(p.bob().seal("ok".getBytes(), random).get(0).encoded(), random)
        .orElseThrow());
  }

  @Test
  void rejectedEnvelopesLeaveTheSessionUnchanged() throws SottoException {
    Pair p = start(new byte[0]);
    byte[] good = p.bob().seal("secret".getBytes(), random).get(0).encoded();
    byte[] before = p.alice().serialize();
    for (int i = 0; i < good.length; i += 13) {
      byte[] bad = good.clone();
      bad[i] ^= 0x20;
      SottoException e = assertThrows(SottoException.class, () -> p.alice().open(bad, random));
      assertTrue(i == 0 ? e.code() == ErrorCode.UNSUPPORTED_VERSION
          : i < Envelope.HEADER_LENGTH ? e.code() == ErrorCode.UNKNOWN_TAG : true, i + ": " + e.code());
      assertArrayEquals(before, p.alice().serialize());
    }
    assertArrayEquals("secret".getBytes(), p.alice().open(good, random).orElseThrow());
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class, () -> p.alice().open(good, random)).code());
  }

  @Test
  void restoredSessionsContinue() throws SottoException {
    Pair p = start("x".getBytes());
    List<Envelope> chunks = p.bob().seal(random.bytes(150_000), random);
    p.alice().open(chunks.get(0).encoded(), random);
    Session restored = Session.restore(p.alice().serialize());
    assertArrayEquals(p.alice().serialize(), restored.serialize());
    restored.open(chunks.get(2).encoded(), random);
    assertTrue(restored.open(chunks.get(1).encoded(), random).isPresent());
  }
}
