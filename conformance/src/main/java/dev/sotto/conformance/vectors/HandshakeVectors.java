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
import dev.sotto.IssuedCard;
import dev.sotto.Prekey;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.internal.handshake.FirstMessage;
import dev.sotto.internal.handshake.HandshakeCore;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * {@code handshake.json}: whole first contacts, from the responder's card recipe and the
 * initiator's seed and randomness to the first message and every intermediate value, checked on
 * both sides; and the responder's rejection of tampered, truncated, replayed, expired and
 * misdirected first messages (spec: handshake.adoc).
 *
 * <p>Operations: {@code handshake} (valid), {@code respond} and {@code initiate} (invalid).
 */
public final class HandshakeVectors implements VectorSuite {
  private static final long T0 = 1_800_000_000L;
  private static final long DAY = 86_400L;

  @Override
  public String component() {
    return "handshake";
  }

  @Override
  public String description() {
    return "Handshake: whole first contacts (the responder's card recipe, the initiator's seed and every random "
        + "value, the first message, every DH output, the KEM secret, both transcript hashes and every derived "
        + "key), and the responder's rejection of tampered, truncated, replayed, expired and misdirected first "
        + "messages. Spec: handshake.adoc.";
  }

  /** One first contact: who, to which card, with which one-time prekeys, and the randomness drawn. */
  private record Contact(byte[] initiatorSeed, CardRecipe card, long now, Long opkId, Long kemOpkId, byte[] ekPrivate,
      byte[] kemRandomness, byte[] payload) {

    Identity initiator() {
      return Identity.fromSeed(IdentitySeed.fromBytes(initiatorSeed));
    }

    /** The first message, through the public API. */
    byte[] message() throws SottoException {
      return start(card.issue().card()).message();
    }

    FirstContact start(Card theirs) throws SottoException {
      return Initiator.to(initiator(), theirs).oneTimePrekeys(opkId, kemOpkId)
          .start(Instant.ofEpochSecond(now), payload, TestRandom.replay(Bytes.concat(ekPrivate, kemRandomness)));
    }

    /** Every intermediate value, through the internal core. */
    HandshakeCore.Trace trace(Card theirs) throws SottoException {
      byte[] ikA = initiator().derivedKeys(dev.sotto.InsecureSecretAccess.get()).x25519Private();
      Prekey opk = opkId == null ? null : find(theirs.oneTimePrekeys(), opkId);
      Prekey kem = kemOpkId == null ? theirs.kemPrekey() : find(theirs.kemOneTimePrekeys(), kemOpkId);
      HandshakeCore.Prekeys p = new HandshakeCore.Prekeys(theirs.signedPrekey().id(), theirs.signedPrekey().publicKey(),
          kem.id(), kem.publicKey(), opk == null ? FirstMessage.NONE : opk.id(), opk == null ? null : opk.publicKey());
      return HandshakeCore.initiate(initiator().publicIdentity(), pub -> X25519.agree(ikA, pub), theirs.identity(), p,
          kemOpkId != null, ekPrivate, kemRandomness, payload);
    }

    ObjectNode toJson() {
      ObjectNode in = Json.object();
      in.put("initiator_seed", Bytes.hex(initiatorSeed));
      in.set("responder_card", card.toJson());
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
      return new Contact(Bytes.unhex(in.path("initiator_seed").asText()), CardRecipe.fromJson(in.path("responder_card")),
          in.path("now").asLong(), in.path("opk_id").isNull() ? null : in.path("opk_id").asLong(),
          in.path("kem_opk_id").isNull() ? null : in.path("kem_opk_id").asLong(),
          Bytes.unhex(in.path("random").path("ek_private").asText()),
          Bytes.unhex(in.path("random").path("kem_randomness").asText()), Bytes.unhex(in.path("payload").asText()));
    }
  }

  private static Prekey find(List<Prekey> prekeys, long id) {
    return prekeys.stream().filter(p -> p.id() == id).findFirst().orElseThrow();
  }

  private RandomSource random;

  private Contact contact(byte[] initiatorSeed, CardRecipe card, Long opk, Long kemOpk, byte[] payload) {
    return new Contact(initiatorSeed, card, card.created() + 3600, opk, kemOpk, random.bytes(32), random.bytes(32),
        payload);
  }

  private CardRecipe card(long spkId, long[] opks, long[] kemOpks) {
    return CardRecipe.record(random.bytes(32), T0, T0 + 30 * DAY, spkId, spkId + 1, opks, kemOpks,
        List.of(Addresses.mailbox("mailbox.example.org", 7401, 1)), random);
  }

