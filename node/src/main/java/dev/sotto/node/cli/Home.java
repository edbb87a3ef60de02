package dev.sotto.node.cli;

import dev.sotto.node.Node;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Vault;
import java.nio.file.Path;
import java.util.Arrays;

/** Opening the node of a home directory, with its passphrase when the identity file has one. */
final class Home {
  static final String NO_NODE = "no node here: run 'sotto init' first";

  private Home() {}

  /**
   * Fails unless {@code home} holds a node: an identity file and a store. A store that is missing
   * or empty is never made anew here (that would lose every contact and message without a
   * word): the one line says what is missing and how to recover.
   */
  static void requireNode(Path home) throws Failure, StoreException {
    boolean identity = Vault.exists(home);
    Store.FileState store = Store.fileState(home);
    Path file = home.resolve(Store.FILE_NAME);
    if (!identity && store != Store.FileState.PRESENT) {
      throw Failure.input(NO_NODE);
    }
    if (!identity) {
      throw Failure.store(home + " holds a store but no identity file (" + home.resolve(Vault.FILE_NAME)
          + " was deleted?): 'sotto init --recover' restores it from your recovery code and keeps the store");
    }
    String lost = "this node's contacts and messages are not there; put the file back from a copy, or make a new, empty"
        + " store for this identity with 'sotto init --recover'";
    if (store == Store.FileState.ABSENT) {
      throw Failure.store("the store " + file + " is missing (deleted?): " + lost);
    }
    if (store == Store.FileState.EMPTY) {
      throw Failure.store("the store " + file + " is empty, 0 bytes (truncated?): " + lost);
    }
  }

  /** Opens the node's store (not the peer: see {@link Node#start}). The caller closes it. */
  static Node open(Io io, Path home, Node.Options options) throws Exception {
    requireNode(home);
    char[] passphrase = passphraseToOpen(io, home);
    try {
      return Node.open(home, passphrase, options);
    } catch (StoreException e) {
      if (e.kind() == StoreException.Kind.MISSING) {
        // The files are there (checked above): the store is half-made.
        throw Failure.store(Errors.detail(e.getMessage()) + "; 'sotto init --recover' makes it anew from your"
            + " recovery code");
      }
      throw e;
    } finally {
      if (passphrase != null) {
        Arrays.fill(passphrase, '\0');
      }
    }
  }

  /**
   * The passphrase of the identity file: null if it has none, else $SOTTO_PASSPHRASE, else
   * asked at the terminal without echo. The caller clears it.
   */
  static char[] passphraseToOpen(Io io, Path home) throws Failure, StoreException {
    if (!Vault.needsPassphrase(home)) {
      return null;
    }
    String fromEnv = io.env(Main.PASSPHRASE_ENV);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return fromEnv.toCharArray();
    }
    if (io.terminal() == null) {
      throw Failure.input("this node's identity file is sealed under a passphrase: set "
          + Main.PASSPHRASE_ENV + " or run in a terminal");
    }
    char[] typed = io.terminal().readSecret("Passphrase: ");
    if (typed == null || typed.length == 0) {
      throw Failure.input("no passphrase given");
    }
    return typed;
  }

  /**
   * A new passphrase for {@code init}: $SOTTO_PASSPHRASE, else typed twice at the terminal.
   * The caller clears it.
   */
  static char[] newPassphrase(Io io) throws Failure {
    return newSecret(io, Main.PASSPHRASE_ENV, "New passphrase: ");
  }

  /**
   * A new secret: the environment variable {@code env}, else typed twice at the terminal after
   * {@code prompt} (the two must be equal). The caller clears it.
   */
  static char[] newSecret(Io io, String env, String prompt) throws Failure {
    String fromEnv = io.env(env);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return fromEnv.toCharArray();
    }
    if (io.terminal() == null) {
      throw Failure.input("--passphrase needs a terminal to ask for it, or " + env);
    }
    char[] first = io.terminal().readSecret(prompt);
    if (first == null || first.length == 0) {
      throw Failure.input("no passphrase given");
    }
    char[] second = io.terminal().readSecret("The same passphrase again: ");
    try {
      if (second == null || !Arrays.equals(first, second)) {
        Arrays.fill(first, '\0');
        throw Failure.input("the two passphrases differ");
      }
      return first;
    } finally {
      if (second != null) {
        Arrays.fill(second, '\0');
      }
    }
  }

  /** A secret from the environment variable {@code env}, else typed at the terminal; null if neither. */
  static char[] secret(Io io, String env, String prompt) {
    String value = io.env(env);
    if (value != null && !value.isEmpty()) {
      return value.toCharArray();
    }
    return io.terminal() == null ? null : io.terminal().readSecret(prompt);
  }
}
