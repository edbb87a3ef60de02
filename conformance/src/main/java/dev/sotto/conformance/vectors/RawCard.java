package dev.sotto.conformance.vectors;

import dev.sotto.Address;
import dev.sotto.Card;
import dev.sotto.Prekey;
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
 */
final class RawCard {
  int version = Card.VERSION;
  int suite = 0x0001;
  int signingKeyType = 0x01;
  byte[] signingKey;
  int dhKeyType = 0x02;
  byte[] dhKey;
  long created;
  long expires;
  RawPrekey spk;
  RawPrekey pqspk;
  final List<RawPrekey> opks = new ArrayList<>();
  Integer opkCount;
  final List<RawPrekey> pqopks = new ArrayList<>();
  Integer pqopkCount;
  byte[] inviteTag;
  final List<RawAddress> addresses = new ArrayList<>();
  Integer addressCount;

  static final class RawPrekey {
    long id;
    int type;
    byte[] key;

    RawPrekey(long id, int type, byte[] key) {
      this.id = id;
      this.type = type;
      this.key = key.clone();
    }
  }

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
  }

  static RawCard of(Card card) {
    RawCard raw = new RawCard();
    raw.signingKey = card.identity().signingKey();
    raw.dhKey = card.identity().dhKey();
    raw.created = card.created().getEpochSecond();
    raw.expires = card.expires().getEpochSecond();
    raw.spk = new RawPrekey(card.signedPrekey().id(), 0x02, card.signedPrekey().publicKey());
    raw.pqspk = new RawPrekey(card.kemPrekey().id(), 0x03, card.kemPrekey().publicKey());
    for (Prekey p : card.oneTimePrekeys()) {
      raw.opks.add(new RawPrekey(p.id(), 0x02, p.publicKey()));
    }
    for (Prekey p : card.kemOneTimePrekeys()) {
      raw.pqopks.add(new RawPrekey(p.id(), 0x03, p.publicKey()));
    }
    raw.inviteTag = card.inviteTag();
    for (Address a : card.addresses()) {
      raw.addresses.add(new RawAddress(a.kind(), a.value()));
    }
    return raw;
  }

  byte[] body() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(version);
    u16(out, suite);
    out.write(signingKeyType);
    out.writeBytes(signingKey);
    out.write(dhKeyType);
    out.writeBytes(dhKey);
    u64(out, created);
    u64(out, expires);
    prekey(out, spk);
    prekey(out, pqspk);
    out.write(opkCount != null ? opkCount : opks.size());
    opks.forEach(p -> prekey(out, p));
    out.write(pqopkCount != null ? pqopkCount : pqopks.size());
    pqopks.forEach(p -> prekey(out, p));
    out.writeBytes(inviteTag);
    out.write(addressCount != null ? addressCount : addresses.size());
    for (RawAddress a : addresses) {
      out.write(a.kind);
      out.write(a.length);
      out.writeBytes(a.value);
    }
    return out.toByteArray();
  }

  /** body || Ed25519(signingPrivate, "sotto/v1/card" || body). */
  byte[] signedBy(byte[] signingPrivate) {
    byte[] body = body();
    byte[] message = Bytes.concat("sotto/v1/card".getBytes(StandardCharsets.US_ASCII), body);
    return Bytes.concat(body, Ed25519.sign(signingPrivate, message));
  }

  private static void prekey(ByteArrayOutputStream out, RawPrekey p) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.write((int) (p.id >>> shift));
    }
    out.write(p.type);
    out.writeBytes(p.key);
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void u64(ByteArrayOutputStream out, long v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift));
    }
  }
}
