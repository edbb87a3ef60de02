package dev.sotto;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.X25519;

/**
 * An identity: the key pairs derived from an {@link IdentitySeed} (spec: identity.adoc#derivation).
 *
 * <pre>
 *   ed25519_private = HKDF-SHA-256(salt = "", ikm = seed, info = "sotto/v1/identity/ed25519", 32)
 *   x25519_private  = HKDF-SHA-256(salt = "", ikm = seed, info = "sotto/v1/identity/x25519", 32)
 * </pre>
 *
 * The private keys never leave this object; {@link #toString()} shows only the fingerprint.
 */
public final class Identity {
  private final byte[] signingPrivate;
  private final byte[] dhPrivate;
  private final PublicIdentity publicIdentity;

  private Identity(byte[] signingPrivate, byte[] dhPrivate) {
    this.signingPrivate = signingPrivate;
    this.dhPrivate = dhPrivate;
    this.publicIdentity =
        new PublicIdentity(Suite.SOTTO_1, Ed25519.publicKey(signingPrivate), X25519.publicKey(dhPrivate));
  }

  /** Derives the identity of {@code seed}: the same seed always gives the same keys. */
  public static Identity fromSeed(IdentitySeed seed) {
    byte[] ikm = seed.toBytes();
    try {
      return new Identity(
          Hkdf.derive(new byte[0], ikm, Labels.IDENTITY_ED25519, Ed25519.PRIVATE_KEY_LENGTH),
          Hkdf.derive(new byte[0], ikm, Labels.IDENTITY_X25519, X25519.PRIVATE_KEY_LENGTH));
    } finally {
      java.util.Arrays.fill(ikm, (byte) 0);
    }
  }

  public PublicIdentity publicIdentity() {
    return publicIdentity;
  }

  public Fingerprint fingerprint() {
    return publicIdentity.fingerprint();
  }

  /** Ed25519 signature by the identity signing key; for the library's signed structures only. */
  byte[] sign(byte[] message) {
    return Ed25519.sign(signingPrivate, message);
  }

  /** X25519 with the identity DH key. */
  byte[] agree(byte[] publicKey) throws SottoException {
    return X25519.agree(dhPrivate, publicKey);
  }

  /**
   * Exposes the derived private keys to the conformance generator, which publishes them as
   * intermediate values. Not for applications.
   */
  public DerivedKeys derivedKeys(InsecureSecretAccess access) {
    java.util.Objects.requireNonNull(access, "access");
    return new DerivedKeys(signingPrivate.clone(), dhPrivate.clone());
  }

  /** The two derived private keys (see {@link #derivedKeys(InsecureSecretAccess)}). */
  public record DerivedKeys(byte[] ed25519Private, byte[] x25519Private) {
    @Override
    public String toString() {
      return "DerivedKeys[redacted]";
    }
  }

  @Override
  public String toString() {
    return "Identity[" + fingerprint().text() + "]";
  }

}
