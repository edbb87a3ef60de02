package dev.sotto;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bech32m;
import dev.sotto.internal.encoding.Reader;
import java.util.Arrays;

/**
 * The fingerprint of a public identity: SHA-256 over a label and the identity's canonical
 * encoding, with a checksummed text form that people compare out of band
 * (spec: identity.adoc#fingerprint).
 */
public final class Fingerprint {
  public static final int LENGTH = 32;

  private final byte[] value;

  private Fingerprint(byte[] value) {
    this.value = value;
  }

  /** A fingerprint from its 32 bytes, as a group state or change holds it. */
  public static Fingerprint fromBytes(byte[] value) {
    if (value.length != LENGTH) {
      throw new IllegalArgumentException("a fingerprint is " + LENGTH + " bytes");
    }
    return new Fingerprint(value.clone());
  }

  static Fingerprint of(PublicIdentity identity) {
    return new Fingerprint(Hmac.hash(Labels.FINGERPRINT, identity.encodedView()));
  }

  /**
   * Parses a fingerprint's text form.
   *
   * @throws SottoException {@code INVALID_TEXT}, {@code BAD_CHECKSUM}, or {@code TRUNCATED} /
   *     {@code TRAILING_DATA} when the decoded value is not 32 bytes
   */
  public static Fingerprint parse(String text) throws SottoException {
    byte[] data = Bech32m.decode(Labels.FINGERPRINT_PREFIX, text, "fingerprint");
    Reader in = new Reader(data, "fingerprint");
    byte[] value = in.bytes(LENGTH, "fingerprint");
    in.end();
    return new Fingerprint(value);
  }

  /** The 32 bytes. */
  public byte[] bytes() {
    return value.clone();
  }

  /** The text form, {@code sottofp1...}. */
  public String text() {
    return Bech32m.encode(Labels.FINGERPRINT_PREFIX, value);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Fingerprint that && Arrays.equals(value, that.value);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return text();
  }
}
