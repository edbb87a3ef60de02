package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.SottoException;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.crypto.X25519;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Every value of one link handshake (spec: transport.adoc#link-handshake), computed from its
 * inputs with the primitives and the spec's formulas alone, not with the library's own schedule,
 * so that the vectors check that schedule rather than repeat it. The labels are written here as
 * the spec writes them.
 */
record LinkTrace(byte[] linkPublic, byte[] ePublic, byte[] ek, byte[] thA, byte[] es, byte[] kHello, byte[] proof,
    byte[] hello, byte[] fPublic, byte[] ct, byte[] kem, byte[] ee, byte[] thB, byte[] kConfirm, byte[] kI2r,
    byte[] kR2i, byte[] confirm, byte[] accept) {

  private static final byte[] ZERO_NONCE = new byte[12];

  /**
   * The handshake of the responder with link private key {@code s}, the initiator at {@code time}
   * (its clock, seconds since the epoch) drawing e and the ML-KEM seed, the responder f and m.
   */
  static LinkTrace compute(byte[] s, long time, byte[] e, byte[] kemSeed, byte[] f, byte[] m) throws SottoException {
    // spec: transport.adoc#link-hello
    byte[] version = {0x02};
    byte[] suite = {0x00, 0x01};
    byte[] timeBytes = u64(time);
    byte[] sPublic = X25519.publicKey(s);
    byte[] ePublic = X25519.publicKey(e);
    byte[] ek = MlKem768.encapsulationKey(kemSeed);
    byte[] thA = Hmac.hash(ascii("sotto/v2/link/transcript-1"), version, suite, timeBytes, KeyCodec.x25519(sPublic),
        KeyCodec.x25519(ePublic), KeyCodec.mlKem768(ek));
    byte[] es = X25519.agree(e, sPublic);
    byte[] kHello = Hkdf.derive(thA, es, ascii("sotto/v2/link/hello"), 32);
    byte[] proof = Aead.seal(kHello, ZERO_NONCE, thA, new byte[0]);
    byte[] hello = Bytes.concat(version, timeBytes, KeyCodec.x25519(ePublic), KeyCodec.mlKem768(ek), proof);
    // spec: transport.adoc#link-accept
    byte[] fPublic = X25519.publicKey(f);
    byte[] ee = X25519.agree(f, ePublic);
    MlKem768.Encapsulation encapsulation = MlKem768.encapsulate(ek, m);
    byte[] ct = encapsulation.ciphertext();
    byte[] kem = encapsulation.sharedSecret();
    byte[] thB = Hmac.hash(ascii("sotto/v2/link/transcript-2"), thA, KeyCodec.x25519(fPublic), ct);
    byte[] keys = Hkdf.derive(thB, Bytes.concat(es, ee, kem), ascii("sotto/v2/link/keys"), 96);
    byte[] kConfirm = Arrays.copyOfRange(keys, 0, 32);
    byte[] kI2r = Arrays.copyOfRange(keys, 32, 64);
    byte[] kR2i = Arrays.copyOfRange(keys, 64, 96);
    byte[] confirm = Aead.seal(kConfirm, ZERO_NONCE, thB, new byte[0]);
    byte[] accept = Bytes.concat(KeyCodec.x25519(fPublic), ct, confirm);
    return new LinkTrace(sPublic, ePublic, ek, thA, es, kHello, proof, hello, fPublic, ct, kem, ee, thB, kConfirm, kI2r,
        kR2i, confirm, accept);
  }

  /** The fields of a {@code link} case's output, in the order the handshake computes them. */
  static final String[] FIELDS = {"link_public", "e_public", "ek", "th_a", "es", "k_hello", "proof", "hello", "f_public",
      "ct", "kem", "ee", "th_b", "k_confirm", "k_i2r", "k_r2i", "confirm", "accept"};

  private byte[][] values() {
    return new byte[][] {linkPublic, ePublic, ek, thA, es, kHello, proof, hello, fPublic, ct, kem, ee, thB, kConfirm, kI2r,
        kR2i, confirm, accept};
  }

  void toJson(ObjectNode out) {
    byte[][] values = values();
    for (int i = 0; i < FIELDS.length; i++) {
      out.put(FIELDS[i], Bytes.hex(values[i]));
    }
  }

  void check(CaseCheck check) {
    byte[][] values = values();
    for (int i = 0; i < FIELDS.length; i++) {
      check.bytes(FIELDS[i], values[i]);
    }
  }

  /**
   * A frame sealed under {@code key} at counter {@code n} with any plaintext, whether or not it is
   * well formed: what a peer holding the key could send (spec: transport.adoc#frames).
   */
  static byte[] sealFrame(byte[] key, long n, int frameClass, byte[] plaintext) {
    byte[] classByte = {(byte) frameClass};
    return Bytes.concat(classByte, Aead.seal(key, nonce(n), classByte, plaintext));
  }

  /** nonce = 0x00000000 || n u64. */
  static byte[] nonce(long n) {
    return Bytes.concat(new byte[4], u64(n));
  }

  /** A u64, big-endian (spec: conventions.adoc#notation). */
  static byte[] u64(long value) {
    byte[] out = new byte[8];
    for (int i = 0; i < 8; i++) {
      out[7 - i] = (byte) (value >>> (8 * i));
    }
    return out;
  }

  private static byte[] ascii(String label) {
    return label.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "LinkTrace[th_b=" + Bytes.hex(thB) + "]";
  }
}
