package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.IssuedCard;
import dev.sotto.RandomSource;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything needed to issue one card again, byte for byte: the owner's seed, the issuer's choices
 * and every random value drawn (spec: card.adoc#card-issuing). As JSON, it is the input of a
 * card.json "issue" case, and the "responder_card" of the handshake vectors.
 */
record CardRecipe(byte[] identitySeed, long created, long expires, long spkId, long pqspkId, long[] opkIds,
    long[] pqopkIds, List<Address> addresses, byte[] randomness) {

  /** Issues a card, recording the randomness drawn from {@code random}. */
  static CardRecipe record(byte[] identitySeed, long created, long expires, long spkId, long pqspkId, long[] opkIds,
      long[] pqopkIds, List<Address> addresses, RandomSource random) {
    CardRecipe plan = new CardRecipe(identitySeed, created, expires, spkId, pqspkId, opkIds, pqopkIds, addresses, null);
    RecordingRandom recording = new RecordingRandom(random);
    plan.builder().issue(recording);
    return new CardRecipe(identitySeed, created, expires, spkId, pqspkId, opkIds, pqopkIds, addresses,
        recording.drawn());
  }

  Identity owner() {
    return Identity.fromSeed(IdentitySeed.fromBytes(identitySeed));
  }

  private Card.Builder builder() {
    Card.Builder b = Card.builder(owner())
        .validity(Instant.ofEpochSecond(created), Instant.ofEpochSecond(expires))
        .signedPrekeyId(spkId)
        .kemPrekeyId(pqspkId)
        .oneTimePrekeyIds(opkIds)
        .kemOneTimePrekeyIds(pqopkIds);
    addresses.forEach(b::address);
    return b;
  }

  /** Issues the card again from the recorded randomness, requiring that all of it is used. */
  IssuedCard issue() {
    TestRandom.Replay replay = TestRandom.replay(randomness);
    IssuedCard issued = builder().issue(replay);
    replay.assertExhausted();
    return issued;
  }

  ObjectNode toJson() {
    ObjectNode in = Json.object();
    in.put("identity_seed", Bytes.hex(identitySeed));
    in.put("created", created).put("expires", expires);
    in.put("spk_id", spkId).put("pqspk_id", pqspkId);
    ArrayNode ids = in.putArray("opk_ids");
    Arrays.stream(opkIds).forEach(ids::add);
    ArrayNode pqids = in.putArray("pqopk_ids");
    Arrays.stream(pqopkIds).forEach(pqids::add);
    ArrayNode list = in.putArray("addresses");
    addresses.forEach(a -> list.add(Addresses.toJson(a)));
    ObjectNode rnd = in.putObject("random");
    int at = 0;
    rnd.put("spk_private", hex(at, 32));
    at += 32;
    rnd.put("pqspk_seed", hex(at, 64));
    at += 64;
    ArrayNode opk = rnd.putArray("opk_private");
    for (int i = 0; i < opkIds.length; i++, at += 32) {
      opk.add(hex(at, 32));
    }
    ArrayNode pqopk = rnd.putArray("pqopk_seed");
    for (int i = 0; i < pqopkIds.length; i++, at += 64) {
      pqopk.add(hex(at, 64));
    }
    rnd.put("invite_tag", hex(at, 16));
    if (at + 16 != randomness.length) {
      throw new IllegalStateException("card issuing drew " + randomness.length + " bytes, expected " + (at + 16));
    }
    return in;
  }

  private String hex(int from, int length) {
    return Bytes.hex(Arrays.copyOfRange(randomness, from, from + length));
  }

  static CardRecipe fromJson(JsonNode in) {
    List<Address> addresses = new ArrayList<>();
    in.path("addresses").forEach(a -> addresses.add(Addresses.fromJson(a)));
    JsonNode r = in.path("random");
    List<byte[]> draws = new ArrayList<>();
    draws.add(Bytes.unhex(r.path("spk_private").asText()));
    draws.add(Bytes.unhex(r.path("pqspk_seed").asText()));
    r.path("opk_private").forEach(x -> draws.add(Bytes.unhex(x.asText())));
    r.path("pqopk_seed").forEach(x -> draws.add(Bytes.unhex(x.asText())));
    draws.add(Bytes.unhex(r.path("invite_tag").asText()));
    return new CardRecipe(Bytes.unhex(in.path("identity_seed").asText()), in.path("created").asLong(),
        in.path("expires").asLong(), in.path("spk_id").asLong(), in.path("pqspk_id").asLong(),
        Json.longs(in.path("opk_ids")), Json.longs(in.path("pqopk_ids")), addresses,
        Bytes.concat(draws.toArray(new byte[0][])));
  }
}
