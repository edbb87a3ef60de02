package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Accepted;
import dev.sotto.Card;
import dev.sotto.ErrorCode;
import dev.sotto.FirstContact;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.Initiator;
import dev.sotto.OneTimePrekey;
import dev.sotto.Prekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * {@code handshake.json}: whole first contacts, from the responder's card and prekey recipe and the
 * initiator's seed and randomness to the first message and every intermediate value, checked on
 * both sides; the responder's time rules, with the boundary values accepted; its rejection of
 * tampered, truncated, replayed, expired and misdirected first messages; and its state format
 * (spec: handshake.adoc).
 *
 * <p>Operations: {@code handshake} (valid), {@code respond} (both), {@code initiate} (invalid),
 * {@code responder_state} (both).
 */
public final class HandshakeVectors implements VectorSuite {
  private static final long T0 = 1_800_000_000L;
  private static final long DAY = 86_400L;
  private static final long WINDOW = Responder.FIRST_CONTACT_WINDOW.getSeconds();
  private static final long SKEW = Responder.MAX_CLOCK_SKEW.getSeconds();
  private static final String TRANSCRIPT_1_LABEL = "sotto/v2/handshake/transcript-1";

  @Override
  public String component() {
    return "handshake";
  }

  @Override
  public String description() {
    return "Handshake: whole first contacts (the responder's card and prekey recipe, the initiator's seed and every "
        + "random value, the first message with its time, every DH output, the KEM secret, TH_1 with its input, TH "
        + "and every derived key), with and without one-time prekeys of each kind; the responder's time rules "
        + "(prekey expiry, the first-contact window, the clock skew) with the boundary values accepted; its "
        + "rejection of tampered, truncated, replayed, expired and misdirected first messages, and of prekeys "
        + "deleted at expiry; a replay cache at its bound of 4,096 entries (the responder restored from a state); the "
        + "responder state, and its refusals. Spec: handshake.adoc.";
  }

  /**
   * One first contact: who, to which responder (card and prekeys), with which one-time prekeys, at
   * which time, and the randomness drawn.
   */
  private record Contact(byte[] initiatorSeed, PrekeyRecipe responder, long now, Long opkId, Long kemOpkId,
      byte[] ekPrivate, byte[] kemRandomness, byte[] payload) {

    Identity initiator() {
      return Identity.fromSeed(IdentitySeed.fromBytes(initiatorSeed));
    }

    Contact at(long time) {
      return new Contact(initiatorSeed, responder, time, opkId, kemOpkId, ekPrivate, kemRandomness, payload);
    }

    /** The first message, through the public API. */
    byte[] message() throws SottoException {
      return start(responder.make()).message();
    }

    FirstContact start(PrekeyRecipe.Made made) throws SottoException {
      return Initiator.to(initiator(), made.prekeys(opkId, kemOpkId))
          .start(Instant.ofEpochSecond(now), payload, TestRandom.replay(Bytes.concat(ekPrivate, kemRandomness)));
    }

    HandshakeCore.Prekeys prekeys(PrekeyRecipe.Made made) {
      PrekeyBundle b = made.bundle();
      OneTimePrekey opk = made.oneTime(opkId, false);
      Prekey kem = kemOpkId == null ? b.kemPrekey() : made.oneTime(kemOpkId, true).prekey();
      return new HandshakeCore.Prekeys(b.signedPrekey().id(), b.signedPrekey().publicKey(), kem.id(), kem.publicKey(),
          opk == null ? FirstMessage.NONE : opk.prekey().id(), opk == null ? null : opk.prekey().publicKey());
    }

    /** Every intermediate value, through the internal core. */
    HandshakeCore.Trace trace(PrekeyRecipe.Made made) throws SottoException {
      byte[] ikA = initiator().derivedKeys(dev.sotto.InsecureSecretAccess.get()).x25519Private();
      return HandshakeCore.initiate(initiator().publicIdentity(), pub -> X25519.agree(ikA, pub),
          made.card().identity(), made.card().inviteTag(), now, prekeys(made), kemOpkId != null, ekPrivate,
          kemRandomness, payload);
    }

    /**
     * The first message made with the core, at this contact's time whatever the prekeys' expiry: what
     * an initiator with a wrong clock, or a forger, sends. For a time at which the prekeys are valid
     * it is the message of {@link #message()}.
     */
    byte[] forged() throws SottoException {
      PrekeyRecipe.Made made = responder.make();
      HandshakeCore.Prekeys p = prekeys(made);
      HandshakeCore.Trace t = trace(made);
      return new FirstMessage(HandshakeCore.flags(p, kemOpkId != null), now, p.spkId(), p.kemId(), p.opkId(),
          t.ephemeralPublic(), t.kemCiphertext(), t.encryptedIdentity(), t.sealedPayload()).encode();
    }

    ObjectNode toJson() {
      ObjectNode in = Json.object();
      in.put("initiator_seed", Bytes.hex(initiatorSeed));
      in.set("responder", responder.toJson());
      in.put("now", now);
      if (opkId == null) {
        in.putNull("opk_id");
      } else {
        in.put("opk_id", opkId);
      }
      if (kemOpkId == null) {
        in.putNull("kem_opk_id");
      } else {
        in.put("kem_opk_id", kemOpkId);
      }
      in.putObject("random").put("ek_private", Bytes.hex(ekPrivate)).put("kem_randomness", Bytes.hex(kemRandomness));
      in.put("payload", Bytes.hex(payload));
      return in;
    }

    static Contact fromJson(JsonNode in) {
      return new Contact(Bytes.unhex(in.path("initiator_seed").asText()), PrekeyRecipe.fromJson(in.path("responder")),
          in.path("now").asLong(), in.path("opk_id").isNull() ? null : in.path("opk_id").asLong(),
          in.path("kem_opk_id").isNull() ? null : in.path("kem_opk_id").asLong(),
          Bytes.unhex(in.path("random").path("ek_private").asText()),
          Bytes.unhex(in.path("random").path("kem_randomness").asText()), Bytes.unhex(in.path("payload").asText()));
    }
  }

  /** A first message the responder accepted, at its own clock, before the case's message. */
  private record Prior(byte[] message, long now) {}

  private RandomSource random;

  private Contact contact(byte[] initiatorSeed, PrekeyRecipe responder, long now, Long opk, Long kemOpk,
      byte[] payload) {
    return new Contact(initiatorSeed, responder, now, opk, kemOpk, random.bytes(32), random.bytes(32), payload);
  }

  /** The card every responder of these vectors holds: valid a year from T0, one mailbox address. */
  private CardRecipe card(byte[] seed, long expires) {
    return CardRecipe.record(seed, T0, expires, List.of(Addresses.mailbox("mailbox.example.org", 7401, 1)), random);
  }

