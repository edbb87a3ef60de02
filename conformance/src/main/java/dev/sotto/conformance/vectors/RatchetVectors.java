package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.ErrorCode;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.Kdf;
import dev.sotto.internal.ratchet.RatchetMessage;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.internal.ratchet.Secret;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ratchet.json}: whole conversations from the handshake's outputs, as scripts of send,
 * receive and restore steps by A and B, with every message's bytes, every message key and each
 * side's whole state after each step; and scripts whose last step must be rejected with the state
 * unchanged: a message, a send to a full chain, or a restore from malformed state bytes (spec:
 * ratchet.adoc).
 *
 * <p>Operation: {@code conversation}.
 */
public final class RatchetVectors implements VectorSuite {
  @Override
  public String component() {
    return "ratchet";
  }

  @Override
  public String description() {
    return "Ratchet: conversations from the handshake's outputs as scripts of send, receive and restore steps by A "
        + "and B (out of order, lost, replayed, several DH steps, one of more than 1,000 messages), with every "
        + "message's bytes, header, message key and tag and each side's serialised state after each step; and "
        + "scripts whose last step must be rejected, leaving the state unchanged: a message, a send to a full chain, "
        + "or a restore from malformed state bytes (every rule of the state format). Spec: ratchet.adoc.";
  }

  // ---------------------------------------------------------------- script model

  /** One step of a script, as the input lists it. */
  private record Step(String party, String action, byte[] plaintext, Integer fromStep, byte[] message,
      byte[] ratchetPrivate, byte[] state) {
    Step(String party, String action, byte[] plaintext, Integer fromStep, byte[] message, byte[] ratchetPrivate) {
      this(party, action, plaintext, fromStep, message, ratchetPrivate, null);
    }

    ObjectNode toJson() {
      ObjectNode n = Json.object().put("party", party).put("action", action);
      switch (action) {
        case "send" -> {
          n.put("plaintext", Bytes.hex(plaintext));
          if (ratchetPrivate == null) {
            n.putNull("ratchet_private");
          } else {
            n.put("ratchet_private", Bytes.hex(ratchetPrivate));
          }
        }
        case "receive" -> {
          if (fromStep != null) {
            n.put("from_step", fromStep);
          } else {
            n.put("message", Bytes.hex(message));
          }
        }
        case "restore" -> {
          if (state != null) {
            n.put("state", Bytes.hex(state));
          }
        }
        default -> { }
      }
      return n;
    }

    static Step fromJson(JsonNode n) {
      String action = n.path("action").asText();
      return new Step(n.path("party").asText(), action,
          action.equals("send") ? Bytes.unhex(n.path("plaintext").asText()) : null,
          n.has("from_step") ? n.path("from_step").asInt() : null,
          n.has("message") ? Bytes.unhex(n.path("message").asText()) : null,
          n.path("ratchet_private").isTextual() ? Bytes.unhex(n.path("ratchet_private").asText()) : null,
          n.has("state") ? Bytes.unhex(n.path("state").asText()) : null);
    }
  }

  /** The handshake's outputs that start a session, and A's first ratchet key. */
  private record Start(DoubleRatchet.Init init, byte[] responderRatchetPrivate, byte[] initiatorRatchetPrivate) {
    ObjectNode toJson() {
      return Json.object()
          .put("ad", Bytes.hex(init.ad()))
          .put("root_key", Bytes.hex(init.rootKey().bytes()))
          .put("initiator_header_key", Bytes.hex(init.initiatorHeaderKey().bytes()))
          .put("responder_header_key", Bytes.hex(init.responderHeaderKey().bytes()))
          .put("initiator_tag_key", Bytes.hex(init.initiatorTagKey().bytes()))
          .put("responder_tag_key", Bytes.hex(init.responderTagKey().bytes()))
          .put("responder_ratchet_private", Bytes.hex(responderRatchetPrivate))
          .put("responder_ratchet_public", Bytes.hex(X25519.publicKey(responderRatchetPrivate)))
          .put("initiator_ratchet_private", Bytes.hex(initiatorRatchetPrivate));
    }

