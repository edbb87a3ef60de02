package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Fingerprint;
import dev.sotto.Group;
import dev.sotto.GroupChange;
import dev.sotto.GroupState;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A group conversation as a script of steps by named members (spec: vectors.adoc, group.json):
 * each step is played on the library's {@link Group} API and gives an output object. The generator
 * and the verifier play the same steps; the verifier replays each step's recorded randomness.
 */
final class GroupScript {
  private GroupScript() {}

  /** The members, their groups and every step's output so far. */
  static final class Play {
    final Map<String, PublicIdentity> ids = new LinkedHashMap<>();
    final Map<String, Group> groups = new LinkedHashMap<>();
    final List<JsonNode> outputs = new ArrayList<>();

    static Play of(JsonNode members) {
      Play p = new Play();
      for (JsonNode m : members) {
        p.ids.put(m.path("name").asText(),
            Identity.fromSeed(IdentitySeed.fromBytes(Json.hex(m, "identity_seed"))).publicIdentity());
      }
      return p;
    }

    PublicIdentity id(String name) {
      PublicIdentity id = ids.get(name);
      if (id == null) {
        throw new IllegalArgumentException("no member " + name);
      }
      return id;
    }

    String name(PublicIdentity id) {
      return ids.entrySet().stream().filter(e -> e.getValue().equals(id)).map(Map.Entry::getKey).findFirst()
          .orElseThrow();
    }

    String name(Fingerprint fp) {
      return ids.entrySet().stream().filter(e -> e.getValue().fingerprint().equals(fp)).map(Map.Entry::getKey)
          .findFirst().orElseThrow();
    }

    Group group(String name) {
      Group g = groups.get(name);
      if (g == null) {
        throw new IllegalArgumentException(name + " holds no group");
      }
      return g;
    }
  }

  /** Plays one step, drawing from {@code random}; returns its output. */
  static ObjectNode run(Play p, JsonNode step, RandomSource random) throws SottoException {
    String action = step.path("action").asText();
    String m = step.path("member").asText();
    Instant now = Instant.ofEpochSecond(step.path("now").asLong());
    ObjectNode out = Json.object();
    switch (action) {
      case "create" -> {
        Group g = Group.create(p.id(m), step.path("name").asText(), mailboxes(step.path("mailboxes")), random);
        p.groups.put(m, g);
        out.put("group_id", Bytes.hex(g.groupId()));
        state(out, g);
      }
      case "propose" -> {
        Group g = p.group(m);
        sealed(p, out, g.propose(ops(step.path("ops")), now, random));
        state(out, g);
      }
      case "seal" -> {
        Group g = p.group(m);
        sealed(p, out, g.seal(Json.hex(step, "payload"), now, random));
        state(out, g);
      }
      case "join" -> {
        String from = step.path("from").asText();
        byte[] welcome = step.has("welcome") ? Json.hex(step, "welcome")
            : find(p.outputs.get(step.path("from_step").asInt()).path("welcomes"), m, "state");
        Group g = Group.join(p.id(m), p.id(from), welcome);
        p.groups.put(m, g);
        state(out, g);
      }
      case "key" -> {
        String from = step.path("from").asText();
        byte[] key = step.has("sender_key") ? Json.hex(step, "sender_key")
            : find(p.outputs.get(step.path("from_step").asInt()).path("sender_keys"), m, "sender_key");
        received(out, p.group(m).receiveSenderKey(p.id(from), key));
      }
      case "keys" -> {
        JsonNode source = p.outputs.get(step.path("from_step").asInt());
        String from = step.path("from").asText();
        ArrayNode results = out.putArray("results");
        for (JsonNode k : source.path("sender_keys")) {
          String to = k.path("to").asText();
          if (p.groups.containsKey(to)) {
            ObjectNode r = results.addObject().put("to", to);
            received(r, p.group(to).receiveSenderKey(p.id(from), Json.hex(k, "sender_key")));
          }
        }
      }
      case "open" -> {
        Group g = p.group(m);
        byte[] envelope = step.has("envelope") ? Json.hex(step, "envelope")
            : Json.hex(p.outputs.get(step.path("from_step").asInt()), "envelope");
        Group.Opened o = g.open(envelope);
        out.put("sender", p.name(o.sender()));
        out.put("view", o.view().name().toLowerCase(java.util.Locale.ROOT));
        if (o.payload().isPresent()) {
          out.put("payload", Bytes.hex(o.payload().get()));
        } else {
          out.putNull("payload");
        }
        if (o.change().isPresent()) {
          out.put("change", Bytes.hex(o.change().get().encoded()));
          out.put("status", o.status().orElseThrow().name().toLowerCase(java.util.Locale.ROOT));
        } else {
          out.putNull("change");
          out.putNull("status");
        }
        out.put("tip_moved", o.tipMoved());
        ArrayNode lost = out.putArray("lost");
        o.lost().forEach(c -> lost.add(Bytes.hex(c.hash())));
        out.put("take_token", Bytes.hex(o.takeToken()));
        out.put("member", g.isMember());
        state(out, g);
      }
      case "request" -> {
        Group g = p.group(m);
        keys(p, out.putArray("sender_keys"), g.requestChains(now, random));
      }
      case "answer" -> {
        Group g = p.group(m);
        Optional<Group.Delivery> d = g.senderKeyFor(p.id(step.path("to").asText()), now);
        if (d.isPresent()) {
          out.put("sender_key", Bytes.hex(d.get().payload()));
        } else {
          out.putNull("sender_key");
        }
      }
      case "resync" -> {
        Group g = p.group(m);
        out.put("adopted", g.resync(p.id(step.path("from").asText()), Json.hex(step, "state")));
        state(out, g);
      }
      default -> throw new IllegalArgumentException("unknown action " + action);
    }
    return out;
  }

