package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Backup;
import dev.sotto.BackupContents;
import dev.sotto.BackupFile;
import dev.sotto.BackupKeys;
import dev.sotto.BackupManifest;
import dev.sotto.BackupProtection;
import dev.sotto.BackupRestore;
import dev.sotto.BackupWriter;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.OneTimePrekey;
import dev.sotto.PrekeyBundle;
import dev.sotto.Prekeys;
import dev.sotto.RandomSource;
import dev.sotto.Responder;
import dev.sotto.Session;
import dev.sotto.SottoException;
import dev.sotto.conformance.vectors.BackupJson;
import dev.sotto.conformance.vectors.Json;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.testing.TestRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Java implementation behind the harness protocol (spec: harness.adoc#operations): what the
 * reference adapter runs, and the in-process peer of the interop runner. A {@code brokenBy} mode
 * makes it deliberately wrong in one place, to test the tester.
 */
public final class Handler implements Peer {
  /** Deliberate faults, for the runner's own tests. */
  public enum Fault { NONE, LABEL, LENGTH, CHECK }

  private final Fault fault;
  private final Map<String, Identity> identities = new HashMap<>();
  private final Map<String, Responder> responders = new HashMap<>();
  private final Map<String, Session> sessions = new HashMap<>();
  /** Each identity's seed, for its backup keys. */
  private final Map<String, byte[]> seeds = new HashMap<>();
  private final Map<String, dev.sotto.Group> groups = new HashMap<>();
  private int next;

  public Handler(Fault fault) {
    this.fault = fault;
  }

  private String handle(String kind) {
    return kind + "-" + (++next);
  }

  private static RandomSource random(Request request) throws Failure {
    return TestRandom.replay(request.hex("random"));
  }

  private static Instant time(Request request, String field) throws Failure {
    return Instant.ofEpochSecond(request.time(field));
  }

  private Identity identity(String handle) throws Failure {
    Identity identity = identities.get(handle);
    if (identity == null) {
      throw new Failure("UNKNOWN_HANDLE", "no identity " + handle);
    }
    return identity;
  }

  private Responder responder(Request request) throws Failure {
    String h = request.text("identity");
    identity(h);
    return responders.get(h);
  }

  private Session session(Request request) throws Failure {
    String h = request.text("session");
    Session s = sessions.get(h);
    if (s == null) {
      throw new Failure("UNKNOWN_HANDLE", "no session " + h);
    }
    return s;
  }

  @Override
  public JsonNode call(ObjectNode request) throws Failure {
    try {
      return dispatch(new Request(request));
    } catch (SottoException e) {
      throw new Failure(e.code().name(), e.getMessage());
    } catch (IllegalStateException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("replayed randomness")) {
        throw new Failure("RANDOM_EXHAUSTED", e.getMessage());
      }
      throw new Failure("MISUSE", e.getMessage());
    } catch (IllegalArgumentException e) {
      // What the library refuses as a programming error of its caller (spec: harness.adoc#harness-codes).
      throw new Failure("MISUSE", e.getMessage());
    } catch (RuntimeException e) {
      throw new Failure("INTERNAL", e.toString());
    }
  }

  /** An address of a {@code card.issue} request (spec: harness.adoc#harness-addresses). */
  private static Address address(JsonNode a) throws Failure {
    if (a == null || !a.isObject()) {
      throw Request.bad("an address must be an object");
    }
    int kind = (int) Request.integer(a.get("kind"), "kind", 1, 255);
    if (a.has("value")) {
      return Address.of(kind, Request.hex(a.get("value"), "value"));
    }
    if (kind != Address.KIND_PEER_TCP && kind != Address.KIND_MAILBOX_TCP) {
      throw Request.bad("an address of kind " + kind + " needs 'value'");
    }
    JsonNode host = a.get("host");
    if (host == null || !host.isTextual()) {
      throw Request.bad("'host' must be a string");
    }
    int port = (int) Request.integer(a.get("port"), "port", 0, 65535);
    byte[] linkKey = Request.hex(a.get("link_key"), "link_key");
    return kind == Address.KIND_PEER_TCP ? Address.peer(host.asText(), port, linkKey)
        : Address.mailbox(host.asText(), port, linkKey);
  }

  private JsonNode dispatch(Request request) throws SottoException, Failure {
    ObjectNode out = Json.object();
    switch (request.op()) {
      case "hello" -> out.put("protocol", "sotto-harness").put("version", 2).put("suite", "SOTTO-1")
          .put("implementation", "sotto-java 0.1.0" + (fault == Fault.NONE ? "" : " (broken: " + fault + ")"));
      case "identity.create" -> {
        byte[] seed = request.hex("seed");
        Identity identity = Identity.fromSeed(IdentitySeed.fromBytes(seed));
        String h = handle("identity");
        identities.put(h, identity);
        seeds.put(h, seed.clone());
        responders.put(h, new Responder(identity));
        byte[] fingerprint = identity.fingerprint().bytes();
        if (fault == Fault.LABEL) {
          // As if the fingerprint label were spelled "sotto/v1/fingerprints".
          fingerprint = dev.sotto.internal.crypto.Hmac.hash("sotto/v1/fingerprints".getBytes(),
              identity.publicIdentity().encoded());
        }
        out.put("identity", h).put("public_identity", Bytes.hex(identity.publicIdentity().encoded()))
            .put("fingerprint", Bytes.hex(fingerprint));
      }
      case "card.issue" -> {
        Responder responder = responder(request);
        Card.Builder b = Card.builder(identity(request.text("identity")))
            .validity(time(request, "created"), time(request, "expires"));
        for (JsonNode a : request.array("addresses")) {
          b.address(address(a));
        }
        Card card = b.issue(random(request));
        responder.addCard(card);
        out.put("card", Bytes.hex(card.encoded()));
      }
      case "prekeys.issue" -> {
        Responder responder = responder(request);
        byte[] encoded = request.hex("card");
        Card card = responder.cards().stream().filter(c -> Arrays.equals(c.encoded(), encoded)).findFirst()
            .orElseThrow(() -> new Failure("UNKNOWN_HANDLE", "the identity holds no such card"));
        Instant created = time(request, "created");
        Instant expires = time(request, "expires");
        Instant oneTimeExpires = time(request, "one_time_expires");
        int opks = (int) request.integer("opk_count", 0, Responder.MAX_ONE_TIME_PREKEYS);
        int kemOpks = (int) request.integer("pqopk_count", 0, Responder.MAX_ONE_TIME_PREKEYS);
        RandomSource random = random(request);
        // Checked before anything is issued, so that a refusal leaves the responder as it was.
        if (expires.getEpochSecond() <= created.getEpochSecond()) {
          throw new IllegalArgumentException("a bundle's expiry must be later than its creation");
        }
        int held = responder.cards().stream().mapToInt(c -> responder.oneTimePrekeys(c).size()).sum();
        if (held + opks + kemOpks > Responder.MAX_ONE_TIME_PREKEYS) {
          throw new IllegalArgumentException("a responder holds at most " + Responder.MAX_ONE_TIME_PREKEYS
              + " one-time prekeys");
        }
        byte[] before = responder.serialize();
        PrekeyBundle bundle;
        List<OneTimePrekey> oneTime;
        try {
          bundle = responder.issueBundle(card, created, expires, random);
          oneTime = opks + kemOpks == 0 ? List.of()
              : responder.issueOneTimePrekeys(card, oneTimeExpires, opks, kemOpks, random);
        } catch (RuntimeException e) {
          // Too few random bytes for the records: put the responder back as it was.
          responders.put(request.text("identity"), Responder.restore(identity(request.text("identity")), before));
          throw e;
        }
        out.put("bundle", Bytes.hex(bundle.encoded()));
        ArrayNode x = out.putArray("opks");
        ArrayNode kem = out.putArray("pqopks");
        oneTime.forEach(p -> (p.isKem() ? kem : x).add(Bytes.hex(p.encoded())));
      }
      case "responder.serialize" -> out.put("state", Bytes.hex(responder(request).serialize()));
      case "session.initiate" -> {
        Identity identity = identity(request.text("identity"));
        Instant now = time(request, "now");
        byte[] cardBytes = request.hex("card");
        byte[] bundleBytes = request.hex("bundle");
        byte[] opkBytes = request.hexOrNull("opk");
        byte[] kemOpkBytes = request.hexOrNull("pqopk");
        byte[] payload = request.hex("payload");
        RandomSource random = random(request);
        Card card = Card.parse(cardBytes, now);
        PrekeyBundle bundle = PrekeyBundle.parse(bundleBytes, card, now);
        OneTimePrekey opk = opkBytes == null ? null : OneTimePrekey.parse(opkBytes, card, now);
        OneTimePrekey kemOpk = kemOpkBytes == null ? null : OneTimePrekey.parse(kemOpkBytes, card, now);
        Prekeys prekeys;
        try {
          prekeys = Prekeys.of(bundle, opk, kemOpk);
        } catch (IllegalArgumentException e) {
          throw new Failure("INVALID_ENCODING", e.getMessage());
        }
        Session.Started started = Session.initiate(identity, prekeys, now, payload, random);
        String h = handle("session");
        sessions.put(h, started.session());
        out.put("session", h);
        envelopes(out, started.envelopes());
      }
      case "session.accept" -> {
        Responder responder = responder(request);
        byte[] envelope = request.hex("envelope");
        Instant now = time(request, "now");
        Session.Accepted accepted = Session.accept(responder, envelope, now, TestRandom.replay(new byte[0]));
        String h = handle("session");
        sessions.put(h, accepted.session());
        out.put("session", h);
        payload(out, accepted.payload());
      }
      case "session.seal" -> {
        Session s = session(request);
        byte[] payload = request.hex("payload");
        envelopes(out, s.seal(payload, random(request)));
      }
      case "session.open" -> {
        Session s = session(request);
        byte[] envelope = request.hex("envelope");
        try {
          payload(out, s.open(envelope, TestRandom.replay(new byte[0])));
        } catch (SottoException e) {
          if (fault != Fault.CHECK || e.code() != dev.sotto.ErrorCode.AUTH_FAILED) {
            throw e;
          }
          // The deliberate fault: an envelope that fails authentication is quietly accepted.
          out.putNull("payload");
        }
      }
      case "session.serialize" -> out.put("state", Bytes.hex(session(request).serialize()));
      case "session.restore" -> {
        Session s = Session.restore(request.hex("state"));
        String h = handle("session");
        sessions.put(h, s);
        out.put("session", h);
      }
      case "session.tags" -> {
        ArrayNode tags = out.putArray("tags");
        session(request).tags().forEach(t -> tags.add(Bytes.hex(t)));
      }
      case "backup.write" -> {
        return normalized(backupWrite(request));
      }
      case "backup.restore" -> {
        return normalized(backupRestore(request));
      }
      default -> {
        if (!request.op().startsWith("group.")) {
          throw new Failure("UNSUPPORTED", "unknown op '" + request.op() + "'");
        }
        GroupOps.dispatch(this, request, out);
      }
    }
    return out;
  }

  private BackupKeys backupKeys(Request request) throws Failure {
    String h = request.text("identity");
    identity(h);
    return BackupKeys.of(IdentitySeed.fromBytes(seeds.get(h)));
  }

  /** A rank {@code {generation, device, counter}} of a request. */
  private static BackupManifest.Rank rank(JsonNode r, String field) throws Failure {
    long generation = Request.integer(r.get("generation"), field + ".generation", 0, 0xffffffffL);
    byte[] device = Request.hex(r.get("device"), field + ".device");
    long counter = Request.integer(r.get("counter"), field + ".counter", 0, Long.MAX_VALUE);
    return new BackupManifest.Rank(generation, device, counter);
  }

  /** spec: harness.adoc#harness-operations, backup.write. Draws nothing. */
  private JsonNode backupWrite(Request request) throws SottoException, Failure {
    BackupKeys keys = backupKeys(request);
    JsonNode p = request.objectOrNull("protection");
    JsonNode lineageJson = request.objectOrNull("lineage");
    if (lineageJson == null) {
      throw Request.bad("'lineage' must be an object");
    }
    BackupManifest.Rank lineage = rank(lineageJson, "lineage");
    List<byte[]> previous = request.hexList("previous_chunk_ids");
    JsonNode contentsJson = request.objectOrNull("contents");
    if (contentsJson == null) {
      throw Request.bad("'contents' must be an object");
    }
    Instant now = time(request, "now");
    BackupContents contents;
    try {
      contents = BackupJson.contents(contentsJson);
    } catch (SottoException | RuntimeException e) {
      throw new IllegalArgumentException("contents the format cannot hold: " + e.getMessage());
    }
    BackupProtection protection = BackupProtection.none();
    if (p != null) {
      String passphrase = p.path("passphrase").isTextual() ? p.get("passphrase").asText() : null;
      if (passphrase == null) {
        throw Request.bad("'protection.passphrase' must be a string");
      }
      protection = BackupProtection.passphrase(passphrase.toCharArray(), new BackupProtection.Argon2(
          (int) Request.integer(p.get("memory"), "protection.memory", 0, 0xffffffffL),
          (int) Request.integer(p.get("iterations"), "protection.iterations", 0, 0xffffffffL),
          (int) Request.integer(p.get("parallelism"), "protection.parallelism", 0, 255)));
    }
    for (byte[] id : previous) {
      if (id.length != 32) {
        throw new IllegalArgumentException("a chunk id is 32 bytes");
      }
    }
    Backup backup = BackupWriter.continuing(keys, protection, lineage, previous).write(contents, now);
    ObjectNode out = Json.object();
    out.put("head", Bytes.hex(backup.head().encoded()));
    ArrayNode chunks = out.putArray("chunks");
    backup.chunks().forEach(e -> chunks.add(Bytes.hex(e.encoded())));
    ArrayNode fresh = out.putArray("new_tags");
    backup.newChunks().forEach(e -> fresh.add(Bytes.hex(e.tag())));
    ArrayNode obsolete = out.putArray("obsolete_tags");
    backup.obsoleteTags().forEach(t -> obsolete.add(Bytes.hex(t)));
    return out;
  }

  /** spec: harness.adoc#harness-operations, backup.restore. Draws the new device number, 16 bytes. */
  private JsonNode backupRestore(Request request) throws SottoException, Failure {
    BackupKeys keys = backupKeys(request);
    List<byte[]> heads;
    List<byte[]> chunks;
    if (request.get("file") != null) {
      BackupFile file = BackupFile.parse(request.hex("file"));
      heads = List.of(file.head());
      chunks = file.chunks();
    } else {
      heads = request.hexList("heads");
      chunks = request.hexList("chunks");
      if (heads.isEmpty()) {
        throw Request.bad("'heads' must not be empty");
      }
    }
    JsonNode floor = request.objectOrNull("floor");
    String passphrase = request.textOrNull("passphrase");
    RandomSource random = random(request);
    BackupRestore.Restored r = BackupRestore.restore(keys, heads, chunks, floor == null ? null : rank(floor, "floor"),
        passphrase == null ? null : passphrase.toCharArray(), random);
    ObjectNode out = Json.object();
    out.set("manifest", BackupJson.manifest(r.manifest()));
    out.set("contents", BackupJson.contents(r.contents()));
    out.set("next", BackupJson.rank(r.writer().next()));
    return out;
  }

  /** The result as it reads back from its text: numbers of one JSON type, whatever made them. */
  private static JsonNode normalized(JsonNode result) {
    try {
      return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(result));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  Identity identityOf(Request request) throws Failure {
    return identity(request.text("identity"));
  }

  dev.sotto.Group group(Request request) throws Failure {
    String h = request.text("group");
    dev.sotto.Group g = groups.get(h);
    if (g == null) {
      throw new Failure("UNKNOWN_HANDLE", "no group " + h);
    }
    return g;
  }

  String addGroup(dev.sotto.Group g) {
    String h = handle("group");
    groups.put(h, g);
    return h;
  }

  private void envelopes(ObjectNode out, List<Envelope> envelopes) {
    ArrayNode list = out.putArray("envelopes");
    for (Envelope e : envelopes) {
      byte[] bytes = e.encoded();
      if (fault == Fault.LENGTH) {
        bytes = java.util.Arrays.copyOf(bytes, bytes.length + 1);
      }
      list.add(Bytes.hex(bytes));
    }
  }

  private static void payload(ObjectNode out, Optional<byte[]> payload) {
    if (payload.isPresent()) {
      out.put("payload", Bytes.hex(payload.get()));
    } else {
      out.putNull("payload");
    }
  }

  @Override
  public void close() {
    identities.clear();
    seeds.values().forEach(b -> Arrays.fill(b, (byte) 0));
    seeds.clear();
    responders.clear();
    sessions.clear();
    groups.clear();
  }
}
