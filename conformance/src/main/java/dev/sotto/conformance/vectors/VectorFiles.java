package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The published vector files: generating them all, and verifying the implementation against a
 * directory of them (spec: vectors.adoc).
 */
public final class VectorFiles {
  /** Every vector file, in the order they are generated and reported. */
  public static final List<VectorSuite> SUITES = List.of(new IdentityVectors(), new CardVectors(), new HandshakeVectors(), new RatchetVectors(),
      new EnvelopeVectors(), new SessionVectors(), new TransportVectors(), new BackupVectors(),
      new GroupVectors());

  public static final String PROTOCOL = "sotto";
  public static final int VERSION = 2;
  public static final String SUITE = "SOTTO-1";

  private VectorFiles() {}

  /** Builds the whole file of {@code suite}, after checking that the implementation passes every case it made. */
  public static ObjectNode build(VectorSuite suite) {
    ArrayNode cases = suite.generate();
    for (JsonNode c : cases) {
      CaseCheck check = new CaseCheck(c);
      suite.verify(c, check);
      if (!check.mismatches().isEmpty()) {
        throw new IllegalStateException("generator bug: " + suite.component() + " case " + c.path("id") + " ("
            + c.path("comment").asText() + ") fails its own check: " + check.mismatches());
      }
    }
    ObjectNode file = Json.object();
    file.put("protocol", PROTOCOL);
    file.put("version", VERSION);
    file.put("suite", SUITE);
    file.put("component", suite.component());
    file.put("description", suite.description());
    file.put("schema", "schema/" + suite.component() + ".schema.json");
    file.put("generator", "java -jar conformance/target/sotto-conformance.jar generate --out DIR");
    file.put("count", cases.size());
    file.set("cases", cases);
    return file;
  }

  /** Writes every vector file and its schema into {@code out}; returns the paths written. */
  public static List<Path> generate(Path out) throws IOException {
    Files.createDirectories(out.resolve("schema"));
    List<Path> written = new ArrayList<>();
    for (VectorSuite suite : SUITES) {
      Path file = out.resolve(suite.component() + ".json");
      Files.writeString(file, Json.write(build(suite)), StandardCharsets.UTF_8);
      written.add(file);
      Path schema = out.resolve("schema").resolve(suite.component() + ".schema.json");
      Files.writeString(schema, schemaText(suite.component()), StandardCharsets.UTF_8);
      written.add(schema);
    }
    return written;
  }

  /** The outcome of a verification run. */
  public record Result(int passed, int failed) {}

  /**
   * Verifies the implementation against every {@code *.json} file directly in {@code dir},
   * printing one line per failing case and the closing line {@code N passed, M failed}.
   * A file that cannot be understood (bad JSON, unknown component, schema violation) counts as
   * one failure; a directory that is missing, or holds no vector files, is a failure too, reported
   * with the absolute path that was looked at.
   */
  public static Result verify(Path dir, PrintStream out) {
    int passed = 0;
    int failed = 0;
    String problem = null;
    List<Path> files = List.of();
    if (!Files.exists(dir)) {
      problem = "no such directory: " + dir.toAbsolutePath();
    } else if (!Files.isDirectory(dir)) {
      problem = "not a directory: " + dir.toAbsolutePath() + " (give the directory that holds the vector files)";
    } else {
      try (Stream<Path> list = Files.list(dir)) {
        files = list.filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p)).sorted().toList();
      } catch (IOException | UncheckedIOException e) {
        problem = "cannot list the directory " + dir.toAbsolutePath() + ": " + e;
      }
    }
    if (problem != null) {
      out.println("FAIL " + dir + ": " + problem);
      out.println("0 passed, 1 failed");
      return new Result(0, 1);
    }
    if (files.isEmpty()) {
      out.println("FAIL " + dir + ": no vector files (*.json) found in " + dir.toAbsolutePath());
      failed++;
    }
    for (Path file : files) {
      String name = file.getFileName().toString();
      JsonNode root;
      try {
        root = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        out.println("FAIL " + name + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        failed++;
        continue;
      }
      String component = root == null ? "" : root.path("component").asText("");
      VectorSuite suite = SUITES.stream().filter(s -> s.component().equals(component)).findFirst().orElse(null);
      if (suite == null) {
        out.println("FAIL " + name + ": unknown component '" + component + "' (known: "
            + SUITES.stream().map(VectorSuite::component).collect(Collectors.joining(", ")) + ")");
        failed++;
        continue;
      }
      Set<ValidationMessage> violations = schema(component).validate(root);
      if (!violations.isEmpty()) {
        out.println("FAIL " + name + ": does not follow schema/" + component + ".schema.json: "
            + violations.stream().map(ValidationMessage::getMessage).sorted().limit(5).collect(Collectors.joining("; ")));
        failed++;
        continue;
      }
      if (root.path("count").asInt() != root.path("cases").size()) {
        out.println("FAIL " + name + ": count is " + root.path("count").asInt() + " but there are "
            + root.path("cases").size() + " cases");
        failed++;
        continue;
      }
      for (JsonNode c : root.path("cases")) {
        CaseCheck check = new CaseCheck(c);
        try {
          suite.verify(c, check);
        } catch (RuntimeException e) {
          check.fail("the implementation threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (check.mismatches().isEmpty()) {
          passed++;
        } else {
          failed++;
          out.println("FAIL " + name + " case " + c.path("id").asText() + " (" + c.path("operation").asText() + ": "
              + c.path("comment").asText() + "): " + String.join("; ", check.mismatches()));
        }
      }
    }
    out.println(passed + " passed, " + failed + " failed");
    return new Result(passed, failed);
  }

  private static JsonSchema schema(String component) {
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaText(component));
  }

  /** The schema of a component, as shipped inside this runner. */
  public static String schemaText(String component) {
    try (InputStream in = VectorFiles.class.getResourceAsStream("/schema/" + component + ".schema.json")) {
      if (in == null) {
        throw new IllegalStateException("no schema for component " + component);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
