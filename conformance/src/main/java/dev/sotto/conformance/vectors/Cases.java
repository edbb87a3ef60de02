package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.ErrorCode;

/** Collects the cases of one vector file, numbering them from 1 in the order they are added. */
final class Cases {
  private final ArrayNode cases = Json.array();

  ObjectNode valid(String operation, String comment, ObjectNode input, ObjectNode output) {
    ObjectNode c = start(operation, comment, "valid", input);
    c.set("output", output);
    return c;
  }

  ObjectNode invalid(String operation, String comment, ObjectNode input, ErrorCode error) {
    ObjectNode c = start(operation, comment, "invalid", input);
    c.put("error", error.name());
    return c;
  }

  private ObjectNode start(String operation, String comment, String result, ObjectNode input) {
    ObjectNode c = cases.addObject();
    c.put("id", cases.size());
    c.put("comment", comment);
    c.put("result", result);
    c.put("operation", operation);
    c.set("input", input);
    return c;
  }

  ArrayNode toArray() {
    return cases;
  }
}
