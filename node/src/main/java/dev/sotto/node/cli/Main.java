package dev.sotto.node.cli;

import dev.sotto.node.NodeLog;
import dev.sotto.node.store.Vault;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code sotto} command line: one node per home directory. Each command is a subcommand;
 * {@code --home} picks the node. What a command cannot do ends in one line on standard error,
 * {@code sotto: <what went wrong>}, and a non-zero exit status (see {@link Failure}).
 */
@Command(
    name = "sotto",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    // Subcommands inherit the help options and the width.
    scope = ScopeType.INHERIT,
    versionProvider = Main.Version.class,
    description = {
            "Sotto: end-to-end encrypted messages from person to person, with no server and no account.",
            "",
            "Try it: 'sotto demo' runs three nodes on this machine and shows what the network sees."},
    subcommands = {
        InitCommand.class,
        ConfigCommand.class,
        BackupCommand.class,
        RestoreCommand.class,
        CardCommand.class,
        AddressCommand.class,
        ContactCommand.class,
        GroupCommand.class,
        FingerprintCommand.class,
        SendCommand.class,
        OutboxCommand.class,
        StatusCommand.class,
        ReadCommand.class,
        HistoryCommand.class,
        RunCommand.class,
        ChatCommand.class,
        DemoCommand.class,
        CommandLine.HelpCommand.class},
    footerHeading = "%nExit status:%n",
    footer = {
        "  0  done",
        "  1  bad input: a mistyped card, an unknown contact, a wrong passphrase",
        "  2  a usage error: an unknown option, a missing parameter",
        "  3  the store, the file system or the network failed",
        "",
        "Environment:",
        "  SOTTO_HOME        the default for --home",
        "  SOTTO_PASSPHRASE  the identity file's passphrase, instead of a prompt",
        "  SOTTO_BACKUP_PASSPHRASE  a backup's passphrase ('backup --passphrase', 'restore'), instead of a prompt"})
public final class Main implements Callable<Integer> {
  static final String PASSPHRASE_ENV = "SOTTO_PASSPHRASE";
  static final String BACKUP_PASSPHRASE_ENV = "SOTTO_BACKUP_PASSPHRASE";
  static final String HOME_ENV = "SOTTO_HOME";

  @Option(names = "--home", paramLabel = "DIR", scope = ScopeType.INHERIT,
      description = "The node's home directory. Default: $SOTTO_HOME, else the directory .sotto in your home.")
  Path home;

  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "Also print the node's log on standard error, with each delivery and fetch (the log in the home"
          + " keeps what fails and recovers).")
  boolean verbose;

  @Spec CommandSpec spec;

  private final Io io;
  private final Vault.Params vaultParams;

  Main(Io io, Vault.Params vaultParams) {
    this.io = io;
    this.vaultParams = vaultParams;
  }

  static {
    // Before anything logs: the node's log outlives the JVM's shutdown hooks (see NodeLog.Manager).
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", NodeLog.Manager.class.getName());
    }
  }

  /** Kept so that the setting below is not collected with its logger. */
  private static final Logger SQLITE_LOG = Logger.getLogger("org.sqlite");

  public static void main(String[] args) {
    // The SQLite driver logs some failures with stack traces through java.util.logging; the
    // store turns them into StoreException, which is what the user sees, in one line.
    SQLITE_LOG.setLevel(Level.OFF);
    System.exit(run(Io.system(), args));
  }

  /** Runs one command line and returns its exit status. */
  public static int run(Io io, String... args) {
    return run(io, Vault.Params.DEFAULT, args);
  }

  /** As {@link #run(Io, String...)}, with the Argon2id cost for a new identity file (tests make it cheap). */
  static int run(Io io, Vault.Params vaultParams, String... args) {
    CommandLine cmd = new CommandLine(new Main(io, vaultParams));
    cmd.setOut(new PrintWriter(io.out(), true));
    cmd.setErr(new PrintWriter(io.err(), true));
    cmd.setColorScheme(Help.defaultColorScheme(io.ansi() ? Help.Ansi.ON : Help.Ansi.OFF));
    cmd.setParameterExceptionHandler((e, a) -> {
      io.err().println("sotto: " + usageLine(e));
      return Failure.USAGE;
    });
    cmd.setExecutionStrategy(parsed -> {
      Main main = (Main) parsed.commandSpec().userObject();
      AutoCloseable shown = main.verbose ? NodeLog.toStream(io.err(), System.Logger.Level.DEBUG) : null;
      try {
        return new CommandLine.RunLast().execute(parsed);
      } finally {
        if (shown != null) {
          try {
            shown.close();
          } catch (Exception ignored) {
            // only a handler removed
          }
        }
      }
    });
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      Failure failure = Errors.toFailure(e);
      io.err().println("sotto: " + failure.getMessage());
      return failure.status();
    });
    return cmd.execute(args);
  }

  private static String usageLine(ParameterException e) {
    String message = Errors.detail(e.getMessage());
    if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String first = u.getUnmatched().get(0);
      boolean commands = !e.getCommandLine().getSubcommands().isEmpty();
      message = first.startsWith("-") ? "unknown option '" + first + "'"
          : commands ? "unknown command '" + first + "'" : "unexpected argument '" + first + "'";
      List<String> suggestions = u.getSuggestions();
      if (!suggestions.isEmpty()) {
        message += "; did you mean " + String.join(" or ", suggestions.stream().map(s -> "'" + s + "'").toList()) + "?";
      }
    }
    String name = e.getCommandLine().getCommandSpec().qualifiedName();
    return message + " (see '" + name + " --help')";
  }

  /** Without a command: the usage, on standard error, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(io.err());
    return Failure.USAGE;
  }

  Io io() {
    return io;
  }

  Vault.Params vaultParams() {
    return vaultParams;
  }

  /** The home directory: --home, else $SOTTO_HOME, else ~/.sotto. */
  Path home() {
    if (home != null) {
      return home.toAbsolutePath();
    }
    String fromEnv = io.env(HOME_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv).toAbsolutePath();
    }
    return Path.of(System.getProperty("user.home"), ".sotto");
  }

  /** The version from the jar's manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sotto " + (v == null ? "0.1.0-SNAPSHOT" : v) + " (protocol revision 1, suite SOTTO-1)"};
    }
  }
}
