package dev.sotto.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.node.store.Vault;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the command line in this process, with its own streams, environment and terminal. */
final class Cli {
  /** Argon2id at its cheapest: the identity files of tests guard nothing. */
  static final Vault.Params CHEAP = new Vault.Params(1024, 1, 1);

  private final Map<String, String> env = new HashMap<>();
  private byte[] stdin = new byte[0];
  private Io.Terminal terminal;

  /** What one command did. */
  record Result(int status, String out, String err) {
    List<String> errLines() {
      return err.isEmpty() ? List.of() : Arrays.asList(err.split("\n"));
    }

    /** Asserts the command failed with this status and exactly one line on stderr that contains {@code text}. */
    Result failsWith(int expected, String text) {
      assertEquals(expected, status, () -> "status; out:\n" + out + "\nerr:\n" + err);
      assertEquals(1, errLines().size(), () -> "one line on stderr, not:\n" + err);
      assertTrue(err.startsWith("sotto: "), err);
      assertTrue(err.contains(text), () -> "stderr should contain '" + text + "': " + err);
      assertFalse(err.contains("Exception") || err.contains("\tat "), err);
      return this;
    }

    Result ok() {
      assertEquals(0, status, () -> "status; out:\n" + out + "\nerr:\n" + err);
      return this;
    }
  }

  Cli env(String name, String value) {
    if (value == null) {
      env.remove(name);
    } else {
      env.put(name, value);
    }
    return this;
  }

  Cli stdin(String text) {
    stdin = text.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /** Standard input as raw bytes (which need not be UTF-8). */
  Cli stdinBytes(byte[] bytes) {
    stdin = bytes.clone();
    return this;
  }

  /** A terminal that answers every secret prompt with the next of {@code secrets}. */
  Cli terminal(String... secrets) {
    List<String> left = new ArrayList<>(List.of(secrets));
    terminal = new Io.Terminal() {
      @Override
      public char[] readSecret(String prompt) {
        return left.isEmpty() ? null : left.remove(0).toCharArray();
      }
    };
    return this;
  }

  /** No terminal again: secrets come from standard input or the environment. */
  Cli withoutTerminal() {
    terminal = null;
    return this;
  }

  Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io = Io.of(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        Io.utf8(new ByteArrayInputStream(stdin)), env);
    if (terminal != null) {
      io = io.withTerminal(terminal);
    }
    int status = Main.run(io, CHEAP, args);
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The value after "label" on the line that starts with it (after any indentation). */
  static String field(String output, String label) {
    for (String line : output.split("\n")) {
      if (line.strip().startsWith(label)) {
        return line.strip().substring(label.length()).strip();
      }
    }
    throw new AssertionError("no line '" + label + "' in:\n" + output);
  }

  /** Two homes under {@code dir}, alice and bob; alice has added bob from his card. Returns {alice, bob}. */
  java.nio.file.Path[] aliceAddsBob(java.nio.file.Path dir) throws Exception {
    java.nio.file.Path alice = dir.resolve("alice");
    java.nio.file.Path bob = dir.resolve("bob");
    run("--home", alice.toString(), "init", "--name", "alice", "--port", Integer.toString(freePort())).ok();
    run("--home", bob.toString(), "init", "--name", "bob", "--port", Integer.toString(freePort())).ok();
    String bobsCard = run("--home", bob.toString(), "card").ok().out().strip();
    run("--home", alice.toString(), "contact", "add", "bob", bobsCard).ok();
    quietlyAdds(bob, "alice", alice);
    return new java.nio.file.Path[] {alice, bob};
  }

  /**
   * {@code home} adds the node of {@code other} as {@code name} with 'contact add --quiet' (the two
   * exchanged cards): that node's first contact comes in as a contact's, not as a request.
   */
  void quietlyAdds(java.nio.file.Path home, String name, java.nio.file.Path other) throws Exception {
    String card = run("--home", other.toString(), "card").ok().out().strip();
    run("--home", home.toString(), "contact", "add", name, card, "--quiet").ok();
  }
}
