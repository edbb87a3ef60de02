package dev.sotto.node.store;

import java.util.Objects;

/**
 * A failure of the node's identity file or store. The {@link #kind()} says what went wrong in
 * terms a caller can act on; the message adds a human-readable detail.
 *
 * <p>Messages name files, tables, columns and row ids, never secret bytes, passphrases or user
 * data.
 */
public final class StoreException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** The passphrase does not open the identity file, or one is needed and none was given. */
    WRONG_PASSPHRASE,
    /** A file or a stored value is malformed or fails authentication. */
    CORRUPT,
    /** Another process held the store's write lock for longer than the busy timeout. */
    BUSY,
    /** The file system or the database failed. */
    IO,
    /** The thing to create (an identity file, a contact name or identity) is already there. */
    EXISTS,
    /** The thing asked for (an identity file, a row to update) is not there. */
    MISSING,
    /** The store was written by an older revision of the node that this one does not read. */
    OLD
  }

  private final Kind kind;

  /** A failure; {@code message} must not contain secrets or user data. */
  public StoreException(Kind kind, String message) {
    super(Objects.requireNonNull(kind, "kind") + ": " + message);
    this.kind = kind;
  }

  /** A failure with its cause; neither may carry secrets or user data in its message. */
  public StoreException(Kind kind, String message, Throwable cause) {
    super(Objects.requireNonNull(kind, "kind") + ": " + message, cause);
    this.kind = kind;
  }

  /** What went wrong. */
  public Kind kind() {
    return kind;
  }
}