    static Start fromJson(JsonNode n) {
      return new Start(new DoubleRatchet.Init(Json.hex(n, "ad"), new Secret.RootKey(Json.hex(n, "root_key")),
          new Secret.HeaderKey(Json.hex(n, "initiator_header_key")), new Secret.HeaderKey(Json.hex(n, "responder_header_key")),
          new Secret.TagKey(Json.hex(n, "initiator_tag_key")), new Secret.TagKey(Json.hex(n, "responder_tag_key"))),
          Json.hex(n, "responder_ratchet_private"), Json.hex(n, "initiator_ratchet_private"));
    }
  }

  /** Plays a script: both sides' states, and the messages sent so far by step index. */
  private static final class Play {
    RatchetState a;
    RatchetState b;
    final List<byte[]> sent = new ArrayList<>();

    Play(Start start) throws SottoException {
      a = DoubleRatchet.initiator(start.init(), X25519.publicKey(start.responderRatchetPrivate()),
          TestRandom.replay(start.initiatorRatchetPrivate()));
      b = DoubleRatchet.responder(start.init(), start.responderRatchetPrivate());
    }

    RatchetState side(String party) {
      return party.equals("A") ? a : b;
    }

    void set(String party, RatchetState s) {
      if (party.equals("A")) {
        a = s;
      } else {
        b = s;
      }
    }

    /** Performs a step; returns its outputs. Throws with the state unchanged on a rejected receive. */
    ObjectNode step(Step step, boolean withState) throws SottoException {
      ObjectNode out = Json.object();
      RatchetState s = side(step.party());
      switch (step.action()) {
        case "send" -> {
          TestRandom.Replay drawn = TestRandom.replay(step.ratchetPrivate() == null ? new byte[0] : step.ratchetPrivate());
          DoubleRatchet.Sent sent = DoubleRatchet.encrypt(s, step.plaintext(), drawn);
          drawn.assertExhausted();
          this.sent.add(sent.message());
          out.put("message", Bytes.hex(sent.message()));
          out.put("tag", Bytes.hex(sent.tag()));
          out.put("header", Bytes.hex(sent.header()));
          out.put("message_key", Bytes.hex(sent.messageKey().bytes()));
          out.put("siv", Bytes.hex(sent.siv()));
        }
        case "receive" -> {
          this.sent.add(null);
          byte[] message = step.fromStep() != null ? sent.get(step.fromStep()) : step.message();
          DoubleRatchet.Received r = DoubleRatchet.decrypt(s, message);
          set(step.party(), r.next());
          out.put("plaintext", Bytes.hex(r.plaintext()));
          out.put("opened_with", r.openedWith().name().toLowerCase(java.util.Locale.ROOT));
          out.put("header", Bytes.hex(r.header()));
          out.put("message_key", Bytes.hex(r.messageKey().bytes()));
        }
        case "restore" -> {
          this.sent.add(null);
          byte[] bytes = step.state() != null ? step.state() : s.serialize();
          RatchetState restored = RatchetState.parse(bytes);
          if (!Arrays.equals(bytes, restored.serialize())) {
            throw new IllegalStateException("restore changed the state");
          }
          set(step.party(), restored);
        }
        default -> throw new IllegalArgumentException("unknown action " + step.action());
      }
      if (withState) {
        out.put("state", Bytes.hex(side(step.party()).serialize()));
      }
      return out;
    }
  }

  // ---------------------------------------------------------------- generation

  private RandomSource random;

  /** Builds a script step by step, recording the randomness each step draws. */
  private final class Script {
    final Start start;
    final List<Step> steps = new ArrayList<>();
    final Play play;
    final ArrayNode outputs = Json.array();
    final boolean withState;
    int sends;

