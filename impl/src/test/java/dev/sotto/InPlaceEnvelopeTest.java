package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Envelopes are sealed and opened in place (spec: envelope.adoc): the session never writes the
 * caller's input, and a refused envelope (a tampered body, tag or header; a swapped mailbox tag)
 * leaves the input and the session exactly as they were, so the genuine envelope still opens.
 * Payloads of 16 KiB (one envelope) and 1 MiB (17 chunks), through whichever AEAD backend the
 * runtime chooses. Costs under 1 s.
 */
class InPlaceEnvelopeTest {
  final SessionTest t = new SessionTest();

  @Test
  void aRefusedEnvelopeChangesNeitherItsInputNorTheSession() throws SottoException {
    SessionTest.Pair p = t.start("hi".getBytes());
    for (int size : new int[] {16_384, 1 << 20}) {
      byte[] payload = t.random.bytes(size);
      List<Envelope> envelopes = p.bob().seal(payload, t.random);
      Optional<byte[]> got = Optional.empty();
      for (Envelope e : envelopes) {
        byte[] genuine = e.encoded();
        int last = genuine.length - 1;
        // A bit flipped in the body's ciphertext, in its AEAD tag, in the encrypted header, and
        // in the mailbox tag.
        for (int at : new int[] {Envelope.HEADER_LENGTH + 100, last, Envelope.HEADER_LENGTH + 20, 3}) {
          byte[] tampered = genuine.clone();
          tampered[at] ^= 0x01;
          byte[] input = tampered.clone();
          byte[] aliceBefore = p.alice().ratchetState(InsecureSecretAccess.get());
          byte[] serializedBefore = p.alice().serialize();
          SottoException refused = assertThrows(SottoException.class, () -> p.alice().open(input, t.random));
          assertTrue(refused.code() == ErrorCode.AUTH_FAILED || refused.code() == ErrorCode.UNKNOWN_TAG,
              "offset " + at + ": " + refused.code());
          assertArrayEquals(tampered, input, "the refused input is untouched, offset " + at);
          assertArrayEquals(aliceBefore, p.alice().ratchetState(InsecureSecretAccess.get()), "ratchet state, offset " + at);
          assertArrayEquals(serializedBefore, p.alice().serialize(), "session state, offset " + at);
        }
        byte[] input = genuine.clone();
        got = p.alice().open(input, t.random);
        assertArrayEquals(genuine, input, "an opened input is untouched too");
      }
      assertArrayEquals(payload, got.orElseThrow(), size + " bytes");
    }
  }

  /**
   * The tag look-up hands the tag it computed to the decryption (DoubleRatchet.matchTag), which
   * uses it only for the message it was computed for: an envelope under another tag that the
   * receiver expects (of the same chain, of a skipped key, of the next chain) is refused, and
   * changes nothing.
   */
  @Test
  void anEnvelopeUnderAnotherExpectedTagIsRefused() throws SottoException {
    SessionTest.Pair p = t.start("hi".getBytes());
    byte[] b0 = only(p.bob().seal("b0".getBytes(), t.random));
    byte[] b1 = only(p.bob().seal("b1".getBytes(), t.random));
    byte[] b2 = only(p.bob().seal("b2".getBytes(), t.random));
    byte[] b3 = only(p.bob().seal("b3".getBytes(), t.random));
    refused(p.alice(), withTagOf(b0, b1)); // the current chain's next number, not the message's
    refused(p.alice(), withTagOf(b1, b0));
    assertArrayEquals("b1".getBytes(), p.alice().open(b1, t.random).orElseThrow()); // b0 is skipped
    refused(p.alice(), withTagOf(b0, b2)); // a skipped message under the current chain's tag
    refused(p.alice(), withTagOf(b2, b0)); // and the reverse: under a skipped key's tag
    assertArrayEquals("b0".getBytes(), p.alice().open(b0, t.random).orElseThrow());

    // A new chain of Bob's (a DH step for Alice) beside the rest of his old one.
    assertArrayEquals("b2".getBytes(), p.alice().open(b2, t.random).orElseThrow());
    byte[] a0 = only(p.alice().seal("a0".getBytes(), t.random));
    assertArrayEquals("a0".getBytes(), p.bob().open(a0, t.random).orElseThrow());
    byte[] c0 = only(p.bob().seal("c0".getBytes(), t.random));
    refused(p.alice(), withTagOf(c0, b3)); // the next chain's message under the current chain's tag
    refused(p.alice(), withTagOf(b3, c0)); // the current chain's under the next chain's
    assertArrayEquals("b3".getBytes(), p.alice().open(b3, t.random).orElseThrow());
    assertArrayEquals("c0".getBytes(), p.alice().open(c0, t.random).orElseThrow());
  }

  private static byte[] only(List<Envelope> envelopes) {
    assertEquals(1, envelopes.size());
    return envelopes.get(0).encoded();
  }

  /** {@code envelope} under the mailbox tag of {@code other}. */
  private static byte[] withTagOf(byte[] envelope, byte[] other) {
    byte[] out = envelope.clone();
    System.arraycopy(other, 1, out, 1, Envelope.TAG_LENGTH);
    return out;
  }

  private void refused(Session receiver, byte[] envelope) {
    byte[] before = receiver.serialize();
    SottoException refused = assertThrows(SottoException.class, () -> receiver.open(envelope, t.random));
    assertEquals(ErrorCode.AUTH_FAILED, refused.code());
    assertArrayEquals(before, receiver.serialize(), "a refused envelope changes nothing");
  }

  @Test
  void sealedEnvelopesAreTheirOwnBytes() throws SottoException {
    SessionTest.Pair p = t.start("hi".getBytes());
    byte[] payload = t.random.bytes(16_384);
    byte[] copy = payload.clone();
    List<Envelope> envelopes = p.bob().seal(payload, t.random);
    assertArrayEquals(copy, payload, "the payload is not written");
    assertEquals(1, envelopes.size());
    byte[] encoded = envelopes.get(0).encoded();
    encoded[40] ^= 1; // a copy: the envelope itself is unchanged
    assertArrayEquals(payload, p.alice().open(envelopes.get(0).encoded(), t.random).orElseThrow());
  }

  /** spec: envelope.adoc#bucket-overhead: 109 bytes of overhead, so 16,275 bytes fit 16 KiB and 16,384 do not. */
  @Test
  void aPayloadOfExactly16KiBTakesA64KiBEnvelope() throws SottoException {
    SessionTest.Pair p = t.start("hi".getBytes());
    assertEquals(16_384, p.bob().seal(new byte[16_384 - 109], t.random).get(0).length());
    assertEquals(65_536, p.bob().seal(new byte[16_384 - 108], t.random).get(0).length());
    assertEquals(65_536, p.bob().seal(new byte[16_384], t.random).get(0).length());
  }
}
