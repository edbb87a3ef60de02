package dev.sotto.node.cli;

/**
 * A command that cannot go on: the one line to show the user and the exit status. The message
 * is written for the user and never holds secret bytes.
 */
final class Failure extends Exception {
  private static final long serialVersionUID = 1L;

  /** Bad input: a mistyped card, an unknown contact, a wrong passphrase, no node in the home. */
  static final int BAD_INPUT = 1;
  /** A usage error, as picocli reports it: an unknown option, a missing parameter. */
  static final int USAGE = 2;
  /** The store, the file system or the network failed. */
  static final int STORE = 3;

  private final int status;

  Failure(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  static Failure input(String message) {
    return new Failure(BAD_INPUT, message);
  }

  static Failure store(String message) {
    return new Failure(STORE, message);
  }

  int status() {
    return status;
  }
}
