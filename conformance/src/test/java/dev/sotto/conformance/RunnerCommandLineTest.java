package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sotto.conformance.vectors.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The runner as someone else's tool: every command explains itself with --help, the version is the
 * build's, {@code verify} works from any directory on the vectors inside the runner, and whatever it
 * cannot find is named with the path where it looked.
 */
class RunnerCommandLineTest {
  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exit = Main.run(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
  }

  /** Runs the runner in a JVM of its own, in {@code workingDirectory}. */
  private static Run runIn(Path workingDirectory, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Path out = workingDirectory.resolve("out.txt");
    Path err = workingDirectory.resolve("err.txt");
    Process process = new ProcessBuilder(command).directory(workingDirectory.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the runner finished");
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void everyCommandAnswersHelpWithItsUsageAndEveryOptionExplained() {
    CommandLine root = new CommandLine(new Main());
    List<String> names = new ArrayList<>(root.getSubcommands().keySet());
    assertTrue(names.containsAll(List.of("generate", "verify", "interop", "adapter", "mutants", "site-vectors")), names.toString());
    for (String name : names) {
      for (String flag : new String[] {"--help", "-h"}) {
        Run run = run(name, flag);
        assertEquals(0, run.exit(), name + " " + flag + ": " + run.out() + run.err());
        assertTrue(run.out().contains("Usage: sotto-conformance " + name), name + ": " + run.out());
        assertEquals("", run.err(), name);
        CommandSpec spec = root.getSubcommands().get(name).getCommandSpec();
        assertTrue(spec.usageMessage().description().length > 0, name + " has a description");
        for (OptionSpec option : spec.options()) {
          assertTrue(String.join("", option.description()).strip().length() > 10, name + " " + option.longestName());
          assertTrue(run.out().contains(option.longestName()), name + " shows " + option.longestName());
        }
        for (PositionalParamSpec parameter : spec.positionalParameters()) {
          assertTrue(String.join("", parameter.description()).strip().length() > 10, name + " " + parameter.paramLabel());
          assertTrue(run.out().contains(parameter.paramLabel()), name + " shows " + parameter.paramLabel());
        }
      }
    }
    Run top = run("--help");
    assertEquals(0, top.exit());
    names.forEach(name -> assertTrue(top.out().contains("  " + name + " "), name + " listed: " + top.out()));
    Run help = run("help", "verify");
    assertEquals(0, help.exit());
    assertTrue(help.out().startsWith("Usage: sotto-conformance verify [-hV] [DIR]"), help.out());
  }

  @Test
  void theVersionIsTheBuilds() {
    String built = System.getProperty("sotto.project.version");
    assertTrue(built != null && !built.isEmpty(), "the build passes sotto.project.version");
    for (String[] args : new String[][] {{"--version"}, {"verify", "--version"}}) {
      Run run = run(args);
      assertEquals(0, run.exit());
      assertEquals("sotto-conformance " + built + " (protocol revision 2, suite SOTTO-1)", run.out().strip());
    }
  }

  @Test
  void verifyWithNoDirectoryChecksTheBundledVectorsFromAnywhere(@TempDir Path elsewhere) throws Exception {
    int cases = 0;
    try (Stream<Path> files = Files.list(VectorsUpToDateTest.committed())) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        JsonNode root = Json.MAPPER.readTree(file.toFile());
        cases += root.path("count").asInt();
      }
    }
    Run run = runIn(elsewhere, "verify");
    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(run.out().startsWith("the vectors bundled in sotto-conformance "), run.out());
    assertEquals(cases + " passed, 0 failed", lastLine(run.out()));
    assertFalse(run.out().contains("FAIL"), run.out());
  }

  @Test
  void aMissingDirectoryIsNamedWithWhereItWasLookedFor(@TempDir Path elsewhere) throws Exception {
    Path real = elsewhere.toRealPath();
    Run run = runIn(real, "verify", "vectors");
    assertEquals(1, run.exit());
    assertTrue(run.out().contains("FAIL vectors: no such directory: " + real.resolve("vectors")), run.out());
    assertEquals("0 passed, 1 failed", lastLine(run.out()));
    assertTrue(run.err().contains("with no DIR, verify checks the vectors bundled in this runner"), run.err());

    Path file = Files.writeString(real.resolve("card.json"), "{}");
    Run notADirectory = run("verify", file.toString());
    assertEquals(1, notADirectory.exit());
    assertTrue(notADirectory.out().contains("not a directory: " + file), notADirectory.out());
  }

  @Test
  void aPathThatCannotBeWrittenOrReadIsNamedInOneLine(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "");
    Run generate = run("generate", "--out", file.resolve("vectors").toString());
    assertEquals(1, generate.exit());
    assertTrue(generate.err().startsWith("sotto-conformance generate: "), generate.err());
    assertTrue(generate.err().contains(file.toString()), generate.err());
    assertEquals(1, generate.err().strip().lines().count(), "one line, no stack trace: " + generate.err());

    Run mutants = run("mutants", "--spec", dir.resolve("no-spec").toString());
    assertEquals(2, mutants.exit());
    assertTrue(mutants.err().startsWith("--spec: no harness.adoc in " + dir.resolve("no-spec")), mutants.err());
  }
}