  @Override
  public ArrayNode generate() {
    random = seededRandom();
    Cases cases = new Cases();
    byte[][] payloads = {
      new byte[0], "h".getBytes(StandardCharsets.UTF_8), "hello, Bob".getBytes(StandardCharsets.UTF_8),
      random.bytes(15), random.bytes(16), random.bytes(100), random.bytes(1000), random.bytes(5000),
    };
    Long[][] combinations = {{null, null}, {10L, null}, {null, 20L}, {11L, 21L}};
    String[] names = {"no one-time prekey", "an X25519 one-time prekey", "an ML-KEM one-time prekey",
        "one-time prekeys of both kinds"};
    for (int i = 0; i < payloads.length; i++) {
      CardRecipe card = card(1 + 100L * i, new long[] {10, 11, 12}, new long[] {20, 21});
      for (int c = 0; c < combinations.length; c++) {
        Contact contact = contact(random.bytes(32), card, combinations[c][0], combinations[c][1], payloads[i]);
        handshake(cases, names[c] + ", payload of " + payloads[i].length + " bytes", contact);
      }
    }
    CardRecipe bare = card(900, new long[0], new long[0]);
    handshake(cases, "a card without one-time prekeys", contact(random.bytes(32), bare, null, null, payloads[2]));
    handshake(cases, "the initiator writes to its own card", contact(bare.identitySeed(), bare, null, null, payloads[2]));

    invalid(cases);
    return cases.toArray();
  }

