package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Prekeys;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A conversation over the whole session API, as a script of steps by A and B (spec:
 * vectors.adoc, envelope.json and session.json). Each step records the randomness it draws as one
 * byte string, replayed in order; each produces envelopes, a payload, or the party's state.
 *
 * <p>Actions: {@code initiate} (A, from B's card and prekeys), {@code accept} (B, a first-contact envelope),
 * {@code seal}, {@code open}, {@code restore}.
 */
final class SessionScript {
  final ObjectNode start;
  final List<ObjectNode> steps = new ArrayList<>();
  final ArrayNode outputs = Json.array();
  final Play play;
  private final RandomSource random;

  /** The two parties and every envelope produced so far, by step. */
  static final class Play {
    Identity a;
    Prekeys prekeys;
    Responder responder;
    Instant now;
    Session sessionA;
    Session sessionB;
    final List<List<byte[]>> envelopes = new ArrayList<>();

    static Play fromStart(JsonNode start) throws SottoException {
      Play p = new Play();
      if (start.has("responder")) {
        PrekeyRecipe recipe = PrekeyRecipe.fromJson(start.path("responder"));
        PrekeyRecipe.Made made = recipe.make();
        p.responder = start.has("responder_state")
            ? Responder.restore(recipe.card().owner(), Bytes.unhex(start.path("responder_state").asText()))
            : made.responder();
        p.prekeys = made.prekeys(id(start.path("opk_id")), id(start.path("kem_opk_id")));
        p.a = Identity.fromSeed(IdentitySeed.fromBytes(Bytes.unhex(start.path("initiator_seed").asText())));
        p.now = Instant.ofEpochSecond(start.path("now").asLong());
      } else {
        p.sessionA = Session.restore(Bytes.unhex(start.path("state_a").asText()));
        p.sessionB = Session.restore(Bytes.unhex(start.path("state_b").asText()));
      }
      return p;
    }

    private static Long id(JsonNode id) {
      return id.isNull() ? null : id.asLong();
    }

    Session session(String party) {
      return party.equals("A") ? sessionA : sessionB;
    }

    void set(String party, Session s) {
      if (party.equals("A")) {
        sessionA = s;
      } else {
        sessionB = s;
      }
    }

    byte[] envelope(JsonNode step) {
      if (step.has("envelope")) {
        return Bytes.unhex(step.path("envelope").asText());
      }
      JsonNode of = step.path("envelope_of");
      return envelopes.get(of.get(0).asInt()).get(of.get(1).asInt());
    }

    /** Performs one step; returns its outputs. On a rejection the session is unchanged. */
    ObjectNode step(JsonNode step) throws SottoException {
      String party = step.path("party").asText();
      String action = step.path("action").asText();
      TestRandom.Replay random = TestRandom.replay(Bytes.unhex(step.path("random").asText("")));
      ObjectNode out = Json.object();
      List<byte[]> made = new ArrayList<>();
      switch (action) {
        case "initiate" -> {
          Session.Started started = Session.initiate(a, prekeys, now, Bytes.unhex(step.path("payload").asText()), random);
          sessionA = started.session();
          started.envelopes().forEach(e -> made.add(e.encoded()));
        }
        case "accept" -> {
          Session.Accepted accepted = Session.accept(responder, envelope(step), now, random);
          sessionB = accepted.session();
          payload(out, accepted.payload());
        }
        case "seal" -> {
          for (Envelope e : session(party).seal(Bytes.unhex(step.path("payload").asText()), random)) {
            made.add(e.encoded());
          }
        }
        case "open" -> payload(out, session(party).open(envelope(step), random));
        case "restore" -> set(party, Session.restore(step.has("state")
            ? Bytes.unhex(step.path("state").asText()) : session(party).serialize()));
        default -> throw new IllegalArgumentException("unknown action " + action);
      }
      random.assertExhausted();
      envelopes.add(made);
      if (!made.isEmpty()) {
        ArrayNode list = out.putArray("envelopes");
        made.forEach(e -> list.add(Bytes.hex(e)));
      }
      Session s = session(party);
      if (s != null) {
        out.put("state", Bytes.hex(s.serialize()));
      }
      return out;
    }

    private static void payload(ObjectNode out, Optional<byte[]> payload) {
      if (payload.isPresent()) {
        out.put("payload", Bytes.hex(payload.get()));
      } else {
        out.putNull("payload");
      }
    }
  }

  SessionScript(ObjectNode start, RandomSource random) {
    this.start = start;
    this.random = random;
    try {
      this.play = Play.fromStart(start);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Adds a step that must succeed. Its randomness comes from the generator's source: the step is
   * first run on a replayed copy of the conversation to record what it draws.
   */
  int step(ObjectNode step) {
    try {
      Play probe = Play.fromStart(start);
      for (ObjectNode s : steps) {
        probe.step(s);
      }
      RecordingRandom recording = new RecordingRandom(random);
      draw(probe, step, recording);
      ObjectNode withRandom = step.deepCopy().put("random", Bytes.hex(recording.drawn()));
      outputs.add(play.step(withRandom));
      steps.add(withRandom);
      return steps.size() - 1;
    } catch (SottoException e) {
      throw new IllegalStateException("valid step rejected: " + step + ": " + e.getMessage(), e);
    }
  }

  /** Runs {@code step} on {@code probe} with a live source. */
  private static void draw(Play probe, ObjectNode step, RandomSource live) throws SottoException {
    String party = step.path("party").asText();
    switch (step.path("action").asText()) {
      case "initiate" -> Session.initiate(probe.a, probe.prekeys, probe.now, Bytes.unhex(step.path("payload").asText()),
          live);
      case "accept" -> Session.accept(probe.responder, probe.envelope(step), probe.now, live);
      case "seal" -> probe.session(party).seal(Bytes.unhex(step.path("payload").asText()), live);
      case "open" -> probe.session(party).open(probe.envelope(step), live);
      default -> { }
    }
  }

  static ObjectNode step(String party, String action) {
    return Json.object().put("party", party).put("action", action);
  }

  int initiate(byte[] payload) {
    return step(step("A", "initiate").put("payload", Bytes.hex(payload)));
  }

  int accept(int fromStep, int index) {
    ObjectNode s = step("B", "accept");
    s.putArray("envelope_of").add(fromStep).add(index);
    return step(s);
  }

  int seal(String party, byte[] payload) {
    return step(step(party, "seal").put("payload", Bytes.hex(payload)));
  }

  int open(String party, int fromStep, int index) {
    ObjectNode s = step(party, "open");
    s.putArray("envelope_of").add(fromStep).add(index);
    return step(s);
  }

  /** Opens every envelope of a step, in order. */
  void openAll(String party, int fromStep) {
    for (int i = 0; i < play.envelopes.get(fromStep).size(); i++) {
      open(party, fromStep, i);
    }
  }

  int restore(String party) {
    return step(step(party, "restore"));
  }

  byte[] envelopeOf(int fromStep, int index) {
    return play.envelopes.get(fromStep).get(index);
  }

  ObjectNode input() {
    ObjectNode in = Json.object();
    in.set("start", start);
    ArrayNode list = in.putArray("steps");
    steps.forEach(list::add);
    return in;
  }

  void valid(Cases cases, String operation, String comment) {
    ObjectNode out = Json.object();
    out.set("steps", outputs);
    cases.valid(operation, comment, input(), out);
  }

  /** Adds the input of a case whose steps all succeed but a last {@code open} (or accept) of {@code envelope}. */
  void invalid(Cases cases, String operation, String comment, String party, String action, byte[] envelope,
      ErrorCode error) {
    ObjectNode last = step(party, action).put("envelope", Bytes.hex(envelope)).put("random", "");
    ObjectNode in = input();
    ((ArrayNode) in.path("steps")).add(last);
    cases.invalid(operation, comment, in, error);
  }

  /** Adds the input of a case whose last step, a seal of {@code payload}, must fail with {@code error}. */
  void invalidSeal(Cases cases, String operation, String comment, String party, byte[] payload, ErrorCode error) {
    ObjectNode last = step(party, "seal").put("payload", Bytes.hex(payload)).put("random", "");
    ObjectNode in = input();
    ((ArrayNode) in.path("steps")).add(last);
    cases.invalid(operation, comment, in, error);
  }

  /** The party continues from the given state bytes (a valid step). */
  int restore(String party, byte[] state) {
    return step(step(party, "restore").put("state", Bytes.hex(state)));
  }

  /** Adds the input of a case whose last step restores the party from the given (malformed) state bytes. */
  void invalidRestore(Cases cases, String operation, String comment, String party, byte[] state, ErrorCode error) {
    ObjectNode last = step(party, "restore").put("state", Bytes.hex(state)).put("random", "");
    ObjectNode in = input();
    ((ArrayNode) in.path("steps")).add(last);
    cases.invalid(operation, comment, in, error);
  }

  /** Verifies a case: every step's outputs, or the last step's error with the state unchanged. */
  static void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    Play play;
    try {
      play = Play.fromStart(in.path("start"));
    } catch (SottoException e) {
      check.fail("start: " + e.getMessage());
      return;
    }
    JsonNode steps = in.path("steps");
    for (int i = 0; i < steps.size(); i++) {
      JsonNode step = steps.get(i);
      boolean last = i == steps.size() - 1;
      Session before = play.session(step.path("party").asText());
      byte[] beforeState = before == null ? null : before.serialize();
      ObjectNode actual;
      try {
        actual = play.step(step);
      } catch (SottoException e) {
        if (last && !check.expectsValid()) {
          check.rejected(e);
          Session after = play.session(step.path("party").asText());
          if (beforeState != null && !java.util.Arrays.equals(beforeState, after.serialize())) {
            check.fail("step " + i + ": the session changed although the envelope was rejected");
          }
        } else {
          check.fail("step " + i + " (" + step.path("party").asText() + " " + step.path("action").asText()
              + "): rejected with " + e.code() + " (" + e.getMessage() + ")");
        }
        return;
      }
      if (last && !check.expectsValid()) {
        check.fail("step " + i + ": expected error " + check.expectedError() + ", actual success");
        return;
      }
      if (check.expectsValid()) {
        JsonNode expected = check.output().path("steps").path(i);
        String prefix = "steps[" + i + "].";
        actual.properties().forEach(e -> {
          JsonNode value = e.getValue();
          if (value.isArray()) {
            check.number(prefix + e.getKey() + ".length", value.size());
            for (int k = 0; k < value.size(); k++) {
              check.text(prefix + e.getKey() + "[" + k + "]", value.get(k).asText());
            }
          } else if (value.isNull()) {
            if (!expected.path(e.getKey()).isNull()) {
              check.fail(prefix + e.getKey() + ": expected a value, actual none");
            }
          } else {
            check.text(prefix + e.getKey(), value.asText());
          }
        });
      }
    }
  }
}
