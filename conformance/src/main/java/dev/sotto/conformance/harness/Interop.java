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
import java.util.List;
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
          return reference.call(withHandle(request, handleField, false));
        } catch (Peer.Failure f) {
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
        return null;
      }
      compare(step + ": " + op, expected, actual);
      return actual;
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
        handle = actual.path("session").asText();
        mirrorHandle = mirrored == null ? handle : mirrored.path("session").asText();
      }
    }
  }

  /** Fields whose values are handles: they may differ between implementations. */
  private static final List<String> HANDLES = List.of("identity", "session");

  private static void compare(String where, JsonNode expected, JsonNode actual) throws Divergence {
    for (var e : expected.properties()) {
      if (HANDLES.contains(e.getKey()) || e.getKey().equals("implementation")) {
        continue;
      }
      JsonNode a = actual.path(e.getKey());
      if (!e.getValue().equals(a)) {
        throw new Divergence(where + ": field '" + e.getKey() + "' differs: expected " + abbreviate(e.getValue())
            + ", actual " + abbreviate(a));
      }
    }
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

  private final class Conversation {
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

    void play() throws Divergence {
      boolean javaInitiates = index % 2 == 0;
      Side initiator = new Side(javaInitiates ? "Java" : "tested", !javaInitiates);
      Side responder = new Side(javaInitiates ? "tested" : "Java", javaInitiates);
      for (Side side : List.of(initiator, responder)) {
        String seed = random(32);
        ObjectNode r = request("identity.create").put("seed", seed);
        JsonNode got = side.call(at(side.name + " identity.create"), r, null);
        JsonNode mirrored = side.tested ? lastMirror : null;
        side.adopt("identity", got, mirrored);
        if (!side.tested) {
          // The Java side's identity must also be what the implementation under test would derive.
          JsonNode check = callTested(at("identity.create (check)"), r);
          compare("identity.create of the same seed", got, check);
        }
      }
      ObjectNode issue = request("card.issue").put("created", NOW).put("expires", NOW + 365 * 86_400L);
      issue.putArray("addresses").addObject().put("kind", 2).put("host", "mailbox.example.org").put("port", 7401)
          .put("link_key", Bytes.hex(Addresses.linkKey(1)));
      issue.put("random", random(16));
      String card = responder.call(at(responder.name + " card.issue"), issue, "identity").path("card").asText();
      int opks = schedule.nextInt(4);
      int kemOpks = schedule.nextInt(3);
      ObjectNode prekeys = request("prekeys.issue").put("card", card).put("created", NOW)
          .put("expires", NOW + 3 * 86_400L).put("one_time_expires", NOW + 3 * 86_400L).put("opk_count", opks)
          .put("pqopk_count", kemOpks).put("random", random(32 + 64 + 32 * opks + 64 * kemOpks));
      JsonNode issued = responder.call(at(responder.name + " prekeys.issue"), prekeys, "identity");

      byte[] first = payload();
      ObjectNode initiate = request("session.initiate").put("card", card)
          .put("bundle", issued.path("bundle").asText()).put("now", NOW + 3600)
          .put("payload", Bytes.hex(first)).put("random", random(64 + 12 * 8));
      // The one-time prekeys a mailbox would serve: the first of each kind, when there is one.
      if (opks > 0) {
        initiate.put("opk", issued.path("opks").get(0).asText());
      } else {
        initiate.putNull("opk");
      }
      if (kemOpks > 0) {
        initiate.put("pqopk", issued.path("pqopks").get(0).asText());
      } else {
        initiate.putNull("pqopk");
      }
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
          .put("now", NOW + 3600).put("random", random(64));
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
        } else if (action < 20) {
          Side side = schedule.nextBoolean() ? initiator : responder;
          JsonNode state = side.call(at(side.name + " session.serialize"), request("session.serialize"), "session");
          ObjectNode restore = request("session.restore").put("state", state.path("state").asText());
          JsonNode restored = side.call(at(side.name + " session.restore"), restore, null);
          side.adopt("session", restored, side.tested ? lastMirror : null);
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

  /** The mirror's answer to the last request of the side under test (for its handles). */
  private JsonNode lastMirror;
}
