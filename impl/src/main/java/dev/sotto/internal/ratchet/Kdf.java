package dev.sotto.internal.ratchet;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import java.util.Arrays;

/** The ratchet's key derivations (spec: ratchet.adoc#kdf). */
public final class Kdf {
  public static final int TAG_LENGTH = 16;
  public static final int SIV_LENGTH = Aead.NONCE_LENGTH;

  private Kdf() {}

  /** The outputs of KDF_RK. */
  public record RootStep(Secret.RootKey rootKey, Secret.ChainKey chainKey, Secret.HeaderKey nextHeaderKey,
      Secret.TagKey nextTagKey) {}

  /** KDF_RK(rk, dh) = HKDF(salt = rk, ikm = dh, info = "sotto/v1/ratchet/root", 128), split in four. */
  public static RootStep root(Secret.RootKey rootKey, byte[] dhOutput) {
    byte[] okm = Hkdf.derive(rootKey.view(), dhOutput, Labels.RATCHET_ROOT, 4 * Secret.LENGTH);
    try {
      return new RootStep(new Secret.RootKey(Arrays.copyOfRange(okm, 0, 32)),
          new Secret.ChainKey(Arrays.copyOfRange(okm, 32, 64)), new Secret.HeaderKey(Arrays.copyOfRange(okm, 64, 96)),
          new Secret.TagKey(Arrays.copyOfRange(okm, 96, 128)));
    } finally {
      Arrays.fill(okm, (byte) 0);
    }
  }

  /** The outputs of KDF_CK. */
  public record ChainStep(Secret.ChainKey chainKey, Secret.MessageKey messageKey) {}

  /** KDF_CK(ck): MK = HMAC(ck, "sotto/v1/ratchet/message-key"), CK' = HMAC(ck, "sotto/v1/ratchet/chain-key"). */
  public static ChainStep chain(Secret.ChainKey chainKey) {
    return new ChainStep(new Secret.ChainKey(Hmac.sha256(chainKey.view(), Labels.RATCHET_CHAIN_KEY)),
        new Secret.MessageKey(Hmac.sha256(chainKey.view(), Labels.RATCHET_MESSAGE_KEY)));
  }

  /**
   * The synthetic IV of a message (spec: ratchet.adoc#kdf): the first 12 bytes of
   * HMAC(HMAC(mk, "sotto/v2/ratchet/siv"), ad || version || header || plaintext). It depends on the
   * plaintext, so a sender whose state was rolled back never seals two different plaintexts under
   * one key and nonce.
   */
  public static byte[] siv(Secret.MessageKey messageKey, byte[] ad, int version, byte[] header, byte[] plaintext) {
    return siv(messageKey, ad, version, header, plaintext, 0, plaintext.length);
  }

  /** {@link #siv(Secret.MessageKey, byte[], int, byte[], byte[])} of the plaintext {@code buffer[offset, offset + length)}. */
  public static byte[] siv(Secret.MessageKey messageKey, byte[] ad, int version, byte[] header, byte[] buffer,
      int offset, int length) {
    byte[] sivKey = Hmac.sha256(messageKey.view(), Labels.RATCHET_SIV);
    try {
      return Arrays.copyOf(Hmac.sha256Then(sivKey, buffer, offset, length, ad, new byte[] {(byte) version}, header),
          SIV_LENGTH);
    } finally {
      Arrays.fill(sivKey, (byte) 0);
    }
  }

  /** AEAD key (32) || nonce (12) = HKDF(salt = siv, ikm = mk, info = "sotto/v2/ratchet/body", 44). */
  public static byte[] messageKeyMaterial(Secret.MessageKey messageKey, byte[] siv) {
    return Hkdf.derive(siv, messageKey.view(), Labels.RATCHET_MESSAGE, Aead.KEY_LENGTH + Aead.NONCE_LENGTH);
  }

  /** The mailbox tag of message n of a chain: the first 16 bytes of HMAC(tk, "sotto/v1/ratchet/tag" || n u32). */
  public static byte[] tag(Secret.TagKey tagKey, long n) {
    if (n < 0 || n > 0xffff_ffffL) {
      throw new IllegalArgumentException("u32 out of range");
    }
    byte[] number = {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n}; // u32, big-endian
    byte[] mac = Hmac.sha256(tagKey.view(), Labels.RATCHET_TAG, number);
    return Arrays.copyOf(mac, TAG_LENGTH);
  }
}
