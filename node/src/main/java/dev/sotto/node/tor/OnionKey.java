package dev.sotto.node.tor;

import dev.sotto.Address;
import dev.sotto.IdentitySeed;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * The node's onion service key (spec: transport.adoc#onion-service-key): an Ed25519 key derived
 * from the identity seed under its own label, never the identity key itself, so that the onion
 * address comes back with the recovery code and tells nothing of the identity keys.
 */
public final class OnionKey {
  static final byte[] LABEL = dev.sotto.internal.Labels.ONION_SERVICE_KEY;

  private final byte[] privateKey;
  private final byte[] publicKey;

  private OnionKey(byte[] privateKey) {
    this.privateKey = privateKey;
    this.publicKey = Ed25519.publicKey(privateKey);
  }

  /** onion_private = HKDF(salt = [], ikm = seed, info = "sotto/v2/onion/service-key", L = 32). */
  public static OnionKey of(IdentitySeed seed) {
    byte[] ikm = seed.toBytes();
    try {
      return new OnionKey(Hkdf.derive(new byte[0], ikm, LABEL, 32));
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
  }

  /** The service's Ed25519 public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The onion address: 56 base32 characters and {@code .onion}. */
  public String onion() {
    return Address.onionName(publicKey);
  }

  /**
   * The key as Tor's control port takes it in {@code ADD_ONION}: {@code ED25519-V3:} and the
   * base64 of the 64-byte expanded private key (SHA-512 of the private key, the first half
   * clamped as RFC 8032 section 5.1.5 does). A secret: never logged.
   */
  public String torKeyBlob() {
    byte[] h;
    try {
      h = MessageDigest.getInstance("SHA-512").digest(privateKey);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    h[0] &= (byte) 248;
    h[31] &= 127;
    h[31] |= 64;
    try {
      return "ED25519-V3:" + Base64.getEncoder().encodeToString(h);
    } finally {
      Arrays.fill(h, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "OnionKey[" + onion() + "]";
  }
}
