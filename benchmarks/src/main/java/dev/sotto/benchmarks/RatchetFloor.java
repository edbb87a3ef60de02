package dev.sotto.benchmarks;

import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.ratchet.RatchetMessage;
import java.util.Arrays;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The primitive floor of one ratchet message, shared by {@link RatchetBenchmark} and
 * {@link EnvelopeBenchmark}: the raw primitive calls that sealing or opening one message must
 * make, on inputs of the same lengths, with no protocol code around them.
 */
abstract class RatchetFloor {
  static final byte[] EMPTY = new byte[0];
  static final byte[] VERSION = {(byte) RatchetMessage.VERSION};
  static final int MESSAGE_KEY_MATERIAL = Aead.KEY_LENGTH + Aead.NONCE_LENGTH;

  byte[] ad;
  byte[] headerKey;
  /** The message's synthetic IV, the header's nonce (what the receiver reads from the message). */
  byte[] headerNonce;
  byte[] header;
  byte[] chainKey;
  byte[] tagKey;
  byte[] messageNumber;
  byte[] bodyAd;

  /**
   * 2 HMAC (KDF_CK), 2 HMAC (the synthetic IV: its key, then over the header and plaintext),
   * AEAD seal (header), 1 HMAC (tag), HKDF 44, AEAD seal (body).
   */
  static byte[] seal(RatchetFloor f, byte[] plaintext, Blackhole bh) {
    bh.consume(Hmac.sha256(f.chainKey, Labels.RATCHET_CHAIN_KEY));
    byte[] messageKey = Hmac.sha256(f.chainKey, Labels.RATCHET_MESSAGE_KEY);
    byte[] sivKey = Hmac.sha256(messageKey, Labels.RATCHET_SIV);
    byte[] siv = Arrays.copyOf(Hmac.sha256(sivKey, f.ad, VERSION, f.header, plaintext), Aead.NONCE_LENGTH);
    bh.consume(Aead.seal(f.headerKey, siv, f.ad, f.header));
    bh.consume(Hmac.sha256(f.tagKey, Labels.RATCHET_TAG, f.messageNumber));
    byte[] material = Hkdf.derive(siv, messageKey, Labels.RATCHET_MESSAGE, MESSAGE_KEY_MATERIAL);
    return Aead.seal(Arrays.copyOf(material, Aead.KEY_LENGTH),
        Arrays.copyOfRange(material, Aead.KEY_LENGTH, MESSAGE_KEY_MATERIAL), f.bodyAd, plaintext);
  }

  /** AEAD open (header), 2 HMAC (KDF_CK), 1 HMAC (tag), HKDF 44, AEAD open (body). */
  static byte[] open(RatchetFloor f, byte[] encryptedHeader, byte[] body, Blackhole bh) throws SottoException {
    bh.consume(Aead.open(f.headerKey, f.headerNonce, f.ad, encryptedHeader));
    bh.consume(Hmac.sha256(f.tagKey, Labels.RATCHET_TAG, f.messageNumber));
    bh.consume(Hmac.sha256(f.chainKey, Labels.RATCHET_CHAIN_KEY));
    byte[] messageKey = Hmac.sha256(f.chainKey, Labels.RATCHET_MESSAGE_KEY);
    byte[] material = Hkdf.derive(f.headerNonce, messageKey, Labels.RATCHET_MESSAGE, MESSAGE_KEY_MATERIAL);
    return Aead.open(Arrays.copyOf(material, Aead.KEY_LENGTH),
        Arrays.copyOfRange(material, Aead.KEY_LENGTH, MESSAGE_KEY_MATERIAL), f.bodyAd, body);
  }
}
