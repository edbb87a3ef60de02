package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.ErrorCode;
import dev.sotto.Fingerprint;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.encoding.Bech32m;
import dev.sotto.internal.encoding.Bytes;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code identity.json}: seed to keys, public identity, fingerprint and recovery code
 * (spec: identity.adoc), and the rejection of malformed recovery codes, public identities and
 * fingerprints.
 *
 * <p>Operations: {@code derive}, {@code parse_recovery_code}, {@code parse_public_identity},
 * {@code parse_fingerprint}.
 */
public final class IdentityVectors implements VectorSuite {
  @Override
  public String component() {
    return "identity";
  }

  @Override
  public String description() {
    return "Identity: the keys derived from a seed, the public identity encoding, the fingerprint and "
        + "its text form, the recovery code; and the rejection of malformed recovery codes, public "
        + "identities and fingerprints. Spec: identity.adoc.";
  }

  @Override
  public ArrayNode generate() {
    Cases cases = new Cases();
    RandomSource random = seededRandom();

    byte[] counting = new byte[32];
    for (int i = 0; i < 32; i++) {
      counting[i] = (byte) i;
    }
    byte[] ones = new byte[32];
    Arrays.fill(ones, (byte) 0xff);
    derive(cases, "all-zero seed", new byte[32]);
    derive(cases, "all-ones seed", ones);
    derive(cases, "seed 00 01 02 ... 1f", counting);
    for (int i = 1; i <= 11; i++) {
      derive(cases, "random seed " + i, random.bytes(32));
    }

    IdentitySeed seed = IdentitySeed.fromBytes(random.bytes(32));
    String code = seed.recoveryCode();
    recovery(cases, "recovery code, canonical lowercase", code, seed);
    recovery(cases, "recovery code in uppercase (as a QR code carries it)", code.toUpperCase(Locale.ROOT), seed);
    IdentitySeed zero = IdentitySeed.fromBytes(new byte[32]);
    recovery(cases, "recovery code of the all-zero seed", zero.recoveryCode(), zero);

    PublicIdentity pub = Identity.fromSeed(seed).publicIdentity();
    ObjectNode in = Json.object().put("encoded", Bytes.hex(pub.encoded()));
    cases.valid("parse_public_identity", "a derived public identity", in, fingerprintOutput(pub.fingerprint()));
    for (int i = 0; i < 2; i++) {
      PublicIdentity p = Identity.fromSeed(IdentitySeed.fromBytes(random.bytes(32))).publicIdentity();
      cases.valid("parse_public_identity", "another derived public identity",
          Json.object().put("encoded", Bytes.hex(p.encoded())), fingerprintOutput(p.fingerprint()));
    }
    String fp = pub.fingerprint().text();
    cases.valid("parse_fingerprint", "fingerprint text, lowercase", Json.object().put("text", fp),
        fingerprintOutput(pub.fingerprint()));
    cases.valid("parse_fingerprint", "fingerprint text, uppercase",
        Json.object().put("text", fp.toUpperCase(Locale.ROOT)), fingerprintOutput(pub.fingerprint()));

    invalidRecoveryCodes(cases, code, seed);
    invalidPublicIdentities(cases, pub.encoded());
    invalidFingerprints(cases, fp, pub.fingerprint().bytes());
    return cases.toArray();
  }