  /**
   * A responder of a new identity: a card, a bundle with ids {@code spkId} and {@code spkId + 1},
   * created a day after the card and valid three days, and {@code x25519} then {@code kem} one-time
   * prekeys valid two days.
   */
  private PrekeyRecipe responder(long spkId, int x25519, int kem) {
    return responder(card(random.bytes(32), T0 + 365 * DAY), spkId, x25519, kem);
  }

  private PrekeyRecipe responder(CardRecipe card, long spkId, int x25519, int kem) {
    long created = T0 + DAY;
    return PrekeyRecipe.record(card, spkId / 100, spkId, created, created + 3 * DAY, created + 2 * DAY, x25519, kem,
        random);
  }

  /** The time of every message that is not about time: an hour after the bundle was made. */
  private static long sent(PrekeyRecipe r) {
    return r.bundle().created() + 3600;
  }

  @Override
  public ArrayNode generate() {
    random = seededRandom();
    Cases cases = new Cases();
    byte[][] payloads = {
      new byte[0], "h".getBytes(StandardCharsets.UTF_8), "hello, Bob".getBytes(StandardCharsets.UTF_8),
      random.bytes(15), random.bytes(16), random.bytes(100), random.bytes(1000), random.bytes(5000),
    };
    String[] names = {"no one-time prekey", "an X25519 one-time prekey", "an ML-KEM-768 one-time prekey",
        "one-time prekeys of both kinds"};
    for (int i = 0; i < payloads.length; i++) {
      // Ids: spk s, pqspk s + 1, X25519 one-time s + 2 to s + 4, ML-KEM one-time s + 5 and s + 6.
      long s = 1 + 100L * i;
      PrekeyRecipe r = responder(s, 3, 2);
      Long[][] combinations = {{null, null}, {s + 2, null}, {null, s + 5}, {s + 3, s + 6}};
      for (int c = 0; c < combinations.length; c++) {
        Contact contact = contact(random.bytes(32), r, sent(r), combinations[c][0], combinations[c][1], payloads[i]);
        handshake(cases, names[c] + ", payload of " + payloads[i].length + " bytes", contact);
      }
    }
    PrekeyRecipe bare = responder(900, 0, 0);
    handshake(cases, "a bundle without one-time prekeys",
        contact(random.bytes(32), bare, sent(bare), null, null, payloads[2]));
    handshake(cases, "the initiator writes to its own card",
        contact(bare.card().identitySeed(), bare, sent(bare), null, null, payloads[2]));
    PrekeyRecipe wrapped = responder(0xfffffffeL, 1, 1);
    handshake(cases, "prekey ids 2^32 - 2 (spk), 2^32 - 1 (pqspk), 0 and 1 (one-time): the id counter wrapped",
        contact(random.bytes(32), wrapped, sent(wrapped), 0L, 1L, payloads[2]));
    PrekeyRecipe edge = responder(1000, 1, 0);
    handshake(cases, "made at the last second before the one-time prekey's expiry",
        contact(random.bytes(32), edge, edge.oneTime().expires() - 1, 1002L, null, payloads[1]));

    invalid(cases);
    coverage(cases);
    return cases.toArray();
  }

  private static void handshake(Cases cases, String comment, Contact contact) {
    try {
      PrekeyRecipe.Made made = contact.responder().make();
      HandshakeCore.Trace t = contact.trace(made);
      ObjectNode out = Json.object();
      out.put("card", Bytes.hex(made.card().encoded()));
      out.put("bundle", Bytes.hex(made.bundle().encoded()));
      record(out, "opk", made.oneTime(contact.opkId(), false));
      record(out, "kem_opk", made.oneTime(contact.kemOpkId(), true));
      out.put("ek_public", Bytes.hex(t.ephemeralPublic()));
      out.put("kem_ciphertext", Bytes.hex(t.kemCiphertext()));
      out.put("kem_shared_secret", Bytes.hex(t.kemSharedSecret()));
      byte[] th1Input = transcript1Input(contact, made, t);
      if (!Arrays.equals(Hmac.hash(th1Input), t.transcript1())) {
        throw new IllegalStateException("TH_1 is not SHA-256 of the generator's own transcript_1_input");
      }
      out.put("transcript_1_input", Bytes.hex(th1Input));
      out.put("transcript_1", Bytes.hex(t.transcript1()));
      out.put("dh3", Bytes.hex(t.dh3()));
      out.put("identity_key", Bytes.hex(t.identityKey()));
      out.put("identity_nonce", Bytes.hex(t.identityNonce()));
      out.put("encrypted_identity", Bytes.hex(t.encryptedIdentity()));
      out.put("transcript", Bytes.hex(t.transcript()));
      out.put("dh1", Bytes.hex(t.dh1()));
      out.put("dh2", Bytes.hex(t.dh2()));
      if (t.dh4() == null) {
        out.putNull("dh4");
      } else {
        out.put("dh4", Bytes.hex(t.dh4()));
      }
      out.put("dh5", Bytes.hex(t.dh5()));
      HandshakeCore.Keys k = t.keys();
      out.put("root_key", Bytes.hex(k.rootKey()));
      out.put("initiator_header_key", Bytes.hex(k.initiatorHeaderKey()));
      out.put("responder_header_key", Bytes.hex(k.responderHeaderKey()));
      out.put("initiator_tag_key", Bytes.hex(k.initiatorTagKey()));
      out.put("responder_tag_key", Bytes.hex(k.responderTagKey()));
      out.put("confirm_key", Bytes.hex(k.confirmKey()));
      out.put("confirm_nonce", Bytes.hex(k.confirmNonce()));
      out.put("sealed_payload", Bytes.hex(t.sealedPayload()));
      out.put("message", Bytes.hex(contact.message()));
      out.put("initiator_identity", Bytes.hex(contact.initiator().publicIdentity().encoded()));
      cases.valid("handshake", comment, contact.toJson(), out);
    } catch (SottoException e) {
      throw new IllegalStateException("generator made an invalid 'valid' case: " + comment, e);
    }
  }

  private static void record(ObjectNode out, String field, OneTimePrekey record) {
    if (record == null) {
      out.putNull(field);
    } else {
      out.put(field, Bytes.hex(record.encoded()));
    }
  }

