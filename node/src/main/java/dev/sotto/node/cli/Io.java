package dev.sotto.node.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Everything the command line takes from its surroundings: the three standard streams, the
 * environment, the terminal (for reading a secret without echo) and the clock. {@link #system()}
 * is the real one; tests build their own with {@link #of}, so that no command reads the
 * process's environment or console directly.
 */
public final class Io {
  /** The terminal the user sits at, when there is one. */
  public interface Terminal {
    /** Shows the prompt and reads a line without echo; null at end of input. */
    char[] readSecret(String prompt);
  }

  private final PrintStream out;
  private final PrintStream err;
  private final BufferedReader in;
  private final Function<String, String> env;
  private final Terminal terminal;
  private final boolean ansi;
  /** Whether stdin and stdout are the process's own terminal (only {@link #system()} can say so). */
  private boolean console;
  private final Clock clock;
  private final ZoneId zone;

  private Io(PrintStream out, PrintStream err, BufferedReader in, Function<String, String> env, Terminal terminal,
      boolean ansi, Clock clock, ZoneId zone) {
    this.out = out;
    this.err = err;
    this.in = in;
    this.env = env;
    this.terminal = terminal;
    this.ansi = ansi;
    this.clock = clock;
    this.zone = zone;
  }

  /**
   * The process's streams, environment and console. Output is UTF-8 whatever the locale says,
   * since a QR code needs block characters and terminals today read UTF-8 nearly everywhere.
   */
  public static Io system() {
    Console console = System.console();
    Terminal terminal = console == null ? null : new Terminal() {
      @Override
      public char[] readSecret(String prompt) {
        return console.readPassword("%s", prompt);
      }
    };
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    BufferedReader in = utf8(System.in);
    // System.console() is non-null only when both stdin and stdout are a terminal.
    boolean ansi = console != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
    Io io = new Io(out, err, in, System::getenv, terminal, ansi, Clock.systemUTC(), ZoneId.systemDefault());
    io.console = console != null;
    return io;
  }

  /**
   * Standard input read as well-formed UTF-8: a malformed byte sequence is an error
   * ({@link java.nio.charset.MalformedInputException}), never quietly U+FFFD, so that what is
   * sent is what was typed.
   */
  public static BufferedReader utf8(InputStream in) {
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
  }

  /** Streams and an environment of the caller's choosing, no terminal, no colours, UTC. */
  public static Io of(PrintStream out, PrintStream err, BufferedReader in, Map<String, String> env) {
    return new Io(out, err, in, Map.copyOf(env)::get, null, false, Clock.systemUTC(), ZoneId.of("UTC"));
  }

  /** This I/O with a terminal. */
  public Io withTerminal(Terminal t) {
    return new Io(out, err, in, env, t, ansi, clock, zone);
  }

  public PrintStream out() {
    return out;
  }

  public PrintStream err() {
    return err;
  }

  /** An environment variable, or null. */
  public String env(String name) {
    return env.apply(Objects.requireNonNull(name));
  }

  /** The terminal, or null when input or output is redirected. */
  public Terminal terminal() {
    return terminal;
  }

  /** Whether standard output is a terminal that may be coloured. */
  public boolean ansi() {
    return ansi;
  }

  /** Whether standard input and output are a real terminal of this process (never in tests or pipes). */
  public boolean console() {
    return console;
  }

  public Clock clock() {
    return clock;
  }

  public ZoneId zone() {
    return zone;
  }

  /** Reads one line of standard input; null at its end. */
  public String readLine() throws IOException {
    return in.readLine();
  }

  /**
   * Reads standard input to its end, at most {@code maxChars} characters and one more (so that
   * the caller can tell that there was more), line breaks kept.
   */
  public String readAll(int maxChars) throws IOException {
    StringBuilder all = new StringBuilder();
    char[] buffer = new char[8192];
    for (int n = in.read(buffer); n >= 0 && all.length() <= maxChars; n = in.read(buffer)) {
      all.append(buffer, 0, Math.min(n, maxChars + 1 - all.length()));
    }
    return all.toString();
  }

  /** {@code text} in bold, when colours are on. */
  public String bold(String text) {
    return ansi ? "\033[1m" + text + "\033[0m" : text;
  }

  /** {@code text} in green, when colours are on. */
  public String good(String text) {
    return ansi ? "\033[32m" + text + "\033[0m" : text;
  }

  /** {@code text} in red, when colours are on. */
  public String bad(String text) {
    return ansi ? "\033[31m" + text + "\033[0m" : text;
  }

  /** {@code text} dimmed, when colours are on. */
  public String dim(String text) {
    return ansi ? "\033[2m" + text + "\033[0m" : text;
  }
}
