package dev.sotto;

import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;

/**
 * The public half of an identity: the suite, the Ed25519 identity signing key and the X25519
 * identity DH key (spec: identity.adoc#public-identity). Its canonical encoding is 68 bytes.
 */
public final class PublicIdentity {
  /** suite (2) || Ed25519 key (1 + 32) || X25519 key (1 + 32). */
  public static final int ENCODED_LENGTH = 2 + KeyCodec.ED25519_ENCODED_LENGTH + KeyCodec.X25519_ENCODED_LENGTH;

  private final Suite suite;
  private final byte[] signingKey;
  private final byte[] dhKey;
  private final byte[] encoded;

  PublicIdentity(Suite suite, byte[] signingKey, byte[] dhKey) {
    this.suite = suite;
    this.signingKey = signingKey.clone();
    this.dhKey = dhKey.clone();
    this.encoded = new Writer()
        .u16(suite.id())
        .bytes(KeyCodec.ed25519(signingKey))
        .bytes(KeyCodec.x25519(dhKey))
        .toByteArray();
  }

  /**
   * Parses a canonical public identity encoding.
   *
   * @throws SottoException {@code TRUNCATED}, {@code TRAILING_DATA}, {@code UNSUPPORTED_SUITE},
   *     {@code INVALID_ENCODING} (wrong key type byte), {@code INVALID_KEY} (a key that fails validation)
   */
  public static PublicIdentity parse(byte[] encoded) throws SottoException {
    Reader in = new Reader(encoded, "public identity");
    PublicIdentity identity = read(in);
    in.end();
    return identity;
  }

  /** Reads a public identity from inside a larger structure. */
  static PublicIdentity read(Reader in) throws SottoException {
    in.suite();
    byte[] signingKey = KeyCodec.readEd25519(in, "identity signing key");
    byte[] dhKey = KeyCodec.readX25519(in, "identity DH key");
    return new PublicIdentity(Suite.SOTTO_1, signingKey, dhKey);
  }

  public Suite suite() {
    return suite;
  }

  /** The raw 32-byte Ed25519 identity signing key. */
  public byte[] signingKey() {
    return signingKey.clone();
  }

  /** The raw 32-byte X25519 identity DH key. */
  public byte[] dhKey() {
    return dhKey.clone();
  }

  /** The canonical 68-byte encoding. */
  public byte[] encoded() {
    return encoded.clone();
  }

  public Fingerprint fingerprint() {
    return Fingerprint.of(this);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PublicIdentity that && Arrays.equals(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "PublicIdentity[" + fingerprint().text() + "]";
  }

  byte[] encodedView() {
    return encoded;
  }

}
