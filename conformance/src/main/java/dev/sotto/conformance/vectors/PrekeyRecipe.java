package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A responder's card and the prekeys it issued for it, with every choice and random value, so
 * that the responder can be made again byte for byte (spec: card.adoc#bundle-issuing,
 * card.adoc#one-time-prekey): the card recipe, a bundle (serial, validity, ids, and the drawn
 * {@code spk_private} and {@code pqspk_seed}) and, optionally, one batch of one-time prekeys
 * (expiry, first id, and the drawn X25519 private keys then ML-KEM seeds). As JSON it is the
 * "responder" of the handshake and session vectors and the "sender" of node messages.
 *
 * <p>The reference responder numbers prekeys itself from a counter; a recipe's ids are made by
 * starting that counter (through a responder state holding nothing but the counters, spec:
 * handshake.adoc#responder-state) at {@code spk_id} and the bundle serial at {@code serial}:
 * {@code pqspk_id} is then {@code spk_id + 1} and the one-time prekeys follow.
 */
record PrekeyRecipe(CardRecipe card, Bundle bundle, OneTime oneTime) {

  /** A bundle: its fields and the two values drawn for it. */
  record Bundle(long serial, long created, long expires, long spkId, long pqspkId, byte[] spkPrivate,
      byte[] pqspkSeed) {

    ObjectNode toJson(ObjectNode in) {
      in.put("serial", serial).put("created", created).put("expires", expires);
      in.put("spk_id", spkId).put("pqspk_id", pqspkId);
      in.putObject("random").put("spk_private", Bytes.hex(spkPrivate)).put("pqspk_seed", Bytes.hex(pqspkSeed));
      return in;
    }

    static Bundle fromJson(JsonNode in) {
      return new Bundle(in.path("serial").asLong(), in.path("created").asLong(), in.path("expires").asLong(),
          in.path("spk_id").asLong(), in.path("pqspk_id").asLong(),
          Bytes.unhex(in.path("random").path("spk_private").asText()),
          Bytes.unhex(in.path("random").path("pqspk_seed").asText()));
    }
  }

  /** One batch of one-time prekeys: all X25519 first, then all ML-KEM-768, ids from {@code firstId} on. */
  record OneTime(long expires, long firstId, List<byte[]> x25519Private, List<byte[]> kemSeeds) {

    int count() {
      return x25519Private.size() + kemSeeds.size();
    }

    /** The id of the {@code i}-th prekey of the batch (ids are u32 and wrap). */
    long id(int i) {
      return (firstId + i) & 0xffffffffL;
    }

    byte[] randomness() {
      List<byte[]> all = new ArrayList<>(x25519Private);
      all.addAll(kemSeeds);
      return Bytes.concat(all.toArray(new byte[0][]));
    }

    ObjectNode toJson(ObjectNode in) {
      in.put("expires", expires).put("first_id", firstId);
      ObjectNode random = in.putObject("random");
      ArrayNode x = random.putArray("x25519_private");
      x25519Private.forEach(k -> x.add(Bytes.hex(k)));
      ArrayNode kem = random.putArray("kem_seed");
      kemSeeds.forEach(k -> kem.add(Bytes.hex(k)));
      return in;
    }

    static OneTime fromJson(JsonNode in) {
      List<byte[]> x = new ArrayList<>();
      in.path("random").path("x25519_private").forEach(k -> x.add(Bytes.unhex(k.asText())));
      List<byte[]> kem = new ArrayList<>();
      in.path("random").path("kem_seed").forEach(k -> kem.add(Bytes.unhex(k.asText())));
      return new OneTime(in.path("expires").asLong(), in.path("first_id").asLong(), x, kem);
    }
  }

  /** What a recipe makes: the responder holding all of it, the card, the bundle and the one-time prekeys. */
  record Made(Responder responder, Card card, PrekeyBundle bundle, List<OneTimePrekey> oneTime) {
    OneTimePrekey oneTime(Long id, boolean kem) {
      if (id == null) {
        return null;
      }
      return oneTime.stream().filter(p -> p.prekey().id() == id && p.isKem() == kem).findFirst()
          .orElseThrow(() -> new IllegalStateException("no " + (kem ? "ML-KEM" : "X25519") + " one-time prekey " + id));
    }

    /** The prekeys an initiator uses: the bundle and the one-time prekeys of these ids (null: none of that kind). */
    Prekeys prekeys(Long opkId, Long kemOpkId) {
      return Prekeys.of(bundle, oneTime(opkId, false), oneTime(kemOpkId, true));
    }
  }

  /**
   * Makes a responder for a new card of {@code card} with a bundle valid from {@code created} to
   * {@code expires} whose signed prekey gets id {@code spkId} and whose serial is {@code serial},
   * and {@code x25519} then {@code kem} one-time prekeys expiring at {@code oneTimeExpires},
   * drawing every key from {@code random}.
   */
  static PrekeyRecipe record(CardRecipe card, long serial, long spkId, long created, long expires, long oneTimeExpires,
      int x25519, int kem, RandomSource random) {
    RecordingRandom bundleDraws = new RecordingRandom(random);
    Responder r = fresh(card.owner(), spkId, serial);
    Card c = card.issue();
    r.addCard(c);
    PrekeyBundle b = r.issueBundle(c, Instant.ofEpochSecond(created), Instant.ofEpochSecond(expires), bundleDraws);
    Bundle bundle = new Bundle(b.serial(), created, expires, b.signedPrekey().id(), b.kemPrekey().id(),
        bundleDraws.draws().get(0), bundleDraws.draws().get(1));
    OneTime oneTime = null;
    if (x25519 + kem > 0) {
      RecordingRandom draws = new RecordingRandom(random);
      List<OneTimePrekey> issued = r.issueOneTimePrekeys(c, Instant.ofEpochSecond(oneTimeExpires), x25519, kem, draws);
      oneTime = new OneTime(oneTimeExpires, issued.get(0).prekey().id(), List.copyOf(draws.draws().subList(0, x25519)),
          List.copyOf(draws.draws().subList(x25519, x25519 + kem)));
    }
    return new PrekeyRecipe(card, bundle, oneTime);
  }

  /**
   * A responder of {@code owner} that holds nothing yet, whose next prekey id is {@code nextId} and
   * whose next bundle serial is {@code nextSerial}: restored from a state of no card, no bundle and
   * no one-time prekey (spec: handshake.adoc#responder-state).
   */
  static Responder fresh(Identity owner, long nextId, long nextSerial) {
    byte[] state = new Writer().u8(Responder.STATE_VERSION).u16(1).u32(nextId).u64(nextSerial).u8(0).u8(0).u16(0)
        .toByteArray();
    try {
      return Responder.restore(owner, state);
    } catch (SottoException e) {
      throw new IllegalStateException("a responder state of counters alone was refused", e);
    }
  }

  /** Makes the responder again from the recorded values, requiring that they give the recorded ids. */
  Made make() {
    Card c = card.issue();
    Responder r = fresh(card.owner(), bundle.spkId(), bundle.serial());
    r.addCard(c);
    PrekeyBundle b = issueBundle(r, c, bundle);
    List<OneTimePrekey> issued = List.of();
    if (oneTime != null) {
      if (oneTime.firstId() != ((bundle.pqspkId() + 1) & 0xffffffffL)) {
        throw new IllegalStateException("the reference responder gives the one-time prekeys the ids after pqspk_id");
      }
      issued = issueOneTime(r, c, oneTime);
    }
    return new Made(r, c, b, issued);
  }

  /** Issues {@code bundle} from {@code r}, whose counters must give it its recorded serial and ids. */
  static PrekeyBundle issueBundle(Responder r, Card c, Bundle bundle) {
    TestRandom.Replay replay = TestRandom.replay(Bytes.concat(bundle.spkPrivate(), bundle.pqspkSeed()));
    PrekeyBundle b = r.issueBundle(c, Instant.ofEpochSecond(bundle.created()), Instant.ofEpochSecond(bundle.expires()),
        replay);
    replay.assertExhausted();
    if (b.serial() != bundle.serial() || b.signedPrekey().id() != bundle.spkId()
        || b.kemPrekey().id() != bundle.pqspkId()) {
      throw new IllegalStateException("the responder gave the bundle serial " + b.serial() + " and ids "
          + b.signedPrekey().id() + ", " + b.kemPrekey().id() + "; the recipe has " + bundle.serial() + " and "
          + bundle.spkId() + ", " + bundle.pqspkId() + " (the reference responder gives pqspk_id = spk_id + 1)");
    }
    return b;
  }

  /** Issues the batch {@code oneTime} from {@code r}, whose counter must give the recorded ids. */
  static List<OneTimePrekey> issueOneTime(Responder r, Card c, OneTime oneTime) {
    TestRandom.Replay replay = TestRandom.replay(oneTime.randomness());
    List<OneTimePrekey> issued = r.issueOneTimePrekeys(c, Instant.ofEpochSecond(oneTime.expires()),
        oneTime.x25519Private().size(), oneTime.kemSeeds().size(), replay);
    replay.assertExhausted();
    for (int i = 0; i < issued.size(); i++) {
      if (issued.get(i).prekey().id() != oneTime.id(i)) {
        throw new IllegalStateException("one-time prekey " + i + " got id " + issued.get(i).prekey().id()
            + ", the recipe has " + oneTime.id(i));
      }
    }
    return issued;
  }

  ObjectNode toJson() {
    ObjectNode in = Json.object();
    in.set("card", card.toJson());
    in.set("bundle", bundle.toJson(Json.object()));
    if (oneTime != null) {
      in.set("one_time", oneTime.toJson(Json.object()));
    }
    return in;
  }

  static PrekeyRecipe fromJson(JsonNode in) {
    return new PrekeyRecipe(CardRecipe.fromJson(in.path("card")), Bundle.fromJson(in.path("bundle")),
        in.has("one_time") ? OneTime.fromJson(in.path("one_time")) : null);
  }
}
