package dev.sotto;

import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;

/**
 * A sender key (spec: group.adoc#group-sender-key): one member's chain, handed to another inside
 * their pairwise session. 211 bytes. Holds secrets: never shown.
 */
record GroupSenderKey(byte[] groupId, long epoch, byte[] stateHash, long chainId, long n, byte[] chainKey,
    byte[] tagKey, byte[] signingKey, byte[] takeSeed, boolean request) {
  static final int VERSION = 0x01;
  static final int LENGTH = 1 + 32 + 8 + 32 + 4 + 4 + 32 + 32 + KeyCodec.ED25519_ENCODED_LENGTH + 32 + 1;
  static final int FLAG_REQUEST = 0x01;

  byte[] encode() {
    return new Writer().u8(VERSION).bytes(groupId).u64(epoch).bytes(stateHash).u32(chainId).u32(n).bytes(chainKey)
        .bytes(tagKey).bytes(KeyCodec.ed25519(signingKey)).bytes(takeSeed).u8(request ? FLAG_REQUEST : 0)
        .toByteArray();
  }

  /**
   * Reads a sender key of the group {@code groupId}, in the order of its table.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, INVALID_ENCODING (another
   *     group's id, n above 999, undefined flags, a key type byte other than Ed25519's), INVALID_KEY
   */
  static GroupSenderKey parse(byte[] groupId, byte[] encoded) throws SottoException {
    Reader in = Reader.decrypted(encoded, "sender key");
    in.version(VERSION, "sender key");
    int idOffset = in.position();
    byte[] id = in.bytes(32, "group_id");
    if (!Arrays.equals(id, groupId)) {
      throw in.invalid("group_id", idOffset, "another group's sender key");
    }
    long epoch = in.u64("epoch");
    byte[] stateHash = in.bytes(32, "state_hash");
    long chainId = in.u32("chain_id");
    int nOffset = in.position();
    long n = in.u32("n");
    if (n > Group.MAX_CHAIN - 1) {
      throw in.invalid("n", nOffset, "beyond the chain bound");
    }
    byte[] chainKey = in.bytes(32, "chain_key");
    byte[] tagKey = in.bytes(32, "tag_key");
    byte[] signingKey = KeyCodec.readEd25519(in, "signing_key");
    byte[] takeSeed = in.bytes(32, "take_seed");
    int flagsOffset = in.position();
    int flags = in.u8("flags");
    if ((flags & ~FLAG_REQUEST) != 0) {
      throw in.invalid("flags", flagsOffset, "undefined flag bits");
    }
    in.end();
    return new GroupSenderKey(id, epoch, stateHash, chainId, n, chainKey, tagKey, signingKey, takeSeed,
        (flags & FLAG_REQUEST) != 0);
  }

  @Override
  public String toString() {
    return "GroupSenderKey[chain " + chainId + " at " + n + ", redacted]";
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof GroupSenderKey that && Arrays.equals(encode(), that.encode());
  }

  @Override
  public int hashCode() {
    return Long.hashCode(chainId);
  }
}
