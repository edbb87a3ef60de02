package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.Kdf;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.testing.TestRandom;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * A sender's state rolled back (spec: security.adoc#rollback): a crash before the state was saved,
 * a restored copy, a VM snapshot that also rolls back the random generator. After restoring every
 * earlier state and sealing another plaintext from it, with a fresh random source and with the
 * one that was drawn the first time, no AEAD key and nonce pair has sealed two different
 * plaintexts, and no header nonce was used for two different messages. Under revision 1's
 * derivation (key and nonce from the message key alone) the same runs reuse pairs.
 */
class RollbackProperties {

  /** Every seal: the body's AEAD key || nonce, the header's nonce (siv), and what was sealed. */
  private final Map<ByteBuffer, ByteBuffer> bodyPairs = new HashMap<>();
  private final Map<ByteBuffer, ByteBuffer> headerNonces = new HashMap<>();
  private final Map<ByteBuffer, ByteBuffer> revision1Pairs = new HashMap<>();
  private int revision1Reuses;

  private void record(DoubleRatchet.Sent sent, byte[] plaintext) {
    ByteBuffer text = ByteBuffer.wrap(plaintext);
    ByteBuffer body = ByteBuffer.wrap(Kdf.messageKeyMaterial(sent.messageKey(), sent.siv()));
    ByteBuffer previous = bodyPairs.putIfAbsent(body, text);
    assertTrue(previous == null || previous.equals(text), "a body key and nonce sealed two plaintexts");
    ByteBuffer message = ByteBuffer.wrap(Bytes.concat(sent.header(), plaintext));
    previous = headerNonces.putIfAbsent(ByteBuffer.wrap(sent.siv()), message);
    assertTrue(previous == null || previous.equals(message), "a header nonce served two different messages");
    // Revision 1: HKDF(salt = [], ikm = mk, "sotto/v1/ratchet/body", 44), whatever the plaintext.
    ByteBuffer old = ByteBuffer.wrap(Hkdf.derive(new byte[0], sent.messageKey().bytes(),
        "sotto/v1/ratchet/body".getBytes(StandardCharsets.US_ASCII), 44));
    previous = revision1Pairs.putIfAbsent(old, text);
    if (previous != null && !previous.equals(text)) {
      revision1Reuses++;
    }
  }

  @Property(tries = 30)
  void noRollbackMakesTwoPlaintextsShareAKeyAndNonce(@ForAll @Size(16) byte[] seed,
      @ForAll @IntRange(min = 4, max = 24) int rounds) throws SottoException {
    RatchetProperties.Pair p = new RatchetProperties.Pair(seed);
    p.receive(true, DoubleRatchet.encrypt(p.a, "first".getBytes(StandardCharsets.UTF_8), p.random).message());
    // A's state before each of its sends, and the randomness that send drew.
    List<byte[]> snapshots = new ArrayList<>();
    List<byte[]> drawn = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      boolean fromA = i % 3 != 2; // mostly A, sometimes B: DH steps on both sides
      byte[] plaintext = ("round " + i).getBytes(StandardCharsets.UTF_8);
      if (fromA) {
        snapshots.add(p.a.serialize());
        List<byte[]> draws = new ArrayList<>();
        RandomSource source = p.random;
        DoubleRatchet.Sent sent = DoubleRatchet.encrypt(p.a, plaintext, out -> {
          source.nextBytes(out);
          draws.add(out.clone());
        });
        drawn.add(Bytes.concat(draws.toArray(new byte[0][])));
        record(sent, plaintext);
        p.receive(true, sent.message());
      } else {
        p.receive(false, DoubleRatchet.encrypt(p.b, plaintext, p.random).message());
      }
    }
    for (int k = 0; k < snapshots.size(); k++) {
      byte[] other = ("rolled back " + k).getBytes(StandardCharsets.UTF_8);
      RatchetState fresh = RatchetState.parse(snapshots.get(k));
      record(DoubleRatchet.encrypt(fresh, other, TestRandom.deterministic(Bytes.concat(seed, new byte[] {(byte) k}))),
          other);
      RatchetState replayed = RatchetState.parse(snapshots.get(k));
      byte[] again = ("replayed " + k).getBytes(StandardCharsets.UTF_8);
      record(DoubleRatchet.encrypt(replayed, again, TestRandom.replay(drawn.get(k))), again);
    }
    // Every replayed rollback reuses the message key, so revision 1 reused a pair at least that often.
    assertTrue(revision1Reuses >= snapshots.size(), "revision 1's derivation would have reused these pairs");
  }
}
