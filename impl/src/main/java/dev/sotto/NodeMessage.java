package dev.sotto;

import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * What the reference node puts in each session payload (spec: transport.adoc#node-messages):
 * {@code kind u8 || seq u64 || sent_at u64 || body}, a HELLO (the sender's name and card), a
 * TEXT, a RESET (a new session replacing a broken one: the sender's sequence marks, name and
 * card), a SYNC (the answer to a RESET: the answerer's sequence marks), a DROPPED (the answer
 * to a first contact that its responder did not keep), or, for groups, a GROUP_KEY (a sender key)
 * or a GROUP_WELCOME (a group state for a member just added).
 */
public final class NodeMessage {
  public static final int HELLO = 0x01;
  public static final int TEXT = 0x02;
  public static final int RESET = 0x03;
  public static final int SYNC = 0x04;
  public static final int DROPPED = 0x05;
  /** A sender key of a group (spec: group.adoc#group-sender-key), handed over in a session. */
  public static final int GROUP_KEY = 0x06;
  /** A welcome to a group: the group state of the change that added the receiver. */
  public static final int GROUP_WELCOME = 0x07;
  /**
   * A group message's envelope, sent in the pairwise session when the group's mailboxes cannot be
   * reached (spec: group.adoc#group-delivery), opened by the group layer.
   */
  public static final int GROUP_ENVELOPE = 0x08;
  /** The length of a GROUP_KEY's body: a sender key. */
  public static final int GROUP_KEY_LENGTH = 211;
  public static final int MAX_NAME_BYTES = 64;
  public static final int MAX_TEXT_BYTES = 65_536;

  private final int kind;
  private final long seq;
  private final long sentAt;
  private final long inSeq;
  private final long outSeq;
  private final String name;
  private final PrekeyBundle bundle;
  private final String text;
  private byte[] group;

  private NodeMessage(int kind, long seq, long sentAt, long inSeq, long outSeq, String name, PrekeyBundle bundle,
      String text) {
    this.kind = kind;
    this.seq = seq;
    this.sentAt = sentAt;
    this.inSeq = inSeq;
    this.outSeq = outSeq;
    this.name = name;
    this.bundle = bundle;
    this.text = text;
  }

  /**
   * A HELLO: the sender's name for itself (1 to 64 UTF-8 bytes), a current card of the sender and a
   * current bundle of that card (so that the receiver can make a first contact again without
   * fetching prekeys).
   */
  public static NodeMessage hello(long seq, long sentAt, String name, PrekeyBundle bundle) {
    checkName(name);
    checkCounters(seq, sentAt, 0, 0);
    return new NodeMessage(HELLO, seq, sentAt, -1, -1, name, Objects.requireNonNull(bundle), null);
  }

  /** A TEXT of at most 65,536 UTF-8 bytes. */
  public static NodeMessage text(long seq, long sentAt, String text) {
    if (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES) {
      throw new IllegalArgumentException("a text is at most " + MAX_TEXT_BYTES + " UTF-8 bytes");
    }
    checkCounters(seq, sentAt, 0, 0);
    return new NodeMessage(TEXT, seq, sentAt, -1, -1, null, null, text);
  }

  /**
   * A RESET (spec: transport.adoc#node-messages): the payload of a first contact that replaces the
   * session with a known contact.
   *
   * @param inSeq the next seq the sender expects from the receiver (every earlier one was
   *     delivered to the sender in order)
   * @param outSeq the sender's next new seq (every seq below it was sent before)
   */
  public static NodeMessage reset(long seq, long sentAt, long inSeq, long outSeq, String name, PrekeyBundle bundle) {
    checkName(name);
    checkCounters(seq, sentAt, inSeq, outSeq);
    return new NodeMessage(RESET, seq, sentAt, inSeq, outSeq, name, Objects.requireNonNull(bundle), null);
  }

  /** A SYNC: the receiver of a RESET answers with its own marks, as for {@link #reset}. */
  public static NodeMessage sync(long seq, long sentAt, long inSeq, long outSeq) {
    checkCounters(seq, sentAt, inSeq, outSeq);
    return new NodeMessage(SYNC, seq, sentAt, inSeq, outSeq, null, null, null);
  }

  /**
   * A DROPPED (spec: transport.adoc#node-messages): the only payload a node seals in the session of
   * a first contact it accepted and did not keep (its requests through that card were at their
   * bound), so that the initiator learns it. {@code seq} is not used up; a node that keeps no
   * conversation with the receiver writes 0.
   */
  public static NodeMessage dropped(long seq, long sentAt) {
    checkCounters(seq, sentAt, 0, 0);
    return new NodeMessage(DROPPED, seq, sentAt, -1, -1, null, null, null);
  }

  /**
   * A GROUP_KEY (spec: transport.adoc#node-messages): a sender key of 211 bytes, read by the group
   * layer when the receiver applies it. {@code seq} is not used up.
   */
  public static NodeMessage groupKey(long seq, long sentAt, byte[] senderKey) {
    checkCounters(seq, sentAt, 0, 0);
    if (senderKey.length != GROUP_KEY_LENGTH) {
      throw new IllegalArgumentException("a sender key is " + GROUP_KEY_LENGTH + " bytes");
    }
    NodeMessage m = new NodeMessage(GROUP_KEY, seq, sentAt, -1, -1, null, null, null);
    m.group = senderKey.clone();
    return m;
  }

  /** A GROUP_WELCOME: a group state (at least one byte), read by the group layer. {@code seq} is not used up. */
  public static NodeMessage groupWelcome(long seq, long sentAt, byte[] state) {
    checkCounters(seq, sentAt, 0, 0);
    if (state.length == 0) {
      throw new IllegalArgumentException("a welcome holds a group state");
    }
    NodeMessage m = new NodeMessage(GROUP_WELCOME, seq, sentAt, -1, -1, null, null, null);
    m.group = state.clone();
    return m;
  }

  /**
   * A GROUP_ENVELOPE: a group message's envelope (spec: transport.adoc#node-messages), opened by
   * the group layer. {@code seq} is not used up.
   */
  public static NodeMessage groupEnvelope(long seq, long sentAt, Envelope envelope) {
    checkCounters(seq, sentAt, 0, 0);
    NodeMessage m = new NodeMessage(GROUP_ENVELOPE, seq, sentAt, -1, -1, null, null, null);
    m.group = envelope.encoded();
    return m;
  }

  /** The body of a GROUP_KEY, GROUP_WELCOME or GROUP_ENVELOPE (a sender key, a group state, an envelope); null otherwise. */
  public byte[] groupData() {
    return group == null ? null : group.clone();
  }

  private static void checkName(String name) {
    int length = name.getBytes(StandardCharsets.UTF_8).length;
    if (length == 0 || length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException("a name is 1.." + MAX_NAME_BYTES + " UTF-8 bytes");
    }
  }

  private static void checkCounters(long seq, long sentAt, long inSeq, long outSeq) {
    if (seq < 0 || sentAt < 0 || inSeq < 0 || outSeq < 0) {
      throw new IllegalArgumentException("seq, sent_at, in_seq and out_seq are below 2^63");
    }
  }

  public byte[] encode() {
    Writer w = new Writer().u8(kind).u64(seq).u64(sentAt);
    switch (kind) {
      case HELLO -> cardAndBundle(name(w));
      case TEXT -> w.bytes(text.getBytes(StandardCharsets.UTF_8));
      case RESET -> cardAndBundle(name(w.u64(inSeq).u64(outSeq)));
      case DROPPED -> { }
      case GROUP_KEY, GROUP_WELCOME, GROUP_ENVELOPE -> w.bytes(group);
      default -> w.u64(inSeq).u64(outSeq);
    }
    return w.toByteArray();
  }

  private void cardAndBundle(Writer w) {
    byte[] card = bundle.card().encoded();
    w.u16(card.length).bytes(card).bytes(bundle.encoded());
  }

  private Writer name(Writer w) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    return w.u8(nameBytes.length).bytes(nameBytes);
  }

  /**
   * Reads a node message that arrived in a session with {@code sender}, each field checked as it
   * is read.
   *
   * @throws SottoException TRUNCATED, INVALID_ENCODING (unknown kind, a u64 of 2^63 or more, a
   *     name of 0 or more than 64 bytes, a name or text that is not UTF-8, a text too long),
   *     TRAILING_DATA (bytes after a SYNC, a DROPPED or a GROUP_KEY's 211), a GROUP_ENVELOPE's envelope's
   *     errors (TRUNCATED, UNSUPPORTED_VERSION, INVALID_ENCODING), and for a HELLO or a RESET every error of
   *     {@link Card#parse(byte[], Instant, PublicIdentity)} (IDENTITY_MISMATCH when the card is
   *     someone else's)
   */
  public static NodeMessage parse(byte[] payload, Instant now, PublicIdentity sender) throws SottoException {
    Reader in = Reader.decrypted(payload, "node_message");
    int kind = in.u8("kind");
    if (kind < HELLO || kind > GROUP_ENVELOPE) {
      throw in.invalid("kind", 0, "node message kind " + kind + " is not defined");
    }
    long seq = in.u64("seq");
    long sentAt = in.u64("sent_at");
    switch (kind) {
      case HELLO -> {
        String name = readName(in);
        PrekeyBundle bundle = cardAndBundle(in, now, sender);
        return new NodeMessage(HELLO, seq, sentAt, -1, -1, name, bundle, null);
      }
      case TEXT -> {
        int textOffset = in.position();
        if (in.remaining() > MAX_TEXT_BYTES) {
          throw in.invalid("text", textOffset, "a text is at most " + MAX_TEXT_BYTES + " bytes");
        }
        String text = utf8(in.bytes(in.remaining(), "text"), in, textOffset);
        return new NodeMessage(TEXT, seq, sentAt, -1, -1, null, null, text);
      }
      case RESET -> {
        long inSeq = in.u64("in_seq");
        long outSeq = in.u64("out_seq");
        String name = readName(in);
        PrekeyBundle bundle = cardAndBundle(in, now, sender);
        return new NodeMessage(RESET, seq, sentAt, inSeq, outSeq, name, bundle, null);
      }
      case DROPPED -> {
        in.end();
        return new NodeMessage(DROPPED, seq, sentAt, -1, -1, null, null, null);
      }
      case GROUP_KEY -> {
        byte[] key = in.bytes(GROUP_KEY_LENGTH, "sender_key");
        in.end();
        return groupKey(seq, sentAt, key);
      }
      case GROUP_WELCOME -> {
        if (in.remaining() == 0) {
          in.bytes(1, "state");
        }
        return groupWelcome(seq, sentAt, in.bytes(in.remaining(), "state"));
      }
      case GROUP_ENVELOPE -> {
        return groupEnvelope(seq, sentAt, Envelope.parse(in.bytes(in.remaining(), "envelope")));
      }
      default -> {
        long inSeq = in.u64("in_seq");
        long outSeq = in.u64("out_seq");
        in.end();
        return new NodeMessage(SYNC, seq, sentAt, inSeq, outSeq, null, null, null);
      }
    }
  }

  private static String readName(Reader in) throws SottoException {
    int nameOffset = in.position();
    int nameLength = in.u8("name_length");
    if (nameLength == 0 || nameLength > MAX_NAME_BYTES) {
      throw in.invalid("name_length", nameOffset, "a name is 1.." + MAX_NAME_BYTES + " bytes");
    }
    return utf8(in.bytes(nameLength, "name"), in, nameOffset + 1);
  }

  /**
   * The card and bundle of a HELLO or RESET: the card is read at {@code now} and must be the
   * sender's; the bundle is read under it, its time not checked (it may expire while the message
   * waits at a mailbox; the receiver checks it when it uses it). Their errors keep their code, and
   * their text no value of the decrypted card.
   */
  private static PrekeyBundle cardAndBundle(Reader in, Instant now, PublicIdentity sender) throws SottoException {
    int length = in.u16("card_length");
    byte[] encodedCard = in.bytes(length, "card");
    byte[] encodedBundle = in.bytes(in.remaining(), "bundle");
    Card card;
    try {
      card = Card.parse(encodedCard, now, sender);
    } catch (SottoException e) {
      throw new SottoException(e.code(), "node_message: the card is refused");
    }
    try {
      return PrekeyBundle.parseStored(encodedBundle, card);
    } catch (SottoException e) {
      throw new SottoException(e.code(), "node_message: the bundle is refused");
    }
  }

  private static String utf8(byte[] bytes, Reader in, int offset) throws SottoException {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw in.invalid("utf-8", offset, "not UTF-8");
    }
  }

  public int kind() {
    return kind;
  }

  /**
   * For HELLO and TEXT the message's sequence number; for RESET and SYNC the sender's next new seq,
   * which they do not use up; for DROPPED a number the receiver does not use.
   */
  public long seq() {
    return seq;
  }

  /** The sender's clock, seconds since the epoch. */
  public long sentAt() {
    return sentAt;
  }

  /** RESET and SYNC: the next seq the sender expects from the receiver; -1 for the other kinds. */
  public long inSeq() {
    return inSeq;
  }

  /** RESET and SYNC: the sender's next new seq; -1 for the other kinds. */
  public long outSeq() {
    return outSeq;
  }

  /** The sender's name for itself (HELLO and RESET; null otherwise). */
  public String name() {
    return name;
  }

  /** The sender's card (HELLO and RESET; null otherwise). */
  public Card card() {
    return bundle == null ? null : bundle.card();
  }

  /** The sender's bundle of its card (HELLO and RESET; null otherwise); its time was not checked. */
  public PrekeyBundle bundle() {
    return bundle;
  }

  /** The text (TEXT only; null otherwise). */
  public String text() {
    return text;
  }

  /** The kind's name in the spec: HELLO, TEXT, RESET, SYNC or DROPPED. */
  public static String kindName(int kind) {
    return switch (kind) {
      case HELLO -> "HELLO";
      case TEXT -> "TEXT";
      case RESET -> "RESET";
      case SYNC -> "SYNC";
      case DROPPED -> "DROPPED";
      case GROUP_KEY -> "GROUP_KEY";
      case GROUP_WELCOME -> "GROUP_WELCOME";
      case GROUP_ENVELOPE -> "GROUP_ENVELOPE";
      default -> "kind " + kind;
    };
  }

  @Override
  public String toString() {
    return "NodeMessage[" + kindName(kind) + ", seq=" + seq
        + (kind == RESET || kind == SYNC ? ", in_seq=" + inSeq + ", out_seq=" + outSeq : "") + "]";
  }
}