    Script(boolean withState) {
      this.withState = withState;
      this.start = newStart();
      try {
        this.play = new Play(start);
      } catch (SottoException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A sends (or B sends) a message; returns the step index. */
    int send(String party, byte[] plaintext) {
      byte[] ratchetPrivate = DoubleRatchet.startsSendingChain(play.side(party)) ? random.bytes(32) : null;
      return add(new Step(party, "send", plaintext, null, null, ratchetPrivate));
    }

    int send(String party) {
      sends++;
      return send(party, (party + " " + sends).getBytes(StandardCharsets.UTF_8));
    }

    /** The receiver of {@code from}'s message. */
    int receive(String party, int from) {
      return add(receiveStep(party, from, null));
    }

    Step receiveStep(String party, Integer from, byte[] message) {
      return new Step(party, "receive", null, from, message, null);
    }

    int restore(String party) {
      return add(new Step(party, "restore", null, null, null, null));
    }

    /** The party continues from a state given as bytes (a state that breaks no rule). */
    int restore(String party, byte[] state) {
      return add(new Step(party, "restore", null, null, null, null, state));
    }

    int add(Step step) {
      try {
        outputs.add(play.step(step, withState));
      } catch (SottoException e) {
        throw new IllegalStateException("valid step rejected: " + e.getMessage(), e);
      }
      steps.add(step);
      return steps.size() - 1;
    }

    byte[] message(int step) {
      return play.sent.get(step);
    }

    ObjectNode input() {
      ObjectNode in = Json.object();
      in.set("start", start.toJson());
      ArrayNode list = in.putArray("steps");
      steps.forEach(s -> list.add(s.toJson()));
      return in;
    }

    void valid(Cases cases, String comment) {
      ObjectNode out = Json.object();
      out.set("steps", outputs);
      cases.valid("conversation", comment, input(), out);
    }

    /** Ends the script with a send that must fail with {@code error}. */
    void invalidSend(Cases cases, String comment, String party, ErrorCode error) {
      steps.add(new Step(party, "send", "refused".getBytes(StandardCharsets.UTF_8), null, null, null));
      cases.invalid("conversation", comment, input(), error);
    }

    /** Ends the script with a restore from {@code state} that must fail with {@code error}. */
    void invalidRestore(Cases cases, String comment, String party, byte[] state, ErrorCode error) {
      List<Step> saved = new ArrayList<>(steps);
      steps.add(new Step(party, "restore", null, null, null, null, state));
      cases.invalid("conversation", comment, input(), error);
      steps.clear();
      steps.addAll(saved);
    }

    /** Ends the script with a receive that must fail with {@code error}. */
    void invalid(Cases cases, String comment, String party, Integer from, byte[] message, ErrorCode error) {
      steps.add(new Step(party, "receive", null, from, message, null));
      cases.invalid("conversation", comment, input(), error);
    }
  }

  /**
   * A session's starting point. The ratchet needs only the handshake's outputs, so they are drawn
   * here as the random values they are; handshake.json ties them to real handshakes.
   */
  private Start newStart() {
    DoubleRatchet.Init init = new DoubleRatchet.Init(random.bytes(32), new Secret.RootKey(random.bytes(32)),
        new Secret.HeaderKey(random.bytes(32)), new Secret.HeaderKey(random.bytes(32)),
        new Secret.TagKey(random.bytes(32)), new Secret.TagKey(random.bytes(32)));
    return new Start(init, random.bytes(32), random.bytes(32));
  }

  @Override
  public ArrayNode generate() {
    random = seededRandom();
    Cases cases = new Cases();
    validScripts(cases);
    invalidScripts(cases);
    states(cases);
    return cases.toArray();
  }

  private void validScripts(Cases cases) {
    Script s = new Script(true);
    s.receive("B", s.send("A"));
    s.valid(cases, "one message from A");

    s = new Script(true);
    int first = s.send("A");
    s.receive("B", first);
    for (int i = 0; i < 6; i++) {
      s.receive(i % 2 == 0 ? "A" : "B", s.send(i % 2 == 0 ? "B" : "A"));
    }
    s.valid(cases, "ping-pong: a DH step with every message");

    s = new Script(true);
    int[] m = new int[5];
    for (int i = 0; i < 5; i++) {
      m[i] = s.send("A");
    }
    for (int i = 0; i < 5; i++) {
      s.receive("B", m[i]);
    }
    s.valid(cases, "five messages in order");

    s = new Script(true);
    for (int i = 0; i < 5; i++) {
      m[i] = s.send("A");
    }
    for (int i = 4; i >= 0; i--) {
      s.receive("B", m[i]);
    }
    s.valid(cases, "five messages in reverse order");

    s = new Script(true);
    for (int i = 0; i < 5; i++) {
      m[i] = s.send("A");
    }
    s.receive("B", m[0]);
    s.receive("B", m[2]);
    s.receive("B", m[4]);
    s.valid(cases, "messages 1 and 3 lost");

    s = new Script(true);
    int a0 = s.send("A");
    int a1 = s.send("A");
    int a2 = s.send("A");
    s.receive("B", a1);
    int b0 = s.send("B");
    s.receive("A", b0);
    int a3 = s.send("A");
    s.receive("B", a3);
    s.receive("B", a0);
    s.receive("B", a2);
    s.valid(cases, "late messages of an earlier chain arrive after a DH step");

    s = new Script(true);
    s.receive("B", s.send("A"));
    s.restore("B");
    s.receive("A", s.send("B"));
    s.restore("A");
    s.receive("B", s.send("A"));
    s.valid(cases, "both sides restore their state mid-conversation");

    s = new Script(true);
    s.receive("B", s.send("A", new byte[0]));
    s.receive("A", s.send("B", new byte[0]));
    s.valid(cases, "empty plaintexts");

    s = new Script(true);
    s.receive("B", s.send("A", random.bytes(16384)));
    s.receive("A", s.send("B", random.bytes(1024)));
    s.valid(cases, "16 KiB and 1 KiB plaintexts");

    s = new Script(false);
    for (int i = 0; i < RatchetState.MAX_CHAIN - 1; i++) {
      s.send("A", new byte[] {(byte) i});
    }
    s.receive("B", s.send("A"));
    s.valid(cases, "a full chain of 1,000 messages (the bound) of which only the last arrives: 999 keys skipped");

    s = new Script(false);
    s.receive("B", s.send("A"));
    for (int i = 0; i < RatchetState.MAX_CHAIN - 1; i++) {
      s.send("A", new byte[] {(byte) i});
    }
    s.receive("A", s.send("B"));
    s.receive("B", s.send("A"));
    s.valid(cases, "a new chain whose pn skips the 999 lost messages of a full current chain");

    s = new Script(true);
    int x0 = s.send("A");
    s.receive("B", x0);
    int y0 = s.send("B");
    int y1 = s.send("B");
    s.receive("A", y1);
    int x1 = s.send("A");
    s.receive("B", x1);
    int y2 = s.send("B");
    s.receive("A", y2);
    s.receive("A", y0);
    s.valid(cases, "B's first chain finishes after B's second chain started");

    // Random scripts, each with losses, reorderings and DH steps.
    for (int k = 0; k < 14; k++) {
      randomScript(cases, 12 + 3 * k, "random conversation " + (k + 1));
    }
    endurance(cases);
    eviction(cases);
  }

  /**
   * The bound of 2,000 skipped keys in all: four chains with 999 skipped keys each (3,996); the
   * oldest 1,996 are evicted: all of the first chain's and 997 of the second's. A key of the third
   * chain still opens; a message of the first chain, whose keys are all gone, no longer does; an
   * evicted message of the second chain, which still has skipped keys, is a replay.
   */
  private void eviction(Cases cases) {
    Script s = new Script(false);
    List<List<Integer>> chains = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      List<Integer> chain = new ArrayList<>();
      for (int i = 0; i < RatchetState.MAX_CHAIN - 1; i++) {
        chain.add(s.send("A", new byte[] {(byte) i}));
      }
      chains.add(chain);
      s.receive("B", s.send("A"));
      if (round < 3) {
        s.receive("A", s.send("B"));
      }
    }
    List<Step> prefix = new ArrayList<>(s.steps);
    s.receive("B", chains.get(2).get(500));
    s.valid(cases, "3,996 skipped keys in four chains: the 1,996 oldest are evicted; a skipped key of the third "
        + "chain still opens (no states listed)");
    s.steps.clear();
    s.steps.addAll(prefix);
    s.invalid(cases, "a message of the chain whose skipped keys were all evicted", "B", chains.get(0).get(998), null,
        ErrorCode.AUTH_FAILED);
    s.steps.clear();
    s.steps.addAll(prefix);
    s.invalid(cases, "an evicted message of a chain that still has skipped keys", "B", chains.get(1).get(0), null,
        ErrorCode.REPLAY);
  }

