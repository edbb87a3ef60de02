package dev.sotto.conformance.harness;

import dev.sotto.conformance.harness.Mutant.Flip;
import dev.sotto.conformance.harness.Mutant.Kind;
import dev.sotto.conformance.harness.Mutant.NoRollback;
import dev.sotto.conformance.harness.Mutant.Skip;
import dev.sotto.conformance.harness.Mutant.Swap;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The interop runner measured the way mutation testing measures a test suite: a universe of
 * {@link Mutant}s, generated mechanically from the specification's tables (spec:
 * harness.adoc#harness-errors, #harness-codes, #harness-operations; errors.adoc#error-table), each
 * played against the runner; the share the runner fails is its score.
 */
public final class Mutants {
  private Mutants() {}

  /**
   * What the specification's tables say: the error codes each operation answers, every code an
   * answer may carry, and each operation's result-fields cell as written.
   */
  public record Spec(Map<String, List<String>> errors, Set<String> codes, Map<String, String> results) {
    public Spec {
      errors = Collections.unmodifiableMap(new LinkedHashMap<>(errors));
      codes = Collections.unmodifiableSet(new LinkedHashSet<>(codes));
      results = Collections.unmodifiableMap(new LinkedHashMap<>(results));
    }
  }

  /**
   * Reads the tables from {@code specDir}'s harness.adoc and errors.adoc.
   *
   * @throws IllegalStateException when a table is missing, empty or not in the expected shape
   */
  public static Spec read(Path specDir) throws IOException {
    Path harnessFile = specDir.resolve("harness.adoc");
    Path errorsFile = specDir.resolve("errors.adoc");
    String harness = Files.readString(harnessFile, StandardCharsets.UTF_8);
    String errors = Files.readString(errorsFile, StandardCharsets.UTF_8);

    Map<String, List<String>> perOp = new LinkedHashMap<>();
    List<List<String>> errorRows = new ArrayList<>(table(harness, "harness-errors", harnessFile, 2));
    if (harness.contains("[[harness-group-errors]]")) {
      errorRows.addAll(table(harness, "harness-group-errors", harnessFile, 2));
    }
    for (List<String> row : errorRows) {
      List<String> codes = row.get(1).strip().equals("none") ? List.of() : names(row.get(1));
      if (codes.isEmpty() && !row.get(1).strip().equals("none")) {
        throw new IllegalStateException(harnessFile + ": [[harness-errors]]: no codes in row " + row);
      }
      codes.forEach(c -> requireCode(c, harnessFile));
      perOp.put(op(row, harnessFile), codes);
    }
    Set<String> all = new LinkedHashSet<>();
    for (List<String> row : table(errors, "error-table", errorsFile, 4)) {
      all.add(requireCode(single(row.get(1), errorsFile), errorsFile));
    }
    for (List<String> row : table(harness, "harness-codes", harnessFile, 2)) {
      all.add(requireCode(single(row.get(0), harnessFile), harnessFile));
    }
    for (List<String> codes : perOp.values()) {
      for (String code : codes) {
        if (!all.contains(code)) {
          throw new IllegalStateException(harnessFile + ": [[harness-errors]] names " + code
              + ", which is neither an error name nor a harness code");
        }
      }
    }
    Map<String, String> results = new LinkedHashMap<>();
    List<List<String>> operationRows = new ArrayList<>(table(harness, "harness-operations", harnessFile, 3));
    if (harness.contains("[[harness-group-operations]]")) {
      operationRows.addAll(table(harness, "harness-group-operations", harnessFile, 3));
    }
    for (List<String> row : operationRows) {
      results.put(op(row, harnessFile), row.get(2).strip());
    }
    return new Spec(perOp, all, results);
  }

