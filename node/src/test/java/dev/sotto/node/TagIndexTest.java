package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A session's tags replaced and dropped without touching any other session's. */
class TagIndexTest {
  private static byte[] tag(int n) {
    byte[] t = new byte[16];
    t[15] = (byte) n;
    return t;
  }

  private static String hex(int n) {
    return HexFormat.of().formatHex(tag(n));
  }

  @Test
  void replacesAndDropsOneSessionsTags() {
    TagIndex index = new TagIndex();
    index.put(1, List.of(tag(1), tag(2)));
    index.put(2, List.of(tag(3), tag(2))); // tag 2 stays with the first session
    assertEquals(1L, index.session(hex(2)));
    assertEquals(Set.of(1L, 2L), index.sessions());

    index.put(1, List.of(tag(4))); // session 1 moved on: its old tags are gone, 2's stay
    assertNull(index.session(hex(1)));
    assertNull(index.session(hex(2)), "held by the first session, which dropped it");
    assertEquals(2L, index.session(hex(3)));
    assertEquals(1L, index.session(hex(4)));

    index.remove(2);
    assertFalse(index.watches(hex(3)));
    assertEquals(1L, index.session(hex(4)));
    assertEquals(Set.of(1L), index.sessions());
    index.remove(7); // no such session: nothing changes
    assertEquals(Set.of(1L), index.sessions());
  }
}
