package dev.sotto.internal.ratchet;

import dev.sotto.internal.encoding.Bytes;

/**
 * A 32-byte secret of the ratchet. Each kind has its own final type, so that a chain key can
 * never be passed where a message key is expected. Copies in and out, compares in constant time,
 * never shows itself.
 */
public abstract sealed class Secret permits Secret.RootKey, Secret.ChainKey, Secret.MessageKey, Secret.HeaderKey,
    Secret.TagKey {
  public static final int LENGTH = 32;

  private final byte[] value;

  private Secret(byte[] value) {
    Bytes.requireLength(value, LENGTH, getClass().getSimpleName());
    this.value = value.clone();
  }

  /** A copy of the bytes: for KDF inputs, serialisation and the vectors. The caller clears it. */
  public final byte[] bytes() {
    return value.clone();
  }

  /** The bytes, not copied: for use inside this package only. */
  final byte[] view() {
    return value;
  }

  public final boolean sameAs(Secret other) {
    return other != null && getClass() == other.getClass() && Bytes.constantTimeEquals(value, other.value);
  }

  @Override
  public final boolean equals(Object other) {
    return other instanceof Secret s && sameAs(s);
  }

  /** Constant: secrets are not hashed. */
  @Override
  public final int hashCode() {
    return getClass().hashCode();
  }

  @Override
  public final String toString() {
    return getClass().getSimpleName() + "[redacted]";
  }

  /** The root key RK. */
  public static final class RootKey extends Secret {
    public RootKey(byte[] value) {
      super(value);
    }
  }

  /** A sending or receiving chain key CK. */
  public static final class ChainKey extends Secret {
    public ChainKey(byte[] value) {
      super(value);
    }
  }

  /** A message key MK: one message only. */
  public static final class MessageKey extends Secret {
    public MessageKey(byte[] value) {
      super(value);
    }
  }

  /** A header key HK or next header key NHK. */
  public static final class HeaderKey extends Secret {
    public HeaderKey(byte[] value) {
      super(value);
    }
  }

  /** A mailbox tag key TK or next tag key NTK. */
  public static final class TagKey extends Secret {
    public TagKey(byte[] value) {
      super(value);
    }
  }
}
