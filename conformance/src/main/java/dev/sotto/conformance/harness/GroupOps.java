package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Fingerprint;
import dev.sotto.Group;
import dev.sotto.GroupChange;
import dev.sotto.GroupState;
import dev.sotto.PublicIdentity;
import dev.sotto.SottoException;
import dev.sotto.conformance.harness.Peer.Failure;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The harness's group operations (spec: harness.adoc#harness-group-operations), on the Java implementation. */
final class GroupOps {
  private GroupOps() {}

  static void dispatch(Handler h, Request request, ObjectNode out) throws SottoException, Failure {
    switch (request.op()) {
      case "group.create" -> {
        PublicIdentity me = h.identityOf(request).publicIdentity();
        String name = request.text("name");
        List<GroupState.Mailbox> mailboxes = mailboxes(request.array("mailboxes"));
        Group g = Group.create(me, name, mailboxes, TestRandom.replay(request.hex("random")));
        out.put("group", h.addGroup(g)).put("state", Bytes.hex(g.state().encoded()));
      }
      case "group.join" -> {
        PublicIdentity me = h.identityOf(request).publicIdentity();
        PublicIdentity from = PublicIdentity.parse(request.hex("from"));
        Group g = Group.join(me, from, request.hex("welcome"));
        out.put("group", h.addGroup(g)).put("state", Bytes.hex(g.state().encoded()));
      }
      case "group.propose" -> {
        Group g = h.group(request);
        List<GroupChange.Op> ops = ops(request.array("ops"));
        Instant now = Instant.ofEpochSecond(request.time("now"));
        sealed(out, g.propose(ops, now, TestRandom.replay(request.hex("random"))), true);
        out.put("state", Bytes.hex(g.state().encoded()));
      }
      case "group.seal" -> {
        Group g = h.group(request);
        byte[] payload = request.hex("payload");
        Instant now = Instant.ofEpochSecond(request.time("now"));
        sealed(out, g.seal(payload, now, TestRandom.replay(request.hex("random"))), false);
      }
      case "group.sender_key" -> {
        Group g = h.group(request);
        PublicIdentity from = PublicIdentity.parse(request.hex("from"));
        Group.KeyReceived r = g.receiveSenderKey(from, request.hex("sender_key"));
        out.put("pending", r.pending()).put("fork", r.fork()).put("requested", r.requested());
      }
      case "group.open" -> {
        Group g = h.group(request);
        Group.Opened o = g.open(request.hex("envelope"));
        out.put("sender", Bytes.hex(o.sender().encoded()));
        out.put("view", o.view().name().toLowerCase(Locale.ROOT));
        if (o.payload().isPresent()) {
          out.put("payload", Bytes.hex(o.payload().get()));
        } else {
          out.putNull("payload");
        }
        if (o.change().isPresent()) {
          out.put("change", Bytes.hex(o.change().get().encoded()));
          out.put("status", o.status().orElseThrow().name().toLowerCase(Locale.ROOT));
        } else {
          out.putNull("change");
          out.putNull("status");
        }
        out.put("tip_moved", o.tipMoved());
        ArrayNode lost = out.putArray("lost");
        o.lost().forEach(c -> lost.add(Bytes.hex(c.hash())));
        out.put("take_token", Bytes.hex(o.takeToken()));
        out.put("state", Bytes.hex(g.state().encoded()));
      }
      case "group.request" -> {
        Group g = h.group(request);
        Instant now = Instant.ofEpochSecond(request.time("now"));
        keys(out.putArray("sender_keys"), g.requestChains(now, TestRandom.replay(request.hex("random"))));
      }
      case "group.answer" -> {
        Group g = h.group(request);
        PublicIdentity to = PublicIdentity.parse(request.hex("to"));
        Optional<Group.Delivery> d = g.senderKeyFor(to, Instant.ofEpochSecond(request.time("now")));
        if (d.isPresent()) {
          out.put("sender_key", Bytes.hex(d.get().payload()));
        } else {
          out.putNull("sender_key");
        }
      }
      case "group.resync" -> {
        Group g = h.group(request);
        PublicIdentity from = PublicIdentity.parse(request.hex("from"));
        out.put("adopted", g.resync(from, request.hex("state")));
        out.put("state", Bytes.hex(g.state().encoded()));
      }
      case "group.state" -> out.put("state", Bytes.hex(h.group(request).state().encoded()));
      case "group.tags" -> {
        ArrayNode tags = out.putArray("tags");
        h.group(request).tags().forEach(t -> tags.add(Bytes.hex(t)));
      }
      default -> throw new Failure("UNSUPPORTED", "unknown op '" + request.op() + "'");
    }
  }