  /**
   * What TH_1 hashes, written by the generator's own code (spec: handshake.adoc#transcript):
   * "sotto/v2/handshake/transcript-1" || version || suite || flags || time || IK_B || invite_tag
   * || spk_id || Enc(SPK_B) || kem_id || Enc(PQPK_B) || [opk_id || Enc(OPK_B)] || Enc(EK_A) || CT.
   */
  private static byte[] transcript1Input(Contact contact, PrekeyRecipe.Made made, HandshakeCore.Trace t) {
    HandshakeCore.Prekeys p = contact.prekeys(made);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(TRANSCRIPT_1_LABEL.getBytes(StandardCharsets.US_ASCII));
    out.write(0x02);
    Raw.u16(out, 0x0001);
    out.write((contact.opkId() != null ? 0x01 : 0) | (contact.kemOpkId() != null ? 0x02 : 0));
    Raw.u64(out, contact.now());
    out.writeBytes(made.card().identity().encoded());
    out.writeBytes(made.card().inviteTag());
    Raw.u32(out, p.spkId());
    out.write(0x02);
    out.writeBytes(p.spk());
    Raw.u32(out, p.kemId());
    out.write(0x03);
    out.writeBytes(p.kemKey());
    if (p.opk() != null) {
      Raw.u32(out, p.opkId());
      out.write(0x02);
      out.writeBytes(p.opk());
    }
    out.write(0x02);
    out.writeBytes(t.ephemeralPublic());
    out.writeBytes(t.kemCiphertext());
    return out.toByteArray();
  }

