package dev.sotto;

import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.group.GroupKdf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A group's state (spec: group.adoc#group-state): its id, name, members with their roles,
 * mailboxes and epoch. Immutable; its canonical encoding and its {@link #hash()} name it. Members
 * are kept in increasing order of fingerprint.
 */
public final class GroupState {
  public static final int VERSION = 0x01;
  public static final int GROUP_ID_LENGTH = 32;
  public static final int MAX_MEMBERS = 1000;
  public static final int MAX_NAME_BYTES = 64;
  public static final int MAX_MAILBOXES = 4;

  /** A member's role (spec: group.adoc#group-state): an admin may make every change, a member only leave. */
  public enum Role {
    MEMBER(0x00), ADMIN(0x01);

    private final int code;

    Role(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    static Role read(Reader in, String field) throws SottoException {
      int offset = in.position();
      int code = in.u8(field);
      return switch (code) {
        case 0x00 -> MEMBER;
        case 0x01 -> ADMIN;
        default -> throw in.invalid(field, offset, "role " + code);
      };
    }
  }

  /** A member and its role. */
  public record Member(PublicIdentity identity, Role role) {
    public Member {
      Objects.requireNonNull(identity, "identity");
      Objects.requireNonNull(role, "role");
    }

    public Fingerprint fingerprint() {
      return identity.fingerprint();
    }
  }

  /** A mailbox of the group, with the member that runs it (empty: none of them). */
  public record Mailbox(Optional<Fingerprint> host, Address address) {
    public Mailbox {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(address, "address");
    }

    void write(Writer w) {
      w.bytes(host.map(Fingerprint::bytes).orElse(new byte[Fingerprint.LENGTH]));
      address.write(w);
    }

    /** host (32) || address; the host is checked by the caller against the members. */
    static Mailbox read(Reader in, int index) throws SottoException {
      byte[] host = in.bytes(Fingerprint.LENGTH, "mailbox[" + index + "].host");
      Address address = Address.read(in, index);
      boolean none = Arrays.equals(host, new byte[Fingerprint.LENGTH]);
      return new Mailbox(none ? Optional.empty() : Optional.of(Fingerprint.fromBytes(host)), address);
    }
  }

  private final byte[] groupId;
  private final long epoch;
  private final String name;
  /** By fingerprint, in increasing unsigned order. */
  private final TreeMap<ByteBuffer, Member> members;
  private final List<Mailbox> mailboxes;
  private final byte[] encoded;
  private final byte[] hash;

  GroupState(byte[] groupId, long epoch, String name, TreeMap<ByteBuffer, Member> members, List<Mailbox> mailboxes) {
    this.groupId = groupId.clone();
    this.epoch = epoch;
    this.name = name;
    this.members = newMembers();
    this.members.putAll(members);
    this.mailboxes = List.copyOf(mailboxes);
    this.encoded = encode();
    this.hash = GroupKdf.stateHash(encoded);
  }

  /** The state of epoch 0 of a new group: its creator, an admin, alone (spec: group.adoc#group-create). */
  static GroupState initial(byte[] groupId, PublicIdentity creator, String name, List<Mailbox> mailboxes) {
    checkName(name);
    TreeMap<ByteBuffer, Member> members = newMembers();
    members.put(key(creator.fingerprint()), new Member(creator, Role.ADMIN));
    if (mailboxes.size() > MAX_MAILBOXES) {
      throw new IllegalArgumentException("at most " + MAX_MAILBOXES + " mailboxes");
    }
    for (Mailbox m : mailboxes) {
      if (m.host().isPresent() && !m.host().get().equals(creator.fingerprint())) {
        throw new IllegalArgumentException("a mailbox's host must be a member");
      }
    }
    return new GroupState(groupId, 0, name, members, mailboxes);
  }

  static void checkName(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < 1 || bytes.length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException("a group name is 1 to " + MAX_NAME_BYTES + " bytes of UTF-8");
    }
  }

  /** Fingerprints compare as unsigned bytes (ByteBuffer's own order is signed). */
  static final java.util.Comparator<ByteBuffer> UNSIGNED = (a, b) -> Arrays.compareUnsigned(a.array(), b.array());

  static TreeMap<ByteBuffer, Member> newMembers() {
    return new TreeMap<>(UNSIGNED);
  }

  static ByteBuffer key(Fingerprint fingerprint) {
    return ByteBuffer.wrap(fingerprint.bytes());
  }

  private byte[] encode() {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    Writer w = new Writer().u8(VERSION).u16(Suite.SOTTO_1.id()).bytes(groupId).u64(epoch).u8(nameBytes.length)
        .bytes(nameBytes).u16(members.size());
    for (Member m : members.values()) {
      w.bytes(m.identity().encodedView()).u8(m.role().code());
    }
    w.u8(mailboxes.size());
    mailboxes.forEach(m -> m.write(w));
    return w.toByteArray();
  }

  /**
   * Reads a group state (spec: group.adoc#group-state-table), in the order of its table.
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, UNSUPPORTED_SUITE,
   *     INVALID_ENCODING, INVALID_KEY
   */
  public static GroupState parse(byte[] encoded) throws SottoException {
    Reader in = new Reader(encoded, "group state");
    in.version(VERSION, "group state");
    in.suite();
    byte[] groupId = in.bytes(GROUP_ID_LENGTH, "group_id");
    long epoch = in.u64("epoch");
    String name = readName(in);
    int countOffset = in.position();
    int count = in.u16("member_count");
    if (count < 1 || count > MAX_MEMBERS) {
      throw in.invalid("member_count", countOffset, count + " members; a group has 1 to " + MAX_MEMBERS);
    }
    TreeMap<ByteBuffer, Member> members = newMembers();
    ByteBuffer previous = null;
    boolean admin = false;
    for (int i = 0; i < count; i++) {
      int offset = in.position();
      PublicIdentity identity = PublicIdentity.read(in);
      Role role = Role.read(in, "member[" + i + "].role");
      ByteBuffer fp = key(identity.fingerprint());
      if (previous != null && UNSIGNED.compare(fp, previous) <= 0) {
        throw in.invalid("member[" + i + "]", offset, "members are not in increasing order of fingerprint");
      }
      previous = fp;
      admin |= role == Role.ADMIN;
      members.put(fp, new Member(identity, role));
    }
    int mailboxOffset = in.position();
    if (!admin) {
      throw in.invalid("member", mailboxOffset, "no member is an admin");
    }
    List<Mailbox> mailboxes = readMailboxes(in, members);
    in.end();
    return new GroupState(groupId, epoch, name, members, mailboxes);
  }

  /** name_length u8 (1..64) || name (UTF-8). */
  static String readName(Reader in) throws SottoException {
    int offset = in.position();
    int length = in.u8("name_length");
    if (length < 1 || length > MAX_NAME_BYTES) {
      throw in.invalid("name_length", offset, "a name of " + length + " bytes; 1 to " + MAX_NAME_BYTES);
    }
    int nameOffset = in.position();
    byte[] bytes = in.bytes(length, "name");
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw in.invalid("name", nameOffset, "not UTF-8");
    }
  }

  /** mailbox_count u8 (at most 4) || mailboxes; with {@code members}, each host must be one of them. */
  static List<Mailbox> readMailboxes(Reader in, TreeMap<ByteBuffer, Member> members) throws SottoException {
    int offset = in.position();
    int count = in.u8("mailbox_count");
    if (count > MAX_MAILBOXES) {
      throw in.invalid("mailbox_count", offset, count + " mailboxes; at most " + MAX_MAILBOXES);
    }
    List<Mailbox> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int hostOffset = in.position();
      Mailbox m = Mailbox.read(in, i);
      if (members != null && m.host().isPresent() && !members.containsKey(key(m.host().get()))) {
        throw in.invalid("mailbox[" + i + "].host", hostOffset, "the host is no member");
      }
      out.add(m);
    }
    return out;
  }

  /** The canonical encoding: what a welcome carries. */
  public byte[] encoded() {
    return encoded.clone();
  }

  byte[] encodedView() {
    return encoded;
  }

  /** SHA-256("sotto/v2/group/state" || encoding): the name of this state in every group message. */
  public byte[] hash() {
    return hash.clone();
  }

  byte[] hashView() {
    return hash;
  }

  public byte[] groupId() {
    return groupId.clone();
  }

  byte[] groupIdView() {
    return groupId;
  }

  public long epoch() {
    return epoch;
  }

  public String name() {
    return name;
  }

  /** The members, in increasing order of fingerprint. */
  public List<Member> members() {
    return Collections.unmodifiableList(new ArrayList<>(members.values()));
  }

  public List<Mailbox> mailboxes() {
    return mailboxes;
  }

  public boolean isMember(Fingerprint fingerprint) {
    return members.containsKey(key(fingerprint));
  }

  /** The member with this fingerprint, if any. */
  public Optional<Member> member(Fingerprint fingerprint) {
    return Optional.ofNullable(members.get(key(fingerprint)));
  }

  TreeMap<ByteBuffer, Member> memberMap() {
    TreeMap<ByteBuffer, Member> copy = newMembers();
    copy.putAll(members);
    return copy;
  }

  /** Two states are equal exactly when their encodings are. */
  @Override
  public boolean equals(Object other) {
    return other instanceof GroupState that && Arrays.equals(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return "GroupState[epoch " + epoch + ", " + members.size() + " members, " + Bytes.hex(Arrays.copyOf(hash, 8)) + "]";
  }
}
