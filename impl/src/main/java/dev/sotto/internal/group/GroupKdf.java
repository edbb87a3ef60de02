package dev.sotto.internal.group;

import dev.sotto.internal.Labels;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.Writer;
import java.util.Arrays;

/** The derivations of the group layer (spec: group.adoc#group-chains, #group-message, #group-delivery). */
public final class GroupKdf {
  public static final int KEY_LENGTH = 32;
  public static final int TAG_LENGTH = 16;
  public static final int SIV_LENGTH = Aead.NONCE_LENGTH;
  public static final int TOKEN_LENGTH = 16;
  public static final int LEAF_LENGTH = 8;

  private GroupKdf() {}

  /** What a chain seed gives (spec: group.adoc#group-chains). The caller clears the secrets it no longer needs. */
  public record ChainMaterial(byte[] chainKey, byte[] tagKey, byte[] signingPrivate, byte[] signingPublic,
      byte[] takeSecret, long chainId) {
    @Override
    public String toString() {
      return "ChainMaterial[chain " + chainId + ", redacted]";
    }
  }

  /** okm = HKDF(salt = group_id, ikm = chain_seed, info = "sotto/v2/group/chain-seed", 132), split. */
  public static ChainMaterial chain(byte[] groupId, byte[] chainSeed) {
    Bytes.requireLength(chainSeed, KEY_LENGTH, "chain seed");
    byte[] okm = Hkdf.derive(groupId, chainSeed, Labels.GROUP_CHAIN_SEED, 132);
    try {
      byte[] sig = Arrays.copyOfRange(okm, 64, 96);
      long chainId = ((okm[128] & 0xffL) << 24) | ((okm[129] & 0xffL) << 16) | ((okm[130] & 0xffL) << 8) | (okm[131] & 0xffL);
      return new ChainMaterial(Arrays.copyOfRange(okm, 0, 32), Arrays.copyOfRange(okm, 32, 64), sig,
          Ed25519.publicKey(sig), Arrays.copyOfRange(okm, 96, 128), chainId);
    } finally {
      Arrays.fill(okm, (byte) 0);
    }
  }

  /** MK_n = HMAC(CK_n, "sotto/v2/group/step/message"). */
  public static byte[] messageKey(byte[] chainKey) {
    return Hmac.sha256(chainKey, Labels.GROUP_STEP_MESSAGE);
  }

  /** CK_n+1 = HMAC(CK_n, "sotto/v2/group/step/chain"). */
  public static byte[] nextChainKey(byte[] chainKey) {
    return Hmac.sha256(chainKey, Labels.GROUP_STEP_CHAIN);
  }

  /** TAG(tk, n) = HMAC(tk, "sotto/v2/group/tag" || n u32)[0:16]. */
  public static byte[] tag(byte[] tagKey, long n) {
    return Arrays.copyOf(Hmac.sha256(tagKey, Labels.GROUP_TAG, new Writer().u32(n).toByteArray()), TAG_LENGTH);
  }

  /** take_seed(member) = HMAC(take_secret, "sotto/v2/group/take-seed" || fingerprint). */
  public static byte[] takeSeed(byte[] takeSecret, byte[] fingerprint) {
    return Hmac.sha256(takeSecret, Labels.GROUP_TAKE_SEED, fingerprint);
  }

  /** token = HMAC(take_seed, "sotto/v2/group/take-token" || tag)[0:16]. */
  public static byte[] takeToken(byte[] takeSeed, byte[] tag) {
    return Arrays.copyOf(Hmac.sha256(takeSeed, Labels.GROUP_TAKE_TOKEN, tag), TOKEN_LENGTH);
  }

  /** leaf = SHA-256("sotto/v2/group/take-leaf" || token)[0:8]: what a mailbox holds and checks. */
  public static byte[] takeLeaf(byte[] token) {
    return Arrays.copyOf(Hmac.hash(Labels.GROUP_TAKE_LEAF, token), LEAF_LENGTH);
  }

  /** siv = HMAC(HMAC(MK, "sotto/v2/group/siv"), AD || plaintext)[0:12]. */
  public static byte[] siv(byte[] messageKey, byte[] ad, byte[] plaintext) {
    byte[] sivKey = Hmac.sha256(messageKey, Labels.GROUP_SIV);
    try {
      return Arrays.copyOf(Hmac.sha256(sivKey, ad, plaintext), SIV_LENGTH);
    } finally {
      Arrays.fill(sivKey, (byte) 0);
    }
  }

  /** key (32) || nonce (12) = HKDF(salt = siv, ikm = MK, info = "sotto/v2/group/body", 44). */
  public static byte[] bodyKey(byte[] messageKey, byte[] siv) {
    return Hkdf.derive(siv, messageKey, Labels.GROUP_BODY, Aead.KEY_LENGTH + Aead.NONCE_LENGTH);
  }

  /** state_hash = SHA-256("sotto/v2/group/state" || state). */
  public static byte[] stateHash(byte[] state) {
    return Hmac.hash(Labels.GROUP_STATE, state);
  }

  /** change_hash = SHA-256("sotto/v2/group/change" || change). */
  public static byte[] changeHash(byte[] change) {
    return Hmac.hash(Labels.GROUP_CHANGE, change);
  }
}
