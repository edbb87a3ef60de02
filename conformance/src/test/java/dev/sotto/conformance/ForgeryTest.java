package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.InsecureSecretAccess;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.conformance.harness.Forgery;
import dev.sotto.conformance.harness.Forgery.Bad;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link Forgery} against the Java receiver: every forgery is refused with its {@link Bad}'s code
 * (or, outside the conditions a {@link Bad} names, with the code the spec gives there), the
 * receiver and the sender are left as they were, and the sender's genuine next message opens.
 */
class ForgeryTest {
  private static final Instant T = Instant.ofEpochSecond(1_800_000_000L);

  /** A conversation made with the public API: A initiates, B accepts. */
  private static final class Pair {
    final RandomSource random;
    final Session a;
    final Session b;

    Pair(String seed) throws SottoException {
      random = TestRandom.deterministic(seed.getBytes(StandardCharsets.UTF_8));
      Identity alice = Identity.fromSeed(IdentitySeed.generate(random));
      Identity bob = Identity.fromSeed(IdentitySeed.generate(random));
      Card card = Card.builder(bob).validity(T, T.plusSeconds(365 * 86400)).issue(random);
      Responder responder = new Responder(bob);
      responder.addCard(card);
      PrekeyBundle bundle = responder.issueBundle(card, T, T.plusSeconds(3 * 86400), random);
      Session.Started started = Session.initiate(alice, Prekeys.of(bundle), T, text("hi"), random);
      a = started.session();
      b = Session.accept(responder, started.envelopes().get(0).encoded(), T, random).session();
    }

    Session side(boolean a) {
      return a ? this.a : this.b;
    }

    /** Seals on one side; the envelopes are returned, not delivered. */
    List<Envelope> seal(boolean fromA, String payload) throws SottoException {
      return side(fromA).seal(text(payload), random);
    }

    /** Delivers envelopes to one side, which must open them into {@code payload}. */
    void deliver(boolean toA, List<Envelope> envelopes, String payload) throws SottoException {
      Optional<byte[]> got = Optional.empty();
      for (Envelope e : envelopes) {
        got = side(toA).open(e.encoded(), random);
      }
      assertArrayEquals(text(payload), got.orElseThrow());
    }

    void send(boolean fromA, String payload) throws SottoException {
      deliver(!fromA, seal(fromA, payload), payload);
    }
  }

  /**
   * What the Java receiver names in its refusal of each forgery: the check the forgery is for, and
   * not another one with the same code.
   */
  private static final Map<Bad, String> FIELD = Map.ofEntries(
      Map.entry(Bad.BAD_PADDING, "content: field 'padding'"),
      Map.entry(Bad.UNKNOWN_KIND, "content: field 'kind'"),
      Map.entry(Bad.TRUNCATED_CONTENT, "content truncated: field 'data'"),
      Map.entry(Bad.CHUNK_OUT_OF_RANGE, "content: field 'index'"),
      Map.entry(Bad.CHUNK_COUNT_ONE, "content: field 'count'"),
      Map.entry(Bad.CHUNK_COUNT_TOO_LARGE, "content: field 'count'"),
      Map.entry(Bad.RESERVED_FLAGS, "ratchet header: field 'flags'"),
      Map.entry(Bad.SMALL_ORDER_KEY_CURRENT_CHAIN, "'ratchet key': X25519 public key of small order"),
      Map.entry(Bad.SMALL_ORDER_KEY_NEW_CHAIN, "'ratchet key': X25519 public key of small order"),
      Map.entry(Bad.N_BEYOND_BOUND, "ratchet header: field 'n'"),
      Map.entry(Bad.PN_BEYOND_BOUND, "ratchet header: field 'pn'"),
      Map.entry(Bad.OTHER_RATCHET_KEY, "names another ratchet key"));

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The codes of the Bad values, with the given exceptions. */
  private static Map<Bad, ErrorCode> expected(Map<Bad, ErrorCode> exceptions) {
    Map<Bad, ErrorCode> out = new EnumMap<>(Bad.class);
    for (Bad bad : Bad.values()) {
      out.put(bad, bad.error());
    }
    out.putAll(exceptions);
    return out;
  }

  /**
   * Forges {@code bad} from the sender's state and checks the receiver's refusal, that neither side
   * changed, and that the sender's genuine next message still opens (on restored copies, so that the
   * next forgery starts from the same point).
   */
  private static void refused(Pair p, boolean fromA, Bad bad, ErrorCode code) throws SottoException {
    Session sender = p.side(fromA);
    Session receiver = p.side(!fromA);
    byte[] senderState = sender.serialize();
    byte[] senderCopy = senderState.clone();
    byte[] receiverState = receiver.serialize();
    byte[] forged = Forgery.envelope(senderState, bad, p.random);
    assertTrue(Envelope.BUCKETS.contains(forged.length));
    SottoException e = assertThrows(SottoException.class, () -> receiver.open(forged, p.random),
        bad + ": the receiver accepted the forgery");
    assertEquals(code, e.code(), bad + ": " + e.getMessage());
    if (code == bad.error()) {
      assertTrue(e.getMessage().contains(FIELD.get(bad)), bad + ": refused for another reason: " + e.getMessage());
    }
    assertArrayEquals(receiverState, receiver.serialize(), bad + ": the refusal changed the receiver");
    assertArrayEquals(senderCopy, senderState, bad + ": the forgery changed the sender's state bytes");
    assertArrayEquals(senderState, sender.serialize(), bad + ": the forgery changed the sender");
    genuineOpens(p, senderState, receiverState);
  }

