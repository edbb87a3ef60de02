package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import dev.sotto.conformance.vectors.Addresses;
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
  private int next;

  public Handler(Fault fault) {
    this.fault = fault;
  }

  private String handle(String kind) {
    return kind + "-" + (++next);
  }

  private static RandomSource random(JsonNode request) {
    return TestRandom.replay(Json.hex(request, "random"));
  }

  private static Instant now(JsonNode request) {
    return Instant.ofEpochSecond(request.path("now").asLong());
  }

  private Identity identity(String handle) throws Failure {
    Identity identity = identities.get(handle);
    if (identity == null) {
      throw new Failure("UNKNOWN_HANDLE", "no identity " + handle);
    }
    return identity;
  }

  private Session session(JsonNode request) throws Failure {
    Session s = sessions.get(request.path("session").asText());
    if (s == null) {
      throw new Failure("UNKNOWN_HANDLE", "no session " + request.path("session").asText());
    }
    return s;
  }

  @Override
  public JsonNode call(ObjectNode request) throws Failure {
    try {
      return dispatch(request);
    } catch (SottoException e) {
      throw new Failure(e.code().name(), e.getMessage());
    } catch (IllegalStateException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("replayed randomness")) {
        throw new Failure("RANDOM_EXHAUSTED", e.getMessage());
      }
      throw new Failure("INTERNAL", e.toString());
    } catch (RuntimeException e) {
      throw new Failure("INTERNAL", e.toString());
    }
  }

  private JsonNode dispatch(ObjectNode request) throws SottoException, Failure {
    ObjectNode out = Json.object();
    switch (request.path("op").asText()) {
      case "hello" -> out.put("protocol", "sotto-harness").put("version", 1).put("suite", "SOTTO-1")
          .put("implementation", "sotto-java 0.1.0" + (fault == Fault.NONE ? "" : " (broken: " + fault + ")"));
      case "identity.create" -> {
        Identity identity = Identity.fromSeed(IdentitySeed.fromBytes(Json.hex(request, "seed")));
        String h = handle("identity");
        identities.put(h, identity);
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
        String h = request.path("identity").asText();
        Identity identity = identity(h);
        Card.Builder b = Card.builder(identity)
            .validity(Instant.ofEpochSecond(request.path("created").asLong()),
                Instant.ofEpochSecond(request.path("expires").asLong()));
        request.path("addresses").forEach(a -> b.address(Addresses.fromJson(a)));
        Card card = b.issue(random(request));
        responders.get(h).addCard(card);
        out.put("card", Bytes.hex(card.encoded()));
      }
      case "prekeys.issue" -> {
        String h = request.path("identity").asText();
        identity(h);
        Responder responder = responders.get(h);
        byte[] encoded = Json.hex(request, "card");
        Card card = responder.cards().stream().filter(c -> Arrays.equals(c.encoded(), encoded)).findFirst()
            .orElseThrow(() -> new Failure("UNKNOWN_HANDLE", "identity " + h + " holds no such card"));
        RandomSource random = random(request);
        PrekeyBundle bundle = responder.issueBundle(card, Instant.ofEpochSecond(request.path("created").asLong()),
            Instant.ofEpochSecond(request.path("expires").asLong()), random);
        int opks = request.path("opk_count").asInt();
        int kemOpks = request.path("pqopk_count").asInt();
        List<OneTimePrekey> oneTime = opks + kemOpks == 0 ? List.of() : responder.issueOneTimePrekeys(card,
            Instant.ofEpochSecond(request.path("one_time_expires").asLong()), opks, kemOpks, random);
        out.put("bundle", Bytes.hex(bundle.encoded()));
        ArrayNode x = out.putArray("opks");
        ArrayNode kem = out.putArray("pqopks");
        oneTime.forEach(p -> (p.isKem() ? kem : x).add(Bytes.hex(p.encoded())));
      }
      case "session.initiate" -> {
        Identity identity = identity(request.path("identity").asText());
        Instant now = now(request);
        Card card = Card.parse(Json.hex(request, "card"), now);
        PrekeyBundle bundle = PrekeyBundle.parse(Json.hex(request, "bundle"), card, now);
        OneTimePrekey opk = request.path("opk").isNull() ? null
            : OneTimePrekey.parse(Json.hex(request, "opk"), card, now);
        OneTimePrekey kemOpk = request.path("pqopk").isNull() ? null
            : OneTimePrekey.parse(Json.hex(request, "pqopk"), card, now);
        Prekeys prekeys;
        try {
          prekeys = Prekeys.of(bundle, opk, kemOpk);
        } catch (IllegalArgumentException e) {
          throw new Failure("INVALID_ENCODING", e.getMessage());
        }
        Session.Started started = Session.initiate(identity, prekeys, now, Json.hex(request, "payload"),
            random(request));
        String h = handle("session");
        sessions.put(h, started.session());
        out.put("session", h);
        envelopes(out, started.envelopes());
      }
      case "session.accept" -> {
        Responder responder = responders.get(request.path("identity").asText());
        if (responder == null) {
          throw new Failure("UNKNOWN_HANDLE", "no identity " + request.path("identity").asText());
        }
        Session.Accepted accepted = Session.accept(responder, Json.hex(request, "envelope"), now(request), random(request));
        String h = handle("session");
        sessions.put(h, accepted.session());
        out.put("session", h);
        payload(out, accepted.payload());
      }
      case "session.seal" -> envelopes(out, session(request).seal(Json.hex(request, "payload"), random(request)));
      case "session.open" -> {
        Session s = session(request);
        try {
          payload(out, s.open(Json.hex(request, "envelope"), random(request)));
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
        Session s = Session.restore(Json.hex(request, "state"));
        String h = handle("session");
        sessions.put(h, s);
        out.put("session", h);
      }
      case "session.tags" -> {
        ArrayNode tags = out.putArray("tags");
        session(request).tags().forEach(t -> tags.add(Bytes.hex(t)));
      }
      default -> throw new Failure("UNSUPPORTED", "unknown op '" + request.path("op").asText() + "'");
    }
    return out;
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
    responders.clear();
    sessions.clear();
  }
}
