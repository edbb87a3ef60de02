package dev.sotto.internal.ratchet;

import dev.sotto.SottoException;
import dev.sotto.Suite;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state of one side of a ratchet session (spec: ratchet.adoc#state), and its versioned byte
 * format (spec: ratchet.adoc#state-format). Mutable; {@link #copy()} makes the working copy that
 * a decryption changes, so that a failure leaves the original untouched.
 */
public final class RatchetState {
  public static final int FORMAT_VERSION = 0x02;
  /**
   * A sending chain carries at most this many messages (n from 0 to 999; spec: ratchet.adoc#encrypt),
   * so that one message never skips more than this many keys (spec: ratchet.adoc#skipped).
   */
  public static final int MAX_CHAIN = 1000;
  /** At most this many skipped message keys are kept in all; the oldest go first. */
  public static final int MAX_SKIPPED = 2000;

  public static final int ROLE_INITIATOR = 0;
  public static final int ROLE_RESPONDER = 1;

  int role;
  byte[] ad;
  Secret.RootKey rootKey;
  byte[] dhsPrivate;
  /**
   * X25519(dhsPrivate, 9), kept once computed; null after a restore until the first send needs it,
   * and in a responder's initial state (its first receipt replaces the key before any send).
   */
  byte[] dhsPublic;
  byte[] dhr;
  Secret.ChainKey sendingChain;
  long ns;
  Secret.ChainKey receivingChain;
  long nr;
  long pn;
  Secret.HeaderKey sendingHeaderKey;
  Secret.HeaderKey receivingHeaderKey;
  Secret.HeaderKey nextSendingHeaderKey;
  Secret.HeaderKey nextReceivingHeaderKey;
  Secret.TagKey sendingTagKey;
  Secret.TagKey receivingTagKey;
  Secret.TagKey nextSendingTagKey;
  Secret.TagKey nextReceivingTagKey;
  /** Skipped message keys by (header key, n), oldest first. */
  final LinkedHashMap<SkippedId, Skipped> skipped = new LinkedHashMap<>();

  /** The identity of a skipped message key: the header key of its chain and its number. */
  record SkippedId(ByteBuffer headerKey, long n) {
    static SkippedId of(Secret.HeaderKey hk, long n) {
      return new SkippedId(ByteBuffer.wrap(hk.bytes()), n);
    }
  }

  /** A skipped message key and the mailbox tag its message will carry. */
  record Skipped(Secret.MessageKey messageKey, byte[] tag) {}

  RatchetState() {}

  /** A deep enough copy to work on: secrets are immutable, collections are copied. */
  public RatchetState copy() {
    RatchetState c = new RatchetState();
    c.role = role;
    c.ad = ad;
    c.rootKey = rootKey;
    c.dhsPrivate = dhsPrivate;
    c.dhsPublic = dhsPublic;
    c.dhr = dhr;
    c.sendingChain = sendingChain;
    c.ns = ns;
    c.receivingChain = receivingChain;
    c.nr = nr;
    c.pn = pn;
    c.sendingHeaderKey = sendingHeaderKey;
    c.receivingHeaderKey = receivingHeaderKey;
    c.nextSendingHeaderKey = nextSendingHeaderKey;
    c.nextReceivingHeaderKey = nextReceivingHeaderKey;
    c.sendingTagKey = sendingTagKey;
    c.receivingTagKey = receivingTagKey;
    c.nextSendingTagKey = nextSendingTagKey;
    c.nextReceivingTagKey = nextReceivingTagKey;
    c.skipped.putAll(skipped);
    return c;
  }

  /** Evicts the oldest skipped keys beyond {@link #MAX_SKIPPED}. */
  void evictSkipped() {
    Iterator<Map.Entry<SkippedId, Skipped>> it = skipped.entrySet().iterator();
    while (skipped.size() > MAX_SKIPPED && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  public byte[] serialize() {
    Writer w = new Writer().u8(FORMAT_VERSION).u16(Suite.SOTTO_1.id()).u8(role).bytes(ad).bytes(rootKey.view());
    optional(w, dhsPrivate);
    if (dhr == null) {
      w.u8(0);
    } else {
      w.u8(1).bytes(KeyCodec.x25519(dhr));
    }
    optional(w, sendingChain);
    w.u32(ns);
    optional(w, receivingChain);
    w.u32(nr).u32(pn);
    optional(w, sendingHeaderKey);
    optional(w, receivingHeaderKey);
    w.bytes(nextSendingHeaderKey.view()).bytes(nextReceivingHeaderKey.view());
    optional(w, sendingTagKey);
    optional(w, receivingTagKey);
    w.bytes(nextSendingTagKey.view()).bytes(nextReceivingTagKey.view());
    w.u16(skipped.size());
    skipped.forEach((id, s) -> w.bytes(id.headerKey().array()).u32(id.n()).bytes(s.messageKey().view()).bytes(s.tag()));
    return w.toByteArray();
  }

  private static void optional(Writer w, Object value) {
    if (value == null) {
      w.u8(0);
    } else {
      w.u8(1).bytes(value instanceof Secret s ? s.view() : (byte[]) value);
    }
  }

  /**
   * Reads a serialised state (spec: ratchet.adoc#state-format).
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, UNSUPPORTED_SUITE,
   *     INVALID_ENCODING (a presence byte other than 0 or 1, a role other than 0 or 1, more skipped
   *     keys than the bound, a repeated skipped key), INVALID_KEY (a ratchet key that fails the
   *     X25519 key rules)
   */
  public static RatchetState parse(byte[] encoded) throws SottoException {
    Reader in = new Reader(encoded, "ratchet state");
    in.version(FORMAT_VERSION, "ratchet state");
    in.suite();
    RatchetState s = new RatchetState();
    int roleOffset = in.position();
    s.role = in.u8("role");
    if (s.role != ROLE_INITIATOR && s.role != ROLE_RESPONDER) {
      throw in.invalid("role", roleOffset, "role " + s.role);
    }
    s.ad = in.bytes(32, "ad");
    s.rootKey = new Secret.RootKey(in.bytes(32, "root_key"));
    s.dhsPrivate = optionalBytes(in, "dhs_private");
    s.dhr = present(in, "dhr") ? KeyCodec.readX25519(in, "dhr") : null;
    byte[] b = optionalBytes(in, "cks");
    s.sendingChain = b == null ? null : new Secret.ChainKey(b);
    s.ns = counter(in, "ns");
    b = optionalBytes(in, "ckr");
    s.receivingChain = b == null ? null : new Secret.ChainKey(b);
    s.nr = counter(in, "nr");
    s.pn = counter(in, "pn");
    b = optionalBytes(in, "hks");
    s.sendingHeaderKey = b == null ? null : new Secret.HeaderKey(b);
    b = optionalBytes(in, "hkr");
    s.receivingHeaderKey = b == null ? null : new Secret.HeaderKey(b);
    s.nextSendingHeaderKey = new Secret.HeaderKey(in.bytes(32, "nhks"));
    s.nextReceivingHeaderKey = new Secret.HeaderKey(in.bytes(32, "nhkr"));
    b = optionalBytes(in, "tks");
    s.sendingTagKey = b == null ? null : new Secret.TagKey(b);
    b = optionalBytes(in, "tkr");
    s.receivingTagKey = b == null ? null : new Secret.TagKey(b);
    s.nextSendingTagKey = new Secret.TagKey(in.bytes(32, "ntks"));
    s.nextReceivingTagKey = new Secret.TagKey(in.bytes(32, "ntkr"));
    int countOffset = in.position();
    int count = in.u16("skipped_count");
    if (count > MAX_SKIPPED) {
      throw in.invalid("skipped_count", countOffset, count + " skipped keys, at most " + MAX_SKIPPED);
    }
    for (int i = 0; i < count; i++) {
      int entryOffset = in.position();
      Secret.HeaderKey hk = new Secret.HeaderKey(in.bytes(32, "skipped.header_key"));
      long n = in.u32("skipped.n");
      if (n >= MAX_CHAIN) {
        throw in.invalid("skipped.n", entryOffset + 32, "a message number is below " + MAX_CHAIN);
      }
      Secret.MessageKey mk = new Secret.MessageKey(in.bytes(32, "skipped.message_key"));
      byte[] tag = in.bytes(Kdf.TAG_LENGTH, "skipped.tag");
      if (s.skipped.put(SkippedId.of(hk, n), new Skipped(mk, tag)) != null) {
        throw in.invalid("skipped", entryOffset, "skipped key listed twice");
      }
    }
    in.end();
    return s;
  }

  private static byte[] optionalBytes(Reader in, String field) throws SottoException {
    return present(in, field) ? in.bytes(32, field) : null;
  }

  private static boolean present(Reader in, String field) throws SottoException {
    int offset = in.position();
    int present = in.u8(field + ".present");
    if (present != 0 && present != 1) {
      throw in.invalid(field + ".present", offset, "presence byte " + present);
    }
    return present == 1;
  }

  /** ns, nr and pn: at most {@link #MAX_CHAIN}. */
  private static long counter(Reader in, String field) throws SottoException {
    int offset = in.position();
    long value = in.u32(field);
    if (value > MAX_CHAIN) {
      throw in.invalid(field, offset, "at most " + MAX_CHAIN);
    }
    return value;
  }

  @Override
  public String toString() {
    return "RatchetState[ns=" + ns + ", nr=" + nr + ", pn=" + pn + ", skipped=" + skipped.size() + ", redacted]";
  }

}
