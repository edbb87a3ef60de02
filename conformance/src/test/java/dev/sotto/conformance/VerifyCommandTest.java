package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.conformance.vectors.Json;
import dev.sotto.conformance.vectors.VectorFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's verify command: passes on the published vectors, and fails loudly, naming the case, otherwise. */
class VerifyCommandTest {
  @TempDir Path dir;

  @BeforeEach
  void copyPublishedVectors() throws IOException {
    for (String name : new String[] {"identity.json", "card.json"}) {
      Files.copy(VectorsUpToDateTest.committed().resolve(name), dir.resolve(name));
    }
  }

  private record Run(int exit, String output) {}

  private Run verify(Path target) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      int exit = Main.run("verify", target.toString());
      return new Run(exit, buffer.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(saved);
    }
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void publishedVectorsPass() {
    Run run = verify(VectorsUpToDateTest.committed());
    assertEquals(0, run.exit(), run.output());
    assertTrue(lastLine(run.output()).matches("\\d+ passed, 0 failed"), run.output());
    assertTrue(!run.output().contains("FAIL"), run.output());
  }

  @Test
  void oneFlippedExpectedByteFailsAndNamesTheCase() throws IOException {
    Path file = dir.resolve("card.json");
    ObjectNode root = (ObjectNode) Json.MAPPER.readTree(file.toFile());
    ObjectNode output = (ObjectNode) root.path("cases").get(4).path("output");
    String card = output.path("card").asText();
    char flipped = card.charAt(100) == '0' ? '1' : '0';
    output.put("card", card.substring(0, 100) + flipped + card.substring(101));
    Files.writeString(file, Json.write(root));

    Run run = verify(dir);
    assertEquals(1, run.exit(), run.output());
    assertTrue(run.output().contains("FAIL card.json case 5 (issue: "), run.output());
    assertTrue(run.output().contains("card: differs at character 100 (hex: byte 50)"), run.output());
    assertTrue(lastLine(run.output()).endsWith(" passed, 1 failed"), run.output());
  }

  @Test
  void aWrongExpectedErrorCodeFails() throws IOException {
    Path file = dir.resolve("identity.json");
    ObjectNode root = (ObjectNode) Json.MAPPER.readTree(file.toFile());
    for (JsonNode c : root.path("cases")) {
      if (c.path("error").asText().equals("BAD_CHECKSUM")) {
        ((ObjectNode) c).put("error", "INVALID_TEXT");
        break;
      }
    }
    Files.writeString(file, Json.write(root));
    Run run = verify(dir);
    assertEquals(1, run.exit());
    assertTrue(run.output().contains("error: expected INVALID_TEXT, actual BAD_CHECKSUM"), run.output());
  }

  @Test
  void badJsonUnknownComponentAndSchemaViolationsAreFailuresNotSkips() throws IOException {
    Files.writeString(dir.resolve("broken.json"), "{ \"protocol\": ");
    Files.writeString(dir.resolve("other.json"), "{\"component\": \"teleport\"}");
    ObjectNode card = (ObjectNode) Json.MAPPER.readTree(dir.resolve("card.json").toFile());
    ((ObjectNode) card.path("cases").get(0)).put("result", "maybe");
    Files.writeString(dir.resolve("card.json"), Json.write(card));

    Run run = verify(dir);
    assertEquals(1, run.exit());
    assertTrue(run.output().contains("FAIL broken.json: not valid JSON"), run.output());
    assertTrue(run.output().contains("FAIL other.json: unknown component 'teleport'"), run.output());
    assertTrue(run.output().contains("FAIL card.json: does not follow schema/card.schema.json"), run.output());
    assertTrue(lastLine(run.output()).endsWith(" passed, 3 failed"), run.output());
  }

