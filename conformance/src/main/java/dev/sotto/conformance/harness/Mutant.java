package dev.sotto.conformance.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.conformance.vectors.Json;
import dev.sotto.internal.encoding.Bytes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An implementation under test that is wrong in exactly one mechanical way: a correct inner peer
 * whose answers to one operation are changed as its {@link Kind} says. The interop runner should
 * notice every such mutant; {@link Mutants} measures what share it does.
 *
 * <p>A mutant behaves exactly as its inner peer until its mutation first <em>fires</em>: until the
 * inner peer gives the answer the mutation changes. {@link #fired()} counts those answers, so that
 * a survivor the runner never provoked can be told from one it provoked without noticing.
 */
public final class Mutant implements Peer {

  /** One mutation: the operation it applies to, and a stable one-line name. */
  public sealed interface Kind permits Swap, Skip, NoRollback, Flip {
    /** The operation whose answers change. */
    String op();

    /** The family, as the report groups them: {@code swap}, {@code skip}, {@code no-rollback}, {@code flip}. */
    String family();

    /** A stable one-line name, e.g. {@code swap session.accept REPLAY->UNKNOWN_PREKEY}. */
    String name();
  }

  /** Answers error {@code to} where the inner peer answers {@code op} with error {@code from}: a wrong code. */
  public record Swap(String op, String from, String to) implements Kind {
    @Override
    public String family() {
      return "swap";
    }

    @Override
    public String name() {
      return "swap " + op + " " + from + "->" + to;
    }
  }

  /** Answers success where the inner peer answers {@code op} with error {@code code}: a missing check. */
  public record Skip(String op, String code) implements Kind {
    @Override
    public String family() {
      return "skip";
    }

    @Override
    public String name() {
      return "skip " + op + " " + code;
    }
  }

  /**
   * Where the inner peer answers {@code op} with error {@code code}, first changes the object the
   * request named, then answers the error: a refusal that is not all or nothing (spec:
   * harness.adoc#operations, "MUST leave the adapter's objects exactly as they were").
   */
  public record NoRollback(String op, String code) implements Kind {
    /** The operations whose requests name an object this mutation can change, and the field naming it. */
    public static final Map<String, String> OBJECTS = Map.ofEntries(
        Map.entry("session.open", "session"),
        Map.entry("session.seal", "session"),
        Map.entry("session.accept", "identity"),
        Map.entry("card.issue", "identity"),
        Map.entry("prekeys.issue", "identity"),
        Map.entry("group.propose", "group"),
        Map.entry("group.seal", "group"),
        Map.entry("group.sender_key", "group"),
        Map.entry("group.open", "group"),
        Map.entry("group.resync", "group"));

    /**
     * Whether a refusal of {@code op} with {@code code} leaves an object to change: the op names
     * one, and the code does not say that it does not exist ({@code UNKNOWN_HANDLE}, but for
     * {@code prekeys.issue}, where it may be the card that is unknown to a known identity).
     */
    public static boolean applies(String op, String code) {
      return OBJECTS.containsKey(op) && (!code.equals("UNKNOWN_HANDLE") || op.equals("prekeys.issue"));
    }

    @Override
    public String family() {
      return "no-rollback";
    }

    @Override
    public String name() {
      return "no-rollback " + op + " " + code;
    }
  }

  /** Changes one bit (or one character, or one unit) of result {@code field} of a successful {@code op}. */
  public record Flip(String op, String field) implements Kind {
    @Override
    public String family() {
      return "flip";
    }

    @Override
    public String name() {
      return "flip " + op + " " + field;
    }
  }

  /** What a result field holds. */
  public enum Value {
    /** A handle the adapter chose: free to differ between implementations. */
    HANDLE,
    /** Free text ({@code implementation}): free to differ. */
    TEXT,
    /** A fixed string ({@code protocol}, {@code suite}). */
    CONSTANT,
    /** A JSON integer. */
    INTEGER,
    /** A byte string. */
    BYTES,
    /** A byte string, or {@code null}. */
    BYTES_OR_NULL,
    /** A list of byte strings. */
    BYTE_LIST,
    /** A JSON object (a backup's manifest, contents or rank). */
    OBJECT,
    /** A JSON boolean. */
    BOOLEAN,
    /** A compared string of the protocol's words ({@code view}: {@code "current"}, ...). */
    WORD,
    /** A compared word, or {@code null}. */
    WORD_OR_NULL,
    /** A list of JSON objects (a group's sender keys and welcomes). */
    OBJECT_LIST
  }

  /** One field of an operation's result. */
  public record Field(String name, Value value) {
    /** Whether the runner compares it: every field but handles and free text. */
    public boolean compared() {
      return value != Value.HANDLE && value != Value.TEXT;
    }
  }

  /**
   * The result fields of every operation (spec: harness.adoc#operations, the third column), in the
   * table's order. MutantsTest checks these names against the table and against the Java
   * implementation's answers.
   */
  public static final Map<String, List<Field>> RESULTS = results();

  private static Map<String, List<Field>> results() {
    Map<String, List<Field>> r = new LinkedHashMap<>();
    r.put("hello", List.of(new Field("protocol", Value.CONSTANT), new Field("version", Value.INTEGER),
        new Field("suite", Value.CONSTANT), new Field("implementation", Value.TEXT)));
    r.put("identity.create", List.of(new Field("identity", Value.HANDLE), new Field("public_identity", Value.BYTES),
        new Field("fingerprint", Value.BYTES)));
    r.put("card.issue", List.of(new Field("card", Value.BYTES)));
    r.put("prekeys.issue", List.of(new Field("bundle", Value.BYTES), new Field("opks", Value.BYTE_LIST),
        new Field("pqopks", Value.BYTE_LIST)));
    r.put("responder.serialize", List.of(new Field("state", Value.BYTES)));
    r.put("session.initiate", List.of(new Field("session", Value.HANDLE), new Field("envelopes", Value.BYTE_LIST)));
    r.put("session.accept", List.of(new Field("session", Value.HANDLE), new Field("payload", Value.BYTES_OR_NULL)));
    r.put("session.seal", List.of(new Field("envelopes", Value.BYTE_LIST)));
    r.put("session.open", List.of(new Field("payload", Value.BYTES_OR_NULL)));
    r.put("session.serialize", List.of(new Field("state", Value.BYTES)));
    r.put("session.restore", List.of(new Field("session", Value.HANDLE)));
    r.put("session.tags", List.of(new Field("tags", Value.BYTE_LIST)));
    r.put("backup.write", List.of(new Field("head", Value.BYTES), new Field("chunks", Value.BYTE_LIST),
        new Field("new_tags", Value.BYTE_LIST), new Field("obsolete_tags", Value.BYTE_LIST)));
    r.put("backup.restore", List.of(new Field("manifest", Value.OBJECT), new Field("contents", Value.OBJECT),
        new Field("next", Value.OBJECT)));
    // spec: harness.adoc#harness-group-operations
    r.put("group.create", List.of(new Field("group", Value.HANDLE), new Field("state", Value.BYTES)));
    r.put("group.join", List.of(new Field("group", Value.HANDLE), new Field("state", Value.BYTES)));
    r.put("group.propose", List.of(new Field("envelope", Value.BYTES), new Field("leaves", Value.BYTE_LIST),
        new Field("sender_keys", Value.OBJECT_LIST), new Field("welcomes", Value.OBJECT_LIST),
        new Field("state", Value.BYTES)));
    r.put("group.seal", List.of(new Field("envelope", Value.BYTES), new Field("leaves", Value.BYTE_LIST),
        new Field("sender_keys", Value.OBJECT_LIST)));
    r.put("group.sender_key", List.of(new Field("pending", Value.BOOLEAN), new Field("fork", Value.BOOLEAN),
        new Field("requested", Value.BOOLEAN)));
    r.put("group.open", List.of(new Field("sender", Value.BYTES), new Field("view", Value.WORD),
        new Field("payload", Value.BYTES_OR_NULL), new Field("change", Value.BYTES_OR_NULL),
        new Field("status", Value.WORD_OR_NULL), new Field("tip_moved", Value.BOOLEAN),
        new Field("lost", Value.BYTE_LIST), new Field("take_token", Value.BYTES), new Field("state", Value.BYTES)));
    r.put("group.request", List.of(new Field("sender_keys", Value.OBJECT_LIST)));
    r.put("group.answer", List.of(new Field("sender_key", Value.BYTES_OR_NULL)));
    r.put("group.resync", List.of(new Field("adopted", Value.BOOLEAN), new Field("state", Value.BYTES)));
    r.put("group.state", List.of(new Field("state", Value.BYTES)));
    r.put("group.tags", List.of(new Field("tags", Value.BYTE_LIST)));
    return Collections.unmodifiableMap(r);
  }

  // The "fixed random bytes" of the state changes: any bytes do, as long as they are always the same.
  private static final String SEAL_RANDOM = fixedHex(64, 1);
  private static final String BUNDLE_RANDOM = fixedHex(96, 2);
  private static final String CARD_RANDOM = fixedHex(16, 3);
  private static final long CREATED = 1_700_000_000L;

  private final Kind kind;
  private final Peer inner;
  /** The cards each identity issued through this mutant, in issue order (for {@link NoRollback}). */
  private final Map<String, List<String>> cards = new HashMap<>();
  private int fired;
  private int nextHandle;

  /** A mutant of {@code inner}, a correct implementation, wrong in the way {@code kind} says. */
  public Mutant(Kind kind, Peer inner) {
    this.kind = kind;
    this.inner = inner;
  }

  public Kind kind() {
    return kind;
  }

  /** How many answers the mutation changed (for {@link NoRollback}: how many refusals it changed state behind). */
  public int fired() {
    return fired;
  }

  @Override
  public JsonNode call(ObjectNode request) throws Failure {
    String op = request.path("op").asText();
    JsonNode result;
    try {
      result = inner.call(request);
    } catch (Failure f) {
      if (!op.equals(kind.op())) {
        throw f;
      }
      return refused(request, f);
    }
    if (op.equals("card.issue") && result.path("card").isTextual()) {
      cards.computeIfAbsent(request.path("identity").asText(), h -> new ArrayList<>())
          .add(result.path("card").asText());
    }
    if (kind instanceof Flip flip && provokedBy(kind, op, result, null) && result.isObject()) {
      ObjectNode mutated = ((ObjectNode) result).deepCopy();
      flip(mutated, flip.field());
      fired++;
      return mutated;
    }
    return result;
  }

  /** The inner peer refused a request of the mutated op with {@code f}: the mutant's answer. */
  private JsonNode refused(ObjectNode request, Failure f) throws Failure {
    if (!provokedBy(kind, kind.op(), null, f.code())) {
      throw f;
    }
    if (kind instanceof Swap swap) {
      fired++;
      throw new Failure(swap.to(), "mutant");
    }
    if (kind instanceof Skip skip) {
      fired++;
      return made(skip.op());
    }
    if (change(request)) {
      fired++;
    }
    throw f;
  }

  /**
   * Whether the correct answer to {@code op}, a {@code result} or an {@code error} code, sets off
   * {@code kind}: the answer it changes ({@link NoRollback}: the refusal behind which it tries to
   * change state). Until its first such answer, a mutant answers exactly as its inner peer.
   */
  public static boolean provokedBy(Kind kind, String op, JsonNode result, String error) {
    if (!op.equals(kind.op())) {
      return false;
    }
    if (kind instanceof Swap swap) {
      return swap.from().equals(error);
    }
    if (kind instanceof Skip skip) {
      return skip.code().equals(error);
    }
    if (kind instanceof NoRollback noRollback) {
      return noRollback.code().equals(error);
    }
    Flip flip = (Flip) kind;
    return error == null && result != null && flippable(result.get(flip.field()), flip.field());
  }

  /**
   * A plausible success of {@code op}, as an implementation that skipped the check would answer:
   * a made-up handle, empty byte strings and lists, a {@code null} payload.
   */
  private ObjectNode made(String op) {
    ObjectNode out = Json.object();
    for (Field field : RESULTS.getOrDefault(op, List.of())) {
      switch (field.value()) {
        case HANDLE -> out.put(field.name(), "mutant-" + (++nextHandle));
        case TEXT, CONSTANT -> out.put(field.name(), "mutant");
        case INTEGER -> out.put(field.name(), 0);
        case BYTES -> out.put(field.name(), "");
        case BYTES_OR_NULL -> out.putNull(field.name());
        case BYTE_LIST -> out.putArray(field.name());
        case OBJECT -> out.putObject(field.name());
        case BOOLEAN -> out.put(field.name(), false);
        case WORD -> out.put(field.name(), "mutant");
        case WORD_OR_NULL -> out.putNull(field.name());
        case OBJECT_LIST -> out.putArray(field.name());
        default -> throw new IllegalStateException("no value for " + field);
      }
    }
    return out;
  }

  /**
   * Changes the state of the object {@code request} names, through the inner peer's own
   * operations; returns whether it did. A session seals a one-byte payload (its sending chain
   * advances, so its serialized state differs); an identity issues a bundle of the first card it
   * issued through this mutant (its responder state gains the bundle), or, holding none, a card.
   */
  private boolean change(ObjectNode request) {
    String field = NoRollback.OBJECTS.get(request.path("op").asText());
    if (field == null || !request.path(field).isTextual()) {
      return false;
    }
    String handle = request.path(field).asText();
    if (field.equals("group")) {
      return changeGroup(handle);
    }
    ObjectNode change;
    if (field.equals("session")) {
      change = Json.object().put("op", "session.seal").put("session", handle).put("payload", "00")
          .put("random", SEAL_RANDOM);
    } else if (cards.containsKey(handle)) {
      change = Json.object().put("op", "prekeys.issue").put("identity", handle).put("card", cards.get(handle).get(0))
          .put("created", CREATED).put("expires", CREATED + 86_400).put("one_time_expires", CREATED + 86_400)
          .put("opk_count", 0).put("pqopk_count", 0).put("random", BUNDLE_RANDOM);
    } else {
      change = Json.object().put("op", "card.issue").put("identity", handle).put("created", CREATED)
          .put("expires", CREATED + 365 * 86_400L).put("random", CARD_RANDOM);
      change.putArray("addresses");
    }
    try {
      JsonNode changed = inner.call(change);
      if (changed.path("card").isTextual()) {
        cards.computeIfAbsent(handle, h -> new ArrayList<>()).add(changed.path("card").asText());
      }
      return true;
    } catch (Failure f) {
      return false; // nothing changed: an unknown handle, a session that cannot send yet, ...
    }
  }

  /**
   * Moves the group's tip, which its {@code state} shows: an admin renames the group; any other
   * member leaves it (the one removal of its state's members that the group lets it make).
   */
  private boolean changeGroup(String handle) {
    List<ObjectNode> ops = new ArrayList<>();
    ops.add(Json.object().put("op", "rename").put("name", "mutant"));
    try {
      byte[] state = Bytes.unhex(inner.call(Json.object().put("op", "group.state").put("group", handle))
          .path("state").asText());
      for (dev.sotto.GroupState.Member m : dev.sotto.GroupState.parse(state).members()) {
        ops.add(Json.object().put("op", "remove").put("member", Bytes.hex(m.fingerprint().bytes())));
      }
    } catch (Failure | dev.sotto.SottoException e) {
      return false;
    }
    for (ObjectNode op : ops) {
      ObjectNode propose = Json.object().put("op", "group.propose").put("group", handle).put("now", CREATED)
          .put("random", SEAL_RANDOM);
      propose.putArray("ops").add(op);
      try {
        inner.call(propose);
        return true;
      } catch (Failure f) {
        // not this one: try the next
      }
    }
    return false;
  }

  /**
   * Whether {@link #flip} changes {@code value}, the value of result field {@code field}: not an
   * absent field, {@code null}, an empty byte string or an empty list; never handles and free text.
   */
  static boolean flippable(JsonNode value, String field) {
    if (UNCOMPARED.contains(field) || value == null || value.isNull()) {
      return false;
    }
    if (value.isObject()) {
      return flipped(value.deepCopy()) != null;
    }
    if (value.isArray()) {
      if (!value.isEmpty() && value.get(0).isObject()) {
        return flipped(value) != null;
      }
      String first = value.isEmpty() ? "" : value.get(0).asText("");
      return !first.isEmpty() && isHex(first);
    }
    return value.isBoolean() || value.isIntegralNumber() || (value.isTextual() && !value.asText().isEmpty());
  }

  /**
   * An object with its first flippable leaf, depth first in field order, changed as {@link #flip}
   * changes a field (a boolean is negated; an array's first element is changed); null when it has none.
   */
  static JsonNode flipped(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isObject()) {
      ObjectNode copy = ((ObjectNode) node).deepCopy();
      for (var it = copy.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        JsonNode changed = flipped(copy.get(name));
        if (changed != null) {
          copy.set(name, changed);
          return copy;
        }
      }
      return null;
    }
    if (node.isArray()) {
      if (node.isEmpty()) {
        return null;
      }
      JsonNode changed = flipped(node.get(0));
      if (changed == null) {
        return null;
      }
      ArrayNode copy = ((ArrayNode) node).deepCopy();
      copy.set(0, changed);
      return copy;
    }
    if (node.isBoolean()) {
      return Json.MAPPER.getNodeFactory().booleanNode(!node.asBoolean());
    }
    if (node.isIntegralNumber()) {
      return Json.MAPPER.getNodeFactory().numberNode(node.asLong() + 1);
    }
    if (node.isTextual() && !node.asText().isEmpty()) {
      return Json.MAPPER.getNodeFactory().textNode(isHex(node.asText()) ? flipHex(node.asText()) : node.asText() + "x");
    }
    return null;
  }

  /**
   * Changes {@code result}'s {@code field} in place, when {@link #flippable}: the lowest bit of
   * the middle byte of a byte string (of the first one of a list); one more for an integer; an "x"
   * appended to any other string.
   */
  static void flip(ObjectNode result, String field) {
    JsonNode value = result.get(field);
    if (!flippable(value, field)) {
      return;
    }
    if (value.isObject() || value.isBoolean() || (value.isArray() && value.get(0).isObject())) {
      result.set(field, flipped(value));
    } else if (value.isArray()) {
      ((ArrayNode) value).set(0, Json.MAPPER.getNodeFactory().textNode(flipHex(value.get(0).asText())));
    } else if (value.isIntegralNumber()) {
      result.put(field, value.asLong() + 1);
    } else if (isHex(value.asText())) {
      result.put(field, flipHex(value.asText()));
    } else {
      result.put(field, value.asText() + "x");
    }
  }

  private static final Set<String> UNCOMPARED = Set.of("identity", "session", "group", "implementation");

  private static boolean isHex(String s) {
    return s.length() % 2 == 0 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  /** {@code hex} with the lowest bit of its middle byte flipped (a non-empty lowercase hex string). */
  private static String flipHex(String hex) {
    byte[] bytes = Bytes.unhex(hex);
    bytes[bytes.length / 2] ^= 1;
    return Bytes.hex(bytes);
  }

  private static String fixedHex(int length, int salt) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 37 + salt * 101 + 11);
    }
    return Bytes.hex(b);
  }

  @Override
  public void close() {
    inner.close();
  }
}
