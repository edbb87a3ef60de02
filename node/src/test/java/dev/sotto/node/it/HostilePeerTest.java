package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.LinkInitiator;
import dev.sotto.LinkKey;
import dev.sotto.node.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A running node (bob, in his own process) under attack while alice keeps sending to him: every
 * link error closes the connection without an answer (spec: transport.adoc#frames), a bad request
 * is answered with ERROR and the link stays open (#requests), floods and excess connections meet
 * the limits of #mailbox-policy, and through all of it alice's messages arrive, in order, once.
 */
class HostilePeerTest extends ClusterTest {
  /** Well under the 5 s handshake deadline: a close this quick is a refusal, not a timeout. */
  private static final Duration AT_ONCE = Duration.ofMillis(3_500);
  /** The rate limit's burst (spec: transport.adoc#mailbox-policy): requests a new link may send at once. */
  private static final int BURST = 2048;
  /** Bob's total quota, in envelopes of 1 KiB, for the flood of deposits (f). */
  private static final int QUOTA = 256;
  /** Links bob holds at once, for (g). */
  private static final int LINKS = 64;
  /** Cheap requests in the second flood: well beyond the burst. */
  private static final int CHEAP = 6000;

  private int port;
  private byte[] bobKey;
  private final List<RawClient> clients = new ArrayList<>();
  private final AtomicBoolean sending = new AtomicBoolean(true);

  @BeforeEach
  void setUp() throws Exception {
    cluster.init("alice", List.of());
    cluster.init("bob", List.of());
    Node bob = cluster.node("bob");
    bobKey = bob.peerAddress().linkKey();
    cluster.introduce("alice", "bob");
    // A total quota of 512 envelopes of 1 KiB, of which deposits under tags nobody fetches may fill
    // half: 256 for the flood of deposits (f). At most 64 links at once, for (g).
    Cluster.Running bobProcess = cluster.spawn("bob", "--total-quota", String.valueOf(2 * QUOTA * 1024),
        "--max-links", String.valueOf(LINKS));
    Cluster.Running aliceProcess = cluster.spawn("alice", "--no-mailbox");
    port = bobProcess.port();
    assertEquals(bob.peerAddress().port(), port);
    aliceProcess.port();
  }

  @AfterEach
  void tearDown() {
    sending.set(false);
    clients.forEach(RawClient::close);
  }

  private RawClient connect() throws IOException {
    RawClient c = RawClient.connect(port);
    clients.add(c);
    return c;
  }

  private RawClient link() throws Exception {
    RawClient c = RawClient.link(port, bobKey);
    clients.add(c);
    return c;
  }

  /** Writes bytes the node may refuse to read: a write that fails because it closed is fine. */
  private static void writeQuietly(RawClient c, byte[] bytes) {
    try {
      c.write(bytes);
    } catch (IOException e) {
      // closed already
    }
  }

  /** The connection is closed promptly and nothing was answered. */
  private static void assertClosedSilently(RawClient c, String what) throws IOException {
    assertEquals(0, c.awaitClosed(AT_ONCE), what + ": closed without an answer");
  }

  @Test
  void hostilePeersDoNotDisturbDelivery() throws Exception {
    // Alice keeps sending to bob through every attack below.
    Node alice = cluster.node("alice");
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
      try {
        while (sending.get()) {
          alice.send("bob", "steady " + (sent.get() + 1));
          sent.incrementAndGet();
          Thread.sleep(25);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    cluster.awaitInOrder("bob", "alice", 1, Duration.ofSeconds(60));

    garbageBeforeTheHandshake();
    helloToTheWrongKey();
    badFrames();
    replayedFrame();
    badRequestsKeepTheLinkOpen();
    flood();
    tooManyConnections();

    sending.set(false);
    sender.get(30, TimeUnit.SECONDS);
    int total = sent.get();
    cluster.log("alice queued " + total + " during the attacks");
    assertTrue(total > 10, "alice kept sending");
    cluster.awaitInOrder("bob", "alice", total, Duration.ofSeconds(60));
    cluster.await(Duration.ofSeconds(30), "alice's outbox empties", () -> alice.outboxSize() == 0);
    assertEquals("ok", cluster.integrityCheck("bob"), "bob's store while he runs");
    cluster.stop("bob");
    assertEquals("ok", cluster.integrityCheck("bob"), "bob's store after he stopped");
    cluster.assertDelivered("bob", "alice", "steady ", total);
    assertEquals(total + 2, dev.sotto.node.store.Unseal.countMessages(cluster.home("bob")),
        "bob's messages: alice's, and the HELLO with which his node answered her first contact, no more");
  }

  /** (a) Random bytes where a LinkHello belongs. */
  private void garbageBeforeTheHandshake() throws Exception {
    RawClient c = connect();
    byte[] garbage = RawClient.RANDOM.bytes(4 * LinkInitiator.HELLO_LENGTH);
    // The right version byte and a current time, so that the node reads on into the keys and the proof.
    ByteBuffer.wrap(garbage).put((byte) 0x02).putLong(Instant.now().getEpochSecond());
    writeQuietly(c, garbage);
    assertClosedSilently(c, "garbage");
    RawClient d = connect();
    writeQuietly(d, RawClient.RANDOM.bytes(LinkInitiator.HELLO_LENGTH));
    assertClosedSilently(d, "garbage with a random version byte");
    cluster.log("(a) garbage: closed");
  }

  /** (b) A well-formed LinkHello for another node's link key: the proof does not verify. */
  private void helloToTheWrongKey() throws Exception {
    RawClient c = connect();
    byte[] otherKey = LinkKey.generate(RawClient.RANDOM).publicKey();
    writeQuietly(c, LinkInitiator.start(otherKey, Instant.now(), RawClient.RANDOM).hello());
    assertClosedSilently(c, "hello to the wrong key");
    cluster.log("(b) wrong key: closed");
  }

  /** (c) After a good handshake: an undefined frame class, a tampered frame, a response from the initiator. */
  private void badFrames() throws Exception {
    RawClient c = link();
    byte[] badClass = new byte[1088];
    badClass[0] = 0x07;
    writeQuietly(c, badClass);
    assertClosedSilently(c, "frame class 0x07");

    RawClient d = link();
    byte[] frame = d.seal(Frame.deliver(d.nextRequestId(), RawClient.randomEnvelope()));
    frame[frame.length / 2] ^= 0x01;
    writeQuietly(d, frame);
    assertClosedSilently(d, "tampered ciphertext");

    RawClient e = link();
    byte[] tamperedClass = e.seal(Frame.deliver(e.nextRequestId(), RawClient.randomEnvelope()));
    tamperedClass[0] = 0x01; // class 1 is 4160 bytes: the frame read is the 1088 sent and more
    writeQuietly(e, tamperedClass);
    writeQuietly(e, new byte[4160 - 1088]);
    assertClosedSilently(e, "a frame under another class byte (the class is the AEAD's associated data)");

    RawClient f = link();
    writeQuietly(f, f.seal(Frame.ok(1)));
    assertClosedSilently(f, "a response frame from the initiator");
    cluster.log("(c) bad frames: closed");
  }

  /** (d) A frame sealed on one link, sent again on that link and on another. */
  private void replayedFrame() throws Exception {
    RawClient first = link();
    Frame request = Frame.deliver(first.nextRequestId(), RawClient.randomEnvelope());
    byte[] captured = first.seal(request);
    first.write(captured);
    assertEquals(ErrorCode.UNKNOWN_TAG.number(), RawClient.outcome(first.receive()), "the original is answered");

    RawClient second = link();
    writeQuietly(second, captured);
    assertClosedSilently(second, "a frame replayed on a new link");

    writeQuietly(first, captured);
    assertClosedSilently(first, "a frame replayed on its own link");
    cluster.log("(d) replays: closed");
  }

  /** (e) Requests the node refuses: answered with ERROR, and the link serves the next request. */
  private void badRequestsKeepTheLinkOpen() throws Exception {
    try (RawClient c = link()) {
      Frame unknownTag = c.callOne(Frame.deliver(c.nextRequestId(), RawClient.randomEnvelope()));
      assertEquals(ErrorCode.UNKNOWN_TAG.number(), RawClient.outcome(unknownTag), "DELIVER under a random tag");
      assertEquals(16, ErrorCode.UNKNOWN_TAG.number());
      Frame unknownType = c.callOne(Frame.of(0x33, c.nextRequestId(), new byte[0]));
      assertEquals(ErrorCode.UNSUPPORTED_REQUEST.number(), RawClient.outcome(unknownType), "request type 0x33");
      assertEquals(17, ErrorCode.UNSUPPORTED_REQUEST.number());
      Frame badEnvelope = c.callOne(Frame.of(Frame.DELIVER, c.nextRequestId(), new byte[] {Envelope.VERSION, 2, 3}));
      assertEquals(ErrorCode.INVALID_ENCODING.number(), RawClient.outcome(badEnvelope), "a 3-byte envelope");
      Frame badFetch = c.callOne(Frame.of(Frame.FETCH, c.nextRequestId(), new byte[] {0, 0}));
      assertEquals(ErrorCode.INVALID_ENCODING.number(), RawClient.outcome(badFetch), "FETCH of zero tags");
      Frame again = c.callOne(Frame.deliver(c.nextRequestId(), RawClient.randomEnvelope()));
      assertEquals(ErrorCode.UNKNOWN_TAG.number(), RawClient.outcome(again), "the link still serves");
    }
    cluster.log("(e) bad requests: ERROR, link open");
  }

  /**
   * (f) Floods on one link, pipelined from a second thread so that neither side waits for the
   * other's reads. 300 DEPOSITs: all within the rate limit's burst, but bob's total quota holds
   * 256 envelopes of 1 KiB, so the first 256 are stored and the rest are refused. Then 6,000
   * requests that cost bob nothing (type 0x33): the first 2,048 are served (the burst) and many
   * after them meet the rate limit.
   */
  private void flood() throws Exception {
    List<Frame> deposits = new ArrayList<>();
    for (int i = 1; i <= 300; i++) {
      deposits.add(Frame.deposit(i, RawClient.randomEnvelope()));
    }
    int[] outcomes = pipelined(deposits);
    int stored = count(outcomes, -1);
    cluster.log("(f) 300 deposits: " + stored + " OK, " + count(outcomes, ErrorCode.LIMIT_EXCEEDED.number())
        + " LIMIT_EXCEEDED");
    for (int i = 0; i < QUOTA; i++) {
      assertEquals(-1, outcomes[i], "deposit " + (i + 1) + " is within quota and burst");
    }
    assertEquals(300 - QUOTA, count(outcomes, ErrorCode.LIMIT_EXCEEDED.number()), "the rest are refused");
    assertEquals(QUOTA, cluster.node("bob").mailboxItems().size(), "bob's mailbox holds what he accepted");

    List<Frame> cheap = new ArrayList<>();
    for (int i = 1; i <= CHEAP; i++) {
      cheap.add(Frame.of(0x33, i, new byte[0]));
    }
    outcomes = pipelined(cheap);
    int limited = count(outcomes, ErrorCode.LIMIT_EXCEEDED.number());
    cluster.log("(f) " + CHEAP + " cheap requests: " + limited + " LIMIT_EXCEEDED");
    for (int i = 0; i < BURST; i++) {
      assertEquals(ErrorCode.UNSUPPORTED_REQUEST.number(), outcomes[i], "request " + (i + 1) + " is within the burst");
    }
    assertTrue(limited > 0, "the rate limit refuses some of " + CHEAP + " requests");
    assertEquals(CHEAP, limited + count(outcomes, ErrorCode.UNSUPPORTED_REQUEST.number()));
  }

  /** Sends the requests on a new link without waiting, reads one answer each; the link stays open. */
  private int[] pipelined(List<Frame> requests) throws Exception {
    try (RawClient c = link()) {
      List<byte[]> sealed = new ArrayList<>();
      for (Frame f : requests) {
        assertEquals(c.nextRequestId(), f.requestId());
        sealed.add(c.seal(f));
      }
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          for (byte[] f : sealed) {
            c.write(f);
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      int[] outcomes = new int[requests.size()];
      for (int i = 0; i < outcomes.length; i++) {
        Frame response = c.receive();
        assertEquals(i + 1, response.requestId(), "answers in request order");
        outcomes[i] = RawClient.outcome(response);
      }
      writer.get(30, TimeUnit.SECONDS);
      // The link stays open: requests are answered, by the rate limit until it lets one through.
      cluster.await(Duration.ofSeconds(10), "a request after the flood is served", () -> {
        int outcome = RawClient.outcome(c.callOne(Frame.deliver(c.nextRequestId(), RawClient.randomEnvelope())));
        if (outcome != ErrorCode.LIMIT_EXCEEDED.number()) {
          assertEquals(ErrorCode.UNKNOWN_TAG.number(), outcome, "DELIVER under a random tag");
          return true;
        }
        return false;
      });
      return outcomes;
    }
  }

  private static int count(int[] outcomes, int outcome) {
    int n = 0;
    for (int o : outcomes) {
      n += o == outcome ? 1 : 0;
    }
    return n;
  }

  /**
   * (g) More connections than the node holds at once (64 here): newcomers are not refused; the
   * connections that have waited longest without completing a hello are closed to make room, and
   * alice's authenticated link is not among them.
   */
  private void tooManyConnections() throws Exception {
    int extra = 8;
    int total = LINKS + extra;
    List<RawClient> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < total; i++) {
        sockets.add(connect());
        Thread.sleep(2); // in order: the first are the oldest
      }
      long deadline = System.nanoTime() + AT_ONCE.toNanos();
      int closed = 0;
      boolean[] isClosed = new boolean[total];
      while (closed < extra && System.nanoTime() - deadline < 0) {
        for (int i = 0; i < total; i++) {
          if (!isClosed[i] && sockets.get(i).closedNow()) {
            isClosed[i] = true;
            closed++;
          }
        }
      }
      cluster.log("(g) " + total + " connections: " + closed + " closed at once");
      assertTrue(closed >= extra, "at least " + extra + " of " + total + " connections closed at once, not " + closed);
      // Alice's link takes one of the 64 places, and a link of the steps before may not be
      // released yet: the oldest connections make room, the newest are served.
      for (int i = total - (LINKS - 4); i < total; i++) {
        assertTrue(!isClosed[i], "connection " + i + " (one of the newest) is served");
      }
      // A newcomer now gets in at once too, and makes a link: another unauthenticated one makes room.
      try (RawClient c = RawClient.link(port, bobKey)) {
        assertEquals(ErrorCode.UNKNOWN_TAG.number(),
            RawClient.outcome(c.callOne(Frame.deliver(c.nextRequestId(), RawClient.randomEnvelope()))));
      }
      Map<String, Long> counters = cluster.counters("bob");
      assertTrue(counters.get("evicted_unauthenticated") >= extra + 1, "evictions counted: " + counters);
      assertEquals(0, counters.get("refused_full"), "no newcomer refused: " + counters);
    } finally {
      sockets.forEach(RawClient::close);
    }
  }
}
