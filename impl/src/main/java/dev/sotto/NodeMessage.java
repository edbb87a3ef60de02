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
 * {@code kind u8 || seq u64 || sent_at u64 || body}, a HELLO (the sender's name and card) or a
 * TEXT.
 */
public final class NodeMessage {
  public static final int HELLO = 0x01;
  public static final int TEXT = 0x02;
  public static final int MAX_NAME_BYTES = 64;
  public static final int MAX_TEXT_BYTES = 65_536;

  private final int kind;
  private final long seq;
  private final long sentAt;
  private final String name;
  private final Card card;
  private final String text;

  private NodeMessage(int kind, long seq, long sentAt, String name, Card card, String text) {
    this.kind = kind;
    this.seq = seq;
    this.sentAt = sentAt;
    this.name = name;
    this.card = card;
    this.text = text;
  }

  /** A HELLO: the sender's name for itself (1 to 64 UTF-8 bytes) and a current card of the sender. */
  public static NodeMessage hello(long seq, long sentAt, String name, Card card) {
    int length = name.getBytes(StandardCharsets.UTF_8).length;
    if (length == 0 || length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException("a name is 1.." + MAX_NAME_BYTES + " UTF-8 bytes");
    }
    checkCounters(seq, sentAt);
    return new NodeMessage(HELLO, seq, sentAt, name, Objects.requireNonNull(card), null);
  }

  /** A TEXT of at most 65,536 UTF-8 bytes. */
  public static NodeMessage text(long seq, long sentAt, String text) {
    if (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES) {
      throw new IllegalArgumentException("a text is at most " + MAX_TEXT_BYTES + " UTF-8 bytes");
    }
    checkCounters(seq, sentAt);
    return new NodeMessage(TEXT, seq, sentAt, null, null, text);
  }

  private static void checkCounters(long seq, long sentAt) {
    if (seq < 0 || sentAt < 0) {
      throw new IllegalArgumentException("seq and sent_at are below 2^63");
    }
  }

  public byte[] encode() {
    Writer w = new Writer().u8(kind).u64(seq).u64(sentAt);
    if (kind == HELLO) {
      byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
      w.u8(nameBytes.length).bytes(nameBytes).bytes(card.encoded());
    } else {
      w.bytes(text.getBytes(StandardCharsets.UTF_8));
    }
    return w.toByteArray();
  }

  /**
   * Reads a node message that arrived in a session with {@code sender}.
   *
   * @throws SottoException TRUNCATED, INVALID_ENCODING (unknown kind, a name of 0 or more than 64
   *     bytes, text that is not UTF-8 or too long), and for a HELLO every error of
   *     {@link Card#parse(byte[], Instant, PublicIdentity)} (IDENTITY_MISMATCH when the card is
   *     someone else's)
   */
  public static NodeMessage parse(byte[] payload, Instant now, PublicIdentity sender) throws SottoException {
    Reader in = new Reader(payload, "node_message");
    int kind = in.u8("kind");
    if (kind != HELLO && kind != TEXT) {
      throw in.invalid("kind", 0, "node message kind " + kind + " is not defined");
    }
    long seq = in.u64("seq");
    long sentAt = in.u64("sent_at");
    if (kind == HELLO) {
      int nameOffset = in.position();
      int nameLength = in.u8("name_length");
      if (nameLength == 0 || nameLength > MAX_NAME_BYTES) {
        throw in.invalid("name_length", nameOffset, "a name is 1.." + MAX_NAME_BYTES + " bytes");
      }
      String name = utf8(in.bytes(nameLength, "name"), in, nameOffset + 1);
      Card card = Card.parse(in.bytes(in.remaining(), "card"), now, sender);
      return new NodeMessage(HELLO, seq, sentAt, name, card, null);
    }
    int textOffset = in.position();
    if (in.remaining() > MAX_TEXT_BYTES) {
      throw in.invalid("text", textOffset, "a text is at most " + MAX_TEXT_BYTES + " bytes");
    }
    String text = utf8(in.bytes(in.remaining(), "text"), in, textOffset);
    return new NodeMessage(TEXT, seq, sentAt, null, null, text);
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

  public long seq() {
    return seq;
  }

  /** The sender's clock, seconds since the epoch. */
  public long sentAt() {
    return sentAt;
  }

  /** The sender's name for itself (HELLO only; null otherwise). */
  public String name() {
    return name;
  }

  /** The sender's card (HELLO only; null otherwise). */
  public Card card() {
    return card;
  }

  /** The text (TEXT only; null otherwise). */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return "NodeMessage[" + (kind == HELLO ? "HELLO" : "TEXT") + ", seq=" + seq + "]";
  }
}
