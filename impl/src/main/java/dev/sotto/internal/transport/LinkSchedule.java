package dev.sotto.internal.transport;

import dev.sotto.SottoException;
import dev.sotto.Suite;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.crypto.MlKem768;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;

/** The hashes and keys of the link handshake (spec: transport.adoc#link-handshake). */
public final class LinkSchedule {
  public static final int VERSION = 0x02;
  /** Length of {@code time}: a u64 of seconds since the epoch. */
  public static final int TIME_LENGTH = 8;
  public static final int HELLO_LENGTH =
      1 + TIME_LENGTH + KeyCodec.X25519_ENCODED_LENGTH + KeyCodec.ML_KEM_768_ENCODED_LENGTH + Aead.TAG_LENGTH;
  public static final int ACCEPT_LENGTH = KeyCodec.X25519_ENCODED_LENGTH + MlKem768.CIPHERTEXT_LENGTH + Aead.TAG_LENGTH;
  /** A hello whose {@code time} differs from the responder's clock by more than this is EXPIRED (spec: transport.adoc#link-accept). */
  public static final long CLOCK_WINDOW_SECONDS = 120;
  /** How long an accepted hello is remembered: it can pass the clock check only this long (spec: transport.adoc#link-replay). */
  public static final long REPLAY_WINDOW_SECONDS = 2 * CLOCK_WINDOW_SECONDS;
  private static final byte[] ZERO_NONCE = new byte[Aead.NONCE_LENGTH];

  private LinkSchedule() {}

  /** TH_A = SHA-256(label || version u8 || suite u16 || time u64 || typed(S) || typed(E) || typed(ek)). */
  public static byte[] transcriptA(long time, byte[] responderKey, byte[] initiatorEphemeral, byte[] encapsulationKey) {
    byte[] header = new Writer().u8(VERSION).u16(Suite.SOTTO_1.id()).u64(time).toByteArray();
    return Hmac.hash(Labels.LINK_TRANSCRIPT_1, header, KeyCodec.x25519(responderKey), KeyCodec.x25519(initiatorEphemeral),
        KeyCodec.mlKem768(encapsulationKey));
  }

  /** proof = Seal(k_hello, zero nonce, TH_A, []). */
  public static byte[] proof(byte[] transcriptA, byte[] es) {
    byte[] key = helloKey(transcriptA, es);
    try {
      return Aead.seal(key, ZERO_NONCE, transcriptA, new byte[0]);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** TH_B = SHA-256(label || TH_A || typed(F) || ct). */
  public static byte[] transcriptB(byte[] transcriptA, byte[] responderEphemeral, byte[] ciphertext) {
    return Hmac.hash(Labels.LINK_TRANSCRIPT_2, transcriptA, KeyCodec.x25519(responderEphemeral), ciphertext);
  }

  /** The three keys of the handshake: k_confirm, k_i2r, k_r2i. */
  public record Keys(byte[] confirm, byte[] initiatorToResponder, byte[] responderToInitiator) {
    public void destroy() {
      Arrays.fill(confirm, (byte) 0);
      Arrays.fill(initiatorToResponder, (byte) 0);
      Arrays.fill(responderToInitiator, (byte) 0);
    }

    @Override
    public String toString() {
      return "LinkSchedule.Keys[redacted]";
    }
  }

  public static Keys keys(byte[] transcriptB, byte[] es, byte[] ee, byte[] kem) {
    byte[] ikm = Bytes.concat(es, ee, kem);
    int k = Aead.KEY_LENGTH;
    byte[] okm = Hkdf.derive(transcriptB, ikm, Labels.LINK_KEYS, 3 * k);
    try {
      return new Keys(Arrays.copyOfRange(okm, 0, k), Arrays.copyOfRange(okm, k, 2 * k), Arrays.copyOfRange(okm, 2 * k, 3 * k));
    } finally {
      Arrays.fill(ikm, (byte) 0);
      Arrays.fill(okm, (byte) 0);
    }
  }

  public static byte[] confirm(Keys keys, byte[] transcriptB) {
    return Aead.seal(keys.confirm(), ZERO_NONCE, transcriptB, new byte[0]);
  }

  /** Opens a 16-byte proof or confirmation: AUTH_FAILED if it does not verify. */
  public static void check(byte[] key, byte[] transcript, byte[] tag) throws SottoException {
    Aead.open(key, ZERO_NONCE, transcript, tag);
  }

  /** k_hello = HKDF(TH_A, es, label, 32). */
  public static byte[] helloKey(byte[] transcriptA, byte[] es) {
    return Hkdf.derive(transcriptA, es, Labels.LINK_HELLO, Aead.KEY_LENGTH);
  }
}
