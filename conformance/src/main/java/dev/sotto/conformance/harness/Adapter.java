package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.conformance.vectors.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The reference adapter: the Java implementation speaking the harness protocol on stdin/stdout. */
public final class Adapter {
  private Adapter() {}

  /** Answers one request per line until the input ends. */
  public static void serve(InputStream input, PrintStream output, Handler.Fault fault) throws IOException {
    Handler handler = new Handler(fault);
    BufferedReader reader = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      ObjectNode answer = Json.object();
      try {
        JsonNode request = Json.MAPPER.readTree(line);
        answer.set("id", request.path("id"));
        try {
          answer.set("result", handler.call((ObjectNode) request));
        } catch (Peer.Failure f) {
          answer.put("error", f.code()).put("message", f.getMessage());
        }
      } catch (IOException | ClassCastException e) {
        answer.putNull("id").put("error", "BAD_REQUEST").put("message", "not a JSON object");
      }
      output.println(Json.MAPPER.writeValueAsString(answer));
      output.flush();
    }
  }
}
