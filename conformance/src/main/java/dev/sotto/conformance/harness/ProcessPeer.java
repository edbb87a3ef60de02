package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.conformance.vectors.Json;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** An implementation under test, run as a child process speaking the harness protocol on stdin/stdout. */
public final class ProcessPeer implements Peer {
  private final Process process;
  private final BufferedWriter in;
  private final BufferedReader out;
  private long nextId = 1;

  public ProcessPeer(String command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of("sh", "-c", command));
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    process = builder.start();
    in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  @Override
  public JsonNode call(ObjectNode request) throws Failure {
    long id = nextId++;
    ObjectNode message = Json.object().put("id", id);
    message.setAll(request);
    String line;
    try {
      in.write(Json.MAPPER.writeValueAsString(message));
      in.write('\n');
      in.flush();
      line = out.readLine();
    } catch (IOException e) {
      // A broken pipe usually means the process is exiting: give it a moment to finish.
      String status = exitStatus();
      if (!process.isAlive()) {
        throw new Failure("HARNESS", "the implementation exited (status " + status + ")");
      }
      throw new Failure("HARNESS", "the implementation's pipe broke: " + e.getMessage());
    }
    if (line == null) {
      throw new Failure("HARNESS", "the implementation exited (status " + exitStatus() + ")");
    }
    JsonNode answer;
    try {
      answer = Json.MAPPER.readTree(line);
    } catch (IOException e) {
      throw new Failure("HARNESS", "not a JSON line: " + abbreviate(line));
    }
    if (answer.path("id").asLong(-1) != id) {
      throw new Failure("HARNESS", "answer id " + answer.path("id") + " for request " + id);
    }
    if (answer.has("error")) {
      throw new Failure(answer.path("error").asText(), answer.path("message").asText(""));
    }
    if (!answer.path("result").isObject()) {
      throw new Failure("HARNESS", "an answer needs 'result' or 'error': " + abbreviate(line));
    }
    return answer.path("result");
  }

  private String exitStatus() {
    try {
      process.waitFor(2, java.util.concurrent.TimeUnit.SECONDS);
      if (process.isAlive()) {
        return "still running";
      }
      int status = process.exitValue();
      // The shell's own statuses: say which, since the command never ran.
      return switch (status) {
        case 126 -> "126: sh could not execute the command";
        case 127 -> "127: sh found no such command";
        default -> String.valueOf(status);
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      // the process is ending anyway
    }
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
