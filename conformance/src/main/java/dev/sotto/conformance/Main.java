package dev.sotto.conformance;

import dev.sotto.conformance.vectors.VectorFiles;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The conformance runner: {@code generate} the published vectors, {@code verify} the implementation
 * against them, {@code interop} with another implementation's adapter, and the commands around them.
 * Every command answers {@code --help}; a path it cannot use is named, absolute, in one line on
 * standard error.
 */
@Command(
    name = "sotto-conformance",
    scope = CommandLine.ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {"Sotto's conformance runner: generates the published test vectors, verifies the Java "
        + "implementation against them, and plays another implementation against it (spec: check.adoc).",
        "Run a command with --help for what it does."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  java -jar sotto-conformance.jar verify",
        "  java -jar sotto-conformance.jar verify vectors",
        "  java -jar sotto-conformance.jar interop --impl \"./my-adapter\"",
        "  java -jar sotto-conformance.jar help interop"},
    subcommands = {CommandLine.HelpCommand.class, Main.Generate.class, Main.Verify.class, Main.Interop.class,
        Main.AdapterCommand.class, Main.SiteVectors.class, Main.MutantsCommand.class})
public final class Main implements Callable<Integer> {
  @Spec CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status (for tests). */
  public static int run(String... args) {
    return new CommandLine(new Main()).setExecutionExceptionHandler(Main::fileProblem).execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 2;
  }

  /** The runner's version, as the build wrote it into the jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"sotto-conformance " + Bundled.version() + " (protocol revision " + VectorFiles.VERSION
          + ", suite " + VectorFiles.SUITE + ")"};
    }
  }

  /**
   * A file or directory that a command could not read or write is reported in one line, with its
   * absolute path and the working directory a relative one was taken from; anything else is a bug
   * and keeps its stack trace.
   */
  private static int fileProblem(Exception e, CommandLine command, CommandLine.ParseResult parsed) throws Exception {
    if (!(e instanceof FileSystemException problem)) {
      throw e;
    }
    String what;
    if (problem instanceof NoSuchFileException) {
      what = "no such file or directory";
    } else if (problem instanceof AccessDeniedException) {
      what = "permission denied";
    } else if (problem instanceof NotDirectoryException) {
      what = "not a directory";
    } else if (problem.getReason() != null) {
      what = problem.getReason();
    } else {
      what = problem.getClass().getSimpleName();
    }
    String file = problem.getFile() == null ? "" : ": " + where(Path.of(problem.getFile()));
    command.getErr().println(command.getCommandSpec().qualifiedName() + ": " + what + file);
    return 1;
  }

  /** A path as a user needs to find it: absolute, and for a relative one, the directory it was taken from. */
  static String where(Path path) {
    if (path.isAbsolute()) {
      return path.toString();
    }
    return path.toAbsolutePath() + " (" + path + " in the working directory " + Path.of("").toAbsolutePath() + ")";
  }

  @Command(name = "generate",
      description = {"Writes the vector files and their schemas into DIR.",
          "%nWrites every vector file and its JSON schema (in schema/) as published in the repository's "
              + "vectors/. Two runs, on any machine, give byte-identical files; each file is checked against the "
              + "implementation before it is written."},
      footerHeading = "%nExample:%n",
      footer = "  java -jar sotto-conformance.jar generate --out /tmp/v && diff -r /tmp/v vectors")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the directory to write (created if absent)")
    Path out;

