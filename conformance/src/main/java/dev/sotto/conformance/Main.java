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
    subcommands = {Main.Generate.class, Main.Verify.class})
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
