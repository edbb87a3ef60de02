package dev.sotto.node;

import dev.sotto.Envelope;
import dev.sotto.Fingerprint;
import dev.sotto.Frame;
import dev.sotto.Group;
import dev.sotto.GroupState;
import dev.sotto.NodeMessage;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.internal.group.GroupMessage;
import dev.sotto.node.net.LinkChannel;
import dev.sotto.node.net.WireTap;
import java.util.Arrays;
import java.util.List;

/**
 * For tests in other packages: what a member that holds another member's chain can write in that
 * member's name (spec: group.adoc#group-learns, authorship). It holds the chain key, the tag key
 * and the chain's public signing key, so it can seal the chain's next message, under the tag the
 * others watch; it cannot sign with the chain's key, and signs with one of its own.
 */
public final class GroupForgery {
  private GroupForgery() {}

  /**
   * The next message of {@code author}'s newest chain as {@code holder} stores it (read beside its
   * running process), a text message saying {@code text}, signed with a fresh key.
   */
  public static Envelope forge(Node holder, String group, Fingerprint author, String text, RandomSource random)
      throws Exception {
    Group g = holder.group(group);
    Peek chain = Peek.newest(g.serialize(), author);
    GroupState tip = g.state();
    byte[] ad = GroupMessage.ad(g.groupId(), author.bytes(), chain.chainId(), chain.nr());
    byte[] content = GroupMessage.content(GroupMessage.TYPE_PAYLOAD,
        NodeMessage.text(1_000, System.currentTimeMillis() / 1000, text).encode(), 1024 - GroupMessage.OVERHEAD);
    byte[] signature = Ed25519.sign(random.bytes(32), GroupMessage.signedMessage(ad, tip.epoch(), tip.hash(), content));
    byte[] body = GroupMessage.seal(GroupKdf.messageKey(chain.chainKey()), ad,
        GroupMessage.plaintext(tip.epoch(), tip.hash(), signature, content));
    return Envelope.parse(Bytes.concat(new byte[] {Envelope.VERSION}, GroupKdf.tag(chain.tagKey(), chain.nr()), body));
  }

  /**
   * Deposits {@code envelope} at the group's first mailbox, as {@code holder} knows it, with the
   * one leaf the holder can compute for its tag, its own (the others' take seeds for the author's
   * chain are the author's and theirs alone): the mailbox hands it to the holder's FETCH_GROUP and
   * to no other member's. The answer's type.
   */
  public static int deposit(Node holder, String group, Envelope envelope, RandomSource random) throws Exception {
    Group g = holder.group(group);
    GroupState.Mailbox m = g.state().mailboxes().get(0);
    byte[] own = g.watches().stream().filter(w -> Arrays.equals(w.tag(), envelope.tag())).findFirst().orElseThrow()
        .leaf();
    try (LinkChannel link = LinkChannel.connect(m.address(), "forger", random, 10_000, WireTap.NONE)) {
      return link.call(Frame.depositGroup(link.nextRequestId(), List.of(own), envelope)).get(0).type();
    }
  }

  /** A receiving chain read out of a serialized group: the layout of {@code Group.serialize}. */
  private record Peek(long chainId, byte[] tagKey, byte[] chainKey, long nr) {
    /** The sender's newest chain: each sender's chains are written oldest first. */
    static Peek newest(byte[] serialized, Fingerprint sender) throws SottoException {
      Reader in = new Reader(serialized, "group");
      in.bytes(1 + 2 + PublicIdentity.ENCODED_LENGTH + 1, "version, suite, me, flags");
      in.bytes(in.u32("base_length"), "base");
      for (int i = 0, n = in.u16("changes"); i < n; i++) {
        in.bytes(in.u32("change_length"), "change");
      }
      for (int i = 0, n = in.u8("pending"); i < n; i++) {
        in.bytes(in.u32("pending_length"), "pending");
      }
      if (in.u8("own") == 1) {
        in.bytes(4 + 8 + 32 + 8 + 32 + 4 + 32 + 32 + 32, "own chain");
      }
      Peek found = null;
      for (int i = 0, n = in.u16("chains"); i < n; i++) {
        byte[] fingerprint = in.bytes(32, "sender");
        long id = in.u32("chain_id");
        in.bytes(8 + 32 + 32, "epoch, state hash, signing key");
        byte[] tagKey = in.bytes(32, "tk");
        in.bytes(32, "take seed");
        byte[] chainKey = in.bytes(32, "ck");
        long nr = in.u32("nr");
        if (Arrays.equals(fingerprint, sender.bytes())) {
          found = new Peek(id, tagKey, chainKey, nr);
        }
      }
      if (found == null) {
        throw new IllegalStateException("the holder holds no chain of " + sender);
      }
      return found;
    }
  }
}
