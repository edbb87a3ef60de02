package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.ErrorCode;
import dev.sotto.Group;
import dev.sotto.GroupChange;
import dev.sotto.GroupState;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.group.GroupKdf;
import dev.sotto.internal.group.GroupMessage;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Groups (spec: group.adoc) over random groups and schedules: every member's message opens at
 * every other; a removed member opens nothing sealed after the sender applied the removal; a
 * message "from" a member sealed by another who holds its chain is refused; concurrent changes
 * converge whatever the order of arrival; a tampered envelope is refused and changes nothing.
 */
class GroupProperties {
  static final Instant T = Instant.ofEpochSecond(1_800_000_000L);

  /** A group of members played in memory, the pairwise sessions abstracted away. */
  static final class Members {
    final List<String> names = new ArrayList<>();
    final Map<String, PublicIdentity> ids = new LinkedHashMap<>();
    final Map<String, Group> groups = new LinkedHashMap<>();
    /** The seed of each member's current chain, for crafting. */
    final Map<String, byte[]> seeds = new HashMap<>();
    final Map<String, Long> sent = new HashMap<>();
    final RandomSource random;
    final Random choices;

    Members(long seed, int size, GroupState.Role role) throws SottoException {
      random = TestRandom.deterministic(("group properties " + seed).getBytes(StandardCharsets.US_ASCII));
      choices = new Random(seed);
      for (int i = 0; i < size; i++) {
        String name = "m" + i;
        names.add(name);
        ids.put(name, Identity.fromSeed(IdentitySeed.fromBytes(random.bytes(32))).publicIdentity());
      }
      groups.put("m0", Group.create(ids.get("m0"), "g", List.of(), random));
      if (size > 1) {
        List<GroupChange.Op> adds = new ArrayList<>();
        names.subList(1, size).forEach(n -> adds.add(new GroupChange.Add(ids.get(n), role)));
        Group.Sealed s = propose("m0", adds);
        for (Group.Delivery d : s.welcomes()) {
          groups.put(name(d.to()), Group.join(d.to(), ids.get("m0"), d.payload()));
        }
      }
    }

    String name(PublicIdentity id) {
      return ids.entrySet().stream().filter(e -> e.getValue().equals(id)).findFirst().orElseThrow().getKey();
    }

    /** Draws through a recorder, so that a new chain's seed is known. */
    private RandomSource recording(String member) {
      return out -> {
        random.nextBytes(out);
        if (out.length == 32) {
          seeds.put(member, out.clone());
          sent.put(member, 0L);
        }
      };
    }

    Group.Sealed seal(String from, byte[] payload) {
      Group.Sealed s = groups.get(from).seal(payload, T, recording(from));
      sent.merge(from, 1L, Long::sum);
      return s;
    }

    Group.Sealed propose(String from, List<GroupChange.Op> ops) {
      Group.Sealed s = groups.get(from).propose(ops, T, recording(from));
      sent.merge(from, 1L, Long::sum);
      return s;
    }

    void keys(String from, Group.Sealed s) throws SottoException {
      for (Group.Delivery d : s.senderKeys()) {
        Group g = groups.get(name(d.to()));
        if (g != null) {
          g.receiveSenderKey(ids.get(from), d.payload());
        }
      }
    }

    /** The next message of {@code owner}'s chain, signed by {@code signer}'s chain key. */
    byte[] forge(String owner, String signer, byte[] payload) {
      GroupState tip = groups.get(owner).state();
      byte[] id = tip.groupId();
      GroupKdf.ChainMaterial chain = GroupKdf.chain(id, seeds.get(owner));
      long n = sent.get(owner);
      byte[] ck = chain.chainKey();
      for (long i = 0; i < n; i++) {
        ck = GroupKdf.nextChainKey(ck);
      }
      byte[] ad = GroupMessage.ad(id, ids.get(owner).fingerprint().bytes(), chain.chainId(), n);
      byte[] content = GroupMessage.content(GroupMessage.TYPE_PAYLOAD, payload, 1024 - GroupMessage.OVERHEAD);
      byte[] sig = Ed25519.sign(GroupKdf.chain(id, seeds.get(signer)).signingPrivate(),
          GroupMessage.signedMessage(ad, tip.epoch(), tip.hash(), content));
      byte[] body = GroupMessage.seal(GroupKdf.messageKey(ck), ad, GroupMessage.plaintext(tip.epoch(), tip.hash(), sig, content));
      return Bytes.concat(new byte[] {2}, GroupKdf.tag(chain.tagKey(), n), body);
    }
  }

