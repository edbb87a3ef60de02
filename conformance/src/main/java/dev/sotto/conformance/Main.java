package dev.sotto.conformance;

import dev.sotto.conformance.vectors.VectorFiles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The conformance runner: {@code generate} the published vectors, {@code verify} the implementation against them. */
@Command(
    name = "sotto-conformance",
    mixinStandardHelpOptions = true,
    version = "sotto-conformance 0.1.0",
    description = "Sotto's conformance runner: generates the published test vectors and verifies an implementation against them.",
    subcommands = {Main.Generate.class, Main.Verify.class, Main.Interop.class, Main.AdapterCommand.class,
        Main.SiteVectors.class, Main.MutantsCommand.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status (for tests). */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 2;
  }

  @Command(name = "generate", description = "Writes every vector file and its JSON schema into a directory. Two runs give byte-identical files.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "the directory to write (created if absent)")
    Path out;

    @Override
    public Integer call() throws Exception {
      for (Path written : VectorFiles.generate(out)) {
        System.out.println("wrote " + written);
      }
      return 0;
    }
  }

  @Command(name = "interop", description = "Plays randomized conversations between this implementation and the one run by COMMAND (spec: harness.adoc), in both roles. Prints the first divergence of each failing conversation and 'N passed, M failed'; exits 0 only when M is 0.")
  static final class Interop implements Callable<Integer> {
    @Option(names = "--impl", required = true, description = "the command that starts the implementation's adapter (run with sh -c)")
    String command;

    @Option(names = "--seed", defaultValue = "1", description = "the seed of the conversations (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--conversations", defaultValue = "500", description = "how many conversations (default: ${DEFAULT-VALUE})")
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

  @Command(name = "mutants", description = "Measures the interop runner the way mutation testing measures a test suite: plays every mutant of the Java implementation (a wrong error code, a skipped check, a refusal that changes state, a flipped result bit; generated from the tables of spec/harness.adoc and spec/errors.adoc) against it. Prints each survivor and 'mutants: N, killed: K (P %)'; exits 0 only when P is at least 98.")
  static final class MutantsCommand implements Callable<Integer> {
    @Option(names = "--seed", defaultValue = "1", description = "the seed of the conversations (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--conversations", defaultValue = "500", description = "conversations per mutant, at most; a mutant's run stops at its first failing one (default: ${DEFAULT-VALUE})")
    int conversations;

    @Option(names = "--spec", defaultValue = "spec", description = "the specification directory (default: ${DEFAULT-VALUE})")
    Path spec;

    @Option(names = "--threads", defaultValue = "2", description = "mutants played at once (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() throws Exception {
      var universe = dev.sotto.conformance.harness.Mutants.universe(spec);
      var measurement = dev.sotto.conformance.harness.Mutants.measure(universe, seed, conversations, threads,
          System.err);
      measurement.survivorLines().forEach(System.out::println);
      measurement.byFamily().forEach((family, tally) ->
          System.out.println(family + ": " + tally.total() + ", killed: " + tally.killed()));
      System.out.println(measurement.summary());
      return measurement.atLeast(98) ? 0 : 1;
    }
  }

  @Command(name = "adapter", description = "Serves this implementation over the harness protocol on stdin/stdout (spec: harness.adoc).")
  static final class AdapterCommand implements Callable<Integer> {
    @Option(names = "--break", defaultValue = "NONE", description = "a deliberate fault, to test the runner: ${COMPLETION-CANDIDATES}")
    dev.sotto.conformance.harness.Handler.Fault fault;

    @Override
    public Integer call() throws Exception {
      dev.sotto.conformance.harness.Adapter.serve(System.in, System.out, fault);
      return 0;
    }
  }

  @Command(name = "site-vectors", description = "Writes the docs site's vectors page (AsciiDoc) and copies the vector files for download.")
  static final class SiteVectors implements Callable<Integer> {
    @Option(names = "--vectors", required = true, description = "the vectors directory")
    Path vectors;

    @Option(names = "--page", required = true, description = "the AsciiDoc page to write")
    Path page;

    @Option(names = "--downloads", required = true, description = "where to copy the vector files")
    Path downloads;

    @Override
    public Integer call() throws Exception {
      dev.sotto.conformance.vectors.SitePage.write(vectors, page, downloads);
      return 0;
    }
  }

  @Command(name = "verify", description = "Checks this implementation against every vector file in DIR. Prints one line per failing case and 'N passed, M failed'; exits 0 only when M is 0.")
  static final class Verify implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = "vectors", description = "the vectors directory (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() {
      VectorFiles.Result result = VectorFiles.verify(dir, System.out);
      return result.failed() == 0 ? 0 : 1;
    }
  }
}