  private static void genuineOpens(Pair p, byte[] senderState, byte[] receiverState) throws SottoException {
    Session sender = Session.restore(senderState);
    Session receiver = Session.restore(receiverState);
    Optional<byte[]> got = Optional.empty();
    for (Envelope e : sender.seal(text("genuine"), p.random)) {
      got = receiver.open(e.encoded(), p.random);
    }
    assertArrayEquals(text("genuine"), got.orElseThrow());
  }

  private static void allRefused(Pair p, boolean fromA, Map<Bad, ErrorCode> codes) throws SottoException {
    for (Map.Entry<Bad, ErrorCode> c : codes.entrySet()) {
      if (c.getValue() != null) {
        refused(p, fromA, c.getKey(), c.getValue());
      }
    }
  }

  /**
   * A up to the middle of a chain that B has started to receive, with B's reply in flight: B has a
   * ratchet key, so it tries its next header key, and every forgery is reachable.
   */
  private static Pair midChain(String seed) throws SottoException {
    Pair p = new Pair(seed);
    p.send(false, "r0");
    p.send(true, "a1");
    List<Envelope> b1 = p.seal(false, "b1"); // in flight
    p.send(true, "a2");
    p.send(true, "a3");
    p.deliver(true, b1, "b1"); // A now has a pending DH step; its next message starts a chain
    p.send(true, "a4");
    p.seal(false, "b2"); // in flight: B has sent since it received A's current chain
    p.send(true, "a5");
    return p;
  }

  @Test
  void midChainSenderEveryForgeryRefused() throws SottoException {
    Pair p = midChain("mid-chain");
    assertFalse(Forgery.next(p.a.serialize()).startsChain());
    assertEquals(2, Forgery.next(p.a.serialize()).n());
    allRefused(p, true, expected(Map.of()));
  }

  @Test
  void senderAboutToStepEveryForgeryRefused() throws SottoException {
    Pair p = new Pair("about to step");
    p.send(true, "a1");
    p.send(false, "b1");
    p.send(true, "a2");
    p.send(false, "b2"); // A has received: its next message makes the sending half of the DH step
    Forgery.Next next = Forgery.next(p.a.serialize());
    assertTrue(next.startsChain());
    assertEquals(0, next.n());
    Map<Bad, ErrorCode> codes = expected(Map.of());
    codes.remove(Bad.OTHER_RATCHET_KEY);
    allRefused(p, true, codes);
    byte[] state = p.a.serialize();
    assertThrows(IllegalStateException.class, () -> Forgery.envelope(state, Bad.OTHER_RATCHET_KEY, p.random));
    assertThrows(IllegalStateException.class,
        () -> Forgery.nextChainHeader(state, 0, null, 0, 0, Forgery.valid(1024), p.random));
  }

  @Test
  void responderAsSenderBothWays() throws SottoException {
    // B in the middle of a chain that A has received, A's reply in flight.
    Pair p = new Pair("responder");
    p.send(true, "a1");
    p.send(false, "b1");
    p.send(false, "b2");
    p.seal(true, "a2"); // in flight
    p.send(false, "b3");
    assertFalse(Forgery.next(p.b.serialize()).startsChain());
    allRefused(p, false, expected(Map.of()));
    // B about to step.
    p.send(true, "a3");
    assertTrue(Forgery.next(p.b.serialize()).startsChain());
    Map<Bad, ErrorCode> codes = expected(Map.of());
    codes.remove(Bad.OTHER_RATCHET_KEY);
    allRefused(p, false, codes);
  }

  /**
   * Outside the conditions of SMALL_ORDER_KEY_NEW_CHAIN: the receiver has received A's chain and
   * not sent since (here, the unanswered initiator's first chain), so it tries no next header key.
   */
  @Test
  void receiverWithoutRatchetKeyTriesNoNextHeaderKey() throws SottoException {
    Pair p = new Pair("unanswered");
    p.send(true, "a1");
    allRefused(p, true, expected(Map.of(Bad.SMALL_ORDER_KEY_NEW_CHAIN, ErrorCode.AUTH_FAILED)));
  }

  /**
   * Outside the conditions of OTHER_RATCHET_KEY and SMALL_ORDER_KEY_NEW_CHAIN: the receiver has not
   * received any message of A's current chain, which is a new chain for it.
   */
  @Test
  void currentChainNotYetReceived() throws SottoException {
    Pair p = new Pair("in flight");
    p.send(false, "b1");
    p.seal(true, "a1"); // A's new chain, in flight
    assertFalse(Forgery.next(p.a.serialize()).startsChain());
    allRefused(p, true, expected(Map.of(Bad.OTHER_RATCHET_KEY, ErrorCode.AUTH_FAILED,
        Bad.SMALL_ORDER_KEY_NEW_CHAIN, ErrorCode.UNKNOWN_TAG)));
  }

