package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.internal.encoding.Bytes;
import java.io.IOException;
import java.io.StringWriter;

/** JSON in one fixed layout: two-space indent, "\n" line ends, fields in insertion order, a final newline. */
public final class Json {
  /**
   * Reads strings of up to 2^26 characters: a harness line carries a payload of up to 256 chunks
   * as hex (spec: harness.adoc#harness-line-length), more than Jackson's default limit.
   */
  public static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
      .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
          .maxStringLength(1 << 26).build())
      .build());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  /** The hex string in {@code node}'s {@code field}, as bytes. */
  public static byte[] hex(JsonNode node, String field) {
    return Bytes.unhex(node.path(field).asText());
  }

  /** A JSON array of integers, as longs. */
  public static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asLong();
    }
    return out;
  }

  public static ObjectNode object() {
    return NODES.objectNode();
  }

  public static ArrayNode array() {
    return NODES.arrayNode();
  }

  /** The canonical text of {@code node}: byte-identical on every machine. */
  public static String write(JsonNode node) {
    DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(indenter)
            .withArrayIndenter(indenter);
    StringWriter out = new StringWriter();
    try {
      MAPPER.writer(printer).writeValue(out, node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out + "\n";
  }
}
