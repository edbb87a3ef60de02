package dev.sotto.node;

import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The tags the sessions watch (hex), with the session that watches each, and each session's own
 * set: replacing or dropping one session's tags costs its own tags, not every session's (a node
 * with many sessions, requests included, pays for each envelope in proportion to the one session
 * it moved). A tag two sessions would both watch stays with the first (tags are 128-bit values:
 * only a broken hash makes two alike). Not thread-safe: {@link NodeCore} uses it under its lock.
 */
final class TagIndex {
  private final Map<String, Long> sessionOf = new HashMap<>();
  private final Map<Long, Set<String>> tagsOf = new HashMap<>();

  /** The session watching {@code tag}, or null. */
  Long session(String tag) {
    return sessionOf.get(tag);
  }

  boolean watches(String tag) {
    return sessionOf.containsKey(tag);
  }

  /** Makes {@code tags} the session's watched tags, in place of those it had. */
  void put(long sessionId, List<byte[]> tags) {
    remove(sessionId);
    Set<String> own = new HashSet<>(tags.size() * 2);
    for (byte[] tag : tags) {
      String hex = HexFormat.of().formatHex(tag);
      own.add(hex);
      sessionOf.putIfAbsent(hex, sessionId);
    }
    tagsOf.put(sessionId, own);
  }

  /** Forgets the session's tags. */
  void remove(long sessionId) {
    Set<String> own = tagsOf.remove(sessionId);
    if (own != null) {
      for (String tag : own) {
        sessionOf.remove(tag, sessionId);
      }
    }
  }

  /** The sessions that have tags here. */
  Set<Long> sessions() {
    return Set.copyOf(tagsOf.keySet());
  }

  /** Each watched tag with its session. */
  void forEach(BiConsumer<String, Long> action) {
    sessionOf.forEach(action);
  }

  void clear() {
    sessionOf.clear();
    tagsOf.clear();
  }
}
