package dev.sotto.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Vault;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout of the lists a node keeps for groups it cannot use yet (the sender keys before their
 * welcome, the pairwise GROUP_ENVELOPEs before their chain): a 4-byte count, then each byte string
 * of each tuple as a 4-byte length and its bytes. Pinned byte for byte, so that stores written
 * before still read; a list that does not read is CORRUPT and changes nothing.
 */
class GroupsStoredListsTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path dir;

  @Test
  void senderKeysAndEnvelopesKeepTheirLayout() throws Exception {
    try (Store store = Store.open(dir, Vault.storeKey(IdentitySeed.generate(RANDOM)), RANDOM)) {
      byte[][] key = {HEX.parseHex("a1a2"), HEX.parseHex("b1b2b3")};
      byte[][] envelope = {HEX.parseHex("c1")};
      store.write(tx -> {
        Groups.putTuples(tx, Groups.KV_EARLY, 2, List.<byte[][]>of(key));
        Groups.putTuples(tx, Groups.KV_EARLY_ENVELOPES, 1, List.of(envelope, new byte[][] {new byte[0]}));
        return null;
      });
      assertEquals("00000001" + "00000002a1a2" + "00000003b1b2b3",
          HEX.formatHex(store.read(tx -> tx.get(Groups.KV_EARLY)).orElseThrow()));
      assertEquals("00000002" + "00000001c1" + "00000000",
          HEX.formatHex(store.read(tx -> tx.get(Groups.KV_EARLY_ENVELOPES)).orElseThrow()));

      List<byte[][]> keys = store.read(tx -> Groups.tuples(tx, Groups.KV_EARLY, 2, "the early sender keys"));
      assertEquals(1, keys.size());
      assertArrayEquals(key[0], keys.get(0)[0]);
      assertArrayEquals(key[1], keys.get(0)[1]);
      List<byte[][]> envelopes = store.read(tx -> Groups.tuples(tx, Groups.KV_EARLY_ENVELOPES, 1,
          "the early group envelopes"));
      assertEquals(2, envelopes.size());
      assertArrayEquals(envelope[0], envelopes.get(0)[0]);
      assertEquals(0, envelopes.get(1)[0].length);
      assertEquals(0, store.read(tx -> Groups.tuples(tx, "absent", 2, "absent")).size());
    }
  }

  @Test
  void aListThatDoesNotReadIsCorrupt() throws Exception {
    try (Store store = Store.open(dir, Vault.storeKey(IdentitySeed.generate(RANDOM)), RANDOM)) {
      byte[] cut = HEX.parseHex("00000001" + "00000002a1a2" + "00000003b1");
      store.write(tx -> {
        tx.put(Groups.KV_EARLY, cut);
        return null;
      });
      StoreException e = assertThrows(StoreException.class,
          () -> store.read(tx -> Groups.tuples(tx, Groups.KV_EARLY, 2, "the early sender keys")));
      assertEquals(StoreException.Kind.CORRUPT, e.kind());
      assertEquals("CORRUPT: the early sender keys do not read", e.getMessage());
      assertArrayEquals(cut, store.read(tx -> tx.get(Groups.KV_EARLY)).orElseThrow(), "left as it was");
      // A length that is negative, or far past the end (2 GiB), is CORRUPT too, and allocates nothing.
      for (String length : new String[] {"ffffffff", "7fffffff"}) {
        byte[] bad = HEX.parseHex("00000001" + length + "a1a2");
        store.write(tx -> {
          tx.put(Groups.KV_EARLY, bad);
          return null;
        });
        StoreException b = assertThrows(StoreException.class,
            () -> store.read(tx -> Groups.tuples(tx, Groups.KV_EARLY, 2, "the early sender keys")), length);
        assertEquals("CORRUPT: the early sender keys do not read", b.getMessage());
      }
    }
  }
}
