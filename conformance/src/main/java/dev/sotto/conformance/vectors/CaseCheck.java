package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.util.ArrayList;
import java.util.List;

/** The comparisons of one vector case: each mismatch is recorded as "field: expected X, actual Y". */
public final class CaseCheck {
  private final JsonNode testCase;
  private final List<String> mismatches = new ArrayList<>();

  public CaseCheck(JsonNode testCase) {
    this.testCase = testCase;
  }

  public JsonNode input() {
    return testCase.path("input");
  }

  public JsonNode output() {
    return testCase.path("output");
  }

  public boolean expectsValid() {
    return "valid".equals(testCase.path("result").asText());
  }

  public String expectedError() {
    return testCase.path("error").asText(null);
  }

  /** Compares a hex field of {@code output} with {@code actual}. */
  public void bytes(String field, byte[] actual) {
    text(field, Bytes.hex(actual));
  }

  /** Compares a string field of {@code output} with {@code actual}, naming the first differing position. */
  public void text(String field, String actual) {
    JsonNode node = at(field);
    String expected = node.isMissingNode() ? null : node.asText();
    if (expected == null) {
      mismatches.add(field + ": missing from the vector");
    } else if (!expected.equals(actual)) {
      mismatches.add(field + ": " + describe(expected, actual));
    }
  }

  /** Compares a number of {@code output}; a field "x.length" is the length of the array x. */
  public void number(String field, long actual) {
    JsonNode node = field.endsWith(".length") ? sizeOf(at(field.substring(0, field.length() - 7))) : at(field);
    if (!node.canConvertToLong() || node.asLong() != actual) {
      mismatches.add(field + ": expected " + (node.isMissingNode() ? "(missing)" : node.toString()) + ", actual " + actual);
    }
  }

  /** Requires that a field of {@code output} is JSON null. */
  public void isNull(String field) {
    JsonNode node = at(field);
    if (!node.isNull()) {
      mismatches.add(field + ": expected " + (node.isMissingNode() ? "(missing)" : node.toString()) + ", actual null");
    }
  }

  public void fail(String message) {
    mismatches.add(message);
  }

  /** Records the outcome of an operation on an invalid case: it must fail with the expected code. */
  public void rejected(SottoException e) {
    if (expectsValid()) {
      mismatches.add("expected success, actual error " + e.code() + " (" + e.getMessage() + ")");
    } else if (!e.code().name().equals(expectedError())) {
      mismatches.add("error: expected " + expectedError() + ", actual " + e.code() + " (" + e.getMessage() + ")");
    }
  }

  /** Records that an operation succeeded: a failure if the case expected an error. */
  public boolean accepted() {
    if (!expectsValid()) {
      mismatches.add("expected error " + expectedError() + ", actual success");
      return false;
    }
    return true;
  }

  public List<String> mismatches() {
    return mismatches;
  }

  private static JsonNode sizeOf(JsonNode array) {
    return array.isArray() ? com.fasterxml.jackson.databind.node.IntNode.valueOf(array.size()) : array;
  }

  /** Reads a JSON path like "opk[1].public" relative to the output object. */
  private JsonNode at(String field) {
    JsonNode node = output();
    for (String part : field.split("\\.")) {
      int bracket = part.indexOf('[');
      if (bracket >= 0) {
        node = node.path(part.substring(0, bracket)).path(Integer.parseInt(part.substring(bracket + 1, part.length() - 1)));
      } else {
        node = node.path(part);
      }
    }
    return node;
  }

  static String describe(String expected, String actual) {
    if (actual == null) {
      return "expected " + abbreviate(expected, 0) + ", actual nothing";
    }
    int i = 0;
    while (i < expected.length() && i < actual.length() && expected.charAt(i) == actual.charAt(i)) {
      i++;
    }
    return "differs at character " + i + " (hex: byte " + (i / 2) + "): expected " + abbreviate(expected, i)
        + ", actual " + abbreviate(actual, i) + " (lengths " + expected.length() + " and " + actual.length() + ")";
  }

  private static String abbreviate(String s, int from) {
    int start = Math.max(0, from - 8);
    int end = Math.min(s.length(), from + 24);
    return (start > 0 ? "..." : "") + s.substring(start, end) + (end < s.length() ? "..." : "");
  }
}
