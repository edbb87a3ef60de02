package dev.sotto;

import dev.sotto.GroupState.Mailbox;
import dev.sotto.GroupState.Member;
import dev.sotto.GroupState.Role;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.group.GroupKdf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A change of a group's state (spec: group.adoc#group-changes): made by its author on a parent
 * state, it gives the state of the next epoch. Immutable; its {@link #hash()} and {@link #key()}
 * name it, and the key orders concurrent changes (spec: group.adoc#group-tip).
 */
public final class GroupChange {
  public static final int VERSION = 0x01;
  public static final int MAX_OPS = 32;

  /** One operation of a change (spec: group.adoc#group-ops). */
  public sealed interface Op permits Add, Remove, SetRole, Rename, SetMailboxes {}

  /** {@code ADD}: a new member with a role. */
  public record Add(PublicIdentity identity, Role role) implements Op {
    public Add {
      Objects.requireNonNull(identity, "identity");
      Objects.requireNonNull(role, "role");
    }
  }

  /** {@code REMOVE}: a member leaves or is removed, with the mailboxes it runs. */
  public record Remove(Fingerprint member) implements Op {
    public Remove {
      Objects.requireNonNull(member, "member");
    }
  }

  /** {@code ROLE}: a member's new role. */
  public record SetRole(Fingerprint member, Role role) implements Op {
    public SetRole {
      Objects.requireNonNull(member, "member");
      Objects.requireNonNull(role, "role");
    }
  }

  /** {@code RENAME}: the group's new name (1 to 64 bytes of UTF-8). */
  public record Rename(String name) implements Op {
    public Rename {
      GroupState.checkName(name);
    }
  }

  /** {@code MAILBOXES}: the group's mailboxes, at most 4, in order. */
  public record SetMailboxes(List<Mailbox> mailboxes) implements Op {
    public SetMailboxes {
      mailboxes = List.copyOf(mailboxes);
      if (mailboxes.size() > GroupState.MAX_MAILBOXES) {
        throw new IllegalArgumentException("at most " + GroupState.MAX_MAILBOXES + " mailboxes");
      }
    }
  }

  private final byte[] groupId;
  private final long parentEpoch;
  private final byte[] parentHash;
  private final Fingerprint author;
  private final List<Op> ops;
  private final byte[] encoded;
  private final byte[] hash;

  private GroupChange(byte[] groupId, long parentEpoch, byte[] parentHash, Fingerprint author, List<Op> ops) {
    this.groupId = groupId.clone();
    this.parentEpoch = parentEpoch;
    this.parentHash = parentHash.clone();
    this.author = author;
    this.ops = List.copyOf(ops);
    this.encoded = encode();
    this.hash = GroupKdf.changeHash(encoded);
  }

  /** A change by {@code author} on {@code parent}; whether it applies is checked by {@link #applyTo}. */
  static GroupChange of(GroupState parent, Fingerprint author, List<Op> ops) {
    if (ops.isEmpty() || ops.size() > MAX_OPS) {
      throw new IllegalArgumentException("a change has 1 to " + MAX_OPS + " operations");
    }
    if (parent.epoch() == Long.MAX_VALUE) {
      throw new IllegalArgumentException("the last epoch");
    }
    return new GroupChange(parent.groupIdView(), parent.epoch(), parent.hashView(), author, ops);
  }

  private byte[] encode() {
    Writer w = new Writer().u8(VERSION).bytes(groupId).u64(parentEpoch).bytes(parentHash).bytes(author.bytes())
        .u8(ops.size());
    for (Op op : ops) {
      if (op instanceof Add a) {
        w.u8(0x01).bytes(a.identity().encodedView()).u8(a.role().code());
      } else if (op instanceof Remove r) {
        w.u8(0x02).bytes(r.member().bytes());
      } else if (op instanceof SetRole s) {
        w.u8(0x03).bytes(s.member().bytes()).u8(s.role().code());
      } else if (op instanceof Rename n) {
        byte[] name = n.name().getBytes(StandardCharsets.UTF_8);
        w.u8(0x04).u8(name.length).bytes(name);
      } else if (op instanceof SetMailboxes m) {
        w.u8(0x05).u8(m.mailboxes().size());
        m.mailboxes().forEach(x -> x.write(w));
      }
    }
    return w.toByteArray();
  }

  /**
   * Reads a change of the group {@code groupId} (spec: group.adoc#group-change-table).
   *
   * @throws SottoException TRUNCATED, TRAILING_DATA, UNSUPPORTED_VERSION, UNSUPPORTED_SUITE,
   *     INVALID_ENCODING (another group's id, an undefined op or role, a count out of range, a
   *     name or mailbox that breaks its rules), INVALID_KEY
   */
  public static GroupChange parse(byte[] groupId, byte[] encoded) throws SottoException {
    Reader in = Reader.decrypted(encoded, "group change");
    in.version(VERSION, "group change");
    int idOffset = in.position();
    byte[] id = in.bytes(GroupState.GROUP_ID_LENGTH, "group_id");
    if (!Arrays.equals(id, groupId)) {
      throw in.invalid("group_id", idOffset, "another group's change");
    }
    int epochOffset = in.position();
    long parentEpoch = in.u64("parent_epoch");
    if (parentEpoch == Long.MAX_VALUE) {
      throw in.invalid("parent_epoch", epochOffset, "the last epoch has no child");
    }
    byte[] parentHash = in.bytes(32, "parent_hash");
    Fingerprint author = Fingerprint.fromBytes(in.bytes(Fingerprint.LENGTH, "author"));
    int countOffset = in.position();
    int count = in.u8("op_count");
    if (count < 1 || count > MAX_OPS) {
      throw in.invalid("op_count", countOffset, "1 to " + MAX_OPS + " operations");
    }
    List<Op> ops = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int opOffset = in.position();
      int op = in.u8("op");
      ops.add(switch (op) {
        case 0x01 -> new Add(PublicIdentity.read(in), Role.read(in, "role"));
        case 0x02 -> new Remove(Fingerprint.fromBytes(in.bytes(Fingerprint.LENGTH, "member")));
        case 0x03 -> new SetRole(Fingerprint.fromBytes(in.bytes(Fingerprint.LENGTH, "member")), Role.read(in, "role"));
        case 0x04 -> new Rename(GroupState.readName(in));
        case 0x05 -> new SetMailboxes(GroupState.readMailboxes(in, null));
        default -> throw in.invalid("op", opOffset, "undefined operation");
      });
    }
    in.end();
    return new GroupChange(groupId, parentEpoch, parentHash, author, ops);
  }

  /**
   * The state this change gives when applied to {@code parent} (spec: group.adoc#group-apply). The
   * caller gives the state the change names as its parent; this is not checked here.
   *
   * @throws SottoException NOT_PERMITTED (the author is no member of the parent, or a member that
   *     does more than leave), INVALID_ENCODING (an op that does not apply; no member or no admin
   *     left), LIMIT_EXCEEDED (more than 1,000 members)
   */
  public GroupState applyTo(GroupState parent) throws SottoException {
    Member by = parent.member(author).orElseThrow(() ->
        new SottoException(ErrorCode.NOT_PERMITTED, "group change: its author is no member of its parent state"));
    if (by.role() != Role.ADMIN && !(ops.size() == 1 && ops.get(0) instanceof Remove r && r.member().equals(author))) {
      throw new SottoException(ErrorCode.NOT_PERMITTED, "group change: a member who is no admin may only leave");
    }
    TreeMap<ByteBuffer, Member> members = parent.memberMap();
    String name = parent.name();
    List<Mailbox> mailboxes = new ArrayList<>(parent.mailboxes());
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      if (op instanceof Add a) {
        ByteBuffer k = GroupState.key(a.identity().fingerprint());
        if (members.containsKey(k)) {
          throw invalid(i, "ADD of a member");
        }
        members.put(k, new Member(a.identity(), a.role()));
      } else if (op instanceof Remove r) {
        if (members.remove(GroupState.key(r.member())) == null) {
          throw invalid(i, "REMOVE of no member");
        }
        mailboxes.removeIf(m -> m.host().isPresent() && m.host().get().equals(r.member()));
      } else if (op instanceof SetRole s) {
        ByteBuffer k = GroupState.key(s.member());
        Member m = members.get(k);
        if (m == null) {
          throw invalid(i, "ROLE of no member");
        }
        members.put(k, new Member(m.identity(), s.role()));
      } else if (op instanceof Rename n) {
        name = n.name();
      } else if (op instanceof SetMailboxes s) {
        for (Mailbox m : s.mailboxes()) {
          if (m.host().isPresent() && !members.containsKey(GroupState.key(m.host().get()))) {
            throw invalid(i, "a mailbox's host is no member");
          }
        }
        mailboxes = new ArrayList<>(s.mailboxes());
      }
    }
    if (members.size() > GroupState.MAX_MEMBERS) {
      throw new SottoException(ErrorCode.LIMIT_EXCEEDED, "group change: more than " + GroupState.MAX_MEMBERS + " members");
    }
    if (members.isEmpty() || members.values().stream().noneMatch(m -> m.role() == Role.ADMIN)) {
      throw new SottoException(ErrorCode.INVALID_ENCODING, "group change: no member or no admin would be left");
    }
    return new GroupState(groupId, parentEpoch + 1, name, members, mailboxes);
  }

  private static SottoException invalid(int index, String why) {
    return new SottoException(ErrorCode.INVALID_ENCODING, "group change: op " + index + ": " + why);
  }

  public byte[] encoded() {
    return encoded.clone();
  }

  byte[] encodedView() {
    return encoded;
  }

  /** SHA-256("sotto/v2/group/change" || encoding). */
  public byte[] hash() {
    return hash.clone();
  }

  /** author || hash (64 bytes): the smaller key wins between concurrent changes of one parent. */
  public byte[] key() {
    return Bytes.concat(author.bytes(), hash);
  }

  public Fingerprint author() {
    return author;
  }

  public long parentEpoch() {
    return parentEpoch;
  }

  public byte[] parentHash() {
    return parentHash.clone();
  }

  byte[] parentHashView() {
    return parentHash;
  }

  public List<Op> ops() {
    return ops;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof GroupChange that && Arrays.equals(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return "GroupChange[epoch " + parentEpoch + " -> " + (parentEpoch + 1) + ", by " + author + ", " + ops.size()
        + " ops]";
  }
}
