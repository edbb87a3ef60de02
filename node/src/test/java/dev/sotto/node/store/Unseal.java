package dev.sotto.node.store;

import dev.sotto.IdentitySeed;
import dev.sotto.RandomSource;

/** For tests outside this package: opens a sealed key-value value read from the file, with the store key. */
public final class Unseal {
  private Unseal() {}

  /** The plaintext of the value sealed under key-value {@code name}. */
  public static byte[] kv(IdentitySeed seed, String name, byte[] sealed) throws StoreException {
    return new Sealer(Vault.storeKey(seed), RandomSource.secure()).open("kv", "value", Sealer.rowKey(name), sealed);
  }
}