  /** A random conversation of {@code length} sends, with some messages delivered late or never. */
  private void randomScript(Cases cases, int length, String comment) {
    Script s = new Script(true);
    List<Integer> pendingToB = new ArrayList<>();
    List<Integer> pendingToA = new ArrayList<>();
    s.receive("B", s.send("A"));
    for (int i = 0; i < length; i++) {
      int r = random.bytes(1)[0] & 0xff;
      String from = (r & 1) == 0 ? "A" : "B";
      int step = s.send(from);
      (from.equals("A") ? pendingToB : pendingToA).add(step);
      if ((r & 6) != 0) {
        List<Integer> pending = (r & 8) == 0 ? pendingToB : pendingToA;
        if (!pending.isEmpty()) {
          int pick = (r >> 4) % pending.size();
          int msg = pending.remove(pick);
          s.receive(pending == pendingToB ? "B" : "A", msg);
        }
      }
    }
    // Deliver most of what is left (the rest is lost), in a shuffled order.
    for (List<Integer> pending : List.of(pendingToB, pendingToA)) {
      while (pending.size() > 1) {
        int pick = (random.bytes(1)[0] & 0xff) % pending.size();
        s.receive(pending == pendingToB ? "B" : "A", pending.remove(pick));
      }
    }
    s.valid(cases, comment + ": " + length + " sends, reordered, one lost each way at most");
  }

