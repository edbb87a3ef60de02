package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.node.Node;
import dev.sotto.node.store.Tx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A mailbox process with small quotas (spec: transport.adoc#mailbox): 5 items per tag, 8 KiB in
 * all (eight 1 KiB envelopes), of which deposits under tags that nobody fetches may fill half
 * (#mailbox-policy). Deposits beyond either are refused with LIMIT_EXCEEDED, an identical deposit
 * is stored once, a FETCH and ACK make room again, and an ACK deletes only items handed out on its
 * own link.
 */
class MailboxQuotaTest extends ClusterTest {
  private static final int LIMIT_EXCEEDED = ErrorCode.LIMIT_EXCEEDED.number();
  private static final int OK = -1;

  private final List<RawClient> clients = new ArrayList<>();
  private int port;
  private byte[] key;

  @BeforeEach
  void setUp() throws Exception {
    cluster.init("m", List.of());
    key = cluster.node("m").peerAddress().linkKey();
    port = cluster.start("m", "--tag-quota", "5", "--total-quota", String.valueOf(8 * 1024)).port();
  }

  @AfterEach
  void tearDown() {
    clients.forEach(RawClient::close);
  }

  private RawClient link() throws Exception {
    RawClient c = RawClient.link(port, key);
    clients.add(c);
    return c;
  }

  private static int deposit(RawClient c, Envelope e) throws Exception {
    return RawClient.outcome(c.callOne(Frame.deposit(c.nextRequestId(), e)));
  }

  private static int ack(RawClient c, List<Long> ids) throws Exception {
    return RawClient.outcome(c.callOne(Frame.ack(c.nextRequestId(), ids)));
  }

  private List<Tx.Item> held() throws Exception {
    return cluster.node("m").mailboxItems();
  }

  /** A FETCH of these tags, as their recipient makes: they become watched. */
  private void watch(byte[]... tags) throws Exception {
    RawClient c = link();
    List<Frame> answer = c.call(Frame.fetch(c.nextRequestId(), List.of(tags)));
    assertEquals(Frame.DONE, answer.get(answer.size() - 1).type());
  }

  private List<Long> heldIds() throws Exception {
    return held().stream().map(Tx.Item::id).toList();
  }

  @Test
  void quotasDuplicatesAndLinkScopedAcks() throws Exception {
    byte[] tagA = RawClient.RANDOM.bytes(Envelope.TAG_LENGTH);
    byte[] tagB = RawClient.RANDOM.bytes(Envelope.TAG_LENGTH);
    List<Envelope> a = new ArrayList<>();
    List<Envelope> b = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      a.add(RawClient.envelopeUnder(tagA));
      b.add(RawClient.envelopeUnder(tagB));
    }
    watch(tagA, tagB);
    RawClient depositor = link();

    // An identical envelope deposited twice is stored once; both answered OK.
    assertEquals(OK, deposit(depositor, a.get(0)));
    assertEquals(OK, deposit(depositor, a.get(0)), "the same envelope again");
    assertEquals(1, held().size(), "stored once");

    // The per-tag quota: five under tag A, the sixth refused.
    for (int i = 1; i < 5; i++) {
      assertEquals(OK, deposit(depositor, a.get(i)), "A" + i);
    }
    assertEquals(LIMIT_EXCEEDED, deposit(depositor, a.get(5)), "a sixth item under one tag");
    assertEquals(5, held().size());

    // 5 KiB held: more than the half that tags nobody fetches may fill.
    assertEquals(LIMIT_EXCEEDED, deposit(depositor, RawClient.randomEnvelope()), "an unwatched tag, past half");

    // The total quota: three more under tag B make 8 KiB; the next is refused.
    for (int i = 0; i < 3; i++) {
      assertEquals(OK, deposit(depositor, b.get(i)), "B" + i);
    }
    assertEquals(LIMIT_EXCEEDED, deposit(depositor, b.get(3)), "a ninth KiB");
    assertEquals(OK, deposit(depositor, b.get(0)), "a duplicate stores nothing, so it fits even now");
    assertEquals(8, held().size());

    // ACKs of items not handed out on the acknowledging link delete nothing.
    List<Long> all = heldIds();
    assertEquals(OK, ack(depositor, all), "ACK on the depositing link, which fetched nothing");
    RawClient stranger = link();
    assertEquals(OK, ack(stranger, all), "ACK on a link that fetched nothing");
    assertEquals(all, heldIds(), "nothing deleted");

    // FETCH hands out tag A's items in deposit order; an ACK on that link deletes two of them.
    RawClient fetcher = link();
    List<Frame> fetched = fetcher.call(Frame.fetch(fetcher.nextRequestId(), List.of(tagA, tagA)));
    assertEquals(6, fetched.size(), "five ITEMs and DONE: " + fetched);
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Frame item = fetched.get(i);
      assertEquals(Frame.ITEM, item.type());
      assertArrayEquals(a.get(i).encoded(), item.itemEnvelope().encoded(), "item " + i + " in deposit order");
      ids.add(item.itemId());
    }
    assertEquals(Frame.DONE, fetched.get(5).type());
    assertFalse(fetched.get(5).more(), "nothing more under tag A");
    assertEquals(OK, ack(stranger, ids), "another link's ACK of the handed-out ids");
    assertEquals(8, held().size(), "deletes nothing");
    List<Long> tagBIds = all.stream().filter(id -> !ids.contains(id)).toList();
    assertEquals(OK, ack(fetcher, tagBIds), "the fetching link's ACK of items it was not handed");
    assertEquals(8, held().size(), "deletes nothing");
    assertEquals(OK, ack(fetcher, ids.subList(0, 2)));
    List<Long> left = heldIds();
    assertEquals(6, left.size(), "two deleted");
    assertFalse(left.contains(ids.get(0)) || left.contains(ids.get(1)), "the acknowledged ones");

    // Room again: one more under A (now four of five) and one under B (8 KiB again); then full.
    assertEquals(OK, deposit(depositor, a.get(5)), "tag A has room");
    assertEquals(OK, deposit(depositor, b.get(3)), "the mailbox has room");
    assertEquals(LIMIT_EXCEEDED, deposit(depositor, b.get(4)), "full again");
    assertEquals(LIMIT_EXCEEDED, deposit(depositor, RawClient.randomEnvelope()), "full for a new tag too");
    assertEquals(8, held().size());

    // The ids stay deleted: acknowledging them again changes nothing.
    assertEquals(OK, ack(fetcher, ids.subList(0, 2)));
    assertEquals(8, held().size());
  }

  @Test
  void depositsOfALargerBucketCountTheirBytes() throws Exception {
    byte[] encoded = RawClient.RANDOM.bytes(Envelope.BUCKETS.get(1));
    encoded[0] = Envelope.VERSION;
    watch(Arrays.copyOfRange(encoded, 1, 1 + Envelope.TAG_LENGTH));
    RawClient c = link();
    assertEquals(OK, deposit(c, Envelope.parse(encoded)), "4 KiB");
    encoded[20] ^= 1;
    assertEquals(OK, deposit(c, Envelope.parse(encoded)), "8 KiB");
    assertEquals(LIMIT_EXCEEDED, deposit(c, RawClient.randomEnvelope()), "one KiB more");
    Node m = cluster.node("m");
    assertEquals(2, m.mailboxItems().size());
    Map<String, Long> counters = cluster.counters("m");
    assertEquals(2, counters.get("mailbox_deposits"), counters.toString());
    assertEquals(1, counters.get("mailbox_refused_open_full"), "the last one, under a tag nobody fetches: past half");
  }
}
