package dev.sotto.node.cli;

import dev.sotto.SottoException;
import dev.sotto.node.store.StoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;

/**
 * Turns what a command throws into the one line the user sees and the exit status. The
 * library's and the store's messages name fields, files and lengths, never secret bytes, so
 * their details may be shown; each starts with its code ("BUSY: ..."), which is dropped.
 */
final class Errors {
  private Errors() {}

  static Failure toFailure(Throwable t) {
    if (t instanceof Failure f) {
      return f;
    }
    if (t instanceof StoreException e) {
      return store(e);
    }
    if (t instanceof SottoException e) {
      return Failure.input(sotto(e));
    }
    if (t instanceof CharacterCodingException) {
      return Failure.input("standard input is not valid UTF-8");
    }
    if (t instanceof IOException || t instanceof UncheckedIOException) {
      return Failure.store("input/output failed: " + oneLine(t.getMessage()));
    }
    if (t instanceof IllegalArgumentException) {
      return Failure.input(oneLine(t.getMessage()));
    }
    return Failure.store("internal error (" + t.getClass().getSimpleName() + "): " + oneLine(t.getMessage()));
  }

  static Failure store(StoreException e) {
    String detail = detail(e.getMessage());
    return switch (e.kind()) {
      case WRONG_PASSPHRASE -> Failure.input("wrong passphrase");
      case EXISTS, MISSING -> Failure.input(detail);
      case BUSY -> Failure.store("the store is busy: another sotto process held it too long; try again");
      case CORRUPT -> Failure.store("damaged data: " + detail);
      case OLD -> Failure.store(detail);
      case IO -> Failure.store(detail);
    };
  }

  /** A library rejection of input whose kind the caller does not know better. */
  static String sotto(SottoException e) {
    return switch (e.code()) {
      case BAD_CHECKSUM -> "that text has a typing error (checksum)";
      case EXPIRED -> "that has expired";
      case BAD_SIGNATURE -> "a signature does not verify: the data was altered";
      default -> detail(e.getMessage()) + " (" + e.code() + ")";
    };
  }

  /** A card's text was rejected. */
  static Failure card(SottoException e) {
    String line = switch (e.code()) {
      case BAD_CHECKSUM -> "that card text has a typing error (checksum)";
      case INVALID_TEXT -> "that is not a card's text: " + detail(e.getMessage());
      case EXPIRED -> "that card has expired: ask its owner for a fresh one";
      case BAD_SIGNATURE -> "that card's signature does not verify: it was altered";
      case IDENTITY_MISMATCH -> "that is this node's own card";
      default -> "that card is malformed (" + e.code() + ": " + detail(e.getMessage()) + ")";
    };
    return Failure.input(line);
  }

  /** A recovery code was rejected; the text is secret, so no detail of it is shown. */
  static Failure recoveryCode(SottoException e) {
    return Failure.input(switch (e.code()) {
      case BAD_CHECKSUM -> "that recovery code has a typing error (checksum)";
      case INVALID_TEXT -> "that is not a recovery code (one starts with the prefix 'sottoseed1'"
          + " and has only letters and digits)";
      default -> "that recovery code is not one this version reads (" + e.code() + ")";
    });
  }

  /** The message without its leading code ("MISSING: no contact ..." gives "no contact ..."). */
  static String detail(String message) {
    if (message == null) {
      return "";
    }
    int colon = message.indexOf(": ");
    String head = colon < 0 ? "" : message.substring(0, colon);
    boolean code = !head.isEmpty() && head.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || c == '_');
    return oneLine(code ? message.substring(colon + 2) : message);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").strip();
  }
}