  private void endurance(Cases cases) {
    Script s = new Script(false);
    s.receive("B", s.send("A"));
    for (int i = 0; i < 300; i++) {
      int x = s.send("A");
      int y = s.send("A");
      s.receive("B", y);
      s.receive("B", x);
      s.receive("A", s.send("B"));
      if (i % 50 == 0) {
        s.restore("A");
      }
    }
    s.valid(cases, "endurance: 1,201 messages, reordered pairs, a DH step every three messages (no states listed)");
  }

  private void invalidScripts(Cases cases) {
    // A conversation with a current chain, an older chain with skipped keys, and a deleted chain.
    for (int variant = 0; variant < 2; variant++) {
      Script s = new Script(true);
      int a0 = s.send("A");
      int a1 = s.send("A");
      s.receive("B", a1);
      s.receive("B", a0);
      int b0 = s.send("B");
      s.receive("A", b0);
      int a2 = s.send("A");
      int a3 = s.send("A");
      s.receive("B", a2);
      byte[] good = s.message(a3);
      String v = variant == 0 ? "" : " (second session)";
      invalid(cases, s, "header with one bit flipped" + v, "B", Texts.flip(good, 20, 0x01), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "header tag with one bit flipped" + v, "B", Texts.flip(good, 70, 0x80), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "siv with one bit flipped" + v, "B", Texts.flip(good, 1, 0x01), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "body with one bit flipped" + v, "B", Texts.flip(good, 75, 0x01), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "body tag with one bit flipped" + v, "B", Texts.flip(good, good.length - 1, 0x01), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "version 1 (revision 1)" + v, "B", Texts.with(good, 0, 1), ErrorCode.UNSUPPORTED_VERSION);
      invalid(cases, s, "version 3" + v, "B", Texts.with(good, 0, 3), ErrorCode.UNSUPPORTED_VERSION);
      invalid(cases, s, "truncated to 86 bytes" + v, "B", Arrays.copyOf(good, 86), ErrorCode.TRUNCATED);
      invalid(cases, s, "body cut by one byte" + v, "B", Arrays.copyOf(good, good.length - 1), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "one byte appended" + v, "B", Arrays.copyOf(good, good.length + 1), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "replay in the current chain" + v, "B", s.message(a2), ErrorCode.REPLAY);
      invalid(cases, s, "replay of a message of a deleted chain" + v, "B", s.message(a1), ErrorCode.AUTH_FAILED);
      invalid(cases, s, "replay to the sender's own side" + v, "A", good, ErrorCode.AUTH_FAILED);
      if (variant == 0) {
        invalid(cases, s, "empty input", "B", new byte[0], ErrorCode.TRUNCATED);
        Script other = new Script(true);
        int o = other.send("A");
        invalid(cases, s, "a message of another session", "B", other.message(o), ErrorCode.AUTH_FAILED);
        // An earlier chain with skipped keys left: a0 is still skipped; a used skipped key is a replay.
        Script t = new Script(true);
        int t0 = t.send("A");
        t.send("A");
        int t2 = t.send("A");
        t.receive("B", t2);
        t.receive("B", t0);
        t.receive("A", t.send("B"));
        t.receive("B", t.send("A"));
        invalid(cases, t, "replay of a skipped message of an earlier chain, after its key was used", "B", t.message(t0),
            ErrorCode.REPLAY);
        invalid(cases, t, "replay of the newest message of an earlier chain that still has skipped keys", "B",
            t.message(t2), ErrorCode.REPLAY);
      }
    }

    forgedHeaders(cases);

    Script full = new Script(false);
    for (int i = 0; i < RatchetState.MAX_CHAIN; i++) {
      full.send("A", new byte[] {(byte) i});
    }
    full.invalidSend(cases, "a send to a full chain: 1,000 messages without an answer", "A", ErrorCode.LIMIT_EXCEEDED);
    Script answered = new Script(false);
    answered.receive("B", answered.send("A"));
    for (int i = 0; i < RatchetState.MAX_CHAIN; i++) {
      answered.send("B", new byte[] {(byte) i});
    }
    answered.invalidSend(cases, "a send to a full chain of the responder", "B", ErrorCode.LIMIT_EXCEEDED);

    Script stale = new Script(true);
    stale.receive("B", stale.send("A"));
    stale.receive("A", stale.send("B"));
    stale.receive("B", stale.send("A"));
    stale.receive("A", stale.send("B"));
    // A message made under a header key two chains old: A goes on from an old copy of its state.
    RatchetState old;
    try {
      old = RatchetState.parse(stale.play.a.serialize());
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < 2; i++) {
      stale.receive("B", stale.send("A"));
      stale.receive("A", stale.send("B"));
    }
    try {
      byte[] message = DoubleRatchet.encrypt(old, "stale".getBytes(StandardCharsets.UTF_8), random).message();
      stale.invalid(cases, "a header under a stale header key", "B", null, message, ErrorCode.AUTH_FAILED);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }

    Script current = new Script(true);
    int c0 = current.send("A");
    int c1 = current.send("A");
    current.receive("B", c1);
    current.receive("B", c0);
    current.invalid(cases, "replay of a skipped message of the current chain after it was received", "B", c0, null,
        ErrorCode.REPLAY);
  }

