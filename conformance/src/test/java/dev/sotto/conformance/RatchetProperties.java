package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.ErrorCode;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.internal.ratchet.Secret;
import dev.sotto.testing.TestRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the ratchet (spec: ratchet.adoc). */
class RatchetProperties {

  /** Two sides of a fresh session, driven by one seeded random source. */
  static final class Pair {
    final RandomSource random;
    RatchetState a;
    RatchetState b;

    Pair(byte[] seed) throws SottoException {
      random = TestRandom.deterministic(seed);
      DoubleRatchet.Init init = new DoubleRatchet.Init(random.bytes(32), new Secret.RootKey(random.bytes(32)),
          new Secret.HeaderKey(random.bytes(32)), new Secret.HeaderKey(random.bytes(32)),
          new Secret.TagKey(random.bytes(32)), new Secret.TagKey(random.bytes(32)));
      byte[] spk = random.bytes(32);
      a = DoubleRatchet.initiator(init, X25519.publicKey(spk), random);
      b = DoubleRatchet.responder(init, spk);
    }

    RatchetState side(boolean toB) {
      return toB ? b : a;
    }

    byte[] receive(boolean toB, byte[] message) throws SottoException {
      DoubleRatchet.Received r = DoubleRatchet.decrypt(side(toB), message);
      if (toB) {
        b = r.next();
      } else {
        a = r.next();
      }
      return r.plaintext();
    }
  }

  /** One action of a schedule: send from A or B, or deliver (or duplicate) one pending message. */
  record Action(int kind, int pick) {}

  @Provide
  Arbitrary<List<Action>> schedules() {
    return Arbitraries.integers().between(0, 5).flatMap(kind -> Arbitraries.integers().between(0, 1000)
        .map(pick -> new Action(kind, pick))).list().ofMinSize(1).ofMaxSize(80);
  }

  record InFlight(boolean toB, byte[] message, byte[] plaintext) {}

  @Property(tries = 120)
  void everyArrivingMessageDecryptsExactlyOnceWithItsPlaintext(
      @ForAll @Size(32) byte[] seed, @ForAll("schedules") List<Action> schedule) throws SottoException {
    Pair p = new Pair(seed);
    List<InFlight> pending = new ArrayList<>();
    List<InFlight> delivered = new ArrayList<>();
    Set<String> received = new HashSet<>();
    boolean bCanSend = false;
    int counter = 0;
    for (Action action : schedule) {
      switch (action.kind()) {
        case 0, 1 -> {
          boolean fromA = action.kind() == 0 || !bCanSend;
          byte[] plaintext = ("m" + counter++).getBytes();
          byte[] message = DoubleRatchet.encrypt(fromA ? p.a : p.b, plaintext, p.random).message();
          pending.add(new InFlight(fromA, message, plaintext));
        }
        case 2, 3 -> {
          if (!pending.isEmpty()) {
            InFlight m = pending.remove(action.pick() % pending.size());
            byte[] before = p.side(m.toB()).serialize();
            assertArrayEquals(m.plaintext(), p.receive(m.toB(), m.message()));
            bCanSend |= m.toB();
            received.add(new String(m.plaintext()));
            delivered.add(m);
            assertEquals(false, java.util.Arrays.equals(before, p.side(m.toB()).serialize()));
          }
        }
        case 4 -> {
          // A duplicate of something already delivered: rejected, state unchanged.
          if (!delivered.isEmpty()) {
            InFlight m = delivered.get(action.pick() % delivered.size());
            byte[] before = p.side(m.toB()).serialize();
            SottoException e = assertThrows(SottoException.class, () -> p.receive(m.toB(), m.message()));
            assertEquals(true, e.code() == ErrorCode.REPLAY || e.code() == ErrorCode.AUTH_FAILED, e.code().name());
            assertArrayEquals(before, p.side(m.toB()).serialize());
          }
        }
        default -> {
          // A loss.
          if (!pending.isEmpty()) {
            pending.remove(action.pick() % pending.size());
          }
        }
      }
    }
    // Everything still in flight arrives at the end, in the order it was sent.
    for (InFlight m : pending) {
      assertArrayEquals(m.plaintext(), p.receive(m.toB(), m.message()));
      received.add(new String(m.plaintext()));
    }
    assertEquals(received.size(), delivered.size() + pending.size());
  }

