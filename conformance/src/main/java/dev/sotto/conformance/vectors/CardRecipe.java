package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything needed to issue one card again, byte for byte: the owner's seed, the issuer's choices
 * and the one random value drawn, the invite tag (spec: card.adoc#card-issuing). As JSON, it is the
 * input of a card.json "issue" case, and the "card" of a prekey recipe ({@link PrekeyRecipe}).
 */
record CardRecipe(byte[] identitySeed, long created, long expires, List<Address> addresses, byte[] inviteTag) {

  /** Issues a card, drawing its invite tag from {@code random}. */
  static CardRecipe record(byte[] identitySeed, long created, long expires, List<Address> addresses,
      RandomSource random) {
    CardRecipe plan = new CardRecipe(identitySeed, created, expires, addresses, null);
    RecordingRandom recording = new RecordingRandom(random);
    plan.builder().issue(recording);
    if (recording.draws().size() != 1 || recording.drawn().length != Card.INVITE_TAG_LENGTH) {
      throw new IllegalStateException("card issuing draws the 16-byte invite tag and nothing else");
    }
    return new CardRecipe(identitySeed, created, expires, addresses, recording.drawn());
  }

  Identity owner() {
    return Identity.fromSeed(IdentitySeed.fromBytes(identitySeed));
  }

  /** The owner's Ed25519 private key, to sign what the library would refuse to issue. */
  byte[] signingKey() {
    return owner().derivedKeys(dev.sotto.InsecureSecretAccess.get()).ed25519Private();
  }

  private Card.Builder builder() {
    Card.Builder b = Card.builder(owner())
        .validity(Instant.ofEpochSecond(created), Instant.ofEpochSecond(expires));
    addresses.forEach(b::address);
    return b;
  }

  /** Issues the card again from the recorded invite tag, requiring that all of it is used. */
  Card issue() {
    TestRandom.Replay replay = TestRandom.replay(inviteTag);
    Card card = builder().issue(replay);
    replay.assertExhausted();
    return card;
  }

  ObjectNode toJson() {
    ObjectNode in = Json.object();
    in.put("identity_seed", Bytes.hex(identitySeed));
    in.put("created", created).put("expires", expires);
    ArrayNode list = in.putArray("addresses");
    addresses.forEach(a -> list.add(Addresses.toJson(a)));
    in.putObject("random").put("invite_tag", Bytes.hex(inviteTag));
    return in;
  }

  static CardRecipe fromJson(JsonNode in) {
    List<Address> addresses = new ArrayList<>();
    in.path("addresses").forEach(a -> addresses.add(Addresses.fromJson(a)));
    return new CardRecipe(Bytes.unhex(in.path("identity_seed").asText()), in.path("created").asLong(),
        in.path("expires").asLong(), addresses, Bytes.unhex(in.path("random").path("invite_tag").asText()));
  }
}