  @Property(tries = 25)
  void everyMembersSealOpensAtEveryOther(@ForAll long seed, @ForAll @IntRange(min = 2, max = 6) int size,
      @ForAll @IntRange(min = 1, max = 20) int messages) throws SottoException {
    Members g = new Members(seed, size, GroupState.Role.MEMBER);
    for (int i = 0; i < messages; i++) {
      String from = g.names.get(g.choices.nextInt(size));
      byte[] payload = new byte[g.choices.nextInt(900)];
      g.choices.nextBytes(payload);
      Group.Sealed s = g.seal(from, payload);
      g.keys(from, s);
      for (String to : g.names) {
        if (!to.equals(from)) {
          Group.Opened o = g.groups.get(to).open(s.envelope().encoded());
          assertArrayEquals(payload, o.payload().orElseThrow());
          assertEquals(g.ids.get(from), o.sender());
          assertEquals(Group.View.CURRENT, o.view());
        }
      }
    }
  }

  /** Seals at {@code from}, hands out its keys, opens it at every other member listed. */
  static byte[] say(Members g, String from, List<String> readers) throws SottoException {
    Group.Sealed s = g.seal(from, ("from " + from).getBytes(StandardCharsets.US_ASCII));
    g.keys(from, s);
    for (String to : readers) {
      if (!to.equals(from)) {
        g.groups.get(to).open(s.envelope().encoded());
      }
    }
    return s.envelope().encoded();
  }

  @Property(tries = 25)
  void aRemovedMemberOpensNothingSealedAfterTheRemoval(@ForAll long seed, @ForAll @IntRange(min = 3, max = 6) int size)
      throws SottoException {
    Members g = new Members(seed, size, GroupState.Role.MEMBER);
    for (String n : g.names) {
      say(g, n, g.names);
    }
    String removed = g.names.get(1 + g.choices.nextInt(size - 1));
    Group.Sealed removal = g.propose("m0", List.of(new GroupChange.Remove(g.ids.get(removed).fingerprint())));
    g.keys("m0", removal);
    // The removed member learns it; a random part of the others apply the removal now.
    g.groups.get(removed).open(removal.envelope().encoded());
    assertFalse(g.groups.get(removed).isMember());
    List<String> stay = new ArrayList<>(g.names);
    stay.remove(removed);
    List<String> applied = new ArrayList<>(List.of("m0"));
    for (String n : stay) {
      if (!n.equals("m0") && g.choices.nextBoolean()) {
        g.groups.get(n).open(removal.envelope().encoded());
        applied.add(n);
      }
    }
    // Whoever has applied it and seals: the removed member opens none of it, even given every
    // sender key that was ever handed out after the removal.
    for (int i = 0; i < 6; i++) {
      String from = applied.get(g.choices.nextInt(applied.size()));
      Group.Sealed s = g.seal(from, new byte[] {(byte) i});
      assertTrue(s.senderKeys().stream().noneMatch(d -> d.to().equals(g.ids.get(removed))),
          "no sender key for the removed member");
      g.keys(from, s);
      List<String> readers = new ArrayList<>(applied);
      for (String r : readers) {
        if (!r.equals(from)) {
          g.groups.get(r).open(s.envelope().encoded());
        }
      }
      byte[] saved = g.groups.get(removed).serialize();
      SottoException e = assertThrows(SottoException.class, () -> g.groups.get(removed).open(s.envelope().encoded()));
      assertEquals(ErrorCode.UNKNOWN_TAG, e.code());
      assertArrayEquals(saved, g.groups.get(removed).serialize());
    }
  }