  private static void derive(Cases cases, String comment, byte[] seedBytes) {
    IdentitySeed seed = IdentitySeed.fromBytes(seedBytes);
    Identity identity = Identity.fromSeed(seed);
    PublicIdentity pub = identity.publicIdentity();
    Identity.DerivedKeys keys = identity.derivedKeys(dev.sotto.InsecureSecretAccess.get());
    ObjectNode out = Json.object()
        .put("ed25519_private", Bytes.hex(keys.ed25519Private()))
        .put("x25519_private", Bytes.hex(keys.x25519Private()))
        .put("signing_key", Bytes.hex(pub.signingKey()))
        .put("dh_key", Bytes.hex(pub.dhKey()))
        .put("public_identity", Bytes.hex(pub.encoded()))
        .put("fingerprint", Bytes.hex(pub.fingerprint().bytes()))
        .put("fingerprint_text", pub.fingerprint().text())
        .put("recovery_code", seed.recoveryCode());
    byte[] onionPrivate = onionPrivate(seedBytes);
    byte[] onionPublic = dev.sotto.internal.crypto.Ed25519.publicKey(onionPrivate);
    out.put("onion_private", Bytes.hex(onionPrivate)).put("onion_public", Bytes.hex(onionPublic))
        .put("onion_address", dev.sotto.Address.onionName(onionPublic));
    cases.valid("derive", comment, Json.object().put("seed", Bytes.hex(seedBytes)), out);
  }

  private static void recovery(Cases cases, String comment, String text, IdentitySeed seed) {
    cases.valid("parse_recovery_code", comment, Json.object().put("text", text),
        Json.object().put("seed", Bytes.hex(seed.toBytes())));
  }

  private static ObjectNode fingerprintOutput(Fingerprint fingerprint) {
    return Json.object().put("fingerprint", Bytes.hex(fingerprint.bytes())).put("fingerprint_text", fingerprint.text());
  }

  private static void invalidRecoveryCodes(Cases cases, String code, IdentitySeed seed) {
    String op = "parse_recovery_code";
    byte[] s = seed.toBytes();
    int last = code.length() - 1;
    cases.invalid(op, "one character changed", text(Texts.substitute(code, 20)), ErrorCode.BAD_CHECKSUM);
    cases.invalid(op, "last checksum character changed", text(Texts.substitute(code, last)), ErrorCode.BAD_CHECKSUM);
    cases.invalid(op, "two adjacent characters swapped", text(Texts.swap(code, 30)), ErrorCode.BAD_CHECKSUM);
    cases.invalid(op, "one character left out", text(code.substring(0, 25) + code.substring(26)), ErrorCode.BAD_CHECKSUM);
    cases.invalid(op, "mixed case", text(code.substring(0, 12) + code.substring(12).toUpperCase(Locale.ROOT)),
        ErrorCode.INVALID_TEXT);
    cases.invalid(op, "character 'b' is not in the alphabet", text(code.substring(0, 15) + "b" + code.substring(16)),
        ErrorCode.INVALID_TEXT);
    cases.invalid(op, "a space inside", text(code.substring(0, 15) + " " + code.substring(15)), ErrorCode.INVALID_TEXT);
    cases.invalid(op, "the fingerprint prefix", text(Bech32m.encode("sottofp", Bytes.concat(new byte[] {1}, s))),
        ErrorCode.INVALID_TEXT);
    cases.invalid(op, "no separator", text("sottoseed"), ErrorCode.INVALID_TEXT);
    cases.invalid(op, "non-zero padding bits", text(Texts.withPaddingBit("sottoseed", Bytes.concat(new byte[] {1}, s))),
        ErrorCode.INVALID_TEXT);
    byte[] versioned = Bytes.concat(new byte[] {1}, s);
    if (Texts.paddingBits(versioned.length) != 1) {
      throw new IllegalStateException("a recovery code has 1 padding bit");
    }
    cases.invalid(op, "an extra all-zero data character, checksum correct: 6 padding bits, all zero",
        text(Texts.withExtraZeroGroup("sottoseed", versioned)), ErrorCode.INVALID_TEXT);
    cases.invalid(op, "version 2", text(Bech32m.encode("sottoseed", Bytes.concat(new byte[] {2}, s))),
        ErrorCode.UNSUPPORTED_VERSION);
    cases.invalid(op, "version 0", text(Bech32m.encode("sottoseed", Bytes.concat(new byte[] {0}, s))),
        ErrorCode.UNSUPPORTED_VERSION);
    cases.invalid(op, "empty data", text(Bech32m.encode("sottoseed", new byte[0])), ErrorCode.TRUNCATED);
    cases.invalid(op, "31-byte seed", text(Bech32m.encode("sottoseed", Bytes.concat(new byte[] {1}, Arrays.copyOf(s, 31)))),
        ErrorCode.TRUNCATED);
    cases.invalid(op, "33-byte seed", text(Bech32m.encode("sottoseed", Bytes.concat(new byte[] {1}, s, new byte[] {0}))),
        ErrorCode.TRAILING_DATA);
  }

