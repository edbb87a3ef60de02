package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sotto.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every error code of spec/errors.adoc appears in at least one invalid vector of every vector file
 * that covers a layer which, by the table's "Raised by" column, raises it (issue 13 item 3). The
 * column is read from the specification itself, so that a code or layer added there fails this
 * test until the vectors (or, with a reason, the allow-list below) follow.
 */
class ErrorCoverageTest {
  /** One row of the error table: "| 5 | `INVALID_ENCODING` | meaning | raised by". */
  private static final Pattern ROW = Pattern.compile("^\\| (\\d+) \\| `([A-Z_]+)` \\| .* \\| ([^|]*)$",
      Pattern.MULTILINE);

  private static final List<String> FILES =
      List.of("identity", "card", "handshake", "ratchet", "envelope", "session", "transport", "backup", "group");

  /**
   * The layers the "Raised by" column names (an item's words before any parenthesis), and the
   * vector files whose invalid cases exercise them. A layer with no file is one that no vector
   * operation reads; why is said for each.
   */
  private static final Map<String, List<String>> LAYERS = new LinkedHashMap<>();

  static {
    LAYERS.put("recovery code", List.of("identity"));
    LAYERS.put("fingerprint", List.of("identity"));
    LAYERS.put("public identity", List.of("identity"));
    LAYERS.put("card", List.of("card"));
    LAYERS.put("card text", List.of("card"));
    LAYERS.put("card addresses", List.of("card"));
    LAYERS.put("bundle", List.of("card"));
    LAYERS.put("one-time prekey record", List.of("card"));
    LAYERS.put("handshake", List.of("handshake"));
    LAYERS.put("ratchet", List.of("ratchet"));
    LAYERS.put("envelope", List.of("envelope"));
    LAYERS.put("content", List.of("envelope"));
    // Both files restore session states: envelope.json's exchanges start from them, session.json's
    // restore steps may give them.
    LAYERS.put("session state", List.of("envelope", "session"));
    LAYERS.put("session", List.of("session"));
    LAYERS.put("transport", List.of("transport"));
    LAYERS.put("link handshake", List.of("transport"));
    LAYERS.put("frames", List.of("transport"));
    LAYERS.put("`PUBLISH` items", List.of("transport"));
    // Primitives: no vector file of their own. Their AUTH_FAILED reaches every file that opens
    // something; an all-zero DH result needs a small-order key, which key validation refuses first
    // (INVALID_KEY, in every file that reads a key).
    LAYERS.put("AEAD", List.of());
    LAYERS.put("DH", List.of());
    // A mailbox's decisions (a PUBLISH credential that is not the tag's, quotas, request rate) and
    // a node's (a stale RESET, against its per-contact marks) are not readings of bytes by a
    // library operation: no vector operation holds a mailbox's store or a node's marks
    // (spec/vectors.adoc; a mailbox's answers appear as ERROR bodies in transport.json's links).
    LAYERS.put("mailbox", List.of());
    LAYERS.put("mailbox quotas", List.of());
    LAYERS.put("node", List.of());
    LAYERS.put("the reference node", List.of());
    // Names the table uses for the same layers (its cells say where, in words).
    LAYERS.put("`PUBLISH` and `PREKEYS` items", List.of("transport"));
    LAYERS.put("a `PREKEYS` item", List.of("transport"));
    LAYERS.put("node message", List.of("transport"));
    LAYERS.put("a `HELLO`'s or `RESET`'s card and bundle", List.of("transport"));
    LAYERS.put("a `HELLO`'s or `RESET`'s card that is not the identity the session authenticated", List.of("transport"));
    LAYERS.put("wherever one is read: the initiator's prekeys", List.of("card"));
    LAYERS.put("wherever it is read with an expected identity: a card read with the identity its reader expects",
        List.of("card"));
    LAYERS.put("the responder state", List.of("handshake"));
    LAYERS.put("a card in a responder state that is not the restoring identity's", List.of("handshake"));
    LAYERS.put("envelope and session", List.of("envelope", "session"));
    LAYERS.put("backup", List.of("backup"));
    LAYERS.put("group", List.of("group"));
  }

  /**
   * Pairs (file, code) that the table requires but that have no invalid vector, each with why. An
   * entry that a vector comes to cover must be removed (the test fails on it).
   */
  private static final Map<String, String> ALLOWED = Map.of(
      // UNSUPPORTED_REQUEST is never thrown by reading bytes: a node answers a request type it does
      // not define or serve with an ERROR body of that number. transport.json's link scripts carry
      // such answers (frames of type 0x7f answered with ERROR 17); allowedCoveredOtherwise checks them.
      "transport/UNSUPPORTED_REQUEST", "a node's answer (an ERROR body in link scripts), not a refusal of input",
      // envelope.json starts its exchanges from valid session states; the malformed ones, the peer
      // identity's INVALID_KEY among them, are session.json's restore cases.
      "envelope/INVALID_KEY", "malformed session states are session.json's (a peer key of small order there)");

