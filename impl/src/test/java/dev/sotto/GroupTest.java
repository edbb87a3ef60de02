package dev.sotto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.GroupChange.Add;
import dev.sotto.GroupChange.Remove;
import dev.sotto.GroupChange.Rename;
import dev.sotto.GroupChange.SetRole;
import dev.sotto.GroupState.Role;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.internal.group.GroupMessage;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Groups (spec: group.adoc): a small group played by hand, member by member. */
class GroupTest {
  static final Instant T0 = Instant.ofEpochSecond(1_800_000_000L);
  final RandomSource random = TestRandom.deterministic("group-test".getBytes(StandardCharsets.US_ASCII));

  static PublicIdentity identity(String name) {
    byte[] seed = Arrays.copyOf(name.getBytes(StandardCharsets.US_ASCII), 32);
    return Identity.fromSeed(IdentitySeed.fromBytes(seed)).publicIdentity();
  }

  /** A group of members, each with its Group, and the pairwise deliveries carried at once. */
  final class World {
    final Map<String, PublicIdentity> ids = new LinkedHashMap<>();
    final Map<String, Group> groups = new LinkedHashMap<>();

    World(String creator, String... others) throws SottoException {
      ids.put(creator, identity(creator));
      for (String o : others) {
        ids.put(o, identity(o));
      }
      groups.put(creator, Group.create(ids.get(creator), "friends", List.of(), random));
      if (others.length > 0) {
        List<GroupChange.Op> adds = Arrays.stream(others).map(o -> (GroupChange.Op) new Add(ids.get(o), Role.MEMBER)).toList();
        Group.Sealed s = groups.get(creator).propose(adds, T0, random);
        for (Group.Delivery d : s.welcomes()) {
          String name = name(d.to());
          groups.put(name, Group.join(d.to(), ids.get(creator), d.payload()));
        }
      }
    }

    String name(PublicIdentity id) {
      return ids.entrySet().stream().filter(e -> e.getValue().equals(id)).findFirst().orElseThrow().getKey();
    }

    /** Seals at {@code from}, carries its sender keys, and returns the envelope. */
    byte[] send(String from, String text) throws SottoException {
      return deliverKeys(from, groups.get(from).seal(text.getBytes(StandardCharsets.UTF_8), T0, random));
    }

    byte[] deliverKeys(String from, Group.Sealed s) throws SottoException {
      for (Group.Delivery d : s.senderKeys()) {
        Group g = groups.get(name(d.to()));
        if (g != null) {
          g.receiveSenderKey(ids.get(from), d.payload());
        }
      }
      return s.envelope().encoded();
    }