  private static void invalidPublicIdentities(Cases cases, byte[] good) {
    String op = "parse_public_identity";
    cases.invalid(op, "empty", encoded(new byte[0]), ErrorCode.TRUNCATED);
    cases.invalid(op, "67 bytes: last byte missing", encoded(Arrays.copyOf(good, 67)), ErrorCode.TRUNCATED);
    cases.invalid(op, "69 bytes: one byte too many", encoded(Arrays.copyOf(good, 69)), ErrorCode.TRAILING_DATA);
    cases.invalid(op, "suite 0x0002", encoded(Texts.with(good, 1, 0x02)), ErrorCode.UNSUPPORTED_SUITE);
    cases.invalid(op, "suite 0x0000", encoded(Texts.with(good, 1, 0x00)), ErrorCode.UNSUPPORTED_SUITE);
    cases.invalid(op, "signing key with the X25519 type byte", encoded(Texts.with(good, 2, 0x02)), ErrorCode.INVALID_ENCODING);
    cases.invalid(op, "DH key with the Ed25519 type byte", encoded(Texts.with(good, 35, 0x01)), ErrorCode.INVALID_ENCODING);
    cases.invalid(op, "DH key with the ML-KEM type byte", encoded(Texts.with(good, 35, 0x03)), ErrorCode.INVALID_ENCODING);
    byte[] neutral = Bytes.unhex("0100000000000000000000000000000000000000000000000000000000000000");
    cases.invalid(op, "signing key is the neutral point (small order)", encoded(Texts.replace(good, 3, neutral)),
        ErrorCode.INVALID_KEY);
    byte[] notOnCurve = Bytes.unhex("0200000000000000000000000000000000000000000000000000000000000000");
    cases.invalid(op, "signing key is not a point on the curve", encoded(Texts.replace(good, 3, notOnCurve)),
        ErrorCode.INVALID_KEY);
    byte[] yTooLarge = Bytes.unhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    cases.invalid(op, "signing key with y = p (non-canonical)", encoded(Texts.replace(good, 3, yTooLarge)),
        ErrorCode.INVALID_KEY);
    byte[] dhTopBit = good.clone();
    dhTopBit[67] |= (byte) 0x80;
    cases.invalid(op, "DH key with the top bit set (non-canonical)", encoded(dhTopBit), ErrorCode.INVALID_KEY);
    cases.invalid(op, "DH key u = p (non-canonical)", encoded(Texts.replace(good, 36, yTooLarge)), ErrorCode.INVALID_KEY);
    cases.invalid(op, "DH key u = 0 (small order)", encoded(Texts.replace(good, 36, new byte[32])), ErrorCode.INVALID_KEY);
    cases.invalid(op, "DH key u = 1 (small order)", encoded(Texts.replace(good, 36, neutral)), ErrorCode.INVALID_KEY);
    cases.invalid(op, "signing key plus a point of order 8: a valid point, not of order l",
        encoded(Texts.replace(good, 3, Edwards25519.withTorsion(Arrays.copyOfRange(good, 3, 35)))), ErrorCode.INVALID_KEY);
    cases.invalid(op, "DH key of order 8",
        encoded(Texts.replace(good, 36, Bytes.unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))),
        ErrorCode.INVALID_KEY);
  }

  private static void invalidFingerprints(Cases cases, String fp, byte[] value) {
    String op = "parse_fingerprint";
    cases.invalid(op, "one character changed", text(Texts.substitute(fp, 12)), ErrorCode.BAD_CHECKSUM);
    cases.invalid(op, "the recovery-code prefix", text(Bech32m.encode("sottoseed", value)), ErrorCode.INVALID_TEXT);
    cases.invalid(op, "31 bytes", text(Bech32m.encode("sottofp", Arrays.copyOf(value, 31))), ErrorCode.TRUNCATED);
    cases.invalid(op, "33 bytes", text(Bech32m.encode("sottofp", Arrays.copyOf(value, 33))), ErrorCode.TRAILING_DATA);
    if (Texts.paddingBits(value.length) != 4) {
      throw new IllegalStateException("a fingerprint has 4 padding bits");
    }
    cases.invalid(op, "an extra all-zero data character, checksum correct: it completes a 33rd byte (0x00)",
        text(Texts.withExtraZeroGroup("sottofp", value)), ErrorCode.TRAILING_DATA);
    cases.invalid(op, "no separator: the '1' removed", text("sottofp" + fp.substring("sottofp1".length())),
        ErrorCode.INVALID_TEXT);
  }

  private static ObjectNode text(String text) {
    return Json.object().put("text", text);
  }

  private static ObjectNode encoded(byte[] encoded) {
    return Json.object().put("encoded", Bytes.hex(encoded));
  }

  /** spec: transport.adoc#onion-service-key. */
  private static byte[] onionPrivate(byte[] seed) {
    return dev.sotto.internal.crypto.Hkdf.derive(new byte[0], seed, dev.sotto.internal.Labels.ONION_SERVICE_KEY, 32);
  }

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    try {
      switch (testCase.path("operation").asText()) {
        case "derive" -> {
          IdentitySeed seed = IdentitySeed.fromBytes(Bytes.unhex(in.path("seed").asText()));
          Identity identity = Identity.fromSeed(seed);
          if (!check.accepted()) {
            return;
          }
          Identity.DerivedKeys keys = identity.derivedKeys(dev.sotto.InsecureSecretAccess.get());
          PublicIdentity pub = identity.publicIdentity();
          check.bytes("ed25519_private", keys.ed25519Private());
          check.bytes("x25519_private", keys.x25519Private());
          check.bytes("signing_key", pub.signingKey());
          check.bytes("dh_key", pub.dhKey());
          check.bytes("public_identity", pub.encoded());
          check.bytes("fingerprint", pub.fingerprint().bytes());
          check.text("fingerprint_text", pub.fingerprint().text());
          check.text("recovery_code", seed.recoveryCode());
          byte[] onionPrivate = onionPrivate(seed.toBytes());
          byte[] onionPublic = dev.sotto.internal.crypto.Ed25519.publicKey(onionPrivate);
          check.bytes("onion_private", onionPrivate);
          check.bytes("onion_public", onionPublic);
          check.text("onion_address", dev.sotto.Address.onionName(onionPublic));
        }
        case "parse_recovery_code" -> {
          IdentitySeed seed = IdentitySeed.fromRecoveryCode(in.path("text").asText());
          if (check.accepted()) {
            check.bytes("seed", seed.toBytes());
          }
        }
        case "parse_public_identity" -> {
          PublicIdentity pub = PublicIdentity.parse(Bytes.unhex(in.path("encoded").asText()));
          if (check.accepted()) {
            check.bytes("fingerprint", pub.fingerprint().bytes());
            check.text("fingerprint_text", pub.fingerprint().text());
          }
        }
        case "parse_fingerprint" -> {
          Fingerprint fingerprint = Fingerprint.parse(in.path("text").asText());
          if (check.accepted()) {
            check.bytes("fingerprint", fingerprint.bytes());
            check.text("fingerprint_text", fingerprint.text());
          }
        }
        default -> check.fail("unknown operation '" + testCase.path("operation").asText() + "'");
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }
}