  @Property(tries = 25)
  void aMessageFromAnotherMemberSealedWithItsChainIsRefused(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int size)
      throws SottoException {
    Members g = new Members(seed, size, GroupState.Role.MEMBER);
    for (String n : g.names) {
      say(g, n, g.names);
    }
    int v = g.choices.nextInt(size);
    int f = (v + 1 + g.choices.nextInt(size - 1)) % size;
    String victim = g.names.get(v);
    String forger = g.names.get(f);
    byte[] forged = g.forge(victim, forger, "not the victim's".getBytes(StandardCharsets.US_ASCII));
    for (String r : g.names) {
      if (!r.equals(victim) && !r.equals(forger)) {
        byte[] saved = g.groups.get(r).serialize();
        SottoException e = assertThrows(SottoException.class, () -> g.groups.get(r).open(forged));
        assertEquals(ErrorCode.BAD_SIGNATURE, e.code());
        assertArrayEquals(saved, g.groups.get(r).serialize());
      }
    }
    // Signed by the victim's own key, the same bytes open: the refusal was the signature's.
    byte[] real = g.forge(victim, victim, "the victim's".getBytes(StandardCharsets.US_ASCII));
    String reader = g.names.stream().filter(r -> !r.equals(victim)).findFirst().orElseThrow();
    assertArrayEquals("the victim's".getBytes(StandardCharsets.US_ASCII), g.groups.get(reader).open(real).payload().orElseThrow());
  }

  @Property(tries = 20)
  void concurrentChangesConvergeInAnyOrderOfArrival(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int size,
      @ForAll @IntRange(min = 2, max = 4) int authors) throws SottoException {
    Members g = new Members(seed, size, GroupState.Role.ADMIN);
    for (String n : g.names) {
      say(g, n, g.names);
    }
    // Several admins change the group at once, each on the same state.
    List<String> who = new ArrayList<>(g.names);
    Collections.shuffle(who, g.choices);
    who = who.subList(0, Math.min(authors, size));
    Map<String, byte[]> changes = new LinkedHashMap<>();
    for (String a : who) {
      List<GroupChange.Op> ops = new ArrayList<>();
      ops.add(new GroupChange.Rename("by " + a));
      if (g.choices.nextBoolean()) {
        String other = g.names.get(g.choices.nextInt(size));
        ops.add(new GroupChange.SetRole(g.ids.get(other).fingerprint(),
            g.choices.nextBoolean() ? GroupState.Role.ADMIN : GroupState.Role.MEMBER));
      }
      try {
        Group.Sealed s = g.propose(a, ops);
        g.keys(a, s);
        changes.put(a, s.envelope().encoded());
      } catch (IllegalArgumentException e) {
        // The last admin made a member: not a change this author can make; it makes none.
      }
    }
    // Every member opens the others' changes, each in its own random order.
    for (String m : g.names) {
      List<String> order = new ArrayList<>(changes.keySet());
      order.remove(m);
      Collections.shuffle(order, g.choices);
      for (String a : order) {
        g.groups.get(m).open(changes.get(a));
      }
    }
    byte[] hash = g.groups.get("m0").state().hash();
    for (String m : g.names) {
      assertArrayEquals(hash, g.groups.get(m).state().hash(), m + " holds another state");
    }
    // And they go on: a message of each opens at every other, under the same state.
    for (String n : g.names) {
      say(g, n, g.names);
    }
  }

  @Property(tries = 40)
  void aTamperedEnvelopeIsRefusedAndChangesNothing(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1023) int at,
      @ForAll @IntRange(min = 1, max = 255) int mask) throws SottoException {
    Members g = new Members(seed, 2, GroupState.Role.MEMBER);
    say(g, "m0", g.names);
    Group.Sealed s = g.seal("m0", "intact".getBytes(StandardCharsets.US_ASCII));
    byte[] tampered = s.envelope().encoded();
    tampered[at] ^= (byte) mask;
    Group bob = g.groups.get("m1");
    byte[] saved = bob.serialize();
    assertThrows(SottoException.class, () -> bob.open(tampered));
    assertArrayEquals(saved, bob.serialize(), "a refusal changes nothing");
    assertArrayEquals("intact".getBytes(StandardCharsets.US_ASCII), bob.open(s.envelope().encoded()).payload().orElseThrow());
  }
}
