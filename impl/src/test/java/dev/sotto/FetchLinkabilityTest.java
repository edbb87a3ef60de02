package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a mailbox links from the tags a receiver fetches (spec: security.adoc#fetch-linkability).
 * A receiver fetches, in one FETCH, every tag its sessions watch ({@link Session#tags()}). This test
 * plays a conversation with bursts in both directions, records the receiver's watched set before
 * each envelope it opens (what it would fetch then), and measures what a mailbox can link: the
 * figures asserted here are the ones the spec states.
 */
class FetchLinkabilityTest {
  private final HandshakeTest h = new HandshakeTest();
  private final RandomSource random = TestRandom.deterministic(new byte[] {'f', 'l'});

  private static Set<String> hex(List<byte[]> tags) {
    Set<String> set = new HashSet<>();
    tags.forEach(t -> set.add(Bytes.hex(t)));
    return set;
  }

  @Test
  void consecutiveFetchesOfOneReceiverShareAlmostAllTagsAndChainTheWholeConversation() throws SottoException {
    SessionTest.Pair p = new SessionTest().start("hello".getBytes());
    Session alice = p.alice();
    Session bob = p.bob();
    List<Set<String>> fetches = new ArrayList<>(); // bob's watched set before each envelope he opens
    Map<String, Integer> firstFetched = new HashMap<>();
    List<Integer> usedAt = new ArrayList<>();
    int[] bursts = {1, 5, 31, 32, 33, 2, 64, 1, 100, 3};
    int sent = 0;
    for (int burst : bursts) {
      for (int i = 0; i < burst; i++) {
        for (Envelope e : alice.seal(("m" + sent++).getBytes(), random)) {
          Set<String> watched = hex(bob.tags());
          fetches.add(watched);
          for (String t : watched) {
            firstFetched.putIfAbsent(t, fetches.size() - 1);
          }
          String tag = Bytes.hex(e.tag());
          assertTrue(watched.contains(tag), "the envelope's tag is fetched");
          usedAt.add(firstFetched.get(tag));
          bob.open(e.encoded(), random);
        }
      }
      alice.open(bob.seal("ok".getBytes(), random).get(0).encoded(), random); // an answer: a new DH step
    }
    int minShared = Integer.MAX_VALUE;
    int maxSize = 0;
    for (int i = 1; i < fetches.size(); i++) {
      Set<String> shared = new HashSet<>(fetches.get(i));
      shared.retainAll(fetches.get(i - 1));
      minShared = Math.min(minShared, shared.size());
      maxSize = Math.max(maxSize, fetches.get(i).size());
    }
    // Every fetch shares tags with the one before: a mailbox chains all fetches of one receiver
    // (across connections and addresses) and so groups every envelope of the conversation.
    System.out.println("fetch linkability: " + fetches.size() + " fetches, consecutive ones share at least "
        + minShared + " tags, a fetch holds at most " + maxSize);
    assertTrue(minShared >= 63, "consecutive fetches share at least 63 tags: " + minShared);
    assertTrue(maxSize <= 128, "a session watches at most 128 tags: " + maxSize);
    // Tags are fetched ahead of their use: most envelopes arrive under a tag fetched before, often
    // long before (the next chain's tags are watched in advance).
    long fetchedBeforeItsFetch = 0;
    for (int i = 0; i < usedAt.size(); i++) {
      if (usedAt.get(i) < i) {
        fetchedBeforeItsFetch++;
      }
    }
    System.out.println("fetch linkability: " + fetchedBeforeItsFetch + " of " + usedAt.size()
        + " envelopes under a tag an earlier fetch showed");
    assertTrue(fetchedBeforeItsFetch * 100 >= usedAt.size() * 98,
        "at least 98 % of envelopes come under a tag an earlier fetch already showed: " + fetchedBeforeItsFetch + "/"
            + usedAt.size());
  }

  @Test
  void theTagsOfTwoSessionsNeverMeet() throws SottoException {
    Responder responder = h.responder();
    Set<String> first = null;
    for (byte seed : new byte[] {'x', 'y'}) {
      RandomSource r = TestRandom.deterministic(new byte[] {seed});
      Session.Started started = Session.initiate(h.alice, h.prekeys(null, null), HandshakeTest.NOW, new byte[] {seed}, r);
      Session bob = Session.accept(responder, started.envelopes().get(0).encoded(), HandshakeTest.NOW, r).session();
      Set<String> tags = hex(bob.tags());
      tags.addAll(hex(started.session().tags()));
      if (first == null) {
        first = tags;
      } else {
        Set<String> shared = new HashSet<>(first);
        shared.retainAll(tags);
        // Even between the same two identities: only a receiver's FETCH, which lists the tags of
        // all its sessions together, joins two sessions.
        assertEquals(Set.of(), shared);
      }
    }
  }
}
