package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.BackupContents;
import dev.sotto.BackupManifest;
import dev.sotto.Card;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A backup's contents and manifest as JSON (spec: vectors.adoc, backup.json), the form of
 * backup.json and of the harness's backup operations (spec: harness.adoc).
 */
public final class BackupJson {
  private BackupJson() {}

  /** The contents: {@code contacts} ({@code own_cards}, {@code contacts}), {@code settings}, {@code history}; null for an absent part. */
  public static ObjectNode contents(BackupContents c) {
    ObjectNode out = Json.object();
    if (c.hasContacts()) {
      ObjectNode part = out.putObject("contacts");
      ArrayNode own = part.putArray("own_cards");
      c.ownCards().forEach(card -> own.add(Bytes.hex(card.encoded())));
      ArrayNode list = part.putArray("contacts");
      for (BackupContents.Contact k : c.contacts()) {
        ObjectNode o = list.addObject();
        o.put("id", k.id()).put("identity", Bytes.hex(k.identity().encoded())).put("name", k.name());
        if (k.card() == null) {
          o.putNull("card");
        } else {
          o.put("card", Bytes.hex(k.card().encoded()));
        }
        o.put("status", k.status().name().toLowerCase(Locale.ROOT)).put("verified", k.verified())
            .put("blocked", k.blocked()).put("added", k.added()).put("next_in", k.nextIn()).put("next_out", k.nextOut());
        optional(o, "reset_in", k.resetIn());
        optional(o, "reset_out", k.resetOut());
      }
    } else {
      out.putNull("contacts");
    }
    if (c.hasSettings()) {
      ArrayNode list = out.putArray("settings");
      c.settings().forEach((k, v) -> list.addObject().put("key", k).put("value", Bytes.hex(v)));
    } else {
      out.putNull("settings");
    }
    if (c.hasHistory()) {
      ArrayNode list = out.putArray("history");
      for (BackupContents.Message m : c.history()) {
        list.addObject().put("contact", m.contact()).put("incoming", m.incoming()).put("read", m.read())
            .put("kind", m.kind() == BackupContents.HELLO ? "hello" : "text").put("seq", m.seq())
            .put("sent_at", m.sentAt()).put("stored_at", m.storedAt()).put("text", m.text());
      }
    } else {
      out.putNull("history");
    }
    return out;
  }

  private static void optional(ObjectNode o, String field, OptionalLong value) {
    if (value.isPresent()) {
      o.put(field, value.getAsLong());
    } else {
      o.putNull(field);
    }
  }

  private static OptionalLong optional(JsonNode node) {
    return node == null || node.isNull() ? OptionalLong.empty() : OptionalLong.of(node.asLong());
  }

  /**
   * Contents from JSON. Cards are read as stored (structure and signature, not time).
   *
   * @throws SottoException a card that does not read
   * @throws IllegalArgumentException contents the format cannot hold
   */
  public static BackupContents contents(JsonNode in) throws SottoException {
    BackupContents.Builder b = BackupContents.builder();
    JsonNode contacts = in.get("contacts");
    if (contacts != null && !contacts.isNull()) {
      List<Card> own = new ArrayList<>();
      for (JsonNode card : contacts.path("own_cards")) {
        own.add(Card.parse(Bytes.unhex(card.asText()), java.time.Instant.EPOCH));
      }
      List<BackupContents.Contact> list = new ArrayList<>();
      for (JsonNode k : contacts.path("contacts")) {
        JsonNode card = k.get("card");
        list.add(new BackupContents.Contact(k.path("id").asLong(), PublicIdentity.parse(Json.hex(k, "identity")),
            k.path("name").asText(), card == null || card.isNull() ? null
                : Card.parse(Bytes.unhex(card.asText()), java.time.Instant.EPOCH),
            BackupContents.Status.valueOf(k.path("status").asText().toUpperCase(Locale.ROOT)),
            k.path("verified").asBoolean(), k.path("blocked").asBoolean(), k.path("added").asLong(),
            k.path("next_in").asLong(), k.path("next_out").asLong(), optional(k.get("reset_in")),
            optional(k.get("reset_out"))));
      }
      b.contacts(own, list);
    }
    JsonNode settings = in.get("settings");
    if (settings != null && !settings.isNull()) {
      TreeMap<String, byte[]> map = new TreeMap<>();
      settings.forEach(s -> map.put(s.path("key").asText(), Json.hex(s, "value")));
      b.settings(map);
    }
    JsonNode history = in.get("history");
    if (history != null && !history.isNull()) {
      List<BackupContents.Message> list = new ArrayList<>();
      for (JsonNode m : history) {
        list.add(new BackupContents.Message(m.path("contact").asLong(), m.path("incoming").asBoolean(),
            m.path("read").asBoolean(), m.path("kind").asText().equals("hello") ? BackupContents.HELLO
                : m.path("kind").asText().equals("text") ? BackupContents.TEXT : -1,
            m.path("seq").asLong(), m.path("sent_at").asLong(), m.path("stored_at").asLong(), m.path("text").asText()));
      }
      b.history(list);
    }
    return b.build();
  }

  /** A rank: {@code generation}, {@code device}, {@code counter}. */
  public static ObjectNode rank(BackupManifest.Rank r) {
    return Json.object().put("generation", r.generation()).put("device", Bytes.hex(r.device()))
        .put("counter", r.counter());
  }

  public static BackupManifest.Rank rank(JsonNode in) {
    return new BackupManifest.Rank(in.path("generation").asLong(), Json.hex(in, "device"), in.path("counter").asLong());
  }

  /** What a restorer reads of a manifest. */
  public static ObjectNode manifest(BackupManifest m) {
    ObjectNode out = Json.object();
    out.put("generation", m.generation()).put("device", Bytes.hex(m.device())).put("counter", m.counter())
        .put("created", m.created().getEpochSecond());
    out.putObject("parts").put("contacts", m.hasContacts()).put("settings", m.hasSettings())
        .put("history", m.hasHistory());
    if (m.passphrase().isPresent()) {
      var a = m.passphrase().get();
      out.putObject("argon2").put("memory", a.memory()).put("iterations", a.iterations())
          .put("parallelism", a.parallelism());
    } else {
      out.putNull("argon2");
    }
    ArrayNode ids = out.putArray("chunk_ids");
    m.chunkIds().forEach(id -> ids.add(Bytes.hex(id)));
    ArrayNode tags = out.putArray("chunk_tags");
    m.chunkTags().forEach(t -> tags.add(Bytes.hex(t)));
    return out;
  }
}