  @Property(tries = 100)
  void anyOneByteChangeIsRejectedWithTheStateUnchanged(
      @ForAll @Size(32) byte[] seed, @ForAll @IntRange(min = 0, max = 3) int rounds,
      @ForAll @IntRange(min = 0, max = 100_000) int where, @ForAll @IntRange(min = 1, max = 255) int xor,
      @ForAll @Size(max = 200) byte[] plaintext) throws SottoException {
    Pair p = new Pair(seed);
    for (int i = 0; i < rounds; i++) {
      p.receive(true, DoubleRatchet.encrypt(p.a, new byte[] {1}, p.random).message());
      p.receive(false, DoubleRatchet.encrypt(p.b, new byte[] {2}, p.random).message());
    }
    byte[] message = DoubleRatchet.encrypt(p.a, plaintext, p.random).message();
    byte[] tampered = message.clone();
    tampered[where % tampered.length] ^= (byte) xor;
    byte[] before = p.b.serialize();
    assertThrows(SottoException.class, () -> p.receive(true, tampered));
    assertArrayEquals(before, p.b.serialize());
    assertArrayEquals(plaintext, p.receive(true, message));
  }

  @Property(tries = 60)
  void aRestoredStateContinuesIdentically(@ForAll @Size(32) byte[] seed, @ForAll @IntRange(min = 0, max = 4) int rounds)
      throws SottoException {
    Pair p = new Pair(seed);
    for (int i = 0; i < rounds; i++) {
      p.receive(true, DoubleRatchet.encrypt(p.a, new byte[] {1}, p.random).message());
      DoubleRatchet.encrypt(p.a, new byte[] {9}, p.random); // lost: leaves a skipped key on B later
      p.receive(false, DoubleRatchet.encrypt(p.b, new byte[] {2}, p.random).message());
    }
    RatchetState copy = RatchetState.parse(p.a.serialize());
    assertArrayEquals(p.a.serialize(), copy.serialize());
    byte[] x = DoubleRatchet.encrypt(p.a, new byte[] {7}, TestRandom.deterministic(new byte[] {1})).message();
    byte[] y = DoubleRatchet.encrypt(copy, new byte[] {7}, TestRandom.deterministic(new byte[] {1})).message();
    assertArrayEquals(x, y);
    assertArrayEquals(p.a.serialize(), copy.serialize());
  }

  @Property(tries = 60)
  void aStolenStateCannotReadPastTheNextDhStepInEachDirection(@ForAll @Size(32) byte[] seed) throws SottoException {
    Pair p = new Pair(seed);
    p.receive(true, DoubleRatchet.encrypt(p.a, new byte[] {1}, p.random).message());
    RatchetState stolenA = RatchetState.parse(p.a.serialize());
    RatchetState stolenB = RatchetState.parse(p.b.serialize());
    // A DH step in each direction with keys made after the theft: B -> A (A makes a1), A -> B
    // (B makes b2), B -> A (A makes a2). From then on each side's chains use a key the thief lacks.
    p.receive(false, DoubleRatchet.encrypt(p.b, new byte[] {2}, p.random).message());
    p.receive(true, DoubleRatchet.encrypt(p.a, new byte[] {3}, p.random).message());
    p.receive(false, DoubleRatchet.encrypt(p.b, new byte[] {4}, p.random).message());
    byte[] toA = DoubleRatchet.encrypt(p.b, "to A".getBytes(), p.random).message();
    byte[] toB = DoubleRatchet.encrypt(p.a, "to B".getBytes(), p.random).message();
    RandomSource attacker = TestRandom.deterministic(new byte[] {66});
    assertThrows(SottoException.class, () -> DoubleRatchet.decrypt(stolenA, toA));
    assertThrows(SottoException.class, () -> DoubleRatchet.decrypt(stolenB, toB));
    assertArrayEquals("to A".getBytes(), p.receive(false, toA));
    assertArrayEquals("to B".getBytes(), p.receive(true, toB));
  }
}
