package dev.sotto;

import dev.sotto.internal.Labels;
import dev.sotto.internal.encoding.Bech32m;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Reader;
import java.util.Arrays;

/**
 * The 32-byte secret from which an identity is derived (spec: identity.adoc#seed). Whoever
 * holds it is the identity; its text form, the recovery code, is what a user writes down.
 *
 * <p>Instances are immutable, copy their bytes in and out, compare in constant time, have no
 * {@code hashCode} and never show the secret in {@link #toString()}.
 */
public final class IdentitySeed {
  public static final int LENGTH = 32;
  static final int RECOVERY_CODE_VERSION = 0x01;

  private final byte[] seed;

  private IdentitySeed(byte[] seed) {
    this.seed = seed;
  }

  /** Draws a new seed: 32 bytes from {@code random}. */
  public static IdentitySeed generate(RandomSource random) {
    return new IdentitySeed(random.bytes(LENGTH));
  }

  /** The seed with these 32 bytes (copied). */
  public static IdentitySeed fromBytes(byte[] seed) {
    Bytes.requireLength(seed, LENGTH, "identity seed");
    return new IdentitySeed(seed.clone());
  }

  /**
   * Parses a recovery code (spec: identity.adoc#recovery-code).
   *
   * @throws SottoException {@code INVALID_TEXT} or {@code BAD_CHECKSUM} for a mistyped code,
   *     {@code UNSUPPORTED_VERSION}, {@code TRUNCATED} or {@code TRAILING_DATA} for a
   *     well-typed code of another shape
   */
  public static IdentitySeed fromRecoveryCode(String code) throws SottoException {
    byte[] data = Bech32m.decode(Labels.RECOVERY_CODE_PREFIX, code, "recovery code");
    try {
      Reader in = new Reader(data, "recovery code");
      in.version(RECOVERY_CODE_VERSION, "recovery code");
      byte[] seed = in.bytes(LENGTH, "seed");
      in.end();
      return new IdentitySeed(seed);
    } finally {
      Arrays.fill(data, (byte) 0);
    }
  }

  /** The recovery code: the seed's checksummed text form. It is the secret itself; show it only to its owner. */
  public String recoveryCode() {
    byte[] data = new byte[1 + LENGTH];
    data[0] = RECOVERY_CODE_VERSION;
    System.arraycopy(seed, 0, data, 1, LENGTH);
    try {
      return Bech32m.encode(Labels.RECOVERY_CODE_PREFIX, data);
    } finally {
      Arrays.fill(data, (byte) 0);
    }
  }

  /** A copy of the 32 secret bytes, for storage under encryption; the caller clears it. */
  public byte[] toBytes() {
    return seed.clone();
  }

  /** Constant-time comparison. */
  @Override
  public boolean equals(Object other) {
    return other instanceof IdentitySeed that && Bytes.constantTimeEquals(seed, that.seed);
  }

  /** Seeds are not for hash tables: a constant, so that no secret-dependent value leaks. */
  @Override
  public int hashCode() {
    return 0;
  }

  @Override
  public String toString() {
    return "IdentitySeed[redacted]";
  }
}
