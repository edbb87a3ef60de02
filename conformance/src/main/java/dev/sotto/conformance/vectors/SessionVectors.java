package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.ratchet.RatchetState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * {@code session.json}: whole conversations from a card and its prekeys to the last envelope, through every
 * layer at once (handshake, ratchet, envelope), so that an implementation can check itself from
 * the wire bytes alone (spec: envelope.adoc#session).
 *
 * <p>Operation: {@code conversation} (see {@link SessionScript} for the steps).
 */
public final class SessionVectors implements VectorSuite {
  private static final long T0 = 1_800_000_000L;
  private static final long DAY = 86_400L;
  private RandomSource random;

  @Override
  public String component() {
    return "session";
  }

  @Override
  public String description() {
    return "Session: whole conversations from the responder's card and prekeys and the initiator's seed to the last envelope, "
        + "through handshake, ratchet and envelope at once (first contact, replies, chunked payloads, restores), "
        + "with every envelope and each side's session state after each step; and refused envelopes (one under the "
        + "invite tag of another card the responder holds), malformed session states on restore and seals beyond "
        + "the chain bound. "
        + "Spec: envelope.adoc.";
  }

  /**
   * B's card and prekeys (a bundle with ids 1 and 2, and an X25519 one-time prekey 3 and an ML-KEM-768
   * one 4, or none), A's seed, which one-time prekeys A was given, and the time of every step.
   */
  private ObjectNode start(boolean opk, boolean kemOpk) {
    CardRecipe card = CardRecipe.record(random.bytes(32), T0, T0 + 365 * DAY,
        List.of(Addresses.mailbox("mailbox.example.org", 7401, 1)), random);
    PrekeyRecipe responder = PrekeyRecipe.record(card, 0, 1, T0, T0 + 3 * DAY, T0 + 3 * DAY, opk ? 1 : 0,
        kemOpk ? 1 : 0, random);
    ObjectNode start = Json.object().put("initiator_seed", Bytes.hex(random.bytes(32)));
    start.set("responder", responder.toJson());
    if (opk) {
      start.put("opk_id", 3);
    } else {
      start.putNull("opk_id");
    }
    if (kemOpk) {
      start.put("kem_opk_id", opk ? 4 : 3);
    } else {
      start.putNull("kem_opk_id");
    }
    return start.put("now", T0 + 3600);
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public ArrayNode generate() {
    random = seededRandom();
    Cases cases = new Cases();

    SessionScript s = new SessionScript(start(true, true), random);
    int first = s.initiate(text("Hello Bob, it's Alice."));
    s.accept(first, 0);
    s.open("A", s.seal("B", text("Hi Alice!")), 0);
    s.valid(cases, "conversation", "first contact with one-time prekeys of both kinds, and a reply");

    s = new SessionScript(start(false, false), random);
    first = s.initiate(text("with the bundle alone"));
    s.accept(first, 0);
    s.open("A", s.seal("B", text("ok")), 0);
    s.valid(cases, "conversation", "first contact with the bundle alone (no one-time prekey), and a reply");

    s = new SessionScript(start(true, true), random);
    first = s.initiate(random.bytes(140_000));
    s.accept(first, 0);
    s.open("B", first, 2);
    s.open("B", first, 1);
    s.valid(cases, "conversation", "a first payload of 140,000 bytes, in three chunks, the last two swapped");

    s = new SessionScript(start(true, false), random);
    first = s.initiate(new byte[0]);
    s.accept(first, 0);
    int a1 = s.seal("A", text("second"));
    int a2 = s.seal("A", text("third"));
    s.open("B", a2, 0);
    s.open("B", a1, 0);
    int b1 = s.seal("B", text("got both"));
    s.restore("A");
    s.open("A", b1, 0);
    s.restore("B");
    s.open("B", s.seal("A", text("after restores")), 0);
    s.valid(cases, "conversation", "empty first payload, messages out of order, restores on both sides");

    s = new SessionScript(start(false, true), random);
    first = s.initiate(text("ping"));
    s.accept(first, 0);
    for (int i = 0; i < 8; i++) {
      String from = i % 2 == 0 ? "B" : "A";
      s.open(from.equals("A") ? "B" : "A", s.seal(from, text("round " + i)), 0);
    }
    s.valid(cases, "conversation", "an ML-KEM-768 one-time prekey alone; eight alternating messages: a DH step with each");

    int[] sizes = {2746, 2747, 15_034, 15_035, 64_186, 64_187};
    for (int size : sizes) {
      s = new SessionScript(start(true, true), random);
      first = s.initiate(random.bytes(size));
      s.accept(first, 0);
      for (int i = 1; i < s.play.envelopes.get(first).size(); i++) {
        s.open("B", first, i);
      }
      s.valid(cases, "conversation", "a first payload of " + size + " bytes (near a first-contact bucket edge)");
    }

    // Recovery (spec: envelope.adoc#loss-recovery): the first contact is lost and travels again
    // with message 32; then a burst of 48 envelopes is lost and anchor 96 brings B back.
    s = new SessionScript(start(false, false), random);
    first = s.initiate(text("hello, lost"));
    int[] sent = new int[101];
    for (int i = 1; i <= 100; i++) {
      sent[i] = s.seal("A", text("message " + i));
    }
    s.accept(sent[32], 0);
    s.open("B", sent[32], 1);
    for (int i = 1; i < 32; i++) {
      s.open("B", sent[i], 0);
    }
    s.open("B", sent[33], 0);
    s.open("B", sent[96], 1);
    for (int i = 81; i <= 95; i++) {
      s.open("B", sent[i], 0);
    }
    for (int i = 97; i <= 100; i++) {
      s.open("B", sent[i], 0);
    }
    int answer = s.seal("B", text("got them"));
    s.open("A", answer, 0);
    s.valid(cases, "conversation", "recovery: the first contact is lost and comes again with message 32 (an "
        + "anchor); then messages 34 to 80 are lost, and anchor 96 brings B back to 81 to 95 (skipped keys) and 97 on");
    s = new SessionScript(start(false, false), random);
    first = s.initiate(text("hello"));
    for (int i = 1; i <= 40; i++) {
      sent[i] = s.seal("A", text("message " + i));
    }
    s.accept(first, 0);
    s.open("B", sent[1], 0);
    s.invalid(cases, "conversation", "a message beyond the window and no anchor (a burst before it was lost)", "B",
        "open", s.envelopeOf(sent[40], 0), ErrorCode.UNKNOWN_TAG);
    s.invalid(cases, "conversation", "the first contact again, as an unanswered initiator sends it with message 32",
        "B", "accept", s.envelopeOf(sent[32], 0), ErrorCode.REPLAY);

    // Refusals.
    s = new SessionScript(start(true, true), random);
    first = s.initiate(text("hello"));
    byte[] fc = s.envelopeOf(first, 0);
    s.invalid(cases, "conversation", "first contact under a tag that is no card's invite tag", "B", "accept",
        Texts.flip(fc, 5), ErrorCode.UNKNOWN_TAG);
    s.invalid(cases, "conversation", "first contact with its body cut to a smaller size", "B", "accept",
        java.util.Arrays.copyOf(fc, 1024), ErrorCode.TRUNCATED);
    s.invalid(cases, "conversation", "first contact whose payload was tampered with", "B", "accept",
        Texts.flip(fc, fc.length - 100), ErrorCode.AUTH_FAILED);
    s.invalid(cases, "conversation", "first contact of another size", "B", "accept",
        java.util.Arrays.copyOf(fc, fc.length + 1), ErrorCode.INVALID_ENCODING);
    s.accept(first, 0);
    s.invalid(cases, "conversation", "the first contact again (its one-time prekeys are used up)", "B", "accept", fc,
        ErrorCode.UNKNOWN_PREKEY);
    int reply = s.seal("B", text("hello back"));
    byte[] r = s.envelopeOf(reply, 0);
    s.invalid(cases, "conversation", "a reply whose body was tampered with", "A", "open", Texts.flip(r, 200),
        ErrorCode.AUTH_FAILED);
    s.invalid(cases, "conversation", "a reply under a changed tag", "A", "open", Texts.flip(r, 3), ErrorCode.UNKNOWN_TAG);
    s.open("A", reply, 0);
    s.invalid(cases, "conversation", "the reply again", "A", "open", r, ErrorCode.UNKNOWN_TAG);

    s = new SessionScript(start(false, false), random);
    first = s.initiate(text("no one-time prekeys"));
    s.accept(first, 0);
    s.invalid(cases, "conversation", "the first contact again, made with the bundle alone (no one-time prekey)", "B", "accept",
        s.envelopeOf(first, 0), ErrorCode.REPLAY);

    stateRefusals(cases);
    sealingBound(cases);
    anotherCardsTag(cases);
    return cases.toArray();
  }

  private static int u32(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }

  /**
   * Session states refused on restore (spec: envelope.adoc#session-state), each with one fault: the
   * state of an unanswered initiator, which keeps its first-contact envelope. Layout: version 0,
   * suite 1, peer 3, next_payload_id 71, ratchet_length 75, ratchet 79, then pending_count,
   * first_contact_length and first_contact.
   */
  private void stateRefusals(Cases cases) {
    SessionScript s = new SessionScript(start(false, false), random);
    s.initiate(text("unanswered"));
    byte[] state = s.play.sessionA.serialize();
    int ratchetLength = u32(state, 75);
    int pendingCount = 79 + ratchetLength;
    int firstContactLength = pendingCount + 1;
    if (state[pendingCount] != 0 || u32(state, firstContactLength) != 4096
        || firstContactLength + 4 + 4096 != state.length) {
      throw new IllegalStateException("the base session state is not an unanswered initiator's");
    }
    Object[][] rows = {
      {"cut inside the first-contact envelope", Arrays.copyOf(state, state.length - 100), ErrorCode.TRUNCATED},
      {"with a byte appended", Arrays.copyOf(state, state.length + 1), ErrorCode.TRAILING_DATA},
      {"of version 1 (revision 1)", Texts.with(state, 0, 1), ErrorCode.UNSUPPORTED_VERSION},
      {"of version 3", Texts.with(state, 0, 3), ErrorCode.UNSUPPORTED_VERSION},
      {"of suite 0x0002", Texts.with(state, 2, 2), ErrorCode.UNSUPPORTED_SUITE},
      {"whose peer identity is of suite 0x0002", Texts.with(state, 4, 2), ErrorCode.UNSUPPORTED_SUITE},
      {"whose peer's signing key has the X25519 type byte", Texts.with(state, 5, 0x02), ErrorCode.INVALID_ENCODING},
      {"whose ratchet_length is one more than its ratchet state: a byte (the pending count) is left inside it",
          Texts.replace(state, 75, Raw.u32(ratchetLength + 1)), ErrorCode.TRAILING_DATA},
      {"whose ratchet_length is one less than its ratchet state: the ratchet state is cut",
          Texts.replace(state, 75, Raw.u32(ratchetLength - 1)), ErrorCode.TRUNCATED},
      {"whose ratchet_length is more than the bytes left", Texts.replace(state, 75, Raw.u32(state.length)),
          ErrorCode.TRUNCATED},
      {"with a ratchet state of suite 0x0002 inside it", Texts.with(state, 79 + 2, 2), ErrorCode.UNSUPPORTED_SUITE},
      {"with 5 pending payloads announced", Texts.with(state, pendingCount, 5), ErrorCode.INVALID_ENCODING},
      {"whose first_contact_length is 1,000 (no bucket size)",
          Texts.replace(state, firstContactLength, Raw.u32(1000)), ErrorCode.INVALID_ENCODING},
      {"whose first_contact_length is 65,536 with 4,096 bytes after it",
          Texts.replace(state, firstContactLength, Raw.u32(65536)), ErrorCode.TRUNCATED},
      {"whose peer's X25519 identity key is all zero (of small order)", Texts.replace(state, 39, new byte[32]),
          ErrorCode.INVALID_KEY},
    };
    for (Object[] row : rows) {
      s.invalidRestore(cases, "conversation", "A's session state " + row[0], "A", (byte[]) row[1],
          (ErrorCode) row[2]);
    }
  }

  /**
   * Sealing at the chain bound (spec: envelope.adoc#session, ratchet.adoc#ratchet-encrypt): A's
   * state after 999 messages of a sending chain (sealed off-script, given as bytes) takes one more
   * envelope; a payload of two chunks does not fit and nothing is sealed; after the 1,000th, a seal
   * is refused.
   */
  private void sealingBound(Cases cases) {
    SessionScript s = new SessionScript(start(false, false), random);
    s.accept(s.initiate(text("hello")), 0);
    s.open("A", s.seal("B", text("an answer: A's next seal starts a new chain")), 0);
    byte[] at999;
    try {
      Session a = Session.restore(s.play.sessionA.serialize());
      for (int i = 0; i < RatchetState.MAX_CHAIN - 1; i++) {
        a.seal(new byte[] {(byte) i}, random);
      }
      at999 = a.serialize();
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
    s.restore("A", at999);
    s.invalidSeal(cases, "conversation", "A's sending chain holds 999 messages (its state given as bytes): a payload of "
        + "65,428 bytes needs two chunks, one more than the chain takes, so none is sealed", "A", new byte[65_428],
        ErrorCode.LIMIT_EXCEEDED);
    s.seal("A", text("message 999, the chain's last"));
    s.invalidSeal(cases, "conversation", "A's sending chain holds 1,000 messages without an answer (999 given as "
        + "state bytes, then one sealed): the next seal is refused", "A", text("one too many"),
        ErrorCode.LIMIT_EXCEEDED);
  }

  /**
   * A first contact under the invite tag of another card B holds (spec: envelope.adoc#first-contact,
   * step 3): B's responder, restored from a state, holds a second card of the same identity with a
   * bundle of its own; the first contact's prekeys belong to the first card.
   */
  private void anotherCardsTag(Cases cases) {
    ObjectNode start = start(true, false);
    PrekeyRecipe recipe = PrekeyRecipe.fromJson(start.path("responder"));
    Responder responder = recipe.make().responder();
    Card other = CardRecipe.record(recipe.card().identitySeed(), T0, T0 + 365 * DAY,
        List.of(Addresses.mailbox("other.example.org", 7401, 1)), random).issue();
    responder.addCard(other);
    responder.issueBundle(other, Instant.ofEpochSecond(T0), Instant.ofEpochSecond(T0 + 3 * DAY), random);
    start.put("responder_state", Bytes.hex(responder.serialize()));
    SessionScript s = new SessionScript(start, random);
    int first = s.initiate(text("to the first card"));
    byte[] fc = s.envelopeOf(first, 0);
    s.invalid(cases, "conversation", "first contact under the invite tag of B's other card (held, with a bundle of its "
        + "own): the bundle its signed prekey id names belongs to the first card", "B", "accept",
        Texts.replace(fc, 1, other.inviteTag()), ErrorCode.UNKNOWN_PREKEY);
    s.accept(first, 0);
    s.valid(cases, "conversation", "B's responder restored from a state that holds a second card with a bundle: the "
        + "first contact under the first card's invite tag is accepted");
  }


  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    if (!testCase.path("operation").asText().equals("conversation")) {
      check.fail("unknown operation '" + testCase.path("operation").asText() + "'");
      return;
    }
    SessionScript.verify(testCase, check);
  }
}
