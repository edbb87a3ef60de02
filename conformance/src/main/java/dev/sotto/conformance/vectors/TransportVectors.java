package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Frame;
import dev.sotto.InsecureSecretAccess;
import dev.sotto.Link;
import dev.sotto.LinkInitiator;
import dev.sotto.LinkKey;
import dev.sotto.LinkReplayFilter;
import dev.sotto.LinkResponder;
import dev.sotto.NodeMessage;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code transport.json}: whole links (the responder's link key, what each side draws, every
 * value of the link handshake, then a script of frames both ways with their wire bytes); the
 * rejections of malformed or misdirected handshake messages and frames; request and response
 * bodies read and refused (the prekey service's among them); node messages written and read (spec:
 * transport.adoc).
 *
 * <p>Operations: {@code link} (valid), {@code accept}, {@code finish} and {@code open_frame}
 * (invalid), {@code read_body} (both), {@code node_message} (valid), {@code parse_node_message}
 * (invalid).
 */
public final class TransportVectors implements VectorSuite {
  private static final long T0 = 1_800_000_000L;
  private static final long DAY = 86_400L;
  /** A request type this revision does not define: its frames carry a body of any length, and are answered with ERROR UNSUPPORTED_REQUEST. */
  private static final int UNDEFINED_REQUEST = 0x7f;
  private static final byte[] SMALL_ORDER = Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");

  private RandomSource random;

  @Override
  public String component() {
    return "transport";
  }

  @Override
  public String description() {
    return "Transport: whole links (the responder's link key, both clocks and every random value each side draws, every "
        + "value of the link handshake, then frames both ways: requests and responses of every type, envelopes of every "
        + "bucket, bodies at every frame class edge, with counters and wire bytes); refused LinkHello messages (version, "
        + "clock window, keys, lengths, proof, replays of hellos the responder accepted before, and a full replay filter) "
        + "and LinkAccept messages; "
        + "refused frames (class, tampering, replay, wrong key, length, padding); request and response bodies read and "
        + "refused, those of the prekey service (PUBLISH, GET_PREKEYS, PREKEYS) among them; node messages HELLO, TEXT, "
        + "RESET and SYNC written and read (HELLO and RESET with the sender's card and a bundle of it), and refused. "
        + "Spec: transport.adoc.";
  }

  // ---------------------------------------------------------------- the handshake's inputs

  /**
   * The inputs of one link handshake: the responder's link private key, the initiator's clock
   * (the hello's time) and the responder's, and what each side draws, in order.
   */
  private record Handshake(byte[] linkPrivate, long time, long now, byte[] e, byte[] kemSeed, byte[] f, byte[] m) {

    ObjectNode toJson(ObjectNode in) {
      in.put("responder_link_private", Bytes.hex(linkPrivate));
      in.put("initiator_time", time).put("now", now);
      in.putObject("initiator_random").put("e", Bytes.hex(e)).put("kem_seed", Bytes.hex(kemSeed));
      in.putObject("responder_random").put("f", Bytes.hex(f)).put("m", Bytes.hex(m));
      return in;
    }

    static Handshake fromJson(JsonNode in) {
      return new Handshake(Bytes.unhex(in.path("responder_link_private").asText()), in.path("initiator_time").asLong(),
          in.path("now").asLong(), Bytes.unhex(in.path("initiator_random").path("e").asText()),
          Bytes.unhex(in.path("initiator_random").path("kem_seed").asText()),
          Bytes.unhex(in.path("responder_random").path("f").asText()),
          Bytes.unhex(in.path("responder_random").path("m").asText()));
    }

    LinkTrace trace() throws SottoException {
      return LinkTrace.compute(linkPrivate, time, e, kemSeed, f, m);
    }

    /** Both ends through the public API, each drawing exactly its recorded randomness. */
    Ends run() throws SottoException {
      LinkKey key = LinkKey.fromBytes(linkPrivate);
      TestRandom.Replay initiatorRandom = TestRandom.replay(Bytes.concat(e, kemSeed));
      LinkInitiator initiator = LinkInitiator.start(key.publicKey(), Instant.ofEpochSecond(time), initiatorRandom);
      initiatorRandom.assertExhausted();
      byte[] hello = initiator.hello();
      TestRandom.Replay responderRandom = TestRandom.replay(Bytes.concat(f, m));
      LinkResponder.Accepted accepted = responder(key).accept(hello, Instant.ofEpochSecond(now), responderRandom);
      responderRandom.assertExhausted();
      Link initiatorLink = initiator.finish(accepted.accept());
      return new Ends(key, initiator, hello, accepted.accept(), initiatorLink, accepted.link());
    }
  }

  private record Ends(LinkKey key, LinkInitiator initiator, byte[] hello, byte[] accept, Link initiatorLink,
      Link responderLink) {
    Link sender(boolean fromInitiator) {
      return fromInitiator ? initiatorLink : responderLink;
    }

    Link receiver(boolean fromInitiator) {
      return fromInitiator ? responderLink : initiatorLink;
    }
  }

  /** A responder with a filter of its own: what a node that has just started holds. */
  private static LinkResponder responder(LinkKey key) {
    return responder(key, PRIOR_LIMIT + 1);
  }

  private static LinkResponder responder(LinkKey key, int filterCapacity) {
    return new LinkResponder(key, new LinkReplayFilter(filterCapacity));
  }

  /** A fresh handshake, both clocks at T0. */
  private Handshake handshake() {
    return handshake(T0, T0);
  }

