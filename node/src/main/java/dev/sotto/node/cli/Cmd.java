package dev.sotto.node.cli;

import dev.sotto.node.Node;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand: reaches the I/O and the home directory through the root {@link Main}. */
abstract class Cmd implements Callable<Integer> {
  @Spec CommandSpec spec;

  final Main main() {
    return (Main) spec.root().userObject();
  }

  final Io io() {
    return main().io();
  }

  final Path home() {
    return main().home();
  }

  /** Opens this home's node (its store; the network only with {@code start}), as most commands do. */
  final Node openNode() throws Exception {
    return Home.open(io(), home(), Node.Options.defaults());
  }

  @Override
  public final Integer call() throws Exception {
    return execute();
  }

  /** Does the command; returns the exit status, or throws what {@link Errors} turns into one line. */
  abstract int execute() throws Exception;
}