  private void invalid(Cases cases) {
    try {
      PrekeyRecipe r = responder(5000, 2, 1);
      long now = sent(r);
      long opk1 = 5002;
      long opk2 = 5003;
      long kemOpk = 5004;
      byte[] a = random.bytes(32);
      Contact plain = contact(a, r, now, null, null, "first".getBytes(StandardCharsets.UTF_8));
      Contact withOpk = contact(a, r, now, opk1, null, "with opk".getBytes(StandardCharsets.UTF_8));
      Contact withKemOpk = contact(a, r, now, null, kemOpk, "with kem opk".getBytes(StandardCharsets.UTF_8));
      Contact both = contact(random.bytes(32), r, now, opk2, kemOpk, "both".getBytes(StandardCharsets.UTF_8));
      byte[] m = plain.message();
      byte[] mOpk = withOpk.message();
      byte[] mBoth = both.message();
      byte[] other = contact(random.bytes(32), r, now, null, null, "other".getBytes(StandardCharsets.UTF_8)).message();
      // Offsets of the fields of a message without opk_id (spec: handshake.adoc#first-message).
      int flags = 3;
      int time = 4;
      int spkId = 12;
      int kemId = 16;
      int ek = 20;
      int ct = 53;
      int eid = 1141;
      int length = 1225;
      int payload = 1229;
      int opkIdWithOpk = 20;
      List<Prior> none = List.of();

      respond(cases, "empty input", r, none, new byte[0], now, ErrorCode.TRUNCATED);
      respond(cases, "version 1 (revision 1)", r, none, Texts.with(m, 0, 1), now, ErrorCode.UNSUPPORTED_VERSION);
      respond(cases, "version 3", r, none, Texts.with(m, 0, 3), now, ErrorCode.UNSUPPORTED_VERSION);
      respond(cases, "version 0", r, none, Texts.with(m, 0, 0), now, ErrorCode.UNSUPPORTED_VERSION);
      respond(cases, "suite 0x0002", r, none, Texts.with(m, 2, 2), now, ErrorCode.UNSUPPORTED_SUITE);
      respond(cases, "undefined flag bit 2", r, none, Texts.with(m, flags, 0x04), now, ErrorCode.INVALID_ENCODING);
      respond(cases, "cut inside the time", r, none, Texts.cut(m, time + 5), now, ErrorCode.TRUNCATED);
      respond(cases, "time one second after 9999-12-31T23:59:59Z", r, none,
          Texts.replace(m, time, Raw.u64(Card.MAX_TIME + 1)), now, ErrorCode.INVALID_ENCODING);
      respond(cases, "time of 2^63", r, none, Texts.replace(m, time, Raw.u64(Long.MIN_VALUE)), now,
          ErrorCode.INVALID_ENCODING);
      respond(cases, "time out of range and cut after it: the time is reported, not the truncation", r, none,
          Texts.cut(Texts.replace(m, time, Raw.u64(Card.MAX_TIME + 1)), spkId), now, ErrorCode.INVALID_ENCODING);
      respond(cases, "ephemeral key with the ML-KEM type byte", r, none, Texts.with(m, ek, 0x03), now,
          ErrorCode.INVALID_ENCODING);
      respond(cases, "ephemeral key of small order", r, none,
          Texts.replace(m, ek + 1, Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")),
          now, ErrorCode.INVALID_KEY);
      respond(cases, "ephemeral key not canonical (top bit set)", r, none, Texts.flip(m, ek + 32, 0x80), now,
          ErrorCode.INVALID_KEY);
      respond(cases, "truncated inside the ephemeral key", r, none, Texts.cut(m, ek + 10), now, ErrorCode.TRUNCATED);
      respond(cases, "truncated inside the KEM ciphertext", r, none, Texts.cut(m, ct + 500), now, ErrorCode.TRUNCATED);
      respond(cases, "truncated inside the encrypted identity", r, none, Texts.cut(m, eid + 40), now,
          ErrorCode.TRUNCATED);
      respond(cases, "truncated inside the payload", r, none, Texts.cut(m, m.length - 1), now, ErrorCode.TRUNCATED);
      respond(cases, "payload length larger than the message", r, none, Texts.with(m, length, 0x7f), now,
          ErrorCode.TRUNCATED);
      respond(cases, "one byte after the payload", r, none, Arrays.copyOf(m, m.length + 1), now,
          ErrorCode.TRAILING_DATA);
      respond(cases, "payload shorter than an AEAD tag", r, none,
          Bytes.concat(Texts.cut(m, length), new byte[] {0, 0, 0, 15}, new byte[15]), now, ErrorCode.INVALID_ENCODING);

      respond(cases, "signed prekey id of no held bundle", r, none, Texts.flip(m, spkId + 3, 0x01), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "signed prekey id of no held bundle, at a time out of the window: the prekeys are looked up first",
          r, none, Texts.flip(m, spkId + 3, 0x01), now + WINDOW, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "signed prekey id naming the bundle's ML-KEM prekey", r, none,
          Texts.replace(m, spkId, Raw.u32(5001)), now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "KEM prekey id changed", r, none, Texts.flip(m, kemId + 3, 0x04), now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "KEM prekey id naming an X25519 one-time prekey, ML-KEM one-time flag set", r, none,
          Texts.replace(withKemOpk.message(), kemId, Raw.u32(opk1)), now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "ML-KEM one-time prekey flag cleared", r, none, Texts.with(withKemOpk.message(), flags, 0x00), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "X25519 one-time prekey id of no prekey", r, none,
          Texts.replace(mOpk, opkIdWithOpk, Raw.u32(4999)), now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "X25519 one-time prekey id naming the ML-KEM one-time prekey", r, none,
          Texts.replace(mOpk, opkIdWithOpk, Raw.u32(kemOpk)), now, ErrorCode.UNKNOWN_PREKEY);
      PrekeyRecipe elsewhere = responder(7000, 1, 0);
      respond(cases, "message for another responder's bundle", r, none,
          contact(a, elsewhere, sent(elsewhere), 7002L, null, "hi".getBytes(StandardCharsets.UTF_8)).message(), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "X25519 one-time prekey already used", r, List.of(new Prior(mOpk, now)),
          contact(random.bytes(32), r, now, opk1, null, "late".getBytes(StandardCharsets.UTF_8)).message(), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "ML-KEM one-time prekey already used", r, List.of(new Prior(mBoth, now)), withKemOpk.message(),
          now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "replay of a message with a one-time prekey", r, List.of(new Prior(mOpk, now)), mOpk, now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "replay of a message without one-time prekeys", r, List.of(new Prior(m, now)), m, now,
          ErrorCode.REPLAY);
      respond(cases, "replay after another message", r, List.of(new Prior(m, now), new Prior(other, now + 10)), m,
          now + 20, ErrorCode.REPLAY);
      respond(cases, "replay with the encrypted identity changed: TH_1 does not cover it, the replay check comes first",
          r, List.of(new Prior(m, now)), Texts.flip(m, eid + 3, 0x01), now, ErrorCode.REPLAY);
      respond(cases, "replay with the payload changed: TH_1 does not cover it, the replay check comes first", r,
          List.of(new Prior(m, now)), Texts.flip(m, payload + 1, 0x01), now, ErrorCode.REPLAY);
      respond(cases, "replay with a longer payload: TH_1 does not cover it, the replay check comes first", r,
          List.of(new Prior(m, now)), Bytes.concat(Texts.cut(m, length), new Writer().u32(m.length - payload + 1)
              .toByteArray(), Arrays.copyOfRange(m, payload, m.length), new byte[1]), now, ErrorCode.REPLAY);
      respond(cases, "replay at the last second of the first-contact window (the entry is kept that long)", r,
          List.of(new Prior(m, now)), m, now + WINDOW - 1, ErrorCode.REPLAY);
      respond(cases, "replay when the first-contact window has passed: the entry is deleted and the time refused", r,
          List.of(new Prior(m, now)), m, now + WINDOW, ErrorCode.EXPIRED);

      timeRules(cases, r, plain, withOpk, withKemOpk);

      respond(cases, "time changed by one second (TH_1 binds the time)", r, none,
          Texts.replace(m, time, Raw.u64(now + 1)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "ephemeral key with one bit flipped", r, none, Texts.flip(m, ek + 5, 0x10), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "ephemeral key of another message", r, none,
          Texts.replace(m, ek, Arrays.copyOfRange(other, ek, ek + 33)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "KEM ciphertext with one bit flipped", r, none, Texts.flip(m, ct + 700, 0x01), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "KEM ciphertext of another message", r, none,
          Texts.replace(m, ct, Arrays.copyOfRange(other, ct, ct + 1088)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "encrypted identity with one bit flipped", r, none, Texts.flip(m, eid + 3, 0x01), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "encrypted identity of another message", r, none,
          Texts.replace(m, eid, Arrays.copyOfRange(other, eid, eid + 84)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "payload with one bit flipped", r, none, Texts.flip(m, payload + 1, 0x01), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "payload tag with one bit flipped", r, none, Texts.flip(m, m.length - 1, 0x80), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "payload of another message", r, none,
          Bytes.concat(Texts.cut(m, length), Arrays.copyOfRange(other, length, other.length)), now,
          ErrorCode.AUTH_FAILED);

      malformedIdentities(cases, r, plain, m, eid, now);

      responderStates(cases, r, m, mOpk, withKemOpk.message());

      initiate(cases, "the initiator refuses a bundle that has expired", plain.at(r.bundle().expires()),
          ErrorCode.EXPIRED);
      initiate(cases, "the initiator refuses a one-time prekey that has expired", withOpk.at(r.oneTime().expires()),
          ErrorCode.EXPIRED);
      PrekeyRecipe shortCard = responder(card(random.bytes(32), T0 + 2 * DAY), 8000, 0, 0);
      initiate(cases, "the initiator refuses a card that has expired (its bundle has not)",
          contact(a, shortCard, shortCard.card().expires(), null, null, new byte[0]), ErrorCode.EXPIRED);
    } catch (SottoException e) {
      throw new IllegalStateException("generator failed to make a message", e);
    }
  }

  /**
   * The responder's time rules (spec: handshake.adoc#responder, step 3, and #expiry), each with its
   * boundary value accepted: the message's time against the prekeys' expiry, the first-contact
   * window and the clock skew; and prekeys deleted at expiry plus the window (UNKNOWN_PREKEY).
   */
  private void timeRules(Cases cases, PrekeyRecipe r, Contact plain, Contact withOpk, Contact withKemOpk)
      throws SottoException {
    List<Prior> none = List.of();
    long bundleExpires = r.bundle().expires();
    long oneTimeExpires = r.oneTime().expires();
    long t = plain.now();

    respondForged(cases, "made at the last second before the bundle's expiry, accepted then", r,
        plain.at(bundleExpires - 1), bundleExpires - 1, null);
    respondForged(cases, "made at the bundle's expiry", r, plain.at(bundleExpires), bundleExpires, ErrorCode.EXPIRED);
    respondForged(cases, "made with an X25519 one-time prekey at the last second before its expiry", r,
        withOpk.at(oneTimeExpires - 1), oneTimeExpires - 1, null);
    respondForged(cases, "made with an X25519 one-time prekey at its expiry", r, withOpk.at(oneTimeExpires),
        oneTimeExpires, ErrorCode.EXPIRED);
    respondForged(cases, "made with an ML-KEM-768 one-time prekey at its expiry", r, withKemOpk.at(oneTimeExpires),
        oneTimeExpires, ErrorCode.EXPIRED);
    respondForged(cases, "made a day after the bundle's expiry, read at once", r, plain.at(bundleExpires + DAY),
        bundleExpires + DAY, ErrorCode.EXPIRED);

    respondForged(cases, "read at the last second of the first-contact window (time + 4 days - 1 s)", r, plain,
        t + WINDOW - 1, null);
    respondForged(cases, "read when the first-contact window has passed (time + 4 days)", r, plain, t + WINDOW,
        ErrorCode.EXPIRED);
    respondForged(cases, "made 600 s ahead of the responder's clock (the most skew)", r, plain.at(t + SKEW), t, null);
    respondForged(cases, "made 601 s ahead of the responder's clock", r, plain.at(t + SKEW + 1), t, ErrorCode.EXPIRED);
    respondForged(cases, "made 601 s ahead and a bad payload tag: the time is checked first", r,
        plain.at(t + SKEW + 1), t, ErrorCode.EXPIRED, m -> Texts.flip(m, m.length - 1, 0x80));
    respondForged(cases, "made a second before the bundle was created (clocks differ; allowed)", r,
        plain.at(r.bundle().created() - 1), r.bundle().created(), null);

    // Deletion at expiry plus the window: before it, the time rule; from then on, no prekey.
    long lastBundleTime = bundleExpires - 1;
    respondForged(cases, "the bundle's expiry + 4 days - 1 s: the bundle is still held, the message is too old", r,
        plain.at(lastBundleTime), bundleExpires + WINDOW - 1, ErrorCode.EXPIRED);
    respondForged(cases, "the bundle's expiry + 4 days: the bundle and its private keys are deleted", r,
        plain.at(lastBundleTime), bundleExpires + WINDOW, ErrorCode.UNKNOWN_PREKEY);
    respondForged(cases, "the one-time prekey's expiry + 4 days: it is deleted (the bundle is still held)", r,
        withOpk.at(oneTimeExpires - 1), oneTimeExpires + WINDOW, ErrorCode.UNKNOWN_PREKEY);

    PrekeyRecipe shortCard = responder(card(random.bytes(32), T0 + 2 * DAY), 6000, 0, 0);
    Contact toShort = contact(random.bytes(32), shortCard, sent(shortCard), null, null,
        "to a card that expires first".getBytes(StandardCharsets.UTF_8));
    long cardExpires = shortCard.card().expires();
    respondForged(cases, "made at the last second before the card's expiry (the bundle expires later)", shortCard,
        toShort.at(cardExpires - 1), cardExpires - 1, null);
    respondForged(cases, "made at the card's expiry (the bundle expires later)", shortCard, toShort.at(cardExpires),
        cardExpires, ErrorCode.EXPIRED);
    respondForged(cases, "the card's expiry + 4 days: the card is deleted with its bundle", shortCard,
        toShort.at(cardExpires - 1), cardExpires + WINDOW, ErrorCode.UNKNOWN_PREKEY);
  }

  private interface Edit {
    byte[] apply(byte[] message);
  }

  private static void respondForged(Cases cases, String comment, PrekeyRecipe r, Contact contact, long now,
      ErrorCode error) throws SottoException {
    respondForged(cases, comment, r, contact, now, error, message -> message);
  }

  /** A message made with the core at the contact's time, read by the responder at {@code now}. */
  private static void respondForged(Cases cases, String comment, PrekeyRecipe r, Contact contact, long now,
      ErrorCode error, Edit edit) throws SottoException {
    byte[] message = edit.apply(contact.forged());
    if (error != null) {
      respond(cases, comment, r, List.of(), message, now, error);
      return;
    }
    ObjectNode in = respondInput(r, List.of(), message, now);
    Accepted accepted = r.make().responder().accept(message, Instant.ofEpochSecond(now));
    cases.valid("respond", comment, in, Json.object()
        .put("initiator_identity", Bytes.hex(accepted.peer().encoded()))
        .put("payload", Bytes.hex(accepted.payload())));
  }

  /**
   * First messages whose encrypted identity opens, under the right K_id and N_id and with TH_1 as
   * associated data, to a malformed public identity: the responder reads it as a public identity,
   * with that encoding's errors, before it derives the session keys and opens the payload (spec:
   * handshake.adoc#responder, step 5). Only the encrypted identity differs from {@code m}.
   */
  private static void malformedIdentities(Cases cases, PrekeyRecipe r, Contact contact, byte[] m, int eid, long now)
      throws SottoException {
    HandshakeCore.Trace t = contact.trace(r.make());
    byte[] good = contact.initiator().publicIdentity().encoded();
    byte[] smallOrder = Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    Object[][] identities = {
      {"suite 0x0002", Texts.with(good, 1, 0x02), ErrorCode.UNSUPPORTED_SUITE},
      {"signing key with the X25519 type byte", Texts.with(good, 2, 0x02), ErrorCode.INVALID_ENCODING},
      {"signing key plus a point of order 8", Texts.replace(good, 3,
          Edwards25519.withTorsion(Arrays.copyOfRange(good, 3, 35))), ErrorCode.INVALID_KEY},
      {"DH key of small order (order 8)", Texts.replace(good, 36, smallOrder), ErrorCode.INVALID_KEY},
    };
    for (Object[] row : identities) {
      byte[] sealed = Aead.seal(t.identityKey(), t.identityNonce(), t.transcript1(), (byte[]) row[1]);
      respond(cases, "the encrypted identity opens to a malformed public identity, " + row[0]
          + ": rejected before the payload is opened", r, List.of(), Texts.replace(m, eid, sealed), now,
          (ErrorCode) row[2]);
    }
  }

  // ---------------------------------------------------------------- more refusals (issue 13 item 3)

  /**
   * Refusals added after the others (so that the earlier cases keep their random draws): replays at
   * the edge of the longest time a replay entry is kept, a full replay cache (the responder restored
   * from a state whose cache holds 4,096 entries), and responder states whose ids overlap or whose
   * lengths disagree with what they announce.
   */
  private void coverage(Cases cases) {
    try {
      PrekeyRecipe r = responder(9000, 2, 0);
      long now = sent(r);
      byte[] a = random.bytes(32);
      Contact plain = contact(a, r, now, null, null, "first".getBytes(StandardCharsets.UTF_8));
      byte[] m = plain.message();
      byte[] m2 = contact(random.bytes(32), r, now, null, null, "second".getBytes(StandardCharsets.UTF_8)).message();

      // A message made 600 s ahead of the responder's clock is kept in the cache W + 600 s.
      byte[] ahead = plain.at(now + SKEW).forged();
      respond(cases, "replay of a message made 600 s ahead of the clock, at its time + 4 days - 1 s (W + 600 s - 1 s "
          + "after it was accepted: the longest an entry is kept)", r, List.of(new Prior(ahead, now)), ahead,
          now + SKEW + WINDOW - 1, ErrorCode.REPLAY);
      respond(cases, "replay of a message made 600 s ahead of the clock, at its time + 4 days: the entry is deleted "
          + "and the time refused", r, List.of(new Prior(ahead, now)), ahead, now + SKEW + WINDOW, ErrorCode.EXPIRED);

      // The replay cache at its bound: the responder is restored from a state that holds m's entry
      // and as many made-up ones (TH_1 drawn, time now) as the case needs.
      respondFromState(cases, "a replay cache of 4,096 entries (full): a message without one-time prekeys is refused",
          r, cacheOf(r, m, now, Responder.REPLAY_CACHE_LIMIT), m2, now, ErrorCode.LIMIT_EXCEEDED);
      respondFromState(cases, "a full replay cache that holds the message: the replay check comes before the bound",
          r, cacheOf(r, m, now, Responder.REPLAY_CACHE_LIMIT), m, now, ErrorCode.REPLAY);
      byte[] almost = cacheOf(r, m, now, Responder.REPLAY_CACHE_LIMIT - 1);
      Accepted accepted = Responder.restore(r.card().owner(), almost).accept(m2, Instant.ofEpochSecond(now));
      ObjectNode in = respondInput(r, List.of(), m2, now);
      in.put("state", Bytes.hex(almost));
      cases.valid("respond", "a replay cache of 4,095 entries: one more message without one-time prekeys is accepted",
          in, Json.object().put("initiator_identity", Bytes.hex(accepted.peer().encoded()))
              .put("payload", Bytes.hex(accepted.payload())));

      overlappingStates(cases, r);
    } catch (SottoException e) {
      throw new IllegalStateException("generator failed to make a message", e);
    }
  }

  /**
   * The state of {@code r}'s responder after it accepted {@code m} at {@code now}, with made-up
   * entries (a drawn TH_1, time {@code now}) added to the bundle's replay cache up to {@code size}.
   */
  private byte[] cacheOf(PrekeyRecipe r, byte[] m, long now, int size) throws SottoException {
    Responder responder = r.make().responder();
    responder.accept(m, Instant.ofEpochSecond(now));
    ResponderStateParts parts = ResponderStateParts.readExactly(responder.serialize());
    ResponderStateParts.HeldBundle held = parts.bundles.get(0);
    while (held.replay.size() < size) {
      held.replay.add(Bytes.concat(random.bytes(32), Raw.u64(now)));
    }
    return parts.write();
  }

  private static void respondFromState(Cases cases, String comment, PrekeyRecipe r, byte[] state, byte[] message,
      long now, ErrorCode error) {
    ObjectNode in = respondInput(r, List.of(), message, now);
    in.put("state", Bytes.hex(state));
    cases.invalid("respond", comment, in, error);
  }

  /** Responder states with ids held twice, and with card and record lengths off by one. */
  private void overlappingStates(Cases cases, PrekeyRecipe r) throws SottoException {
    byte[] state = responderState(r, List.of(), sent(r));
    ResponderStateParts parts = ResponderStateParts.readExactly(state);
    PrekeyRecipe.Made made = r.make();
    byte[] signing = r.card().signingKey();
    byte[] tag = r.card().inviteTag();

    ResponderStateParts spkClash = ResponderStateParts.read(state);
    ResponderStateParts.HeldBundle second = spkClash.bundles.get(0).copy();
    RawPrekeys.Bundle raw = RawPrekeys.Bundle.of(made.bundle());
    raw.serial = raw.serial + 1;
    raw.spkId = made.bundle().kemPrekey().id();
    raw.pqspkId = 8999;
    second.bundle = raw.signedBy(signing, tag);
    spkClash.bundles.add(second);
    stateInvalid(cases, "a second bundle whose spk_id is the first bundle's pqspk_id (signed): an id held twice", r,
        spkClash.write(), ErrorCode.INVALID_ENCODING);

    ResponderStateParts pqClash = ResponderStateParts.read(state);
    second = pqClash.bundles.get(0).copy();
    raw = RawPrekeys.Bundle.of(made.bundle());
    raw.serial = raw.serial + 1;
    raw.spkId = 8998;
    raw.pqspkId = made.bundle().signedPrekey().id();
    second.bundle = raw.signedBy(signing, tag);
    pqClash.bundles.add(second);
    stateInvalid(cases, "a second bundle whose pqspk_id is the first bundle's spk_id (signed): an id held twice", r,
        pqClash.write(), ErrorCode.INVALID_ENCODING);

    ResponderStateParts recordClash = ResponderStateParts.read(state);
    RawPrekeys.OneTime rawRecord = RawPrekeys.OneTime.of(made.oneTime().get(1));
    rawRecord.id = made.oneTime().get(0).prekey().id();
    recordClash.oneTime.get(1).record = rawRecord.signedBy(signing, tag);
    stateInvalid(cases, "two one-time records with one id (signed): an id held twice", r, recordClash.write(),
        ErrorCode.INVALID_ENCODING);

    int cardLength = parts.cards.get(0).length;
    int cardLengthAt = 16;
    stateInvalid(cases, "card_length one more than the card: the card is read with a byte after it", r,
        Texts.replace(state, cardLengthAt, new byte[] {(byte) ((cardLength + 1) >> 8), (byte) (cardLength + 1)}),
        ErrorCode.TRAILING_DATA);
    stateInvalid(cases, "card_length one less than the card: the card is read cut short", r,
        Texts.replace(state, cardLengthAt, new byte[] {(byte) ((cardLength - 1) >> 8), (byte) (cardLength - 1)}),
        ErrorCode.TRUNCATED);
    int oneTimeCount = 18 + cardLength + 1 + 1 + PrekeyBundle.LENGTH + 32 + 64 + 2;
    int recordLengthAt = oneTimeCount + 2 + 1;
    int recordLength = parts.oneTime.get(0).record.length;
    stateInvalid(cases, "a one-time record_length one more than the record: it is read with a byte after it", r,
        Texts.replace(state, recordLengthAt, new byte[] {0, (byte) (recordLength + 1)}), ErrorCode.TRAILING_DATA);
  }

  // ---------------------------------------------------------------- responder state

  /** The responder's state format (spec: handshake.adoc#responder-state): written, and refused when malformed. */
  private void responderStates(Cases cases, PrekeyRecipe r, byte[] plain, byte[] withOpk, byte[] withKemOpk)
      throws SottoException {
    long now = sent(r);
    long bundleExpires = r.bundle().expires();
    long oneTimeExpires = r.oneTime().expires();
    stateValid(cases, "a responder that holds a card, a bundle and three one-time prekeys, none used", r, List.of(),
        now);
    stateValid(cases, "after a first message with an X25519 one-time prekey: that prekey is gone", r,
        List.of(new Prior(withOpk, now)), now);
    stateValid(cases, "after a first message with an ML-KEM-768 one-time prekey: that prekey is gone", r,
        List.of(new Prior(withKemOpk, now)), now);
    stateValid(cases, "after a first message without one-time prekeys: its TH_1 and time are in the replay cache", r,
        List.of(new Prior(plain, now)), now);
    stateValid(cases, "at the one-time prekeys' expiry + 4 days: they are deleted", r, List.of(new Prior(plain, now)),
        oneTimeExpires + WINDOW);
    stateValid(cases, "at the message's time + 4 days: its replay entry is deleted", r,
        List.of(new Prior(plain, now)), now + WINDOW);
    stateValid(cases, "at the bundle's expiry + 4 days: the bundle is deleted, the card kept", r, List.of(),
        bundleExpires + WINDOW);

    byte[] state = responderState(r, List.of(new Prior(plain, now)), now);
    ResponderStateParts parts = ResponderStateParts.readExactly(state);
    int cardLength = parts.cards.get(0).length;
    int bundleCount = 15 + 1 + 2 + cardLength;
    int bundleAt = bundleCount + 2;
    int spkPrivate = bundleAt + PrekeyBundle.LENGTH;
    int pqspkSeed = spkPrivate + 32;
    int replayCount = pqspkSeed + 64;
    int oneTimeCount = replayCount + 2 + 40;

    stateInvalid(cases, "state cut short", r, Arrays.copyOf(state, state.length - 1), ErrorCode.TRUNCATED);
    stateInvalid(cases, "one byte appended", r, Arrays.copyOf(state, state.length + 1), ErrorCode.TRAILING_DATA);
    stateInvalid(cases, "version 0x01 (a revision-1 state)", r, Texts.with(state, 0, 1), ErrorCode.UNSUPPORTED_VERSION);
    stateInvalid(cases, "version 0x03", r, Texts.with(state, 0, 3), ErrorCode.UNSUPPORTED_VERSION);
    stateInvalid(cases, "suite 0x0002", r, Texts.with(state, 2, 2), ErrorCode.UNSUPPORTED_SUITE);
    stateInvalid(cases, "next_serial of 2^32 + 1", r, Texts.replace(state, 7, Raw.u64(0x100000001L)),
        ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "17 cards announced", r, Texts.with(state, 15, 17), ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "a card whose signature no longer verifies", r, Texts.flip(state, 18 + cardLength - 5),
        ErrorCode.BAD_SIGNATURE);
    ResponderStateParts twice = ResponderStateParts.read(state);
    twice.cards.add(twice.cards.get(0).clone());
    stateInvalid(cases, "the same card held twice (one invite tag)", r, twice.write(), ErrorCode.INVALID_ENCODING);
    PrekeyRecipe stranger = responder(5000, 2, 1);
    stateInvalid(cases, "the state of another identity's responder", r, responderState(stranger, List.of(), now),
        ErrorCode.IDENTITY_MISMATCH);
    stateInvalid(cases, "17 bundles announced", r, Texts.with(state, bundleCount, 17), ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "a bundle's card index naming no card", r, Texts.with(state, bundleCount + 1, 1),
        ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "a bundle whose signature no longer verifies", r,
        Texts.flip(state, bundleAt + PrekeyBundle.LENGTH - 10), ErrorCode.BAD_SIGNATURE);
    stateInvalid(cases, "a signed prekey private key that does not match the bundle", r,
        Texts.flip(state, spkPrivate + 1, 0x40), ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "an ML-KEM prekey seed that does not match the bundle", r, Texts.flip(state, pqspkSeed + 5),
        ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "4097 replay entries announced (more than the cache holds)", r,
        Texts.replace(state, replayCount, new byte[] {0x10, 0x01}), ErrorCode.INVALID_ENCODING);
    ResponderStateParts repeated = ResponderStateParts.read(state);
    repeated.bundles.get(0).replay.add(repeated.bundles.get(0).replay.get(0).clone());
    stateInvalid(cases, "a replay entry listed twice", r, repeated.write(), ErrorCode.INVALID_ENCODING);
    stateInvalid(cases, "1025 one-time prekeys announced", r, Texts.replace(state, oneTimeCount, new byte[] {4, 1}),
        ErrorCode.INVALID_ENCODING);
    ResponderStateParts mismatch = ResponderStateParts.read(state);
    mismatch.oneTime.get(0).secret[3] ^= 0x01;
    stateInvalid(cases, "a one-time private key that does not match its record", r, mismatch.write(),
        ErrorCode.INVALID_ENCODING);
    ResponderStateParts forged = ResponderStateParts.read(state);
    forged.oneTime.get(0).record[20] ^= 0x01;
    stateInvalid(cases, "a one-time record whose signature no longer verifies", r, forged.write(),
        ErrorCode.BAD_SIGNATURE);
    ResponderStateParts sameId = ResponderStateParts.read(state);
    RawPrekeys.OneTime raw = RawPrekeys.OneTime.of(r.make().oneTime().get(0));
    raw.id = r.bundle().spkId();
    sameId.oneTime.get(0).record = raw.signedBy(r.card().signingKey(), r.card().inviteTag());
    stateInvalid(cases, "a one-time record with the bundle's signed prekey id (signed): an id held twice", r,
        sameId.write(), ErrorCode.INVALID_ENCODING);
    ResponderStateParts wrongCard = ResponderStateParts.read(state);
    wrongCard.oneTime.get(0).cardIndex = 1;
    stateInvalid(cases, "a one-time prekey's card index naming no card", r, wrongCard.write(),
        ErrorCode.INVALID_ENCODING);
  }

  private static byte[] responderState(PrekeyRecipe r, List<Prior> prior, long now) throws SottoException {
    Responder responder = r.make().responder();
    for (Prior p : prior) {
      responder.accept(p.message(), Instant.ofEpochSecond(p.now()));
    }
    responder.expire(Instant.ofEpochSecond(now));
    return responder.serialize();
  }

  private static void stateValid(Cases cases, String comment, PrekeyRecipe r, List<Prior> prior, long now)
      throws SottoException {
    ObjectNode in = Json.object();
    in.set("responder", r.toJson());
    priors(in, prior);
    in.put("now", now);
    cases.valid("responder_state", comment, in,
        Json.object().put("state", Bytes.hex(responderState(r, prior, now))));
  }

  private static void stateInvalid(Cases cases, String comment, PrekeyRecipe r, byte[] state, ErrorCode error) {
    ObjectNode in = Json.object();
    in.set("responder", r.toJson());
    in.put("state", Bytes.hex(state));
    cases.invalid("responder_state", comment, in, error);
  }

  private static void priors(ObjectNode in, List<Prior> prior) {
    ArrayNode list = in.putArray("prior");
    prior.forEach(p -> list.addObject().put("message", Bytes.hex(p.message())).put("now", p.now()));
  }

  private static ObjectNode respondInput(PrekeyRecipe r, List<Prior> prior, byte[] message, long now) {
    ObjectNode in = Json.object();
    in.set("responder", r.toJson());
    priors(in, prior);
    in.put("message", Bytes.hex(message));
    in.put("now", now);
    return in;
  }

  private static void respond(Cases cases, String comment, PrekeyRecipe r, List<Prior> prior, byte[] message,
      long now, ErrorCode error) {
    cases.invalid("respond", comment, respondInput(r, prior, message, now), error);
  }

  private static void initiate(Cases cases, String comment, Contact contact, ErrorCode error) {
    cases.invalid("initiate", comment, contact.toJson(), error);
  }

  // ---------------------------------------------------------------- verification

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    String operation = testCase.path("operation").asText();
    try {
      switch (operation) {
        case "handshake" -> verifyHandshake(Contact.fromJson(in), check);
        case "initiate" -> {
          Contact contact = Contact.fromJson(in);
          byte[] message = contact.message();
          if (check.accepted()) {
            check.bytes("message", message);
          }
        }
        case "responder_state" -> {
          PrekeyRecipe recipe = PrekeyRecipe.fromJson(in.path("responder"));
          if (in.has("state")) {
            Responder.restore(recipe.card().owner(), Bytes.unhex(in.path("state").asText()));
            check.accepted();
            return;
          }
          Responder responder = recipe.make().responder();
          if (!acceptPrior(responder, in, check)) {
            return;
          }
          responder.expire(Instant.ofEpochSecond(in.path("now").asLong()));
          byte[] state = responder.serialize();
          if (check.accepted()) {
            check.bytes("state", state);
            if (!Arrays.equals(state, Responder.restore(recipe.card().owner(), state).serialize())) {
              check.fail("state: restoring it and writing it again gives other bytes");
            }
          }
        }
        case "respond" -> {
          PrekeyRecipe recipe = PrekeyRecipe.fromJson(in.path("responder"));
          Responder responder = in.has("state")
              ? Responder.restore(recipe.card().owner(), Bytes.unhex(in.path("state").asText()))
              : recipe.make().responder();
          if (!acceptPrior(responder, in, check)) {
            return;
          }
          Instant now = Instant.ofEpochSecond(in.path("now").asLong());
          // Deletion at expiry happens on every call, a rejected one included: only the rest must not change.
          responder.expire(now);
          Responder.Snapshot before = responder.snapshot();
          try {
            Accepted accepted = responder.accept(Bytes.unhex(in.path("message").asText()), now);
            if (check.accepted()) {
              check.bytes("initiator_identity", accepted.peer().encoded());
              check.bytes("payload", accepted.payload());
            }
          } finally {
            if (!check.expectsValid() && !before.equals(responder.snapshot())) {
              check.fail("the responder's state changed although the message was rejected");
            }
          }
        }
        default -> check.fail("unknown operation '" + operation + "'");
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }

  /** Accepts each message of {@code input.prior} at its own time; false (and a failure) if one is refused. */
  private static boolean acceptPrior(Responder responder, JsonNode in, CaseCheck check) {
    for (JsonNode prior : in.path("prior")) {
      try {
        responder.accept(Bytes.unhex(prior.path("message").asText()), Instant.ofEpochSecond(prior.path("now").asLong()));
      } catch (SottoException e) {
        check.fail("prior message rejected: " + e.code() + " (" + e.getMessage() + ")");
        return false;
      }
    }
    return true;
  }

  private static void verifyHandshake(Contact contact, CaseCheck check) throws SottoException {
    PrekeyRecipe.Made made = contact.responder().make();
    Instant now = Instant.ofEpochSecond(contact.now());
    Card card = Card.parse(made.card().encoded(), now);
    check.bytes("card", card.encoded());
    check.bytes("bundle", PrekeyBundle.parse(made.bundle().encoded(), card, now).encoded());
    checkRecord(check, "opk", made.oneTime(contact.opkId(), false), card, now);
    checkRecord(check, "kem_opk", made.oneTime(contact.kemOpkId(), true), card, now);
    HandshakeCore.Trace t = contact.trace(made);
    check.bytes("ek_public", t.ephemeralPublic());
    check.bytes("kem_ciphertext", t.kemCiphertext());
    check.bytes("kem_shared_secret", t.kemSharedSecret());
    check.bytes("transcript_1_input", transcript1Input(contact, made, t));
    check.bytes("transcript_1", t.transcript1());
    if (!Arrays.equals(Hmac.hash(Bytes.unhex(check.output().path("transcript_1_input").asText())),
        Bytes.unhex(check.output().path("transcript_1").asText()))) {
      check.fail("transcript_1: not SHA-256 of the case's transcript_1_input");
    }
    check.bytes("dh3", t.dh3());
    check.bytes("identity_key", t.identityKey());
    check.bytes("identity_nonce", t.identityNonce());
    check.bytes("encrypted_identity", t.encryptedIdentity());
    check.bytes("transcript", t.transcript());
    check.bytes("dh1", t.dh1());
    check.bytes("dh2", t.dh2());
    if (t.dh4() == null) {
      check.isNull("dh4");
    } else {
      check.bytes("dh4", t.dh4());
    }
    check.bytes("dh5", t.dh5());
    keys(check, t.keys());
    check.bytes("sealed_payload", t.sealedPayload());
    FirstContact fc = contact.start(made);
    check.bytes("message", fc.message());
    check.bytes("initiator_identity", contact.initiator().publicIdentity().encoded());

    // The responder's side, from the wire bytes alone.
    Accepted accepted = contact.responder().make().responder().accept(fc.message(), now);
    if (!check.accepted()) {
      return;
    }
    check.bytes("initiator_identity", accepted.peer().encoded());
    keys(check, accepted.secrets().keys(dev.sotto.InsecureSecretAccess.get()));
    if (!Arrays.equals(accepted.payload(), contact.payload())) {
      check.fail("payload: the responder opened other bytes than the initiator sealed");
    }
    if (!fc.secrets().matches(accepted.secrets())) {
      check.fail("the two sides' session secrets differ");
    }
  }

  private static void checkRecord(CaseCheck check, String field, OneTimePrekey record, Card card, Instant now)
      throws SottoException {
    if (record == null) {
      check.isNull(field);
    } else {
      check.bytes(field, OneTimePrekey.parse(record.encoded(), card, now).encoded());
    }
  }

  private static void keys(CaseCheck check, HandshakeCore.Keys k) {
    check.bytes("root_key", k.rootKey());
    check.bytes("initiator_header_key", k.initiatorHeaderKey());
    check.bytes("responder_header_key", k.responderHeaderKey());
    check.bytes("initiator_tag_key", k.initiatorTagKey());
    check.bytes("responder_tag_key", k.responderTagKey());
    check.bytes("confirm_key", k.confirmKey());
    check.bytes("confirm_nonce", k.confirmNonce());
  }
}
