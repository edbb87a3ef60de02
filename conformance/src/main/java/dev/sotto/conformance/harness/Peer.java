package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One implementation, driven through the harness protocol (spec: harness.adoc): a request is a
 * JSON object with an {@code op}; the answer is the {@code result} object, or a {@link Failure}
 * carrying the specification's error code.
 */
public interface Peer extends AutoCloseable {
  /** Performs one request; returns its result, or throws {@link Failure} for an error answer. */
  JsonNode call(ObjectNode request) throws Failure;

  @Override
  void close();

  /** An error answer: {@code code} is an error name of spec: errors.adoc, or a harness code. */
  final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;

    public Failure(String code, String message) {
      super(code + (message == null || message.isEmpty() ? "" : ": " + message));
      this.code = code;
    }

    public String code() {
      return code;
    }
  }
}
