package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.RandomSource;
import dev.sotto.conformance.vectors.Addresses;
import dev.sotto.conformance.vectors.Json;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The interop runner (spec: harness.adoc#runner): randomized conversations between the Java
 * implementation and an implementation under test, in both roles. Every request to the
 * implementation under test is also made to a Java <em>mirror</em>; since all randomness is given
 * in the requests, a conforming implementation answers byte for byte as the mirror does, and the
 * first answer that differs is the reported divergence.
 */
public final class Interop {
  private static final long NOW = 1_800_000_000L;

  private final Peer reference;
  private final Peer underTest;
  private final Peer mirror;
  private final PrintStream out;

  public Interop(Peer reference, Peer underTest, Peer mirror, PrintStream out) {
    this.reference = reference;
    this.underTest = underTest;
    this.mirror = mirror;
    this.out = out;
  }

  /** The outcome of a run. */
  public record Result(int passed, int failed) {}

  /** A divergence: where, what was expected (from the mirror), what the implementation said. */
  static final class Divergence extends Exception {
    private static final long serialVersionUID = 1L;

    Divergence(String message) {
      super(message);
    }
  }

  /** Runs {@code conversations} conversations from {@code seed}; prints failures and the closing line. */
  public Result run(long seed, int conversations) {
    return run(seed, conversations, false);
  }

  /**
   * As {@link #run(long, int)}; with {@code stopAtFirstFailure}, the run ends at the first failing
   * conversation and counts the rest as not played (what a mutant measurement needs: one
   * divergence kills the mutant).
   */
  public Result run(long seed, int conversations, boolean stopAtFirstFailure) {
    int passed = 0;
    int failed = 0;
    try {
      new Tour(seed).play();
      passed++;
    } catch (Divergence d) {
      failed++;
      out.println("FAIL tour (seed " + seed + "): " + d.getMessage());
      if (stopAtFirstFailure || d.getMessage().contains("[HARNESS]")) {
        out.println(passed + " passed, " + (failed + (stopAtFirstFailure ? 0 : conversations)) + " failed");
        return new Result(passed, failed + (stopAtFirstFailure ? 0 : conversations));
      }
    }
    for (int c = 0; c < conversations; c++) {
      try {
        new Conversation(seed, c).play();
        passed++;
      } catch (Divergence d) {
        failed++;
        out.println("FAIL conversation " + c + " (seed " + seed + "): " + d.getMessage());
        if (d.getMessage().contains("[HARNESS]")) {
          out.println("stopping: the implementation under test no longer answers");
          failed += conversations - c - 1;
          break;
        }
        if (stopAtFirstFailure) {
          break;
        }
      }
    }
    out.println(passed + " passed, " + failed + " failed");
    return new Result(passed, failed);
  }

  /** One side of a conversation: the reference alone, or the implementation under test with its mirror. */
  private final class Side {
    final String name;
    final boolean tested;
    String handle;
    String mirrorHandle;
    String identity;
    String mirrorIdentity;

    Side(String name, boolean tested) {
      this.name = name;
      this.tested = tested;
    }

    /** A side of the same identity, for another session of it. */
    Side another(String suffix) {
      Side s = new Side(name + suffix, tested);
      s.identity = identity;
      s.mirrorIdentity = mirrorIdentity;
      return s;
    }

    /**
     * Makes a request that must be refused with {@code code}: on the side under test, the mirror's
     * answer must be that code (otherwise the runner itself is wrong) and the implementation's the
     * same.
     */
    void refuse(String step, ObjectNode request, String handleField, String code) throws Divergence {
      JsonNode answer = call(step, request, handleField, true);
      if (answer != null) {
        throw new Divergence(step + ": " + request.path("op").asText() + ": accepted by both; the runner meant "
            + code);
      }
      String got = tested ? lastMirrorError : lastReferenceError;
      if (!code.equals(got)) {
        throw new IllegalStateException("the runner's own expectation is wrong: " + step + " was meant to give "
            + code + ", the reference gave " + got);
      }
    }

    /**
     * Makes a request on this side. For the side under test, the same request goes to the mirror
     * (with its own handles), and the two answers must agree.
     */
    JsonNode call(String step, ObjectNode request, String handleField) throws Divergence {
      return call(step, request, handleField, false);
    }

    /** As above; {@code refusalExpected}: on the reference side, an error answer is returned as null. */
    JsonNode call(String step, ObjectNode request, String handleField, boolean refusalExpected) throws Divergence {
      if (!tested) {
        try {
          lastReferenceError = null;
          return reference.call(withHandle(request, handleField, false));
        } catch (Peer.Failure f) {
          lastReferenceError = f.code();
          if (refusalExpected) {
            return null;
          }
          throw new Divergence(step + ": the reference implementation failed: " + f.getMessage());
        }
      }
      JsonNode expected = null;
      String expectedError = null;
      try {
        expected = mirror.call(withHandle(request, handleField, true));
      } catch (Peer.Failure f) {
        expectedError = f.code();
      }
      lastMirror = expected;
      lastMirrorError = expectedError;
      JsonNode actual = null;
      String actualError = null;
      String actualMessage = "";
      try {
        actual = underTest.call(withHandle(request, handleField, false));
      } catch (Peer.Failure f) {
        actualError = f.code();
        actualMessage = f.getMessage();
      }
      String op = request.path("op").asText();
      if (expectedError != null || actualError != null) {
        if (expectedError == null) {
          throw new Divergence(step + ": " + op + ": expected success, actual error " + actualMessage
              + ("HARNESS".equals(actualError) ? " [HARNESS]" : ""));
        }
        if (!expectedError.equals(actualError)) {
          throw new Divergence(step + ": " + op + ": expected error " + expectedError + ", actual "
              + (actualError == null ? "success" : "error " + actualMessage));
        }
        if (!refusalExpected) {
          throw new Divergence(step + ": " + op + ": refused by both implementations with " + expectedError);
        }
        return null;
      }
      compare(step + ": " + op, expected, actual);
      return actual;
    }

    /** A session's state as the harness gives it. */
    String state(String step) throws Divergence {
      return call(step, Json.object().put("op", "session.serialize"), "session").path("state").asText();
    }

    /** The identity's responder state as the harness gives it. */
    String responderState(String step) throws Divergence {
      return call(step, Json.object().put("op", "responder.serialize"), "identity").path("state").asText();
    }

    private ObjectNode withHandle(ObjectNode request, String field, boolean forMirror) {
      ObjectNode r = request.deepCopy();
      if (field != null) {
        String h = field.equals("identity") ? (forMirror ? mirrorIdentity : identity) : (forMirror ? mirrorHandle : handle);
        r.put(field, h);
      }
      return r;
    }

    /** Remembers the handles a creating call returned (on the mirror, the call is repeated for its handle). */
    void adopt(String field, JsonNode actual, JsonNode mirrored) {
      if (field.equals("identity")) {
        identity = actual.path("identity").asText();
        mirrorIdentity = mirrored == null ? identity : mirrored.path("identity").asText();
      } else {
        String key = field.equals("group") ? "group" : "session";
        handle = actual.path(key).asText();
        mirrorHandle = mirrored == null ? handle : mirrored.path(key).asText();
      }
    }
  }

  /** Fields whose values are handles: they may differ between implementations. */
  private static final List<String> HANDLES = List.of("identity", "session", "group");

  private static void compare(String where, JsonNode expected, JsonNode actual) throws Divergence {
    for (var e : expected.properties()) {
      if (HANDLES.contains(e.getKey()) || e.getKey().equals("implementation")) {
        continue;
      }
      JsonNode a = actual.path(e.getKey());
      if (e.getKey().equals("tags")) {
        // Tags come in any order (spec: harness.adoc#harness-operations).
        a = sorted(a);
        e = Map.entry(e.getKey(), sorted(e.getValue()));
      }
      if (!e.getValue().equals(a)) {
        throw new Divergence(where + ": field '" + e.getKey() + "' differs: expected " + abbreviate(e.getValue())
            + ", actual " + abbreviate(a));
      }
    }
  }

  private static JsonNode sorted(JsonNode array) {
    if (!array.isArray()) {
      return array;
    }
    List<String> items = new ArrayList<>();
    array.forEach(n -> items.add(n.toString()));
    java.util.Collections.sort(items);
    ArrayNode out = Json.array();
    for (String item : items) {
      try {
        out.add(Json.MAPPER.readTree(item));
      } catch (java.io.IOException ex) {
        throw new IllegalStateException(ex);
      }
    }
    return out;
  }

  private static String abbreviate(JsonNode node) {
    String s = node.isMissingNode() ? "(missing)" : node.toString();
    if (node.isArray() && node.size() > 0) {
      s = "[" + node.size() + " items, first " + abbreviate(node.get(0)) + "]";
    }
    return s.length() > 96 ? s.substring(0, 60) + "..." + s.substring(s.length() - 20) + " (" + s.length() + " chars)" : s;
  }

  /** A payload in flight: complete when all its envelopes have been opened. */
  private static final class Sent {
    final byte[] payload;
    int missing;

    Sent(byte[] payload, int envelopes) {
      this.payload = payload;
      this.missing = envelopes;
    }
  }

  /** An envelope in flight, from one side to the other. */
  private record InFlight(Side to, byte[] envelope, Sent sent) {}

  private class Conversation {
    final int index;
    final SplittableRandom schedule;
    final RandomSource bytes;
    int step;

    Conversation(long seed, int index) {
      this.index = index;
      this.schedule = new SplittableRandom(seed * 1_000_003L + index);
      this.bytes = TestRandom.deterministic(ByteBuffer.allocate(16).putLong(seed).putLong(index).array());
    }

    String at(String what) {
      return "step " + (step++) + " (" + what + ")";
    }

    ObjectNode request(String op) {
      return Json.object().put("op", op);
    }

    /** Randomness for one operation: more than any operation draws; the rest is ignored. */
    String random(int length) {
      return Bytes.hex(bytes.bytes(length));
    }

    byte[] payload() {
      int kind = schedule.nextInt(40);
      int length = kind == 0 ? 66_000 + schedule.nextInt(80_000) : kind < 4 ? schedule.nextInt(20_000)
          : schedule.nextInt(300);
      return bytes.bytes(length);
    }

    /** Creates the side's identity from a fresh seed; returns the seed. */
    byte[] createIdentity(Side side) throws Divergence {
      String seed = random(32);
      ObjectNode r = request("identity.create").put("seed", seed);
      JsonNode got = side.call(at(side.name + " identity.create"), r, null);
      side.adopt("identity", got, side.tested ? lastMirror : null);
      if (!side.tested) {
        // The Java side's identity must also be what the implementation under test would derive.
        JsonNode check = callTested(at("identity.create (check)"), r);
        compare("identity.create of the same seed", got, check);
      }
      return Bytes.unhex(seed);
    }

    /** A {@code card.issue} request (without the identity: the side adds it). */
    ObjectNode cardRequest(long created, long expires, ArrayNode addresses) {
      ObjectNode issue = request("card.issue").put("created", created).put("expires", expires);
      issue.set("addresses", addresses);
      return issue.put("random", random(16));
    }

    String issueCard(Side side, long created, long expires, ArrayNode addresses) throws Divergence {
      return side.call(at(side.name + " card.issue"), cardRequest(created, expires, addresses), "identity")
          .path("card").asText();
    }

    ObjectNode prekeysRequest(String card, long created, long expires, int opks, int kemOpks) {
      return request("prekeys.issue").put("card", card).put("created", created).put("expires", expires)
          .put("one_time_expires", expires).put("opk_count", opks).put("pqopk_count", kemOpks)
          .put("random", random(32 + 64 + 32 * opks + 64 * kemOpks));
    }

    JsonNode issuePrekeys(Side side, String card, long created, long expires, int opks, int kemOpks)
        throws Divergence {
      return side.call(at(side.name + " prekeys.issue"), prekeysRequest(card, created, expires, opks, kemOpks),
          "identity");
    }

    ObjectNode initiateRequest(String card, String bundle, String opk, String pqopk, long now, byte[] payload) {
      ObjectNode r = request("session.initiate").put("card", card).put("bundle", bundle).put("now", now)
          .put("payload", Bytes.hex(payload)).put("random", random(96));
      if (opk == null) {
        r.putNull("opk");
      } else {
        r.put("opk", opk);
      }
      if (pqopk == null) {
        r.putNull("pqopk");
      } else {
        r.put("pqopk", pqopk);
      }
      return r;
    }

    /** A few addresses of every kind, in both forms (spec: harness.adoc#harness-addresses). */
    ArrayNode addresses() {
      ArrayNode list = Json.array();
      int count = schedule.nextInt(4);
      for (int i = 0; i < count; i++) {
        int form = schedule.nextInt(4);
        int key = 1 + schedule.nextInt(50);
        String host = "h" + schedule.nextInt(1000) + ".example.org";
        int port = 1 + schedule.nextInt(65535);
        if (form < 2) {
          list.addObject().put("kind", 1 + form).put("host", host).put("port", port)
              .put("link_key", Bytes.hex(Addresses.linkKey(key)));
        } else if (form == 2) {
          dev.sotto.Address a = dev.sotto.Address.mailbox(host, port, Addresses.linkKey(key));
          list.addObject().put("kind", a.kind()).put("value", Bytes.hex(a.value()));
        } else {
          list.addObject().put("kind", 5 + schedule.nextInt(251)).put("value", Bytes.hex(bytes.bytes(1 + schedule.nextInt(40))));
        }
      }
      return list;
    }

    void play() throws Divergence {
      boolean javaInitiates = index % 2 == 0;
      Side initiator = new Side(javaInitiates ? "Java" : "tested", !javaInitiates);
      Side responder = new Side(javaInitiates ? "tested" : "Java", javaInitiates);
      createIdentity(initiator);
      createIdentity(responder);
      // Time advances from one conversation to the next, and within one: cards made up to a month
      // before, a bundle up to two days before the first contact, accepted up to two days after.
      long start = NOW + index * 7_919L + schedule.nextInt(86_400);
      String card = null;
      int cards = 1 + schedule.nextInt(3);
      int chosen = schedule.nextInt(cards);
      for (int i = 0; i < cards; i++) {
        long created = start - schedule.nextInt(30 * 86_400);
        String issued = issueCard(responder, created, created + 365 * 86_400L, addresses());
        if (i == chosen) {
          card = issued;
        }
      }
      int opks = schedule.nextInt(4);
      int kemOpks = schedule.nextInt(3);
      long bundleCreated = start - schedule.nextInt(2 * 86_400);
      JsonNode issued = issuePrekeys(responder, card, bundleCreated, bundleCreated + 3 * 86_400L, opks, kemOpks);
      long initiated = start + schedule.nextInt(3_600);
      long acceptedAt = initiated + schedule.nextInt(2 * 86_400);

      byte[] first = payload();
      // The one-time prekeys a mailbox would serve: the first of each kind, when there is one.
      ObjectNode initiate = initiateRequest(card, issued.path("bundle").asText(),
          opks > 0 ? issued.path("opks").get(0).asText() : null,
          kemOpks > 0 ? issued.path("pqopks").get(0).asText() : null, initiated, first);
      JsonNode started = initiator.call(at(initiator.name + " session.initiate"), initiate, "identity");
      initiator.adopt("session", started, initiator.tested ? lastMirror : null);
      List<InFlight> flight = new ArrayList<>();
      ArrayNode envelopes = (ArrayNode) started.path("envelopes");
      Sent firstSent = new Sent(first, envelopes.size());
      for (int i = 0; i < envelopes.size(); i++) {
        flight.add(new InFlight(responder, Bytes.unhex(envelopes.get(i).asText()), firstSent));
      }
      // The first contact first: the responder has no session before it.
      InFlight firstContact = flight.remove(0);
      ObjectNode accept = request("session.accept").put("envelope", Bytes.hex(firstContact.envelope()))
          .put("now", acceptedAt).put("random", random(64));
      JsonNode accepted = responder.call(at(responder.name + " session.accept"), accept, "identity");
      responder.adopt("session", accepted, responder.tested ? lastMirror : null);
      complete(accepted, firstContact);

      List<InFlight> delivered = new ArrayList<>();
      int steps = 6 + schedule.nextInt(14);
      for (int s = 0; s < steps || !flight.isEmpty(); s++) {
        int action = s >= steps ? 6 : schedule.nextInt(20);
        if (action < 6) {
          Side from = schedule.nextBoolean() ? initiator : responder;
          Side to = from == initiator ? responder : initiator;
          byte[] payload = payload();
          ObjectNode seal = request("session.seal").put("payload", Bytes.hex(payload)).put("random", random(12 * 20));
          JsonNode sealed = from.call(at(from.name + " seals " + payload.length + " bytes"), seal, "session");
          ArrayNode list = (ArrayNode) sealed.path("envelopes");
          Sent sent = new Sent(payload, list.size());
          for (int i = 0; i < list.size(); i++) {
            flight.add(new InFlight(to, Bytes.unhex(list.get(i).asText()), sent));
          }
        } else if (action < 14 && !flight.isEmpty()) {
          // Deliver one in-flight envelope, not necessarily the oldest (reordering within the bounds).
          InFlight m = flight.remove(schedule.nextInt(Math.min(flight.size(), 4)));
          deliver(m, true);
          delivered.add(m);
        } else if (action < 15 && !flight.isEmpty() && flight.get(0).envelope().length < 65536) {
          flight.remove(0); // lost
        } else if (action < 16 && !delivered.isEmpty()) {
          InFlight again = delivered.get(schedule.nextInt(delivered.size()));
          deliver(again, false); // a duplicate: refused, state unchanged
        } else if (action < 18 && !flight.isEmpty()) {
          InFlight m = flight.get(schedule.nextInt(flight.size()));
          byte[] tampered = m.envelope().clone();
          tampered[schedule.nextInt(tampered.length)] ^= (byte) (1 + schedule.nextInt(255));
          deliver(new InFlight(m.to(), tampered, null), false);
        } else if (action < 19) {
          Side side = schedule.nextBoolean() ? initiator : responder;
          side.call(at(side.name + " session.tags"), request("session.tags"), "session");
        } else {
          Side side = schedule.nextBoolean() ? initiator : responder;
          JsonNode state = side.call(at(side.name + " session.serialize"), request("session.serialize"), "session");
          ObjectNode restore = request("session.restore").put("state", state.path("state").asText());
          JsonNode restored = side.call(at(side.name + " session.restore"), restore, null);
          side.adopt("session", restored, side.tested ? lastMirror : null);
        }
      }
      if (index % 4 == 3) {
        groupConversation(start);
      }
    }

    /** A public identity's bytes (hex) from an identity seed (hex), as identity.create derives it. */
    String publicIdentity(String seed) {
      return Bytes.hex(dev.sotto.Identity.fromSeed(dev.sotto.IdentitySeed.fromBytes(Bytes.unhex(seed)))
          .publicIdentity().encoded());
    }

    /** A public identity the runner made (hex). */
    dev.sotto.PublicIdentity pid(String hex) {
      try {
        return dev.sotto.PublicIdentity.parse(Bytes.unhex(hex));
      } catch (dev.sotto.SottoException e) {
        throw new IllegalStateException("the runner made a bad identity", e);
      }
    }

    /** The group's tip as the side's implementation gives it. */
    String groupState(Side side) throws Divergence {
      return side.call(at(side.name + " group.state"), request("group.state"), "group").path("state").asText();
    }

    /** The entry of {@code list} whose {@code to} is {@code to}, its {@code field}. */
    String entryFor(JsonNode list, String to, String field) {
      for (JsonNode n : list) {
        if (n.path("to").asText().equals(to)) {
          return n.path(field).asText();
        }
      }
      throw new IllegalStateException("the runner found nothing for " + to);
    }

    /** A member of a conversation's group: its side, public identity and fingerprint (hex). */
    final class GroupMember {
      final Side side;
      final String pub;
      final String fp;

      GroupMember(Side side, String seed) {
        this.side = side;
        this.pub = publicIdentity(seed);
        this.fp = Bytes.hex(pid(pub).fingerprint().bytes());
      }
    }

    /** A member of the group on the Java implementation or the one under test, chosen by the schedule. */
    GroupMember groupMember(String name, boolean tested) throws Divergence {
      Side side = new Side((tested ? "tested " : "Java ") + name, tested);
      byte[] seed = createIdentity(side);
      return new GroupMember(side, Bytes.hex(seed));
    }

    /** Hands each sender key of {@code answer} to its recipient among {@code members}. */
    void handOut(GroupMember from, JsonNode answer, List<GroupMember> members) throws Divergence {
      for (JsonNode k : answer.path("sender_keys")) {
        for (GroupMember m : members) {
          if (m.pub.equals(k.path("to").asText())) {
            m.side.call(at(m.side.name + " takes " + from.side.name + "'s sender key"), request("group.sender_key")
                .put("from", from.pub).put("sender_key", k.path("sender_key").asText()), "group");
          }
        }
      }
    }

    /**
     * A group conversation (spec: harness.adoc#harness-runner): members on both implementations;
     * rounds of messages delivered to each member in its own order, some lost; a member added and
     * welcomed; a member removed, who then reads nothing new; two admins' concurrent changes, opened
     * in either order; after each round every member holds the same state.
     */
    void groupConversation(long start) throws Divergence {
      long now = start + 3 * 86_400L;
      List<GroupMember> members = new ArrayList<>();
      List<GroupMember> removed = new ArrayList<>();
      int size = 3 + schedule.nextInt(3);
      for (int i = 0; i < size; i++) {
        members.add(groupMember("member " + i, i == 0 ? index % 8 == 3 : schedule.nextBoolean()));
      }
      GroupMember creator = members.get(0);
      ObjectNode create = request("group.create").put("name", "group " + index).put("random", random(32));
      create.putArray("mailboxes");
      JsonNode made = creator.side.call(at(creator.side.name + " group.create"), create, "identity");
      creator.side.adopt("group", made, creator.side.tested ? lastMirror : null);
      ObjectNode adds = request("group.propose").put("now", now).put("random", random(32));
      ArrayNode ops = adds.putArray("ops");
      for (int i = 1; i < size; i++) {
        ops.addObject().put("op", "add").put("identity", members.get(i).pub).put("role", i == 1 ? "admin" : "member");
      }
      JsonNode added = creator.side.call(at(creator.side.name + " adds " + (size - 1)), adds, "group");
      for (int i = 1; i < size; i++) {
        join(members.get(i), creator, added);
      }
      int rounds = 4 + schedule.nextInt(5);
      for (int round = 0; round < rounds; round++) {
        now += 60;
        int kind = schedule.nextInt(10);
        if (kind < 6) {
          messages(members, removed, now);
        } else if (kind < 7 && members.size() < 7) {
          GroupMember joiner = groupMember("member " + (members.size() + removed.size()), schedule.nextBoolean());
          ObjectNode add = request("group.propose").put("now", now).put("random", random(32));
          add.putArray("ops").addObject().put("op", "add").put("identity", joiner.pub).put("role", "member");
          change(creator, add, members);
          members.add(joiner);
          join(joiner, creator, lastChange);
        } else if (kind < 8 && members.size() > 3) {
          GroupMember out = members.get(2 + schedule.nextInt(members.size() - 2));
          ObjectNode remove = request("group.propose").put("now", now).put("random", random(32));
          remove.putArray("ops").addObject().put("op", "remove").put("member", out.fp);
          change(creator, remove, members);
          members.remove(out);
          removed.add(out);
        } else {
          concurrent(creator, members.get(1), members, now);
        }
        String state = groupState(creator.side);
        for (GroupMember m : members) {
          if (!state.equals(groupState(m.side))) {
            throw new Divergence("step " + (step - 1) + ": " + m.side.name + " holds another group state than "
                + creator.side.name + " after round " + round);
          }
        }
      }
    }

    private JsonNode lastChange;

    /** {@code joiner} joins from its welcome in {@code proposed}. */
    void join(GroupMember joiner, GroupMember from, JsonNode proposed) throws Divergence {
      JsonNode joined = joiner.side.call(at(joiner.side.name + " group.join"), request("group.join")
          .put("from", from.pub).put("welcome", entryFor(proposed.path("welcomes"), joiner.pub, "state")), "identity");
      joiner.side.adopt("group", joined, joiner.side.tested ? lastMirror : null);
    }

    /** {@code author}'s change, its sender keys handed out and opened by every other member (the removed one too). */
    void change(GroupMember author, ObjectNode propose, List<GroupMember> members) throws Divergence {
      lastChange = author.side.call(at(author.side.name + " group.propose"), propose, "group");
      handOut(author, lastChange, members);
      for (GroupMember m : members) {
        if (m != author) {
          m.side.call(at(m.side.name + " opens " + author.side.name + "'s change"), request("group.open")
              .put("envelope", lastChange.path("envelope").asText()), "group");
        }
      }
    }

    /** One to three members seal; each other member opens the round's envelopes in an order of its own, some lost. */
    void messages(List<GroupMember> members, List<GroupMember> removed, long now) throws Divergence {
      record Sealed(GroupMember from, String envelope, String payload) {}
      List<Sealed> round = new ArrayList<>();
      int count = 1 + schedule.nextInt(3);
      for (int i = 0; i < count; i++) {
        GroupMember from = members.get(schedule.nextInt(members.size()));
        byte[] payload = bytes.bytes(schedule.nextInt(10) == 0 ? 1_000 + schedule.nextInt(20_000) : schedule.nextInt(300));
        JsonNode sealed = from.side.call(at(from.side.name + " group.seal of " + payload.length + " bytes"),
            request("group.seal").put("payload", Bytes.hex(payload)).put("now", now).put("random", random(32)), "group");
        handOut(from, sealed, members);
        round.add(new Sealed(from, sealed.path("envelope").asText(), Bytes.hex(payload)));
      }
      for (GroupMember m : members) {
        List<Sealed> mine = new ArrayList<>(round);
        mine.removeIf(r -> r.from() == m);
        java.util.Collections.shuffle(mine, new java.util.Random(schedule.nextLong()));
        for (Sealed r : mine) {
          if (schedule.nextInt(8) == 0) {
            continue; // lost
          }
          JsonNode opened = m.side.call(at(m.side.name + " opens " + r.from().side.name + "'s message"),
              request("group.open").put("envelope", r.envelope()), "group");
          if (!r.payload().equals(opened.path("payload").asText(null))
              || !r.from().pub.equals(opened.path("sender").asText())) {
            throw new Divergence("step " + (step - 1) + ": " + m.side.name + " opened another payload or sender than "
                + r.from().side.name + " sealed");
          }
        }
      }
      for (GroupMember out : removed) {
        for (Sealed r : round) {
          String before = groupState(out.side);
          JsonNode opened = out.side.call(at(out.side.name + ", removed, is given " + r.from().side.name
              + "'s message"), request("group.open").put("envelope", r.envelope()), "group", true);
          if (opened != null) {
            throw new Divergence("step " + (step - 1) + ": a removed member opened a message sealed after its removal");
          }
          if (!before.equals(groupState(out.side))) {
            throw new Divergence("step " + (step - 1) + ": the group state changed although the message was refused");
          }
        }
      }
    }

    /** Two admins change the group at once; every member opens both changes, in an order of its own. */
    void concurrent(GroupMember a, GroupMember b, List<GroupMember> members, long now) throws Divergence {
      ObjectNode first = request("group.propose").put("now", now).put("random", random(32));
      first.putArray("ops").addObject().put("op", "rename").put("name", "by " + a.side.name);
      ObjectNode second = request("group.propose").put("now", now).put("random", random(32));
      second.putArray("ops").addObject().put("op", "rename").put("name", "by " + b.side.name);
      JsonNode x = a.side.call(at(a.side.name + " renames"), first, "group");
      JsonNode y = b.side.call(at(b.side.name + " renames at once"), second, "group");
      handOut(a, x, members);
      handOut(b, y, members);
      for (GroupMember m : members) {
        List<JsonNode> changes = new ArrayList<>();
        if (m != a) {
          changes.add(x);
        }
        if (m != b) {
          changes.add(y);
        }
        if (schedule.nextBoolean()) {
          java.util.Collections.reverse(changes);
        }
        for (JsonNode c : changes) {
          m.side.call(at(m.side.name + " opens a concurrent change"), request("group.open")
              .put("envelope", c.path("envelope").asText()), "group");
        }
      }
    }

    /** Delivers an envelope; {@code genuine}: it must open, otherwise it must be refused with the state unchanged. */
    void deliver(InFlight m, boolean genuine) throws Divergence {
      Side to = m.to();
      String before = genuine ? null : to.call(at(to.name + " session.serialize"), request("session.serialize"),
          "session").path("state").asText();
      ObjectNode open = request("session.open").put("envelope", Bytes.hex(m.envelope())).put("random", random(64));
      String what = to.name + (genuine ? " opens " : " is given a bad or repeated ") + m.envelope().length + "-byte envelope";
      JsonNode opened = to.call(at(what), open, "session", !genuine);
      if (genuine) {
        if (opened == null) {
          throw new Divergence("step " + (step - 1) + ": a genuine envelope was refused by both implementations");
        }
        complete(opened, m);
        return;
      }
      if (opened != null) {
        throw new Divergence("step " + (step - 1) + " (" + what + "): accepted; it must be refused");
      }
      String after = to.call(at(to.name + " session.serialize"), request("session.serialize"), "session")
          .path("state").asText();
      if (!before.equals(after)) {
        throw new Divergence("step " + (step - 1) + ": the session state changed although the envelope was refused");
      }
    }

    /** After an envelope of {@code m.sent()} opened: the payload once all its envelopes are in, none before. */
    void complete(JsonNode answer, InFlight m) throws Divergence {
      Sent sent = m.sent();
      sent.missing--;
      JsonNode got = answer.path("payload");
      if (sent.missing > 0) {
        if (!got.isNull()) {
          throw new Divergence("step " + (step - 1) + ": a payload came out before all its envelopes were opened");
        }
      } else if (!Bytes.hex(sent.payload).equals(got.asText(null))) {
        throw new Divergence("step " + (step - 1) + ": the payload differs from what was sent ("
            + sent.payload.length + " bytes sent)");
      }
    }

    private JsonNode callTested(String where, ObjectNode r) throws Divergence {
      try {
        return underTest.call(r);
      } catch (Peer.Failure f) {
        throw new Divergence(where + ": " + f.getMessage() + ("HARNESS".equals(f.code()) ? " [HARNESS]" : ""));
      }
    }
  }

  /** The first contact's offsets in an envelope (spec: envelope.adoc, handshake.adoc#first-message-table). */
  private static final int FIRST_MESSAGE = 17;
  private static final long DAY = 86_400L;
  /** The first-contact window W (spec: handshake.adoc#responder-steps). */
  private static final long WINDOW = 4 * DAY;
  /** The largest payloads (spec: envelope.adoc#payload-limit). */
  /** backup.json's cases, made once: the tour plays them (spec: harness.adoc#harness-runner). */
  private static final java.util.function.Supplier<com.fasterxml.jackson.databind.node.ArrayNode> BACKUP_CASES =
      new java.util.function.Supplier<>() {
        private com.fasterxml.jackson.databind.node.ArrayNode cases;

        @Override
        public synchronized com.fasterxml.jackson.databind.node.ArrayNode get() {
          if (cases == null) {
            cases = new dev.sotto.conformance.vectors.BackupVectors().generate();
          }
          return cases;
        }
      };

  /** group.json's cases, made once: the tour plays them (spec: harness.adoc#harness-runner). */
  private static final java.util.function.Supplier<ArrayNode> GROUP_CASES = new java.util.function.Supplier<>() {
    private ArrayNode cases;

    @Override
    public synchronized ArrayNode get() {
      if (cases == null) {
        cases = new dev.sotto.conformance.vectors.GroupVectors().generate();
      }
      return cases;
    }
  };

  static final int LARGEST_PAYLOAD = 16_747_264;
  static final int LARGEST_FIRST_PAYLOAD = 16_746_019;
  /** A bundle's replay cache holds this many first contacts (spec: handshake.adoc#replay). */
  static final int REPLAY_CACHE_LIMIT = 4_096;

  /**
   * The tour: one scripted conversation, played before the random ones, that makes the
   * implementation under test answer every operation and every error code of
   * spec: harness.adoc#harness-errors, each refusal checked to leave the state as it was. What is
   * expensive (the largest payloads, a full replay cache) comes last.
   */
  private final class Tour extends Conversation {
    Tour(long seed) {
      super(seed, -1);
    }

    private byte[] with(byte[] data, int index, int value) {
      byte[] out = data.clone();
      out[index] = (byte) value;
      return out;
    }

    private byte[] flip(byte[] data, int index) {
      byte[] out = data.clone();
      out[index] ^= 0x01;
      return out;
    }

    private byte[] cut(byte[] data, int length) {
      return Arrays.copyOf(data, length);
    }

    /** Every first-contact refusal is checked against the responder state before and after it. */
    void refuseFirstContact(Side to, String what, byte[] envelope, long now, String code) throws Divergence {
      String before = to.responderState(at(to.name + " responder.serialize"));
      ObjectNode accept = request("session.accept").put("envelope", Bytes.hex(envelope)).put("now", now)
          .put("random", "");
      to.refuse(at(to.name + " is given " + what), accept, "identity", code);
      if (!before.equals(to.responderState(at(to.name + " responder.serialize")))) {
        throw new Divergence("step " + (step - 1) + ": the responder state changed although " + what + " was refused");
      }
    }

    /** An envelope that the session must refuse with {@code code}, its state unchanged. */
    void refuseEnvelope(Side to, String what, byte[] envelope, String code) throws Divergence {
      String before = to.state(at(to.name + " session.serialize"));
      ObjectNode open = request("session.open").put("envelope", Bytes.hex(envelope)).put("random", "");
      to.refuse(at(to.name + " is given " + what), open, "session", code);
      if (!before.equals(to.state(at(to.name + " session.serialize")))) {
        throw new Divergence("step " + (step - 1) + ": the session state changed although " + what + " was refused");
      }
    }

    /** A seal that must be refused with {@code code}, the session unchanged. */
    void refuseSeal(Side side, String what, byte[] payload, String code) throws Divergence {
      String before = side.state(at(side.name + " session.serialize"));
      ObjectNode seal = request("session.seal").put("payload", Bytes.hex(payload)).put("random", random(32));
      side.refuse(at(side.name + " seals " + what), seal, "session", code);
      if (!before.equals(side.state(at(side.name + " session.serialize")))) {
        throw new Divergence("step " + (step - 1) + ": the session state changed although the seal was refused");
      }
    }

    JsonNode accept(Side to, byte[] envelope, long now) throws Divergence {
      ObjectNode accept = request("session.accept").put("envelope", Bytes.hex(envelope)).put("now", now)
          .put("random", "");
      JsonNode accepted = to.call(at(to.name + " session.accept"), accept, "identity");
      to.adopt("session", accepted, to.tested ? lastMirror : null);
      return accepted;
    }

    List<byte[]> envelopes(JsonNode answer) {
      List<byte[]> out = new ArrayList<>();
      answer.path("envelopes").forEach(e -> out.add(Bytes.unhex(e.asText())));
      return out;
    }

    List<byte[]> initiate(Side from, String card, String bundle, String opk, String pqopk, long now, byte[] payload)
        throws Divergence {
      JsonNode started = from.call(at(from.name + " session.initiate"),
          initiateRequest(card, bundle, opk, pqopk, now, payload), "identity");
      from.adopt("session", started, from.tested ? lastMirror : null);
      return envelopes(started);
    }

    List<byte[]> seal(Side from, byte[] payload) throws Divergence {
      ObjectNode seal = request("session.seal").put("payload", Bytes.hex(payload)).put("random", random(32));
      return envelopes(from.call(at(from.name + " seals " + payload.length + " bytes"), seal, "session"));
    }

    /** Opens envelopes in order; the last must give {@code payload}. */
    void openAll(Side to, List<byte[]> envelopes, byte[] payload) throws Divergence {
      Sent sent = new Sent(payload, envelopes.size());
      for (byte[] e : envelopes) {
        deliver(new InFlight(to, e, sent), true);
      }
    }

    ArrayNode noAddresses() {
      return Json.array();
    }

    @Override
    void play() throws Divergence {
      long t0 = NOW;
      Side tested = new Side("tested", true);
      Side javaSide = new Side("Java", false);

      // --- the protocol itself
      tested.call(at("hello"), request("hello"), null);
      tested.refuse(at("an undefined op"), request("identity.forget").put("identity", "x"), null, "UNSUPPORTED");
      tested.refuse(at("identity.create without its seed"), request("identity.create"), null, "BAD_REQUEST");
      tested.refuse(at("identity.create with a seed in upper-case hex"),
          request("identity.create").put("seed", random(32).toUpperCase(Locale.ROOT)), null, "BAD_REQUEST");
      tested.refuse(at("identity.create with a 31-byte seed"), request("identity.create").put("seed", random(31)),
          null, "MISUSE");

      byte[] testedSeed = createIdentity(tested);
      createIdentity(javaSide);

      // --- handles that were never given, in well-formed requests
      ArrayNode oneAddress = Json.array();
      oneAddress.addObject().put("kind", 2).put("host", "mailbox.example.org").put("port", 7401)
          .put("link_key", Bytes.hex(Addresses.linkKey(1)));
      String javaCard = issueCard(javaSide, t0, t0 + 365 * DAY, oneAddress.deepCopy());
      ObjectNode[] unknownIdentity = {
        cardRequest(t0, t0 + DAY, noAddresses()),
        prekeysRequest(javaCard, t0, t0 + DAY, 0, 0),
        request("responder.serialize"),
        initiateRequest(javaCard, "00", null, null, t0, new byte[1]),
        request("session.accept").put("envelope", "00").put("now", t0).put("random", ""),
      };
      for (ObjectNode r : unknownIdentity) {
        tested.refuse(at(r.path("op").asText() + " of an unknown identity"), r.put("identity", "no-such-handle"),
            null, "UNKNOWN_HANDLE");
      }
      ObjectNode[] unknownSession = {
        request("session.seal").put("payload", "00").put("random", random(32)),
        request("session.open").put("envelope", "00").put("random", ""),
        request("session.serialize"),
        request("session.tags"),
      };
      for (ObjectNode r : unknownSession) {
        tested.refuse(at(r.path("op").asText() + " of an unknown session"), r.put("session", "no-such-handle"),
            null, "UNKNOWN_HANDLE");
      }

      // --- cards: every address kind in both forms, several cards, the limit of 16
      ArrayNode every = Json.array();
      every.addObject().put("kind", 1).put("host", "192.0.2.7").put("port", 7400)
          .put("link_key", Bytes.hex(Addresses.linkKey(2)));
      every.addObject().put("kind", 2).put("host", "mailbox.example.org").put("port", 7401)
          .put("link_key", Bytes.hex(Addresses.linkKey(3)));
      dev.sotto.Address byValue = dev.sotto.Address.peer("2001:db8::1", 65535, Addresses.linkKey(4));
      every.addObject().put("kind", 1).put("value", Bytes.hex(byValue.value()));
      byte[] onionKey = dev.sotto.internal.crypto.Ed25519.publicKey(new byte[32]);
      every.addObject().put("kind", 3).put("value", Bytes.hex(dev.sotto.Address.onionPeer(
          dev.sotto.Address.onionName(onionKey), 7400, Addresses.linkKey(5)).value()));
      every.addObject().put("kind", 4).put("value", Bytes.hex(dev.sotto.Address.onionMailbox(
          dev.sotto.Address.onionName(onionKey), 443, Addresses.linkKey(6)).value()));
      every.addObject().put("kind", 5).put("value", Bytes.hex("future-transport".getBytes(
          StandardCharsets.US_ASCII)));
      every.addObject().put("kind", 255).put("value", Bytes.hex(bytes.bytes(255)));
      String cardA = issueCard(tested, t0, t0 + 365 * DAY, every);
      String cardB = issueCard(tested, t0, t0 + 30 * DAY, oneAddress.deepCopy());
      tested.refuse(at("card.issue expiring at its creation"), cardRequest(t0, t0, noAddresses()), "identity",
          "MISUSE");
      ArrayNode portZero = Json.array();
      portZero.addObject().put("kind", 2).put("host", "mailbox.example.org").put("port", 0)
          .put("link_key", Bytes.hex(Addresses.linkKey(1)));
      tested.refuse(at("card.issue with port 0"), cardRequest(t0, t0 + DAY, portZero), "identity", "MISUSE");
      for (int i = 2; i < 16; i++) {
        issueCard(tested, t0 + i, t0 + 365 * DAY, noAddresses());
      }
      tested.refuse(at("a 17th card.issue"), cardRequest(t0, t0 + DAY, noAddresses()), "identity", "MISUSE");

      // --- prekeys
      JsonNode prekeysA = issuePrekeys(tested, cardA, t0, t0 + 3 * DAY, 2, 1);
      String bundleB = issuePrekeys(tested, cardB, t0, t0 + 3 * DAY, 0, 0).path("bundle").asText();
      tested.refuse(at("prekeys.issue expiring at its creation"), prekeysRequest(cardA, t0, t0, 0, 0), "identity",
          "MISUSE");
      tested.refuse(at("prekeys.issue beyond 1,024 one-time prekeys"), prekeysRequest(cardA, t0, t0 + DAY, 1_000, 22),
          "identity", "MISUSE");
      tested.refuse(at("prekeys.issue of a card it does not hold"), prekeysRequest(javaCard, t0, t0 + DAY, 0, 0),
          "identity", "UNKNOWN_HANDLE");
      tested.responderState(at("tested responder.serialize"));

      // --- first contacts refused, each leaving the responder as it was
      long t1 = t0 + 7_200;
      byte[] hi = "hi".getBytes(StandardCharsets.US_ASCII);
      Side javaA = javaSide.another(" (to card A)");
      byte[] fc = initiate(javaA, cardA, prekeysA.path("bundle").asText(), prekeysA.path("opks").get(0).asText(),
          prekeysA.path("pqopks").get(0).asText(), t1, hi).get(0);
      int ek = FIRST_MESSAGE + 1 + 2 + 1 + 8 + 4 + 4 + 4 + 1; // the key bytes of ek, after opk_id and its type byte
      refuseFirstContact(tested, "an empty envelope", new byte[0], t1, "TRUNCATED");
      refuseFirstContact(tested, "an envelope of version 3", with(fc, 0, 3), t1, "UNSUPPORTED_VERSION");
      refuseFirstContact(tested, "an envelope one byte short of its bucket", cut(fc, fc.length - 1), t1,
          "INVALID_ENCODING");
      refuseFirstContact(tested, "a first contact under an unknown invite tag", flip(fc, 1), t1, "UNKNOWN_TAG");
      refuseFirstContact(tested, "a first message of version 3", with(fc, FIRST_MESSAGE, 3), t1, "UNSUPPORTED_VERSION");
      refuseFirstContact(tested, "a first message of suite 0x0002", with(fc, FIRST_MESSAGE + 2, 2), t1,
          "UNSUPPORTED_SUITE");
      refuseFirstContact(tested, "a first message with flag bit 7", with(fc, FIRST_MESSAGE + 3, fc[FIRST_MESSAGE + 3] | 0x80),
          t1, "INVALID_ENCODING");
      byte[] smallOrder = fc.clone();
      System.arraycopy(dev.sotto.conformance.vectors.Crafted.SMALL_ORDER_X25519, 0, smallOrder, ek, 32);
      refuseFirstContact(tested, "a first message whose ephemeral key is of small order", smallOrder, t1, "INVALID_KEY");
      refuseFirstContact(tested, "a first message naming an unknown signed prekey",
          flip(fc, FIRST_MESSAGE + 1 + 2 + 1 + 8 + 3), t1, "UNKNOWN_PREKEY");
      refuseFirstContact(tested, "a first message with its encrypted identity altered",
          flip(fc, ek + 32 + 1088 + 10), t1, "AUTH_FAILED");
      Side testedA = tested.another(" (card A)");
      accept(testedA, fc, t1);
      refuseFirstContact(tested, "the same first contact again (its one-time prekeys are used)", fc, t1,
          "UNKNOWN_PREKEY");
      Side javaB = javaSide.another(" (to card B)");
      byte[] fcB = initiate(javaB, cardB, bundleB, null, null, t1, hi).get(0);
      Side testedB = tested.another(" (card B)");
      accept(testedB, fcB, t1);
      refuseFirstContact(tested, "a first contact accepted before (no one-time prekey)", fcB, t1, "REPLAY");
      byte[] ahead = initiate(javaSide.another(" (ahead)"), cardB, bundleB, null, null, t1 + 601, hi).get(0);
      refuseFirstContact(tested, "a first contact made 601 s ahead of its clock", ahead, t1, "EXPIRED");
      byte[] underA = initiate(javaSide.another(" (under A)"), cardB, bundleB, null, null, t1, hi).get(0);
      System.arraycopy(Bytes.unhex(cardA), 85, underA, 1, 16); // card A's invite tag (spec: card.adoc#card-table)
      refuseFirstContact(tested, "a first contact under card A's invite tag with card B's prekeys", underA, t1,
          "UNKNOWN_PREKEY");
      // Made an hour before the others, so that at its refusal nothing else is W old and expires.
      byte[] old = initiate(javaSide.another(" (old)"), cardB, bundleB, null, null, t1 - 3_600, hi).get(0);
      refuseFirstContact(tested, "a first contact made W before its clock", old, t1 - 3_600 + WINDOW, "EXPIRED");

      // --- envelopes refused by a session, each leaving it as it was
      byte[] m = "one".getBytes(StandardCharsets.US_ASCII);
      byte[] e = seal(javaA, m).get(0);
      refuseEnvelope(testedA, "an empty envelope", new byte[0], "TRUNCATED");
      refuseEnvelope(testedA, "an envelope of version 3", with(e, 0, 3), "UNSUPPORTED_VERSION");
      refuseEnvelope(testedA, "an envelope one byte short of its bucket", cut(e, e.length - 1), "INVALID_ENCODING");
      refuseEnvelope(testedA, "an envelope under an unexpected tag", flip(e, 1), "UNKNOWN_TAG");
      refuseEnvelope(testedA, "a ratchet message of version 3", with(e, 17, 3), "UNSUPPORTED_VERSION");
      refuseEnvelope(testedA, "an envelope with its body altered", flip(e, e.length - 1), "AUTH_FAILED");
      forged(javaA, testedA);
      openAll(testedA, List.of(e), m);
      forgedReplay(javaA, testedA);
      // Its number passed, its tag is no longer watched (spec: envelope.adoc#envelope-tags).
      refuseEnvelope(testedA, "an envelope opened before", e, "UNKNOWN_TAG");
      testedA.call(at("tested session.tags"), request("session.tags"), "session");

      // --- session states refused on restore
      byte[] state = Bytes.unhex(testedA.state(at("tested session.serialize")));
      Object[][] states = {
        {"a session state cut short", cut(state, state.length - 1), "TRUNCATED"},
        {"a session state with a byte appended", cut(state, state.length + 1), "TRAILING_DATA"},
        {"a session state of version 3", with(state, 0, 3), "UNSUPPORTED_VERSION"},
        {"a session state of suite 0x0002", with(state, 2, 2), "UNSUPPORTED_SUITE"},
        {"a session state whose peer's signing key has the X25519 type byte", with(state, 5, 0x02), "INVALID_ENCODING"},
      };
      for (Object[] row : states) {
        tested.refuse(at("tested restores " + row[0]),
            request("session.restore").put("state", Bytes.hex((byte[]) row[1])), null, (String) row[2]);
      }
      byte[] zeroKey = state.clone();
      Arrays.fill(zeroKey, 39, 71, (byte) 0);
      tested.refuse(at("tested restores a session state whose peer's X25519 key is all zero"),
          request("session.restore").put("state", Bytes.hex(zeroKey)), null, "INVALID_KEY");
      JsonNode restored = testedA.call(at("tested session.restore"), request("session.restore")
          .put("state", Bytes.hex(state)), null);
      testedA.adopt("session", restored, lastMirror);
      byte[] reply = "two".getBytes(StandardCharsets.US_ASCII);
      openAll(javaA, seal(testedA, reply), reply);

      // --- the implementation under test initiates: prekeys refused
      Side javaResponder = new Side("Java responder", false);
      byte[] javaSeed = createIdentity(javaResponder);
      String cardR = issueCard(javaResponder, t0, t0 + 365 * DAY, oneAddress.deepCopy());
      JsonNode prekeysR = issuePrekeys(javaResponder, cardR, t0, t0 + 3 * DAY, 1, 1);
      String bundleR = prekeysR.path("bundle").asText();
      byte[] card = Bytes.unhex(cardR);
      Object[][] cards = {
        {"a card cut short", cut(card, card.length - 1), "TRUNCATED"},
        {"a card with a byte appended", cut(card, card.length + 1), "TRAILING_DATA"},
        {"a card of version 3", with(card, 0, 3), "UNSUPPORTED_VERSION"},
        {"a card of suite 0x0002", dev.sotto.conformance.vectors.Crafted.ofSuite2(card, javaSeed), "UNSUPPORTED_SUITE"},
        {"a signed card that expires at its creation", dev.sotto.conformance.vectors.Crafted.expiringAtCreation(card,
            javaSeed), "INVALID_ENCODING"},
        {"a signed card with a small-order link key", dev.sotto.conformance.vectors.Crafted.withSmallOrderLinkKey(card,
            javaSeed), "INVALID_KEY"},
        {"a card whose signature is altered", flip(card, card.length - 1), "BAD_SIGNATURE"},
      };
      for (Object[] row : cards) {
        tested.refuse(at("tested initiates with " + row[0]), initiateRequest(Bytes.hex((byte[]) row[1]), bundleR,
            null, null, t1, hi), "identity", (String) row[2]);
      }
      tested.refuse(at("tested initiates with a bundle of another card"), initiateRequest(cardR, bundleB, null, null,
          t1, hi), "identity", "BAD_SIGNATURE");
      tested.refuse(at("tested initiates with an expired bundle"), initiateRequest(cardR, bundleR, null, null,
          t0 + 3 * DAY, hi), "identity", "EXPIRED");
      String opkR = prekeysR.path("opks").get(0).asText();
      tested.refuse(at("tested initiates with an X25519 record given twice as both kinds"), initiateRequest(cardR,
          bundleR, opkR, opkR, t1, hi), "identity", "INVALID_ENCODING");
      Side testedI = tested.another(" (initiator)");
      List<byte[]> firstR = initiate(testedI, cardR, bundleR, opkR, prekeysR.path("pqopks").get(0).asText(), t1, hi);
      Side javaR = javaResponder.another("");
      JsonNode acceptedR = accept(javaR, firstR.get(0), t1);
      complete(acceptedR, new InFlight(javaR, firstR.get(0), new Sent(hi, 1)));
      openAll(testedI, seal(javaR, reply), reply);

      // --- backups: backup.json's backups and restores, then from one implementation to the other
      backups();

      // --- groups: group.json's conversations, then what no vector gives
      groups();

      // --- the expensive part: the largest payloads, a full chain, a full replay cache
      byte[] largest = bytes.bytes(LARGEST_FIRST_PAYLOAD);
      String bundleR2 = issuePrekeys(javaResponder, cardR, t0, t0 + 3 * DAY, 0, 0).path("bundle").asText();
      tested.refuse(at("tested initiates with a first payload one byte over the largest"), initiateRequest(cardR,
          bundleR2, null, null, t1, Arrays.copyOf(largest, largest.length + 1)), "identity", "MISUSE");
      Side testedL = tested.another(" (largest)");
      List<byte[]> big = initiate(testedL, cardR, bundleR2, null, null, t1, largest);
      Side javaL = javaResponder.another(" (largest)");
      Sent sentBig = new Sent(largest, big.size());
      complete(accept(javaL, big.get(0), t1), new InFlight(javaL, big.get(0), sentBig));
      for (int i = 1; i < big.size(); i++) {
        deliver(new InFlight(javaL, big.get(i), sentBig), true);
      }
      largest = null;
      big = null;

      byte[] most = bytes.bytes(LARGEST_PAYLOAD);
      refuseSeal(testedB, "a payload one byte over the largest", Arrays.copyOf(most, most.length + 1),
          "MISUSE");
      openAll(javaB, seal(testedB, most), most);
      most = null;
      // The sending chain now holds 256 messages; fill it to 999: a payload of two chunks is
      // refused whole although one would fit (spec: envelope.adoc, sealing is all or nothing);
      // the 1,000th message is sealed, and one more is refused.
      byte[] tiny = new byte[1];
      for (int i = 256; i < 999; i++) {
        seal(testedB, tiny);
      }
      refuseSeal(testedB, "a payload of two chunks when its chain has room for one", bytes.bytes(70_000),
          "LIMIT_EXCEEDED");
      seal(testedB, tiny);
      refuseSeal(testedB, "a message beyond its chain's 1,000", tiny, "LIMIT_EXCEEDED");

      String bundleFull = issuePrekeys(tested, cardB, t0, t0 + 3 * DAY, 0, 0).path("bundle").asText();
      Side filler = javaSide.another(" (filler)");
      for (int i = 0; i < REPLAY_CACHE_LIMIT; i++) {
        byte[] f = initiate(filler, cardB, bundleFull, null, null, t1, hi).get(0);
        accept(tested.another(" (filled)"), f, t1);
      }
      byte[] overflow = initiate(filler, cardB, bundleFull, null, null, t1, hi).get(0);
      refuseFirstContact(tested, "a first contact to a bundle whose replay cache is full", overflow, t1,
          "LIMIT_EXCEEDED");
    }

    /** A side of the identity of {@code seed} (hex), on the implementation under test or the Java one. */
    Side identityOf(String name, String seed, boolean testedSide) throws Divergence {
      Side side = new Side(name, testedSide);
      JsonNode got = side.call(at(name + " identity.create"), request("identity.create").put("seed", seed), null);
      side.adopt("identity", got, testedSide ? lastMirror : null);
      return side;
    }

    /** The fields of a backup.json input that a harness request of {@code op} carries (spec: harness.adoc). */
    ObjectNode backupRequest(String op, JsonNode in) {
      ObjectNode r = request(op);
      for (String field : op.equals("backup.write")
          ? List.of("protection", "lineage", "previous_chunk_ids", "contents", "now")
          : List.of("heads", "chunks", "file", "floor", "passphrase")) {
        if (in.has(field)) {
          r.set(field, in.get(field).deepCopy());
        }
      }
      if (op.equals("backup.restore")) {
        r.put("random", in.path("random").path("device").asText());
      }
      return r;
    }

    /**
     * The tour's backups (spec: harness.adoc#harness-runner): every backup and restore of
     * backup.json, the refusals included, on the implementation under test (compared with the Java
     * mirror); the codes no vector gives (UNKNOWN_HANDLE, MISUSE); then a backup written by each
     * implementation and restored by the other.
     */
    void backups() throws Divergence {
      Side tested = new Side("tested", true);
      tested.refuse(at("backup.write of an unknown identity"), backupRequest("backup.write", Json.object())
          .put("identity", "no-such-handle"), null, "UNKNOWN_HANDLE");
      ObjectNode unknown = request("backup.restore").put("identity", "no-such-handle");
      unknown.putArray("heads").add("00");
      unknown.putArray("chunks");
      unknown.putNull("floor").putNull("passphrase").put("random", random(16));
      tested.refuse(at("backup.restore of an unknown identity"), unknown, null, "UNKNOWN_HANDLE");
      Map<String, Side> bySeed = new java.util.HashMap<>();
      JsonNode smallWrite = null;
      JsonNode passphraseWrite = null;
      for (JsonNode c : BACKUP_CASES.get()) {
        String op = c.path("operation").asText();
        if (op.equals("derive_keys")) {
          continue;
        }
        String seed = c.path("input").path("seed").asText();
        Side side = bySeed.get(seed);
        if (side == null) {
          side = identityOf("tested (backup identity " + (bySeed.size() + 1) + ")", seed, true);
          bySeed.put(seed, side);
        }
        String what = "backup.json case " + c.path("id").asText() + " (" + c.path("comment").asText() + ")";
        ObjectNode r = backupRequest(op.equals("backup") ? "backup.write" : "backup.restore", c.path("input"));
        if (c.path("result").asText().equals("valid")) {
          JsonNode got = side.call(at(what), r, "identity");
          if (op.equals("backup") && smallWrite == null) {
            smallWrite = c.path("input");
          }
          if (op.equals("backup") && !c.path("input").path("protection").isNull() && passphraseWrite == null) {
            passphraseWrite = got;
          }
        } else {
          side.refuse(at(what), r, "identity", c.path("error").asText());
        }
      }
      Side alice = bySeed.get(smallWrite.path("seed").asText());
      ObjectNode tooCostly = backupRequest("backup.write", smallWrite);
      tooCostly.putObject("protection").put("passphrase", "p").put("memory", 1_048_576).put("iterations", 3)
          .put("parallelism", 1);
      alice.refuse(at("backup.write with Argon2id parameters out of bounds"), tooCostly, "identity", "MISUSE");
      ObjectNode noPassphrase = request("backup.restore");
      noPassphrase.putArray("heads").add(passphraseWrite.path("head").asText());
      noPassphrase.set("chunks", passphraseWrite.path("chunks").deepCopy());
      noPassphrase.putNull("floor").putNull("passphrase").put("random", random(16));
      alice.refuse(at("backup.restore of a backup with a passphrase, none given"), noPassphrase, "identity", "MISUSE");

      // One implementation writes, the other restores: a backup of the Java side's own identity.
      String javaSeed = random(32);
      Side javaOwner = identityOf("Java (backup owner)", javaSeed, false);
      Side testedOwner = identityOf("tested (backup owner)", javaSeed, true);
      ObjectNode write = backupRequest("backup.write", smallWrite);
      write.set("contents", smallWrite.path("contents").deepCopy());
      ((ObjectNode) write.path("contents").path("contacts")).putArray("own_cards");
      JsonNode byJava = javaOwner.call(at("Java backup.write"), write.deepCopy(), "identity");
      ObjectNode restore = request("backup.restore").putNull("floor").putNull("passphrase").put("random", random(16));
      restore.putArray("heads").add(byJava.path("head").asText());
      restore.set("chunks", byJava.path("chunks").deepCopy());
      JsonNode restoredByTested = testedOwner.call(at("tested backup.restore of the Java backup"), restore, "identity");
      JsonNode expected = reread(Json.object().set("contents", write.path("contents")));
      compare("the contents the implementation under test restored from the Java backup", expected,
          restoredByTested);
      JsonNode byTested = testedOwner.call(at("tested backup.write"), write.deepCopy(), "identity");
      ObjectNode back = restore.deepCopy();
      back.putArray("heads").add(byTested.path("head").asText());
      back.set("chunks", byTested.path("chunks").deepCopy());
      JsonNode restoredByJava = javaOwner.call(at("Java backup.restore of the tested backup"), back, "identity");
      compare("the contents the Java implementation restored from the tested backup", expected, restoredByJava);
    }

    // ---------------------------------------------------------------- groups

    /** A group request that must be refused with {@code code}, the group's state unchanged. */
    void refuseGroup(Side side, String what, ObjectNode r, String code) throws Divergence {
      String before = groupState(side);
      side.refuse(at(side.name + ": " + what), r, "group", code);
      if (!before.equals(groupState(side))) {
        throw new Divergence("step " + (step - 1) + ": the group state changed although " + what + " was refused");
      }
    }

    /**
     * The tour's groups (spec: harness.adoc#harness-runner): every conversation of group.json,
     * the refused ones included, each refusal checked to leave the group as it was; the codes no
     * conversation gives (unknown handles, MISUSE, states refused at a join and a resync, changes
     * whose identities break a rule, a change beyond 1,000 members).
     */
    void groups() throws Divergence {
      Side tested = new Side("tested", true);
      String someone = publicIdentity(random(32));
      ObjectNode rename = Json.object().put("op", "rename").put("name", "x");
      ObjectNode[] unknownGroup = {
        request("group.propose").put("now", NOW).put("random", random(32)),
        request("group.seal").put("payload", "00").put("now", NOW).put("random", random(32)),
        request("group.sender_key").put("from", someone).put("sender_key", "00"),
        request("group.open").put("envelope", "00"),
        request("group.request").put("now", NOW).put("random", random(32)),
        request("group.answer").put("to", someone).put("now", NOW),
        request("group.resync").put("from", someone).put("state", "00"),
        request("group.state"),
        request("group.tags"),
      };
      unknownGroup[0].putArray("ops").add(rename.deepCopy());
      for (ObjectNode r : unknownGroup) {
        tested.refuse(at(r.path("op").asText() + " of an unknown group"), r.put("group", "no-such-handle"), null,
            "UNKNOWN_HANDLE");
      }
      ObjectNode create = request("group.create").put("identity", "no-such-handle").put("name", "friends")
          .put("random", random(32));
      create.putArray("mailboxes");
      tested.refuse(at("group.create of an unknown identity"), create, null, "UNKNOWN_HANDLE");
      tested.refuse(at("group.join of an unknown identity"), request("group.join").put("identity", "no-such-handle")
          .put("from", someone).put("welcome", "00"), null, "UNKNOWN_HANDLE");

      List<JsonNode> badStates = new ArrayList<>();
      for (JsonNode c : GROUP_CASES.get()) {
        if (c.path("operation").asText().equals("conversation")) {
          playGroupCase(c);
        } else if (c.path("operation").asText().equals("state") && c.path("result").asText().equals("invalid")) {
          badStates.add(c);
        }
      }

      // A group of two on the implementation under test, for what no conversation gives.
      String aliceSeed = random(32);
      String bobSeed = random(32);
      Side alice = identityOf("tested alice (group)", aliceSeed, true);
      Side bob = identityOf("tested bob (group)", bobSeed, true);
      String alicePub = publicIdentity(aliceSeed);
      String bobPub = publicIdentity(bobSeed);
      ObjectNode noName = request("group.create").put("name", "").put("random", random(32));
      noName.putArray("mailboxes");
      alice.refuse(at("group.create with an empty name"), noName, "identity", "MISUSE");
      ObjectNode make = request("group.create").put("name", "tour").put("random", random(32));
      make.putArray("mailboxes");
      JsonNode made = alice.call(at("alice group.create"), make, "identity");
      alice.adopt("group", made, lastMirror);
      String initial = made.path("state").asText();
      ObjectNode addBob = request("group.propose").put("now", NOW).put("random", random(32));
      addBob.putArray("ops").addObject().put("op", "add").put("identity", bobPub).put("role", "member");
      JsonNode added = alice.call(at("alice adds bob"), addBob, "group");
      JsonNode joined = bob.call(at("bob group.join"), request("group.join").put("from", alicePub)
          .put("welcome", entryFor(added.path("welcomes"), bobPub, "state")), "identity");
      bob.adopt("group", joined, lastMirror);
      for (JsonNode c : badStates) {
        byte[] state = Bytes.unhex(c.path("input").path("state").asText());
        String what = "group.json state case " + c.path("id").asText() + " (" + c.path("comment").asText() + ")";
        Side stranger = identityOf("tested (joins " + c.path("id").asText() + ")", random(32), true);
        stranger.refuse(at("a welcome that is " + what), request("group.join").put("from", alicePub)
            .put("welcome", Bytes.hex(state)), "identity", c.path("error").asText());
        refuseGroup(bob, "a resync to " + what, request("group.resync").put("from", alicePub)
            .put("state", Bytes.hex(state)), c.path("error").asText());
      }
      refuseGroup(bob, "a resync to a state that does not list it", request("group.resync").put("from", alicePub)
          .put("state", initial), "NOT_PERMITTED");
      ObjectNode byMember = request("group.propose").put("now", NOW).put("random", random(32));
      byMember.putArray("ops").add(rename.deepCopy());
      refuseGroup(bob, "a rename by a member who is no admin", byMember, "MISUSE");
      refuseGroup(alice, "a seal of a payload one byte over the largest", request("group.seal")
          .put("payload", Bytes.hex(new byte[dev.sotto.Group.MAX_PAYLOAD + 1])).put("now", NOW)
          .put("random", random(32)), "MISUSE");

      // Authentic changes whose contents break a rule that bob sees after opening them.
      String chainRandom = random(32);
      JsonNode hi = alice.call(at("alice group.seal"), request("group.seal").put("payload", "6869").put("now", NOW)
          .put("random", chainRandom), "group");
      bob.call(at("bob takes alice's sender key"), request("group.sender_key").put("from", alicePub)
          .put("sender_key", entryFor(hi.path("sender_keys"), bobPub, "sender_key")), "group");
      bob.call(at("bob opens alice's message"), request("group.open").put("envelope", hi.path("envelope").asText()),
          "group");
      bob.call(at("bob group.tags"), request("group.tags"), "group");
      dev.sotto.GroupState tip;
      try {
        tip = dev.sotto.GroupState.parse(Bytes.unhex(groupState(alice)));
      } catch (dev.sotto.SottoException e) {
        throw new IllegalStateException("the runner cannot read the reference's state", e);
      }
      byte[] aliceFp = pid(alicePub).fingerprint().bytes();
      byte[] carol = Bytes.unhex(publicIdentity(random(32)));
      byte[] suite2 = carol.clone();
      suite2[1] = 0x02;
      byte[] smallOrder = carol.clone();
      System.arraycopy(dev.sotto.conformance.vectors.Crafted.SMALL_ORDER_X25519, 0, smallOrder, 36, 32);
      Object[][] changes = {
        {"a change with a byte after its last op", Bytes.concat(GroupCraft.change(tip.groupId(), tip.epoch(), tip.hash(),
            aliceFp, GroupCraft.add(carol)), new byte[1]), "TRAILING_DATA"},
        {"a change that adds an identity of suite 0x0002", GroupCraft.change(tip.groupId(), tip.epoch(), tip.hash(),
            aliceFp, GroupCraft.add(suite2)), "UNSUPPORTED_SUITE"},
        {"a change that adds an identity whose X25519 key is of small order", GroupCraft.change(tip.groupId(),
            tip.epoch(), tip.hash(), aliceFp, GroupCraft.add(smallOrder)), "INVALID_KEY"},
      };
      for (Object[] row : changes) {
        byte[] envelope = GroupCraft.message(tip.groupId(), Bytes.unhex(chainRandom), 1, aliceFp, tip.epoch(),
            tip.hash(), dev.sotto.internal.group.GroupMessage.TYPE_CHANGE, (byte[]) row[1]);
        refuseGroup(bob, "an authentic message of alice's: " + row[0], request("group.open")
            .put("envelope", Bytes.hex(envelope)), (String) row[2]);
      }
      fullGroup(bob, bobPub);

      // Bob leaves; a member that left asks for chains in vain.
      ObjectNode leave = request("group.propose").put("now", NOW).put("random", random(32));
      leave.putArray("ops").addObject().put("op", "remove").put("member",
          Bytes.hex(pid(bobPub).fingerprint().bytes()));
      bob.call(at("bob leaves"), leave, "group");
      refuseGroup(bob, "a request for chains by a member who left", request("group.request").put("now", NOW)
          .put("random", random(32)), "MISUSE");
    }

    /**
     * A group of 1,000 members written by the runner (a welcome from its admin, a sender key of
     * the admin's chain), joined by the implementation under test, then a change of the admin's
     * that adds one more: LIMIT_EXCEEDED (spec: group.adoc#group-apply).
     */
    void fullGroup(Side reader, String readerPub) throws Divergence {
      String adminSeed = random(32);
      dev.sotto.PublicIdentity admin = pid(publicIdentity(adminSeed));
      List<dev.sotto.PublicIdentity> members = new ArrayList<>();
      members.add(admin);
      members.add(pid(readerPub));
      while (members.size() < dev.sotto.GroupState.MAX_MEMBERS) {
        members.add(pid(publicIdentity(random(32))));
      }
      members.sort((a, b) -> Arrays.compareUnsigned(a.fingerprint().bytes(), b.fingerprint().bytes()));
      byte[] groupId = bytes.bytes(32);
      dev.sotto.internal.encoding.Writer w = new dev.sotto.internal.encoding.Writer().u8(1).u16(1).bytes(groupId)
          .u64(7).u8(4).bytes("full".getBytes(StandardCharsets.US_ASCII)).u16(members.size());
      for (dev.sotto.PublicIdentity m : members) {
        w.bytes(m.encoded()).u8(m.equals(admin) ? 1 : 0);
      }
      byte[] state = w.u8(0).toByteArray();
      byte[] hash = dev.sotto.internal.group.GroupKdf.stateHash(state);
      Side side = reader.another(" (full group)");
      JsonNode joined = side.call(at(side.name + " joins a group of 1,000"), request("group.join")
          .put("from", Bytes.hex(admin.encoded())).put("welcome", Bytes.hex(state)), "identity");
      side.adopt("group", joined, lastMirror);
      byte[] seed = bytes.bytes(32);
      dev.sotto.internal.group.GroupKdf.ChainMaterial chain = dev.sotto.internal.group.GroupKdf.chain(groupId, seed);
      byte[] senderKey = new dev.sotto.internal.encoding.Writer().u8(1).bytes(groupId).u64(7).bytes(hash)
          .u32(chain.chainId()).u32(0).bytes(chain.chainKey()).bytes(chain.tagKey()).u8(0x01)
          .bytes(chain.signingPublic()).bytes(dev.sotto.internal.group.GroupKdf.takeSeed(chain.takeSecret(),
              pid(readerPub).fingerprint().bytes()))
          .u8(0).toByteArray();
      side.call(at(side.name + " takes the admin's sender key"), request("group.sender_key")
          .put("from", Bytes.hex(admin.encoded())).put("sender_key", Bytes.hex(senderKey)), "group");
      byte[] change = GroupCraft.change(groupId, 7, hash, admin.fingerprint().bytes(),
          GroupCraft.add(Bytes.unhex(publicIdentity(random(32)))));
      byte[] envelope = GroupCraft.message(groupId, seed, 0, admin.fingerprint().bytes(), 7, hash,
          dev.sotto.internal.group.GroupMessage.TYPE_CHANGE, change);
      refuseGroup(side, "a change that adds a 1,001st member", request("group.open").put("envelope",
          Bytes.hex(envelope)), "LIMIT_EXCEEDED");
    }

    /** Plays one conversation of group.json on the implementation under test (spec: vectors.adoc, conversation). */
    void playGroupCase(JsonNode c) throws Divergence {
      String id = c.path("id").asText();
      boolean invalid = c.path("result").asText().equals("invalid");
      Map<String, Side> members = new java.util.LinkedHashMap<>();
      Map<String, String> pub = new java.util.HashMap<>();
      Map<String, String> byPub = new java.util.HashMap<>();
      for (JsonNode m : c.path("input").path("members")) {
        String name = m.path("name").asText();
        String seed = m.path("identity_seed").asText();
        members.put(name, identityOf("tested " + name + " (group.json case " + id + ")", seed, true));
        pub.put(name, publicIdentity(seed));
        byPub.put(publicIdentity(seed), name);
      }
      JsonNode steps = c.path("input").path("steps");
      List<JsonNode> outputs = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        JsonNode s = steps.get(i);
        String action = s.path("action").asText();
        Side side = members.get(s.path("member").asText());
        boolean refused = invalid && i == steps.size() - 1;
        String what = "group.json case " + id + " step " + i + " (" + action + ")";
        JsonNode source = s.has("from_step") ? outputs.get(s.path("from_step").asInt()) : null;
        ObjectNode r;
        String handleField = "group";
        switch (action) {
          case "create" -> {
            r = request("group.create").put("name", s.path("name").asText()).put("random", s.path("random").asText());
            r.set("mailboxes", s.path("mailboxes").deepCopy());
            handleField = "identity";
          }
          case "propose" -> {
            r = request("group.propose").put("now", s.path("now").asLong()).put("random", s.path("random").asText());
            r.set("ops", s.path("ops").deepCopy());
          }
          case "seal" -> r = request("group.seal").put("payload", s.path("payload").asText())
              .put("now", s.path("now").asLong()).put("random", s.path("random").asText());
          case "join" -> {
            String welcome = s.has("welcome") ? s.path("welcome").asText()
                : entryFor(source.path("welcomes"), pub.get(s.path("member").asText()), "state");
            r = request("group.join").put("from", pub.get(s.path("from").asText())).put("welcome", welcome);
            handleField = "identity";
          }
          case "key" -> r = request("group.sender_key").put("from", pub.get(s.path("from").asText()))
              .put("sender_key", s.has("sender_key") ? s.path("sender_key").asText()
                  : entryFor(source.path("sender_keys"), pub.get(s.path("member").asText()), "sender_key"));
          case "keys" -> {
            for (JsonNode k : source.path("sender_keys")) {
              Side to = members.get(byPub.get(k.path("to").asText()));
              if (to.handle != null) {
                to.call(at(what + " to " + to.name), request("group.sender_key")
                    .put("from", pub.get(s.path("from").asText())).put("sender_key", k.path("sender_key").asText()),
                    "group");
              }
            }
            outputs.add(Json.object());
            continue;
          }
          case "open" -> r = request("group.open").put("envelope", s.has("envelope") ? s.path("envelope").asText()
              : source.path("envelope").asText());
          case "request" -> r = request("group.request").put("now", s.path("now").asLong())
              .put("random", s.path("random").asText());
          case "answer" -> r = request("group.answer").put("to", pub.get(s.path("to").asText()))
              .put("now", s.path("now").asLong());
          case "resync" -> r = request("group.resync").put("from", pub.get(s.path("from").asText()))
              .put("state", s.path("state").asText());
          default -> throw new IllegalStateException("the runner does not know the action " + action);
        }
        if (refused) {
          if (handleField.equals("group")) {
            refuseGroup(side, what, r, c.path("error").asText());
          } else {
            side.refuse(at(what), r, handleField, c.path("error").asText());
          }
          outputs.add(null);
          continue;
        }
        JsonNode out = side.call(at(what), r, handleField);
        if (handleField.equals("identity")) {
          side.adopt("group", out, lastMirror);
        }
        outputs.add(out);
      }
    }

    /** {@code node} as it reads back from its text (numbers of one JSON type). */
    JsonNode reread(JsonNode node) {
      try {
        return Json.MAPPER.readTree(node.toString());
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * Authentic envelopes that break a rule only the receiver sees after decrypting, sealed with the
     * Java sender's keys from its state ({@link Forgery}); the receiver has received this chain and
     * not answered yet.
     */
    void forged(Side from, Side to) throws Divergence {
      byte[] sender = Bytes.unhex(from.state(at(from.name + " session.serialize")));
      Forgery.Bad[] bads = {
        Forgery.Bad.BAD_PADDING, Forgery.Bad.UNKNOWN_KIND, Forgery.Bad.TRUNCATED_CONTENT,
        Forgery.Bad.CHUNK_OUT_OF_RANGE, Forgery.Bad.CHUNK_COUNT_TOO_LARGE, Forgery.Bad.RESERVED_FLAGS,
        Forgery.Bad.SMALL_ORDER_KEY_CURRENT_CHAIN, Forgery.Bad.N_BEYOND_BOUND, Forgery.Bad.PN_BEYOND_BOUND,
        Forgery.Bad.OTHER_RATCHET_KEY,
      };
      for (Forgery.Bad bad : bads) {
        refuseEnvelope(to, "an authentic envelope (" + bad + ")", Forgery.envelope(sender, bad, bytes), bad.error().name());
      }
    }

    /** After the receiver opened the sender's last message: a header naming it again, under the next tag. */
    void forgedReplay(Side from, Side to) throws Divergence {
      byte[] sender = Bytes.unhex(from.state(at(from.name + " session.serialize")));
      Forgery.Next next = Forgery.next(sender);
      byte[] replayed = Forgery.header(sender, 0, null, next.pn(), next.n() - 1, Forgery.valid(Forgery.DEFAULT_BUCKET),
          bytes);
      refuseEnvelope(to, "an authentic envelope whose header names a passed number", replayed, "REPLAY");
    }
  }

  /** The mirror's answer to the last request of the side under test (for its handles). */
  private JsonNode lastMirror;
  /** The mirror's error code for the last request of the side under test, or null. */
  private String lastMirrorError;
  /** The reference's error code for the last request of the Java side, or null. */
  private String lastReferenceError;
}
