package dev.sotto.conformance.vectors;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.encoding.Bytes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A card as raw fields, written by an encoder of its own (independent of the library's), so that
 * the generator can make cards the library would refuse to issue: each with exactly one fault,
 * and signed, so that only the intended check rejects it. spec: card.adoc#card-layout
 *
 * <pre>
 *   version u8 || identity (suite u16 || 0x01 || signing key[32] || 0x02 || DH key[32])
 *   || created u64 || expires u64 || invite_tag[16] || address_count u8 || addresses || signature[64]
 * </pre>
 */
final class RawCard {
  static final String SIGNATURE_LABEL = "sotto/v2/card/signature";
  /** Offsets of the fixed fields. */
  static final int SUITE = 1;
  static final int SIGNING_KEY = 3;
  static final int DH_KEY = 36;
  static final int CREATED = 69;
  static final int EXPIRES = 77;
  static final int INVITE_TAG = 85;
  static final int ADDRESS_COUNT = 101;
  static final int ADDRESSES = 102;

  int version = Card.VERSION;
  int suite = 0x0001;
  int signingKeyType = 0x01;
  byte[] signingKey;
  int dhKeyType = 0x02;
  byte[] dhKey;
  long created;
  long expires;
  byte[] inviteTag;
  final List<RawAddress> addresses = new ArrayList<>();
  Integer addressCount;

  static final class RawAddress {
    int kind;
    int length;
    byte[] value;

    RawAddress(int kind, byte[] value) {
      this.kind = kind;
      this.length = value.length;
      this.value = value.clone();
    }

    /** link_key (typed, 0x02 || 32 bytes) || port || host (spec: card.adoc#address-kinds). */
    static RawAddress tcp(int kind, byte[] linkKey, int port, String host) {
      return new RawAddress(kind, Bytes.concat(new byte[] {0x02}, linkKey,
          new byte[] {(byte) (port >>> 8), (byte) port}, host.getBytes(StandardCharsets.US_ASCII)));
    }

    /** link_key (typed) || port || onion bytes (spec: card.adoc#onion-addresses). */
    static RawAddress onion(int kind, byte[] linkKey, int port, byte[] onion) {
      return new RawAddress(kind, Bytes.concat(new byte[] {0x02}, linkKey,
          new byte[] {(byte) (port >>> 8), (byte) port}, onion));
    }
  }

  static RawCard of(Card card) {
    RawCard raw = new RawCard();
    raw.signingKey = card.identity().signingKey();
    raw.dhKey = card.identity().dhKey();
    raw.created = card.created().getEpochSecond();
    raw.expires = card.expires().getEpochSecond();
    raw.inviteTag = card.inviteTag();
    for (Address a : card.addresses()) {
      raw.addresses.add(new RawAddress(a.kind(), a.value()));
    }
    return raw;
  }

  byte[] body() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(version);
    Raw.u16(out, suite);
    out.write(signingKeyType);
    out.writeBytes(signingKey);
    out.write(dhKeyType);
    out.writeBytes(dhKey);
    Raw.u64(out, created);
    Raw.u64(out, expires);
    out.writeBytes(inviteTag);
    out.write(addressCount != null ? addressCount : addresses.size());
    for (RawAddress a : addresses) {
      out.write(a.kind);
      out.write(a.length);
      out.writeBytes(a.value);
    }
    return out.toByteArray();
  }

  /** The message the card's signature covers: "sotto/v2/card/signature" || body. */
  static byte[] signedMessage(byte[] body) {
    return Bytes.concat(SIGNATURE_LABEL.getBytes(StandardCharsets.US_ASCII), body);
  }

  /** body || Ed25519(signingPrivate, "sotto/v2/card/signature" || body). */
  byte[] signedBy(byte[] signingPrivate) {
    byte[] body = body();
    return Bytes.concat(body, Ed25519.sign(signingPrivate, signedMessage(body)));
  }
}
