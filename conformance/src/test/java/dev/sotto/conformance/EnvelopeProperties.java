package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of envelopes and sessions, one for each claim of spec: envelope.adoc#observer-view. */
class EnvelopeProperties {
  private static final Instant T = Instant.ofEpochSecond(1_800_000_000L);

  /** A conversation between two fresh identities, past its first contact. */
  static final class Conversation {
    final RandomSource random;
    final Identity alice;
    final Session a;
    final Session b;
    final Envelope firstContact;

    Conversation(byte[] seed) throws SottoException {
      random = TestRandom.deterministic(seed);
      alice = Identity.fromSeed(IdentitySeed.generate(random));
      Identity bob = Identity.fromSeed(IdentitySeed.generate(random));
      Card card = Card.builder(bob).validity(T, T.plusSeconds(365 * 86400)).issue(random);
      Responder responder = new Responder(bob);
      responder.addCard(card);
      PrekeyBundle bundle = responder.issueBundle(card, T, T.plusSeconds(3 * 86400), random);
      OneTimePrekey opk = responder.issueOneTimePrekeys(card, T.plusSeconds(3 * 86400), 1, 0, random).get(0);
      Session.Started started = Session.initiate(alice, Prekeys.of(bundle, opk, null), T, "hi".getBytes(), random);
      firstContact = started.envelopes().get(0);
      a = started.session();
      b = Session.accept(responder, firstContact.encoded(), T, random).session();
    }

    /** Sends from one side and opens on the other; returns the envelopes. */
    List<Envelope> send(boolean fromA, byte[] payload) throws SottoException {
      List<Envelope> envelopes = (fromA ? a : b).seal(payload, random);
      Optional<byte[]> got = Optional.empty();
      for (Envelope e : envelopes) {
        got = (fromA ? b : a).open(e.encoded(), random);
      }
      assertArrayEquals(payload, got.orElseThrow());
      return envelopes;
    }
  }

  static int expectedSize(int payload) {
    for (int bucket : Envelope.BUCKETS) {
      if (payload + 5 <= bucket - 104) {
        return bucket;
      }
    }
    return 65536;
  }

  @Property(tries = 40)
  void anEnvelopesLengthDependsOnlyOnItsPayloadsBucket(
      @ForAll @Size(32) byte[] seed, @ForAll @IntRange(min = 0, max = 140_000) int length) throws SottoException {
    Conversation c = new Conversation(seed);
    List<Envelope> envelopes = c.send(true, c.random.bytes(length));
    for (Envelope e : envelopes) {
      assertEquals(expectedSize(length), e.length());
    }
    assertEquals(length + 5 <= 65536 - 104 ? 1 : (length + 65419 - 1) / 65419, envelopes.size());
  }

  @Property(tries = 30)
  void noByteButTheVersionsRepeatsBetweenTwoEnvelopesOfAConversation(@ForAll @Size(32) byte[] seed)
      throws SottoException {
    Conversation c = new Conversation(seed);
    List<Envelope> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      all.addAll(c.send(i % 3 != 0, new byte[100]));
    }
    // Any run of 6 equal bytes at the same offset (outside the version bytes 0 and 17) would be a
    // stable identifier; between pseudorandom strings it happens with probability about 2^-48.
    for (int i = 0; i < all.size(); i++) {
      for (int j = i + 1; j < all.size(); j++) {
        byte[] x = all.get(i).encoded();
        byte[] y = all.get(j).encoded();
        for (int k = 1; k + 6 <= Math.min(x.length, y.length); k++) {
          if (k <= 17 && k + 6 > 17) {
            continue;
          }
          boolean same = java.util.Arrays.equals(x, k, k + 6, y, k, k + 6);
          assertFalse(same, "envelopes " + i + " and " + j + " share 6 bytes at offset " + k);
        }
      }
    }
  }

  @Property(tries = 10)
  void tagsNeverRepeatWithinOrAcrossConversationsAndEpochs(@ForAll @Size(32) byte[] s1, @ForAll @Size(32) byte[] s2)
      throws SottoException {
    net.jqwik.api.Assume.that(!java.util.Arrays.equals(s1, s2));
    Set<String> tags = new HashSet<>();
    for (byte[] seed : new byte[][] {s1, s2}) {
      Conversation c = new Conversation(seed);
      for (int i = 0; i < 12; i++) {
        for (Envelope e : c.send(i % 2 == 0, new byte[] {(byte) i})) {
          assertTrue(tags.add(Bytes.hex(e.tag())), "a tag repeated");
        }
      }
      for (Envelope e : c.send(true, new byte[1])) {
        assertTrue(tags.add(Bytes.hex(e.tag())), "a tag repeated");
      }
    }
  }

  @Property(tries = 30)
  void everyEnvelopeOpensExactlyOnce(@ForAll @Size(32) byte[] seed) throws SottoException {
    Conversation c = new Conversation(seed);
    List<Envelope> envelopes = c.a.seal(new byte[10], c.random);
    envelopes.addAll(c.a.seal(new byte[20], c.random));
    for (Envelope e : List.of(envelopes.get(1), envelopes.get(0))) {
      assertTrue(c.b.open(e.encoded(), c.random).isPresent());
      byte[] before = c.b.serialize();
      assertThrows(SottoException.class, () -> c.b.open(e.encoded(), c.random));
      assertArrayEquals(before, c.b.serialize());
    }
  }

  @Property(tries = 20)
  void aFirstContactDoesNotShowWhoSentIt(@ForAll @Size(32) byte[] seed) throws SottoException {
    Conversation c = new Conversation(seed);
    String envelope = Bytes.hex(c.firstContact.encoded());
    assertFalse(envelope.contains(Bytes.hex(c.alice.publicIdentity().signingKey())));
    assertFalse(envelope.contains(Bytes.hex(c.alice.publicIdentity().dhKey())));
    assertFalse(envelope.contains(Bytes.hex(c.alice.fingerprint().bytes())));
    assertTrue(Envelope.BUCKETS.contains(c.firstContact.length()));
  }
}