  /** A fresh handshake: a link key, the two clocks, and both sides' draws, recorded as the library draws them. */
  private Handshake handshake(long time, long now) {
    try {
      byte[] s = random.bytes(LinkKey.LENGTH);
      LinkKey key = LinkKey.fromBytes(s);
      RecordingRandom initiatorRandom = new RecordingRandom(random);
      LinkInitiator initiator = LinkInitiator.start(key.publicKey(), Instant.ofEpochSecond(time), initiatorRandom);
      RecordingRandom responderRandom = new RecordingRandom(random);
      responder(key).accept(initiator.hello(), Instant.ofEpochSecond(now), responderRandom);
      if (initiatorRandom.draws().size() != 2 || responderRandom.draws().size() != 2) {
        throw new IllegalStateException("a link handshake draws two values on each side");
      }
      return new Handshake(s, time, now, initiatorRandom.draws().get(0), initiatorRandom.draws().get(1),
          responderRandom.draws().get(0), responderRandom.draws().get(1));
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- generation

  /** One frame of a script: who sends it, and what. */
  private record Sent(boolean fromInitiator, Frame frame) {}

  private static final class Script {
    final List<Sent> frames = new ArrayList<>();

    Script request(Frame frame) {
      frames.add(new Sent(true, frame));
      return this;
    }

    Script response(Frame frame) {
      frames.add(new Sent(false, frame));
      return this;
    }
  }

  /** An envelope of {@code size} bytes under {@code tag}: the version, the tag, and random bytes (spec: envelope.adoc#envelope-layout). */
  private Envelope envelope(int size, byte[] tag) {
    return envelope(random, size, tag);
  }

  private static Envelope envelope(RandomSource random, int size, byte[] tag) {
    byte[] bytes = random.bytes(size);
    bytes[0] = Envelope.VERSION;
    System.arraycopy(tag, 0, bytes, 1, Envelope.TAG_LENGTH);
    try {
      return Envelope.parse(bytes);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public ArrayNode generate() {
    random = seededRandom();
    Cases cases = new Cases();
    links(cases);
    invalidHellos(cases);
    invalidAccepts(cases);
    invalidFrames(cases);
    bodies(cases);
    nodeMessages(cases);
    fullFilter(cases);
    backupBodies(cases);
    groupBodies(cases);
    groupNodeMessages(cases);
    return cases.toArray();
  }

  private void links(Cases cases) {
    byte[] t1 = random.bytes(16);
    byte[] t2 = random.bytes(16);
    Script full = new Script();
    long id = 1;
    for (int bucket : Envelope.BUCKETS) {
      full.request(Frame.deliver(id, envelope(bucket, random.bytes(16))));
      full.response(bucket == 4096 ? Frame.error(id, ErrorCode.UNKNOWN_TAG) : Frame.ok(id));
      id++;
    }
    full.request(Frame.deposit(id, envelope(4096, t1))).response(Frame.ok(id));
    id++;
    full.request(Frame.deposit(id, envelope(1024, t2))).response(Frame.error(id, ErrorCode.LIMIT_EXCEEDED));
    id++;
    full.request(Frame.fetch(id, List.of(t1, t2, t1)));
    full.response(Frame.item(id, 11, envelope(1024, t1))).response(Frame.item(id, 12, envelope(16384, t2)))
        .response(Frame.item(id, 13, envelope(65536, t1))).response(Frame.item(id, 14, envelope(4096, t2)))
        .response(Frame.done(id, true));
    id++;
    full.request(Frame.ack(id, List.of(11L, 12L, 13L, 14L))).response(Frame.ok(id));
    id++;
    full.request(Frame.fetch(id, List.of(t1, t2))).response(Frame.done(id, false));
    id++;
    for (int frameClass = 0; frameClass < Link.FRAME_SIZES.size(); frameClass++) {
      int capacity = Link.capacity(frameClass);
      int[] sizes = frameClass == Link.FRAME_SIZES.size() - 1 ? new int[] {capacity} : new int[] {capacity, capacity + 1};
      for (int size : sizes) {
        full.request(Frame.of(UNDEFINED_REQUEST, id, random.bytes(size)))
            .response(Frame.error(id, ErrorCode.UNSUPPORTED_REQUEST));
        id++;
      }
    }
    link(cases, "DELIVER of an envelope of each bucket, DEPOSIT, FETCH (a tag twice) answered by ITEMs of each bucket "
        + "and DONE, ACK, an empty FETCH; then requests of an undefined type 0x7f whose bodies are each class's largest "
        + "and one byte more, answered by ERROR UNSUPPORTED_REQUEST", handshake(), full);

    byte[] tag = random.bytes(16);
    Script mailbox = new Script().request(Frame.fetch(1, List.of(tag)))
        .response(Frame.item(1, 1, envelope(1024, tag))).response(Frame.item(1, 2, envelope(1024, tag)))
        .response(Frame.item(1, 3, envelope(4096, tag))).response(Frame.done(1, true))
        .request(Frame.ack(2, List.of(1L, 2L, 3L))).response(Frame.ok(2))
        .request(Frame.fetch(3, List.of(tag))).response(Frame.item(3, 4, envelope(1024, tag)))
        .response(Frame.done(3, false))
        .request(Frame.ack(4, List.of(4L))).response(Frame.ok(4));
    link(cases, "a mailbox round: FETCH, three ITEMs and DONE with more, ACK, FETCH again, ACK", handshake(), mailbox);

    Script refused = new Script().request(Frame.deliver(1, envelope(1024, random.bytes(16))))
        .response(Frame.error(1, ErrorCode.AUTH_FAILED))
        .request(Frame.deposit(2, envelope(1024, random.bytes(16)))).response(Frame.error(2, ErrorCode.UNSUPPORTED_REQUEST));
    link(cases, "a DELIVER refused with AUTH_FAILED, a DEPOSIT at a node that runs no mailbox", handshake(), refused);

    Published p = published();
    byte[] credential = random.bytes(Frame.CREDENTIAL_LENGTH);
    List<Frame.PrekeyItem> offered = List.of(p.bundles().get(0), p.bundles().get(1), p.x25519().get(0), p.kem());
    Script prekeys = new Script()
        .request(Frame.publish(1, p.bundleTag(), credential, offered)).response(Frame.ok(1))
        .request(Frame.getPrekeys(2, p.bundleTag()))
        .response(Frame.prekeys(2, offered))
        .request(Frame.getPrekeys(3, p.bundleTag())).response(Frame.prekeys(3, p.bundles()))
        .request(Frame.publish(4, p.bundleTag(), random.bytes(Frame.CREDENTIAL_LENGTH), p.bundles().subList(0, 1)))
        .response(Frame.error(4, ErrorCode.AUTH_FAILED))
        .request(Frame.getPrekeys(5, random.bytes(Card.BUNDLE_TAG_LENGTH))).response(Frame.prekeys(5, List.of()));
    link(cases, "the prekey service: PUBLISH of two bundles and a one-time prekey of each kind, OK; GET_PREKEYS "
        + "answered by PREKEYS with all four, then by PREKEYS with the bundles alone (each one-time prekey is served "
        + "once); PUBLISH with another credential, ERROR AUTH_FAILED; GET_PREKEYS of a tag nothing was published "
        + "under, PREKEYS of no item", handshake(), prekeys);

    link(cases, "the handshake alone, no frame", handshake(), new Script());
    link(cases, "the handshake alone, the initiator's clock 120 s behind the responder's (the edge of the window)",
        handshake(T0 - LinkResponder.CLOCK_WINDOW_SECONDS, T0), new Script());
    link(cases, "the handshake alone, the initiator's clock 120 s ahead of the responder's (the edge of the window)",
        handshake(T0 + LinkResponder.CLOCK_WINDOW_SECONDS, T0), new Script());

    Script large = new Script().request(Frame.deliver(1, envelope(65536, random.bytes(16)))).response(Frame.ok(1))
        .request(Frame.deliver(0xffffffffL, envelope(1024, random.bytes(16)))).response(Frame.ok(0xffffffffL));
    link(cases, "DELIVER of a 65,536-byte envelope; a request_id of 2^32 - 1", handshake(), large);
  }

  private static void link(Cases cases, String comment, Handshake h, Script script) {
    try {
      ObjectNode in = h.toJson(Json.object());
      ArrayNode frames = in.putArray("frames");
      for (Sent s : script.frames) {
        frames.addObject().put("sender", s.fromInitiator() ? "initiator" : "responder").put("type", s.frame().type())
            .put("request_id", s.frame().requestId()).put("body", Bytes.hex(s.frame().body()));
      }
      ObjectNode out = Json.object();
      h.trace().toJson(out);
      Ends ends = h.run();
      ArrayNode wires = out.putArray("frames");
      for (Sent s : script.frames) {
        Link sender = ends.sender(s.fromInitiator());
        long counter = sender.sent();
        byte[] wire = sender.seal(s.frame());
        wires.addObject().put("counter", counter).put("class", wire[0] & 0xff)
            .put("nonce", Bytes.hex(LinkTrace.nonce(counter))).put("header", Bytes.hex(header(s.frame())))
            .put("wire", Bytes.hex(wire));
      }
      cases.valid("link", comment, in, out);
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' link: " + comment, e);
    }
  }

  /** type u8 || request_id u32 || length u32, the start of a frame's plaintext. */
  private static byte[] header(Frame frame) {
    return new Writer().u8(frame.type()).u32(frame.requestId()).u32(frame.body().length).toByteArray();
  }

  // Offsets in LinkHello: version 0, time 1, typed(E) 9, typed(ek) 42, proof 1227.
  private static final int HELLO_TIME = 1;
  private static final int HELLO_E = 9;
  private static final int HELLO_EK = 42;
  private static final int HELLO_PROOF = 1227;
  /** The most prior hellos of an accept case, so that a verifier's filter of this size never fills. */
  private static final int PRIOR_LIMIT = 4;
  // Offsets in LinkAccept: typed(F) 0, ct 33, confirm 1121.
  private static final int ACCEPT_CT = 33;
  private static final int ACCEPT_CONFIRM = 1121;

  private void invalidHellos(Cases cases) {
    try {
      Handshake h = handshake();
      LinkTrace t = h.trace();
      byte[] hello = t.hello();
      byte[] other = handshake().trace().hello();
      byte[] ekTooLarge = hello.clone();
      ekTooLarge[HELLO_EK + 1] = (byte) 0xff;
      ekTooLarge[HELLO_EK + 2] |= 0x0f;
      long w = LinkResponder.CLOCK_WINDOW_SECONDS;
      byte[] stale = Texts.replace(hello, HELLO_TIME, LinkTrace.u64(T0 - w - 1));
      Object[][] rows = {
        {"empty", new byte[0], ErrorCode.TRUNCATED},
        {"version 0x01 (revision 1's link)", Texts.with(hello, 0, 0x01), ErrorCode.UNSUPPORTED_VERSION},
        {"version 0x03", Texts.with(hello, 0, 0x03), ErrorCode.UNSUPPORTED_VERSION},
        {"version 0x00", Texts.with(hello, 0, 0x00), ErrorCode.UNSUPPORTED_VERSION},
        {"version 0x01 and nothing after it: the version is read first", new byte[] {0x01}, ErrorCode.UNSUPPORTED_VERSION},
        {"version 0x01 and a time 121 s behind: the version is checked before the time", Texts.with(stale, 0, 0x01),
            ErrorCode.UNSUPPORTED_VERSION},
        {"cut inside the time", Texts.cut(hello, HELLO_TIME + 5), ErrorCode.TRUNCATED},
        {"time 121 s behind the responder's clock", stale, ErrorCode.EXPIRED},
        {"time 121 s ahead of the responder's clock", Texts.replace(hello, HELLO_TIME, LinkTrace.u64(T0 + w + 1)),
            ErrorCode.EXPIRED},
        {"time 0 (1970)", Texts.replace(hello, HELLO_TIME, LinkTrace.u64(0)), ErrorCode.EXPIRED},
        {"time 2^63 - 1", Texts.replace(hello, HELLO_TIME, LinkTrace.u64(Long.MAX_VALUE)), ErrorCode.EXPIRED},
        {"time 2^63 (a u64 of 2^63 or more)", Texts.replace(hello, HELLO_TIME, LinkTrace.u64(Long.MIN_VALUE)),
            ErrorCode.INVALID_ENCODING},
        {"time 121 s behind and cut after it: the time is checked before the rest is read", Texts.cut(stale, HELLO_E),
            ErrorCode.EXPIRED},
        {"time 121 s behind and E of small order: the time is checked before the keys",
            Texts.replace(stale, HELLO_E + 1, SMALL_ORDER), ErrorCode.EXPIRED},
        {"time one second later, within the window (TH_A binds the time: the proof does not verify)",
            Texts.replace(hello, HELLO_TIME, LinkTrace.u64(T0 + 1)), ErrorCode.AUTH_FAILED},
        {"E with type byte 0x01", Texts.with(hello, HELLO_E, 0x01), ErrorCode.INVALID_ENCODING},
        {"E with the ML-KEM type byte 0x03", Texts.with(hello, HELLO_E, 0x03), ErrorCode.INVALID_ENCODING},
        {"E of small order (order 8)", Texts.replace(hello, HELLO_E + 1, SMALL_ORDER), ErrorCode.INVALID_KEY},
        {"E not canonical (top bit set)", Texts.flip(hello, HELLO_E + 32, 0x80), ErrorCode.INVALID_KEY},
        {"ek with the X25519 type byte 0x02", Texts.with(hello, HELLO_EK, 0x02), ErrorCode.INVALID_ENCODING},
        {"ek failing the ML-KEM modulus check (its first coefficient is 4095)", ekTooLarge, ErrorCode.INVALID_KEY},
        {"cut after the version", Texts.cut(hello, 1), ErrorCode.TRUNCATED},
        {"cut after the time", Texts.cut(hello, HELLO_E), ErrorCode.TRUNCATED},
        {"cut inside E", Texts.cut(hello, HELLO_E + 20), ErrorCode.TRUNCATED},
        {"cut inside ek", Texts.cut(hello, HELLO_EK + 600), ErrorCode.TRUNCATED},
        {"cut inside the proof (1242 bytes)", Texts.cut(hello, hello.length - 1), ErrorCode.TRUNCATED},
        {"one byte too many (1244 bytes)", Arrays.copyOf(hello, hello.length + 1), ErrorCode.TRAILING_DATA},
        {"proof with one bit flipped", Texts.flip(hello, HELLO_PROOF + 7), ErrorCode.AUTH_FAILED},
        {"E of another hello", Texts.replace(hello, HELLO_E, Arrays.copyOfRange(other, HELLO_E, HELLO_EK)),
            ErrorCode.AUTH_FAILED},
        {"ek of another hello", Texts.replace(hello, HELLO_EK, Arrays.copyOfRange(other, HELLO_EK, HELLO_PROOF)),
            ErrorCode.AUTH_FAILED},
      };
      for (Object[] row : rows) {
        accept(cases, "LinkHello: " + row[0], h.linkPrivate(), List.of(), (byte[]) row[1], T0, (ErrorCode) row[2]);
      }
      Handshake elsewhere = handshake();
      accept(cases, "LinkHello sent to another responder's link key (the proof does not verify)", h.linkPrivate(),
          List.of(), elsewhere.trace().hello(), T0, ErrorCode.AUTH_FAILED);
      replays(cases);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A hello the responder accepted (at {@code now}) before it reads the case's hello. */
  private record Prior(byte[] hello, long now) {}

  /** spec: transport.adoc#link-replay: hellos read after others were accepted. */
  private void replays(Cases cases) throws SottoException {
    long w = LinkResponder.CLOCK_WINDOW_SECONDS;
    Handshake h = handshake();
    byte[] hello = h.trace().hello();
    byte[] other = LinkTrace.compute(h.linkPrivate(), T0, random.bytes(32), random.bytes(64), h.f(), h.m()).hello();
    accept(cases, "LinkHello replayed: the responder accepted the same hello at the same second",
        h.linkPrivate(), List.of(new Prior(hello, T0)), hello, T0, ErrorCode.REPLAY);
    accept(cases, "LinkHello replayed after another hello was accepted: the filter holds both",
        h.linkPrivate(), List.of(new Prior(hello, T0), new Prior(other, T0 + 1)), hello, T0 + 2, ErrorCode.REPLAY);
    accept(cases, "LinkHello replayed with its proof's last bit flipped: another hello, whose proof does not verify",
        h.linkPrivate(), List.of(new Prior(hello, T0)), Texts.flip(hello, hello.length - 1), T0, ErrorCode.AUTH_FAILED);
    accept(cases, "LinkHello replayed 121 s after it was accepted: the clock check comes before the filter",
        h.linkPrivate(), List.of(new Prior(hello, T0)), hello, T0 + w + 1, ErrorCode.EXPIRED);
    // A hello from a clock 120 s ahead, accepted at once: it passes the clock check 240 s more.
    Handshake ahead = handshake(T0 + w, T0);
    byte[] early = ahead.trace().hello();
    accept(cases, "LinkHello from a clock 120 s ahead, accepted at once, replayed 240 s later (the last second its "
        + "time passes the clock check): the filter still holds it", ahead.linkPrivate(),
        List.of(new Prior(early, T0)), early, T0 + 2 * w, ErrorCode.REPLAY);
  }

  /**
   * A full replay filter (spec: transport.adoc#link-replay): its capacity is the responder's (sized
   * from its handshake budget), here 2, given to the responder as {@code filter_capacity}. Two
   * hellos fill it; a third is refused after its proof verifies; a replay is refused before.
   */
  private void fullFilter(Cases cases) {
    try {
      Handshake h = handshake();
      byte[] first = h.trace().hello();
      byte[] second = LinkTrace.compute(h.linkPrivate(), T0, random.bytes(32), random.bytes(64), h.f(), h.m()).hello();
      byte[] third = LinkTrace.compute(h.linkPrivate(), T0, random.bytes(32), random.bytes(64), h.f(), h.m()).hello();
      List<Prior> full = List.of(new Prior(first, T0), new Prior(second, T0 + 1));
      accept(cases, "LinkHello to a responder whose replay filter (capacity 2) holds two hellos accepted within 240 s: "
          + "a full filter", h.linkPrivate(), 2, full, third, T0 + 2, ErrorCode.LIMIT_EXCEEDED);
      accept(cases, "LinkHello replayed to a full replay filter: the replay is found before the filter is asked for "
          + "room", h.linkPrivate(), 2, full, second, T0 + 2, ErrorCode.REPLAY);
      accept(cases, "LinkHello whose proof does not verify, to a full replay filter: the proof is checked before the "
          + "filter is asked for room", h.linkPrivate(), 2, full, Texts.flip(third, third.length - 1), T0 + 2,
          ErrorCode.AUTH_FAILED);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void accept(Cases cases, String comment, byte[] linkPrivate, List<Prior> prior, byte[] hello, long now,
      ErrorCode error) {
    accept(cases, comment, linkPrivate, null, prior, hello, now, error);
  }

  private static void accept(Cases cases, String comment, byte[] linkPrivate, Integer filterCapacity,
      List<Prior> prior, byte[] hello, long now, ErrorCode error) {
    if (prior.size() > PRIOR_LIMIT) {
      throw new IllegalStateException("an accept case has at most " + PRIOR_LIMIT + " prior hellos");
    }
    ObjectNode in = Json.object().put("responder_link_private", Bytes.hex(linkPrivate));
    if (filterCapacity != null) {
      in.put("filter_capacity", filterCapacity);
    }
    ArrayNode list = in.putArray("prior");
    prior.forEach(p -> list.addObject().put("hello", Bytes.hex(p.hello())).put("now", p.now()));
    in.put("hello", Bytes.hex(hello)).put("now", now);
    cases.invalid("accept", comment, in, error);
  }

  private void invalidAccepts(Cases cases) {
    try {
      Handshake h = handshake();
      LinkTrace t = h.trace();
      byte[] accept = t.accept();
      // Another responder's answer to the same hello, and a responder that answers without the link key.
      byte[] otherAccept = handshake().trace().accept();
      LinkTrace impostor = LinkTrace.compute(random.bytes(32), h.time(), h.e(), h.kemSeed(), h.f(), h.m());
      Object[][] rows = {
        {"empty", new byte[0], ErrorCode.TRUNCATED},
        {"F with type byte 0x01", Texts.with(accept, 0, 0x01), ErrorCode.INVALID_ENCODING},
        {"F of small order (order 8)", Texts.replace(accept, 1, SMALL_ORDER), ErrorCode.INVALID_KEY},
        {"F not canonical (top bit set)", Texts.flip(accept, 32, 0x80), ErrorCode.INVALID_KEY},
        {"cut inside F", Texts.cut(accept, 10), ErrorCode.TRUNCATED},
        {"cut inside ct", Texts.cut(accept, ACCEPT_CT + 500), ErrorCode.TRUNCATED},
        {"cut inside confirm (1136 bytes)", Texts.cut(accept, accept.length - 1), ErrorCode.TRUNCATED},
        {"one byte too many (1138 bytes)", Arrays.copyOf(accept, accept.length + 1), ErrorCode.TRAILING_DATA},
        {"confirm with one bit flipped", Texts.flip(accept, ACCEPT_CONFIRM + 3), ErrorCode.AUTH_FAILED},
        {"ct with one bit flipped (decapsulation gives another kem)", Texts.flip(accept, ACCEPT_CT + 100),
            ErrorCode.AUTH_FAILED},
        {"F of another accept", Texts.replace(accept, 0, Arrays.copyOfRange(otherAccept, 0, ACCEPT_CT)),
            ErrorCode.AUTH_FAILED},
        {"the LinkAccept of another handshake", otherAccept, ErrorCode.AUTH_FAILED},
        {"made by a node that does not hold the link key (es differs)", impostor.accept(), ErrorCode.AUTH_FAILED},
      };
      for (Object[] row : rows) {
        ObjectNode in = Json.object().put("responder_link_public", Bytes.hex(t.linkPublic()));
        in.put("initiator_time", h.time());
        in.putObject("initiator_random").put("e", Bytes.hex(h.e())).put("kem_seed", Bytes.hex(h.kemSeed()));
        in.put("accept", Bytes.hex((byte[]) row[1]));
        cases.invalid("finish", "LinkAccept: " + row[0], in, (ErrorCode) row[2]);
      }
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A frame plaintext of class {@code frameClass}: the header with {@code length}, then {@code body}, then zeros. */
  private static byte[] plaintext(int frameClass, int type, long requestId, long length, byte[] body) {
    byte[] plaintext = new byte[Link.FRAME_SIZES.get(frameClass) - 17];
    byte[] start = new Writer().u8(type).u32(requestId).u32(length).bytes(body).toByteArray();
    System.arraycopy(start, 0, plaintext, 0, start.length);
    return plaintext;
  }

  private void invalidFrames(Cases cases) {
    try {
      Handshake h = handshake();
      LinkTrace t = h.trace();
      Ends ends = h.run();
      List<byte[]> i2r = new ArrayList<>();
      for (long id = 1; id <= 4; id++) {
        i2r.add(ends.initiatorLink().seal(Frame.fetch(id, List.of(random.bytes(16)))));
      }
      byte[] r2i = ends.responderLink().seal(Frame.ok(1));
      byte[] body = random.bytes(20);

      openFrame(cases, "class byte 0x04", h, "responder", List.of(), Texts.with(i2r.get(0), 0, 0x04),
          ErrorCode.INVALID_ENCODING);
      openFrame(cases, "class byte 0xff", h, "responder", List.of(), Texts.with(i2r.get(0), 0, 0xff),
          ErrorCode.INVALID_ENCODING);
      openFrame(cases, "ciphertext with one bit flipped", h, "responder", i2r.subList(0, 2), Texts.flip(i2r.get(2), 40),
          ErrorCode.AUTH_FAILED);
      openFrame(cases, "authentication tag with one bit flipped", h, "responder", List.of(),
          Texts.flip(i2r.get(0), i2r.get(0).length - 1, 0x80), ErrorCode.AUTH_FAILED);
      openFrame(cases, "a frame replayed: the frame of counter 0 again at counter 1", h, "responder", i2r.subList(0, 1),
          i2r.get(0), ErrorCode.AUTH_FAILED);
      openFrame(cases, "the frame of counter 1 at counter 0 (out of order)", h, "responder", List.of(), i2r.get(1),
          ErrorCode.AUTH_FAILED);
      openFrame(cases, "a frame sealed under k_r2i sent to the responder (the other direction's key)", h, "responder",
          List.of(), r2i, ErrorCode.AUTH_FAILED);
      openFrame(cases, "a frame sealed under k_i2r sent to the initiator (the other direction's key)", h, "initiator",
          List.of(), i2r.get(0), ErrorCode.AUTH_FAILED);
      openFrame(cases, "class 0 relabelled class 1, the frame padded with zeros to 4160 bytes (the class is the "
          + "associated data)", h, "responder", List.of(), Arrays.copyOf(Texts.with(i2r.get(0), 0, 0x01), 4160),
          ErrorCode.AUTH_FAILED);
      openFrame(cases, "one byte short (1087 bytes of class 0)", h, "responder", List.of(),
          Texts.cut(i2r.get(0), 1087), ErrorCode.TRUNCATED);
      openFrame(cases, "one byte too many (1089 bytes of class 0)", h, "responder", List.of(),
          Arrays.copyOf(i2r.get(0), 1089), ErrorCode.TRAILING_DATA);

      // Authentic frames with a malformed plaintext, sealed under the right key and counter.
      openFrame(cases, "class 0 with length 1063, one more than its largest body (authentic)", h, "responder",
          i2r.subList(0, 1), LinkTrace.sealFrame(t.kI2r(), 1, 0, plaintext(0, Frame.FETCH, 2, 1063, body)),
          ErrorCode.INVALID_ENCODING);
      openFrame(cases, "class 0 with length 2^32 - 1 (authentic)", h, "responder", List.of(),
          LinkTrace.sealFrame(t.kI2r(), 0, 0, plaintext(0, Frame.FETCH, 1, 0xffffffffL, body)),
          ErrorCode.INVALID_ENCODING);
      openFrame(cases, "class 1 with length 4135, one more than its largest body (authentic)", h, "responder",
          i2r.subList(0, 2), LinkTrace.sealFrame(t.kI2r(), 2, 1, plaintext(1, Frame.FETCH, 3, 4135, body)),
          ErrorCode.INVALID_ENCODING);
      byte[] lastPadding = plaintext(0, Frame.FETCH, 4, body.length, body);
      lastPadding[lastPadding.length - 1] = 0x01;
      openFrame(cases, "a non-zero last padding byte (authentic)", h, "responder", i2r.subList(0, 3),
          LinkTrace.sealFrame(t.kI2r(), 3, 0, lastPadding), ErrorCode.INVALID_ENCODING);
      byte[] firstPadding = plaintext(0, Frame.FETCH, 1, body.length, body);
      firstPadding[9 + body.length] = (byte) 0x80;
      openFrame(cases, "a non-zero padding byte just after the body (authentic)", h, "responder", List.of(),
          LinkTrace.sealFrame(t.kI2r(), 0, 0, firstPadding), ErrorCode.INVALID_ENCODING);
      byte[] responderPadding = plaintext(0, Frame.OK, 1, 0, new byte[0]);
      responderPadding[500] = 0x01;
      openFrame(cases, "a response with a non-zero padding byte, at the initiator (authentic)", h, "initiator",
          List.of(), LinkTrace.sealFrame(t.kR2i(), 0, 0, responderPadding), ErrorCode.INVALID_ENCODING);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void openFrame(Cases cases, String comment, Handshake h, String receiver, List<byte[]> prior,
      byte[] frame, ErrorCode error) {
    ObjectNode in = h.toJson(Json.object());
    in.put("receiver", receiver);
    ArrayNode list = in.putArray("prior");
    prior.forEach(p -> list.add(Bytes.hex(p)));
    in.put("counter", prior.size());
    in.put("frame", Bytes.hex(frame));
    cases.invalid("open_frame", "frame: " + comment, in, error);
  }

  private void bodies(Cases cases) {
    byte[] tag = random.bytes(16);
    byte[] other = random.bytes(16);
    Envelope small = envelope(1024, tag);
    Envelope medium = envelope(4096, other);
    body(cases, "DELIVER of a 1,024-byte envelope", Frame.DELIVER, small.encoded(), null);
    body(cases, "DELIVER of a 4,096-byte envelope", Frame.DELIVER, medium.encoded(), null);
    body(cases, "DEPOSIT of a 1,024-byte envelope", Frame.DEPOSIT, small.encoded(), null);
    body(cases, "FETCH of one tag", Frame.FETCH, Frame.fetch(1, List.of(tag)).body(), null);
    body(cases, "FETCH of three tags, one of them twice: it counts once", Frame.FETCH,
        Frame.fetch(1, List.of(tag, other, tag)).body(), null);
    List<byte[]> many = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      many.add(random.bytes(16));
    }
    body(cases, "FETCH of 1,024 tags (the most)", Frame.FETCH, Frame.fetch(1, many).body(), null);
    body(cases, "ACK of one item", Frame.ACK, Frame.ack(1, List.of(1L)).body(), null);
    body(cases, "ACK of item ids 1 and 2^63 - 1 (the largest)", Frame.ACK, Frame.ack(1, List.of(1L, Long.MAX_VALUE)).body(),
        null);
    List<Long> ids = new ArrayList<>();
    for (long i = 1; i <= Frame.MAX_COUNT; i++) {
      ids.add(i * 1000);
    }
    body(cases, "ACK of 1,024 items (the most)", Frame.ACK, Frame.ack(1, ids).body(), null);
    body(cases, "ERROR UNSUPPORTED_REQUEST", Frame.ERROR, Frame.error(1, ErrorCode.UNSUPPORTED_REQUEST).body(), null);
    body(cases, "ITEM of a 1,024-byte envelope", Frame.ITEM, Frame.item(1, 42, small).body(), null);
    body(cases, "DONE, no more items", Frame.DONE, Frame.done(1, false).body(), null);
    body(cases, "DONE, more items", Frame.DONE, Frame.done(1, true).body(), null);

    byte[] fetch2 = Frame.fetch(1, List.of(tag, other)).body();
    byte[] fetch1025 = new Writer().u16(1025).bytes(new byte[1025 * 16]).toByteArray();
    body(cases, "FETCH, empty", Frame.FETCH, new byte[0], ErrorCode.TRUNCATED);
    body(cases, "FETCH of count 0", Frame.FETCH, new byte[] {0, 0}, ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH of count 1025, with 1025 tags", Frame.FETCH, fetch1025, ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH of count 2, the second tag cut short", Frame.FETCH, Texts.cut(fetch2, fetch2.length - 1),
        ErrorCode.TRUNCATED);
    body(cases, "FETCH of count 2 with one byte after the tags", Frame.FETCH, Arrays.copyOf(fetch2, fetch2.length + 1),
        ErrorCode.TRAILING_DATA);
    byte[] ack2 = Frame.ack(1, List.of(5L, 6L)).body();
    body(cases, "ACK of count 0", Frame.ACK, new byte[] {0, 0}, ErrorCode.INVALID_ENCODING);
    body(cases, "ACK of count 1025, with 1025 ids", Frame.ACK,
        new Writer().u16(1025).bytes(new byte[1025 * 8]).toByteArray(), ErrorCode.INVALID_ENCODING);
    body(cases, "ACK of an item id of 2^63", Frame.ACK, new Writer().u16(1).u32(0x80000000L).u32(0).toByteArray(),
        ErrorCode.INVALID_ENCODING);
    body(cases, "ACK of count 2, the second id cut short", Frame.ACK, Texts.cut(ack2, ack2.length - 3),
        ErrorCode.TRUNCATED);
    body(cases, "ACK of count 2 with one byte after the ids", Frame.ACK, Arrays.copyOf(ack2, ack2.length + 1),
        ErrorCode.TRAILING_DATA);
    byte[] notABucket = Arrays.copyOf(small.encoded(), 1000);
    body(cases, "DELIVER of 1,000 bytes: no bucket size", Frame.DELIVER, notABucket, ErrorCode.INVALID_ENCODING);
    body(cases, "DELIVER of 1,025 bytes: no bucket size", Frame.DELIVER, Arrays.copyOf(small.encoded(), 1025),
        ErrorCode.INVALID_ENCODING);
    body(cases, "DELIVER of an envelope of version 0x01 (revision 1)", Frame.DELIVER, Texts.with(small.encoded(), 0, 0x01),
        ErrorCode.UNSUPPORTED_VERSION);
    body(cases, "DELIVER, empty", Frame.DELIVER, new byte[0], ErrorCode.TRUNCATED);
    body(cases, "DEPOSIT of 17 bytes (a version and a tag): no bucket size", Frame.DEPOSIT,
        Arrays.copyOf(small.encoded(), 17), ErrorCode.INVALID_ENCODING);
    body(cases, "ERROR of 1 byte", Frame.ERROR, new byte[] {0}, ErrorCode.TRUNCATED);
    body(cases, "ERROR of 3 bytes", Frame.ERROR, new byte[] {0, 17, 0}, ErrorCode.TRAILING_DATA);
    byte[] item = Frame.item(1, 42, small).body();
    body(cases, "ITEM with its item id cut short", Frame.ITEM, Texts.cut(item, 5), ErrorCode.TRUNCATED);
    body(cases, "ITEM of an item id of 2^63", Frame.ITEM, Texts.with(item, 0, 0x80), ErrorCode.INVALID_ENCODING);
    body(cases, "ITEM with no envelope", Frame.ITEM, Texts.cut(item, 8), ErrorCode.TRUNCATED);
    body(cases, "ITEM with an envelope of 1,023 bytes", Frame.ITEM, Texts.cut(item, item.length - 1),
        ErrorCode.INVALID_ENCODING);
    body(cases, "DONE, empty", Frame.DONE, new byte[0], ErrorCode.TRUNCATED);
    body(cases, "DONE with more 0x02", Frame.DONE, new byte[] {2}, ErrorCode.INVALID_ENCODING);
    body(cases, "DONE of 2 bytes", Frame.DONE, new byte[] {1, 0}, ErrorCode.TRAILING_DATA);
    prekeyBodies(cases, published());
  }

  /**
   * The backup class's bodies (spec: transport.adoc#backup-class), from a source of their own, so
   * that they shift no other case's bytes.
   */
  private void backupBodies(Cases cases) {
    RandomSource r = TestRandom.deterministic("sotto/vectors/v1/transport/backup-class".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII));
    byte[] credential = r.bytes(32);
    byte[] tag = r.bytes(16);
    byte[] other = r.bytes(16);
    Envelope chunk = envelope(r, 1024, tag);
    byte[] put = Frame.backupPut(1, credential, chunk).body();
    body(cases, "BACKUP_PUT of a 1,024-byte envelope", Frame.BACKUP_PUT, put, null);
    body(cases, "BACKUP_PUT of a 65,536-byte envelope (the largest body of all)", Frame.BACKUP_PUT,
        Frame.backupPut(1, credential, envelope(r, 65536, other)).body(), null);
    for (int type : new int[] {Frame.BACKUP_GET, Frame.BACKUP_KEEP, Frame.BACKUP_DELETE}) {
      String name = type == Frame.BACKUP_GET ? "BACKUP_GET" : type == Frame.BACKUP_KEEP ? "BACKUP_KEEP" : "BACKUP_DELETE";
      body(cases, name + " of one tag", type, Frame.backupTags(type, 1, credential, List.of(tag)).body(), null);
      body(cases, name + " of three tags, one twice: each kept in its place", type,
          Frame.backupTags(type, 1, credential, List.of(tag, other, tag)).body(), null);
    }
    List<byte[]> many = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      many.add(r.bytes(16));
    }
    byte[] keep1024 = Frame.backupTags(Frame.BACKUP_KEEP, 1, credential, many).body();
    body(cases, "BACKUP_KEEP of 1,024 tags (the most)", Frame.BACKUP_KEEP, keep1024, null);
    body(cases, "HELD of one tag, held", Frame.HELD, Frame.held(1, List.of(true)).body(), null);
    body(cases, "HELD of nine tags: a second byte", Frame.HELD,
        Frame.held(1, List.of(true, false, false, true, true, false, true, false, true)).body(), null);
    List<Boolean> bits = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      bits.add(i % 3 == 0);
    }
    body(cases, "HELD of 1,024 tags (the most)", Frame.HELD, Frame.held(1, bits).body(), null);

    byte[] get2 = Frame.backupTags(Frame.BACKUP_GET, 1, credential, List.of(tag, other)).body();
    body(cases, "BACKUP_PUT with the credential cut short", Frame.BACKUP_PUT, Arrays.copyOf(put, 31),
        ErrorCode.TRUNCATED);
    body(cases, "BACKUP_PUT with a credential and no envelope", Frame.BACKUP_PUT, Arrays.copyOf(put, 32),
        ErrorCode.TRUNCATED);
    body(cases, "BACKUP_PUT of an envelope of 1,023 bytes", Frame.BACKUP_PUT, Arrays.copyOf(put, put.length - 1),
        ErrorCode.INVALID_ENCODING);
    body(cases, "BACKUP_PUT of an envelope of version 0x01", Frame.BACKUP_PUT, Texts.with(put, 32, 0x01),
        ErrorCode.UNSUPPORTED_VERSION);
    body(cases, "BACKUP_GET of count 0", Frame.BACKUP_GET, Bytes.concat(credential, new byte[2]),
        ErrorCode.INVALID_ENCODING);
    body(cases, "BACKUP_KEEP of count 1025, with 1025 tags", Frame.BACKUP_KEEP,
        new Writer().bytes(credential).u16(1025).bytes(new byte[1025 * 16]).toByteArray(), ErrorCode.INVALID_ENCODING);
    body(cases, "BACKUP_GET of count 2, the second tag cut short", Frame.BACKUP_GET, Texts.cut(get2, get2.length - 1),
        ErrorCode.TRUNCATED);
    body(cases, "BACKUP_DELETE of count 2 with one byte after the tags", Frame.BACKUP_DELETE,
        Arrays.copyOf(get2, get2.length + 1), ErrorCode.TRAILING_DATA);
    body(cases, "BACKUP_GET with the credential cut short", Frame.BACKUP_GET, Arrays.copyOf(get2, 20),
        ErrorCode.TRUNCATED);
    body(cases, "HELD of count 0", Frame.HELD, new byte[] {0, 0}, ErrorCode.INVALID_ENCODING);
    body(cases, "HELD of count 1025", Frame.HELD, new Writer().u16(1025).bytes(new byte[129]).toByteArray(),
        ErrorCode.INVALID_ENCODING);
    body(cases, "HELD of nine tags with a bit set after the ninth", Frame.HELD, new byte[] {0, 9, 0, 0x40},
        ErrorCode.INVALID_ENCODING);
    body(cases, "HELD of nine tags with one byte of bits", Frame.HELD, new byte[] {0, 9, (byte) 0xff},
        ErrorCode.TRUNCATED);
    body(cases, "HELD of one tag with two bytes of bits", Frame.HELD, new byte[] {0, 1, (byte) 0x80, 0},
        ErrorCode.TRAILING_DATA);
  }

  /**
   * The group item requests' bodies (spec: transport.adoc#mailbox, DEPOSIT_GROUP and TAKE), from a
   * source of their own, so that they shift no other case's bytes.
   */
  private void groupBodies(Cases cases) {
    RandomSource r = TestRandom.deterministic("sotto/vectors/v1/transport/group-items".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII));
    byte[] tag = r.bytes(16);
    byte[] leafA = r.bytes(Frame.LEAF_LENGTH);
    byte[] leafB = r.bytes(Frame.LEAF_LENGTH);
    Envelope small = envelope(r, 1024, tag);
    body(cases, "DEPOSIT_GROUP with no leaves (it leaves only at its expiry)", Frame.DEPOSIT_GROUP,
        Frame.depositGroup(1, List.of(), small).body(), null);
    byte[] three = Frame.depositGroup(1, List.of(leafA, leafB, leafA), small).body();
    body(cases, "DEPOSIT_GROUP with three leaves, one twice: each kept in its place", Frame.DEPOSIT_GROUP, three, null);
    List<byte[]> most = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_LEAVES; i++) {
      most.add(r.bytes(Frame.LEAF_LENGTH));
    }
    most.sort(Arrays::compareUnsigned);
    body(cases, "DEPOSIT_GROUP with 999 leaves (the most: a group of 1,000) and a 1,024-byte envelope",
        Frame.DEPOSIT_GROUP, Frame.depositGroup(1, most, small).body(), null);
    body(cases, "DEPOSIT_GROUP with 4 leaves and a 65,536-byte envelope (the most leaves that fit a frame with it)",
        Frame.DEPOSIT_GROUP, Frame.depositGroup(1, most.subList(0, 4), envelope(r, 65536, r.bytes(16))).body(), null);
    long[] ids = {1, 7, 1L << 40};
    List<Frame.Take> takes = new ArrayList<>();
    for (long id : ids) {
      takes.add(new Frame.Take(id, r.bytes(Frame.TOKEN_LENGTH)));
    }
    byte[] take3 = Frame.take(1, takes).body();
    body(cases, "TAKE of one item", Frame.TAKE, Frame.take(1, takes.subList(0, 1)).body(), null);
    body(cases, "TAKE of three items", Frame.TAKE, take3, null);
    body(cases, "TAKE of one item twice, with two tokens: each kept in its place", Frame.TAKE,
        Frame.take(1, List.of(takes.get(0), new Frame.Take(1, r.bytes(Frame.TOKEN_LENGTH)))).body(), null);
    List<Frame.Take> many = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      many.add(new Frame.Take(i + 1, r.bytes(Frame.TOKEN_LENGTH)));
    }
    body(cases, "TAKE of 1,024 items (the most)", Frame.TAKE, Frame.take(1, many).body(), null);

    byte[] leaves1000 = new Writer().u16(1000).bytes(new byte[1000 * Frame.LEAF_LENGTH]).bytes(small.encoded())
        .toByteArray();
    body(cases, "DEPOSIT_GROUP with leaf_count 1000 and 1,000 leaves", Frame.DEPOSIT_GROUP, leaves1000,
        ErrorCode.INVALID_ENCODING);
    body(cases, "DEPOSIT_GROUP with leaf_count 65535 and nothing after it: the count is checked first",
        Frame.DEPOSIT_GROUP, new byte[] {(byte) 0xff, (byte) 0xff}, ErrorCode.INVALID_ENCODING);
    body(cases, "DEPOSIT_GROUP of one byte", Frame.DEPOSIT_GROUP, new byte[] {0}, ErrorCode.TRUNCATED);
    body(cases, "DEPOSIT_GROUP of three leaves, the third cut short, and no envelope", Frame.DEPOSIT_GROUP,
        Arrays.copyOf(three, 2 + 2 * Frame.LEAF_LENGTH + 5), ErrorCode.TRUNCATED);
    body(cases, "DEPOSIT_GROUP of three leaves and no envelope", Frame.DEPOSIT_GROUP,
        Arrays.copyOf(three, 2 + 3 * Frame.LEAF_LENGTH), ErrorCode.TRUNCATED);
    body(cases, "DEPOSIT_GROUP with an envelope of 1,023 bytes", Frame.DEPOSIT_GROUP,
        Arrays.copyOf(three, three.length - 1), ErrorCode.INVALID_ENCODING);
    body(cases, "DEPOSIT_GROUP with an envelope of 1,025 bytes", Frame.DEPOSIT_GROUP,
        Arrays.copyOf(three, three.length + 1), ErrorCode.INVALID_ENCODING);
    body(cases, "DEPOSIT_GROUP with an envelope of version 0x01", Frame.DEPOSIT_GROUP,
        Texts.with(three, 2 + 3 * Frame.LEAF_LENGTH, 0x01), ErrorCode.UNSUPPORTED_VERSION);
    byte[] shortCount = Texts.with(Texts.with(three, 1, 2), 2 + 2 * Frame.LEAF_LENGTH, Envelope.VERSION);
    body(cases, "DEPOSIT_GROUP with leaf_count 2 before three leaves: the third leaf begins the envelope (version "
        + "0x02), whose 1,032 bytes are no bucket", Frame.DEPOSIT_GROUP, shortCount, ErrorCode.INVALID_ENCODING);
    body(cases, "TAKE of count 0", Frame.TAKE, new byte[2], ErrorCode.INVALID_ENCODING);
    body(cases, "TAKE of count 1025, with 1025 entries", Frame.TAKE,
        new Writer().u16(1025).bytes(new byte[1025 * 24]).toByteArray(), ErrorCode.INVALID_ENCODING);
    body(cases, "TAKE of three items, the last token cut short", Frame.TAKE, Texts.cut(take3, take3.length - 1),
        ErrorCode.TRUNCATED);
    body(cases, "TAKE of three items with one byte after them", Frame.TAKE, Arrays.copyOf(take3, take3.length + 1),
        ErrorCode.TRAILING_DATA);
    body(cases, "TAKE of an item id of 2^63", Frame.TAKE, Texts.with(Frame.take(1, takes.subList(0, 1)).body(), 2, 0x80),
        ErrorCode.INVALID_ENCODING);
    fetchGroupBodies(cases);
    fetchPrefixBodies(cases);
  }

  /**
   * FETCH_PREFIX bodies (spec: transport.adoc#fetch-prefix). They use no random value, so they
   * shift no other case's bytes.
   */
  private void fetchPrefixBodies(Cases cases) {
    byte[] one = Frame.fetchPrefix(1, new Frame.PrefixFetch(0, 8, List.of(0xa500))).body();
    body(cases, "FETCH_PREFIX of one prefix of 8 bits, from the first item", Frame.FETCH_PREFIX, one, null);
    byte[] three = Frame.fetchPrefix(1, new Frame.PrefixFetch(4097, 12, List.of(0x1230, 0xfff0, 0x1230))).body();
    body(cases, "FETCH_PREFIX of three prefixes of 12 bits, one twice: each kept in its place, after item 4097",
        Frame.FETCH_PREFIX, three, null);
    body(cases, "FETCH_PREFIX of the prefix of 0 bits (every item)", Frame.FETCH_PREFIX,
        Frame.fetchPrefix(1, new Frame.PrefixFetch(0, 0, List.of(0))).body(), null);
    body(cases, "FETCH_PREFIX of a prefix of 16 bits", Frame.FETCH_PREFIX,
        Frame.fetchPrefix(1, new Frame.PrefixFetch(Long.MAX_VALUE, 16, List.of(0xffff))).body(), null);
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      all.add(i << 6);
    }
    body(cases, "FETCH_PREFIX of 1,024 prefixes of 10 bits (the most, every prefix)", Frame.FETCH_PREFIX,
        Frame.fetchPrefix(1, new Frame.PrefixFetch(0, 10, all)).body(), null);
    body(cases, "FETCH_PREFIX of bits 17", Frame.FETCH_PREFIX, Texts.with(one, 8, 17), ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_PREFIX of a prefix of 8 bits with a bit set after them", Frame.FETCH_PREFIX,
        Texts.with(one, 12, 0x01), ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_PREFIX of the prefix of 0 bits with a bit set", Frame.FETCH_PREFIX,
        Frame.of(Frame.FETCH_PREFIX, 1, new Writer().u64(0).u8(0).u16(1).u16(0x8000).toByteArray()).body(),
        ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_PREFIX of after 2^63", Frame.FETCH_PREFIX, Texts.with(one, 0, 0x80), ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_PREFIX of count 0", Frame.FETCH_PREFIX, Arrays.copyOf(Texts.with(one, 10, 0), 11),
        ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_PREFIX of count 1025 and nothing after it: the count is checked first", Frame.FETCH_PREFIX,
        new Writer().u64(0).u8(8).u16(1025).toByteArray(), ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_PREFIX of 10 bytes (bits but no count)", Frame.FETCH_PREFIX, Arrays.copyOf(one, 10),
        ErrorCode.TRUNCATED);
    body(cases, "FETCH_PREFIX of count 3 with its last prefix cut short", Frame.FETCH_PREFIX,
        Arrays.copyOf(three, three.length - 1), ErrorCode.TRUNCATED);
    body(cases, "FETCH_PREFIX of count 2 before three prefixes", Frame.FETCH_PREFIX, Texts.with(three, 10, 2),
        ErrorCode.TRAILING_DATA);
  }
  /**
   * FETCH_GROUP bodies (spec: transport.adoc#mailbox), from a source of their own, so that they
   * shift no other case's bytes.
   */
  private void fetchGroupBodies(Cases cases) {
    RandomSource r = TestRandom.deterministic("sotto/vectors/v1/transport/fetch-group".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII));
    List<Frame.Watch> watches = new ArrayList<>();
    for (int i = 0; i < Frame.MAX_COUNT; i++) {
      watches.add(new Frame.Watch(r.bytes(16), r.bytes(Frame.LEAF_LENGTH)));
    }
    body(cases, "FETCH_GROUP of one tag and its leaf", Frame.FETCH_GROUP,
        Frame.fetchGroup(1, watches.subList(0, 1)).body(), null);
    byte[] three = Frame.fetchGroup(1, List.of(watches.get(0), watches.get(1), watches.get(0))).body();
    body(cases, "FETCH_GROUP of three entries, one twice: each kept in its place", Frame.FETCH_GROUP, three, null);
    body(cases, "FETCH_GROUP of one tag with two leaves", Frame.FETCH_GROUP, Frame.fetchGroup(1, List.of(watches.get(0),
        new Frame.Watch(watches.get(0).tag(), watches.get(1).leaf()))).body(), null);
    body(cases, "FETCH_GROUP of 1,024 entries (the most)", Frame.FETCH_GROUP, Frame.fetchGroup(1, watches).body(), null);
    body(cases, "FETCH_GROUP of count 0", Frame.FETCH_GROUP, new byte[2], ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_GROUP of count 1025 and nothing after it: the count is checked first", Frame.FETCH_GROUP,
        new byte[] {0x04, 0x01}, ErrorCode.INVALID_ENCODING);
    body(cases, "FETCH_GROUP of one byte", Frame.FETCH_GROUP, new byte[] {0}, ErrorCode.TRUNCATED);
    body(cases, "FETCH_GROUP of count 3 with its last leaf cut short", Frame.FETCH_GROUP,
        Arrays.copyOf(three, three.length - 1), ErrorCode.TRUNCATED);
    body(cases, "FETCH_GROUP of count 3 and a tag without its leaf", Frame.FETCH_GROUP,
        Arrays.copyOf(three, 2 + 2 * 24 + 16), ErrorCode.TRUNCATED);
    body(cases, "FETCH_GROUP of count 2 before three entries", Frame.FETCH_GROUP, Texts.with(three, 1, 2),
        ErrorCode.TRAILING_DATA);
  }


  private static void body(Cases cases, String comment, int type, byte[] body, ErrorCode error) {
    ObjectNode in = Json.object().put("type", type).put("body", Bytes.hex(body));
    if (error != null) {
      cases.invalid("read_body", comment, in, error);
      return;
    }
    try {
      cases.valid("read_body", comment, in, readBody(Frame.of(type, 1, body)));
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' body: " + comment, e);
    }
  }

  /** What a body holds, by type (spec: transport.adoc#request-table). */
  private static ObjectNode readBody(Frame frame) throws SottoException {
    // spec: transport.adoc#request-table and #prekey-service
    ObjectNode out = Json.object();
    switch (frame.type()) {
      case Frame.DELIVER, Frame.DEPOSIT -> out.put("tag", Bytes.hex(frame.envelope().tag()));
      case Frame.FETCH -> {
        ArrayNode tags = out.putArray("tags");
        frame.tags().forEach(t -> tags.add(Bytes.hex(t)));
      }
      case Frame.ACK -> {
        ArrayNode ids = out.putArray("item_ids");
        frame.itemIds().forEach(ids::add);
      }
      case Frame.ERROR -> out.put("code", frame.errorNumber());
      case Frame.ITEM -> out.put("item_id", frame.itemId()).put("tag", Bytes.hex(frame.itemEnvelope().tag()));
      case Frame.DONE -> out.put("more", frame.more());
      case Frame.PUBLISH -> {
        Frame.Publish publish = frame.publishBody();
        out.put("bundle_tag", Bytes.hex(publish.bundleTag())).put("credential", Bytes.hex(publish.credential()));
        items(out, publish.items());
      }
      case Frame.GET_PREKEYS -> out.put("bundle_tag", Bytes.hex(frame.bundleTag()));
      case Frame.PREKEYS -> items(out, frame.prekeyItems());
      case Frame.BACKUP_PUT -> {
        Frame.BackupPut put = frame.backupPutBody();
        out.put("credential", Bytes.hex(put.credential())).put("tag", Bytes.hex(put.envelope().tag()));
      }
      case Frame.BACKUP_GET, Frame.BACKUP_KEEP, Frame.BACKUP_DELETE -> {
        Frame.BackupTags body = frame.backupTagsBody();
        out.put("credential", Bytes.hex(body.credential()));
        ArrayNode tags = out.putArray("tags");
        body.tags().forEach(t -> tags.add(Bytes.hex(t)));
      }
      case Frame.HELD -> {
        ArrayNode held = out.putArray("held");
        frame.heldBody().forEach(held::add);
      }
      case Frame.DEPOSIT_GROUP -> {
        Frame.GroupDeposit deposit = frame.groupDepositBody();
        ArrayNode leaves = out.putArray("leaves");
        deposit.leaves().forEach(l -> leaves.add(Bytes.hex(l)));
        out.put("tag", Bytes.hex(deposit.envelope().tag()));
      }
      case Frame.TAKE -> {
        ArrayNode takes = out.putArray("takes");
        for (Frame.Take t : frame.takes()) {
          takes.addObject().put("item_id", t.itemId()).put("token", Bytes.hex(t.token()));
        }
      }
      case Frame.FETCH_PREFIX -> {
        Frame.PrefixFetch fetch = frame.prefixFetchBody();
        out.put("after", fetch.after()).put("bits", fetch.bits());
        ArrayNode prefixes = out.putArray("prefixes");
        fetch.prefixes().forEach(prefixes::add);
      }
      case Frame.FETCH_GROUP -> {
        ArrayNode watches = out.putArray("watches");
        for (Frame.Watch w : frame.watches()) {
          watches.addObject().put("tag", Bytes.hex(w.tag())).put("leaf", Bytes.hex(w.leaf()));
        }
      }
      default -> throw new IllegalArgumentException("no body reader for type " + frame.type());
    }
    return out;
  }

  /** The items of a PUBLISH or PREKEYS body: what a mailbox reads of each (spec: transport.adoc#prekey-service). */
  private static void items(ObjectNode out, List<Frame.PrekeyItem> items) {
    ArrayNode list = out.putArray("items");
    for (Frame.PrekeyItem item : items) {
      ObjectNode node = list.addObject().put("kind", switch (item.kind()) {
        case BUNDLE -> "bundle";
        case X25519_ONE_TIME -> "x25519_one_time";
        case ML_KEM_ONE_TIME -> "ml_kem_one_time";
      }).put("length", item.encoded().length);
      if (item.kind() == Frame.PrekeyItem.Kind.BUNDLE) {
        node.put("serial", item.serial());
      }
      node.put("expires", item.expires());
    }
  }

  /** The prekeys of the prekey-service bodies and scripts: a card, two bundles and 64 + 1 one-time prekeys. */
  private record Published(byte[] bundleTag, List<Frame.PrekeyItem> bundles, List<Frame.PrekeyItem> x25519,
      Frame.PrekeyItem kem) {}

  private Published published() {
    CardRecipe card = CardRecipe.record(random.bytes(32), T0, T0 + 365 * DAY,
        List.of(Address.mailbox("mailbox.example.org", 7401, X25519.publicKey(random.bytes(32)))), random);
    PrekeyRecipe first = PrekeyRecipe.record(card, 0, 0, T0, T0 + 3 * DAY, T0 + 3 * DAY, 64, 1, random);
    PrekeyRecipe.Made made = first.make();
    PrekeyBundle newer = made.responder().issueBundle(made.card(), Instant.ofEpochSecond(T0 + DAY),
        Instant.ofEpochSecond(T0 + 4 * DAY), random);
    List<Frame.PrekeyItem> x25519 = new ArrayList<>();
    Frame.PrekeyItem kem = null;
    for (OneTimePrekey p : made.oneTime()) {
      if (p.isKem()) {
        kem = Frame.PrekeyItem.of(p);
      } else {
        x25519.add(Frame.PrekeyItem.of(p));
      }
    }
    return new Published(made.card().bundleTag(),
        List.of(Frame.PrekeyItem.of(newer), Frame.PrekeyItem.of(made.bundle())), x25519, kem);
  }

  /** spec: transport.adoc#prekey-service: PUBLISH, GET_PREKEYS and PREKEYS bodies, read and refused. */
  private void prekeyBodies(Cases cases, Published p) {
    byte[] credential = random.bytes(Frame.CREDENTIAL_LENGTH);
    Frame.PrekeyItem bundle = p.bundles().get(1);
    Frame.PrekeyItem x = p.x25519().get(0);
    byte[] one = Frame.publish(1, p.bundleTag(), credential, List.of(bundle)).body();
    byte[] three = Frame.publish(1, p.bundleTag(), credential, List.of(bundle, x, p.kem())).body();
    body(cases, "PUBLISH of a bundle", Frame.PUBLISH, one, null);
    body(cases, "PUBLISH of a bundle, an X25519 and an ML-KEM-768 one-time prekey record", Frame.PUBLISH, three, null);
    body(cases, "PUBLISH of 64 X25519 one-time prekey records (the most)", Frame.PUBLISH,
        Frame.publish(1, p.bundleTag(), credential, p.x25519()).body(), null);
    body(cases, "GET_PREKEYS", Frame.GET_PREKEYS, Frame.getPrekeys(1, p.bundleTag()).body(), null);
    body(cases, "PREKEYS of no item (nothing published under the tag)", Frame.PREKEYS,
        Frame.prekeys(1, List.of()).body(), null);
    byte[] answer = Frame.prekeys(1, List.of(p.bundles().get(0), bundle, x, p.kem())).body();
    body(cases, "PREKEYS of two bundles (the newest first) and a one-time prekey record of each kind", Frame.PREKEYS,
        answer, null);

    int count = Card.BUNDLE_TAG_LENGTH + Frame.CREDENTIAL_LENGTH;
    List<Frame.PrekeyItem> sixtyFive = new ArrayList<>(p.x25519());
    sixtyFive.add(x);
    Writer over = new Writer().bytes(p.bundleTag()).bytes(credential).u16(65);
    sixtyFive.forEach(i -> over.u16(i.encoded().length).bytes(i.encoded()));
    body(cases, "PUBLISH, empty", Frame.PUBLISH, new byte[0], ErrorCode.TRUNCATED);
    body(cases, "PUBLISH cut inside the credential", Frame.PUBLISH, Texts.cut(one, 40), ErrorCode.TRUNCATED);
    body(cases, "PUBLISH cut before the count", Frame.PUBLISH, Texts.cut(one, count), ErrorCode.TRUNCATED);
    body(cases, "PUBLISH of count 0", Frame.PUBLISH, Bytes.concat(Texts.cut(one, count), new byte[2]),
        ErrorCode.INVALID_ENCODING);
    body(cases, "PUBLISH of count 65, with 65 items", Frame.PUBLISH, over.toByteArray(), ErrorCode.INVALID_ENCODING);
    body(cases, "PUBLISH of count 2 with one item", Frame.PUBLISH, Texts.replace(one, count, new byte[] {0, 2}),
        ErrorCode.TRUNCATED);
    body(cases, "PUBLISH with an item cut short", Frame.PUBLISH, Texts.cut(one, one.length - 1), ErrorCode.TRUNCATED);
    body(cases, "PUBLISH with one byte after the items", Frame.PUBLISH, Arrays.copyOf(one, one.length + 1),
        ErrorCode.TRAILING_DATA);
    body(cases, "PUBLISH of an item of 1,000 bytes: no bundle's nor one-time prekey record's length", Frame.PUBLISH,
        Bytes.concat(Texts.cut(one, count), new Writer().u16(1).u16(1000).toByteArray(),
            Arrays.copyOf(bundle.encoded(), 1000)), ErrorCode.INVALID_ENCODING);
    body(cases, "PUBLISH of an item of length 0", Frame.PUBLISH,
        Bytes.concat(Texts.cut(one, count), new Writer().u16(1).u16(0).toByteArray()), ErrorCode.INVALID_ENCODING);
    body(cases, "PUBLISH of a bundle of version 0x01", Frame.PUBLISH, Texts.with(one, count + 4, 0x01),
        ErrorCode.UNSUPPORTED_VERSION);
    body(cases, "PUBLISH of a one-time prekey record of version 0x03, after a bundle", Frame.PUBLISH,
        Texts.with(three, count + 4 + bundle.encoded().length + 2, 0x03), ErrorCode.UNSUPPORTED_VERSION);
    byte[] get = Frame.getPrekeys(1, p.bundleTag()).body();
    body(cases, "GET_PREKEYS of 15 bytes", Frame.GET_PREKEYS, Texts.cut(get, 15), ErrorCode.TRUNCATED);
    body(cases, "GET_PREKEYS of 17 bytes", Frame.GET_PREKEYS, Arrays.copyOf(get, 17), ErrorCode.TRAILING_DATA);
    body(cases, "PREKEYS, empty", Frame.PREKEYS, new byte[0], ErrorCode.TRUNCATED);
    body(cases, "PREKEYS of count 65, with 65 items", Frame.PREKEYS, Arrays.copyOfRange(over.toByteArray(), count,
        over.toByteArray().length), ErrorCode.INVALID_ENCODING);
    body(cases, "PREKEYS with one byte after the items", Frame.PREKEYS, Arrays.copyOf(answer, answer.length + 1),
        ErrorCode.TRAILING_DATA);
    body(cases, "PREKEYS of a bundle of version 0x03", Frame.PREKEYS, Texts.with(answer, 4, 0x03),
        ErrorCode.UNSUPPORTED_VERSION);
  }

  // ---------------------------------------------------------------- node messages

  private void nodeMessages(Cases cases) {
    long now = T0 + 3600;
    byte[] peerLinkKey = X25519.publicKey(random.bytes(32));
    byte[] mailboxLinkKey = X25519.publicKey(random.bytes(32));
    List<Address> addresses = List.of(Address.peer("peer.example.org", 7400, peerLinkKey),
        Address.mailbox("mailbox.example.org", 7401, mailboxLinkKey));
    byte[] aliceSeed = random.bytes(32);
    PrekeyRecipe alice = sender(CardRecipe.record(aliceSeed, T0, T0 + 365 * DAY, addresses, random), 0);
    PrekeyRecipe bob = sender(CardRecipe.record(random.bytes(32), T0, T0 + 365 * DAY, addresses.subList(1, 2), random),
        0);
    // Alice's second card, and its bundle.
    PrekeyRecipe aliceAgain = sender(CardRecipe.record(aliceSeed, T0, T0 + 365 * DAY, addresses, random), 4);

    StringBuilder longName = new StringBuilder();
    while (longName.toString().getBytes(StandardCharsets.UTF_8).length + 6 <= NodeMessage.MAX_NAME_BYTES) {
      longName.append("Zoë 🦊");
    }
    while (longName.toString().getBytes(StandardCharsets.UTF_8).length < NodeMessage.MAX_NAME_BYTES) {
      longName.append('.');
    }
    hello(cases, "HELLO: an ASCII name, a card and a bundle of it", 0, now - 5, "Alice", alice, now);
    hello(cases, "HELLO: a name of 64 UTF-8 bytes (the most), with multi-byte characters", 0, now, longName.toString(),
        bob, now);
    hello(cases, "HELLO whose bundle expired at now: read all the same (a bundle's time is checked when it is used)", 1,
        now, "Alice", alice, alice.bundle().expires());
    text(cases, "TEXT: ASCII", 1, now, "Hello, Bob!");
    text(cases, "TEXT: multi-byte UTF-8 (2, 3 and 4 bytes)", 2, now, "Grüße aus Köln — 東京 🎉");
    text(cases, "TEXT: empty", 3, now, "");
    text(cases, "TEXT: seq and sent_at 2^63 - 1 (the largest)", Long.MAX_VALUE, Long.MAX_VALUE, "max");
    StringBuilder big = new StringBuilder();
    String pattern = "Sotto node message text, ünïcödé 文字 🎈. ";
    while (big.toString().getBytes(StandardCharsets.UTF_8).length + pattern.getBytes(StandardCharsets.UTF_8).length
        <= NodeMessage.MAX_TEXT_BYTES) {
      big.append(pattern);
    }
    while (big.toString().getBytes(StandardCharsets.UTF_8).length < NodeMessage.MAX_TEXT_BYTES) {
      big.append('~');
    }
    text(cases, "TEXT of 65,536 UTF-8 bytes (the most)", 4, now, big.toString());

    PublicIdentity aliceId = alice.card().owner().publicIdentity();
    PrekeyRecipe.Made aliceMade = alice.make();
    byte[] helloMessage = NodeMessage.hello(0, now, "Alice", aliceMade.bundle()).encode();
    byte[] textMessage = NodeMessage.text(7, now, "hi").encode();
    int cardLength = 1 + 8 + 8 + 1 + 5;
    Object[][] rows = {
      {"empty", new byte[0], ErrorCode.TRUNCATED},
      {"kind 0x09 (the first undefined kind)", Texts.with(textMessage, 0, 0x09), ErrorCode.INVALID_ENCODING},
      {"kind 0x00", Texts.with(textMessage, 0, 0x00), ErrorCode.INVALID_ENCODING},
      {"cut inside seq", Texts.cut(textMessage, 5), ErrorCode.TRUNCATED},
      {"cut inside sent_at", Texts.cut(textMessage, 12), ErrorCode.TRUNCATED},
      {"seq of 2^63", Texts.with(textMessage, 1, 0x80), ErrorCode.INVALID_ENCODING},
      {"sent_at of 2^63", Texts.with(textMessage, 9, 0x80), ErrorCode.INVALID_ENCODING},
      {"HELLO with name_length 0", Bytes.concat(Texts.cut(helloMessage, 17), new byte[] {0},
          Arrays.copyOfRange(helloMessage, cardLength, helloMessage.length)), ErrorCode.INVALID_ENCODING},
      {"HELLO with name_length 65 (and 65 bytes of name)", Bytes.concat(Texts.cut(helloMessage, 17), new byte[] {65},
          "x".repeat(65).getBytes(StandardCharsets.US_ASCII), Arrays.copyOfRange(helloMessage, cardLength,
              helloMessage.length)), ErrorCode.INVALID_ENCODING},
      {"HELLO with a name that is not UTF-8", Texts.with(helloMessage, 18 + 2, 0xff), ErrorCode.INVALID_ENCODING},
      {"HELLO cut inside the name", Texts.cut(helloMessage, 20), ErrorCode.TRUNCATED},
      {"TEXT with the byte 0xff", Bytes.concat(Texts.cut(textMessage, 17), new byte[] {'h', (byte) 0xff}),
          ErrorCode.INVALID_ENCODING},
      {"TEXT with an overlong encoding of '/' (c0 af)", Bytes.concat(Texts.cut(textMessage, 17),
          new byte[] {(byte) 0xc0, (byte) 0xaf}), ErrorCode.INVALID_ENCODING},
      {"TEXT with an encoded surrogate (ed a0 80)", Bytes.concat(Texts.cut(textMessage, 17),
          new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}), ErrorCode.INVALID_ENCODING},
      {"TEXT ending inside a 3-byte character (e2 82)", Bytes.concat(Texts.cut(textMessage, 17),
          new byte[] {'a', (byte) 0xe2, (byte) 0x82}), ErrorCode.INVALID_ENCODING},
      {"TEXT of 65,537 bytes", Bytes.concat(Texts.cut(textMessage, 17),
          "a".repeat(NodeMessage.MAX_TEXT_BYTES + 1).getBytes(StandardCharsets.US_ASCII)), ErrorCode.INVALID_ENCODING},
    };
    for (Object[] row : rows) {
      parseNodeMessage(cases, (String) row[0], (byte[]) row[1], now, aliceId, (ErrorCode) row[2]);
    }
    cardAndBundle(cases, "HELLO", helloMessage, cardLength, now, alice, bob, aliceAgain);
    resets(cases, now, alice, bob, aliceAgain, longName.toString());
  }

  /** A sender's card and a bundle of it (ids {@code spkId} and {@code spkId + 1}), valid three days from T0. */
  private PrekeyRecipe sender(CardRecipe card, long spkId) {
    return PrekeyRecipe.record(card, 0, spkId, T0, T0 + 3 * DAY, T0, 0, 0, random);
  }

  /**
   * The card and bundle that end a HELLO or a RESET ({@code message}, whose card_length is at
   * {@code at}), refused field by field (spec: transport.adoc#node-messages).
   */
  private static void cardAndBundle(Cases cases, String kind, byte[] message, int at, long now, PrekeyRecipe alice,
      PrekeyRecipe bob, PrekeyRecipe aliceAgain) {
    PublicIdentity aliceId = alice.card().owner().publicIdentity();
    PrekeyRecipe.Made made = alice.make();
    byte[] card = made.card().encoded();
    int bundleAt = at + 2 + card.length;
    byte[] head = Texts.cut(message, at);
    byte[] bundle = made.bundle().encoded();
    Object[][] rows = {
      {"cut before card_length", Texts.cut(message, at), ErrorCode.TRUNCATED},
      {"cut inside card_length", Texts.cut(message, at + 1), ErrorCode.TRUNCATED},
      {"card_length 0xffff, more than the rest", Texts.replace(message, at, new byte[] {(byte) 0xff, (byte) 0xff}),
          ErrorCode.TRUNCATED},
      {"card_length 0 (no card)", Bytes.concat(head, new byte[2], card, bundle), ErrorCode.TRUNCATED},
      {"card_length one byte short (the card's last byte read as the bundle's first)",
          Texts.replace(message, at, new byte[] {(byte) ((card.length - 1) >>> 8), (byte) (card.length - 1)}),
          ErrorCode.TRUNCATED},
      {"a card but no bundle", Texts.cut(message, bundleAt), ErrorCode.TRUNCATED},
      {"a card of another identity (with its bundle)", Bytes.concat(head,
          lengthPrefixed(bob.make().card().encoded()), bob.make().bundle().encoded()), ErrorCode.IDENTITY_MISMATCH},
      {"a card whose signature has one bit flipped", Texts.flip(message, bundleAt - 40), ErrorCode.BAD_SIGNATURE},
      {"a card of version 0x01", Texts.with(message, at + 2, 0x01), ErrorCode.UNSUPPORTED_VERSION},
      {"a bundle whose signature has one bit flipped", Texts.flip(message, message.length - 40),
          ErrorCode.BAD_SIGNATURE},
      {"a bundle of the sender's other card", Bytes.concat(Texts.cut(message, bundleAt),
          aliceAgain.make().bundle().encoded()), ErrorCode.BAD_SIGNATURE},
      {"a bundle of version 0x01", Texts.with(message, bundleAt, 0x01), ErrorCode.UNSUPPORTED_VERSION},
      {"a bundle cut by one byte", Texts.cut(message, message.length - 1), ErrorCode.TRUNCATED},
      {"a bundle and one byte after it", Arrays.copyOf(message, message.length + 1), ErrorCode.TRAILING_DATA},
      {"a card whose signature has one bit flipped and a bundle cut short: the card is read first",
          Texts.cut(Texts.flip(message, bundleAt - 40), message.length - 1), ErrorCode.BAD_SIGNATURE},
      {"a bundle of suite 0x0002", Texts.with(message, bundleAt + 2, 0x02), ErrorCode.UNSUPPORTED_SUITE},
    };
    for (Object[] row : rows) {
      parseNodeMessage(cases, kind + ": " + row[0], (byte[]) row[1], now, aliceId, (ErrorCode) row[2]);
    }
    parseNodeMessage(cases, kind + ": a card that expired at now", message, alice.card().expires(), aliceId,
        ErrorCode.EXPIRED);
  }

  private static byte[] lengthPrefixed(byte[] data) {
    return Bytes.concat(new byte[] {(byte) (data.length >>> 8), (byte) data.length}, data);
  }

  /** RESET and SYNC (spec: transport.adoc#node-resets): written and read, then refused field by field. */
  private static void resets(Cases cases, long now, PrekeyRecipe alice, PrekeyRecipe bob, PrekeyRecipe aliceAgain,
      String longName) {
    reset(cases, "RESET: seq = out_seq 9 (not used up), in_seq 4, an ASCII name, a card and a bundle", 9, now, 4, 9,
        "Alice", alice, now);
    reset(cases, "RESET of a node that holds no message of the conversation: seq, in_seq and out_seq 0", 0, now, 0, 0,
        "Alice", alice, now);
    reset(cases, "RESET: in_seq, out_seq and sent_at 2^63 - 1 (the largest), a name of 64 UTF-8 bytes", Long.MAX_VALUE,
        Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, longName, bob, now);
    sync(cases, "SYNC: seq = out_seq 3, in_seq 12", 3, now, 12, 3);
    sync(cases, "SYNC: all zero", 0, 0, 0, 0);
    sync(cases, "SYNC: every u64 2^63 - 1 (the largest)", Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    PublicIdentity aliceId = alice.card().owner().publicIdentity();
    byte[] reset = NodeMessage.reset(9, now, 4, 9, "Alice", alice.make().bundle()).encode();
    byte[] sync = NodeMessage.sync(3, now, 12, 3).encode();
    int name = 1 + 8 + 8 + 8 + 8;
    int card = name + 1 + 5;
    Object[][] rows = {
      {"RESET cut after sent_at (no in_seq)", Texts.cut(reset, 17), ErrorCode.TRUNCATED},
      {"RESET cut inside out_seq", Texts.cut(reset, 30), ErrorCode.TRUNCATED},
      {"RESET with in_seq of 2^63", Texts.with(reset, 17, 0x80), ErrorCode.INVALID_ENCODING},
      {"RESET with out_seq of 2^63", Texts.with(reset, 25, 0x80), ErrorCode.INVALID_ENCODING},
      {"RESET cut before name_length", Texts.cut(reset, name), ErrorCode.TRUNCATED},
      {"RESET with name_length 0", Texts.with(reset, name, 0), ErrorCode.INVALID_ENCODING},
      {"RESET with name_length 65 (checked before the name)", Texts.with(reset, name, 65), ErrorCode.INVALID_ENCODING},
      {"RESET with a name that is not UTF-8", Texts.with(reset, name + 3, 0xff), ErrorCode.INVALID_ENCODING},
      {"RESET cut inside the name", Texts.cut(reset, name + 3), ErrorCode.TRUNCATED},
      {"SYNC cut after sent_at (no in_seq)", Texts.cut(sync, 17), ErrorCode.TRUNCATED},
      {"SYNC cut inside out_seq (32 bytes)", Texts.cut(sync, 32), ErrorCode.TRUNCATED},
      {"SYNC with in_seq of 2^63", Texts.with(sync, 17, 0x80), ErrorCode.INVALID_ENCODING},
      {"SYNC with out_seq of 2^63", Texts.with(sync, 25, 0x80), ErrorCode.INVALID_ENCODING},
      {"SYNC with one byte after out_seq (34 bytes)", Arrays.copyOf(sync, sync.length + 1), ErrorCode.TRAILING_DATA},
      {"SYNC with in_seq of 2^63 and a byte after out_seq (in_seq is read first)",
          Arrays.copyOf(Texts.with(sync, 17, 0x80), sync.length + 1), ErrorCode.INVALID_ENCODING},
    };
    for (Object[] row : rows) {
      parseNodeMessage(cases, (String) row[0], (byte[]) row[1], now, aliceId, (ErrorCode) row[2]);
    }
    cardAndBundle(cases, "RESET", reset, card, now, alice, bob, aliceAgain);
    dropped(cases, now, aliceId);
  }

  /**
   * GROUP_KEY and GROUP_WELCOME (spec: transport.adoc#node-messages), from a source of their own so
   * that they shift no other case's bytes: written and read, then refused.
   */
  private static void groupNodeMessages(Cases cases) {
    RandomSource r = TestRandom.deterministic("sotto/vectors/v1/transport/group-node-messages".getBytes(
        StandardCharsets.US_ASCII));
    long now = T0 + 3600;
    byte[] key = r.bytes(NodeMessage.GROUP_KEY_LENGTH);
    key[0] = 0x01;
    byte[] state = r.bytes(300);
    state[0] = 0x01;
    groupCase(cases, "GROUP_KEY: 211 bytes, read by the group layer, not here", NodeMessage.GROUP_KEY, 12, now, key);
    groupCase(cases, "GROUP_WELCOME: a group state's bytes, read by the group layer, not here",
        NodeMessage.GROUP_WELCOME, 0, now, state);
    groupCase(cases, "GROUP_WELCOME of one byte (the fewest)", NodeMessage.GROUP_WELCOME, Long.MAX_VALUE,
        Long.MAX_VALUE, new byte[] {1});
    byte[] groupKey = NodeMessage.groupKey(3, now, key).encode();
    byte[] welcome = NodeMessage.groupWelcome(3, now, state).encode();
    PublicIdentity sender = Identity.fromSeed(IdentitySeed.fromBytes(r.bytes(32))).publicIdentity();
    Object[][] rows = {
      {"GROUP_KEY of 210 bytes", Texts.cut(groupKey, groupKey.length - 1), ErrorCode.TRUNCATED},
      {"GROUP_KEY of 212 bytes", Arrays.copyOf(groupKey, groupKey.length + 1), ErrorCode.TRAILING_DATA},
      {"GROUP_KEY with no body", Texts.cut(groupKey, 17), ErrorCode.TRUNCATED},
      {"GROUP_KEY with seq of 2^63", Texts.with(groupKey, 1, 0x80), ErrorCode.INVALID_ENCODING},
      {"GROUP_WELCOME with no body", Texts.cut(welcome, 17), ErrorCode.TRUNCATED},
      {"GROUP_WELCOME cut inside sent_at", Texts.cut(welcome, 16), ErrorCode.TRUNCATED},
    };
    for (Object[] row : rows) {
      parseNodeMessage(cases, (String) row[0], (byte[]) row[1], now, sender, (ErrorCode) row[2]);
    }
    groupEnvelopes(cases);
  }

  /**
   * GROUP_ENVELOPE (spec: transport.adoc#node-messages), from a source of its own so that it shifts
   * no other case's bytes: written and read, then refused.
   */
  private static void groupEnvelopes(Cases cases) {
    RandomSource r = TestRandom.deterministic("sotto/vectors/v1/transport/group-envelope".getBytes(
        StandardCharsets.US_ASCII));
    long now = T0 + 7200;
    Envelope small = envelope(r, 1024, r.bytes(16));
    groupCase(cases, "GROUP_ENVELOPE of a 1,024-byte envelope, opened by the group layer, not here",
        NodeMessage.GROUP_ENVELOPE, 0, now, small.encoded());
    groupCase(cases, "GROUP_ENVELOPE of a 65,536-byte envelope (the largest)", NodeMessage.GROUP_ENVELOPE, 7, now,
        envelope(r, 65536, r.bytes(16)).encoded());
    byte[] m = NodeMessage.groupEnvelope(3, now, small).encode();
    PublicIdentity sender = Identity.fromSeed(IdentitySeed.fromBytes(r.bytes(32))).publicIdentity();
    Object[][] rows = {
      {"GROUP_ENVELOPE with no body", Texts.cut(m, 17), ErrorCode.TRUNCATED},
      {"GROUP_ENVELOPE of a 1,023-byte envelope", Texts.cut(m, m.length - 1), ErrorCode.INVALID_ENCODING},
      {"GROUP_ENVELOPE of a 1,025-byte envelope", Arrays.copyOf(m, m.length + 1), ErrorCode.INVALID_ENCODING},
      {"GROUP_ENVELOPE of an envelope of version 0x01", Texts.with(m, 17, 0x01), ErrorCode.UNSUPPORTED_VERSION},
    };
    for (Object[] row : rows) {
      parseNodeMessage(cases, (String) row[0], (byte[]) row[1], now, sender, (ErrorCode) row[2]);
    }
  }

  private static void groupCase(Cases cases, String comment, int kind, long seq, long sentAt, byte[] data) {
    ObjectNode in = Json.object().put("kind", kind).put("seq", seq).put("sent_at", sentAt).put("data", Bytes.hex(data));
    cases.valid("node_message", comment, in, Json.object().put("payload", Bytes.hex(groupMessage(kind, seq, sentAt,
        data).encode())));
  }

  private static NodeMessage groupMessage(int kind, long seq, long sentAt, byte[] data) {
    try {
      return switch (kind) {
        case NodeMessage.GROUP_KEY -> NodeMessage.groupKey(seq, sentAt, data);
        case NodeMessage.GROUP_WELCOME -> NodeMessage.groupWelcome(seq, sentAt, data);
        default -> NodeMessage.groupEnvelope(seq, sentAt, Envelope.parse(data));
      };
    } catch (SottoException e) {
      throw new IllegalArgumentException("not an envelope", e);
    }
  }

  /** DROPPED (spec: transport.adoc#node-messages): 17 bytes, written and read, then refused field by field. */
  private static void dropped(Cases cases, long now, PublicIdentity sender) {
    droppedCase(cases, "DROPPED of a node that keeps no conversation with the receiver: seq 0", 0, now);
    droppedCase(cases, "DROPPED: seq and sent_at 2^63 - 1 (the largest; seq is read and not used)", Long.MAX_VALUE,
        Long.MAX_VALUE);
    byte[] dropped = NodeMessage.dropped(0, now).encode();
    Object[][] rows = {
      {"DROPPED cut inside sent_at (16 bytes)", Texts.cut(dropped, 16), ErrorCode.TRUNCATED},
      {"DROPPED with one byte after sent_at (18 bytes)", Arrays.copyOf(dropped, dropped.length + 1),
          ErrorCode.TRAILING_DATA},
      {"DROPPED with sent_at of 2^63 and a byte after it (sent_at is read first)",
          Arrays.copyOf(Texts.with(dropped, 9, 0x80), dropped.length + 1), ErrorCode.INVALID_ENCODING},
    };
    for (Object[] row : rows) {
      parseNodeMessage(cases, (String) row[0], (byte[]) row[1], now, sender, (ErrorCode) row[2]);
    }
  }

  private static void droppedCase(Cases cases, String comment, long seq, long sentAt) {
    ObjectNode in = Json.object().put("kind", NodeMessage.DROPPED).put("seq", seq).put("sent_at", sentAt);
    ObjectNode out = Json.object().put("payload", Bytes.hex(NodeMessage.dropped(seq, sentAt).encode()));
    cases.valid("node_message", comment, in, out);
  }

  private static void reset(Cases cases, String comment, long seq, long sentAt, long inSeq, long outSeq, String name,
      PrekeyRecipe sender, long now) {
    ObjectNode in = Json.object().put("kind", NodeMessage.RESET).put("seq", seq).put("sent_at", sentAt)
        .put("in_seq", inSeq).put("out_seq", outSeq).put("name", name);
    in.set("sender", sender.toJson());
    in.put("now", now);
    PrekeyRecipe.Made made = sender.make();
    ObjectNode out = Json.object()
        .put("payload", Bytes.hex(NodeMessage.reset(seq, sentAt, inSeq, outSeq, name, made.bundle()).encode()));
    cardOutputs(out, sender, made);
    cases.valid("node_message", comment, in, out);
  }

  private static void cardOutputs(ObjectNode out, PrekeyRecipe sender, PrekeyRecipe.Made made) {
    out.put("card", Bytes.hex(made.card().encoded())).put("bundle", Bytes.hex(made.bundle().encoded()))
        .put("sender", Bytes.hex(sender.card().owner().publicIdentity().encoded()));
  }

  private static void sync(Cases cases, String comment, long seq, long sentAt, long inSeq, long outSeq) {
    ObjectNode in = Json.object().put("kind", NodeMessage.SYNC).put("seq", seq).put("sent_at", sentAt)
        .put("in_seq", inSeq).put("out_seq", outSeq);
    ObjectNode out = Json.object().put("payload", Bytes.hex(NodeMessage.sync(seq, sentAt, inSeq, outSeq).encode()));
    cases.valid("node_message", comment, in, out);
  }

  private static void hello(Cases cases, String comment, long seq, long sentAt, String name, PrekeyRecipe sender,
      long now) {
    ObjectNode in = Json.object().put("kind", NodeMessage.HELLO).put("seq", seq).put("sent_at", sentAt).put("name", name);
    in.set("sender", sender.toJson());
    in.put("now", now);
    PrekeyRecipe.Made made = sender.make();
    ObjectNode out = Json.object()
        .put("payload", Bytes.hex(NodeMessage.hello(seq, sentAt, name, made.bundle()).encode()));
    cardOutputs(out, sender, made);
    cases.valid("node_message", comment, in, out);
  }

  private static void text(Cases cases, String comment, long seq, long sentAt, String text) {
    ObjectNode in = Json.object().put("kind", NodeMessage.TEXT).put("seq", seq).put("sent_at", sentAt).put("text", text);
    ObjectNode out = Json.object().put("payload", Bytes.hex(NodeMessage.text(seq, sentAt, text).encode()));
    cases.valid("node_message", comment, in, out);
  }

  private static void parseNodeMessage(Cases cases, String comment, byte[] payload, long now, PublicIdentity sender,
      ErrorCode error) {
    ObjectNode in = Json.object().put("payload", Bytes.hex(payload)).put("now", now)
        .put("sender", Bytes.hex(sender.encoded()));
    cases.invalid("parse_node_message", "node message: " + comment, in, error);
  }

  // ---------------------------------------------------------------- verification

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    String operation = testCase.path("operation").asText();
    try {
      switch (operation) {
        case "link" -> verifyLink(in, check);
        case "accept" -> verifyAccept(in, check);
        case "finish" -> {
          TestRandom.Replay draws = TestRandom.replay(Bytes.concat(
              Bytes.unhex(in.path("initiator_random").path("e").asText()),
              Bytes.unhex(in.path("initiator_random").path("kem_seed").asText())));
          LinkInitiator initiator = LinkInitiator.start(Bytes.unhex(in.path("responder_link_public").asText()),
              Instant.ofEpochSecond(in.path("initiator_time").asLong()), draws);
          draws.assertExhausted();
          initiator.finish(Bytes.unhex(in.path("accept").asText()));
          check.accepted();
        }
        case "open_frame" -> verifyOpenFrame(in, check);
        case "read_body" -> {
          ObjectNode actual = readBody(Frame.of(in.path("type").asInt(), 1, Bytes.unhex(in.path("body").asText())));
          // Compared as JSON text, so that an id read back as an int equals the same id written as a long.
          if (check.accepted() && !actual.toString().equals(check.output().toString())) {
            check.fail("output: expected " + abbreviate(check.output()) + ", actual " + abbreviate(actual));
          }
        }
        case "node_message" -> verifyNodeMessage(in, check);
        case "parse_node_message" -> {
          NodeMessage.parse(Bytes.unhex(in.path("payload").asText()), Instant.ofEpochSecond(in.path("now").asLong()),
              PublicIdentity.parse(Bytes.unhex(in.path("sender").asText())));
          check.accepted();
        }
        default -> check.fail("unknown operation '" + operation + "'");
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }

  private static String abbreviate(JsonNode node) {
    String text = node.toString();
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }

  private static void verifyLink(JsonNode in, CaseCheck check) throws SottoException {
    Handshake h = Handshake.fromJson(in);
    // Every intermediate value, from the spec's formulas.
    h.trace().check(check);
    // Both ends through the public API, on the recorded randomness.
    Ends ends = h.run();
    check.bytes("link_public", ends.key().publicKey());
    check.bytes("hello", ends.hello());
    check.bytes("th_a", ends.initiator().transcript());
    check.bytes("accept", ends.accept());
    check.bytes("th_b", ends.responderLink().transcript());
    check.bytes("th_b", ends.initiatorLink().transcript());
    List<byte[]> initiatorKeys = ends.initiatorLink().keys(InsecureSecretAccess.get());
    List<byte[]> responderKeys = ends.responderLink().keys(InsecureSecretAccess.get());
    check.bytes("k_i2r", initiatorKeys.get(0));
    check.bytes("k_r2i", initiatorKeys.get(1));
    check.bytes("k_r2i", responderKeys.get(0));
    check.bytes("k_i2r", responderKeys.get(1));

    JsonNode frames = in.path("frames");
    check.number("frames.length", frames.size());
    for (int i = 0; i < frames.size(); i++) {
      JsonNode f = frames.get(i);
      String at = "frames[" + i + "].";
      boolean fromInitiator = f.path("sender").asText().equals("initiator");
      Frame frame = Frame.of(f.path("type").asInt(), f.path("request_id").asLong(), Bytes.unhex(f.path("body").asText()));
      Link sender = ends.sender(fromInitiator);
      long counter = sender.sent();
      check.number(at + "counter", counter);
      check.bytes(at + "nonce", LinkTrace.nonce(counter));
      check.bytes(at + "header", header(frame));
      byte[] wire = sender.seal(frame);
      check.number(at + "class", wire[0] & 0xff);
      check.bytes(at + "wire", wire);
      // The receiver opens the vector's bytes, not ours: each side is checked on its own.
      byte[] expected = Bytes.unhex(check.output().path("frames").path(i).path("wire").asText());
      if (expected.length == 0) {
        return;
      }
      Frame opened = ends.receiver(fromInitiator).open(expected);
      if (!opened.equals(frame)) {
        check.fail(at + "wire: the receiver opened " + opened + ", not the frame sent (" + frame + ")");
      }
    }
  }

  /** The responder accepts each prior hello (drawing anything), then reads the case's hello, drawing nothing. */
  private static void verifyAccept(JsonNode in, CaseCheck check) throws SottoException {
    LinkResponder responder = responder(LinkKey.fromBytes(Bytes.unhex(in.path("responder_link_private").asText())),
        in.has("filter_capacity") ? in.path("filter_capacity").asInt() : PRIOR_LIMIT + 1);
    JsonNode prior = in.path("prior");
    for (int i = 0; i < prior.size(); i++) {
      try {
        responder.accept(Bytes.unhex(prior.get(i).path("hello").asText()),
            Instant.ofEpochSecond(prior.get(i).path("now").asLong()), TestRandom.deterministic(new byte[32]));
      } catch (SottoException e) {
        check.fail("prior hello " + i + " refused: " + e.code() + " (" + e.getMessage() + ")");
        return;
      }
    }
    // The responder draws nothing before the proof verifies: an empty replay fails any draw.
    responder.accept(Bytes.unhex(in.path("hello").asText()), Instant.ofEpochSecond(in.path("now").asLong()),
        TestRandom.replay(new byte[0]));
    check.accepted();
  }

  private static void verifyOpenFrame(JsonNode in, CaseCheck check) throws SottoException {
    Ends ends = Handshake.fromJson(in).run();
    Link receiver = in.path("receiver").asText().equals("initiator") ? ends.initiatorLink() : ends.responderLink();
    JsonNode prior = in.path("prior");
    if (in.path("counter").asLong() != prior.size()) {
      check.fail("counter: the case states " + in.path("counter") + " but has " + prior.size() + " prior frames");
    }
    for (int i = 0; i < prior.size(); i++) {
      try {
        receiver.open(Bytes.unhex(prior.get(i).asText()));
      } catch (SottoException e) {
        check.fail("prior frame " + i + " rejected: " + e.code() + " (" + e.getMessage() + ")");
        return;
      }
    }
    receiver.open(Bytes.unhex(in.path("frame").asText()));
    check.accepted();
  }

  private static void verifyNodeMessage(JsonNode in, CaseCheck check) throws SottoException {
    long seq = in.path("seq").asLong();
    long sentAt = in.path("sent_at").asLong();
    byte[] expected = Bytes.unhex(check.output().path("payload").asText());
    int kind = in.path("kind").asInt();
    if (kind == NodeMessage.RESET || kind == NodeMessage.SYNC) {
      verifyMarks(in, check, kind, seq, sentAt, expected);
      return;
    }
    if (kind == NodeMessage.GROUP_KEY || kind == NodeMessage.GROUP_WELCOME || kind == NodeMessage.GROUP_ENVELOPE) {
      byte[] data = Bytes.unhex(in.path("data").asText());
      check.bytes("payload", groupMessage(kind, seq, sentAt, data).encode());
      // A group node message reads neither the clock nor the sender.
      NodeMessage read = NodeMessage.parse(expected, Instant.EPOCH, null);
      if (check.accepted()) {
        compare(check, read, kind, seq, sentAt);
        if (!Arrays.equals(data, read.groupData())) {
          check.fail("data: read other bytes than those written");
        }
      }
      return;
    }
    if (kind == NodeMessage.DROPPED) {
      check.bytes("payload", NodeMessage.dropped(seq, sentAt).encode());
      // A DROPPED reads neither the clock nor the sender.
      NodeMessage read = NodeMessage.parse(expected, Instant.EPOCH, null);
      if (check.accepted()) {
        compare(check, read, NodeMessage.DROPPED, seq, sentAt);
      }
      return;
    }
    if (kind == NodeMessage.HELLO) {
      PrekeyRecipe recipe = PrekeyRecipe.fromJson(in.path("sender"));
      PrekeyBundle bundle = recipe.make().bundle();
      PublicIdentity sender = recipe.card().owner().publicIdentity();
      checkSender(check, bundle, sender);
      check.bytes("payload", NodeMessage.hello(seq, sentAt, in.path("name").asText(), bundle).encode());
      NodeMessage read = NodeMessage.parse(expected, Instant.ofEpochSecond(in.path("now").asLong()), sender);
      if (!check.accepted()) {
        return;
      }
      compare(check, read, NodeMessage.HELLO, seq, sentAt);
      if (!in.path("name").asText().equals(read.name())) {
        check.fail("name: read '" + read.name() + "'");
      }
      compareBundle(check, bundle, read);
    } else {
      String text = in.path("text").asText();
      check.bytes("payload", NodeMessage.text(seq, sentAt, text).encode());
      // A TEXT reads neither the clock nor the sender.
      NodeMessage read = NodeMessage.parse(expected, Instant.EPOCH, null);
      if (!check.accepted()) {
        return;
      }
      compare(check, read, NodeMessage.TEXT, seq, sentAt);
      if (!text.equals(read.text())) {
        check.fail("text: read another text than the one written");
      }
    }
  }

  /** RESET and SYNC: written from the input, then the vector's payload read back to the same fields. */
  private static void verifyMarks(JsonNode in, CaseCheck check, int kind, long seq, long sentAt, byte[] expected)
      throws SottoException {
    long inSeq = in.path("in_seq").asLong();
    long outSeq = in.path("out_seq").asLong();
    NodeMessage read;
    if (kind == NodeMessage.RESET) {
      PrekeyRecipe recipe = PrekeyRecipe.fromJson(in.path("sender"));
      PrekeyBundle bundle = recipe.make().bundle();
      PublicIdentity sender = recipe.card().owner().publicIdentity();
      String name = in.path("name").asText();
      checkSender(check, bundle, sender);
      check.bytes("payload", NodeMessage.reset(seq, sentAt, inSeq, outSeq, name, bundle).encode());
      read = NodeMessage.parse(expected, Instant.ofEpochSecond(in.path("now").asLong()), sender);
      if (!check.accepted()) {
        return;
      }
      if (!name.equals(read.name())) {
        check.fail("name: read '" + read.name() + "'");
      }
      compareBundle(check, bundle, read);
    } else {
      check.bytes("payload", NodeMessage.sync(seq, sentAt, inSeq, outSeq).encode());
      // A SYNC reads neither the clock nor the sender.
      read = NodeMessage.parse(expected, Instant.EPOCH, null);
      if (!check.accepted()) {
        return;
      }
    }
    compare(check, read, kind, seq, sentAt);
    if (read.inSeq() != inSeq || read.outSeq() != outSeq) {
      check.fail("payload: read in_seq " + read.inSeq() + ", out_seq " + read.outSeq() + "; expected " + inSeq + ", "
          + outSeq);
    }
  }

  private static void checkSender(CaseCheck check, PrekeyBundle bundle, PublicIdentity sender) {
    check.bytes("card", bundle.card().encoded());
    check.bytes("bundle", bundle.encoded());
    check.bytes("sender", sender.encoded());
  }

  private static void compareBundle(CaseCheck check, PrekeyBundle written, NodeMessage read) {
    if (!Arrays.equals(written.card().encoded(), read.card().encoded())) {
      check.fail("card: read another card than the one written");
    }
    if (!Arrays.equals(written.encoded(), read.bundle().encoded())) {
      check.fail("bundle: read another bundle than the one written");
    }
  }

  private static void compare(CaseCheck check, NodeMessage read, int kind, long seq, long sentAt) {
    if (read.kind() != kind || read.seq() != seq || read.sentAt() != sentAt) {
      check.fail("payload: read kind " + read.kind() + ", seq " + read.seq() + ", sent_at " + read.sentAt()
          + "; expected " + kind + ", " + seq + ", " + sentAt);
    }
  }
}
