package dev.sotto;

import java.util.Objects;

/**
 * A rejection of bad input: truncated, oversized, tampered, of the wrong version or
 * suite, unauthentic, expired. The {@link #code()} is one of the specification's error
 * codes (spec: errors.adoc). An operation that throws this exception has changed no
 * state.
 *
 * <p>Messages describe the input's shape (a field name, an offset, a length) and never
 * contain secret material.
 */
public class SottoException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public SottoException(ErrorCode code, String message) {
    super(Objects.requireNonNull(code, "code") + ": " + message);
    this.code = code;
  }

  /** The specification's error code for this rejection. */
  public ErrorCode code() {
    return code;
  }
}
