package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.testing.TestRandom;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Bursts of lost envelopes (spec: envelope.adoc#loss-recovery): whatever a mailbox drops, every
 * message sent after the burst is read, by the anchors for a burst within a chain, and by a
 * session reset when the sender's chain fills up (1,000 messages without an answer). Under
 * revision 1's rules (32 watched tags, no anchors, chains without a bound) a burst of 32 or more
 * left every later message of the direction unread.
 */
class LossProperties {
  private static final Instant T = Instant.ofEpochSecond(1_800_000_000L);

  /** One side: its identity, its card, and its sessions with the other side (newest last, the one it sends on). */
  static final class Party {
    final Identity identity;
    final Prekeys prekeys;
    final Responder responder;
    final List<Session> sessions = new ArrayList<>();
    /** Envelopes waiting at this party's mailbox. */
    final List<Envelope> mailbox = new ArrayList<>();
    final Set<String> read = new HashSet<>();
    /** The first payloads of the sessions this party started: they travel again with the first contact. */
    final Set<String> firstPayloads = new HashSet<>();
    int resets;

    Party(RandomSource random) throws SottoException {
      identity = Identity.fromSeed(IdentitySeed.generate(random));
      // No one-time prekeys: every reset to this card is protected by the bundle's replay cache.
      Card card = Card.builder(identity).validity(T, T.plusSeconds(365 * 86400)).issue(random);
      responder = new Responder(identity);
      responder.addCard(card);
      prekeys = Prekeys.of(responder.issueBundle(card, T, T.plusSeconds(3 * 86400), random));
    }
  }

  static final class Pair {
    final RandomSource random;
    final Party a;
    final Party b;

    Pair(byte[] seed) throws SottoException {
      random = TestRandom.deterministic(seed);
      a = new Party(random);
      b = new Party(random);
      send(a, b, "hello", true);
      fetch(b);
    }

    Party other(Party p) {
      return p == a ? b : a;
    }

    /** Seals a payload on the sender's newest session (a first contact when it has none or its chain is full). */
    void send(Party from, Party to, String text, boolean delivered) throws SottoException {
      byte[] payload = text.getBytes(StandardCharsets.UTF_8);
      List<Envelope> envelopes;
      if (from.sessions.isEmpty()) {
        Session.Started started = Session.initiate(from.identity, to.prekeys, T, payload, random);
        from.sessions.add(started.session());
        envelopes = started.envelopes();
      } else {
        try {
          envelopes = from.sessions.get(from.sessions.size() - 1).seal(payload, random);
        } catch (SottoException e) {
          assertEquals(ErrorCode.LIMIT_EXCEEDED, e.code());
          // The session reset: a fresh first contact; the old session stays for what is under way.
          Session.Started started = Session.initiate(from.identity, to.prekeys, T, payload, random);
          from.sessions.add(started.session());
          from.firstPayloads.add(text);
          from.resets++;
          envelopes = started.envelopes();
        }
      }
      if (delivered) {
        to.mailbox.addAll(envelopes);
      }
    }

    /** What a node's fetch does: opens every waiting envelope under a watched tag, until none is left to open. */
    void fetch(Party p) throws SottoException {
      boolean progress = true;
      while (progress) {
        progress = false;
        List<Set<ByteBuffer>> watched = new ArrayList<>();
        for (Session s : p.sessions) {
          Set<ByteBuffer> tags = new LinkedHashSet<>();
          s.tags().forEach(t -> tags.add(ByteBuffer.wrap(t)));
          watched.add(tags);
        }
        for (Iterator<Envelope> it = p.mailbox.iterator(); it.hasNext(); ) {
          Envelope e = it.next();
          ByteBuffer tag = ByteBuffer.wrap(e.tag());
          Optional<byte[]> payload = Optional.empty();
          boolean opened = false;
          for (int i = 0; i < p.sessions.size() && !opened; i++) {
            if (watched.get(i).contains(tag)) {
              payload = p.sessions.get(i).open(e.encoded(), random);
              opened = true;
            }
          }
          if (!opened && tag.equals(ByteBuffer.wrap(p.prekeys.card().inviteTag()))) {
            try {
              Session.Accepted accepted = Session.accept(p.responder, e.encoded(), T, random);
              p.sessions.add(accepted.session());
              payload = accepted.payload();
            } catch (SottoException refused) {
              // A copy of a first contact already accepted (sent again while unanswered): dropped.
              assertEquals(ErrorCode.REPLAY, refused.code());
            }
            opened = true;
          }
          if (opened) {
            it.remove();
            progress = true;
            payload.ifPresent(bytes -> p.read.add(new String(bytes, StandardCharsets.UTF_8)));
            break; // the watched sets changed
          }
        }
      }
    }
  }

  /**
   * Runs one burst and checks that everything after it is read. {@code before}: messages that
   * arrive before the burst; {@code replies}: the receiver answers now and then during the burst
   * (its answers arrive).
   */
  static void burst(byte[] seed, int before, int burst, boolean fromA, boolean replies) throws SottoException {
    Pair p = new Pair(seed);
    Party sender = fromA ? p.a : p.b;
    Party receiver = p.other(sender);
    if (!fromA) {
      p.send(p.b, p.a, "b opens", true); // B's first chain: B sends once it has received
      p.fetch(p.a);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < before; i++) {
      String text = "before " + i;
      p.send(sender, receiver, text, true);
      expected.add(text);
    }
    p.fetch(receiver);
    for (int i = 0; i < burst; i++) {
      p.send(sender, receiver, "lost " + i, false);
      if (replies && i % 97 == 0) {
        String reply = "reply " + i;
        p.send(receiver, sender, reply, true);
        p.fetch(sender);
        assertTrue(sender.read.contains(reply), "a reply during the burst was not read");
      }
    }
    for (int i = 0; i < 40; i++) {
      String text = "after " + i;
      p.send(sender, receiver, text, true);
      expected.add(text);
    }
    p.fetch(receiver);
    List<String> missing = expected.stream().filter(t -> !receiver.read.contains(t)).toList();
    assertEquals(List.of(), missing, "burst of " + burst + " (" + (fromA ? "A to B" : "B to A") + ", replies "
        + replies + "): messages after it were not read");
    // A lost message is read only if it was a reset's first payload: the first contact is sent
    // again until the peer answers.
    assertTrue(receiver.read.stream().filter(t -> t.startsWith("lost")).allMatch(sender.firstPayloads::contains),
        "a lost message was read");
    // The rule that brought the receiver back: anchors within a chain, a reset once a chain filled
    // up. (A reply can start the sender's chain over; in between these bounds either may happen.)
    if (before + burst + 41 <= 1000) {
      assertEquals(0, sender.resets, "no reset while the sender's chain has room");
    }
    if (burst >= 1000) {
      assertTrue(sender.resets > 0, "a chain of 1,000 unanswered messages is replaced by a reset");
    }
  }

  @Property(tries = 24)
  void everyMessageAfterABurstIsRead(@ForAll @Size(16) byte[] seed, @ForAll @IntRange(min = 0, max = 40) int before,
      @ForAll @IntRange(min = 1, max = 2000) int burst, @ForAll boolean fromA, @ForAll boolean replies)
      throws SottoException {
    burst(seed, before, burst, fromA, replies);
  }

  /** The lengths the attacker's checklist names, each way, with and without replies. */
  @Example
  void theChecklistsBursts() throws SottoException {
    for (int burst : new int[] {1, 31, 32, 33, 999, 1000, 2000}) {
      for (boolean fromA : new boolean[] {true, false}) {
        for (boolean replies : new boolean[] {false, true}) {
          burst(new byte[] {(byte) burst, (byte) (fromA ? 1 : 0), (byte) (replies ? 1 : 0)}, 5, burst, fromA, replies);
        }
      }
    }
  }
}