  private static void keys(ArrayNode out, List<Group.Delivery> deliveries) {
    for (Group.Delivery d : deliveries) {
      out.addObject().put("to", Bytes.hex(d.to().encoded())).put("sender_key", Bytes.hex(d.payload()));
    }
  }

  private static void sealed(ObjectNode out, Group.Sealed s, boolean welcomes) {
    out.put("envelope", Bytes.hex(s.envelope().encoded()));
    ArrayNode leaves = out.putArray("leaves");
    s.leaves().forEach(l -> leaves.add(Bytes.hex(l)));
    keys(out.putArray("sender_keys"), s.senderKeys());
    if (welcomes) {
      ArrayNode w = out.putArray("welcomes");
      for (Group.Delivery d : s.welcomes()) {
        w.addObject().put("to", Bytes.hex(d.to().encoded())).put("state", Bytes.hex(d.payload()));
      }
    }
  }

  private static List<GroupState.Mailbox> mailboxes(JsonNode list) throws Failure {
    List<GroupState.Mailbox> out = new ArrayList<>();
    for (JsonNode m : list) {
      if (!m.isObject()) {
        throw Request.bad("a mailbox must be an object");
      }
      byte[] host = Request.hex(m.get("host"), "host");
      if (host.length != 32) {
        throw Request.bad("a mailbox's host is 32 bytes");
      }
      int kind = (int) Request.integer(m.get("kind"), "kind", 1, 255);
      Optional<Fingerprint> h = Arrays.equals(host, new byte[32]) ? Optional.empty() : Optional.of(Fingerprint.fromBytes(host));
      out.add(new GroupState.Mailbox(h, Address.of(kind, Request.hex(m.get("value"), "value"))));
    }
    return out;
  }

  private static GroupState.Role role(JsonNode op) throws Failure {
    JsonNode r = op.get("role");
    if (r == null || !r.isTextual() || !(r.asText().equals("member") || r.asText().equals("admin"))) {
      throw Request.bad("'role' must be member or admin");
    }
    return r.asText().equals("admin") ? GroupState.Role.ADMIN : GroupState.Role.MEMBER;
  }

  private static Fingerprint fingerprint(JsonNode op) throws Failure {
    byte[] fp = Request.hex(op.get("member"), "member");
    if (fp.length != 32) {
      throw Request.bad("'member' is a 32-byte fingerprint");
    }
    return Fingerprint.fromBytes(fp);
  }

  private static List<GroupChange.Op> ops(JsonNode list) throws Failure, SottoException {
    List<GroupChange.Op> out = new ArrayList<>();
    for (JsonNode op : list) {
      JsonNode kind = op.get("op");
      if (kind == null || !kind.isTextual()) {
        throw Request.bad("an op needs 'op'");
      }
      switch (kind.asText()) {
        case "add" -> out.add(new GroupChange.Add(PublicIdentity.parse(Request.hex(op.get("identity"), "identity")), role(op)));
        case "remove" -> out.add(new GroupChange.Remove(fingerprint(op)));
        case "role" -> out.add(new GroupChange.SetRole(fingerprint(op), role(op)));
        case "rename" -> {
          JsonNode name = op.get("name");
          if (name == null || !name.isTextual()) {
            throw Request.bad("'name' must be a string");
          }
          out.add(new GroupChange.Rename(name.asText()));
        }
        case "mailboxes" -> {
          JsonNode m = op.get("mailboxes");
          if (m == null || !m.isArray()) {
            throw Request.bad("'mailboxes' must be a list");
          }
          out.add(new GroupChange.SetMailboxes(mailboxes(m)));
        }
        default -> throw Request.bad("unknown op kind '" + kind.asText() + "'");
      }
    }
    return out;
  }
}
