package dev.sotto.internal.group;

import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;

/**
 * A group message (spec: group.adoc#group-message): the body of an envelope,
 * {@code version || siv || Seal(key, nonce, AD, epoch || state_hash || signature || content)}.
 * Sans-IO and stateless: keys in, bytes out.
 */
public final class GroupMessage {
  public static final int VERSION = 0x01;
  public static final int ENVELOPE_HEADER = 17;
  /** epoch (8) || state_hash (32) || signature (64), before the content. */
  public static final int PLAINTEXT_HEADER = 8 + 32 + Ed25519.SIGNATURE_LENGTH;
  /** Everything in an envelope but the content: the envelope's header, version, siv, AEAD tag and plaintext header. */
  public static final int OVERHEAD = ENVELOPE_HEADER + 1 + GroupKdf.SIV_LENGTH + Aead.TAG_LENGTH + PLAINTEXT_HEADER;
  public static final int TYPE_PAYLOAD = 0x01;
  public static final int TYPE_CHANGE = 0x02;
  /** type u8 || length u32. */
  public static final int CONTENT_HEADER = 5;

  private GroupMessage() {}

  /** AD = 0x01 || group_id || sender fingerprint || chain_id u32 || n u32 (73 bytes). */
  public static byte[] ad(byte[] groupId, byte[] senderFingerprint, long chainId, long n) {
    return new Writer().u8(VERSION).bytes(groupId).bytes(senderFingerprint).u32(chainId).u32(n).toByteArray();
  }

  /** The content padded to {@code size}: type u8 || length u32 || data || zeros. */
  public static byte[] content(int type, byte[] data, int size) {
    if (CONTENT_HEADER + data.length > size) {
      throw new IllegalArgumentException("group content does not fit " + size + " bytes");
    }
    byte[] out = new byte[size];
    byte[] head = new Writer().u8(type).u32(data.length).toByteArray();
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(data, 0, out, head.length, data.length);
    return out;
  }

  /** What the signature covers: "sotto/v2/group/signature" || AD || epoch u64 || state_hash || content. */
  public static byte[] signedMessage(byte[] ad, long epoch, byte[] stateHash, byte[] content) {
    return Bytes.concat(Labels.GROUP_SIGNATURE, ad, new Writer().u64(epoch).toByteArray(), stateHash, content);
  }

  /** The plaintext: epoch u64 || state_hash || signature || content. */
  public static byte[] plaintext(long epoch, byte[] stateHash, byte[] signature, byte[] content) {
    return Bytes.concat(new Writer().u64(epoch).toByteArray(), stateHash, signature, content);
  }

  /** Seals a plaintext under MK: the body {@code 0x01 || siv || sealed}. */
  public static byte[] seal(byte[] messageKey, byte[] ad, byte[] plaintext) {
    byte[] siv = GroupKdf.siv(messageKey, ad, plaintext);
    byte[] keyAndNonce = GroupKdf.bodyKey(messageKey, siv);
    try {
      return Bytes.concat(new byte[] {VERSION}, siv, Aead.sealWith(keyAndNonce, ad, plaintext));
    } finally {
      Arrays.fill(keyAndNonce, (byte) 0);
    }
  }

  /** A body's version and siv, read before any key is needed. */
  public record Head(byte[] siv, byte[] sealed) {}

  /** Reads version and siv: UNSUPPORTED_VERSION, TRUNCATED. */
  public static Head head(byte[] body) throws SottoException {
    Reader in = new Reader(body, "group message");
    in.version(VERSION, "group message");
    byte[] siv = in.bytes(GroupKdf.SIV_LENGTH, "siv");
    return new Head(siv, in.bytes(in.remaining(), "sealed"));
  }

  /** Opens the sealed part: AUTH_FAILED. */
  public static byte[] open(byte[] messageKey, byte[] ad, Head head) throws SottoException {
    byte[] keyAndNonce = GroupKdf.bodyKey(messageKey, head.siv());
    try {
      return Aead.openWith(keyAndNonce, ad, head.sealed());
    } finally {
      Arrays.fill(keyAndNonce, (byte) 0);
    }
  }

  /** A decrypted plaintext, read. */
  public record Plain(long epoch, byte[] stateHash, byte[] signature, byte[] content, int type, byte[] data) {}

  /** Reads a decrypted plaintext (spec: group.adoc#group-open step 4). */
  public static Plain read(byte[] plaintext) throws SottoException {
    Reader in = Reader.decrypted(plaintext, "group message");
    long epoch = in.u64("epoch");
    byte[] stateHash = in.bytes(32, "state_hash");
    byte[] signature = in.bytes(Ed25519.SIGNATURE_LENGTH, "signature");
    int contentStart = in.position();
    int type = in.u8("type");
    if (type != TYPE_PAYLOAD && type != TYPE_CHANGE) {
      throw in.invalid("type", contentStart, "content type");
    }
    long length = in.u32("length");
    byte[] data = in.bytes(length, "data");
    in.zeros("padding");
    return new Plain(epoch, stateHash, signature, Arrays.copyOfRange(plaintext, contentStart, plaintext.length), type, data);
  }

  /** Verifies the signature under the chain's key: BAD_SIGNATURE. */
  public static void verify(byte[] signingKey, byte[] ad, Plain plain) throws SottoException {
    if (!Ed25519.verify(signingKey, signedMessage(ad, plain.epoch(), plain.stateHash(), plain.content()), plain.signature())) {
      throw new SottoException(ErrorCode.BAD_SIGNATURE, "group message: the signature is not the sender chain's");
    }
  }
}
