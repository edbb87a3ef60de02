package dev.sotto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One request or response on a link (spec: transport.adoc#requests): a type, the request id
 * and a body. Factories build well-formed frames; the readers ({@link #envelope()},
 * {@link #tags()}, ...) check a received body and report what is wrong with the spec's codes.
 */
public final class Frame {
  public static final int DELIVER = 0x01;
  public static final int DEPOSIT = 0x02;
  public static final int FETCH = 0x03;
  public static final int ACK = 0x04;
  public static final int PUBLISH = 0x05;
  public static final int GET_PREKEYS = 0x06;
  /** Backup class (spec: transport.adoc#backup-class): store an envelope in the credential's space. */
  public static final int BACKUP_PUT = 0x07;
  /** Backup class: fetch envelopes of the credential's space by tag. */
  public static final int BACKUP_GET = 0x08;
  /** Backup class: ask which tags the space holds, and renew them. */
  public static final int BACKUP_KEEP = 0x09;
  /** Backup class: delete envelopes of the space by tag. */
  public static final int BACKUP_DELETE = 0x0a;
  /** Group items (spec: transport.adoc#mailbox): leave an envelope for many, with its take leaves. */
  public static final int DEPOSIT_GROUP = 0x0b;
  /** Group items: present take tokens for group items this link was sent. */
  public static final int TAKE = 0x0c;
  /**
   * Group items: fetch the group items held under tags that carry one of the fetching member's
   * leaves (spec: transport.adoc#mailbox), so that items another member deposits under a tag it
   * knows are not handed out to the others.
   */
  public static final int FETCH_GROUP = 0x0d;
  /**
   * Fetch by tag prefix (spec: transport.adoc#fetch-prefix): every item whose tag begins with one of
   * the named prefixes, after an item id, so that the mailbox does not learn which tags are wanted.
   * Items handed out this way cannot be acknowledged: they leave at expiry.
   */
  public static final int FETCH_PREFIX = 0x0e;
  /** The most bits a FETCH_PREFIX prefix has: a prefix is held in a {@code u16}. */
  public static final int MAX_PREFIX_BITS = 16;
  public static final int OK = 0x81;
  public static final int ERROR = 0x82;
  public static final int ITEM = 0x83;
  public static final int DONE = 0x84;
  public static final int PREKEYS = 0x85;
  /** The answer to BACKUP_KEEP: which of the tags the space holds. */
  public static final int HELD = 0x86;
  /** The length of a PUBLISH credential. */
  public static final int CREDENTIAL_LENGTH = 32;
  /** Most prekey items in one PUBLISH or PREKEYS. */
  public static final int MAX_PREKEY_ITEMS = 64;

  /** The length of a take leaf (spec: group.adoc#group-delivery). */
  public static final int LEAF_LENGTH = 8;
  /** The length of a take token. */
  public static final int TOKEN_LENGTH = 16;
  /** Most leaves in one DEPOSIT_GROUP: one for each other member of a group of 1,000. */
  public static final int MAX_LEAVES = 999;

  /** Most tags in one FETCH, and most item ids in one ACK or TAKE. */
  public static final int MAX_COUNT = 1024;
  /** Most items a mailbox sends in answer to one FETCH. */
  public static final int MAX_ITEMS = 64;

  private final int type;
  private final long requestId;
  private final byte[] body;

  Frame(int type, long requestId, byte[] body) {
    this.type = type;
    this.requestId = requestId;
    this.body = body;
  }

  /** A frame of any type with any body, for tests and the vectors; the body must fit a frame. */
  public static Frame of(int type, long requestId, byte[] body) {
    if (type < 0 || type > 0xff || requestId < 0 || requestId > 0xffffffffL) {
      throw new IllegalArgumentException("type is a u8 and request_id a u32");
    }
    if (body.length > Link.maxBody()) {
      throw new IllegalArgumentException("a frame body holds at most " + Link.maxBody() + " bytes");
    }
    return new Frame(type, requestId, body.clone());
  }

  public static Frame deliver(long requestId, Envelope envelope) {
    return of(DELIVER, requestId, envelope.encoded());
  }

  public static Frame deposit(long requestId, Envelope envelope) {
    return of(DEPOSIT, requestId, envelope.encoded());
  }

  /** FETCH for 1 to 1024 tags of 16 bytes. */
  public static Frame fetch(long requestId, List<byte[]> tags) {
    if (tags.isEmpty() || tags.size() > MAX_COUNT) {
      throw new IllegalArgumentException("a FETCH names 1.." + MAX_COUNT + " tags");
    }
    Writer w = new Writer().u16(tags.size());
    for (byte[] tag : tags) {
      Bytes.requireLength(tag, Envelope.TAG_LENGTH, "tag");
      w.bytes(tag);
    }
    return of(FETCH, requestId, w.toByteArray());
  }

  /** ACK for 1 to 1024 item ids. */
  public static Frame ack(long requestId, List<Long> itemIds) {
    if (itemIds.isEmpty() || itemIds.size() > MAX_COUNT) {
      throw new IllegalArgumentException("an ACK names 1.." + MAX_COUNT + " items");
    }
    Writer w = new Writer().u16(itemIds.size());
    for (long id : itemIds) {
      if (id < 0) {
        throw new IllegalArgumentException("item ids are below 2^63");
      }
      w.u64(id);
    }
    return of(ACK, requestId, w.toByteArray());
  }

  /**
   * PUBLISH (spec: transport.adoc#prekey-service): the owner's prekeys for a mailbox to serve under
   * {@code bundleTag}, with the owner's credential; 1 to 64 items, each a bundle or a one-time prekey
   * record.
   */
  public static Frame publish(long requestId, byte[] bundleTag, byte[] credential, List<PrekeyItem> items) {
    Bytes.requireLength(bundleTag, Card.BUNDLE_TAG_LENGTH, "bundle tag");
    Bytes.requireLength(credential, CREDENTIAL_LENGTH, "credential");
    if (items.isEmpty()) {
      throw new IllegalArgumentException("a PUBLISH carries 1.." + MAX_PREKEY_ITEMS + " items");
    }
    return of(PUBLISH, requestId, items(new Writer().bytes(bundleTag).bytes(credential), items));
  }

  /** GET_PREKEYS: asks for the prekeys published under {@code bundleTag}. */
  public static Frame getPrekeys(long requestId, byte[] bundleTag) {
    Bytes.requireLength(bundleTag, Card.BUNDLE_TAG_LENGTH, "bundle tag");
    return of(GET_PREKEYS, requestId, bundleTag.clone());
  }

  /** PREKEYS: the answer to GET_PREKEYS, 0 to 64 items (bundles first, newest first, then one-time prekeys). */
  public static Frame prekeys(long requestId, List<PrekeyItem> items) {
    return of(PREKEYS, requestId, items(new Writer(), items));
  }

  private static byte[] items(Writer w, List<PrekeyItem> items) {
    if (items.size() > MAX_PREKEY_ITEMS) {
      throw new IllegalArgumentException("at most " + MAX_PREKEY_ITEMS + " prekey items in a frame");
    }
    w.u16(items.size());
    for (PrekeyItem item : items) {
      w.u16(item.encoded().length).bytes(item.encoded());
    }
    return w.toByteArray();
  }

  /**
   * One item of a PUBLISH or PREKEYS body: a bundle or a one-time prekey record, told apart by its
   * length (1313, 112 or 1264 bytes) and checked only for its version byte. What a mailbox reads of
   * it: a bundle's serial and expiry, a record's expiry, all unsigned fields it cannot verify.
   */
  public record PrekeyItem(Kind kind, byte[] encoded) {
    /** What an item is, by its length. */
    public enum Kind { BUNDLE, X25519_ONE_TIME, ML_KEM_ONE_TIME }

    public static PrekeyItem of(PrekeyBundle bundle) {
      return new PrekeyItem(Kind.BUNDLE, bundle.encoded());
    }

    public static PrekeyItem of(OneTimePrekey record) {
      return new PrekeyItem(record.isKem() ? Kind.ML_KEM_ONE_TIME : Kind.X25519_ONE_TIME, record.encoded());
    }

    static PrekeyItem read(Reader in, int index) throws SottoException {
      int lengthOffset = in.position();
      int length = in.u16("item[" + index + "].length");
      Kind kind = switch (length) {
        case PrekeyBundle.LENGTH -> Kind.BUNDLE;
        case OneTimePrekey.X25519_LENGTH -> Kind.X25519_ONE_TIME;
        case OneTimePrekey.ML_KEM_LENGTH -> Kind.ML_KEM_ONE_TIME;
        default -> throw in.invalid("item[" + index + "].length", lengthOffset, "a length of " + length
            + " is no bundle's nor one-time prekey's");
      };
      byte[] encoded = in.bytes(length, "item[" + index + "]");
      if ((encoded[0] & 0xff) != PrekeyBundle.VERSION) {
        throw new SottoException(ErrorCode.UNSUPPORTED_VERSION, "item[" + index + "]: version " + (encoded[0] & 0xff));
      }
      return new PrekeyItem(kind, encoded);
    }

    /** A bundle's serial (bytes 3 to 6). */
    public long serial() {
      requireKind(Kind.BUNDLE);
      return u(encoded, 3, 4);
    }

    /** The expiry, seconds since the epoch: a bundle's (bytes 15 to 22) or a record's (bytes 3 to 10). */
    public long expires() {
      return kind == Kind.BUNDLE ? u(encoded, 15, 8) : u(encoded, 3, 8);
    }

    private void requireKind(Kind wanted) {
      if (kind != wanted) {
        throw new IllegalStateException("a " + kind + " item has no such field");
      }
    }

    private static long u(byte[] b, int offset, int length) {
      long v = 0;
      for (int i = 0; i < length; i++) {
        v = (v << 8) | (b[offset + i] & 0xff);
      }
      return v;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof PrekeyItem that && kind == that.kind && Arrays.equals(encoded, that.encoded);
    }

    @Override
    public int hashCode() {
      return kind.hashCode() * 31 + Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
      return "PrekeyItem[" + kind + ", " + encoded.length + " bytes]";
    }
  }

  /** The body of a PUBLISH. */
  public record Publish(byte[] bundleTag, byte[] credential, List<PrekeyItem> items) {
    @Override
    public String toString() {
      return "Publish[" + items.size() + " items, credential redacted]";
    }
  }

  /**
   * The body of a PUBLISH.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 64, an
   *     item of no known length), UNSUPPORTED_VERSION (an item whose first byte is not 0x02)
   */
  public Publish publishBody() throws SottoException {
    requireType(PUBLISH);
    Reader in = new Reader(body, "publish");
    byte[] tag = in.bytes(Card.BUNDLE_TAG_LENGTH, "bundle_tag");
    byte[] credential = in.bytes(CREDENTIAL_LENGTH, "credential");
    List<PrekeyItem> items = readItems(in, 1);
    return new Publish(tag, credential, items);
  }

  /** The bundle tag of a GET_PREKEYS body. @throws SottoException TRUNCATED, TRAILING_DATA */
  public byte[] bundleTag() throws SottoException {
    requireType(GET_PREKEYS);
    Reader in = new Reader(body, "get_prekeys");
    byte[] tag = in.bytes(Card.BUNDLE_TAG_LENGTH, "bundle_tag");
    in.end();
    return tag;
  }

  /** The items of a PREKEYS body; as {@link #publishBody()}, but 0 items are allowed. */
  public List<PrekeyItem> prekeyItems() throws SottoException {
    requireType(PREKEYS);
    return readItems(new Reader(body, "prekeys"), 0);
  }

  private static List<PrekeyItem> readItems(Reader in, int min) throws SottoException {
    int offset = in.position();
    int count = in.u16("count");
    if (count < min || count > MAX_PREKEY_ITEMS) {
      throw in.invalid("count", offset, "a count of " + count + " is outside " + min + ".." + MAX_PREKEY_ITEMS);
    }
    List<PrekeyItem> items = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      items.add(PrekeyItem.read(in, i));
    }
    in.end();
    return List.copyOf(items);
  }

  public static Frame ok(long requestId) {
    return of(OK, requestId, new byte[0]);
  }

  public static Frame error(long requestId, ErrorCode code) {
    return of(ERROR, requestId, new Writer().u16(code.number()).toByteArray());
  }

  public static Frame item(long requestId, long itemId, Envelope envelope) {
    return of(ITEM, requestId, new Writer().u64(itemId).bytes(envelope.encoded()).toByteArray());
  }

  public static Frame done(long requestId, boolean more) {
    return of(DONE, requestId, new byte[] {(byte) (more ? 1 : 0)});
  }

  public int type() {
    return type;
  }

  public long requestId() {
    return requestId;
  }

  public byte[] body() {
    return body.clone();
  }

  /** Whether the type is a request type (below 0x80), known or not. */
  public boolean isRequest() {
    return type < 0x80;
  }

  /**
   * The envelope of a DELIVER or DEPOSIT body.
   *
   * @throws SottoException TRUNCATED, UNSUPPORTED_VERSION, INVALID_ENCODING (spec:
   *     envelope.adoc#envelope-layout)
   */
  public Envelope envelope() throws SottoException {
    requireType(DELIVER, DEPOSIT);
    return Envelope.parse(body);
  }

  /**
   * The tags of a FETCH body, duplicates removed, in the order given.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 1024)
   */
  public List<byte[]> tags() throws SottoException {
    requireType(FETCH);
    Reader in = new Reader(body, "fetch");
    int count = count(in);
    Map<String, byte[]> tags = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      byte[] tag = in.bytes(Envelope.TAG_LENGTH, "tag[" + i + "]");
      tags.putIfAbsent(Bytes.hex(tag), tag);
    }
    in.end();
    return List.copyOf(tags.values());
  }

  /**
   * The item ids of an ACK body.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 1024,
   *     an id of 2^63 or more)
   */
  public List<Long> itemIds() throws SottoException {
    requireType(ACK);
    Reader in = new Reader(body, "ack");
    int count = count(in);
    List<Long> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(in.u64("item_id[" + i + "]"));
    }
    in.end();
    return ids;
  }

  /**
   * The error number of an ERROR body.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA
   */
  public int errorNumber() throws SottoException {
    requireType(ERROR);
    Reader in = new Reader(body, "error");
    int code = in.u16("code");
    in.end();
    return code;
  }

  /** The item id of an ITEM body. */
  public long itemId() throws SottoException {
    requireType(ITEM);
    return new Reader(body, "item").u64("item_id");
  }

  /** The envelope of an ITEM body. */
  public Envelope itemEnvelope() throws SottoException {
    requireType(ITEM);
    Reader in = new Reader(body, "item");
    in.u64("item_id");
    return Envelope.parse(in.bytes(in.remaining(), "envelope"));
  }

  /** The flag of a DONE body. */
  public boolean more() throws SottoException {
    requireType(DONE);
    Reader in = new Reader(body, "done");
    int more = in.u8("more");
    in.end();
    if (more > 1) {
      throw in.invalid("more", 0, "more is 0 or 1");
    }
    return more == 1;
  }

  // ------------------------------------------------------------------ backup class (spec: transport.adoc#backup-class)

  /** BACKUP_PUT: {@code credential || envelope}. */
  public static Frame backupPut(long requestId, byte[] credential, Envelope envelope) {
    Bytes.requireLength(credential, CREDENTIAL_LENGTH, "credential");
    return of(BACKUP_PUT, requestId, Bytes.concat(credential, envelope.encoded()));
  }

  /** BACKUP_GET, BACKUP_KEEP or BACKUP_DELETE: {@code credential || count u16 || tag x count}, 1 to 1024 tags. */
  public static Frame backupTags(int type, long requestId, byte[] credential, List<byte[]> tags) {
    if (type != BACKUP_GET && type != BACKUP_KEEP && type != BACKUP_DELETE) {
      throw new IllegalArgumentException("not a backup request that names tags");
    }
    Bytes.requireLength(credential, CREDENTIAL_LENGTH, "credential");
    if (tags.isEmpty() || tags.size() > MAX_COUNT) {
      throw new IllegalArgumentException("a backup request names 1.." + MAX_COUNT + " tags");
    }
    Writer w = new Writer().bytes(credential).u16(tags.size());
    for (byte[] tag : tags) {
      Bytes.requireLength(tag, Envelope.TAG_LENGTH, "tag");
      w.bytes(tag);
    }
    return of(type, requestId, w.toByteArray());
  }

  /** HELD: {@code count u16 || bits}, bit i (most significant first) set when the i-th tag asked is held. */
  public static Frame held(long requestId, List<Boolean> held) {
    if (held.isEmpty() || held.size() > MAX_COUNT) {
      throw new IllegalArgumentException("HELD answers 1.." + MAX_COUNT + " tags");
    }
    byte[] bits = new byte[(held.size() + 7) / 8];
    for (int i = 0; i < held.size(); i++) {
      if (held.get(i)) {
        bits[i / 8] |= (byte) (0x80 >>> (i % 8));
      }
    }
    return of(HELD, requestId, new Writer().u16(held.size()).bytes(bits).toByteArray());
  }

  /** The body of a BACKUP_PUT. */
  public record BackupPut(byte[] credential, Envelope envelope) {
    @Override
    public String toString() {
      return "BackupPut[" + envelope + ", credential redacted]";
    }
  }

  /**
   * The body of a BACKUP_PUT: the credential, then the envelope.
   *
   * @throws SottoException TRUNCATED, UNSUPPORTED_VERSION, INVALID_ENCODING (the envelope)
   */
  public BackupPut backupPutBody() throws SottoException {
    requireType(BACKUP_PUT);
    Reader in = new Reader(body, "backup_put");
    byte[] credential = in.bytes(CREDENTIAL_LENGTH, "credential");
    return new BackupPut(credential, Envelope.parse(in.bytes(in.remaining(), "envelope")));
  }

  /** The body of a BACKUP_GET, BACKUP_KEEP or BACKUP_DELETE: the credential and the tags, as given (repeats kept). */
  public record BackupTags(byte[] credential, List<byte[]> tags) {
    @Override
    public String toString() {
      return "BackupTags[" + tags.size() + " tags, credential redacted]";
    }
  }

  /**
   * The body of a BACKUP_GET, BACKUP_KEEP or BACKUP_DELETE.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 1024)
   */
  public BackupTags backupTagsBody() throws SottoException {
    requireType(BACKUP_GET, BACKUP_KEEP, BACKUP_DELETE);
    Reader in = new Reader(body, "backup request");
    byte[] credential = in.bytes(CREDENTIAL_LENGTH, "credential");
    int count = in.u16("count");
    if (count == 0 || count > MAX_COUNT) {
      throw in.invalid("count", CREDENTIAL_LENGTH, "a count of " + count + " is outside 1.." + MAX_COUNT);
    }
    List<byte[]> tags = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      tags.add(in.bytes(Envelope.TAG_LENGTH, "tag[" + i + "]"));
    }
    in.end();
    return new BackupTags(credential, List.copyOf(tags));
  }

  /**
   * The bits of a HELD body, one per tag asked.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 1024, a
   *     set bit after the last tag's)
   */
  public List<Boolean> heldBody() throws SottoException {
    requireType(HELD);
    Reader in = new Reader(body, "held");
    int count = in.u16("count");
    if (count == 0 || count > MAX_COUNT) {
      throw in.invalid("count", 0, "a count of " + count + " is outside 1.." + MAX_COUNT);
    }
    byte[] bits = in.bytes((count + 7) / 8, "bits");
    in.end();
    int unused = bits.length * 8 - count;
    if ((bits[bits.length - 1] & ((1 << unused) - 1)) != 0) {
      throw in.invalid("bits", 2 + bits.length - 1, "a bit after the last tag's is set");
    }
    List<Boolean> held = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      held.add((bits[i / 8] & (0x80 >>> (i % 8))) != 0);
    }
    return List.copyOf(held);
  }

  // ------------------------------------------------------------------ group items (spec: transport.adoc#mailbox)

  /**
   * DEPOSIT_GROUP: {@code leaf_count u16 || leaf x leaf_count || envelope}, 0 to 999 leaves of 8
   * bytes, as {@link Group.Sealed} gives them.
   *
   * @throws IllegalArgumentException when there are more than 999 leaves, a leaf is not 8 bytes, or
   *     the body does not fit a frame (a 64 KiB envelope leaves room for 4 leaves)
   */
  public static Frame depositGroup(long requestId, List<byte[]> leaves, Envelope envelope) {
    if (leaves.size() > MAX_LEAVES) {
      throw new IllegalArgumentException("a DEPOSIT_GROUP carries at most " + MAX_LEAVES + " leaves");
    }
    Writer w = new Writer().u16(leaves.size());
    for (byte[] leaf : leaves) {
      Bytes.requireLength(leaf, LEAF_LENGTH, "leaf");
      w.bytes(leaf);
    }
    return of(DEPOSIT_GROUP, requestId, w.bytes(envelope.encoded()).toByteArray());
  }

  /** One entry of a TAKE: a group item's id and this member's take token for it. */
  public record Take(long itemId, byte[] token) {
    public Take {
      if (itemId < 0) {
        throw new IllegalArgumentException("item ids are below 2^63");
      }
      Bytes.requireLength(token, TOKEN_LENGTH, "token");
      token = token.clone();
    }

    @Override
    public byte[] token() {
      return token.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Take that && itemId == that.itemId && Arrays.equals(token, that.token);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(itemId) * 31 + Arrays.hashCode(token);
    }

    @Override
    public String toString() {
      return "Take[item " + itemId + "]";
    }
  }

  /** TAKE: {@code count u16 || (item_id u64 || token) x count}, 1 to 1024 entries. */
  public static Frame take(long requestId, List<Take> takes) {
    if (takes.isEmpty() || takes.size() > MAX_COUNT) {
      throw new IllegalArgumentException("a TAKE names 1.." + MAX_COUNT + " items");
    }
    Writer w = new Writer().u16(takes.size());
    for (Take t : takes) {
      w.u64(t.itemId()).bytes(t.token);
    }
    return of(TAKE, requestId, w.toByteArray());
  }

  /** One entry of a FETCH_GROUP: a tag and the fetching member's take leaf for it (spec: group.adoc#group-delivery). */
  public record Watch(byte[] tag, byte[] leaf) {
    public Watch {
      Bytes.requireLength(tag, Envelope.TAG_LENGTH, "tag");
      Bytes.requireLength(leaf, LEAF_LENGTH, "leaf");
      tag = tag.clone();
      leaf = leaf.clone();
    }

    @Override
    public byte[] tag() {
      return tag.clone();
    }

    @Override
    public byte[] leaf() {
      return leaf.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Watch that && Arrays.equals(tag, that.tag) && Arrays.equals(leaf, that.leaf);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(tag) * 31 + Arrays.hashCode(leaf);
    }

    @Override
    public String toString() {
      return "Watch[" + Bytes.hex(tag) + "]";
    }
  }

  /** FETCH_GROUP: {@code count u16 || (tag || leaf) x count}, 1 to 1024 entries. */
  public static Frame fetchGroup(long requestId, List<Watch> watches) {
    if (watches.isEmpty() || watches.size() > MAX_COUNT) {
      throw new IllegalArgumentException("a FETCH_GROUP names 1.." + MAX_COUNT + " tags");
    }
    Writer w = new Writer().u16(watches.size());
    for (Watch x : watches) {
      w.bytes(x.tag).bytes(x.leaf);
    }
    return of(FETCH_GROUP, requestId, w.toByteArray());
  }

  /**
   * The entries of a FETCH_GROUP body, in the order given (repeats kept).
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 1024)
   */
  public List<Watch> watches() throws SottoException {
    requireType(FETCH_GROUP);
    Reader in = new Reader(body, "fetch_group");
    int count = count(in);
    List<Watch> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] tag = in.bytes(Envelope.TAG_LENGTH, "tag[" + i + "]");
      out.add(new Watch(tag, in.bytes(LEAF_LENGTH, "leaf[" + i + "]")));
    }
    in.end();
    return List.copyOf(out);
  }

  /**
   * The body of a FETCH_PREFIX (spec: transport.adoc#fetch-prefix): items with an id above
   * {@code after}, whose tag's first {@code bits} bits are those of one of the {@code prefixes} (each
   * a {@code u16} whose first {@code bits} bits are the prefix and whose other bits are 0).
   */
  public record PrefixFetch(long after, int bits, List<Integer> prefixes) {
    public PrefixFetch {
      if (after < 0 || bits < 0 || bits > MAX_PREFIX_BITS || prefixes.isEmpty() || prefixes.size() > MAX_COUNT) {
        throw new IllegalArgumentException("a FETCH_PREFIX has after below 2^63, 0.." + MAX_PREFIX_BITS
            + " bits and 1.." + MAX_COUNT + " prefixes");
      }
      for (int p : prefixes) {
        if (p < 0 || p > 0xffff || (p & lowMask(bits)) != 0) {
          throw new IllegalArgumentException("a prefix of " + bits + " bits has its other bits 0");
        }
      }
      prefixes = List.copyOf(prefixes);
    }

    /** Whether a tag begins with one of the prefixes. */
    public boolean covers(byte[] tag) {
      int first = ((tag[0] & 0xff) << 8) | (tag[1] & 0xff);
      int head = first & ~lowMask(bits) & 0xffff;
      return prefixes.contains(head);
    }

    /** The prefix of {@code bits} bits of a tag, as a prefix of this request holds it. */
    public static int prefixOf(byte[] tag, int bits) {
      int first = ((tag[0] & 0xff) << 8) | (tag[1] & 0xff);
      return first & ~lowMask(bits) & 0xffff;
    }

    static int lowMask(int bits) {
      return (1 << (MAX_PREFIX_BITS - bits)) - 1;
    }
  }

  /** FETCH_PREFIX: {@code after u64 || bits u8 || count u16 || prefix u16 x count}. */
  public static Frame fetchPrefix(long requestId, PrefixFetch fetch) {
    Writer w = new Writer().u64(fetch.after()).u8(fetch.bits()).u16(fetch.prefixes().size());
    for (int p : fetch.prefixes()) {
      w.u16(p);
    }
    return of(FETCH_PREFIX, requestId, w.toByteArray());
  }

  /**
   * The body of a FETCH_PREFIX, read in this order: {@code after}, {@code bits}, {@code count}, the
   * prefixes, the end. Repeats are kept, in the order given.
   *
   * @throws SottoException INVALID_ENCODING ({@code after} of 2^63 or more, {@code bits} above 16, a
   *     count of 0 or above 1024, a prefix with a bit set after its first {@code bits}), TRUNCATED,
   *     TRAILING_DATA
   */
  public PrefixFetch prefixFetchBody() throws SottoException {
    requireType(FETCH_PREFIX);
    Reader in = new Reader(body, "fetch_prefix");
    long after = in.u64("after");
    int bits = in.u8("bits");
    if (bits > MAX_PREFIX_BITS) {
      throw in.invalid("bits", 8, "a prefix of " + bits + " bits is longer than " + MAX_PREFIX_BITS);
    }
    int count = count(in);
    List<Integer> prefixes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int p = in.u16("prefix[" + i + "]");
      if ((p & PrefixFetch.lowMask(bits)) != 0) {
        throw in.invalid("prefix[" + i + "]", 11 + 2 * i, "a prefix of " + bits + " bits has a bit set after them");
      }
      prefixes.add(p);
    }
    in.end();
    return new PrefixFetch(after, bits, prefixes);
  }

  /** The body of a DEPOSIT_GROUP: the leaves as given (repeats kept), then the envelope. */
  public record GroupDeposit(List<byte[]> leaves, Envelope envelope) {
    public GroupDeposit {
      leaves = List.copyOf(leaves);
    }

    @Override
    public String toString() {
      return "GroupDeposit[" + leaves.size() + " leaves, " + envelope + "]";
    }
  }

  /**
   * The body of a DEPOSIT_GROUP, read in this order: {@code leaf_count}, the leaves, the envelope.
   *
   * @throws SottoException INVALID_ENCODING (a count above 999, or the envelope's length no bucket),
   *     TRUNCATED (the count, a leaf or the envelope cut short), UNSUPPORTED_VERSION (the envelope's)
   */
  public GroupDeposit groupDepositBody() throws SottoException {
    requireType(DEPOSIT_GROUP);
    Reader in = new Reader(body, "deposit_group");
    int count = in.u16("leaf_count");
    if (count > MAX_LEAVES) {
      throw in.invalid("leaf_count", 0, "a count of " + count + " is above " + MAX_LEAVES);
    }
    List<byte[]> leaves = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      leaves.add(in.bytes(LEAF_LENGTH, "leaf[" + i + "]"));
    }
    return new GroupDeposit(leaves, Envelope.parse(in.bytes(in.remaining(), "envelope")));
  }

  /**
   * The entries of a TAKE body, in the order given (repeats kept).
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, INVALID_ENCODING (a count of 0 or above 1024,
   *     an id of 2^63 or more)
   */
  public List<Take> takes() throws SottoException {
    requireType(TAKE);
    Reader in = new Reader(body, "take");
    int count = count(in);
    List<Take> takes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long id = in.u64("item_id[" + i + "]");
      takes.add(new Take(id, in.bytes(TOKEN_LENGTH, "token[" + i + "]")));
    }
    in.end();
    return List.copyOf(takes);
  }

  private static int count(Reader in) throws SottoException {
    int count = in.u16("count");
    if (count == 0 || count > MAX_COUNT) {
      throw in.invalid("count", 0, "a count of " + count + " is outside 1.." + MAX_COUNT);
    }
    return count;
  }

  private void requireType(int... types) {
    for (int t : types) {
      if (t == type) {
        return;
      }
    }
    throw new IllegalStateException("a frame of type 0x" + Integer.toHexString(type) + " has no such field");
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Frame that && type == that.type && requestId == that.requestId && Arrays.equals(body, that.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, requestId, Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "Frame[type=0x" + Integer.toHexString(type) + ", request=" + requestId + ", body=" + body.length + " bytes]";
  }
}