  @Test
  void aCountThatDisagreesWithTheCasesFails() throws IOException {
    ObjectNode identity = (ObjectNode) Json.MAPPER.readTree(dir.resolve("identity.json").toFile());
    identity.put("count", identity.path("count").asInt() + 1);
    Files.writeString(dir.resolve("identity.json"), Json.write(identity));
    Run run = verify(dir);
    assertEquals(1, run.exit());
    assertTrue(run.output().contains("FAIL identity.json: count is"), run.output());
  }

  @Test
  void anEmptyDirectoryFails(@TempDir Path empty) {
    Run run = verify(empty);
    assertEquals(1, run.exit());
    assertTrue(run.output().contains("no vector files"), run.output());
  }

  @Test
  void everyPublishedFileHasEnoughCasesOfEachResult() throws IOException {
    for (var suite : VectorFiles.SUITES) {
      JsonNode root = Json.MAPPER.readTree(VectorsUpToDateTest.committed().resolve(suite.component() + ".json").toFile());
      long valid = 0;
      long invalid = 0;
      for (JsonNode c : root.path("cases")) {
        if (c.path("result").asText().equals("valid")) valid++; else invalid++;
      }
      int least = switch (suite.component()) {
        case "handshake" -> 30;
        case "ratchet" -> 25;
        case "session" -> 8;
        default -> 20;
      };
      assertTrue(valid >= least && invalid >= least, suite.component() + ": " + valid + " valid, " + invalid + " invalid");
    }
  }

  /** The error codes that spec: errors.adoc lists for each object, all of which the invalid cases must cover. */
  @Test
  void invalidCasesCoverEveryErrorCodeOfTheirObject() throws IOException {
    java.util.Map<String, java.util.Set<String>> required = java.util.Map.of(
        "identity", java.util.Set.of("TRUNCATED", "TRAILING_DATA", "UNSUPPORTED_VERSION", "UNSUPPORTED_SUITE",
            "INVALID_ENCODING", "INVALID_KEY", "INVALID_TEXT", "BAD_CHECKSUM"),
        "card", java.util.Set.of("TRUNCATED", "TRAILING_DATA", "UNSUPPORTED_VERSION", "UNSUPPORTED_SUITE",
            "INVALID_ENCODING", "INVALID_KEY", "BAD_SIGNATURE", "EXPIRED", "IDENTITY_MISMATCH", "INVALID_TEXT",
            "BAD_CHECKSUM"),
        "handshake", java.util.Set.of("TRUNCATED", "TRAILING_DATA", "UNSUPPORTED_VERSION", "UNSUPPORTED_SUITE",
            "INVALID_ENCODING", "INVALID_KEY", "UNKNOWN_PREKEY", "EXPIRED", "REPLAY", "AUTH_FAILED"),
        "ratchet", java.util.Set.of("TRUNCATED", "UNSUPPORTED_VERSION", "AUTH_FAILED", "REPLAY", "LIMIT_EXCEEDED"),
        "envelope", java.util.Set.of("TRUNCATED", "UNSUPPORTED_VERSION", "INVALID_ENCODING", "UNKNOWN_TAG", "AUTH_FAILED"),
        "session", java.util.Set.of("TRUNCATED", "INVALID_ENCODING", "UNKNOWN_TAG", "AUTH_FAILED", "UNKNOWN_PREKEY",
            "REPLAY"),
        "transport", java.util.Set.of("TRUNCATED", "TRAILING_DATA", "UNSUPPORTED_VERSION", "INVALID_ENCODING",
            "INVALID_KEY", "AUTH_FAILED", "IDENTITY_MISMATCH"));
    for (var entry : required.entrySet()) {
      JsonNode root = Json.MAPPER.readTree(VectorsUpToDateTest.committed().resolve(entry.getKey() + ".json").toFile());
      java.util.Set<String> seen = new java.util.TreeSet<>();
      root.path("cases").forEach(c -> seen.add(c.path("error").asText()));
      assertTrue(seen.containsAll(entry.getValue()), entry.getKey() + " covers " + seen + ", needs " + entry.getValue());
    }
  }
}