  /**
   * The universe: for every (op, code) of [[harness-errors]], a {@link Swap} to every other code,
   * a {@link Skip}, and a {@link NoRollback} where {@link NoRollback#applies} says so; for every
   * compared result field of every operation of [[harness-operations]], a {@link Flip}.
   */
  public static List<Kind> universe(Spec spec) {
    List<Kind> swaps = new ArrayList<>();
    List<Kind> skips = new ArrayList<>();
    List<Kind> noRollbacks = new ArrayList<>();
    spec.errors().forEach((op, codes) -> {
      for (String from : codes) {
        for (String to : spec.codes()) {
          if (!to.equals(from)) {
            swaps.add(new Swap(op, from, to));
          }
        }
        skips.add(new Skip(op, from));
        if (NoRollback.applies(op, from)) {
          noRollbacks.add(new NoRollback(op, from));
        }
      }
    });
    List<Kind> flips = new ArrayList<>();
    for (String op : spec.results().keySet()) {
      List<Mutant.Field> fields = Mutant.RESULTS.get(op);
      if (fields == null) {
        throw new IllegalStateException("the operations table has " + op
            + ", whose result fields Mutant.RESULTS does not list");
      }
      fields.stream().filter(Mutant.Field::compared).forEach(f -> flips.add(new Flip(op, f.name())));
    }
    List<Kind> all = new ArrayList<>(swaps);
    all.addAll(skips);
    all.addAll(noRollbacks);
    all.addAll(flips);
    return List.copyOf(all);
  }

  /** The universe of the specification in {@code specDir}. */
  public static List<Kind> universe(Path specDir) throws IOException {
    return universe(read(specDir));
  }

  // ---------------------------------------------------------------------------- the tables

  private static final Pattern CODE = Pattern.compile("[A-Z][A-Z0-9_]*");
  private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
  private static final Pattern PARENTHESIS = Pattern.compile("\\([^()]*\\)");

  /**
   * The body rows of the first table after the anchor {@code [[anchor]]}, each as its cells
   * (a row may continue over several lines); the header row is left out.
   */
  static List<List<String>> table(String adoc, String anchor, Path file, int columns) {
    int at = adoc.indexOf("[[" + anchor + "]]");
    if (at < 0) {
      throw new IllegalStateException(file + " has no table [[" + anchor + "]]");
    }
    int open = adoc.indexOf("\n|===", at);
    int close = open < 0 ? -1 : adoc.indexOf("\n|===", open + 5);
    int nextAnchor = adoc.indexOf("\n[[", at + 2);
    if (open < 0 || close < 0 || (nextAnchor >= 0 && nextAnchor < open)) {
      throw new IllegalStateException(file + ": [[" + anchor + "]] is not followed by a table");
    }
    boolean header = adoc.substring(at, open).contains("options=\"header\"");
    List<StringBuilder> rows = new ArrayList<>();
    for (String line : adoc.substring(open + 5, close).split("\n")) {
      if (line.startsWith("|")) {
        rows.add(new StringBuilder(line));
      } else if (!line.isBlank() && !rows.isEmpty()) {
        rows.get(rows.size() - 1).append(' ').append(line);
      }
    }
    List<List<String>> out = new ArrayList<>();
    for (int i = header ? 1 : 0; i < rows.size(); i++) {
      String[] cells = rows.get(i).substring(1).split("\\|", -1);
      if (cells.length != columns) {
        throw new IllegalStateException(file + ": [[" + anchor + "]]: a row of " + cells.length
            + " cells, not " + columns + ": " + rows.get(i));
      }
      List<String> row = new ArrayList<>();
      for (String cell : cells) {
        row.add(cell.strip());
      }
      out.add(row);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(file + ": the table [[" + anchor + "]] is empty");
    }
    return out;
  }

