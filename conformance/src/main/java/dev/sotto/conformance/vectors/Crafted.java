package dev.sotto.conformance.vectors;

import dev.sotto.Card;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.InsecureSecretAccess;
import dev.sotto.SottoException;

/**
 * Cards that break a rule but carry a valid signature, made from an issued card and its owner's
 * seed, for the interop runner's refusals (spec: harness.adoc#harness-runner): what an issuer that
 * does not follow the spec would send.
 */
public final class Crafted {
  private Crafted() {}

  /** X25519's point of order 8 with u = 1: fails the key check (spec: conventions.adoc#public-keys). */
  public static final byte[] SMALL_ORDER_X25519 = dev.sotto.internal.encoding.Bytes.unhex(
      "0100000000000000000000000000000000000000000000000000000000000000");

  private static byte[] signingKey(byte[] seed) {
    return Identity.fromSeed(IdentitySeed.fromBytes(seed)).derivedKeys(InsecureSecretAccess.get()).ed25519Private();
  }

  private static RawCard raw(byte[] card) {
    try {
      return RawCard.of(Card.parse(card, java.time.Instant.EPOCH));
    } catch (SottoException e) {
      throw new IllegalArgumentException("not a valid card", e);
    }
  }

  /** The card with its expiry set to its creation time, signed again (INVALID_ENCODING). */
  public static byte[] expiringAtCreation(byte[] card, byte[] ownerSeed) {
    RawCard r = raw(card);
    r.expires = r.created;
    return r.signedBy(signingKey(ownerSeed));
  }

  /** The card with a mailbox address whose link key is of small order, signed again (INVALID_KEY). */
  public static byte[] withSmallOrderLinkKey(byte[] card, byte[] ownerSeed) {
    RawCard r = raw(card);
    r.addresses.add(RawCard.RawAddress.tcp(0x02, SMALL_ORDER_X25519, 7401, "mailbox.example.org"));
    return r.signedBy(signingKey(ownerSeed));
  }

  /** The card with its suite field set to 0x0002, signed again (UNSUPPORTED_SUITE). */
  public static byte[] ofSuite2(byte[] card, byte[] ownerSeed) {
    RawCard r = raw(card);
    r.suite = 2;
    return r.signedBy(signingKey(ownerSeed));
  }
}
