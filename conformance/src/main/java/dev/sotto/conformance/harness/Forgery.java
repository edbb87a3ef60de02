package dev.sotto.conformance.harness;

import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.InsecureSecretAccess;
import dev.sotto.RandomSource;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.envelope.Content;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.Kdf;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.internal.ratchet.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Authentic envelopes that break a rule only visible after decryption: what a hostile or broken
 * peer that holds the session's keys could send. The interop runner uses them to check that the
 * implementation under test refuses them, with the right code, and changes nothing.
 *
 * <p>Every method starts from the serialized state of the <em>sending</em> side (spec:
 * envelope.adoc#session-state, the bytes {@link Session#serialize()} gives), works on a restored
 * copy and leaves the sender as it was: the sender's genuine next message still opens afterwards.
 * Each forgery is a message of the sender's next message number, so it carries a tag the receiver
 * watches whenever it would watch the genuine next message (spec: envelope.adoc#envelope-tags),
 * and it is wrapped as {@link Session#seal} wraps a message: version, tag, ratchet message, at a
 * bucket size (spec: envelope.adoc#envelope-layout).
 *
 * <p>A sender whose last event was a DH step on receipt has no sending chain: its next message
 * makes the sending half of that step (spec: ratchet.adoc#ratchet-encrypt). The forgeries do it
 * on the copy exactly as that message would, drawing 32 bytes from the given random source; no
 * other forgery draws anything, except where a method says so.
 *
 * <p>All methods throw {@link IllegalStateException} when the state cannot send (a responder that
 * has not received, a full sending chain) or cannot make the forgery asked for, and
 * {@link IllegalArgumentException} for bytes that are no session state, or a content that does not
 * fill a bucket.
 */
public final class Forgery {
  /** A session envelope's size less its content's (spec: envelope.adoc#envelope-content): 104 bytes. */
  public static final int SESSION_OVERHEAD = Envelope.HEADER_LENGTH + RatchetMessage.OVERHEAD;

  /** The bucket of the forgeries of {@link #envelope(byte[], Bad, RandomSource)}: 1 KiB. */
  public static final int DEFAULT_BUCKET = Envelope.BUCKETS.get(0);

  /**
   * An X25519 key of small order (order 8, on the curve): the X25519 key rules refuse it (spec:
   * conventions.adoc#public-keys), and a DH with it is all zero.
   */
  private static final byte[] SMALL_ORDER_KEY =
      Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");

  private Forgery() {}

  /**
   * The authentic faults that {@link #envelope(byte[], Bad, RandomSource)} makes, each with the
   * error code the Java receiver answers (the spec's). Content faults reach every receiver that
   * would open the sender's genuine next message; header faults too, except where said.
   */
  public enum Bad {
    /** The content's last padding byte is 1 (spec: envelope.adoc#envelope-content). */
    BAD_PADDING(ErrorCode.INVALID_ENCODING),
    /** The content's kind is 3. */
    UNKNOWN_KIND(ErrorCode.INVALID_ENCODING),
    /** A whole content whose length field runs past the content's end. */
    TRUNCATED_CONTENT(ErrorCode.TRUNCATED),
    /** A chunk with index 5 of 3. */
    CHUNK_OUT_OF_RANGE(ErrorCode.INVALID_ENCODING),
    /** A chunked payload of 1 chunk (a count is 2 to 256). */
    CHUNK_COUNT_ONE(ErrorCode.INVALID_ENCODING),
    /** A chunked payload of 257 chunks. */
    CHUNK_COUNT_TOO_LARGE(ErrorCode.INVALID_ENCODING),
    /** The header's flags are 0x01, a reserved bit (spec: ratchet.adoc#ratchet-header). */
    RESERVED_FLAGS(ErrorCode.INVALID_ENCODING),
    /**
     * The header of the sender's next message names a ratchet key of small order. The key rules
     * are checked when the header is read, before the key is compared with the receiver's DHr.
     */
    SMALL_ORDER_KEY_CURRENT_CHAIN(ErrorCode.INVALID_KEY),
    /**
     * A ratchet key of small order in a message that starts a new receiving chain for the
     * receiver, under the header key it tries for a new ratchet key (its NHKr) and with a
     * consistent {@code pn}: a receiver that checked the key only when it makes the DH step finds
     * an all-zero DH (spec: ratchet.adoc#ratchet-decrypt), also {@code INVALID_KEY}.
     *
     * <p>For a sender about to make a DH step, its next message starts the new chain. For a sender
     * in the middle of a chain, this is message 0 of the chain after the current one (see
     * {@link #nextChainHeader}); it reaches the header check only when the receiver has received
     * a message of the sender's current chain and has sent since (it has a ratchet key for the
     * new chain to answer). Otherwise the receiver answers {@code UNKNOWN_TAG} (it does not watch
     * that chain yet) or {@code AUTH_FAILED} (it tries no next header key while it has no
     * ratchet key of its own).
     */
    SMALL_ORDER_KEY_NEW_CHAIN(ErrorCode.INVALID_KEY),
    /** The header's n is 1,000, beyond the chain bound; its tag is that of the sender's next number. */
    N_BEYOND_BOUND(ErrorCode.INVALID_ENCODING),
    /** The header's pn is 1,001, beyond the chain bound. */
    PN_BEYOND_BOUND(ErrorCode.INVALID_ENCODING),
    /**
     * A header of the sender's current chain that names another (valid) ratchet key than the
     * chain's. Only for a sender in the middle of a chain ({@link IllegalStateException}
     * otherwise: in a new chain any valid key is legitimate), and refused with this code only by
     * a receiver that has received a message of that chain; for one that has not, the chain is
     * new, the DH with the other key succeeds and the body does not open ({@code AUTH_FAILED}).
     * The body is sealed under the genuine message key, so a receiver that skipped the check
     * accepts it.
     */
    OTHER_RATCHET_KEY(ErrorCode.INVALID_ENCODING);

    private final ErrorCode error;

    Bad(ErrorCode error) {
      this.error = error;
    }

    /** The code the receiver answers (spec: errors.adoc). */
    public ErrorCode error() {
      return error;
    }
  }

  /** The sender's next message: its number, the {@code pn} its header carries, whether it makes a DH step. */
  public record Next(long n, long pn, boolean startsChain) {}

  /** What the sender's next message would be (spec: ratchet.adoc#ratchet-encrypt), without sending it. */
  public static Next next(byte[] senderState) {
    RatchetState r = ratchetOf(senderState);
    SendingKeys k = SendingKeys.of(r);
    return new Next(k.ns(), k.pn(), DoubleRatchet.startsSendingChain(r));
  }

  // ------------------------------------------------------------------ envelopes

  /** The forgery {@code bad} in a 1 KiB envelope. */
  public static byte[] envelope(byte[] senderState, Bad bad, RandomSource random) {
    return envelope(senderState, bad, DEFAULT_BUCKET, random);
  }

  /** The forgery {@code bad} in an envelope of {@code bucket} bytes. */
  public static byte[] envelope(byte[] senderState, Bad bad, int bucket, RandomSource random) {
    Objects.requireNonNull(bad, "bad");
    Next next = next(senderState);
    byte[] good = valid(bucket);
    return switch (bad) {
      case BAD_PADDING -> content(senderState, badPadding(bucket), random);
      case UNKNOWN_KIND -> content(senderState, unknownKind(bucket), random);
      case TRUNCATED_CONTENT -> content(senderState, truncatedContent(bucket), random);
      case CHUNK_OUT_OF_RANGE -> content(senderState, chunkOutOfRange(bucket), random);
      case CHUNK_COUNT_ONE -> content(senderState, Content.chunk(7, 0, 1, new byte[10]).encode(size(bucket)), random);
      case CHUNK_COUNT_TOO_LARGE ->
          content(senderState, Content.chunk(7, 0, Content.MAX_CHUNKS + 1, new byte[10]).encode(size(bucket)), random);
      case RESERVED_FLAGS -> header(senderState, 0x01, null, next.pn(), next.n(), good, random);
      case SMALL_ORDER_KEY_CURRENT_CHAIN -> header(senderState, 0, SMALL_ORDER_KEY, next.pn(), next.n(), good, random);
      case SMALL_ORDER_KEY_NEW_CHAIN -> next.startsChain()
          ? header(senderState, 0, SMALL_ORDER_KEY, next.pn(), next.n(), good, random)
          // As if the sender had received the receiver's reply: its current chain becomes the previous one.
          : nextChainHeader(senderState, 0, SMALL_ORDER_KEY, next.n(), 0, good, random);
      case N_BEYOND_BOUND -> header(senderState, 0, null, next.pn(), RatchetState.MAX_CHAIN, good, random);
      case PN_BEYOND_BOUND -> header(senderState, 0, null, RatchetState.MAX_CHAIN + 1, next.n(), good, random);
      case OTHER_RATCHET_KEY -> {
        if (next.startsChain()) {
          throw new IllegalStateException("the sender's next message starts a new chain, where any valid ratchet key "
              + "is legitimate: no header of its current chain can name another key");
        }
        yield header(senderState, 0, X25519.publicKey(random.bytes(X25519.PRIVATE_KEY_LENGTH)), next.pn(), next.n(),
            good, random);
      }
    };
  }

  /**
   * The sender's next message with {@code padded} as its decrypted content, exactly (spec:
   * envelope.adoc#envelope-content): authentic, under the tag the receiver expects, whatever the
   * content says.
   *
   * @param padded the whole plaintext of the ratchet message: a bucket size less
   *     {@link #SESSION_OVERHEAD} bytes
   */
  public static byte[] content(byte[] senderState, byte[] padded, RandomSource random) {
    bucketOf(padded);
    RatchetState working = ratchetOf(senderState);
    DoubleRatchet.Sent sent = encrypt(working, padded, random);
    return wrap(sent.tag(), sent.message());
  }

  /**
   * A message of the sender's current sending chain (the one its next message would use, after
   * the pending DH step if there is one) with the header fields chosen: {@code header = flags u8
   * || ratchetKey (typed X25519) || pn u32 || n u32} (spec: ratchet.adoc#ratchet-header), sealed
   * under the chain's header key HKs, with the message key of number {@code n} and, as the
   * envelope's, the tag {@code TAG(TKs, n)} (spec: ratchet.adoc#ratchet-encrypt).
   *
   * <p>A number at or beyond the chain bound (1,000) has no key or tag: the message carries the
   * key and tag of the sender's next number (which the receiver watches when it would watch the
   * genuine next message), since the header is refused before the body. A number below the
   * sender's next one names a message whose key the sender no longer has: it carries the tag and
   * the body key of the next number, so that a receiver reads its header (and answers
   * {@code REPLAY} for a number its chain has passed).
   *
   * @param ratchetKey the 32 raw bytes of the header's key, written as they are (the key rules are
   *     the receiver's to check); null for the sender's own
   * @param padded the plaintext, a bucket size less {@link #SESSION_OVERHEAD} bytes
   */
  public static byte[] header(byte[] senderState, int flags, byte[] ratchetKey, long pn, long n, byte[] padded,
      RandomSource random) {
    bucketOf(padded);
    RatchetState working = ratchetOf(senderState);
    // The genuine next message on the copy: it makes the pending DH step if there is one, refuses
    // a full chain, and gives the message key and tag of the next number.
    DoubleRatchet.Sent sent = encrypt(working, padded, random);
    SendingKeys after = SendingKeys.of(working);
    Secret.MessageKey mk = sent.messageKey();
    byte[] tag = sent.tag();
    if (n > sent.n() && n < RatchetState.MAX_CHAIN) {
      Secret.ChainKey ck = after.cks(); // the chain key of number sent.n() + 1
      for (long i = sent.n() + 1; i < n; i++) {
        ck = Kdf.chain(ck).chainKey();
      }
      mk = Kdf.chain(ck).messageKey();
    }
    if (n >= sent.n() && n < RatchetState.MAX_CHAIN) {
      tag = Kdf.tag(after.tks(), n);
    }
    byte[] key = ratchetKey == null ? X25519.publicKey(after.dhsPrivate()) : ratchetKey;
    return seal(after.ad(), after.hks(), mk, tag, encodeHeader(flags, key, pn, n), padded);
  }

  /**
   * A message of the chain after the sender's current one, as if the sender had received the
   * peer's reply and sent again: the header sealed under the sender's next header key NHKs, which
   * is the receiver's NHKr once it has received a message of the current chain, and the tag
   * {@code TAG(NTKs, n)} (or {@code TAG(NTKs, 0)} for {@code n} beyond the bound). The receiver
   * tries NHKr only while it has a ratchet key of its own, that is when it has sent since it last
   * received (spec: ratchet.adoc#ratchet-decrypt). No one but the receiver can derive that chain's
   * keys (they follow from its root key and a DH with its own key), so the body is sealed under a
   * message key drawn from {@code random} (32 bytes): only a header that is refused is of use
   * here.
   *
   * @throws IllegalStateException when the sender has no current sending chain (its next message
   *     starts a new chain already: use {@link #header})
   */
  public static byte[] nextChainHeader(byte[] senderState, int flags, byte[] ratchetKey, long pn, long n,
      byte[] padded, RandomSource random) {
    bucketOf(padded);
    RatchetState r = ratchetOf(senderState);
    SendingKeys k = SendingKeys.of(r);
    if (k.cks() == null) {
      throw new IllegalStateException(DoubleRatchet.startsSendingChain(r)
          ? "the sender's next message starts a new chain already: forge it with header(...)"
          : "the sender cannot send: a responder that has not received");
    }
    Secret.MessageKey mk = new Secret.MessageKey(random.bytes(Secret.LENGTH));
    byte[] tag = Kdf.tag(k.ntks(), n >= 0 && n < RatchetState.MAX_CHAIN ? n : 0);
    byte[] key = ratchetKey == null ? X25519.publicKey(k.dhsPrivate()) : ratchetKey;
    return seal(k.ad(), k.nhks(), mk, tag, encodeHeader(flags, key, pn, n), padded);
  }

  // ------------------------------------------------------------------ contents

  /** The content size of a session envelope of {@code bucket} bytes: {@code bucket - 104}. */
  public static int size(int bucket) {
    if (!Envelope.BUCKETS.contains(bucket)) {
      throw new IllegalArgumentException(bucket + " is no bucket size " + Envelope.BUCKETS);
    }
    return bucket - SESSION_OVERHEAD;
  }

  /** A valid whole content ("forged") for {@code bucket}: the body of the header forgeries. */
  public static byte[] valid(int bucket) {
    return Content.whole("forged".getBytes(StandardCharsets.UTF_8)).encode(size(bucket));
  }

  /** A whole content whose last padding byte is 1: {@code INVALID_ENCODING}. */
  public static byte[] badPadding(int bucket) {
    byte[] padded = Content.whole("padding".getBytes(StandardCharsets.UTF_8)).encode(size(bucket));
    padded[padded.length - 1] = 1;
    return padded;
  }

  /** An empty whole content with kind 3: {@code INVALID_ENCODING}. */
  public static byte[] unknownKind(int bucket) {
    byte[] padded = Content.whole(new byte[0]).encode(size(bucket));
    padded[0] = 3;
    return padded;
  }

  /** A whole content whose length is the content's size, more than the bytes left: {@code TRUNCATED}. */
  public static byte[] truncatedContent(int bucket) {
    int size = size(bucket);
    byte[] padded = new byte[size];
    byte[] head = new Writer().u8(Content.KIND_WHOLE).u32(size).toByteArray();
    System.arraycopy(head, 0, padded, 0, head.length);
    return padded;
  }

  /** Chunk 5 of 3 (payload id 7, 10 bytes): {@code INVALID_ENCODING}. */
  public static byte[] chunkOutOfRange(int bucket) {
    return Content.chunk(7, 5, 3, new byte[10]).encode(size(bucket));
  }

  // ------------------------------------------------------------------ inside

  /**
   * The fields of a ratchet state that sending uses, read as spec: ratchet.adoc#ratchet-state-format
   * lays them out (the library keeps them to itself).
   */
  private record SendingKeys(byte[] ad, byte[] dhsPrivate, Secret.ChainKey cks, long ns, long pn,
      Secret.HeaderKey hks, Secret.HeaderKey nhks, Secret.TagKey tks, Secret.TagKey ntks) {

    static SendingKeys of(RatchetState state) {
      try {
        Reader in = new Reader(state.serialize(), "ratchet state");
        in.version(RatchetState.FORMAT_VERSION, "ratchet state");
        in.suite();
        in.u8("role");
        byte[] ad = in.bytes(32, "ad");
        in.bytes(32, "root_key");
        byte[] dhs = optional(in, 32, "dhs_private");
        optional(in, KeyCodec.X25519_ENCODED_LENGTH, "dhr");
        byte[] cks = optional(in, 32, "cks");
        long ns = in.u32("ns");
        optional(in, 32, "ckr");
        in.u32("nr");
        long pn = in.u32("pn");
        byte[] hks = optional(in, 32, "hks");
        optional(in, 32, "hkr");
        byte[] nhks = in.bytes(32, "nhks");
        in.bytes(32, "nhkr");
        byte[] tks = optional(in, 32, "tks");
        optional(in, 32, "tkr");
        byte[] ntks = in.bytes(32, "ntks");
        // ntkr and the skipped keys follow: a sender does not use them.
        return new SendingKeys(ad, dhs, cks == null ? null : new Secret.ChainKey(cks), ns, pn,
            hks == null ? null : new Secret.HeaderKey(hks), new Secret.HeaderKey(nhks),
            tks == null ? null : new Secret.TagKey(tks), new Secret.TagKey(ntks));
      } catch (SottoException e) {
        throw new IllegalStateException("the library's ratchet state disagrees with the spec's layout", e);
      }
    }

    private static byte[] optional(Reader in, int length, String field) throws SottoException {
      return in.u8(field + ".present") == 1 ? in.bytes(length, field) : null;
    }
  }

  /** The ratchet state inside a session state, restored (and so checked) by the library. */
  private static RatchetState ratchetOf(byte[] senderState) {
    Objects.requireNonNull(senderState, "senderState");
    try {
      return RatchetState.parse(Session.restore(senderState).ratchetState(InsecureSecretAccess.get()));
    } catch (SottoException e) {
      throw new IllegalArgumentException("not a session state: " + e.code() + " (" + e.getMessage() + ")", e);
    }
  }

  /** The sender's next message, on {@code working}; a full chain is a state that cannot send. */
  private static DoubleRatchet.Sent encrypt(RatchetState working, byte[] plaintext, RandomSource random) {
    try {
      return DoubleRatchet.encrypt(working, plaintext, random);
    } catch (SottoException e) {
      throw new IllegalStateException("the sender cannot send: " + e.code() + " (" + e.getMessage() + ")", e);
    }
  }

  private static byte[] encodeHeader(int flags, byte[] ratchetKey, long pn, long n) {
    Bytes.requireLength(ratchetKey, X25519.PUBLIC_KEY_LENGTH, "ratchet key");
    return new Writer().u8(flags).bytes(KeyCodec.x25519(ratchetKey)).u32(pn).u32(n).toByteArray();
  }

  /** A ratchet message as spec: ratchet.adoc#ratchet-encrypt step 3 makes it, from the chosen header. */
  private static byte[] seal(byte[] ad, Secret.HeaderKey hk, Secret.MessageKey mk, byte[] tag, byte[] header,
      byte[] plaintext) {
    byte[] siv = Kdf.siv(mk, ad, RatchetMessage.VERSION, header, plaintext);
    byte[] encryptedHeader = Aead.seal(hk.bytes(), siv, ad, header);
    RatchetMessage shell = new RatchetMessage(siv, encryptedHeader, null);
    byte[] material = Kdf.messageKeyMaterial(mk, siv);
    try {
      byte[] body = Aead.sealWith(material, Bytes.concat(ad, shell.prefix()), plaintext);
      return wrap(tag, new RatchetMessage(siv, encryptedHeader, body).encode());
    } finally {
      Arrays.fill(material, (byte) 0);
    }
  }

  /** version || tag || ratchet message, as {@link Session#seal} wraps a message. */
  private static byte[] wrap(byte[] tag, byte[] message) {
    byte[] envelope = Bytes.concat(new byte[] {(byte) Envelope.VERSION}, tag, message);
    if (!Envelope.BUCKETS.contains(envelope.length)) {
      throw new IllegalStateException("an envelope of " + envelope.length + " bytes is no bucket size");
    }
    return envelope;
  }

  private static int bucketOf(byte[] padded) {
    Objects.requireNonNull(padded, "padded");
    int bucket = padded.length + SESSION_OVERHEAD;
    if (!Envelope.BUCKETS.contains(bucket)) {
      throw new IllegalArgumentException("a content of " + padded.length + " bytes fills no bucket: it is a bucket "
          + "size less " + SESSION_OVERHEAD + " bytes");
    }
    return bucket;
  }
}