  /**
   * The state format (spec: ratchet.adoc#ratchet-state-format): a party continues from given state
   * bytes, and malformed states, one fault each, are refused on restore with the state kept. The
   * base state is B's after a reply, holding every optional field and two skipped keys.
   */
  private void states(Cases cases) {
    Script s = new Script(true);
    s.send("A");
    int a1 = s.send("A");
    s.receive("B", s.send("A"));
    s.receive("A", s.send("B"));
    byte[] state = s.play.b.serialize();
    RatchetStateLayout at = new RatchetStateLayout(state);
    if (at.dhr < 0 || at.entries != 2) {
      throw new IllegalStateException("the base state has no dhr or not two skipped keys");
    }
    byte[] smallOrder = Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    byte[] first = Arrays.copyOfRange(state, at.entry(0), at.entry(0) + 36);
    Object[][] rows = {
      {"cut short (its last byte missing)", Arrays.copyOf(state, state.length - 1), ErrorCode.TRUNCATED},
      {"cut inside the root key", Arrays.copyOf(state, 50), ErrorCode.TRUNCATED},
      {"with a byte appended", Arrays.copyOf(state, state.length + 1), ErrorCode.TRAILING_DATA},
      {"of version 1 (revision 1)", Texts.with(state, 0, 1), ErrorCode.UNSUPPORTED_VERSION},
      {"of version 3", Texts.with(state, 0, 3), ErrorCode.UNSUPPORTED_VERSION},
      {"of suite 0x0002", Texts.with(state, 2, 2), ErrorCode.UNSUPPORTED_SUITE},
      {"of suite 0x0000", Texts.with(state, 2, 0), ErrorCode.UNSUPPORTED_SUITE},
      {"whose role byte is 2", Texts.with(state, at.role, 2), ErrorCode.INVALID_ENCODING},
      {"whose dhs_private presence byte is 2", Texts.with(state, at.dhsPresent, 2), ErrorCode.INVALID_ENCODING},
      {"whose dhr presence byte is 2", Texts.with(state, at.dhrPresent, 2), ErrorCode.INVALID_ENCODING},
      {"whose dhr has the Ed25519 type byte 0x01", Texts.with(state, at.dhr, 0x01), ErrorCode.INVALID_ENCODING},
      {"whose dhr has the ML-KEM type byte 0x03", Texts.with(state, at.dhr, 0x03), ErrorCode.INVALID_ENCODING},
      {"whose dhr is of small order (order 8)", Texts.replace(state, at.dhr + 1, smallOrder), ErrorCode.INVALID_KEY},
      {"whose dhr is not canonical (top bit set)", Texts.flip(state, at.dhr + 32, 0x80), ErrorCode.INVALID_KEY},
      {"whose ns is 1,001 (beyond the chain bound)", Texts.replace(state, at.ns, Raw.u32(1001)),
          ErrorCode.INVALID_ENCODING},
      {"whose nr is 1,001", Texts.replace(state, at.nr, Raw.u32(1001)), ErrorCode.INVALID_ENCODING},
      {"whose pn is 1,001", Texts.replace(state, at.pn, Raw.u32(1001)), ErrorCode.INVALID_ENCODING},
      {"whose pn is 2^32 - 1", Texts.replace(state, at.pn, Raw.u32(0xffffffffL)), ErrorCode.INVALID_ENCODING},
      {"whose skipped_count is 2,001 (more than a state holds)",
          Texts.replace(state, at.skippedCount, new byte[] {0x07, (byte) 0xd1}), ErrorCode.INVALID_ENCODING},
      {"whose skipped_count is 2,001 and nothing after it: the count is reported, not the truncation",
          Texts.replace(Arrays.copyOf(state, at.skipped), at.skippedCount, new byte[] {0x07, (byte) 0xd1}),
          ErrorCode.INVALID_ENCODING},
      {"whose skipped_count is 3 with two entries", Texts.replace(state, at.skippedCount, new byte[] {0, 3}),
          ErrorCode.TRUNCATED},
      {"whose first skipped entry has n = 1,000 (a message number beyond the chain bound)",
          Texts.replace(state, at.entry(0) + 32, Raw.u32(1000)), ErrorCode.INVALID_ENCODING},
      {"whose second skipped entry names the first's header key and n (a skipped key listed twice; its message key "
          + "and tag are its own)", Texts.replace(state, at.entry(1), first), ErrorCode.INVALID_ENCODING},
    };
    for (Object[] row : rows) {
      s.invalidRestore(cases, "a restored state " + row[0], "B", (byte[]) row[1], (ErrorCode) row[2]);
    }
    s.restore("B", state);
    s.receive("B", a1);
    s.valid(cases, "B continues from its state given as bytes (a restore step with a state): a skipped key opens");

    // A state restored at the chain bound: ns = 1,000 is a state's largest counter; the next send is refused.
    Script full = new Script(false);
    full.receive("B", full.send("A"));
    full.receive("A", full.send("B"));
    byte[] b = full.play.b.serialize();
    RatchetStateLayout bAt = new RatchetStateLayout(b);
    full.restore("B", Texts.replace(b, bAt.ns, Raw.u32(RatchetState.MAX_CHAIN)));
    full.invalidSend(cases, "B restored from a state whose sending chain holds 1,000 messages (ns = 1,000, the "
        + "largest a state holds): the next send is refused", "B", ErrorCode.LIMIT_EXCEEDED);
  }

