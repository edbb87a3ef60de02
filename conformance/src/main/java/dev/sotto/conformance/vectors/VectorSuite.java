package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.sotto.RandomSource;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;

/** One published vector file: how its cases are made and how an implementation is checked against them. */
public interface VectorSuite {
  /** The file's component name, its top-level "component" field; the file is {@code component + ".json"}. */
  String component();

  /** What the file covers, its top-level "description" field. */
  String description();

  /** The generator's random source: a deterministic stream seeded by the component's name. */
  default RandomSource seededRandom() {
    return TestRandom.deterministic(("sotto/vectors/v1/" + component()).getBytes(StandardCharsets.US_ASCII));
  }

  /** Makes the cases, deterministically. */
  ArrayNode generate();

  /** Checks the implementation against one case, recording every mismatch in {@code check}. */
  void verify(JsonNode testCase, CaseCheck check);
}
