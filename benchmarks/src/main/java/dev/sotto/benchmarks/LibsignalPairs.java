package dev.sotto.benchmarks;

import static dev.sotto.benchmarks.Fixtures.NOW;

import dev.sotto.Initiator;
import dev.sotto.Responder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;

/**
 * A cross-check of {@link LibsignalComparisonBenchmark}'s ratios that a loaded machine does not
 * upset, in the manner of {@link FloorPairs}: for each scenario, Sotto's operation and libsignal's
 * (the same states as the JMH benchmark) run in one JVM, alternated in blocks of 200 ms, each block
 * timed in thread CPU time, so that time stolen by other processes counts for neither side. It
 * prints, per scenario, the median CPU µs per operation of each side and the median and quartiles
 * of the per-round ratios Sotto / libsignal. libsignal's work runs in native code on the calling
 * thread, so thread CPU time counts it. The responders take a fresh responder (Sotto: restored;
 * libsignal: a new store with the same prekeys) once per pass through their {@value
 * LibsignalComparisonBenchmark#POOL} messages, inside the timed blocks.
 *
 * <pre>java -cp benchmarks/target/sotto-benchmarks.jar dev.sotto.benchmarks.LibsignalPairs [rounds] [scenarios]</pre>
 *
 * <p>{@code scenarios}, a regular expression over the names printed (default: all; 20 rounds).
 */
public final class LibsignalPairs {
  private LibsignalPairs() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    String only = args.length > 1 ? args[1] : ".*";
    Map<String, FloorPairs.Op[]> pairs = new LinkedHashMap<>();
    int pool = LibsignalComparisonBenchmark.POOL;

    HandshakeBenchmark.Parties p = new HandshakeBenchmark.Parties();
    p.setUp();
    LibsignalComparisonBenchmark.Signal s = new LibsignalComparisonBenchmark.Signal();
    s.setUp();
    if ("firstContact".matches(only)) {
      Responder[] responder = {p.responder(p.fixtureResponder)};
      InMemorySignalProtocolStore[] store = {s.parties.bobStore()};
      int[] counts = {0, 0};
      pairs.put("firstContact", new FloorPairs.Op[] {() -> {
        if (counts[0]++ == pool) {
          responder[0] = p.responder(p.fixtureResponder);
          counts[0] = 1;
        }
        return responder[0].accept(Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, p.random).message(), NOW);
      }, () -> {
        if (counts[1]++ == pool) {
          store[0] = s.parties.bobStore();
          counts[1] = 1;
        }
        return s.parties.respond(store[0], s.parties.initiate(s.aliceStore, s.payload));
      }});
    }
    if ("initiate".matches(only)) {
      pairs.put("initiate", new FloorPairs.Op[] {() -> Initiator.to(p.alice, p.prekeys).start(NOW, p.payload, p.random),
          () -> s.parties.initiate(s.aliceStore, s.payload)});
    }
    if ("respond".matches(only)) {
      HandshakeBenchmark.Responding r = new HandshakeBenchmark.Responding();
      r.makeMessages(p);
      LibsignalComparisonBenchmark.SignalResponding sr = new LibsignalComparisonBenchmark.SignalResponding();
      sr.makeMessages(s);
      Responder[] responder = {p.responder(p.fixtureResponder)};
      InMemorySignalProtocolStore[] store = {s.parties.bobStore()};
      int[] next = {0, 0};
      pairs.put("respond", new FloorPairs.Op[] {() -> {
        if (next[0] == r.pool.messages.length) {
          responder[0] = p.responder(p.fixtureResponder);
          next[0] = 0;
        }
        return responder[0].accept(r.pool.messages[next[0]++], NOW);
      }, () -> {
        if (next[1] == sr.messages.length) {
          store[0] = s.parties.bobStore();
          next[1] = 0;
        }
        return s.parties.respond(store[0], sr.messages[next[1]++]);
      }});
    }
    if ("sameDirection1KiB".matches(only)) {
      LibsignalComparisonBenchmark.SottoOneWay1KiB sotto = new LibsignalComparisonBenchmark.SottoOneWay1KiB();
      sotto.setUp();
      LibsignalComparisonBenchmark.SignalOneWay1KiB signal = new LibsignalComparisonBenchmark.SignalOneWay1KiB();
      signal.setUp();
      pairs.put("sameDirection1KiB", new FloorPairs.Op[] {sotto::op, () -> signal.c.send(true, signal.plaintext)});
    }
    if ("alternating1KiB".matches(only)) {
      RatchetBenchmark.Alternating1KiB sotto = new RatchetBenchmark.Alternating1KiB();
      sotto.setUp();
      LibsignalComparisonBenchmark.SignalAlternating1KiB signal = new LibsignalComparisonBenchmark.SignalAlternating1KiB();
      signal.setUp();
      pairs.put("alternating1KiB", new FloorPairs.Op[] {sotto::op, signal::op});
    }
    if ("sealed1KiB".matches(only)) {
      LibsignalComparisonBenchmark.SottoSealed1KiB sotto = new LibsignalComparisonBenchmark.SottoSealed1KiB();
      sotto.setUp();
      LibsignalComparisonBenchmark.SignalSealed1KiB signal = new LibsignalComparisonBenchmark.SignalSealed1KiB();
      signal.setUp();
      pairs.put("sealed1KiB", new FloorPairs.Op[] {sotto::op, signal::op});
    }
    if ("sameDirection16KiB".matches(only)) {
      LibsignalComparisonBenchmark.SottoOneWay16KiB sotto = new LibsignalComparisonBenchmark.SottoOneWay16KiB();
      sotto.setUp();
      LibsignalComparisonBenchmark.SignalOneWay16KiB signal = new LibsignalComparisonBenchmark.SignalOneWay16KiB();
      signal.setUp();
      pairs.put("sameDirection16KiB", new FloorPairs.Op[] {sotto::op, () -> signal.c.send(true, signal.plaintext)});
    }
    FloorPairs.compare(pairs, rounds, "sotto", "libsignal", "sotto/libsignal", 300_000_000L);
  }
}
