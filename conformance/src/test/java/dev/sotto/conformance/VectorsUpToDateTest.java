package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.conformance.vectors.VectorFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed vectors/ are exactly what the generator writes now, and generation is reproducible.
 * One generation is shared by both tests (each takes about 20 s on a loaded 2-core machine).
 */
class VectorsUpToDateTest {
  @TempDir static Path fresh;
  static List<Path> written;

  @BeforeAll
  static void generateOnce() throws IOException {
    written = VectorFiles.generate(fresh);
  }

  static Path committed() {
    return Path.of(System.getProperty("sotto.vectors.dir", "../vectors"));
  }

  @Test
  void committedVectorsEqualAFreshGeneration() throws IOException {
    for (Path file : written) {
      Path relative = fresh.relativize(file);
      Path published = committed().resolve(relative);
      assertTrue(Files.exists(published), "vectors/" + relative + " is missing: regenerate the vectors");
      assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(published),
          "vectors/" + relative + " differs from a fresh generation: regenerate with "
              + "'java -jar conformance/target/sotto-conformance.jar generate --out vectors' (or fix the code)");
    }
    try (Stream<Path> all = Files.walk(committed())) {
      List<Path> stray = all.filter(p -> p.toString().endsWith(".json"))
          .map(p -> committed().relativize(p))
          .filter(p -> !Files.exists(fresh.resolve(p)))
          .toList();
      assertEquals(List.of(), stray, "vectors/ holds JSON files the generator does not write");
    }
  }

  @Test
  void twoGenerationsAreByteIdentical(@TempDir Path b) throws IOException {
    List<Path> second = VectorFiles.generate(b);
    assertEquals(written.size(), second.size());
    for (Path file : written) {
      assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(b.resolve(fresh.relativize(file))),
          file.toString());
    }
  }
}
