package dev.sotto.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sotto.ErrorCode;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.TestAbortedException;

/**
 * Reads Google's Wycheproof test vectors in place (never copied into the project) from the
 * folder named by the system property {@value #DIR_PROPERTY}, and turns each file into one
 * dynamic test per case plus a closing check that every case ran.
 *
 * <p>When the property is unset, or the folder or the file is absent, the file yields a
 * single test that is aborted, so that the run reports it as skipped, never as passed.
 */
final class WycheproofFiles {
  static final String DIR_PROPERTY = "wycheproof.dir";

  private static final ObjectMapper JSON = new ObjectMapper();

  private WycheproofFiles() {}

  /** The check of one case; it throws (an assertion error) when the primitive misbehaves. */
  @FunctionalInterface
  interface CaseCheck {
    void check(Case c) throws Throwable;
  }

  /** One test of a Wycheproof file, with the group it belongs to. */
  record Case(String file, JsonNode group, JsonNode test) {
    int tcId() {
      return test.path("tcId").asInt();
    }

    /** "valid", "invalid" or "acceptable". */
    String result() {
      return test.path("result").asText();
    }

    boolean isValid() {
      return result().equals("valid");
    }

    boolean isInvalid() {
      return result().equals("invalid");
    }

    boolean isAcceptable() {
      return result().equals("acceptable");
    }

    String comment() {
      return test.path("comment").asText("");
    }

    List<String> flags() {
      List<String> flags = new ArrayList<>();
      test.path("flags").forEach(flag -> flags.add(flag.asText()));
      return flags;
    }

    boolean hasFlag(String flag) {
      return flags().contains(flag);
    }

    boolean has(String field) {
      return test.hasNonNull(field);
    }

    /** A hex field of the test. */
    byte[] bytes(String field) {
      return hex(test, field);
    }

    /** A hex field of the group, found by its path ("publicKey", "pk"). */
    byte[] groupBytes(String... path) {
      JsonNode node = group;
      for (int i = 0; i < path.length - 1; i++) {
        node = required(node, path[i]);
      }
      return hex(node, path[path.length - 1]);
    }

    /** An integer field of the test. */
    int integer(String field) {
      return required(test, field).asInt();
    }

    /** An integer field of the group. */
    int groupInteger(String field) {
      return required(group, field).asInt();
    }

    /** The case as a failure message names it. */
    String describe() {
      return file + " tcId " + tcId() + " (" + result() + ", comment \"" + comment() + "\", flags " + flags() + ")";
    }

    private String displayName() {
      String comment = comment();
      return "tcId " + tcId() + " [" + result() + "]" + (comment.isEmpty() ? "" : " " + comment) + " " + flags();
    }
  }

  /**
   * The dynamic tests of {@code fileName}: one per case, named by tcId, result, comment and
   * flags, then one that checks that every case ran and that their number is nonzero and
   * matches the file's numberOfTests.
   */
  static Stream<DynamicNode> cases(String fileName, CaseCheck check) {
    return cases(fileName, check, false);
  }

  /**
   * As {@link #cases(String, CaseCheck)}, but an absent file fails the run instead of being
   * reported as skipped: for the primitives Sotto implements itself (X25519), whose Wycheproof
   * cases must run in every build.
   */
  static Stream<DynamicNode> requiredCases(String fileName, CaseCheck check) {
    return cases(fileName, check, true);
  }

  private static Stream<DynamicNode> cases(String fileName, CaseCheck check, boolean required) {
    Path file = locate(fileName);
    if (file == null) {
      String reason = "Wycheproof file " + fileName + " not found (system property " + DIR_PROPERTY + " = "
          + System.getProperty(DIR_PROPERTY) + ")";
      return Stream.of(DynamicTest.dynamicTest(fileName + " absent", () -> {
        if (required) {
          fail(reason + "; this suite is required");
        }
        Assumptions.abort(reason);
      }));
    }
    JsonNode root = read(file);
    List<DynamicNode> nodes = new ArrayList<>();
    Map<String, Integer> byResult = new TreeMap<>();
    AtomicInteger ran = new AtomicInteger();
    for (JsonNode group : required(root, "testGroups")) {
      for (JsonNode test : required(group, "tests")) {
        Case c = new Case(fileName, group, test);
        byResult.merge(c.result(), 1, Integer::sum);
        nodes.add(DynamicTest.dynamicTest(c.displayName(), () -> {
          ran.incrementAndGet();
          run(c, check);
        }));
      }
    }
    int total = nodes.size();
    int declared = root.path("numberOfTests").asInt(-1);
    nodes.add(DynamicTest.dynamicTest(fileName + ": " + total + " cases " + byResult, () -> {
      assertTrue(total > 0, fileName + " holds no test cases");
      if (declared >= 0) {
        assertEquals(declared, total, fileName + ": numberOfTests differs from the cases found");
      }
      assertEquals(total, ran.get(), fileName + ": not every case ran");
    }));
    return nodes.stream();
  }

  private static void run(Case c, CaseCheck check) throws Throwable {
    try {
      check.check(c);
    } catch (TestAbortedException e) {
      throw e;
    } catch (Throwable e) {
      String why = e instanceof AssertionError && e.getMessage() != null ? e.getMessage() : e.toString();
      throw new AssertionError(c.describe() + ": " + why, e);
    }
  }

  /** Asserts that {@code action} throws a SottoException with {@code code}. */
  static void assertSottoException(ErrorCode code, Executable action) {
    Throwable thrown = thrown(action);
    if (!(thrown instanceof SottoException e)) {
      fail("expected SottoException " + code + ", got " + describe(thrown), thrown);
      return;
    }
    assertEquals(code, e.code(), "error code");
  }

  /** Asserts that {@code action} throws an IllegalArgumentException (our API's rejection of a malformed size). */
  static void assertIllegalArgument(Executable action) {
    Throwable thrown = thrown(action);
    if (!(thrown instanceof IllegalArgumentException)) {
      fail("expected IllegalArgumentException, got " + describe(thrown), thrown);
    }
  }

  /** Asserts that {@code action} is rejected: a SottoException with {@code code} or an IllegalArgumentException. */
  static void assertRejected(ErrorCode code, Executable action) {
    Throwable thrown = thrown(action);
    if (thrown instanceof IllegalArgumentException) {
      return;
    }
    if (!(thrown instanceof SottoException e)) {
      fail("expected SottoException " + code + " or IllegalArgumentException, got " + describe(thrown), thrown);
      return;
    }
    assertEquals(code, e.code(), "error code");
  }

  /** Asserts byte equality, with the values in hex in the message. */
  static void assertBytes(byte[] expected, byte[] actual, String what) {
    assertEquals(Bytes.hex(expected), Bytes.hex(actual), what);
  }

  private static Throwable thrown(Executable action) {
    try {
      action.execute();
      return null;
    } catch (Throwable e) {
      return e;
    }
  }

  private static String describe(Throwable thrown) {
    return thrown == null ? "no exception" : thrown.toString();
  }

  private static byte[] hex(JsonNode node, String field) {
    return Bytes.unhex(required(node, field).asText());
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalStateException("Wycheproof JSON lacks field \"" + field + "\"");
    }
    return value;
  }

  private static Path locate(String fileName) {
    String dir = System.getProperty(DIR_PROPERTY);
    if (dir == null || dir.isBlank()) {
      return null;
    }
    Path file = Path.of(dir).resolve(fileName);
    return Files.isRegularFile(file) ? file : null;
  }

  private static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read Wycheproof file " + file, e);
    }
  }
}