  /**
   * Authentic messages whose decrypted header breaks a rule: made here from the start's keys, as a
   * sender that does not follow the spec would make them (A's first chain, spec: ratchet.adoc#init).
   */
  private void forgedHeaders(Cases cases) {
    byte[] smallOrder = Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000");
    record Forgery(String comment, int flags, byte[] key, long pn, long n, boolean afterFirst, ErrorCode error) {}
    byte[] otherKey = X25519.publicKey(random.bytes(32));
    List<Forgery> forgeries = List.of(
        new Forgery("header flags 0x01 (reserved)", 0x01, null, 0, 0, false, ErrorCode.INVALID_ENCODING),
        new Forgery("header flags 0x80 (reserved)", 0x80, null, 0, 0, false, ErrorCode.INVALID_ENCODING),
        new Forgery("header ratchet key of small order", 0, smallOrder, 0, 0, false, ErrorCode.INVALID_KEY),
        new Forgery("header n = 1,000 (beyond the chain bound)", 0, null, 0, RatchetState.MAX_CHAIN, false,
            ErrorCode.INVALID_ENCODING),
        new Forgery("header pn = 1,001 (beyond the chain bound)", 0, null, RatchetState.MAX_CHAIN + 1, 0, false,
            ErrorCode.INVALID_ENCODING),
        new Forgery("a header of the current chain that names another ratchet key", 0, otherKey, 0, 1, true,
            ErrorCode.INVALID_ENCODING));
    for (Forgery f : forgeries) {
      Script s = new Script(true);
      if (f.afterFirst()) {
        s.receive("B", s.send("A"));
      }
      byte[] message = forge(s.start, f.flags(), f.key(), f.pn(), f.n(), "forged".getBytes(StandardCharsets.UTF_8));
      s.invalid(cases, f.comment(), "B", null, message, f.error());
    }
  }