  private static byte[] find(JsonNode list, String to, String field) {
    for (JsonNode n : list) {
      if (n.path("to").asText().equals(to)) {
        return Json.hex(n, field);
      }
    }
    throw new IllegalArgumentException("nothing for " + to);
  }

  private static void state(ObjectNode out, Group g) {
    out.put("state_hash", Bytes.hex(g.state().hash()));
    out.put("epoch", g.state().epoch());
  }

  private static void received(ObjectNode out, Group.KeyReceived r) {
    out.put("pending", r.pending()).put("fork", r.fork()).put("requested", r.requested());
  }

  private static void keys(Play p, ArrayNode out, List<Group.Delivery> deliveries) {
    for (Group.Delivery d : deliveries) {
      out.addObject().put("to", p.name(d.to())).put("sender_key", Bytes.hex(d.payload()));
    }
  }

  private static void sealed(Play p, ObjectNode out, Group.Sealed s) {
    out.put("envelope", Bytes.hex(s.envelope().encoded()));
    ArrayNode leaves = out.putArray("leaves");
    s.leaves().forEach(l -> leaves.add(Bytes.hex(l)));
    keys(p, out.putArray("sender_keys"), s.senderKeys());
    ArrayNode welcomes = out.putArray("welcomes");
    for (Group.Delivery d : s.welcomes()) {
      welcomes.addObject().put("to", p.name(d.to())).put("state", Bytes.hex(d.payload()));
    }
  }

  static List<GroupState.Mailbox> mailboxes(JsonNode list) {
    List<GroupState.Mailbox> out = new ArrayList<>();
    for (JsonNode m : list) {
      byte[] host = Json.hex(m, "host");
      Optional<Fingerprint> h = Arrays.equals(host, new byte[32]) ? Optional.empty() : Optional.of(Fingerprint.fromBytes(host));
      out.add(new GroupState.Mailbox(h, Address.of(m.path("kind").asInt(), Json.hex(m, "value"))));
    }
    return out;
  }

  static List<GroupChange.Op> ops(JsonNode list) throws SottoException {
    List<GroupChange.Op> out = new ArrayList<>();
    for (JsonNode op : list) {
      switch (op.path("op").asText()) {
        case "add" -> out.add(new GroupChange.Add(dev.sotto.PublicIdentity.parse(Json.hex(op, "identity")), role(op)));
        case "remove" -> out.add(new GroupChange.Remove(Fingerprint.fromBytes(Json.hex(op, "member"))));
        case "role" -> out.add(new GroupChange.SetRole(Fingerprint.fromBytes(Json.hex(op, "member")), role(op)));
        case "rename" -> out.add(new GroupChange.Rename(op.path("name").asText()));
        case "mailboxes" -> out.add(new GroupChange.SetMailboxes(mailboxes(op.path("mailboxes"))));
        default -> throw new IllegalArgumentException("unknown op " + op);
      }
    }
    return out;
  }

  private static GroupState.Role role(JsonNode op) {
    return op.path("role").asText().equals("admin") ? GroupState.Role.ADMIN : GroupState.Role.MEMBER;
  }
}
