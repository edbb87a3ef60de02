package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.RandomSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cover loops and padded fetch sets in running nodes over loopback TCP (spec:
 * transport.adoc#node-cover), seen by a mailbox that logs every request with its link, tags, sizes
 * and answers: the loops have the sizes of messages, tags watched ahead like a session's, come on a
 * link that never fetches, and are handed out and acknowledged like messages; every FETCH names as
 * many tags as its frame holds; and the node shows no loop as a message. About 8 s.
 */
class CoverLoopsTest {
  @TempDir Path dir;

  /** What the logging mailbox saw, per event. */
  private record Seen(Object link, int type, List<String> tags, int size, List<Long> ids) {}

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Test
  void aMailboxSeesLoopsAsMessagesAndTheNodeShowsNone() throws Exception {
    List<Seen> log = Collections.synchronizedList(new ArrayList<>());
    // Deposits after this are not logged (the loops go on while the log is read): what was logged
    // is then all fetched and acknowledged within the second that follows.
    java.util.concurrent.atomic.AtomicBoolean depositsClosed = new java.util.concurrent.atomic.AtomicBoolean();
    try (Node mailbox = Node.open(TestNodes.init(dir, "mailbox", List.of()), null, TestNodes.fast())) {
      mailbox.start();
      mailbox.logMailbox((link, request, answers) -> {
        try {
          switch (request.type()) {
            case Frame.DEPOSIT -> {
              if (!depositsClosed.get()) {
                log.add(new Seen(link, Frame.DEPOSIT, List.of(hex(request.envelope().tag())),
                    request.envelope().length(), List.of()));
              }
            }
            case Frame.FETCH -> {
              List<Long> ids = new ArrayList<>();
              List<String> handed = new ArrayList<>();
              for (Frame a : answers) {
                if (a.type() == Frame.ITEM) {
                  ids.add(a.itemId());
                  handed.add(hex(a.itemEnvelope().tag()));
                }
              }
              log.add(new Seen(link, Frame.FETCH, request.tags().stream().map(CoverLoopsTest::hex).toList(),
                  handed.size(), ids));
              log.add(new Seen(link, Frame.ITEM, handed, 0, ids));
            }
            case Frame.ACK -> log.add(new Seen(link, Frame.ACK, List.of(), 0, request.itemIds()));
            default -> { }
          }
        } catch (dev.sotto.SottoException e) {
          throw new IllegalStateException(e);
        }
      });
      // 7,200 loops an hour (2 a second) for the test; 'sotto run' allows up to 3,600.
      Node.Options bobs = TestNodes.fast().withListening(false)
          .withTiming(Timing.OFF.withCover(7200).withPadFetch(true));
      try (Node alice = Node.open(TestNodes.init(dir, "alice", List.of()), null, TestNodes.fast());
          Node bob = Node.open(TestNodes.init(dir, "bob", List.of(mailbox.mailboxAddress())), null, bobs)) {
        TestNodes.connect(alice, bob);
        alice.start();
        bob.start();
        alice.addContact("bob", bob.card().text());
        bob.addContact("alice", alice.card().text(), false);
        int n = 10;
        for (int i = 0; i < n; i++) {
          alice.send("bob", "m" + i);
          Thread.sleep(300);
        }
        List<Node.Shown> shown = new ArrayList<>();
        TestNodes.await(Duration.ofSeconds(30), () -> {
          shown.addAll(bob.read());
          return shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).count() == n
              && bob.coverLoops()[0] >= 8 && bob.loops().pending() == 0;
        });
        depositsClosed.set(true);
        Thread.sleep(1_000); // ten fetch rounds: whatever was deposited is handed out and acknowledged
        long[] loops = bob.coverLoops();
        CoverLoops chain = bob.loops();
        // The node shows alice's messages and nothing else: no loop is a message.
        for (Node.Shown m : shown) {
          assertEquals("alice", m.contact(), m.toString());
        }
        assertEquals(n, shown.stream().filter(m -> m.kind() == Node.Kind.TEXT).count());

        List<Seen> seen;
        synchronized (log) {
          seen = new ArrayList<>(log);
        }
        // The links that fetch are bob's; a deposit is a loop when its tag is one of bob's chain.
        Set<Object> fetchers = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.stream().filter(s -> s.type == Frame.FETCH).forEach(s -> fetchers.add(s.link));
        long chainLength = chain.nextCounter() + CoverLoops.AHEAD + 1024;
        Map<String, Integer> sizes = new TreeMap<>();
        Set<String> namedBefore = new HashSet<>();
        Set<String> loopTags = new HashSet<>();
        int realDeposits = 0;
        int loopDeposits = 0;
        int loopsNamedAhead = 0;
        int loopsBeforeAnyFetch = 0;
        int realNamedAhead = 0;
        for (Seen s : seen) {
          if (s.type == Frame.FETCH) {
            // Padded: every FETCH names as many tags as its frame class holds.
            assertTrue(List.of(66, 258, 1024).contains(s.tags.size()), "a FETCH of " + s.tags.size() + " tags");
            namedBefore.addAll(s.tags);
          } else if (s.type == Frame.DEPOSIT) {
            String tag = s.tags.get(0);
            boolean loop = chain.inChain(HexFormat.of().parseHex(tag), chainLength);
            assertFalse(fetchers.contains(s.link), "a deposit came on a link that fetches");
            if (loop) {
              loopDeposits++;
              loopTags.add(tag);
              sizes.merge(s.size + (loop ? " loop" : ""), 1, Integer::sum);
              if (namedBefore.contains(tag)) {
                loopsNamedAhead++;
              } else if (namedBefore.isEmpty()) {
                loopsBeforeAnyFetch++;
              }
            } else {
              realDeposits++;
              if (namedBefore.contains(tag)) {
                realNamedAhead++;
              }
              sizes.merge(s.size + " message", 1, Integer::sum);
            }
          }
        }
        // Every item handed out is acknowledged by the link it went to, loops and messages alike.
        Set<String> deposited = new HashSet<>();
        seen.stream().filter(s -> s.type == Frame.DEPOSIT).forEach(s -> deposited.add(s.tags.get(0)));
        Map<Long, Object> handedTo = new HashMap<>();
        Map<Long, String> tagOf = new HashMap<>();
        Set<Long> acked = new HashSet<>();
        for (Seen s : seen) {
          if (s.type == Frame.ITEM) {
            for (int i = 0; i < s.ids.size(); i++) {
              if (!deposited.contains(s.tags.get(i))) {
                continue; // deposited after the log was closed
              }
              handedTo.put(s.ids.get(i), s.link);
              tagOf.put(s.ids.get(i), s.tags.get(i));
            }
          } else if (s.type == Frame.ACK) {
            for (long id : s.ids) {
              if (handedTo.get(id) == s.link) {
                acked.add(id);
              }
            }
          }
        }
        long loopsHanded = tagOf.values().stream().filter(loopTags::contains).count();
        String figures = "loops " + java.util.Arrays.toString(loops) + ", deposits " + loopDeposits + " loops and "
            + realDeposits + " messages, sizes " + sizes + ", loops named in a FETCH before their deposit "
            + loopsNamedAhead + " (before bob's first FETCH: " + loopsBeforeAnyFetch + "; messages: " + realNamedAhead
            + "), items handed out " + handedTo.size() + " (loops " + loopsHanded + "), acknowledged "
            + acked.size();
        System.out.println("cover loops: " + figures);
        assertTrue(loopDeposits >= 6 && loopDeposits <= loops[0], figures); // the last may not be logged yet
        assertTrue(realDeposits >= n, figures);
        assertEquals(loopDeposits, loopsHanded, figures);
        assertEquals(handedTo.keySet(), acked, figures);
        // Tags watched ahead, as a session's are: each loop's tag was named before it was deposited
        // (but for one deposited before bob's first FETCH reached the mailbox).
        assertEquals(loopDeposits - loopsBeforeAnyFetch, loopsNamedAhead, figures);
        // The sizes are the messages' buckets: a 1 KiB loop is as common as a text.
        assertTrue(sizes.getOrDefault("1024 loop", 0) > 0 && sizes.containsKey("1024 message"), figures);
        assertEquals(0, loops[2], figures);
      }
    }
  }

  @Test
  void theChainSurvivesARestartAndItsPartsAreBounded() throws Exception {
    Path home = TestNodes.init(dir, "carol", List.of());
    Node.Options padded = TestNodes.fast().withTiming(Timing.OFF.withPadFetch(true));
    long next;
    try (Node carol = Node.open(home, null, padded)) {
      CoverLoops chain = carol.loops();
      for (int i = 0; i < CoverLoops.PENDING + 3; i++) {
        Envelope e = chain.next();
        assertTrue(Envelope.BUCKETS.contains(e.length()));
        assertEquals(0x02, e.encoded()[Envelope.HEADER_LENGTH]);
      }
      assertEquals(CoverLoops.PENDING, chain.pending());
      assertEquals(3, chain.givenUp.get());
      next = chain.nextCounter();
      // A round: real tags first, then the pending loops and the window ahead, padded to the frame.
      List<byte[]> real = List.of(new byte[16], new byte[16]);
      assertEquals(258, chain.round(real, true, true).size()); // 2 + 64 + 32 = 98 -> 258
      assertEquals(66, chain.round(real, false, true).size());
      assertEquals(2 + 64 + 32, chain.round(real, true, false).size());
      assertEquals(2, chain.round(real, false, false).size());
      List<byte[]> many = new ArrayList<>();
      for (int i = 0; i < 1030; i++) {
        many.add(new byte[16]);
      }
      assertEquals(1024 + 66, chain.round(many, false, true).size());
      assertFalse(chain.toString().contains(hex(chain.tag(next))));
    }
    try (Node carol = Node.open(home, null, padded)) {
      assertEquals(next, carol.loops().nextCounter(), "a restart reuses no tag");
      assertEquals(CoverLoops.PENDING, carol.loops().pending());
    }
    assertThrows(IllegalArgumentException.class, () -> Timing.OFF.withCover(-1));
    assertThrows(IllegalArgumentException.class, () -> Timing.OFF.withCover(Double.NaN));
  }

  @Test
  void sizesAndGapsFollowTheirLaws() {
    // The size weights: 88, 8, 3 and 1 out of 100.
    assertEquals(1024, CoverLoops.size(0));
    assertEquals(1024, CoverLoops.size(87));
    assertEquals(4096, CoverLoops.size(88));
    assertEquals(16384, CoverLoops.size(96));
    assertEquals(65536, CoverLoops.size(99));
    // Exponential gaps: mean within 5 % over 20,000 draws (its standard error is 0.7 %).
    RandomSource random = RandomSource.secure();
    double sum = 0;
    int draws = 20_000;
    for (int i = 0; i < draws; i++) {
      sum += CoverClock.gap(random, 1e9);
    }
    assertEquals(1e9, sum / draws, 5e7);
  }
}
