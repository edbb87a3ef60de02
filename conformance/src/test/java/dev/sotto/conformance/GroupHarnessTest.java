package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.conformance.harness.Handler;
import dev.sotto.conformance.harness.Peer;
import dev.sotto.conformance.vectors.Json;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The harness's group operations (spec: harness.adoc#harness-group-operations) on the Java adapter. */
class GroupHarnessTest {
  static final long NOW = 1_800_000_000L;
  final Handler h = new Handler(Handler.Fault.NONE);
  int id;

  JsonNode call(String op, Object... fields) throws Peer.Failure {
    ObjectNode r = Json.object().put("id", ++id).put("op", op);
    for (int i = 0; i < fields.length; i += 2) {
      Object v = fields[i + 1];
      if (v instanceof JsonNode n) {
        r.set((String) fields[i], n);
      } else if (v instanceof Long l) {
        r.put((String) fields[i], l);
      } else {
        r.put((String) fields[i], (String) v);
      }
    }
    return h.call(r);
  }

  static String hex(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return HexFormat.of().formatHex(b);
  }

  @Test
  void aGroupOfTwoThroughTheHarness() throws Peer.Failure {
    JsonNode alice = call("identity.create", "seed", hex(32, 1));
    JsonNode bob = call("identity.create", "seed", hex(32, 2));
    JsonNode g = call("group.create", "identity", alice.path("identity").asText(), "name", "friends",
        "mailboxes", Json.array(), "random", hex(32, 3));
    String ga = g.path("group").asText();
    ObjectNode add = Json.object().put("op", "add").put("identity", bob.path("public_identity").asText()).put("role", "member");
    JsonNode p = call("group.propose", "group", ga, "ops", Json.array().add(add), "now", NOW, "random", hex(32, 4));
    assertEquals(1, p.path("welcomes").size());
    JsonNode j = call("group.join", "identity", bob.path("identity").asText(), "from", alice.path("public_identity").asText(),
        "welcome", p.path("welcomes").get(0).path("state").asText());
    String gb = j.path("group").asText();
    assertEquals(p.path("state"), j.path("state"));
    JsonNode s = call("group.seal", "group", ga, "payload", "68656c6c6f", "now", NOW, "random", hex(32, 5));
    JsonNode k = call("group.sender_key", "group", gb, "from", alice.path("public_identity").asText(),
        "sender_key", s.path("sender_keys").get(0).path("sender_key").asText());
    assertEquals(false, k.path("pending").asBoolean());
    JsonNode tags = call("group.tags", "group", gb);
    assertTrue(tags.path("tags").size() > 0);
    String envelope = s.path("envelope").asText();
    JsonNode o = call("group.open", "group", gb, "envelope", envelope);
    assertEquals("68656c6c6f", o.path("payload").asText());
    assertEquals(alice.path("public_identity").asText(), o.path("sender").asText());
    String before = call("group.state", "group", gb).path("state").asText();
    Peer.Failure replay = assertThrows(Peer.Failure.class, () -> call("group.open", "group", gb, "envelope", envelope));
    assertEquals("REPLAY", replay.code());
    assertEquals(before, call("group.state", "group", gb).path("state").asText());
    assertEquals("UNKNOWN_HANDLE", assertThrows(Peer.Failure.class, () -> call("group.state", "group", "nope")).code());
    assertEquals("MISUSE", assertThrows(Peer.Failure.class, () -> call("group.seal", "group", ga, "payload",
        hex(65_382, 0), "now", NOW, "random", "")).code());
    assertEquals("UNSUPPORTED", assertThrows(Peer.Failure.class, () -> call("group.nothing")).code());
  }
}