  private static void handshake(Cases cases, String comment, Contact contact) {
    try {
      IssuedCard issued = contact.card().issue();
      HandshakeCore.Trace t = contact.trace(issued.card());
      ObjectNode out = Json.object();
      out.put("card", Bytes.hex(issued.card().encoded()));
      out.put("ek_public", Bytes.hex(t.ephemeralPublic()));
      out.put("kem_ciphertext", Bytes.hex(t.kemCiphertext()));
      out.put("kem_shared_secret", Bytes.hex(t.kemSharedSecret()));
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

  private void invalid(Cases cases) {
    try {
      CardRecipe card = card(5000, new long[] {5010, 5011}, new long[] {5020});
      byte[] a = random.bytes(32);
      Contact plain = contact(a, card, null, null, "first".getBytes(StandardCharsets.UTF_8));
      Contact withOpk = contact(a, card, 5010L, null, "with opk".getBytes(StandardCharsets.UTF_8));
      Contact withKemOpk = contact(a, card, null, 5020L, "with kem opk".getBytes(StandardCharsets.UTF_8));
      Contact both = contact(random.bytes(32), card, 5011L, 5020L, "both".getBytes(StandardCharsets.UTF_8));
      byte[] m = plain.message();
      byte[] mOpk = withOpk.message();
      byte[] mBoth = both.message();
      byte[] other = contact(random.bytes(32), card, null, null, "other".getBytes(StandardCharsets.UTF_8)).message();
      // Offsets of the fields of a message without opk_id (spec: handshake.adoc#first-message).
      int flags = 3;
      int spkId = 4;
      int kemId = 8;
      int ek = 12;
      int ct = 45;
      int eid = 1133;
      int length = 1217;
      int payload = 1221;
      long now = card.created() + 3600;

      respond(cases, "empty input", card, List.of(), new byte[0], now, ErrorCode.TRUNCATED);
      respond(cases, "version 1 (revision 1)", card, List.of(), Texts.with(m, 0, 1), now, ErrorCode.UNSUPPORTED_VERSION);
      respond(cases, "version 3", card, List.of(), Texts.with(m, 0, 3), now, ErrorCode.UNSUPPORTED_VERSION);
      respond(cases, "version 0", card, List.of(), Texts.with(m, 0, 0), now, ErrorCode.UNSUPPORTED_VERSION);
      respond(cases, "suite 0x0002", card, List.of(), Texts.with(m, 2, 2), now, ErrorCode.UNSUPPORTED_SUITE);
      respond(cases, "undefined flag bit 2", card, List.of(), Texts.with(m, flags, 0x04), now, ErrorCode.INVALID_ENCODING);
      respond(cases, "ephemeral key with the ML-KEM type byte", card, List.of(), Texts.with(m, ek, 0x03), now,
          ErrorCode.INVALID_ENCODING);
      respond(cases, "ephemeral key of small order", card, List.of(),
          Texts.replace(m, ek + 1, Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")),
          now, ErrorCode.INVALID_KEY);
      respond(cases, "ephemeral key not canonical (top bit set)", card, List.of(), Texts.flip(m, ek + 32, 0x80), now,
          ErrorCode.INVALID_KEY);
      respond(cases, "truncated inside the ephemeral key", card, List.of(), Texts.cut(m, ek + 10), now,
          ErrorCode.TRUNCATED);
      respond(cases, "truncated inside the KEM ciphertext", card, List.of(), Texts.cut(m, ct + 500), now,
          ErrorCode.TRUNCATED);
      respond(cases, "truncated inside the encrypted identity", card, List.of(), Texts.cut(m, eid + 40), now,
          ErrorCode.TRUNCATED);
      respond(cases, "truncated inside the payload", card, List.of(), Texts.cut(m, m.length - 1), now, ErrorCode.TRUNCATED);
      respond(cases, "payload length larger than the message", card, List.of(), Texts.with(m, length, 0x7f), now,
          ErrorCode.TRUNCATED);
      respond(cases, "one byte after the payload", card, List.of(), Arrays.copyOf(m, m.length + 1), now,
          ErrorCode.TRAILING_DATA);
      respond(cases, "payload shorter than an AEAD tag", card, List.of(),
          Bytes.concat(Texts.cut(m, length), new byte[] {0, 0, 0, 15}, new byte[15]), now, ErrorCode.INVALID_ENCODING);
      respond(cases, "signed prekey id of no held card", card, List.of(), Texts.flip(m, spkId + 3, 0x01), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "signed prekey id of no held card, after the card's expiry: the prekeys are looked up first",
          card, List.of(), Texts.flip(m, spkId + 3, 0x01), card.expires() + DAY, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "KEM prekey id changed", card, List.of(), Texts.flip(m, kemId + 3, 0x01), now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "ML-KEM one-time prekey flag cleared", card, List.of(),
          Texts.with(withKemOpk.message(), flags, 0x00), now, ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "X25519 one-time prekey id of no prekey", card, List.of(), Texts.flip(mOpk, 12, 0x01), now,
          ErrorCode.UNKNOWN_PREKEY);
      CardRecipe elsewhere = card(7000, new long[] {7010}, new long[0]);
      respond(cases, "message for another card", card, List.of(),
          contact(a, elsewhere, 7010L, null, "hi".getBytes(StandardCharsets.UTF_8)).message(), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "X25519 one-time prekey already used", card, List.of(mOpk),
          contact(random.bytes(32), card, 5010L, null, "late".getBytes(StandardCharsets.UTF_8)).message(), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "ML-KEM one-time prekey already used", card, List.of(mBoth), withKemOpk.message(), now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "replay of a message with a one-time prekey", card, List.of(mOpk), mOpk, now,
          ErrorCode.UNKNOWN_PREKEY);
      respond(cases, "replay of a message without one-time prekeys", card, List.of(m), m, now, ErrorCode.REPLAY);
      respond(cases, "replay after another message", card, List.of(m, other), m, now, ErrorCode.REPLAY);
      respond(cases, "replay with the encrypted identity changed: TH_1 does not cover it, the replay check comes first",
          card, List.of(m), Texts.flip(m, eid + 3, 0x01), now, ErrorCode.REPLAY);
      respond(cases, "replay with the payload changed: TH_1 does not cover it, the replay check comes first", card,
          List.of(m), Texts.flip(m, payload + 1, 0x01), now, ErrorCode.REPLAY);
      respond(cases, "replay with a longer payload: TH_1 does not cover it, the replay check comes first", card,
          List.of(m), Bytes.concat(Texts.cut(m, length), new Writer().u32(m.length - payload + 1).toByteArray(),
              Arrays.copyOfRange(m, payload, m.length), new byte[1]), now, ErrorCode.REPLAY);
      respond(cases, "card expired at its expiry time", card, List.of(), m, card.expires(), ErrorCode.EXPIRED);
      respond(cases, "ephemeral key with one bit flipped", card, List.of(), Texts.flip(m, ek + 5, 0x10), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "ephemeral key of another message", card, List.of(), Texts.replace(m, ek, Arrays.copyOfRange(other,
          ek, ek + 33)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "KEM ciphertext with one bit flipped", card, List.of(), Texts.flip(m, ct + 700, 0x01), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "KEM ciphertext of another message", card, List.of(),
          Texts.replace(m, ct, Arrays.copyOfRange(other, ct, ct + 1088)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "encrypted identity with one bit flipped", card, List.of(), Texts.flip(m, eid + 3, 0x01), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "encrypted identity of another message", card, List.of(),
          Texts.replace(m, eid, Arrays.copyOfRange(other, eid, eid + 84)), now, ErrorCode.AUTH_FAILED);
      respond(cases, "payload with one bit flipped", card, List.of(), Texts.flip(m, payload + 1, 0x01), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "payload tag with one bit flipped", card, List.of(), Texts.flip(m, m.length - 1, 0x80), now,
          ErrorCode.AUTH_FAILED);
      respond(cases, "payload of another message", card, List.of(),
          Bytes.concat(Texts.cut(m, length), Arrays.copyOfRange(other, length, other.length)), now, ErrorCode.AUTH_FAILED);

      malformedIdentities(cases, card, plain, m, eid, now);

      responderStates(cases, card, m, mOpk);

      ObjectNode expired = contact(a, card, null, null, new byte[0]).toJson();
      expired.put("now", card.expires());
      cases.invalid("initiate", "the initiator refuses a card that has expired", expired, ErrorCode.EXPIRED);
    } catch (SottoException e) {
      throw new IllegalStateException("generator failed to make a message", e);
    }
  }

  /**
   * First messages whose encrypted identity opens, under the right K_id and N_id and with TH_1 as
   * associated data, to a malformed public identity: the responder reads it as a public identity,
   * with that encoding's errors, before it derives the session keys and opens the payload (spec:
   * handshake.adoc#responder, step 5). Only the encrypted identity differs from {@code m}.
   */
  private static void malformedIdentities(Cases cases, CardRecipe card, Contact contact, byte[] m, int eid, long now)
      throws SottoException {
    HandshakeCore.Trace t = contact.trace(card.issue().card());
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
          + ": rejected before the payload is opened", card, List.of(), Texts.replace(m, eid, sealed), now,
          (ErrorCode) row[2]);
    }
  }

  /** The responder's state format (spec: handshake.adoc#responder-state): written, and refused when malformed. */
  private static void responderStates(Cases cases, CardRecipe card, byte[] plain, byte[] withOpk) {
    try {
      String op = "responder_state";
      cases.valid(op, "a responder that holds one card, nothing used yet", stateInput(card, List.of(), null),
          Json.object().put("state", Bytes.hex(responderState(card, List.of()))));
      cases.valid(op, "after a first message with a one-time prekey: that prekey is gone",
          stateInput(card, List.of(withOpk), null), Json.object().put("state", Bytes.hex(responderState(card, List.of(withOpk)))));
      cases.valid(op, "after a first message without one-time prekeys: its TH_1 is in the replay cache",
          stateInput(card, List.of(plain), null), Json.object().put("state", Bytes.hex(responderState(card, List.of(plain)))));
      byte[] state = responderState(card, List.of(plain));
      cases.invalid(op, "state cut short", stateInput(card, null, Arrays.copyOf(state, state.length - 1)),
          ErrorCode.TRUNCATED);
      cases.invalid(op, "one byte appended", stateInput(card, null, Arrays.copyOf(state, state.length + 1)),
          ErrorCode.TRAILING_DATA);
      cases.invalid(op, "version 2", stateInput(card, null, Texts.with(state, 0, 2)), ErrorCode.UNSUPPORTED_VERSION);
      cases.invalid(op, "suite 0x0002", stateInput(card, null, Texts.with(state, 2, 2)), ErrorCode.UNSUPPORTED_SUITE);
      cases.invalid(op, "17 cards announced", stateInput(card, null, Texts.with(state, 3, 17)),
          ErrorCode.INVALID_ENCODING);
      int cardLength = ((state[4] & 0xff) << 24) | ((state[5] & 0xff) << 16) | ((state[6] & 0xff) << 8)
          | (state[7] & 0xff);
      cases.invalid(op, "a signed prekey private key that does not match the card",
          stateInput(card, null, Texts.flip(state, 8 + cardLength + 1, 0x40)), ErrorCode.INVALID_ENCODING);
      cases.invalid(op, "a card whose signature no longer verifies", stateInput(card, null, Texts.flip(state, 8 + 200)),
          ErrorCode.BAD_SIGNATURE);
    } catch (SottoException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] responderState(CardRecipe card, List<byte[]> prior) throws SottoException {
    Responder r = new Responder(card.owner());
    r.add(card.issue());
    for (byte[] m : prior) {
      r.accept(m, Instant.ofEpochSecond(card.created() + 3600));
    }
    return r.serialize();
  }

  private static ObjectNode stateInput(CardRecipe card, List<byte[]> prior, byte[] state) {
    ObjectNode in = Json.object();
    in.set("responder_card", card.toJson());
    if (prior != null) {
      ArrayNode list = in.putArray("prior");
      prior.forEach(p -> list.add(Bytes.hex(p)));
      in.put("now", card.created() + 3600);
    } else {
      in.put("state", Bytes.hex(state));
    }
    return in;
  }

  private static void respond(Cases cases, String comment, CardRecipe card, List<byte[]> prior, byte[] message,
      long now, ErrorCode error) {
    ObjectNode in = Json.object();
    in.set("responder_card", card.toJson());
    ArrayNode list = in.putArray("prior");
    prior.forEach(p -> list.add(Bytes.hex(p)));
    in.put("message", Bytes.hex(message));
    in.put("now", now);
    cases.invalid("respond", comment, in, error);
  }


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
          CardRecipe recipe = CardRecipe.fromJson(in.path("responder_card"));
          if (in.has("state")) {
            Responder.restore(recipe.owner(), Bytes.unhex(in.path("state").asText()));
            check.accepted();
            return;
          }
          Responder responder = new Responder(recipe.owner());
          responder.add(recipe.issue());
          Instant now = Instant.ofEpochSecond(in.path("now").asLong());
          for (JsonNode prior : in.path("prior")) {
            responder.accept(Bytes.unhex(prior.asText()), now);
          }
          byte[] state = responder.serialize();
          if (check.accepted()) {
            check.bytes("state", state);
            if (!Arrays.equals(state, Responder.restore(recipe.owner(), state).serialize())) {
              check.fail("state: restoring it and writing it again gives other bytes");
            }
          }
        }
        case "respond" -> {
          IssuedCard issued = CardRecipe.fromJson(in.path("responder_card")).issue();
          Responder responder = new Responder(CardRecipe.fromJson(in.path("responder_card")).owner());
          responder.add(issued);
          Instant now = Instant.ofEpochSecond(in.path("now").asLong());
          for (JsonNode prior : in.path("prior")) {
            try {
              responder.accept(Bytes.unhex(prior.asText()), now);
            } catch (SottoException e) {
              check.fail("prior message rejected: " + e.getMessage());
              return;
            }
          }
          Responder.Snapshot before = responder.snapshot();
          try {
            Accepted accepted = responder.accept(Bytes.unhex(in.path("message").asText()), now);
            if (check.accepted()) {
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

  private static void verifyHandshake(Contact contact, CaseCheck check) throws SottoException {
    IssuedCard issued = contact.card().issue();
    Card card = Card.parse(issued.card().encoded(), Instant.ofEpochSecond(contact.now()));
    check.bytes("card", card.encoded());
    HandshakeCore.Trace t = contact.trace(card);
    check.bytes("ek_public", t.ephemeralPublic());
    check.bytes("kem_ciphertext", t.kemCiphertext());
    check.bytes("kem_shared_secret", t.kemSharedSecret());
    check.bytes("transcript_1", t.transcript1());
    check.bytes("dh3", t.dh3());
    check.bytes("identity_key", t.identityKey());
    check.bytes("identity_nonce", t.identityNonce());
    check.bytes("encrypted_identity", t.encryptedIdentity());
    check.bytes("transcript", t.transcript());
    check.bytes("dh1", t.dh1());
    check.bytes("dh2", t.dh2());
    if (t.dh4() == null) {
      if (!check.output().path("dh4").isNull()) {
        check.fail("dh4: expected none, the case has one");
      }
    } else {
      check.bytes("dh4", t.dh4());
    }
    check.bytes("dh5", t.dh5());
    keys(check, t.keys());
    check.bytes("sealed_payload", t.sealedPayload());
    FirstContact fc = contact.start(card);
    check.bytes("message", fc.message());
    check.bytes("initiator_identity", contact.initiator().publicIdentity().encoded());

    // The responder's side, from the wire bytes alone.
    Responder responder = new Responder(contact.card().owner());
    responder.add(issued);
    Accepted accepted = responder.accept(fc.message(), Instant.ofEpochSecond(contact.now()));
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
