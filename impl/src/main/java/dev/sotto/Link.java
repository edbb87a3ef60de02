package dev.sotto;

import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;
import java.util.List;

/**
 * An established link (spec: transport.adoc#frames): seals the frames one side sends and opens
 * the frames it receives, each direction under its own key with a counter nonce. It does no
 * I/O: the caller reads the class byte, asks {@link #frameLength(int)} how many bytes make the
 * frame, and hands the whole frame to {@link #open(byte[])}.
 *
 * <p>Any failure of {@link #open} is a link error: the counters can no longer be trusted and
 * the caller must close the connection. A failed open leaves the receiving counter unchanged.
 */
public final class Link {
  /** Frame sizes on the wire, by class: each envelope bucket plus 64 bytes. */
  public static final List<Integer> FRAME_SIZES = List.of(1088, 4160, 16448, 65600);
  /** Header of a frame's plaintext: type u8 || request_id u32 || length u32. */
  static final int PLAINTEXT_HEADER = 9;
  /** A link is closed before either counter reaches this value. */
  public static final long MAX_FRAMES = 1L << 32;

  private final boolean initiator;
  private final byte[] sendKey;
  private final byte[] receiveKey;
  private final byte[] transcript;
  private long sent;
  private long received;

  Link(boolean initiator, byte[] initiatorToResponder, byte[] responderToInitiator, byte[] transcript) {
    this.initiator = initiator;
    this.sendKey = (initiator ? initiatorToResponder : responderToInitiator).clone();
    this.receiveKey = (initiator ? responderToInitiator : initiatorToResponder).clone();
    this.transcript = transcript.clone();
  }

  /** Whether this side opened the connection (and so sends requests). */
  public boolean isInitiator() {
    return initiator;
  }

  /** The largest frame body of a class: the plaintext size minus the 9-byte header. */
  public static int capacity(int frameClass) {
    return FRAME_SIZES.get(frameClass) - 1 - Aead.TAG_LENGTH - PLAINTEXT_HEADER;
  }

  /** The largest body any frame can carry (65,574 bytes). */
  public static int maxBody() {
    return capacity(FRAME_SIZES.size() - 1);
  }

  /**
   * The length of the whole frame (class byte included) that begins with this class byte.
   *
   * @throws SottoException INVALID_ENCODING for a class above 3
   */
  public static int frameLength(int classByte) throws SottoException {
    if (classByte < 0 || classByte >= FRAME_SIZES.size()) {
      throw new SottoException(ErrorCode.INVALID_ENCODING, "frame class " + classByte + " is not defined");
    }
    return FRAME_SIZES.get(classByte);
  }

  /**
   * Seals a frame into the bytes to send: the smallest class that holds its body.
   *
   * @throws IllegalStateException when the sending counter is spent (close the link)
   */
  public synchronized byte[] seal(Frame frame) {
    if (sent >= MAX_FRAMES) {
      throw new IllegalStateException("the link has sent its last frame; open a new one");
    }
    byte[] body = frame.body();
    int frameClass = 0;
    while (capacity(frameClass) < body.length) {
      frameClass++;
    }
    int plaintextLength = FRAME_SIZES.get(frameClass) - 1 - Aead.TAG_LENGTH;
    byte[] plaintext = new byte[plaintextLength];
    byte[] header = new Writer().u8(frame.type()).u32(frame.requestId()).u32(body.length).toByteArray();
    System.arraycopy(header, 0, plaintext, 0, header.length);
    System.arraycopy(body, 0, plaintext, header.length, body.length);
    byte[] classByte = {(byte) frameClass};
    byte[] sealed = Aead.seal(sendKey, nonce(sent), classByte, plaintext);
    sent++;
    return Bytes.concat(classByte, sealed);
  }

  /**
   * Opens a received frame (class byte included).
   *
   * @throws SottoException INVALID_ENCODING (class, length, padding), TRUNCATED or TRAILING_DATA
   *     (a frame whose length is not its class's), AUTH_FAILED (wrong key, tampered, replayed or
   *     out of order); every one of them is a link error
   */
  public synchronized Frame open(byte[] wire) throws SottoException {
    if (received >= MAX_FRAMES) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "the link has received its last frame");
    }
    Reader in = new Reader(wire, "frame");
    int frameClass = in.u8("class");
    int length = frameLength(frameClass);
    byte[] sealed = in.bytes(length - 1, "sealed");
    in.end();
    byte[] plaintext = Aead.open(receiveKey, nonce(received), new byte[] {(byte) frameClass}, sealed);
    Reader p = new Reader(plaintext, "frame plaintext");
    int type = p.u8("type");
    long requestId = p.u32("request_id");
    int lengthOffset = p.position();
    long bodyLength = p.u32("length");
    if (bodyLength > capacity(frameClass)) {
      throw p.invalid("length", lengthOffset, "a body of " + bodyLength + " bytes does not fit a frame of class " + frameClass);
    }
    byte[] body = p.bytes(bodyLength, "body");
    p.zeros("padding");
    received++;
    return new Frame(type, requestId, body);
  }

  /** Frames sealed so far. */
  public synchronized long sent() {
    return sent;
  }

  /** Frames opened so far. */
  public synchronized long received() {
    return received;
  }

  /** TH_B, which names this link; for the vectors. */
  public byte[] transcript() {
    return transcript.clone();
  }

  /** The sending and receiving keys, for the vectors only. */
  public List<byte[]> keys(InsecureSecretAccess access) {
    return List.of(sendKey.clone(), receiveKey.clone());
  }

  private static byte[] nonce(long counter) {
    return new Writer().u32(0).u64(counter).toByteArray();
  }

  /** Erases the keys; the link can no longer be used. */
  public synchronized void destroy() {
    Arrays.fill(sendKey, (byte) 0);
    Arrays.fill(receiveKey, (byte) 0);
    sent = MAX_FRAMES;
    received = MAX_FRAMES;
  }

  @Override
  public String toString() {
    return "Link[" + (initiator ? "initiator" : "responder") + ", sent=" + sent + ", received=" + received + "]";
  }
}