    @Override
    public Integer call() throws Exception {
      for (Path written : VectorFiles.generate(out)) {
        System.out.println("wrote " + written);
      }
      return 0;
    }
  }

  @Command(name = "interop",
      description = {"Plays another implementation's adapter against the Java implementation.",
          "%nStarts COMMAND, an adapter that speaks the harness protocol (spec: harness.adoc), and plays a tour "
              + "of every operation and error code, then randomized conversations with the Java implementation, "
              + "in both roles. Prints the first divergence of the tour and of each failing conversation, then "
              + "'N passed, M failed' (the tour counts as one); exits 0 only when M is 0. The same --seed plays "
              + "the same run."},
      footerHeading = "%nExamples:%n",
      footer = {
          "  java -jar sotto-conformance.jar interop --impl \"python3 my_adapter.py\"",
          "  java -jar sotto-conformance.jar interop --impl \"java -jar sotto-conformance.jar adapter\" --conversations 20"})
  static final class Interop implements Callable<Integer> {
    @Option(names = "--impl", required = true, paramLabel = "COMMAND",
        description = "the command that starts your adapter, run with sh -c in the working directory")
    String command;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "the seed of the tour and the conversations (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--conversations", defaultValue = "500", paramLabel = "N", description = "how many conversations (default: ${DEFAULT-VALUE})")
    int conversations;

    @Override
    public Integer call() throws Exception {
      try (dev.sotto.conformance.harness.ProcessPeer tested = new dev.sotto.conformance.harness.ProcessPeer(command);
          dev.sotto.conformance.harness.Handler reference = new dev.sotto.conformance.harness.Handler(
              dev.sotto.conformance.harness.Handler.Fault.NONE);
          dev.sotto.conformance.harness.Handler mirror = new dev.sotto.conformance.harness.Handler(
              dev.sotto.conformance.harness.Handler.Fault.NONE)) {
        var result = new dev.sotto.conformance.harness.Interop(reference, tested, mirror, System.out).run(seed, conversations);
        return result.failed() == 0 ? 0 : 1;
      }
    }
  }

  @Command(name = "mutants",
      description = {"Measures how much of a wrong implementation the interop runner catches.",
          "%nPlays the runner against every mutant of the Java implementation (a wrong error code, a skipped "
              + "check, a refusal that changes state, a flipped result bit; generated from the tables of "
              + "spec/harness.adoc and spec/errors.adoc), the way mutation testing measures a test suite. Prints "
              + "each survivor and 'mutants: N, killed: K (P %%)'; exits 0 only when P is at least 98."},
      footerHeading = "%nExample:%n",
      footer = "  java -jar sotto-conformance.jar mutants --conversations 12")
  static final class MutantsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "the seed of the conversations (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--conversations", defaultValue = "500", paramLabel = "N", description = "conversations per mutant, at most; a mutant's run stops at its first failing one (default: ${DEFAULT-VALUE})")
    int conversations;

    @Option(names = "--spec", paramLabel = "DIR", description = "a specification directory whose harness.adoc and errors.adoc give the mutants (default: the copies of both bundled in this runner)")
    Path specDir;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "N", description = "mutants played at once (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() throws Exception {
      Path tables = specDir == null ? Bundled.spec() : specDir;
      for (String name : new String[] {"harness.adoc", "errors.adoc"}) {
        if (!Files.isRegularFile(tables.resolve(name))) {
          throw new ParameterException(spec.commandLine(), "--spec: no " + name + " in " + where(tables)
              + " (give the spec/ directory of the repository, or leave --spec out)");
        }
      }
      var universe = dev.sotto.conformance.harness.Mutants.universe(tables);
      var measurement = dev.sotto.conformance.harness.Mutants.measure(universe, seed, conversations, threads,
          System.err);
      measurement.survivorLines().forEach(System.out::println);
      measurement.byFamily().forEach((family, tally) ->
          System.out.println(family + ": " + tally.total() + ", killed: " + tally.killed()));
      System.out.println(measurement.summary());
      return measurement.atLeast(98) ? 0 : 1;
    }
  }

  @Command(name = "adapter",
      description = {"Serves the Java implementation over the harness protocol.",
          "%nReads requests and writes answers as JSON lines on standard input and output (spec: harness.adoc) "
              + "until standard input ends: the adapter that 'interop --impl' runs to test the runner itself, "
              + "and a model for yours."},
      footerHeading = "%nExample:%n",
      footer = "  java -jar sotto-conformance.jar interop --impl \"java -jar sotto-conformance.jar adapter\"")
  static final class AdapterCommand implements Callable<Integer> {
    @Option(names = "--break", defaultValue = "NONE", paramLabel = "FAULT", description = "a deliberate fault, to see the runner catch it: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    dev.sotto.conformance.harness.Handler.Fault fault;

    @Override
    public Integer call() throws Exception {
      dev.sotto.conformance.harness.Adapter.serve(System.in, System.out, fault);
      return 0;
    }
  }

  @Command(name = "site-vectors",
      description = {"Writes the docs site's vectors page.",
          "%nWrites an AsciiDoc page (each file's cases, operations and expected errors) from a vectors "
              + "directory, and copies the vector files beside it for download. The spec module's build runs it."},
      footerHeading = "%nExample:%n",
      footer = "  java -jar sotto-conformance.jar site-vectors --vectors vectors --page /tmp/v.adoc --downloads /tmp/v")
  static final class SiteVectors implements Callable<Integer> {
    @Option(names = "--vectors", required = true, paramLabel = "DIR", description = "the vectors directory to describe")
    Path vectors;

    @Option(names = "--page", required = true, paramLabel = "FILE", description = "the AsciiDoc page to write")
    Path page;

    @Option(names = "--downloads", required = true, paramLabel = "DIR", description = "where to copy the vector files and their schemas")
    Path downloads;

    @Override
    public Integer call() throws Exception {
      dev.sotto.conformance.vectors.SitePage.write(vectors, page, downloads);
      return 0;
    }
  }

  @Command(name = "verify",
      description = {"Checks the Java implementation against vector files.",
          "%nChecks every vector file (*.json) in DIR or, with no DIR, the vectors bundled in this runner (the "
              + "repository's vectors/ as it was built), from any working directory. Validates each file against "
              + "its schema and runs every case; prints one line per failing file or case, then 'N passed, "
              + "M failed'; exits 0 only when M is 0."},
      footerHeading = "%nExamples:%n",
      footer = {
          "  java -jar sotto-conformance.jar verify",
          "  java -jar sotto-conformance.jar verify vectors"})
  static final class Verify implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "a directory of vector files (default: the vectors bundled in this runner)")
    Path dir;

    @Override
    public Integer call() {
      Path vectors = dir;
      if (vectors == null) {
        vectors = Bundled.vectors();
        System.out.println("the vectors bundled in sotto-conformance " + Bundled.version());
      }
      VectorFiles.Result result = VectorFiles.verify(vectors, System.out);
      if (dir != null && !Files.isDirectory(dir)) {
        System.err.println("with no DIR, verify checks the vectors bundled in this runner");
      }
      return result.failed() == 0 ? 0 : 1;
    }
  }
}