  /** The backticked names of {@code cell} outside any parenthesis: {@code "`card`: the card (<<x>>)"} gives [card]. */
  public static List<String> names(String cell) {
    String outside = cell;
    for (String previous = null; !outside.equals(previous); ) {
      previous = outside;
      outside = PARENTHESIS.matcher(outside).replaceAll("");
    }
    List<String> names = new ArrayList<>();
    Matcher m = BACKTICKED.matcher(outside);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static String single(String cell, Path file) {
    List<String> names = names(cell);
    if (names.size() != 1) {
      throw new IllegalStateException(file + ": expected one backticked name in '" + cell + "'");
    }
    return names.get(0);
  }

  private static String op(List<String> row, Path file) {
    return single(row.get(0), file);
  }

  private static String requireCode(String code, Path file) {
    if (!CODE.matcher(code).matches()) {
      throw new IllegalStateException(file + ": '" + code + "' is no error code");
    }
    return code;
  }

  // ---------------------------------------------------------------------------- the measurement

  /**
   * What became of one mutant: {@code fired}, how often its mutation changed an answer;
   * {@code caught}, the runner's first failure line (null for a survivor).
   */
  public record Outcome(Kind kind, boolean killed, int fired, String caught) {}

  /** A family's count. */
  public record Tally(int total, int killed) {}

  /** The outcomes of a measurement, in the universe's order. */
  public record Measurement(List<Outcome> outcomes, Duration elapsed) {
    public int total() {
      return outcomes.size();
    }

    public int killed() {
      return (int) outcomes.stream().filter(Outcome::killed).count();
    }

    /** The killed share, in percent. */
    public double share() {
      return total() == 0 ? 100.0 : 100.0 * killed() / total();
    }

    /** Whether the killed share is at least {@code percent}. */
    public boolean atLeast(double percent) {
      return share() >= percent;
    }

    public List<Outcome> survivors() {
      return outcomes.stream().filter(o -> !o.killed()).toList();
    }

    /** Total and killed per family, in the universe's order. */
    public Map<String, Tally> byFamily() {
      Map<String, Tally> out = new LinkedHashMap<>();
      for (Outcome o : outcomes) {
        Tally t = out.getOrDefault(o.kind().family(), new Tally(0, 0));
        out.put(o.kind().family(), new Tally(t.total() + 1, t.killed() + (o.killed() ? 1 : 0)));
      }
      return out;
    }

    /** The closing line: {@code mutants: N, killed: K (P %)}. */
    public String summary() {
      return String.format(Locale.ROOT, "mutants: %d, killed: %d (%.1f %%)", total(), killed(), share());
    }

    /** One line per survivor, saying whether the runner ever provoked it. */
    public List<String> survivorLines() {
      return survivors().stream().map(o -> "survived: " + o.kind().name()
          + (o.fired() == 0 ? " (never provoked)" : " (provoked " + o.fired() + " times, unnoticed)")).toList();
    }
  }

  /**
   * Plays every mutant against the runner: for each, a fresh reference, a fresh mirror and the
   * mutant of a fresh Java implementation, {@code conversations} conversations from {@code seed},
   * stopping at the first failing one. A mutant is killed when a conversation fails. Mutants share
   * nothing, and run on {@code threads} threads; {@code progress}, when not null, gets a line every
   * 100 mutants.
   *
   * <p>A mutant answers exactly as the correct implementation until its mutation first fires
   * ({@link Mutant#provokedBy}), and the runner is deterministic; so one run against the correct
   * implementation first, noting every answer, tells which mutants would never fire. Those
   * survive without being played: their run would be that run, which passes (it must, or the
   * measurement means nothing, and this throws).
   */
  public static Measurement measure(List<Kind> mutants, long seed, int conversations, int threads,
      PrintStream progress) {
    long start = System.nanoTime();
    Clean clean = clean(mutants, seed, conversations);
    Set<Kind> provoked = clean.provoked();
    if (progress != null) {
      progress.printf(Locale.ROOT,
          "the correct implementation passes %d conversations (%.1f s); %d of %d mutants fire%n", conversations,
          (System.nanoTime() - start) / 1e9, provoked.size(), mutants.size());
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger done = new AtomicInteger();
    try {
      List<Future<Outcome>> futures = new ArrayList<>();
      for (Kind kind : mutants) {
        if (!provoked.contains(kind)) {
          futures.add(CompletableFuture.completedFuture(new Outcome(kind, false, 0, null)));
          continue;
        }
        futures.add(pool.submit(() -> {
          Outcome o = play(kind, seed, conversations, clean);
          int n = done.incrementAndGet();
          if (progress != null && n % 100 == 0) {
            progress.println(n + " mutants played");
          }
          return o;
        }));
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> f : futures) {
        outcomes.add(f.get());
      }
      return new Measurement(List.copyOf(outcomes), Duration.ofNanos(System.nanoTime() - start));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a mutant's run failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The run against the correct implementation: which mutants fire in it ({@link #measure}; the
   * others answer exactly as it does in their own run, and survive), and the answers of the
   * reference, the mirror and the implementation, recorded so that each mutant's run replays them
   * ({@link Replay}) instead of computing them again.
   */
  public record Clean(Set<Kind> provoked, List<Replay.Exchange> reference, List<Replay.Exchange> mirror,
      List<Replay.Exchange> tested) {}

  /**
   * Plays the run against the correct implementation.
   *
   * @throws IllegalStateException when the correct implementation fails the run
   */
  public static Clean clean(List<Kind> mutants, long seed, int conversations) {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (Replay.Recorder reference = new Replay.Recorder(new Handler(Handler.Fault.NONE));
        Replay.Recorder mirror = new Replay.Recorder(new Handler(Handler.Fault.NONE));
        Recorder recorder = new Recorder(mutants)) {
      PrintStream sink = new PrintStream(log, true, StandardCharsets.UTF_8);
      Interop.Result clean = new Interop(reference, recorder, mirror, sink).run(seed, conversations, true);
      if (clean.failed() > 0) {
        throw new IllegalStateException("the correct implementation fails the runner: "
            + log.toString(StandardCharsets.UTF_8).strip());
      }
      return new Clean(Set.copyOf(recorder.provoked), reference.log(), mirror.log(), recorder.inner.log());
    }
  }

  /** The mutants that fire in a run against the correct implementation. */
  public static Set<Kind> provoked(List<Kind> mutants, long seed, int conversations) {
    return clean(mutants, seed, conversations).provoked();
  }

  /** The correct implementation, noting the mutants its answers set off. */
  private static final class Recorder implements Peer {
    private final Replay.Recorder inner = new Replay.Recorder(new Handler(Handler.Fault.NONE));
    private final Map<String, List<Kind>> byOp = new HashMap<>();
    private final Set<Kind> provoked = new HashSet<>();

    Recorder(List<Kind> mutants) {
      mutants.forEach(k -> byOp.computeIfAbsent(k.op(), op -> new ArrayList<>()).add(k));
    }

    @Override
    public JsonNode call(ObjectNode request) throws Failure {
      String op = request.path("op").asText();
      try {
        JsonNode result = inner.call(request);
        note(op, result, null);
        return result;
      } catch (Failure f) {
        note(op, null, f.code());
        throw f;
      }
    }

    private void note(String op, JsonNode result, String error) {
      for (Kind kind : byOp.getOrDefault(op, List.of())) {
        if (Mutant.provokedBy(kind, op, result, error)) {
          provoked.add(kind);
        }
      }
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /** One mutant's run. A runner that throws on the mutant's answers has not passed it: killed, and said so. */
  public static Outcome play(Kind kind, long seed, int conversations) {
    return play(kind, seed, conversations, null);
  }

  /**
   * As {@link #play(Kind, long, int)}; with {@code clean} (the correct run, recorded), every peer
   * replays its recorded answers for as long as the requests are the recorded ones and answers live
   * from the first that differs ({@link Replay.Player}): the same answers, without the cost.
   */
  public static Outcome play(Kind kind, long seed, int conversations, Clean clean) {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    java.util.function.Supplier<Peer> fresh = () -> new Handler(Handler.Fault.NONE);
    try (Peer reference = clean == null ? fresh.get() : new Replay.Player(clean.reference(), fresh);
        Peer mirror = clean == null ? fresh.get() : new Replay.Player(clean.mirror(), fresh);
        Mutant mutant = new Mutant(kind, clean == null ? fresh.get() : new Replay.Player(clean.tested(), fresh))) {
      Interop.Result result;
      try {
        result = new Interop(reference, mutant, mirror, new PrintStream(log, true, StandardCharsets.UTF_8))
            .run(seed, conversations, true);
      } catch (RuntimeException e) {
        return new Outcome(kind, true, mutant.fired(), "the runner threw " + e);
      }
      String caught = log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("FAIL")).findFirst()
          .orElse(null);
      return new Outcome(kind, result.failed() > 0, mutant.fired(), caught);
    }
  }
}
