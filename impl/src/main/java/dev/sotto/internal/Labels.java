package dev.sotto.internal;

import java.nio.charset.StandardCharsets;

/**
 * Every KDF, hash and signature label of the protocol (spec: suite.adoc#labels). ASCII, no
 * terminator. No label is a prefix of another (checked by a test): keep it so when adding one.
 */
public final class Labels {
  private Labels() {}

  public static final byte[] IDENTITY_ED25519 = ascii("sotto/v1/identity/ed25519");
  public static final byte[] IDENTITY_X25519 = ascii("sotto/v1/identity/x25519");
  /** A node's onion service key from its seed (spec: transport.adoc#onion-service-key). */
  public static final byte[] ONION_SERVICE_KEY = ascii("sotto/v2/onion/service-key");
  public static final byte[] FINGERPRINT = ascii("sotto/v1/fingerprint");
  public static final byte[] CARD_SIGNATURE = ascii("sotto/v2/card/signature");
  public static final byte[] CARD_BUNDLE_TAG = ascii("sotto/v2/card/bundle-tag");
  public static final byte[] BUNDLE_SIGNATURE = ascii("sotto/v2/bundle");
  public static final byte[] ONE_TIME_PREKEY_SIGNATURE = ascii("sotto/v2/one-time-prekey");
  public static final byte[] HANDSHAKE_TRANSCRIPT_1 = ascii("sotto/v2/handshake/transcript-1");
  public static final byte[] HANDSHAKE_TRANSCRIPT = ascii("sotto/v1/handshake/transcript-2");
  public static final byte[] HANDSHAKE_IDENTITY = ascii("sotto/v1/handshake/identity");
  public static final byte[] HANDSHAKE_KEYS = ascii("sotto/v2/handshake/keys");
  public static final byte[] RATCHET_ROOT = ascii("sotto/v1/ratchet/root");
  public static final byte[] RATCHET_CHAIN_KEY = ascii("sotto/v1/ratchet/chain-key");
  public static final byte[] RATCHET_MESSAGE_KEY = ascii("sotto/v1/ratchet/message-key");
  public static final byte[] RATCHET_MESSAGE = ascii("sotto/v2/ratchet/body");
  public static final byte[] RATCHET_SIV = ascii("sotto/v2/ratchet/siv");
  public static final byte[] RATCHET_TAG = ascii("sotto/v1/ratchet/tag");
  public static final byte[] LINK_TRANSCRIPT_1 = ascii("sotto/v2/link/transcript-1");
  public static final byte[] LINK_TRANSCRIPT_2 = ascii("sotto/v2/link/transcript-2");
  public static final byte[] LINK_HELLO = ascii("sotto/v2/link/hello");
  public static final byte[] LINK_KEYS = ascii("sotto/v2/link/keys");
  public static final byte[] BACKUP_SIGNING_KEY = ascii("sotto/v2/backup/signing-key");
  public static final byte[] BACKUP_MANIFEST_KEY = ascii("sotto/v2/backup/manifest-key");
  public static final byte[] BACKUP_HEAD_TAG = ascii("sotto/v2/backup/head-tag");
  public static final byte[] BACKUP_CHUNK_TAG = ascii("sotto/v2/backup/chunk-tag");
  public static final byte[] BACKUP_ARGON2_SALT = ascii("sotto/v2/backup/argon2-salt");
  public static final byte[] BACKUP_CREDENTIAL = ascii("sotto/v2/backup/credential");
  public static final byte[] BACKUP_CONTENT_KEY = ascii("sotto/v2/backup/content-key");
  public static final byte[] BACKUP_PASSPHRASE_CHECK = ascii("sotto/v2/backup/passphrase-check");
  public static final byte[] BACKUP_CHUNK_ID = ascii("sotto/v2/backup/chunk-id");
  public static final byte[] BACKUP_CUT = ascii("sotto/v2/backup/cut");
  public static final byte[] BACKUP_CHUNK_KEY = ascii("sotto/v2/backup/chunk-key");
  public static final byte[] BACKUP_SIGNATURE = ascii("sotto/v2/backup/signature");
  public static final byte[] BACKUP_MANIFEST_SIV = ascii("sotto/v2/backup/manifest-siv");
  public static final byte[] BACKUP_MANIFEST_SEAL = ascii("sotto/v2/backup/manifest-seal");
  public static final byte[] GROUP_STATE = ascii("sotto/v2/group/state");
  public static final byte[] GROUP_CHANGE = ascii("sotto/v2/group/change");
  public static final byte[] GROUP_CHAIN_SEED = ascii("sotto/v2/group/chain-seed");
  public static final byte[] GROUP_STEP_MESSAGE = ascii("sotto/v2/group/step/message");
  public static final byte[] GROUP_STEP_CHAIN = ascii("sotto/v2/group/step/chain");
  public static final byte[] GROUP_TAG = ascii("sotto/v2/group/tag");
  public static final byte[] GROUP_TAKE_SEED = ascii("sotto/v2/group/take-seed");
  public static final byte[] GROUP_TAKE_TOKEN = ascii("sotto/v2/group/take-token");
  public static final byte[] GROUP_TAKE_LEAF = ascii("sotto/v2/group/take-leaf");
  public static final byte[] GROUP_SIGNATURE = ascii("sotto/v2/group/signature");
  public static final byte[] GROUP_SIV = ascii("sotto/v2/group/siv");
  public static final byte[] GROUP_BODY = ascii("sotto/v2/group/body");

  /** Text-form prefixes (Bech32m human-readable parts). */
  public static final String RECOVERY_CODE_PREFIX = "sottoseed";
  public static final String FINGERPRINT_PREFIX = "sottofp";
  public static final String CARD_PREFIX = "sottocard";

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
