package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Recording and replaying a peer's answers, so that measuring many mutants does not repeat the
 * same cryptography for each: a correct run is recorded once; each mutant's run replays it for as
 * long as the requests are the recorded ones, and from the first request that differs answers live
 * from a fresh peer that was first given every earlier request (so its state is exactly the one the
 * recording had). The answers are therefore those a live peer would give, request for request.
 */
public final class Replay {
  private Replay() {}

  /** One request and its answer: a result, or an error code and message. */
  public record Exchange(ObjectNode request, JsonNode result, String code, String message) {}

  /** Passes every request to a peer and keeps the exchange. */
  public static final class Recorder implements Peer {
    private final Peer inner;
    private final List<Exchange> log = new ArrayList<>();

    public Recorder(Peer inner) {
      this.inner = inner;
    }

    @Override
    public JsonNode call(ObjectNode request) throws Failure {
      ObjectNode copy = request.deepCopy();
      try {
        JsonNode result = inner.call(request);
        log.add(new Exchange(copy, result, null, null));
        return result;
      } catch (Failure f) {
        log.add(new Exchange(copy, null, f.code(), f.getMessage()));
        throw f;
      }
    }

    /** What was recorded so far. */
    public List<Exchange> log() {
      return List.copyOf(log);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /** Answers from a recording while the requests match it; live from the first one that does not. */
  public static final class Player implements Peer {
    private final List<Exchange> log;
    private final Supplier<Peer> fresh;
    private int next;
    private Peer live;

    public Player(List<Exchange> log, Supplier<Peer> fresh) {
      this.log = log;
      this.fresh = fresh;
    }

    @Override
    public JsonNode call(ObjectNode request) throws Failure {
      if (live == null && next < log.size() && log.get(next).request().equals(request)) {
        Exchange e = log.get(next++);
        if (e.code() != null) {
          // Failure prefixes the code to its message; give back the message as recorded.
          String message = e.message();
          String prefix = e.code() + ": ";
          throw new Failure(e.code(), message.startsWith(prefix) ? message.substring(prefix.length())
              : message.equals(e.code()) ? "" : message);
        }
        return e.result().deepCopy();
      }
      if (live == null) {
        live = fresh.get();
        for (int i = 0; i < next; i++) {
          try {
            live.call(log.get(i).request().deepCopy());
          } catch (Failure f) {
            // as recorded
          }
        }
      }
      return live.call(request);
    }

    /** Whether the player had to answer live (the run left the recording). */
    public boolean wentLive() {
      return live != null;
    }

    @Override
    public void close() {
      if (live != null) {
        live.close();
      }
    }
  }
}
