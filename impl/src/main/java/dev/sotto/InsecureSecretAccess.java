package dev.sotto;

/**
 * A token that the few methods which hand out raw secret bytes require, so that every such call
 * is explicit and easy to find ({@code grep InsecureSecretAccess}). Only the conformance suite and
 * the benchmarks use it: they publish or measure intermediate secrets. Applications never need it.
 */
public final class InsecureSecretAccess {
  private static final InsecureSecretAccess INSTANCE = new InsecureSecretAccess();

  private InsecureSecretAccess() {}

  /** The token. Calling this is a statement that raw secrets are about to leave the library. */
  public static InsecureSecretAccess get() {
    return INSTANCE;
  }
}
