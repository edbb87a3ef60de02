package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.envelope.Content;
import dev.sotto.internal.ratchet.DoubleRatchet;
import dev.sotto.internal.ratchet.RatchetState;
import dev.sotto.internal.ratchet.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code envelope.json}: the envelope layer on sessions started from given states (spec:
 * envelope.adoc): payloads of every bucket and at every bucket edge, chunked payloads, tag
 * sequences across DH steps; and refused envelopes (bad padding, a size that is no bucket,
 * unknown or tampered tags, chunks out of range or twice, truncation).
 *
 * <p>Operation: {@code exchange} (see {@link SessionScript}; the start gives both session states).
 */
public final class EnvelopeVectors implements VectorSuite {
  private RandomSource random;

  @Override
  public String component() {
    return "envelope";
  }

  @Override
  public String description() {
    return "Envelope: payloads sealed into envelopes of each bucket and at each bucket edge, chunked payloads, tag "
        + "sequences across DH steps, between two sessions given by their states; and refused envelopes (bad "
        + "padding, wrong size, unknown or tampered tag, chunk out of range or twice, truncated). Spec: envelope.adoc.";
  }

  /** Two session states that start a conversation: A may send, B receives first. */
  private ObjectNode start() {
    try {
      DoubleRatchet.Init init = new DoubleRatchet.Init(random.bytes(32), new Secret.RootKey(random.bytes(32)),
          new Secret.HeaderKey(random.bytes(32)), new Secret.HeaderKey(random.bytes(32)),
          new Secret.TagKey(random.bytes(32)), new Secret.TagKey(random.bytes(32)));
      byte[] spk = random.bytes(32);
      RatchetState a = DoubleRatchet.initiator(init, X25519.publicKey(spk), random);
      RatchetState b = DoubleRatchet.responder(init, spk);
      byte[] alice = Identity.fromSeed(IdentitySeed.fromBytes(random.bytes(32))).publicIdentity().encoded();
      byte[] bob = Identity.fromSeed(IdentitySeed.fromBytes(random.bytes(32))).publicIdentity().encoded();
      return Json.object().put("state_a", Bytes.hex(sessionState(bob, a))).put("state_b", Bytes.hex(sessionState(alice, b)));
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A session state (spec: envelope.adoc#session-state) with no payload in progress. */
  static byte[] sessionState(byte[] peer, RatchetState ratchet) {
    byte[] r = ratchet.serialize();
    return new Writer().u8(Session.STATE_VERSION).u16(1).bytes(peer).u32(0).u32(r.length).bytes(r).u8(0).u32(0)
        .toByteArray();
  }

  /** The ratchet state inside a session state. */
  static RatchetState ratchetOf(byte[] sessionState) throws SottoException {
    int at = 1 + 2 + 68 + 4;
    int length = ((sessionState[at] & 0xff) << 24) | ((sessionState[at + 1] & 0xff) << 16)
        | ((sessionState[at + 2] & 0xff) << 8) | (sessionState[at + 3] & 0xff);
    return RatchetState.parse(Arrays.copyOfRange(sessionState, at + 4, at + 4 + length));
  }

  /** An envelope from A's current state carrying arbitrary padded content: what a hostile peer could send. */
  private byte[] forge(SessionScript s, byte[] padded) {
    try {
      RatchetState a = ratchetOf(s.play.sessionA.serialize());
      DoubleRatchet.Sent sent = DoubleRatchet.encrypt(a, padded, random);
      return Bytes.concat(new byte[] {(byte) Envelope.VERSION}, sent.tag(), sent.message());
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public ArrayNode generate() {
    random = seededRandom();
    Cases cases = new Cases();
    int[] sizes = {0, 1, 2, 500, 914, 915, 916, 3986, 3987, 3988, 16274, 16275, 16276, 65426, 65427, 65428, 150_000};
    for (int size : sizes) {
      SessionScript s = new SessionScript(start(), random);
      s.openAll("B", s.seal("A", random.bytes(size)));
      s.valid(cases, "exchange", "a payload of " + size + " bytes");
    }
    SessionScript s = new SessionScript(start(), random);
    s.openAll("B", s.seal("A", "a".getBytes(StandardCharsets.UTF_8)));
    for (int i = 0; i < 6; i++) {
      String from = i % 2 == 0 ? "B" : "A";
      s.openAll(from.equals("A") ? "B" : "A", s.seal(from, ("step " + i).getBytes(StandardCharsets.UTF_8)));
    }
    s.valid(cases, "exchange", "tags across six DH steps");

    s = new SessionScript(start(), random);
    int m0 = s.seal("A", "zero".getBytes(StandardCharsets.UTF_8));
    int m1 = s.seal("A", "one".getBytes(StandardCharsets.UTF_8));
    int m2 = s.seal("A", "two".getBytes(StandardCharsets.UTF_8));
    s.open("B", m2, 0);
    s.open("B", m0, 0);
    s.open("B", m1, 0);
    s.valid(cases, "exchange", "three envelopes in the order 2, 0, 1 (tags of skipped keys are watched)");

    s = new SessionScript(start(), random);
    int big = s.seal("A", random.bytes(200_000));
    for (int i : new int[] {3, 0, 2, 1}) {
      s.open("B", big, i);
    }
    s.valid(cases, "exchange", "a payload of 200,000 bytes in four chunks, delivered 3, 0, 2, 1");

    // The tag window: message n = Nr + 31 is watched, n = Nr + 32 is not yet.
    s = new SessionScript(start(), random);
    int[] window = new int[33];
    for (int i = 0; i < 33; i++) {
      window[i] = s.seal("A", new byte[] {(byte) i});
    }
    s.open("B", window[31], 0);
    s.open("B", window[0], 0);
    s.valid(cases, "exchange", "message 31 is within the tag window of 32 (message 0 then from its skipped key)");

    // Five chunked payloads, each with one chunk in: the fifth evicts the first.
    s = new SessionScript(start(), random);
    int[] payloads = new int[5];
    for (int i = 0; i < 5; i++) {
      payloads[i] = s.seal("A", random.bytes(70_000));
    }
    for (int i = 0; i < 5; i++) {
      s.open("B", payloads[i], 0);
    }
    s.open("B", payloads[0], 1);
    s.open("B", payloads[4], 1);
    s.valid(cases, "exchange", "five chunked payloads in reassembly: the fifth evicts the oldest, whose last chunk "
        + "then starts it again; the fifth completes");

    invalid(cases);
    return cases.toArray();
  }

  private void invalid(Cases cases) {
    invalidStates(cases);
    SessionScript s = new SessionScript(start(), random);
    s.openAll("B", s.seal("A", "hello".getBytes(StandardCharsets.UTF_8)));
    int e0 = s.seal("A", "first".getBytes(StandardCharsets.UTF_8));
    int e1 = s.seal("A", "second".getBytes(StandardCharsets.UTF_8));
    byte[] good = s.envelopeOf(e0, 0);
    byte[] other = s.envelopeOf(e1, 0);
    String op = "exchange";
    s.invalid(cases, op, "empty input", "B", "open", new byte[0], ErrorCode.TRUNCATED);
    s.invalid(cases, op, "version 1 (revision 1)", "B", "open", Texts.with(good, 0, 1), ErrorCode.UNSUPPORTED_VERSION);
    s.invalid(cases, op, "version 3", "B", "open", Texts.with(good, 0, 3), ErrorCode.UNSUPPORTED_VERSION);
    s.invalid(cases, op, "cut to 1,000 bytes: no bucket size", "B", "open", Arrays.copyOf(good, 1000),
        ErrorCode.INVALID_ENCODING);
    s.invalid(cases, op, "only the version and the tag", "B", "open", Arrays.copyOf(good, 17), ErrorCode.INVALID_ENCODING);
    s.invalid(cases, op, "one byte appended: no bucket size", "B", "open", Arrays.copyOf(good, good.length + 1),
        ErrorCode.INVALID_ENCODING);
    s.invalid(cases, op, "padded out to the next bucket with zeros", "B", "open", Arrays.copyOf(good, 4096),
        ErrorCode.AUTH_FAILED);
    s.invalid(cases, op, "an unknown tag", "B", "open", Texts.replace(good, 1, random.bytes(16)), ErrorCode.UNKNOWN_TAG);
    s.invalid(cases, op, "tag with one bit flipped", "B", "open", Texts.flip(good, 16), ErrorCode.UNKNOWN_TAG);
    s.invalid(cases, op, "the tag of the next envelope on this body (tags swapped)", "B", "open",
        Texts.replace(good, 1, Arrays.copyOfRange(other, 1, 17)), ErrorCode.AUTH_FAILED);
    s.invalid(cases, op, "body with one bit flipped", "B", "open", Texts.flip(good, 500), ErrorCode.AUTH_FAILED);
    s.invalid(cases, op, "an envelope of another conversation", "B", "open",
        foreign(), ErrorCode.UNKNOWN_TAG);

    int session = 1024 - 104;
    byte[] padded = Content.whole("padding".getBytes(StandardCharsets.UTF_8)).encode(session);
    padded[session - 1] = 1;
    s.invalid(cases, op, "a non-zero padding byte (authentic)", "B", "open", forge(s, padded), ErrorCode.INVALID_ENCODING);
    padded = Content.whole(new byte[0]).encode(session);
    padded[0] = 3;
    s.invalid(cases, op, "content kind 3 (authentic)", "B", "open", forge(s, padded), ErrorCode.INVALID_ENCODING);
    padded = new Writer().u8(1).u32(session).toByteArray();
    s.invalid(cases, op, "content length beyond the content (authentic)", "B", "open",
        forge(s, Arrays.copyOf(padded, session)), ErrorCode.TRUNCATED);
    s.invalid(cases, op, "chunk index 5 of 3 (authentic)", "B", "open",
        forge(s, Content.chunk(7, 5, 3, new byte[10]).encode(session)), ErrorCode.INVALID_ENCODING);
    s.invalid(cases, op, "a chunked payload of 1 chunk (authentic)", "B", "open",
        forge(s, Content.chunk(7, 0, 1, new byte[10]).encode(session)), ErrorCode.INVALID_ENCODING);
    s.invalid(cases, op, "a chunked payload of 257 chunks (authentic)", "B", "open",
        forge(s, Content.chunk(7, 0, 257, new byte[10]).encode(session)), ErrorCode.INVALID_ENCODING);

    // Chunks given twice, or with disagreeing counts: the first chunk is accepted, the second refused.
    SessionScript d = new SessionScript(start(), random);
    d.openAll("B", d.seal("A", "hello".getBytes(StandardCharsets.UTF_8)));
    int c = d.seal("A", random.bytes(70_000));
    d.open("B", c, 0);
    byte[] firstChunk = d.envelopeOf(c, 0);
    d.invalid(cases, op, "a chunk received twice (the same envelope: its tag is no longer watched)", "B", "open",
        firstChunk, ErrorCode.UNKNOWN_TAG);
    // A forged second envelope with the same payload id and index as the chunk already received.
    byte[] again;
    byte[] mismatch;
    try {
      RatchetState a = ratchetOf(d.play.sessionA.serialize());
      int large = 65536 - 104;
      DoubleRatchet.Sent dup = DoubleRatchet.encrypt(a, Content.chunk(0, 0, 2, new byte[100]).encode(large), random);
      again = Bytes.concat(new byte[] {(byte) Envelope.VERSION}, dup.tag(), dup.message());
      RatchetState b = ratchetOf(d.play.sessionA.serialize());
      DoubleRatchet.Sent mis = DoubleRatchet.encrypt(b, Content.chunk(0, 1, 3, new byte[100]).encode(large), random);
      mismatch = Bytes.concat(new byte[] {(byte) Envelope.VERSION}, mis.tag(), mis.message());
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
    d.invalid(cases, op, "another envelope with a chunk index already received (authentic)", "B", "open", again,
        ErrorCode.INVALID_ENCODING);
    d.invalid(cases, op, "a chunk whose count disagrees with its payload's first chunk (authentic)", "B", "open",
        mismatch, ErrorCode.INVALID_ENCODING);
  }

  /** Malformed session states, each refused on restore. */
  private void invalidStates(Cases cases) {
    SessionScript s = new SessionScript(start(), random);
    s.openAll("B", s.seal("A", "hello".getBytes(StandardCharsets.UTF_8)));
    int chunked = s.seal("A", random.bytes(70_000));
    s.open("B", chunked, 0);
    byte[] state = s.play.sessionB.serialize();
    String op = "exchange";
    s.invalidRestore(cases, op, "a session state cut short", "B", Arrays.copyOf(state, state.length - 1),
        ErrorCode.TRUNCATED);
    s.invalidRestore(cases, op, "a session state with a byte appended", "B", Arrays.copyOf(state, state.length + 1),
        ErrorCode.TRAILING_DATA);
    s.invalidRestore(cases, op, "a session state of version 1 (revision 1)", "B", Texts.with(state, 0, 1),
        ErrorCode.UNSUPPORTED_VERSION);
    s.invalidRestore(cases, op, "a session state of suite 0x0002", "B", Texts.with(state, 2, 2),
        ErrorCode.UNSUPPORTED_SUITE);
    int ratchetLength = ((state[75] & 0xff) << 24) | ((state[76] & 0xff) << 16) | ((state[77] & 0xff) << 8)
        | (state[78] & 0xff);
    int pendingCount = 79 + ratchetLength;
    s.invalidRestore(cases, op, "a session state with 5 pending payloads announced", "B",
        Texts.with(state, pendingCount, 5), ErrorCode.INVALID_ENCODING);
    s.invalidRestore(cases, op, "a ratchet state of version 1 (revision 1) inside a session state", "B", Texts.with(state, 79, 1),
        ErrorCode.UNSUPPORTED_VERSION);
    s.invalidRestore(cases, op, "a ratchet state whose role byte is 2", "B", Texts.with(state, 79 + 3, 2),
        ErrorCode.INVALID_ENCODING);
    s.invalidRestore(cases, op, "a ratchet state whose dhs_private presence byte is 2", "B",
        Texts.with(state, 79 + 3 + 1 + 32 + 32, 2), ErrorCode.INVALID_ENCODING);
  }

  private byte[] foreign() {
    SessionScript f = new SessionScript(start(), random);
    return f.envelopeOf(f.seal("A", "elsewhere".getBytes(StandardCharsets.UTF_8)), 0);
  }


  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    if (!testCase.path("operation").asText().equals("exchange")) {
      check.fail("unknown operation '" + testCase.path("operation").asText() + "'");
      return;
    }
    SessionScript.verify(testCase, check);
  }
}
