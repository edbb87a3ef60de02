package dev.sotto.conformance.harness;

import dev.sotto.Envelope;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.internal.group.GroupMessage;

/**
 * Authentic group messages whose content breaks a rule that only a receiver sees after opening
 * them, written by the runner from a chain's seed (spec: group.adoc#group-message, #group-seal):
 * what a member that owns the chain could send.
 */
final class GroupCraft {
  private GroupCraft() {}

  /**
   * The message {@code n} of the chain of {@code chainSeed}, sent by the member of fingerprint
   * {@code sender}, naming ({@code epoch}, {@code stateHash}), with content {@code type} and
   * {@code data} padded to the smallest bucket that holds it.
   */
  static byte[] message(byte[] groupId, byte[] chainSeed, long n, byte[] sender, long epoch, byte[] stateHash,
      int type, byte[] data) {
    GroupKdf.ChainMaterial chain = GroupKdf.chain(groupId, chainSeed);
    byte[] ck = chain.chainKey();
    for (long i = 0; i < n; i++) {
      ck = GroupKdf.nextChainKey(ck);
    }
    int size = 0;
    for (int bucket : Envelope.BUCKETS) {
      if (bucket - GroupMessage.OVERHEAD >= GroupMessage.CONTENT_HEADER + data.length) {
        size = bucket - GroupMessage.OVERHEAD;
        break;
      }
    }
    byte[] content = GroupMessage.content(type, data, size);
    byte[] ad = GroupMessage.ad(groupId, sender, chain.chainId(), n);
    byte[] signature = Ed25519.sign(chain.signingPrivate(), GroupMessage.signedMessage(ad, epoch, stateHash, content));
    byte[] body = GroupMessage.seal(GroupKdf.messageKey(ck), ad,
        GroupMessage.plaintext(epoch, stateHash, signature, content));
    return Bytes.concat(new byte[] {Envelope.VERSION}, GroupKdf.tag(chain.tagKey(), n), body);
  }

  /** A change's bytes (spec: group.adoc#group-change-table) with the given ops, each already encoded. */
  static byte[] change(byte[] groupId, long parentEpoch, byte[] parentHash, byte[] author, byte[]... ops) {
    Writer w = new Writer().u8(0x01).bytes(groupId).u64(parentEpoch).bytes(parentHash).bytes(author).u8(ops.length);
    for (byte[] op : ops) {
      w.bytes(op);
    }
    return w.toByteArray();
  }

  /** An ADD op of a public identity's bytes as given (68 bytes, possibly broken) as a member. */
  static byte[] add(byte[] identity) {
    return Bytes.concat(new byte[] {0x01}, identity, new byte[] {0x00});
  }
}
