package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What the runner carries inside itself is byte for byte what the repository publishes. */
class BundledTest {
  private static List<String> files(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void theBundledVectorsAreTheRepositorysVectors() throws IOException {
    Path published = VectorsUpToDateTest.committed();
    Path bundled = Bundled.vectors();
    List<String> names = files(published);
    assertTrue(names.contains("identity.json") && names.contains("schema/card.schema.json"), names.toString());
    assertEquals(names, files(bundled), "the same files");
    for (String name : names) {
      assertEquals(-1L, Files.mismatch(published.resolve(name), bundled.resolve(name)), name + " differs");
    }
  }

  @Test
  void theBundledSpecificationTablesAreTheRepositorysFiles() throws IOException {
    Path spec = Path.of(System.getProperty("sotto.spec.dir", "../spec"));
    Path bundled = Bundled.spec();
    assertEquals(List.of("errors.adoc", "harness.adoc"), files(bundled));
    for (String name : files(bundled)) {
      assertEquals(-1L, Files.mismatch(spec.resolve(name), bundled.resolve(name)), name + " differs");
    }
  }
}
