package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.ErrorCode;
import dev.sotto.Group;
import dev.sotto.GroupChange;
import dev.sotto.GroupState;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.internal.group.GroupMessage;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code group.json}: the group layer (spec: group.adoc). Operations: {@code chain} (a sender chain's
 * key schedule from its seed), {@code state} (reading a group state), {@code change} (reading a
 * change and applying it to its parent), {@code conversation} (members playing a group through the
 * {@link Group} API: creating, welcoming, sealing, handing out sender keys, opening, changing the
 * group concurrently, removing, resyncing; an invalid case's last step is refused).
 *
 * <p>States and changes of the {@code state} and {@code change} cases, and the crafted inputs of
 * the invalid conversations, are written here byte by byte, not by the code under test.
 */
public final class GroupVectors implements VectorSuite {
  static final long T0 = 1_800_000_000L;
  private static final Set<String> DRAWS = Set.of("create", "propose", "seal", "request");

  @Override
  public String component() {
    return "group";
  }

  @Override
  public String description() {
    return "Groups: sender chains from their seeds, group states and changes (read, applied, refused), and whole "
        + "group conversations through the API (welcomes, sender keys, messages, removals that rotate the chains, "
        + "concurrent changes that converge, out-of-order delivery, pending and forked sender keys, resync); "
        + "refused messages, sender keys, changes and welcomes. Spec: group.adoc.";
  }

  // ------------------------------------------------------------------ members

  static byte[] memberSeed(String name) {
    return Hmac.hash(("sotto/vectors/v1/group/member/" + name).getBytes(StandardCharsets.US_ASCII));
  }

  static PublicIdentity member(String name) {
    return Identity.fromSeed(IdentitySeed.fromBytes(memberSeed(name))).publicIdentity();
  }

  static byte[] fp(String name) {
    return member(name).fingerprint().bytes();
  }

  // ------------------------------------------------------------------ generation

  @Override
  public ArrayNode generate() {
    Cases cases = new Cases();
    chains(cases);
    states(cases);
    changes(cases);
    conversations(cases);
    return cases.toArray();
  }

  private void chains(Cases cases) {
    for (String name : List.of("a", "b")) {
      byte[] seed = Hmac.hash(("sotto/vectors/v1/group/chain/" + name).getBytes(StandardCharsets.US_ASCII));
      byte[] groupId = Hmac.hash(("sotto/vectors/v1/group/id/" + name).getBytes(StandardCharsets.US_ASCII));
      ObjectNode input = Json.object().put("group_id", Bytes.hex(groupId)).put("chain_seed", Bytes.hex(seed))
          .put("messages", 3);
      ArrayNode fps = input.putArray("fingerprints");
      fps.add(Bytes.hex(fp("alice"))).add(Bytes.hex(fp("bob")));
      cases.valid("chain", "a sender chain's keys, its first three messages' keys and tags, and two members' take "
          + "seeds, tokens and leaves for message 0 (" + name + ")", input, chainOutput(input));
    }
  }

  static ObjectNode chainOutput(JsonNode input) {
    byte[] groupId = Json.hex(input, "group_id");
    GroupKdf.ChainMaterial m = GroupKdf.chain(groupId, Json.hex(input, "chain_seed"));
    ObjectNode out = Json.object().put("chain_key", Bytes.hex(m.chainKey())).put("tag_key", Bytes.hex(m.tagKey()))
        .put("signing_private", Bytes.hex(m.signingPrivate())).put("signing_public", Bytes.hex(m.signingPublic()))
        .put("take_secret", Bytes.hex(m.takeSecret())).put("chain_id", m.chainId());
    ArrayNode messages = out.putArray("messages");
    byte[] ck = m.chainKey();
    for (int n = 0; n < input.path("messages").asInt(); n++) {
      messages.addObject().put("n", n).put("chain_key", Bytes.hex(ck)).put("message_key", Bytes.hex(GroupKdf.messageKey(ck)))
          .put("tag", Bytes.hex(GroupKdf.tag(m.tagKey(), n)));
      ck = GroupKdf.nextChainKey(ck);
    }
    ArrayNode takes = out.putArray("takes");
    byte[] tag0 = GroupKdf.tag(m.tagKey(), 0);
    for (JsonNode f : input.path("fingerprints")) {
      byte[] seed = GroupKdf.takeSeed(m.takeSecret(), Bytes.unhex(f.asText()));
      byte[] token = GroupKdf.takeToken(seed, tag0);
      takes.addObject().put("fingerprint", f.asText()).put("take_seed", Bytes.hex(seed)).put("token", Bytes.hex(token))
          .put("leaf", Bytes.hex(GroupKdf.takeLeaf(token)));
    }
    return out;
  }

  // ------------------------------------------------------------------ states

  /** A member entry of a hand-written state: an identity encoding and a role byte. */
  record M(byte[] identity, int role) {
    byte[] fingerprint() throws SottoException {
      return PublicIdentity.parse(identity).fingerprint().bytes();
    }
  }

  static M m(String name, int role) {
    return new M(member(name).encoded(), role);
  }

  /** A state written byte by byte; members are written in the order given. */
  static byte[] state(int version, int suite, byte[] groupId, long epoch, byte[] name, List<M> members, byte[] mailboxes) {
    Writer w = new Writer().u8(version).u16(suite).bytes(groupId).bytes(u64raw(epoch)).u8(name.length).bytes(name)
        .u16(members.size());
    members.forEach(x -> w.bytes(x.identity()).u8(x.role()));
    return w.bytes(mailboxes).toByteArray();
  }

  /** The members sorted by fingerprint, as a writer lists them. */
  static List<M> sorted(M... members) {
    List<M> out = new ArrayList<>(Arrays.asList(members));
    out.sort(Comparator.comparing(x -> {
      try {
        return Bytes.hex(x.fingerprint());
      } catch (SottoException e) {
        throw new IllegalStateException(e);
      }
    }));
    return out;
  }

  static byte[] u64raw(long v) {
    byte[] out = new byte[8];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (v >>> (56 - 8 * i));
    }
    return out;
  }

  static final byte[] GROUP_ID = Hmac.hash("sotto/vectors/v1/group/id/states".getBytes(StandardCharsets.US_ASCII));
  static final byte[] NAME = "friends".getBytes(StandardCharsets.UTF_8);
  static final byte[] NO_MAILBOX = {0};
  static final byte[] LINK_KEY = Bytes.unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");

  /** A mailbox entry: host (32) || kind 2 || length || link key || port || host name. */
  static byte[] mailbox(byte[] host, String hostName) {
    byte[] hostBytes = hostName.getBytes(StandardCharsets.US_ASCII);
    byte[] value = new Writer().u8(0x02).bytes(LINK_KEY).u16(7000).bytes(hostBytes).toByteArray();
    return new Writer().bytes(host).u8(0x02).u8(value.length).bytes(value).toByteArray();
  }

  static byte[] mailboxes(byte[]... entries) {
    return Bytes.concat(new byte[] {(byte) entries.length}, Bytes.concat(entries));
  }

  private void states(Cases cases) {
    List<M> three = sorted(m("alice", 1), m("bob", 0), m("carol", 0));
    stateCase(cases, "a group of one, its creator, at epoch 0",
        state(1, 1, GROUP_ID, 0, NAME, List.of(m("alice", 1)), NO_MAILBOX), null);
    stateCase(cases, "three members, two admins, a mailbox run by bob and one by no member, a name in UTF-8",
        state(1, 1, GROUP_ID, 7, "Café ☕ friends".getBytes(StandardCharsets.UTF_8),
            sorted(m("alice", 1), m("bob", 1), m("carol", 0)),
            mailboxes(mailbox(fp("bob"), "mail.example"), mailbox(new byte[32], "10.0.0.1"))), null);
    stateCase(cases, "the largest epoch", state(1, 1, GROUP_ID, Long.MAX_VALUE, NAME, three, NO_MAILBOX), null);
    byte[] valid = state(1, 1, GROUP_ID, 1, NAME, three, NO_MAILBOX);
    stateCase(cases, "revision 2's version byte is 0x01; 0x02 is unknown", withByte(valid, 0, 2), ErrorCode.UNSUPPORTED_VERSION);
    stateCase(cases, "suite 0x0002", state(1, 2, GROUP_ID, 1, NAME, three, NO_MAILBOX), ErrorCode.UNSUPPORTED_SUITE);
    stateCase(cases, "cut short in the members", Arrays.copyOf(valid, valid.length - 40), ErrorCode.TRUNCATED);
    stateCase(cases, "empty", new byte[0], ErrorCode.TRUNCATED);
    stateCase(cases, "a byte after the mailboxes", Bytes.concat(valid, new byte[1]), ErrorCode.TRAILING_DATA);
    stateCase(cases, "an epoch of 2^63", state(1, 1, GROUP_ID, Long.MIN_VALUE, NAME, three, NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "an empty name", state(1, 1, GROUP_ID, 1, new byte[0], three, NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "a name of 65 bytes", state(1, 1, GROUP_ID, 1, new byte[65], three, NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "a name of 64 bytes", state(1, 1, GROUP_ID, 1, "x".repeat(64).getBytes(StandardCharsets.UTF_8), three, NO_MAILBOX), null);
    stateCase(cases, "a name that is not UTF-8 (an overlong '/')",
        state(1, 1, GROUP_ID, 1, new byte[] {(byte) 0xc0, (byte) 0xaf}, three, NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "no member", state(1, 1, GROUP_ID, 1, NAME, List.of(), NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    List<M> reversed = new ArrayList<>(three);
    java.util.Collections.reverse(reversed);
    stateCase(cases, "members out of order of fingerprint", state(1, 1, GROUP_ID, 1, NAME, reversed, NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "a member twice", state(1, 1, GROUP_ID, 1, NAME, List.of(m("alice", 1), m("alice", 1)), NO_MAILBOX),
        ErrorCode.INVALID_ENCODING);
    stateCase(cases, "a role byte 0x02", state(1, 1, GROUP_ID, 1, NAME, List.of(m("alice", 2)), NO_MAILBOX), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "no admin", state(1, 1, GROUP_ID, 1, NAME, sorted(m("alice", 0), m("bob", 0)), NO_MAILBOX),
        ErrorCode.INVALID_ENCODING);
    byte[] five = mailbox(new byte[32], "m.example");
    stateCase(cases, "five mailboxes", state(1, 1, GROUP_ID, 1, NAME, three, mailboxes(five, five, five, five, five)),
        ErrorCode.INVALID_ENCODING);
    stateCase(cases, "a mailbox whose host is no member",
        state(1, 1, GROUP_ID, 1, NAME, three, mailboxes(mailbox(fp("dave"), "m.example"))), ErrorCode.INVALID_ENCODING);
    stateCase(cases, "a mailbox address of kind 0",
        state(1, 1, GROUP_ID, 1, NAME, three, Bytes.concat(new byte[] {1}, new byte[32], new byte[] {0, 1, 9})),
        ErrorCode.INVALID_ENCODING);
    byte[] badIdentity = member("bob").encoded();
    System.arraycopy(Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000"), 0, badIdentity, 36, 32);
    stateCase(cases, "a member whose X25519 identity key is of small order",
        state(1, 1, GROUP_ID, 1, NAME, List.of(new M(badIdentity, 1)), NO_MAILBOX), ErrorCode.INVALID_KEY);
    stateCase(cases, "1,001 members", state(1, 1, GROUP_ID, 1, NAME, many(1001), NO_MAILBOX), ErrorCode.INVALID_ENCODING);
  }

  /** {@code count} members, sorted, the first an admin. */
  static List<M> many(int count) {
    List<M> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(new M(member("member-" + i).encoded(), 0));
    }
    List<M> s = sorted(out.toArray(new M[0]));
    s.set(0, new M(s.get(0).identity(), 1));
    return s;
  }

  static byte[] withByte(byte[] in, int at, int value) {
    byte[] out = in.clone();
    out[at] = (byte) value;
    return out;
  }

  private void stateCase(Cases cases, String comment, byte[] state, ErrorCode error) {
    ObjectNode input = Json.object().put("state", Bytes.hex(state));
    if (error != null) {
      cases.invalid("state", comment, input, error);
      return;
    }
    try {
      cases.valid("state", comment, input, stateOutput(GroupState.parse(state)));
    } catch (SottoException e) {
      throw new IllegalStateException(comment, e);
    }
  }

  static ObjectNode stateOutput(GroupState s) {
    ObjectNode out = Json.object().put("group_id", Bytes.hex(s.groupId())).put("epoch", s.epoch()).put("name", s.name());
    ArrayNode members = out.putArray("members");
    for (GroupState.Member x : s.members()) {
      members.addObject().put("identity", Bytes.hex(x.identity().encoded()))
          .put("fingerprint", Bytes.hex(x.fingerprint().bytes())).put("role", x.role().name().toLowerCase(java.util.Locale.ROOT));
    }
    ArrayNode mailboxes = out.putArray("mailboxes");
    for (GroupState.Mailbox x : s.mailboxes()) {
      mailboxes.addObject().put("host", Bytes.hex(x.host().map(f -> f.bytes()).orElse(new byte[32])))
          .put("kind", x.address().kind()).put("value", Bytes.hex(x.address().value()));
    }
    out.put("state_hash", Bytes.hex(s.hash()));
    return out;
  }

  // ------------------------------------------------------------------ changes

  /** A change written byte by byte. */
  static byte[] change(int version, byte[] groupId, long parentEpoch, byte[] parentHash, byte[] author, byte[]... ops) {
    Writer w = new Writer().u8(version).bytes(groupId).bytes(u64raw(parentEpoch)).bytes(parentHash).bytes(author)
        .u8(ops.length);
    for (byte[] op : ops) {
      w.bytes(op);
    }
    return w.toByteArray();
  }

  static byte[] opAdd(byte[] identity, int role) {
    return new Writer().u8(1).bytes(identity).u8(role).toByteArray();
  }

  static byte[] opRemove(byte[] member) {
    return new Writer().u8(2).bytes(member).toByteArray();
  }

  static byte[] opRole(byte[] member, int role) {
    return new Writer().u8(3).bytes(member).u8(role).toByteArray();
  }

  static byte[] opRename(String name) {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    return new Writer().u8(4).u8(b.length).bytes(b).toByteArray();
  }

  static byte[] opMailboxes(byte[] entries) {
    return Bytes.concat(new byte[] {5}, entries);
  }

  private void changes(Cases cases) {
    byte[] parent = state(1, 1, GROUP_ID, 4, NAME, sorted(m("alice", 1), m("bob", 1), m("carol", 0)),
        mailboxes(mailbox(fp("bob"), "bob.example"), mailbox(new byte[32], "m.example")));
    byte[] h = GroupKdf.stateHash(parent);
    byte[] a = fp("alice");
    changeCase(cases, "an admin adds dave as a member and erin as an admin", parent,
        change(1, GROUP_ID, 4, h, a, opAdd(member("dave").encoded(), 0), opAdd(member("erin").encoded(), 1)), null);
    changeCase(cases, "an admin removes bob: bob's mailbox leaves with him, the other stays", parent,
        change(1, GROUP_ID, 4, h, a, opRemove(fp("bob"))), null);
    changeCase(cases, "an admin makes carol an admin, renames the group and sets one mailbox run by carol", parent,
        change(1, GROUP_ID, 4, h, a, opRole(fp("carol"), 1), opRename("new name"),
            opMailboxes(mailboxes(mailbox(fp("carol"), "carol.example")))), null);
    changeCase(cases, "carol, a member, leaves", parent, change(1, GROUP_ID, 4, h, fp("carol"), opRemove(fp("carol"))), null);
    changeCase(cases, "an admin leaves, the other admin stays", parent, change(1, GROUP_ID, 4, h, fp("bob"), opRemove(fp("bob"))), null);
    changeCase(cases, "ops apply in order: add dave, then a mailbox run by dave", parent,
        change(1, GROUP_ID, 4, h, a, opAdd(member("dave").encoded(), 0), opMailboxes(mailboxes(mailbox(fp("dave"), "d.example")))), null);
    changeCase(cases, "the author is no member", parent, change(1, GROUP_ID, 4, h, fp("dave"), opRename("x")), ErrorCode.NOT_PERMITTED);
    changeCase(cases, "carol, no admin, renames the group", parent, change(1, GROUP_ID, 4, h, fp("carol"), opRename("x")),
        ErrorCode.NOT_PERMITTED);
    changeCase(cases, "carol, no admin, removes bob", parent, change(1, GROUP_ID, 4, h, fp("carol"), opRemove(fp("bob"))),
        ErrorCode.NOT_PERMITTED);
    changeCase(cases, "carol leaves and renames: more than leaving", parent,
        change(1, GROUP_ID, 4, h, fp("carol"), opRemove(fp("carol")), opRename("x")), ErrorCode.NOT_PERMITTED);
    changeCase(cases, "ADD of a member", parent, change(1, GROUP_ID, 4, h, a, opAdd(member("bob").encoded(), 0)), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "REMOVE of no member", parent, change(1, GROUP_ID, 4, h, a, opRemove(fp("dave"))), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "ROLE of no member", parent, change(1, GROUP_ID, 4, h, a, opRole(fp("dave"), 1)), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "a mailbox run by no member", parent,
        change(1, GROUP_ID, 4, h, a, opMailboxes(mailboxes(mailbox(fp("dave"), "d.example")))), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "both admins removed: no admin left", parent,
        change(1, GROUP_ID, 4, h, a, opRemove(fp("bob")), opRemove(a)), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "every member removed", parent,
        change(1, GROUP_ID, 4, h, a, opRemove(fp("bob")), opRemove(fp("carol")), opRemove(a)), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "an undefined op 0x06", parent, change(1, GROUP_ID, 4, h, a, new byte[] {6}), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "no op", parent, change(1, GROUP_ID, 4, h, a), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "another group's change", parent, change(1, new byte[32], 4, h, a, opRename("x")), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "a role byte 0x02", parent, change(1, GROUP_ID, 4, h, a, opRole(fp("carol"), 2)), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "a parent epoch of 2^63 - 1, which has no next epoch", parent,
        change(1, GROUP_ID, Long.MAX_VALUE, h, a, opRename("x")), ErrorCode.INVALID_ENCODING);
    changeCase(cases, "version 0x02", parent, change(2, GROUP_ID, 4, h, a, opRename("x")), ErrorCode.UNSUPPORTED_VERSION);
    byte[] ok = change(1, GROUP_ID, 4, h, a, opRename("x"));
    changeCase(cases, "cut short", parent, Arrays.copyOf(ok, ok.length - 1), ErrorCode.TRUNCATED);
    changeCase(cases, "a byte after the last op", parent, Bytes.concat(ok, new byte[1]), ErrorCode.TRAILING_DATA);
    byte[] suite2 = member("dave").encoded();
    suite2[1] = 2;
    changeCase(cases, "an ADD of an identity of suite 0x0002", parent, change(1, GROUP_ID, 4, h, a, opAdd(suite2, 0)),
        ErrorCode.UNSUPPORTED_SUITE);
    byte[] badKey = member("dave").encoded();
    System.arraycopy(new byte[32], 0, badKey, 36, 32);
    changeCase(cases, "an ADD of an identity whose X25519 key is all zero", parent, change(1, GROUP_ID, 4, h, a, opAdd(badKey, 0)),
        ErrorCode.INVALID_KEY);
    // 1,000 members and one more.
    byte[] full = state(1, 1, GROUP_ID, 9, NAME, many(1000), NO_MAILBOX);
    byte[] admin;
    try {
      admin = many(1000).get(0).fingerprint();
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
    changeCase(cases, "a group of 1,000 members: one more is beyond the bound", full,
        change(1, GROUP_ID, 9, GroupKdf.stateHash(full), admin, opAdd(member("dave").encoded(), 0)), ErrorCode.LIMIT_EXCEEDED);
    changeCase(cases, "a group of 1,000 members: one leaves, one joins", full,
        change(1, GROUP_ID, 9, GroupKdf.stateHash(full), admin, opRemove(fp("member-7")), opAdd(member("dave").encoded(), 0)), null);
  }

  private void changeCase(Cases cases, String comment, byte[] parent, byte[] change, ErrorCode error) {
    ObjectNode input = Json.object().put("parent", Bytes.hex(parent)).put("change", Bytes.hex(change));
    if (error != null) {
      cases.invalid("change", comment, input, error);
      return;
    }
    try {
      cases.valid("change", comment, input, changeOutput(input));
    } catch (SottoException e) {
      throw new IllegalStateException(comment, e);
    }
  }

  static ObjectNode changeOutput(JsonNode input) throws SottoException {
    GroupState parent = GroupState.parse(Json.hex(input, "parent"));
    GroupChange c = GroupChange.parse(parent.groupId(), Json.hex(input, "change"));
    GroupState result = c.applyTo(parent);
    return Json.object().put("author", Bytes.hex(c.author().bytes())).put("parent_epoch", c.parentEpoch())
        .put("parent_hash", Bytes.hex(c.parentHash())).put("change_hash", Bytes.hex(c.hash()))
        .put("key", Bytes.hex(c.key())).put("state", Bytes.hex(result.encoded())).put("state_hash", Bytes.hex(result.hash()));
  }

  // ------------------------------------------------------------------ conversations

  /** A conversation being written: steps are played as they are added, their randomness recorded. */
  final class Script {
    final String comment;
    final ObjectNode input = Json.object();
    final ArrayNode steps;
    final ArrayNode outs = Json.array();
    final GroupScript.Play play;
    final dev.sotto.RandomSource random;
    final Map<String, byte[]> seeds = new HashMap<>();
    final Map<String, Long> sent = new HashMap<>();
    long now = T0;

    Script(String comment, String... members) {
      this.comment = comment;
      this.random = TestRandom.deterministic(("sotto/vectors/v1/group/" + comment).getBytes(StandardCharsets.UTF_8));
      ArrayNode ms = input.putArray("members");
      for (String m : members) {
        ms.addObject().put("name", m).put("identity_seed", Bytes.hex(memberSeed(m)));
      }
      steps = input.putArray("steps");
      play = GroupScript.Play.of(ms);
    }

    /** A member of the script who is no member of the group. */
    Script bystander(String name) {
      ((ArrayNode) input.path("members")).addObject().put("name", name).put("identity_seed", Bytes.hex(memberSeed(name)));
      play.ids.put(name, member(name));
      return this;
    }

    ObjectNode node(String action, String member) {
      ObjectNode s = Json.object().put("action", action).put("member", member);
      if (DRAWS.contains(action)) {
        s.put("now", now).put("random", "");
      }
      return s;
    }

    int play(ObjectNode s) {
      RecordingRandom r = new RecordingRandom(random);
      ObjectNode out;
      try {
        out = GroupScript.run(play, s, r);
      } catch (SottoException e) {
        throw new IllegalStateException("generator bug: " + comment + ": step " + steps.size() + " " + s + ": " + e, e);
      }
      String action = s.path("action").asText();
      String m = s.path("member").asText();
      if (DRAWS.contains(action)) {
        s.put("random", Bytes.hex(r.drawn()));
        if (!action.equals("create") && r.drawn().length == 32) {
          seeds.put(m, r.drawn());
          sent.put(m, 0L);
        }
        if (action.equals("seal") || action.equals("propose")) {
          sent.merge(m, 1L, Long::sum);
        }
      }
      steps.add(s);
      outs.add(out);
      play.outputs.add(out);
      return steps.size() - 1;
    }

    JsonNode out(int step) {
      return outs.get(step);
    }

    int create(String m) {
      ObjectNode s = node("create", m).put("name", "friends");
      s.putArray("mailboxes");
      return play(s);
    }

    int propose(String m, ObjectNode... ops) {
      ObjectNode s = node("propose", m);
      ArrayNode a = s.putArray("ops");
      for (ObjectNode op : ops) {
        a.add(op);
      }
      return play(s);
    }

    int seal(String m, String text) {
      return play(node("seal", m).put("payload", Bytes.hex(text.getBytes(StandardCharsets.UTF_8))));
    }

    int request(String m) {
      return play(node("request", m));
    }

    int join(String m, String from, int step) {
      return play(node("join", m).put("from", from).put("from_step", step));
    }

    /** Hands every sender key of {@code step} to its recipient. */
    int keys(int step) {
      return play(Json.object().put("action", "keys").put("from", steps.get(step).path("member").asText())
          .put("from_step", step));
    }

    int key(String m, int step) {
      return play(node("key", m).put("from", steps.get(step).path("member").asText()).put("from_step", step));
    }

    int open(String m, int step) {
      return play(node("open", m).put("from_step", step));
    }

    /** Seals at {@code m}, hands out its sender keys, and opens it at every other member listed. */
    int say(String m, String text, String... readers) {
      int s = seal(m, text);
      if (out(s).path("sender_keys").size() > 0) {
        keys(s);
      }
      for (String r : readers) {
        open(r, s);
      }
      return s;
    }

    /** A change by {@code m}, its sender keys handed out, opened by the readers. */
    int change(String m, List<String> readers, ObjectNode... ops) {
      int s = propose(m, ops);
      if (out(s).path("sender_keys").size() > 0) {
        keys(s);
      }
      for (String r : readers) {
        open(r, s);
      }
      return s;
    }

    /** Ends the script with a step that must be refused with {@code error}; adds the case. */
    void refuse(Cases cases, ObjectNode last, ErrorCode error) {
      try {
        GroupScript.run(play, last, new RecordingRandom(random));
        throw new IllegalStateException("generator bug: " + comment + ": the last step was not refused");
      } catch (SottoException e) {
        if (e.code() != error) {
          throw new IllegalStateException("generator bug: " + comment + ": " + e.code() + " instead of " + error, e);
        }
      }
      steps.add(last);
      cases.invalid("conversation", comment, input, error);
    }

    void done(Cases cases) {
      cases.valid("conversation", comment, input, Json.object().set("steps", outs));
    }

    byte[] groupId() {
      return play.group(play.groups.keySet().iterator().next()).groupId();
    }

    /**
     * A message under {@code owner}'s current chain at its next number, signed with {@code signer}'s
     * chain key, naming ({@code epoch}, {@code hash}), with {@code content} as the padded content:
     * what a member holding the chain (or the owner itself) can write.
     */
    byte[] craft(String owner, String signer, long epoch, byte[] hash, byte[] content) {
      byte[] id = groupId();
      GroupKdf.ChainMaterial chain = GroupKdf.chain(id, seeds.get(owner));
      long n = sent.get(owner);
      byte[] ck = chain.chainKey();
      for (long i = 0; i < n; i++) {
        ck = GroupKdf.nextChainKey(ck);
      }
      byte[] mk = GroupKdf.messageKey(ck);
      byte[] ad = GroupMessage.ad(id, fp(owner), chain.chainId(), n);
      byte[] sig = Ed25519.sign(GroupKdf.chain(id, seeds.get(signer)).signingPrivate(),
          Bytes.concat("sotto/v2/group/signature".getBytes(StandardCharsets.US_ASCII), ad, u64raw(epoch), hash, content));
      byte[] body = GroupMessage.seal(mk, ad, Bytes.concat(u64raw(epoch), hash, sig, content));
      return Bytes.concat(new byte[] {2}, GroupKdf.tag(chain.tagKey(), n), body);
    }

    byte[] craft(String owner, byte[] content) {
      GroupState tip = play.group(owner).state();
      return craft(owner, owner, tip.epoch(), tip.hash(), content);
    }

    ObjectNode openBytes(String m, byte[] envelope) {
      return node("open", m).put("envelope", Bytes.hex(envelope));
    }

    ObjectNode keyBytes(String m, String from, byte[] key) {
      return node("key", m).put("from", from).put("sender_key", Bytes.hex(key));
    }
  }

  static ObjectNode add(String name, String role) {
    return Json.object().put("op", "add").put("identity", Bytes.hex(member(name).encoded())).put("role", role);
  }

  static ObjectNode remove(String name) {
    return Json.object().put("op", "remove").put("member", Bytes.hex(fp(name)));
  }

  static ObjectNode role(String name, String role) {
    return Json.object().put("op", "role").put("member", Bytes.hex(fp(name))).put("role", role);
  }

  static ObjectNode rename(String name) {
    return Json.object().put("op", "rename").put("name", name);
  }

  /** Alice creates a group, adds the others, and each member says hello (every chain handed out). */
  Script group(String comment, String... others) {
    List<String> all = new ArrayList<>();
    all.add("alice");
    all.addAll(Arrays.asList(others));
    Script s = new Script(comment, all.toArray(new String[0]));
    s.create("alice");
    ObjectNode[] adds = Arrays.stream(others).map(o -> add(o, "member")).toArray(ObjectNode[]::new);
    int p = s.propose("alice", adds);
    for (String o : others) {
      s.join(o, "alice", p);
    }
    for (String from : all) {
      s.now += 60;
      s.say(from, "hello from " + from, all.stream().filter(x -> !x.equals(from)).toArray(String[]::new));
    }
    return s;
  }

  static byte[] content(int type, byte[] data) {
    return GroupMessage.content(type, data, 1024 - GroupMessage.OVERHEAD);
  }

  private void conversations(Cases cases) {
    // --- valid
    Script s = group("three members: alice creates the group and adds bob and carol; each says hello, and every "
        + "other member opens it; alice sends again under the same chain", "bob", "carol");
    s.say("alice", "again", "bob", "carol");
    s.done(cases);

    s = group("a removal rotates the chains: alice removes carol; carol learns it; bob's next chain goes to alice "
        + "alone", "bob", "carol");
    s.change("alice", List.of("bob", "carol"), remove("carol"));
    s.say("bob", "after the removal", "alice");
    s.say("alice", "after the removal too", "bob");
    s.done(cases);

    s = group("concurrent changes converge: alice and bob, both admins, rename the group at once; carol opens "
        + "alice's change first, dave bob's; every member ends at the same state, and the loser's author learns "
        + "that its change left the tip", "bob", "carol", "dave");
    s.change("alice", List.of("bob", "carol", "dave"), role("bob", "admin"));
    int a = s.propose("alice", rename("alice's name"));
    s.keys(a);
    int b = s.propose("bob", rename("bob's name"));
    s.keys(b);
    s.open("alice", b);
    s.open("bob", a);
    s.open("carol", a);
    s.open("carol", b);
    s.open("dave", b);
    s.open("dave", a);
    s.say("carol", "which name?", "alice", "bob", "dave");
    s.done(cases);

    s = group("out of order: alice sends twelve messages; bob opens them out of order, with skipped keys and "
        + "anchors", "bob");
    int[] m = new int[12];
    for (int i = 0; i < m.length; i++) {
      m[i] = s.seal("alice", "message " + i);
    }
    for (int i : new int[] {3, 0, 11, 1, 2, 4, 10, 5, 6, 7, 8, 9}) {
      s.open("bob", m[i]);
    }
    s.done(cases);

    s = group("a sender key ahead waits for its change: alice renames; bob applies it and seals under a new chain; "
        + "carol gets bob's key before alice's change, keeps it pending, and opens bob's message once the change is "
        + "in", "bob", "carol");
    int rn = s.propose("alice", rename("renamed"));
    s.keys(rn);
    s.open("bob", rn);
    int bm = s.seal("bob", "after the rename");
    s.keys(bm);
    s.open("alice", bm);
    s.open("carol", rn);
    s.open("carol", bm);
    s.done(cases);

    s = group("a fork shown: alice and bob change the group at once; carol holds alice's change when bob's new "
        + "chain, made under bob's change, reaches her: pending, with the fork flag; bob's change arrives and the "
        + "views agree", "bob", "carol");
    s.change("alice", List.of("bob", "carol"), role("bob", "admin"));
    int fa = s.propose("alice", rename("a"));
    s.keys(fa);
    int fb = s.propose("bob", rename("b"));
    s.keys(fb);
    s.open("carol", fa);
    int after = s.seal("bob", "on bob's branch");
    s.keys(after);
    s.open("carol", fb);
    s.open("carol", after);
    s.open("alice", fb);
    s.open("alice", after);
    s.done(cases);

    s = group("the period: bob seals again 604,799 seconds after his chain was made (the same chain), then at "
        + "604,800 (a new chain)", "bob");
    s.now = T0 + 120 + 604_799;
    s.say("bob", "still the same chain", "alice");
    s.now = T0 + 120 + 604_800;
    s.say("bob", "a new chain", "alice");
    s.done(cases);

    s = group("leaving: carol, a member, leaves; alice and bob apply it, and alice's next chain goes to bob alone",
        "bob", "carol");
    s.change("carol", List.of("alice", "bob"), remove("carol"));
    s.say("alice", "carol left", "bob");
    s.done(cases);

    s = group("resync: dave misses alice's rename and her new chain; he asks for the chains, alice answers with her "
        + "chain at its position and her state; dave adopts it and reads alice again", "dave");
    int lostChange = s.propose("alice", rename("while dave was away"));
    int lostMessage = s.seal("alice", "dave misses this");
    int req = s.request("dave");
    s.key("alice", req);
    int ans = s.play(s.node("answer", "alice").put("to", "dave").put("now", s.now));
    s.play(s.node("resync", "dave").put("from", "alice").put("state", Bytes.hex(s.play.group("alice").state().encoded())));
    s.play(s.node("key", "dave").put("from", "alice").put("sender_key", s.out(ans).path("sender_key").asText()));
    s.say("alice", "welcome back", "dave");
    s.done(cases);
    if (lostChange < 0 || lostMessage < 0) {
      throw new IllegalStateException();
    }

    // --- refused messages
    s = group("a forged author: carol, who holds alice's chain, seals the next message of it and signs with her own "
        + "chain's key", "bob", "carol");
    s.refuse(cases, s.openBytes("bob", s.craft("alice", "carol", 1, s.play.group("alice").state().hash(),
        content(1, "from alice, really".getBytes(StandardCharsets.UTF_8)))), ErrorCode.BAD_SIGNATURE);

    s = group("a replay: bob opens alice's message twice", "bob");
    int r = s.say("alice", "once", "bob");
    s.refuse(cases, s.node("open", "bob").put("from_step", r), ErrorCode.REPLAY);

    s = group("tampered: one byte of the sealed body flipped", "bob");
    r = s.seal("alice", "intact");
    byte[] t = Json.hex(s.out(r), "envelope");
    t[200] ^= 0x01;
    s.refuse(cases, s.openBytes("bob", t), ErrorCode.AUTH_FAILED);

    s = group("an unknown group message version, 0x02", "bob");
    r = s.seal("alice", "v1");
    t = Json.hex(s.out(r), "envelope");
    t[17] = 0x02;
    s.refuse(cases, s.openBytes("bob", t), ErrorCode.UNSUPPORTED_VERSION);

    s = group("a tag of no chain held", "bob");
    r = s.seal("alice", "tag");
    t = Json.hex(s.out(r), "envelope");
    t[1] ^= 0x01;
    s.refuse(cases, s.openBytes("bob", t), ErrorCode.UNKNOWN_TAG);

    s = group("a removed member's message: carol has not applied her removal and seals under her old chain; bob has "
        + "deleted it", "bob", "carol");
    r = s.propose("alice", remove("carol"));
    s.open("bob", r);
    int old = s.seal("carol", "am I still here?");
    s.refuse(cases, s.node("open", "bob").put("from_step", old), ErrorCode.UNKNOWN_TAG);

    s = group("a removed member reads nothing new: bob seals after applying carol's removal; carol opens it", "bob", "carol");
    r = s.change("alice", List.of("bob", "carol"), remove("carol"));
    int nw = s.say("bob", "carol cannot read this", "alice");
    s.refuse(cases, s.node("open", "carol").put("from_step", nw), ErrorCode.UNKNOWN_TAG);

    s = group("a fork: alice signs, under her own chain, a state of the current epoch that bob does not hold", "bob");
    GroupState tip = s.play.group("alice").state();
    s.refuse(cases, s.openBytes("bob", s.craft("alice", "alice", tip.epoch(), Hmac.hash(new byte[] {1}),
        content(1, "another view".getBytes(StandardCharsets.UTF_8)))), ErrorCode.FORK);

    s = group("content of type 0x03", "bob");
    s.refuse(cases, s.openBytes("bob", s.craft("alice", content(3, new byte[0]))), ErrorCode.INVALID_ENCODING);

    s = group("content padding with a non-zero byte", "bob");
    byte[] padded = content(1, new byte[4]);
    padded[padded.length - 1] = 1;
    s.refuse(cases, s.openBytes("bob", s.craft("alice", padded)), ErrorCode.INVALID_ENCODING);

    s = group("content whose length runs past its end", "bob");
    padded = content(1, new byte[0]);
    padded[1] = 0x7f;
    s.refuse(cases, s.openBytes("bob", s.craft("alice", padded)), ErrorCode.TRUNCATED);

    s = group("an epoch of 2^63 in a message", "bob");
    s.refuse(cases, s.openBytes("bob", s.craft("alice", "alice", Long.MIN_VALUE, new byte[32], content(1, new byte[0]))),
        ErrorCode.INVALID_ENCODING);

    // --- refused changes in messages
    s = group("carol, no admin, renames the group", "bob", "carol");
    GroupState ct = s.play.group("carol").state();
    byte[] ch = change(1, s.groupId(), ct.epoch(), ct.hash(), fp("carol"), opRename("mine"));
    s.refuse(cases, s.openBytes("bob", s.craft("carol", content(2, ch))), ErrorCode.NOT_PERMITTED);

    s = group("a change whose author is another member than its sender", "bob");
    ct = s.play.group("bob").state();
    ch = change(1, s.groupId(), ct.epoch(), ct.hash(), fp("alice"), opRename("mine"));
    s.refuse(cases, s.openBytes("alice", s.craft("bob", content(2, ch))), ErrorCode.NOT_PERMITTED);

    s = group("a change whose parent is not its message's state", "bob");
    ct = s.play.group("alice").state();
    ch = change(1, s.groupId(), ct.epoch(), new byte[32], fp("alice"), opRename("x"));
    s.refuse(cases, s.openBytes("bob", s.craft("alice", content(2, ch))), ErrorCode.INVALID_ENCODING);

    s = group("a change that adds a member twice", "bob");
    ct = s.play.group("alice").state();
    ch = change(1, s.groupId(), ct.epoch(), ct.hash(), fp("alice"), opAdd(member("bob").encoded(), 0));
    s.refuse(cases, s.openBytes("bob", s.craft("alice", content(2, ch))), ErrorCode.INVALID_ENCODING);

    // --- refused sender keys and welcomes
    s = group("a removed member's new chain: carol, who has not applied her removal, hands bob a new chain",
        "bob", "carol");
    r = s.propose("alice", remove("carol"));
    s.open("bob", r);
    int cr = s.request("carol");
    s.refuse(cases, s.node("key", "bob").put("from", "carol").put("from_step", cr), ErrorCode.NOT_PERMITTED);

    s = group("a sender key given twice", "bob");
    r = s.request("alice");
    s.key("bob", r);
    s.refuse(cases, s.node("key", "bob").put("from", "alice").put("from_step", r), ErrorCode.REPLAY);

    s = group("a sender key from the member itself", "bob");
    r = s.request("alice");
    byte[] key = Json.hex(s.out(r).path("sender_keys").get(0), "sender_key");
    s.refuse(cases, s.keyBytes("bob", "bob", key), ErrorCode.NOT_PERMITTED);

    keyCases(cases);

    s = group("a welcome that does not list its reader", "bob").bystander("carol");
    s.refuse(cases, s.node("join", "carol").put("from", "alice")
        .put("welcome", Bytes.hex(s.play.group("alice").state().encoded())), ErrorCode.NOT_PERMITTED);
    s = group("a welcome from no admin", "bob");
    s.refuse(cases, s.node("join", "bob").put("from", "bob")
        .put("welcome", Bytes.hex(s.play.group("alice").state().encoded())), ErrorCode.NOT_PERMITTED);
  }

  /** Sender keys written byte by byte, each refused for one field. */
  private void keyCases(Cases cases) {
    record K(String comment, java.util.function.Function<Script, byte[]> bytes, ErrorCode error) {}
    List<K> ks = List.of(
        new K("version 0x02", s -> withByte(senderKey(s, 0), 0, 2), ErrorCode.UNSUPPORTED_VERSION),
        new K("cut short", s -> Arrays.copyOf(senderKey(s, 0), 210), ErrorCode.TRUNCATED),
        new K("a byte after the flags", s -> Bytes.concat(senderKey(s, 0), new byte[1]), ErrorCode.TRAILING_DATA),
        new K("another group's id", s -> withByte(senderKey(s, 0), 1, 0x55 ^ senderKey(s, 0)[1]), ErrorCode.INVALID_ENCODING),
        new K("n of 1,000", s -> senderKey(s, 1000), ErrorCode.INVALID_ENCODING),
        new K("flags 0x02", s -> withByte(senderKey(s, 0), 210, 2), ErrorCode.INVALID_ENCODING),
        new K("a signing key of type 0x02", s -> withByte(senderKey(s, 0), 145, 2), ErrorCode.INVALID_ENCODING),
        new K("a signing key of small order", s -> {
          byte[] k = senderKey(s, 0);
          System.arraycopy(Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000"), 0, k, 146, 32);
          return k;
        }, ErrorCode.INVALID_KEY));
    for (K k : ks) {
      Script s = group("a sender key: " + k.comment(), "bob");
      s.refuse(cases, s.keyBytes("bob", "alice", k.bytes().apply(s)), k.error());
    }
  }

  /** A sender key of a new chain of alice, for bob, under alice's tip, at {@code n}. */
  static byte[] senderKey(Script s, long n) {
    GroupState tip = s.play.group("alice").state();
    byte[] seed = Hmac.hash("sotto/vectors/v1/group/crafted-chain".getBytes(StandardCharsets.US_ASCII));
    GroupKdf.ChainMaterial c = GroupKdf.chain(tip.groupId(), seed);
    return new Writer().u8(1).bytes(tip.groupId()).bytes(u64raw(tip.epoch())).bytes(tip.hash()).u32(c.chainId())
        .u32(n).bytes(c.chainKey()).bytes(c.tagKey()).u8(1).bytes(c.signingPublic())
        .bytes(GroupKdf.takeSeed(c.takeSecret(), fp("bob"))).u8(0).toByteArray();
  }

  // ------------------------------------------------------------------ verification

  @Override
  public void verify(JsonNode c, CaseCheck check) {
    JsonNode input = check.input();
    try {
      switch (c.path("operation").asText()) {
        case "chain" -> compare(check, "", check.output(), chainOutput(input));
        case "state" -> {
          GroupState s = GroupState.parse(Json.hex(input, "state"));
          if (check.accepted()) {
            compare(check, "", check.output(), stateOutput(s));
          }
        }
        case "change" -> {
          ObjectNode out = changeOutput(input);
          if (check.accepted()) {
            compare(check, "", check.output(), out);
          }
        }
        case "conversation" -> conversation(input, check);
        default -> check.fail("unknown operation " + c.path("operation").asText());
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }

  private static void conversation(JsonNode input, CaseCheck check) {
    GroupScript.Play play = GroupScript.Play.of(input.path("members"));
    JsonNode steps = input.path("steps");
    for (int i = 0; i < steps.size(); i++) {
      JsonNode step = steps.get(i);
      boolean last = i == steps.size() - 1;
      boolean refused = last && !check.expectsValid();
      TestRandom.Replay random = TestRandom.replay(Bytes.unhex(step.path("random").asText("")));
      Group g = play.groups.get(step.path("member").asText());
      byte[] before = refused && g != null ? g.serialize() : null;
      ObjectNode out;
      try {
        out = GroupScript.run(play, step, random);
      } catch (SottoException e) {
        if (!refused) {
          check.fail("step " + i + " (" + step.path("action").asText() + "): " + e.code() + " (" + e.getMessage() + ")");
          return;
        }
        check.rejected(e);
        if (before != null && !Arrays.equals(before, g.serialize())) {
          check.fail("step " + i + ": the refusal changed the member's group");
        }
        return;
      }
      if (refused) {
        check.accepted();
        return;
      }
      random.assertExhausted();
      play.outputs.add(out);
      if (check.expectsValid()) {
        compare(check, "steps[" + i + "]", check.output().path("steps").path(i), out);
      }
    }
  }

  /** Compares every field of {@code expected} with {@code actual}, recursively; records each mismatch. */
  static void compare(CaseCheck check, String path, JsonNode expected, JsonNode actual) {
    if (expected.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        compare(check, path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), actual.path(e.getKey()));
      }
      if (actual.size() != expected.size()) {
        check.fail(path + ": " + actual.size() + " fields, expected " + expected.size());
      }
    } else if (expected.isArray()) {
      if (!actual.isArray() || actual.size() != expected.size()) {
        check.fail(path + ": expected " + expected.size() + " entries, actual " + actual);
        return;
      }
      for (int i = 0; i < expected.size(); i++) {
        compare(check, path + "[" + i + "]", expected.get(i), actual.get(i));
      }
    } else if (expected.isNumber()) {
      if (!actual.isNumber() || expected.asLong() != actual.asLong()) {
        check.fail(path + ": expected " + expected + ", actual " + actual);
      }
    } else if (!expected.equals(actual)) {
      check.fail(path + ": " + CaseCheck.describe(expected.asText(), actual.isMissingNode() ? null : actual.asText()));
    }
  }
}
