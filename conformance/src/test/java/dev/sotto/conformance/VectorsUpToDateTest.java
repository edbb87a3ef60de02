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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed vectors/ are exactly what the generator writes now, and generation is reproducible. */
class VectorsUpToDateTest {
  static Path committed() {
    return Path.of(System.getProperty("sotto.vectors.dir", "../vectors"));
  }

  @Test
  void committedVectorsEqualAFreshGeneration(@TempDir Path fresh) throws IOException {
    List<Path> written = VectorFiles.generate(fresh);
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
  void twoGenerationsAreByteIdentical(@TempDir Path a, @TempDir Path b) throws IOException {
    List<Path> first = VectorFiles.generate(a);
    VectorFiles.generate(b);
    for (Path file : first) {
      assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(b.resolve(a.relativize(file))), file.toString());
    }
  }
}