  /** Message n of A's first chain with the given header fields (the key defaults to A's ratchet key). */
  private static byte[] forge(Start start, int flags, byte[] key, long pn, long n, byte[] plaintext) {
    try {
      byte[] aPrivate = start.initiatorRatchetPrivate();
      byte[] aPublic = X25519.publicKey(aPrivate);
      Kdf.RootStep root = Kdf.root(start.init().rootKey(),
          X25519.agree(aPrivate, X25519.publicKey(start.responderRatchetPrivate())));
      Secret.ChainKey ck = root.chainKey();
      for (long i = 0; i < n; i++) {
        ck = Kdf.chain(ck).chainKey();
      }
      Secret.MessageKey mk = Kdf.chain(ck).messageKey();
      byte[] header = new Writer().u8(flags).bytes(KeyCodec.x25519(key == null ? aPublic : key)).u32(pn).u32(n)
          .toByteArray();
      byte[] ad = start.init().ad();
      byte[] siv = Kdf.siv(mk, ad, RatchetMessage.VERSION, header, plaintext);
      byte[] encryptedHeader = Aead.seal(start.init().initiatorHeaderKey().bytes(), siv, ad, header);
      RatchetMessage shell = new RatchetMessage(siv, encryptedHeader, null);
      byte[] body = Aead.sealWith(Kdf.messageKeyMaterial(mk, siv), Bytes.concat(ad, shell.prefix()), plaintext);
      return new RatchetMessage(siv, encryptedHeader, body).encode();
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void invalid(Cases cases, Script s, String comment, String party, byte[] message, ErrorCode error) {
    List<Step> saved = new ArrayList<>(s.steps);
    s.invalid(cases, comment, party, null, message, error);
    s.steps.clear();
    s.steps.addAll(saved);
  }


  // ---------------------------------------------------------------- verification

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    if (!testCase.path("operation").asText().equals("conversation")) {
      check.fail("unknown operation '" + testCase.path("operation").asText() + "'");
      return;
    }
    Play play;
    try {
      play = new Play(Start.fromJson(in.path("start")));
    } catch (SottoException e) {
      check.fail("start: " + e.getMessage());
      return;
    }
    JsonNode steps = in.path("steps");
    JsonNode outputs = check.output().path("steps");
    for (int i = 0; i < steps.size(); i++) {
      Step step = Step.fromJson(steps.get(i));
      boolean last = i == steps.size() - 1;
      byte[] before = play.side(step.party()).serialize();
      ObjectNode actual;
      try {
        actual = play.step(step, true);
      } catch (SottoException e) {
        if (last && !check.expectsValid()) {
          check.rejected(e);
          if (!Arrays.equals(before, play.side(step.party()).serialize())) {
            check.fail("step " + i + ": the state changed although the message was rejected");
          }
        } else {
          check.fail("step " + i + " (" + step.party() + " " + step.action() + "): rejected with " + e.code() + " ("
              + e.getMessage() + ")");
        }
        return;
      }
      if (last && !check.expectsValid()) {
        check.fail("step " + i + ": expected error " + check.expectedError() + ", actual success");
        return;
      }
      if (check.expectsValid()) {
        JsonNode expected = outputs.path(i);
        String prefix = "steps[" + i + "].";
        actual.properties().forEach(e -> {
          if (expected.has(e.getKey())) {
            check.text(prefix + e.getKey(), e.getValue().asText());
          }
        });
        if (step.action().equals("receive")) {
          byte[] sentPlaintext = step.fromStep() == null ? null : Step.fromJson(steps.get(step.fromStep())).plaintext();
          if (sentPlaintext != null && !Bytes.hex(sentPlaintext).equals(actual.path("plaintext").asText())) {
            check.fail("step " + i + ": received other bytes than step " + step.fromStep() + " sent");
          }
        }
      }
    }
  }
}