    String read(String at, byte[] envelope) throws SottoException {
      return new String(groups.get(at).open(envelope).payload().orElseThrow(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void everyMembersMessageOpensAtEveryOther() throws SottoException {
    World w = new World("alice", "bob", "carol");
    for (String from : List.of("alice", "bob", "carol", "alice", "bob")) {
      byte[] e = w.send(from, "hi from " + from);
      assertEquals(1024, e.length);
      for (String to : w.groups.keySet()) {
        if (!to.equals(from)) {
          assertEquals("hi from " + from, w.read(to, e));
        }
      }
    }
    // All hold the same state.
    byte[] hash = w.groups.get("alice").state().hash();
    w.groups.values().forEach(g -> assertArrayEquals(hash, g.state().hash()));
  }

  @Test
  void aRemovedMemberReadsNothingSealedAfterTheRemoval() throws SottoException {
    World w = new World("alice", "bob", "carol");
    byte[] before = w.send("bob", "before");
    assertEquals("before", w.read("carol", before));
    Group.Sealed removal = w.groups.get("alice").propose(List.of(new Remove(w.ids.get("carol").fingerprint())), T0, random);
    byte[] change = w.deliverKeys("alice", removal);
    Group.Opened atBob = w.groups.get("bob").open(change);
    assertEquals(Group.ChangeStatus.CURRENT, atBob.status().orElseThrow());
    assertTrue(atBob.tipMoved());
    Group.Opened atCarol = w.groups.get("carol").open(change);
    assertFalse(w.groups.get("carol").isMember(), "carol learns that she was removed");
    assertTrue(atCarol.tipMoved());
    // Bob's next message is under a new chain that carol never gets.
    Group.Sealed s = w.groups.get("bob").seal("after".getBytes(StandardCharsets.UTF_8), T0, random);
    assertEquals(1, s.senderKeys().size(), "a sender key for alice only");
    byte[] after = w.deliverKeys("bob", s);
    assertEquals("after", w.read("alice", after));
    SottoException e = assertThrows(SottoException.class, () -> w.groups.get("carol").open(after));
    assertEquals(ErrorCode.UNKNOWN_TAG, e.code());
    assertThrows(IllegalStateException.class, () -> w.groups.get("carol").seal(new byte[1], T0, random));
  }

  @Test
  void aForgedAuthorIsRefusedAndChangesNothing() throws SottoException {
    World w = new World("alice", "bob", "carol");
    byte[] e = w.send("alice", "real");
    Group bob = w.groups.get("bob");
    byte[] saved = bob.serialize();
    // Carol holds alice's chain key (alice handed it to her) and writes a message "from" alice,
    // signed with a key of her own.
    Group carol = w.groups.get("carol");
    byte[] forged = forge(carol, w.ids.get("alice"), e, "not alice's".getBytes(StandardCharsets.UTF_8));
    SottoException x = assertThrows(SottoException.class, () -> bob.open(forged));
    assertEquals(ErrorCode.BAD_SIGNATURE, x.code());
    assertArrayEquals(saved, bob.serialize(), "a refusal changes nothing");
    assertEquals("real", w.read("bob", e));
  }

  /**
   * What a member holding {@code author}'s chain can do: seal a message under its next message key,
   * with another signing key.
   */
  static byte[] forge(Group holder, PublicIdentity author, byte[] lastEnvelope, byte[] payload) throws SottoException {
    // The holder's copy of the author's chain, from its serialized state: read it through a restore.
    Group copy = Group.restore(holder.serialize());
    Group.Opened o = copy.open(lastEnvelope); // steps the copy's chain to n + 1
    assertTrue(o.payload().isPresent());
    byte[] state = copy.serialize();
    // Find the chain key: the copy's receiving chain of the author is the only one; read it back.
    ChainPeek peek = ChainPeek.of(state, author.fingerprint());
    byte[] mk = GroupKdf.messageKey(peek.chainKey());
    GroupState tip = copy.state();
    byte[] ad = GroupMessage.ad(tip.groupId(), author.fingerprint().bytes(), peek.chainId(), peek.nr());
    byte[] content = GroupMessage.content(GroupMessage.TYPE_PAYLOAD, payload, 1024 - GroupMessage.OVERHEAD);
    byte[] otherKey = new byte[32];
    otherKey[0] = 7;
    byte[] signature = Ed25519.sign(otherKey, GroupMessage.signedMessage(ad, tip.epoch(), tip.hash(), content));
    byte[] body = GroupMessage.seal(mk, ad, GroupMessage.plaintext(tip.epoch(), tip.hash(), signature, content));
    return Envelope.of(GroupKdf.tag(peek.tagKey(), peek.nr()), body).encoded();
  }

  /** Reads a receiving chain out of a serialized group (the layout of Group.serialize). */
  record ChainPeek(long chainId, byte[] tagKey, byte[] chainKey, long nr) {
    static ChainPeek of(byte[] serialized, Fingerprint sender) throws SottoException {
      dev.sotto.internal.encoding.Reader in = new dev.sotto.internal.encoding.Reader(serialized, "group");
      in.bytes(1 + 2 + 68 + 1, "head");
      in.bytes(in.u32("base_length"), "base");
      for (int i = 0, n = in.u16("changes"); i < n; i++) {
        in.bytes(in.u32("len"), "change");
      }
      for (int i = 0, n = in.u8("pending"); i < n; i++) {
        in.bytes(in.u32("len"), "pending");
      }
      if (in.u8("own") == 1) {
        in.bytes(4 + 8 + 32 + 8 + 32 + 4 + 32 + 32 + 32, "own");
      }
      for (int i = 0, n = in.u16("chains"); i < n; i++) {
        byte[] fp = in.bytes(32, "sender");
        long id = in.u32("id");
        in.bytes(8 + 32 + 32, "epoch, hash, signing key");
        byte[] tk = in.bytes(32, "tk");
        in.bytes(32, "take seed");
        byte[] ck = in.bytes(32, "ck");
        long nr = in.u32("nr");
        if (Arrays.equals(fp, sender.bytes())) {
          return new ChainPeek(id, tk, ck, nr);
        }
      }
      throw new IllegalStateException("no chain of " + sender);
    }
  }

  @Test
  void replaysTamperingAndOutOfOrderDelivery() throws SottoException {
    World w = new World("alice", "bob");
    byte[][] e = new byte[12][];
    for (int i = 0; i < e.length; i++) {
      e[i] = w.send("alice", "m" + i);
    }
    Group bob = w.groups.get("bob");
    assertEquals("m3", w.read("bob", e[3]));
    assertEquals("m0", w.read("bob", e[0]));
    SottoException replay = assertThrows(SottoException.class, () -> bob.open(e[3]));
    assertEquals(ErrorCode.REPLAY, replay.code());
    byte[] tampered = e[1].clone();
    tampered[100] ^= 1;
    byte[] saved = bob.serialize();
    SottoException auth = assertThrows(SottoException.class, () -> bob.open(tampered));
    assertEquals(ErrorCode.AUTH_FAILED, auth.code());
    assertArrayEquals(saved, bob.serialize());
    for (int i : new int[] {11, 1, 2, 4, 10, 5, 6, 7, 8, 9}) {
      assertEquals("m" + i, w.read("bob", e[i]), "message " + i);
    }
    byte[] restored = bob.serialize();
    assertArrayEquals(restored, Group.restore(restored).serialize(), "restore gives the same state back");
  }

  @Test
  void concurrentChangesConvergeInEitherOrder() throws SottoException {
    World w = new World("alice", "bob", "carol");
    // Make bob an admin, then alice and bob rename at once.
    byte[] promote = w.deliverKeys("alice",
        w.groups.get("alice").propose(List.of(new SetRole(w.ids.get("bob").fingerprint(), Role.ADMIN)), T0, random));
    w.groups.get("bob").open(promote);
    w.groups.get("carol").open(promote);
    byte[] fromAlice = w.deliverKeys("alice", w.groups.get("alice").propose(List.of(new Rename("by alice")), T0, random));
    byte[] fromBob = w.deliverKeys("bob", w.groups.get("bob").propose(List.of(new Rename("by bob")), T0, random));
    Group.Opened atAlice = w.groups.get("alice").open(fromBob);
    Group.Opened atBob = w.groups.get("bob").open(fromAlice);
    w.groups.get("carol").open(fromBob);
    w.groups.get("carol").open(fromAlice);
    String name = w.groups.get("alice").state().name();
    w.groups.values().forEach(g -> assertEquals(name, g.state().name()));
    byte[] hash = w.groups.get("alice").state().hash();
    w.groups.values().forEach(g -> assertArrayEquals(hash, g.state().hash()));
    // The loser's author learns that its change left the tip.
    assertEquals(1, atAlice.lost().size() + atBob.lost().size());
  }

  @Test
  void senderKeysAheadWaitAndKeysOfAnotherBranchShowTheFork() throws SottoException {
    World w = new World("alice", "bob", "carol");
    byte[] promote = w.deliverKeys("alice",
        w.groups.get("alice").propose(List.of(new SetRole(w.ids.get("bob").fingerprint(), Role.ADMIN)), T0, random));
    w.groups.get("bob").open(promote);
    w.groups.get("carol").open(promote);
    // Alice renames; bob gets the change, carol not yet: bob's new chain waits at carol.
    byte[] rename = w.deliverKeys("alice", w.groups.get("alice").propose(List.of(new Rename("x")), T0, random));
    w.groups.get("bob").open(rename);
    Group.Sealed s = w.groups.get("bob").seal("after the rename".getBytes(StandardCharsets.UTF_8), T0, random);
    Group.KeyReceived atCarol = null;
    for (Group.Delivery d : s.senderKeys()) {
      Group.KeyReceived r = w.groups.get(w.name(d.to())).receiveSenderKey(w.ids.get("bob"), d.payload());
      if (w.name(d.to()).equals("carol")) {
        atCarol = r;
      }
    }
    assertTrue(atCarol.pending());
    assertFalse(atCarol.fork(), "ahead of carol's tip: no fork");
    byte[] fromBob = s.envelope().encoded();
    assertEquals(ErrorCode.UNKNOWN_TAG, assertThrows(SottoException.class, () -> w.groups.get("carol").open(fromBob)).code());
    w.groups.get("carol").open(rename);
    assertEquals("after the rename", w.read("carol", fromBob), "the key was installed with the change");

    // Now alice and bob change the group at once; carol gets alice's change, then bob's new chain.
    byte[] fromAlice = w.deliverKeys("alice", w.groups.get("alice").propose(List.of(new Rename("a")), T0, random));
    Group.Sealed bobs = w.groups.get("bob").propose(List.of(new Rename("b")), T0, random);
    w.deliverKeys("bob", bobs);
    w.groups.get("carol").open(fromAlice);
    Group.Sealed next = w.groups.get("bob").seal("on my branch".getBytes(StandardCharsets.UTF_8), T0, random);
    Group.Delivery toCarol = next.senderKeys().stream().filter(d -> w.name(d.to()).equals("carol")).findFirst().orElseThrow();
    Group.KeyReceived r = w.groups.get("carol").receiveSenderKey(w.ids.get("bob"), toCarol.payload());
    assertTrue(r.pending());
    assertTrue(r.fork(), "bob's chain is under a state of carol's epoch that carol does not hold");
    // Once bob's change arrives the views agree again, and bob's message opens.
    w.groups.get("carol").open(bobs.envelope().encoded());
    assertEquals("on my branch", w.read("carol", next.envelope().encoded()));
  }

  @Test
  void theIndexMovedInOrderIsTheIndexComputedAfresh() throws SottoException {
    World w = new World("alice", "bob");
    Group bob = w.groups.get("bob");
    for (int i = 0; i < 60; i++) {
      byte[] e = w.send("alice", "m" + i);
      if (i % 7 != 3) { // some skipped, to mix both paths
        bob.open(e);
      }
      List<String> now = bob.tags().stream().map(dev.sotto.internal.encoding.Bytes::hex).toList();
      List<String> fresh = Group.restore(bob.serialize()).tags().stream().map(dev.sotto.internal.encoding.Bytes::hex).toList();
      assertEquals(fresh, now, "after message " + i);
    }
  }
}
