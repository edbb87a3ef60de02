package dev.sotto;

/**
 * The error codes of the Sotto specification (spec: errors.adoc).
 *
 * <p>Every rejection of bad input carries exactly one of these codes. The numeric
 * {@link #number()} and the {@link #name()} are stable: they appear in the published
 * vectors and in the conformance harness, and are never reused for another meaning.
 */
public enum ErrorCode {
  /** The input ended before a field was complete. */
  TRUNCATED(1),
  /** Bytes remain after the end of a complete structure. */
  TRAILING_DATA(2),
  /** The version field names a version this implementation does not speak. */
  UNSUPPORTED_VERSION(3),
  /** The suite field names a cipher suite this implementation does not speak. */
  UNSUPPORTED_SUITE(4),
  /** A field holds a value its definition does not allow (a wrong key type, a count above its limit, a non-canonical value, ...). */
  INVALID_ENCODING(5),
  /** A public key fails the validation its algorithm requires. */
  INVALID_KEY(6),
  /** A signature does not verify. */
  BAD_SIGNATURE(7),
  /** The object's validity period has ended. */
  EXPIRED(8),
  /** The object is authentic but belongs to another identity than the one expected. */
  IDENTITY_MISMATCH(9),
  /** A text form has the wrong prefix, a character outside its alphabet, or mixed case. */
  INVALID_TEXT(10),
  /** A text form's checksum does not match: a typing error. */
  BAD_CHECKSUM(11),
  /** Authenticated decryption failed (wrong key, tampered data or garbage: one error, no oracle). */
  AUTH_FAILED(12),
  /** A message names a prekey the receiver does not hold: never issued, already used and deleted, or retired. */
  UNKNOWN_PREKEY(13),
  /** A message was already accepted once. */
  REPLAY(14),
  /** Accepting the input would exceed a bound of the specification (a cache, a count). */
  LIMIT_EXCEEDED(15),
  /** An envelope's mailbox tag is not one the receiver expects. */
  UNKNOWN_TAG(16),
  /** A link request of a type the receiver does not define or does not serve (spec: transport.adoc#requests). */
  UNSUPPORTED_REQUEST(17),
  /**
   * A group message or sender key names a group state that the receiver does not hold, at an epoch
   * that it holds: two views of one epoch (spec: group.adoc#group-open).
   */
  FORK(18),
  /**
   * A group change, sender key or welcome comes from an identity that is no member of the state it
   * is checked against, or whose role does not allow it (spec: group.adoc).
   */
  NOT_PERMITTED(19);

  private final int number;

  ErrorCode(int number) {
    this.number = number;
  }

  /** The stable numeric code of the specification's error table. */
  public int number() {
    return number;
  }
}