  /**
   * SMALL_ORDER_KEY_NEW_CHAIN is a new chain for the receiver: its header opens under the
   * receiver's next header key NHKr, its tag is watched, and its pn is the one the sender's next
   * chain would carry, so that a receiver that checks the key only at the DH step gets there.
   */
  @Test
  void newChainForgeryIsUnderTheReceiversNextHeaderKey() throws SottoException {
    for (boolean stepping : new boolean[] {false, true}) {
      Pair p = midChain(stepping ? "next key, stepping" : "next key");
      if (stepping) {
        p.send(false, "b3"); // A receives: about to step
      }
      byte[] a = p.a.serialize();
      Forgery.Next next = Forgery.next(a);
      assertEquals(stepping, next.startsChain());
      byte[] forged = Forgery.envelope(a, Bad.SMALL_ORDER_KEY_NEW_CHAIN, p.random);
      byte[] tag = Arrays.copyOfRange(forged, 1, Envelope.HEADER_LENGTH);
      assertTrue(p.b.tags().stream().anyMatch(t -> Arrays.equals(t, tag)), "the tag is not watched");
      Reader in = new Reader(p.b.ratchetState(InsecureSecretAccess.get()), "ratchet state");
      in.bytes(1 + 2 + 1, "version, suite, role");
      byte[] ad = in.bytes(32, "ad");
      in.bytes(32, "root_key");
      assertEquals(1, in.u8("dhs_private.present"), "the receiver has no ratchet key: it tries no NHKr");
      in.bytes(32, "dhs_private");
      skipOptional(in, 33); // dhr
      skipOptional(in, 32); // cks
      in.u32("ns");
      skipOptional(in, 32); // ckr
      in.bytes(8, "nr, pn");
      skipOptional(in, 32); // hks
      skipOptional(in, 32); // hkr
      in.bytes(32, "nhks");
      byte[] nhkr = in.bytes(32, "nhkr");
      RatchetMessage m = RatchetMessage.parse(Arrays.copyOfRange(forged, Envelope.HEADER_LENGTH, forged.length));
      Reader header = new Reader(Aead.open(nhkr, m.siv(), ad, m.encryptedHeader()), "header");
      assertEquals(0, header.u8("flags"));
      assertEquals(KeyCodec.TYPE_X25519, header.u8("type"));
      byte[] key = header.bytes(32, "ratchet key");
      assertEquals(ErrorCode.INVALID_KEY, assertThrows(SottoException.class,
          () -> X25519.agree(new byte[32], key)).code(), "the DH with the forged key is not all zero");
      assertEquals(stepping ? next.pn() : next.n(), header.u32("pn"));
      assertEquals(0, header.u32("n"));
    }
  }

  private static void skipOptional(Reader in, int length) throws SottoException {
    if (in.u8("present") == 1) {
      in.bytes(length, "value");
    }
  }

  /** The same constructions with nothing wrong open: the forgeries differ only in what they break. */
  @Test
  void honestForgeriesOpen() throws SottoException {
    for (boolean stepping : new boolean[] {false, true}) {
      Pair p = stepping ? new Pair("honest, stepping") : midChain("honest");
      if (stepping) {
        p.send(false, "b1");
      }
      byte[] a = p.a.serialize();
      byte[] b = p.b.serialize();
      Forgery.Next next = Forgery.next(a);
      assertEquals(stepping, next.startsChain());
      for (int bucket : Envelope.BUCKETS) {
        assertOpens(Forgery.content(a, Forgery.valid(bucket), p.random), b, p.random);
      }
      assertOpens(Forgery.header(a, 0, null, next.pn(), next.n(), Forgery.valid(1024), p.random), b, p.random);
      // A later number of the chain: the receiver skips to it.
      assertOpens(Forgery.header(a, 0, null, next.pn(), next.n() + 5, Forgery.valid(4096), p.random), b, p.random);
      assertArrayEquals(a, p.a.serialize());
    }
  }

  private static void assertOpens(byte[] envelope, byte[] receiverState, RandomSource random) throws SottoException {
    Session receiver = Session.restore(receiverState);
    assertArrayEquals(text("forged"), receiver.open(envelope, random).orElseThrow());
  }

  @Test
  void stateThatCannotSend() throws SottoException {
    Pair p = new Pair("full chain");
    for (int i = 1; i < 1000; i++) {
      p.seal(true, "unanswered " + i);
    }
    byte[] full = p.a.serialize();
    assertThrows(IllegalStateException.class, () -> Forgery.envelope(full, Bad.BAD_PADDING, p.random));
    assertThrows(IllegalStateException.class, () -> Forgery.envelope(full, Bad.RESERVED_FLAGS, p.random));
    assertThrows(IllegalArgumentException.class, () -> Forgery.content(p.b.serialize(), new byte[100], p.random));
    assertThrows(IllegalArgumentException.class, () -> Forgery.content(new byte[10], Forgery.valid(1024), p.random));
  }
}