  private static final ObjectMapper JSON = new ObjectMapper();

  static Path spec() {
    return Path.of(System.getProperty("sotto.spec.dir", "../spec"));
  }

  /** For each vector file, the codes that the error table says its layers raise. */
  static Map<String, Set<String>> required() throws IOException {
    String table = Files.readString(spec().resolve("errors.adoc"), StandardCharsets.UTF_8);
    Map<String, Set<String>> required = new TreeMap<>();
    FILES.forEach(f -> required.put(f, new TreeSet<>()));
    List<String> unknown = new ArrayList<>();
    Matcher row = ROW.matcher(table);
    while (row.find()) {
      String code = row.group(2);
      String raisedBy = row.group(3).trim().replaceFirst("^every encoding[^:]*:\\s*", "");
      for (String item : topLevelItems(raisedBy)) {
        String layer = item.split("\\s*\\(")[0].trim();
        List<String> files = LAYERS.get(layer);
        if (files == null) {
          unknown.add(code + ": '" + item + "'");
          continue;
        }
        files.forEach(f -> required.get(f).add(code));
      }
    }
    assertEquals(List.of(), unknown, "errors.adoc names layers this test does not map to vector files: add them to "
        + "LAYERS");
    return required;
  }

  /** The items of a "Raised by" cell: split at commas outside parentheses. */
  static List<String> topLevelItems(String cell) {
    List<String> items = new ArrayList<>();
    int depth = 0;
    StringBuilder current = new StringBuilder();
    for (char c : cell.toCharArray()) {
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        items.add(current.toString().trim());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    items.add(current.toString().trim());
    items.removeIf(String::isEmpty);
    return items;
  }

  /** The number of invalid cases of each error code in a committed vector file. */
  static Map<String, Integer> invalidCounts(String file) throws IOException {
    JsonNode root = JSON.readTree(VectorsUpToDateTest.committed().resolve(file + ".json").toFile());
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonNode c : root.path("cases")) {
      if (c.path("result").asText().equals("invalid")) {
        counts.merge(c.path("error").asText(), 1, Integer::sum);
      }
    }
    return counts;
  }

  @Test
  void theTableNamesEveryErrorCodeOnce() throws IOException {
    String table = Files.readString(spec().resolve("errors.adoc"), StandardCharsets.UTF_8);
    Map<String, Integer> rows = new TreeMap<>();
    Matcher row = ROW.matcher(table);
    while (row.find()) {
      rows.put(row.group(2), Integer.parseInt(row.group(1)));
    }
    Map<String, Integer> codes = new TreeMap<>();
    Arrays.stream(ErrorCode.values()).forEach(c -> codes.put(c.name(), c.number()));
    assertEquals(codes, rows, "errors.adoc's table and ErrorCode differ");
  }

  @Test
  void everyLayerHasAnInvalidVectorOfEveryCodeItRaises() throws IOException {
    List<String> missing = new ArrayList<>();
    List<String> stale = new ArrayList<>();
    for (Map.Entry<String, Set<String>> e : required().entrySet()) {
      Map<String, Integer> counts = invalidCounts(e.getKey());
      for (String code : e.getValue()) {
        String pair = e.getKey() + "/" + code;
        boolean covered = counts.getOrDefault(code, 0) > 0;
        if (!covered && !ALLOWED.containsKey(pair)) {
          missing.add(pair);
        }
        if (covered && ALLOWED.containsKey(pair)) {
          stale.add(pair);
        }
      }
    }
    assertEquals(List.of(), missing, "error codes of errors.adoc with no invalid vector in a file whose layer raises "
        + "them: add vectors (or, with a reason, an ALLOWED entry)");
    assertEquals(List.of(), stale, "ALLOWED entries that vectors now cover: remove them");
    for (String pair : ALLOWED.keySet()) {
      String[] fileAndCode = pair.split("/");
      assertTrue(required().get(fileAndCode[0]).contains(fileAndCode[1]),
          "ALLOWED entry " + pair + " is for a pair the table no longer requires: remove it");
    }
  }

  /** The allowed pairs are exercised some other way. */
  @Test
  void allowedCoveredOtherwise() throws IOException {
    JsonNode root = JSON.readTree(VectorsUpToDateTest.committed().resolve("transport.json").toFile());
    String body = String.format("%04x", ErrorCode.UNSUPPORTED_REQUEST.number());
    boolean answered = false;
    for (JsonNode c : root.path("cases")) {
      if (c.path("operation").asText().equals("link")) {
        for (JsonNode frame : c.path("input").path("frames")) {
          answered |= frame.path("type").asInt() == 0x82 && frame.path("body").asText().equals(body);
        }
      }
    }
    assertTrue(answered, "transport.json: no link script answers a request with ERROR UNSUPPORTED_REQUEST");
  }
}
