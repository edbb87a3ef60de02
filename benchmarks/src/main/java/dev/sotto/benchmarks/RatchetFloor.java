package dev.sotto.benchmarks;

import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import java.util.Arrays;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The primitive floor of one ratchet message, shared by {@link RatchetBenchmark} and
 * {@link EnvelopeBenchmark}: the raw primitive calls that sealing or opening one message must
 * make, on inputs of the same lengths, with no protocol code around them.
 */
abstract class RatchetFloor {
  static final byte[] EMPTY = new byte[0];
  static final int MESSAGE_KEY_MATERIAL = Aead.KEY_LENGTH + Aead.NONCE_LENGTH;

  byte[] ad;
  byte[] headerKey;
  byte[] headerNonce;
  byte[] header;
  byte[] chainKey;
  byte[] tagKey;
  byte[] messageNumber;
  byte[] bodyAd;

  /** AEAD seal (header), 2 HMAC (KDF_CK), 1 HMAC (tag), HKDF 44, AEAD seal (body). */
  static byte[] seal(RatchetFloor f, byte[] plaintext, Blackhole bh) {
    bh.consume(Aead.seal(f.headerKey, f.headerNonce, f.ad, f.header));
    bh.consume(Hmac.sha256(f.chainKey, Labels.RATCHET_CHAIN_KEY));
    byte[] messageKey = Hmac.sha256(f.chainKey, Labels.RATCHET_MESSAGE_KEY);
    bh.consume(Hmac.sha256(f.tagKey, Labels.RATCHET_TAG, f.messageNumber));
    byte[] material = Hkdf.derive(EMPTY, messageKey, Labels.RATCHET_MESSAGE, MESSAGE_KEY_MATERIAL);
    return Aead.seal(Arrays.copyOf(material, Aead.KEY_LENGTH),
        Arrays.copyOfRange(material, Aead.KEY_LENGTH, MESSAGE_KEY_MATERIAL), f.bodyAd, plaintext);
  }

  /** AEAD open (header), 2 HMAC (KDF_CK), 1 HMAC (tag), HKDF 44, AEAD open (body). */
  static byte[] open(RatchetFloor f, byte[] encryptedHeader, byte[] body, Blackhole bh) throws SottoException {
    bh.consume(Aead.open(f.headerKey, f.headerNonce, f.ad, encryptedHeader));
    bh.consume(Hmac.sha256(f.tagKey, Labels.RATCHET_TAG, f.messageNumber));
    bh.consume(Hmac.sha256(f.chainKey, Labels.RATCHET_CHAIN_KEY));
    byte[] messageKey = Hmac.sha256(f.chainKey, Labels.RATCHET_MESSAGE_KEY);
    byte[] material = Hkdf.derive(EMPTY, messageKey, Labels.RATCHET_MESSAGE, MESSAGE_KEY_MATERIAL);
    return Aead.open(Arrays.copyOf(material, Aead.KEY_LENGTH),
        Arrays.copyOfRange(material, Aead.KEY_LENGTH, MESSAGE_KEY_MATERIAL), f.bodyAd, body);
  }
}
