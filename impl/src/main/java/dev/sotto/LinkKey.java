package dev.sotto;

import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import java.util.Arrays;

/**
 * A node's link key (spec: transport.adoc#transport-overview): an X25519 key pair of the node,
 * independent of any identity, whose public half stands in the node's addresses and
 * authenticates the node in the link handshake.
 *
 * <p>Immutable; copies its bytes in and out; compares in constant time; hashes its public key
 * only; never shows the private key in {@link #toString()}.
 */
public final class LinkKey {
  public static final int LENGTH = 32;

  private final byte[] privateKey;
  private final byte[] publicKey;

  private LinkKey(byte[] privateKey) {
    this.privateKey = privateKey;
    this.publicKey = X25519.publicKey(privateKey);
  }

  /** Draws a new link key: 32 bytes from {@code random}. */
  public static LinkKey generate(RandomSource random) {
    return new LinkKey(random.bytes(LENGTH));
  }

  /** The link key with this 32-byte private key (copied), as {@link #toBytes()} gave it. */
  public static LinkKey fromBytes(byte[] privateKey) {
    Bytes.requireLength(privateKey, LENGTH, "link private key");
    return new LinkKey(privateKey.clone());
  }

  /** The 32-byte private key, for the node's store; treat it as the secret it is. */
  public byte[] toBytes() {
    return privateKey.clone();
  }

  /** The 32-byte public key, as addresses carry it (raw, without the type byte). */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  byte[] privateKey() {
    return privateKey;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LinkKey that && Bytes.constantTimeEquals(privateKey, that.privateKey);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(publicKey);
  }

  @Override
  public String toString() {
    return "LinkKey[public=" + Bytes.hex(publicKey) + "]";
  }
}
