package dev.sotto.conformance.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sotto.Address;
import dev.sotto.Backup;
import dev.sotto.BackupContents;
import dev.sotto.BackupFile;
import dev.sotto.BackupKeys;
import dev.sotto.BackupManifest;
import dev.sotto.BackupProtection;
import dev.sotto.BackupRestore;
import dev.sotto.BackupWriter;
import dev.sotto.Card;
import dev.sotto.Envelope;
import dev.sotto.ErrorCode;
import dev.sotto.Identity;
import dev.sotto.IdentitySeed;
import dev.sotto.InsecureSecretAccess;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.internal.Labels;
import dev.sotto.internal.backup.Chunks;
import dev.sotto.internal.backup.ContentKeys;
import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.backup.SeedKeys;
import dev.sotto.internal.crypto.Aead;
import dev.sotto.internal.crypto.Argon2id;
import dev.sotto.internal.crypto.Ed25519;
import dev.sotto.internal.crypto.Hkdf;
import dev.sotto.internal.crypto.Hmac;
import dev.sotto.internal.encoding.Bytes;
import dev.sotto.internal.encoding.KeyCodec;
import dev.sotto.internal.encoding.Writer;
import dev.sotto.testing.TestRandom;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * {@code backup.json}: the backup's keys with and without a passphrase, whole backups (records,
 * chunks, manifest, head, file; an incremental one among them), restores, and every refusal of a
 * restore: heads, manifests, Argon2id parameters out of bounds, chunks, records and files that
 * break a rule, another identity's backup, a wrong passphrase, a missing chunk and a rollback
 * (spec: backup.adoc).
 *
 * <p>Operations: {@code derive_keys}, {@code backup}, {@code restore}.
 */
public final class BackupVectors implements VectorSuite {
  private static final long NOW = 1_800_000_000L;
  private static final ObjectNode CHEAP = Json.object().put("memory", 64).put("iterations", 2).put("parallelism", 1);

  @Override
  public String component() {
    return "backup";
  }

  @Override
  public String description() {
    return "Encrypted backup: the keys derived from the seed, with and without a passphrase (Argon2id); whole "
        + "backups from their contents (records, chunks, manifest, head, file), an incremental one among them; "
        + "restores, and their refusals: another identity's backup, tampered heads and chunks, manifests and "
        + "records that break a rule, Argon2id parameters out of bounds, a wrong passphrase, a missing chunk, a "
        + "rollback below the floor, malformed files. Spec: backup.adoc.";
  }

  // ------------------------------------------------------------------ material

  private final class Material {
    final RandomSource random = seededRandom();
    final byte[] aliceSeed = random.bytes(32);
    final byte[] mallorySeed = random.bytes(32);
    final BackupKeys alice = BackupKeys.of(IdentitySeed.fromBytes(aliceSeed));
    final SeedKeys aliceKeys = new SeedKeys(aliceSeed);
    final ContentKeys aliceContent = aliceKeys.content(null);
    final byte[] device = random.bytes(16);
    final Card ownCard = card(aliceSeed, "alice.example");
    final List<byte[]> contactSeeds = new ArrayList<>();
    final List<Card> contactCards = new ArrayList<>();

    Material() {
      for (int i = 0; i < 4; i++) {
        byte[] seed = random.bytes(32);
        contactSeeds.add(seed);
        contactCards.add(card(seed, "peer" + i + ".example"));
      }
    }

    Card card(byte[] seed, String host) {
      byte[] linkKey = dev.sotto.internal.crypto.X25519.publicKey(random.bytes(32));
      return Card.builder(Identity.fromSeed(IdentitySeed.fromBytes(seed)))
          .validity(Instant.ofEpochSecond(NOW - 86_400), Instant.ofEpochSecond(NOW + 365 * 86_400L))
          .address(Address.mailbox(host, 7401, linkKey))
          .issue(random);
    }

    BackupContents.Contact contact(int i, BackupContents.Status status, boolean withCard) {
      Card card = contactCards.get(i);
      return new BackupContents.Contact(100 + i, card.identity(), new String[] {"Bob", "Zoë", "Carol", "李"}[i],
          withCard ? card : null, status, i % 2 == 0, i == 3, NOW - 1000 * i, 3 * i, 2 * i + 1,
          i == 0 ? OptionalLong.of(NOW - 50) : OptionalLong.empty(),
          i <= 1 ? OptionalLong.of(NOW - 40 + i) : OptionalLong.empty());
    }

    /** A small backup's contents: every kind of record. */
    BackupContents small() {
      List<BackupContents.Contact> contacts = List.of(contact(0, BackupContents.Status.CONTACT, true),
          contact(1, BackupContents.Status.CONTACT, true), contact(2, BackupContents.Status.REQUEST_RECEIVED, true),
          contact(3, BackupContents.Status.REQUEST_SENT, false));
      TreeMap<String, byte[]> settings = new TreeMap<>();
      settings.put("mailbox.0", "mailbox:mailbox.example:7401".getBytes(StandardCharsets.UTF_8));
      settings.put("name", "Alice".getBytes(StandardCharsets.UTF_8));
      settings.put("backup.schedule", "daily".getBytes(StandardCharsets.UTF_8));
      settings.put("empty", new byte[0]);
      return BackupContents.builder().contacts(List.of(ownCard), contacts).settings(settings)
          .history(messages(8, 40, 0)).build();
    }

    List<BackupContents.Message> messages(int count, int size, int from) {
      List<BackupContents.Message> list = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        int contact = 100 + (i % 2);
        String text = i == from ? "" : (i % 5 == 1 ? "héllo 👋 " : "message " + i + " ").repeat(1 + size / 10);
        list.add(new BackupContents.Message(contact, i % 2 == 1, i % 3 != 0,
            i == from ? BackupContents.HELLO : BackupContents.TEXT, i / 2, NOW + 60L * i, NOW + 60L * i + 2, text));
      }
      return list;
    }

    /** Contents of several chunks: two contacts and {@code count} messages of about {@code size} bytes, one of 65,536. */
    BackupContents large(int count, int size, boolean longest) {
      List<BackupContents.Message> history = new ArrayList<>(messages(count, size, 0));
      if (longest) {
        history.add(count / 2, new BackupContents.Message(100, false, true, BackupContents.TEXT, 999, NOW, NOW,
            "x".repeat(BackupContents.MAX_VALUE_BYTES)));
      }
      return BackupContents.builder().contacts(List.of(ownCard), List.of(contact(0, BackupContents.Status.CONTACT, true),
          contact(1, BackupContents.Status.CONTACT, true))).history(history).build();
    }
  }

  // ------------------------------------------------------------------ generation

  @Override
  public ArrayNode generate() {
    Cases cases = new Cases();
    Material m = new Material();

    deriveKeys(cases, "keys of a seed, no passphrase", m.aliceSeed, m.random.bytes(32), null, null);
    deriveKeys(cases, "keys of another seed, no passphrase", m.mallorySeed, m.random.bytes(32), null, null);
    deriveKeys(cases, "keys of the all-zero seed, no passphrase", new byte[32], new byte[32], null, null);
    deriveKeys(cases, "keys with a passphrase (Argon2id at 64 KiB, 2 passes, 1 lane)", m.aliceSeed, m.random.bytes(32),
        "correct horse battery staple", CHEAP);
    deriveKeys(cases, "keys with a passphrase of composed and decomposed characters (NFC before UTF-8)", m.aliceSeed,
        m.random.bytes(32), "Zoe\u0308 cafe\u0301 \u00c5ngstr\u00f6m", Json.object().put("memory", 32)
            .put("iterations", 3).put("parallelism", 2));
    deriveKeys(cases, "keys with a one-byte passphrase at the smallest memory (8 KiB, 1 lane)", m.aliceSeed,
        m.random.bytes(32), "x", Json.object().put("memory", 8).put("iterations", 1).put("parallelism", 1));

    BackupManifest.Rank first = new BackupManifest.Rank(0, m.device, 0);
    // A whole small backup, then restored.
    ObjectNode small = backup(cases, "a small backup: an own card, four contacts (a request each way, one "
        + "without a card), settings, eight messages; the first of a lineage", m, null, first, List.of(), m.small(),
        NOW);
    ObjectNode empty = backup(cases, "a backup with no part: no records, no chunk", m, null, first, List.of(),
        BackupContents.builder().build(), NOW);
    ObjectNode settingsOnly = backup(cases, "a backup of the settings part only", m, null, first, List.of(),
        BackupContents.builder().settings(Map.of("a", new byte[] {1}, "a.b", new byte[] {2}, "a-b", new byte[0],
            "z_9", new byte[300])).build(), NOW);
    ObjectNode contactsOnly = backup(cases, "a backup of the contacts part only, with no contact", m, null, first,
        List.of(), BackupContents.builder().contacts(List.of(m.ownCard), List.of()).build(), NOW);
    ObjectNode withPassphrase = backup(cases, "a small backup with a passphrase", m, passphrase("correct hors\u00e9", CHEAP),
        first, List.of(), m.small(), NOW + 10);
    BackupContents day1 = m.large(300, 150, true);
    ObjectNode large = backup(cases, "a backup of several chunks, a 65,536-byte message cut inside", m, null, first,
        List.of(), day1, NOW + 20);
    BackupContents day2 = BackupContents.builder().contacts(day1.ownCards(), List.of(
            m.contact(0, BackupContents.Status.CONTACT, true), m.contact(1, BackupContents.Status.CONTACT, true)))
        .history(append(day1.history(), m.messages(30, 150, 300))).build();
    BackupManifest.Rank afterLarge = new BackupManifest.Rank(0, m.device, 1);
    ObjectNode incremental = backup(cases, "the next backup of the same lineage a day later, 30 messages more: only "
        + "the last chunks are new", m, null, afterLarge, ids(large), day2, NOW + 86_400);
    byte[] restoredDevice = m.random.bytes(16);
    ObjectNode claim = backup(cases, "the first backup of a restored lineage (generation 1): its chunks are the "
        + "restored backup's, only the head is new", m, null, new BackupManifest.Rank(1, restoredDevice, 1),
        ids(small), m.small(), NOW + 100);

    // Restores of those backups.
    restore(cases, "restore the small backup", m, heads(small), chunks(small), null, null, null);
    restore(cases, "restore the backup with no part", m, heads(empty), chunks(empty), null, null, null);
    restore(cases, "restore the settings-only backup", m, heads(settingsOnly), chunks(settingsOnly), null, null, null);
    restore(cases, "restore the contacts-only backup", m, heads(contactsOnly), chunks(contactsOnly), null, null, null);
    restore(cases, "restore the passphrase backup", m, heads(withPassphrase), chunks(withPassphrase), null, null,
        "correct hors\u00e9");
    restore(cases, "restore the passphrase backup, the passphrase typed in decomposed form (NFC)", m,
        heads(withPassphrase), chunks(withPassphrase), null, null, "correct horse\u0301");
    restore(cases, "restore the backup of several chunks from its file", m, null, null,
        Bytes.hex(fileOf(large)), null, null);
    List<String> both = chunks(incremental);
    restore(cases, "restore the newest of two heads (given oldest first), its chunks given in reverse order", m,
        List.of(hex(large, "head"), hex(incremental, "head")), reversed(both), null, null, null);
    restore(cases, "restore with the floor at the restored backup's own rank", m, heads(incremental), both, null,
        new BackupManifest.Rank(0, m.device, 2), null);
    restore(cases, "restore the restored lineage's claim: generation 1 outranks generation 0 of a higher counter",
        m, List.of(hex(incremental, "head"), hex(claim, "head")), chunks(claim), null, null, null);
    restore(cases, "a tampered copy of a chunk given before a good one: the good one is read", m, heads(small),
        List.of(Bytes.hex(Texts.flip(Bytes.unhex(chunks(small).get(0)), 200)), chunks(small).get(0)), null, null,
        null);

    invalidHeads(cases, m, small);
    invalidManifests(cases, m);
    invalidRestores(cases, m, small, large, incremental, withPassphrase);
    invalidChunks(cases, m);
    invalidRecords(cases, m);
    invalidFiles(cases, m, small);
    return cases.toArray();
  }

  private static List<BackupContents.Message> append(List<BackupContents.Message> a, List<BackupContents.Message> b) {
    List<BackupContents.Message> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** The file of a backup case's head and chunks (spec: backup.adoc#backup-file). */
  private static byte[] fileOf(ObjectNode backupCase) {
    Writer w = new Writer().u8(0x02).u16(1 + chunks(backupCase).size());
    byte[] head = Bytes.unhex(hex(backupCase, "head"));
    w.u32(head.length).bytes(head);
    for (String c : chunks(backupCase)) {
      w.u32(c.length() / 2).bytes(Bytes.unhex(c));
    }
    return w.toByteArray();
  }

  private static List<String> reversed(List<String> list) {
    List<String> out = new ArrayList<>(list);
    java.util.Collections.reverse(out);
    return out;
  }

  private static String hex(ObjectNode backupCase, String field) {
    return backupCase.path("output").path(field).asText();
  }

  private static List<String> heads(ObjectNode backupCase) {
    return List.of(hex(backupCase, "head"));
  }

  private static List<String> chunks(ObjectNode backupCase) {
    List<String> out = new ArrayList<>();
    backupCase.path("output").path("chunks").forEach(c -> out.add(c.asText()));
    return out;
  }

  private static List<byte[]> ids(ObjectNode backupCase) {
    List<byte[]> out = new ArrayList<>();
    backupCase.path("output").path("chunk_ids").forEach(c -> out.add(Bytes.unhex(c.asText())));
    return out;
  }

  private static ObjectNode passphrase(String passphrase, ObjectNode argon2) {
    ObjectNode p = argon2.deepCopy();
    p.put("passphrase", passphrase);
    return p;
  }

  // ------------------------------------------------------------------ derive_keys

  private static byte[] nfc(String passphrase) {
    return Normalizer.normalize(passphrase, Normalizer.Form.NFC).getBytes(StandardCharsets.UTF_8);
  }

  private static void deriveKeys(Cases cases, String comment, byte[] seed, byte[] linkKey, String passphrase,
      ObjectNode argon2) {
    ObjectNode in = Json.object().put("seed", Bytes.hex(seed)).put("link_key", Bytes.hex(linkKey));
    if (passphrase == null) {
      in.putNull("passphrase");
      in.putNull("argon2");
    } else {
      in.put("passphrase", passphrase);
      in.set("argon2", argon2);
    }
    // Computed here from the primitives, not through the library's backup code.
    byte[] empty = new byte[0];
    byte[] signingPrivate = Hkdf.derive(empty, seed, Labels.BACKUP_SIGNING_KEY, 32);
    ObjectNode out = Json.object()
        .put("signing_private", Bytes.hex(signingPrivate))
        .put("signing_key", Bytes.hex(Ed25519.publicKey(signingPrivate)))
        .put("manifest_key", Bytes.hex(Hkdf.derive(empty, seed, Labels.BACKUP_MANIFEST_KEY, 32)))
        .put("head_tag", Bytes.hex(Hkdf.derive(empty, seed, Labels.BACKUP_HEAD_TAG, 16)))
        .put("tag_key", Bytes.hex(Hkdf.derive(empty, seed, Labels.BACKUP_CHUNK_TAG, 32)))
        .put("argon2_salt", Bytes.hex(Hkdf.derive(empty, seed, Labels.BACKUP_ARGON2_SALT, 16)))
        .put("credential", Bytes.hex(Hkdf.derive(empty, seed, Bytes.concat(Labels.BACKUP_CREDENTIAL,
            KeyCodec.x25519(linkKey)), 32)));
    byte[] salt = empty;
    if (passphrase == null) {
      out.putNull("passphrase_bytes");
      out.putNull("argon2_output");
    } else {
      byte[] p = nfc(passphrase);
      salt = Argon2id.derive(p, Hkdf.derive(empty, seed, Labels.BACKUP_ARGON2_SALT, 16), argon2.path("memory").asInt(),
          argon2.path("iterations").asInt(), argon2.path("parallelism").asInt(), 32);
      out.put("passphrase_bytes", Bytes.hex(p));
      out.put("argon2_output", Bytes.hex(salt));
    }
    byte[] content = Hkdf.derive(salt, seed, Labels.BACKUP_CONTENT_KEY, 32);
    out.put("content_key", Bytes.hex(content))
        .put("id_key", Bytes.hex(Hkdf.derive(empty, content, Labels.BACKUP_CHUNK_ID, 32)))
        .put("cut_key", Bytes.hex(Hkdf.derive(empty, content, Labels.BACKUP_CUT, 32)));
    if (passphrase == null) {
      out.putNull("check");
    } else {
      out.put("check", Bytes.hex(Arrays.copyOf(Hmac.sha256(content, Labels.BACKUP_PASSPHRASE_CHECK), 16)));
    }
    cases.valid("derive_keys", comment, in, out);
  }

  // ------------------------------------------------------------------ backup

  private static BackupProtection protection(JsonNode p) {
    if (p == null || p.isNull()) {
      return BackupProtection.none();
    }
    return BackupProtection.passphrase(p.path("passphrase").asText().toCharArray(), new BackupProtection.Argon2(
        p.path("memory").asInt(), p.path("iterations").asInt(), p.path("parallelism").asInt()));
  }

  private ObjectNode backup(Cases cases, String comment, Material m, ObjectNode protection, BackupManifest.Rank last,
      List<byte[]> previous, BackupContents contents, long now) {
    ObjectNode in = Json.object().put("seed", Bytes.hex(m.aliceSeed));
    if (protection == null) {
      in.putNull("protection");
    } else {
      in.set("protection", protection);
    }
    in.set("lineage", BackupJson.rank(last));
    ArrayNode prev = in.putArray("previous_chunk_ids");
    previous.forEach(id -> prev.add(Bytes.hex(id)));
    in.set("contents", BackupJson.contents(contents));
    in.put("now", now);
    Backup backup = BackupWriter.continuing(m.alice, protection(protection), last, previous)
        .write(contents, Instant.ofEpochSecond(now));
    return cases.valid("backup", comment, in, backupOutput(backup, m.alice));
  }

  private static ObjectNode backupOutput(Backup backup, BackupKeys keys) {
    Backup.Trace trace = backup.trace(InsecureSecretAccess.get());
    ObjectNode out = Json.object();
    ArrayNode records = out.putArray("records");
    trace.records().forEach(r -> records.add(Bytes.hex(r)));
    ArrayNode cuts = out.putArray("cuts");
    long end = 0;
    for (byte[] d : trace.chunkData()) {
      end += d.length;
      cuts.add(end);
    }
    ArrayNode ids = out.putArray("chunk_ids");
    trace.chunkIds().forEach(id -> ids.add(Bytes.hex(id)));
    ArrayNode tags = out.putArray("chunk_tags");
    trace.chunkIds().forEach(id -> tags.add(Bytes.hex(keys.chunkTag(id))));
    ArrayNode chunks = out.putArray("chunks");
    backup.chunks().forEach(e -> chunks.add(Bytes.hex(e.encoded())));
    ArrayNode fresh = out.putArray("new_tags");
    backup.newChunks().forEach(e -> fresh.add(Bytes.hex(e.tag())));
    ArrayNode obsolete = out.putArray("obsolete_tags");
    backup.obsoleteTags().forEach(t -> obsolete.add(Bytes.hex(t)));
    out.put("manifest", Bytes.hex(trace.manifest()));
    out.put("head", Bytes.hex(backup.head().encoded()));
    if (backup.chunks().size() <= 1) {
      out.put("file", Bytes.hex(backup.file()));
    } else {
      out.putNull("file");
    }
    return out;
  }

  // ------------------------------------------------------------------ restore

  private void restore(Cases cases, String comment, Material m, List<String> heads, List<String> chunks, String file,
      BackupManifest.Rank floor, String passphrase) {
    ObjectNode in = restoreInput(m.aliceSeed, heads, chunks, file, floor, passphrase, m.random.bytes(16));
    try {
      BackupRestore.Restored r = run(in);
      cases.valid("restore", comment, in, restoreOutput(r));
    } catch (SottoException e) {
      throw new IllegalStateException("generator: a valid restore failed: " + comment, e);
    }
  }

  private void refuse(Cases cases, String comment, byte[] seed, List<String> heads, List<String> chunks, String file,
      BackupManifest.Rank floor, String passphrase, ErrorCode error) {
    cases.invalid("restore", comment, restoreInput(seed, heads, chunks, file, floor, passphrase, new byte[16]), error);
  }

  private static ObjectNode restoreInput(byte[] seed, List<String> heads, List<String> chunks, String file,
      BackupManifest.Rank floor, String passphrase, byte[] device) {
    ObjectNode in = Json.object().put("seed", Bytes.hex(seed));
    if (file != null) {
      in.put("file", file);
    } else {
      ArrayNode h = in.putArray("heads");
      heads.forEach(h::add);
      ArrayNode c = in.putArray("chunks");
      chunks.forEach(c::add);
    }
    if (floor == null) {
      in.putNull("floor");
    } else {
      in.set("floor", BackupJson.rank(floor));
    }
    if (passphrase == null) {
      in.putNull("passphrase");
    } else {
      in.put("passphrase", passphrase);
    }
    in.putObject("random").put("device", Bytes.hex(device));
    return in;
  }

  private static ObjectNode restoreOutput(BackupRestore.Restored r) {
    ObjectNode out = Json.object();
    out.set("manifest", BackupJson.manifest(r.manifest()));
    out.set("contents", BackupJson.contents(r.contents()));
    out.set("next", BackupJson.rank(r.writer().next()));
    return out;
  }

  private static BackupRestore.Restored run(JsonNode in) throws SottoException {
    BackupKeys keys = BackupKeys.of(IdentitySeed.fromBytes(Json.hex(in, "seed")));
    List<byte[]> heads = new ArrayList<>();
    List<byte[]> chunks = new ArrayList<>();
    if (in.has("file")) {
      BackupFile file = BackupFile.parse(Json.hex(in, "file"));
      heads.add(file.head());
      chunks.addAll(file.chunks());
    } else {
      in.path("heads").forEach(h -> heads.add(Bytes.unhex(h.asText())));
      in.path("chunks").forEach(c -> chunks.add(Bytes.unhex(c.asText())));
    }
    JsonNode floor = in.get("floor");
    JsonNode passphrase = in.get("passphrase");
    TestRandom.Replay random = TestRandom.replay(Json.hex(in.path("random"), "device"));
    BackupRestore.Restored r = BackupRestore.restore(keys, heads, chunks,
        floor == null || floor.isNull() ? null : BackupJson.rank(floor),
        passphrase == null || passphrase.isNull() ? null : passphrase.asText().toCharArray(), random);
    random.assertExhausted();
    return r;
  }

  // ------------------------------------------------------------------ crafting

  /** A head sealed here, from the manifest plaintext given (spec: backup.adoc#backup-manifest). */
  private static byte[] sealHead(SeedKeys keys, byte[] plaintext) {
    byte[] manifestKey = keys.manifestKey();
    byte[] siv = Arrays.copyOf(Hmac.sha256(manifestKey, Labels.BACKUP_MANIFEST_SIV, plaintext), 16);
    byte[] keyAndNonce = Hkdf.derive(siv, manifestKey, Labels.BACKUP_MANIFEST_SEAL, 44);
    return Bytes.concat(new byte[] {Envelope.VERSION}, keys.headTag(), siv, Aead.sealWith(keyAndNonce, new byte[0],
        plaintext));
  }

  /** The body edited, signed with {@code signer} (bk_private for a well-signed one), padded into the smallest bucket. */
  private static byte[] head(SeedKeys keys, byte[] body, byte[] signer, int padding) {
    byte[] signed = Bytes.concat(body, Ed25519.sign(signer, Bytes.concat(Labels.BACKUP_SIGNATURE, body)));
    int bucket = Chunks.bucket(17L + 16 + signed.length + 16);
    byte[] plaintext = Arrays.copyOf(signed, bucket - 49);
    if (padding != 0) {
      plaintext[plaintext.length - 1] = (byte) padding;
    }
    return sealHead(keys, plaintext);
  }

  private static Manifest manifest(byte[] device, long generation, int parts, Manifest.Passphrase p, List<byte[]> ids) {
    return new Manifest(generation, device, 1, NOW, parts, p, ids);
  }

  /** A backup whose records are the bytes given (each whole), sealed and listed by the rules. */
  private static List<List<String>> crafted(SeedKeys keys, ContentKeys content, byte[] device, int parts,
      List<byte[]> records) {
    List<String> chunks = new ArrayList<>();
    List<byte[]> ids = new ArrayList<>();
    for (byte[] d : Chunks.cut(records, content)) {
      Chunks.Sealed s = Chunks.seal(d, content, keys);
      chunks.add(Bytes.hex(s.envelope()));
      ids.add(s.id());
    }
    byte[] head = manifest(device, 0, parts, null, ids).seal(keys);
    return List.of(List.of(Bytes.hex(head)), chunks);
  }

  private static byte[] record(int type, byte[] body) {
    return new Writer().u8(type).u32(body.length).bytes(body).toByteArray();
  }

  // ------------------------------------------------------------------ refusals

  private void invalidHeads(Cases cases, Material m, ObjectNode small) {
    byte[] head = Bytes.unhex(hex(small, "head"));
    List<String> chunks = chunks(small);
    byte[] a = m.aliceSeed;
    refuse(cases, "another identity's restorer: the head's tag is not its head tag", m.mallorySeed,
        List.of(Bytes.hex(head)), chunks, null, null, null, ErrorCode.UNKNOWN_TAG);
    byte[] retagged = head.clone();
    System.arraycopy(new SeedKeys(m.mallorySeed).headTag(), 0, retagged, 1, 16);
    refuse(cases, "another identity's restorer, the head given its head tag: the AEAD fails", m.mallorySeed,
        List.of(Bytes.hex(retagged)), chunks, null, null, null, ErrorCode.AUTH_FAILED);
    refuse(cases, "an empty head", a, List.of(""), chunks, null, null, null, ErrorCode.TRUNCATED);
    refuse(cases, "a head of envelope version 0x01", a, List.of(Bytes.hex(Texts.with(head, 0, 0x01))), chunks, null,
        null, null, ErrorCode.UNSUPPORTED_VERSION);
    refuse(cases, "a head of 1,000 bytes: no bucket size", a, List.of(Bytes.hex(Arrays.copyOf(head, 1000))), chunks,
        null, null, null, ErrorCode.INVALID_ENCODING);
    refuse(cases, "a head with one bit of its siv flipped", a, List.of(Bytes.hex(Texts.flip(head, 20))), chunks, null,
        null, null, ErrorCode.AUTH_FAILED);
    refuse(cases, "a head with one bit of its sealed manifest flipped", a, List.of(Bytes.hex(Texts.flip(head, 40))),
        chunks, null, null, null, ErrorCode.AUTH_FAILED);
    refuse(cases, "a head with one bit of its AEAD tag flipped", a,
        List.of(Bytes.hex(Texts.flip(head, head.length - 1))), chunks, null, null, null, ErrorCode.AUTH_FAILED);
    refuse(cases, "two heads, neither opens: the first one's error", a,
        List.of(Bytes.hex(Texts.with(head, 0, 0x03)), Bytes.hex(Texts.flip(head, 40))), chunks, null, null, null,
        ErrorCode.UNSUPPORTED_VERSION);
  }

  private void invalidManifests(Cases cases, Material m) {
    SeedKeys k = m.aliceKeys;
    byte[] bk = k.signingPrivate();
    byte[] a = m.aliceSeed;
    Manifest base = manifest(m.device, 0, 0, null, List.of());
    byte[] body = base.body();
    record Edit(String comment, UnaryOperator<byte[]> edit, ErrorCode error) {}
    List<Edit> edits = List.of(
        new Edit("manifest version 0x03 (an unknown version)", b -> Texts.with(b, 0, 0x03), ErrorCode.UNSUPPORTED_VERSION),
        new Edit("manifest version 0x01", b -> Texts.with(b, 0, 0x01), ErrorCode.UNSUPPORTED_VERSION),
        new Edit("manifest suite 0x0002", b -> Texts.with(b, 2, 0x02), ErrorCode.UNSUPPORTED_SUITE),
        new Edit("counter 0", b -> Texts.replace(b, 23, new byte[8]), ErrorCode.INVALID_ENCODING),
        new Edit("counter 2^63", b -> Texts.replace(b, 23, Bytes.unhex("8000000000000000")),
            ErrorCode.INVALID_ENCODING),
        new Edit("created 253402300800, after 9999-12-31T23:59:59Z",
            b -> Texts.replace(b, 31, new Writer().u64(253_402_300_800L).toByteArray()), ErrorCode.INVALID_ENCODING),
        new Edit("parts with the undefined bit 3", b -> Texts.with(b, 39, 0x08), ErrorCode.INVALID_ENCODING),
        new Edit("parts: history without contacts", b -> Texts.with(b, 39, 0x04), ErrorCode.INVALID_ENCODING),
        new Edit("protection 0x02", b -> Texts.with(b, 40, 0x02), ErrorCode.INVALID_ENCODING),
        new Edit("chunk_count 2,001", b -> Texts.replace(b, 41, new byte[] {0x07, (byte) 0xd1}),
            ErrorCode.INVALID_ENCODING),
        new Edit("chunk_count 2,000 in a 1 KiB head: the ids run past the plaintext",
            b -> Texts.replace(b, 41, new byte[] {0x07, (byte) 0xd0}), ErrorCode.TRUNCATED));
    for (Edit e : edits) {
      refuse(cases, e.comment(), a, List.of(Bytes.hex(head(k, e.edit().apply(body), bk, 0))), List.of(), null, null,
          null, e.error());
    }
    refuse(cases, "a manifest with a non-zero padding byte", a, List.of(Bytes.hex(head(k, body, bk, 0x01))), List.of(),
        null, null, null, ErrorCode.INVALID_ENCODING);
    byte[] signed = base.encode(k);
    refuse(cases, "a manifest whose signature has a bit flipped", a,
        List.of(Bytes.hex(sealHead(k, Arrays.copyOf(Texts.flip(signed, signed.length - 40), 1024 - 49)))), List.of(),
        null, null, null, ErrorCode.BAD_SIGNATURE);
    byte[] identityKey = Identity.fromSeed(IdentitySeed.fromBytes(a)).derivedKeys(InsecureSecretAccess.get())
        .ed25519Private();
    refuse(cases, "a manifest signed with the identity signing key, not BK", a,
        List.of(Bytes.hex(head(k, body, identityKey, 0))), List.of(), null, null, null, ErrorCode.BAD_SIGNATURE);
    refuse(cases, "a manifest that ends inside its signature: 4 of its 64 bytes before the plaintext ends", a,
        List.of(Bytes.hex(sealHead(k, Arrays.copyOf(Bytes.concat(Texts.replace(body, 41, new byte[] {0, 29}),
            new byte[29 * 32]), 1024 - 49)))), List.of(), null, null, null, ErrorCode.TRUNCATED);
    record Params(String comment, long memory, long iterations, int parallelism) {}
    for (Params p : List.of(
        new Params("memory 1,048,577 KiB, above 1 GiB", 1_048_577, 1, 1),
        new Params("iterations 17", 64, 17, 1),
        new Params("parallelism 0", 64, 1, 0),
        new Params("parallelism 5", 64, 1, 5),
        new Params("memory 15 KiB with 2 lanes, below 8 per lane", 15, 1, 2),
        new Params("memory 1 GiB and 3 iterations, more than 2 GiB of passes", 1_048_576, 3, 1),
        new Params("memory 2^32 - 1 KiB", 0xffffffffL, 1, 1),
        new Params("iterations 0", 64, 0, 1))) {
      Manifest bad = manifest(m.device, 0, 0, new Manifest.Passphrase(p.memory(), p.iterations(), p.parallelism(),
          new byte[16]), List.of());
      refuse(cases, "Argon2id parameters out of bounds: " + p.comment() + " (refused before Argon2id runs)", a,
          List.of(Bytes.hex(head(k, bad.body(), bk, 0))), List.of(), null, null, "any passphrase",
          ErrorCode.INVALID_ENCODING);
    }
    refuse(cases, "generation 4,294,967,295: no generation can follow it", a,
        List.of(Bytes.hex(manifest(m.device, 0xffffffffL, 0, null, List.of()).seal(k))), List.of(), null, null, null,
        ErrorCode.LIMIT_EXCEEDED);
  }

  private void invalidRestores(Cases cases, Material m, ObjectNode small, ObjectNode large, ObjectNode incremental,
      ObjectNode withPassphrase) {
    byte[] a = m.aliceSeed;
    refuse(cases, "rollback: the only head given is older than the floor (the counter of a newer backup known)", a,
        heads(large), List.of(), null, new BackupManifest.Rank(0, m.device, 2), null, ErrorCode.REPLAY);
    refuse(cases, "rollback: a generation-0 head below a floor of generation 1 (refused before any chunk is read)", a,
        heads(incremental), List.of(), null, new BackupManifest.Rank(1, new byte[16], 1), null, ErrorCode.REPLAY);
    byte[] higherDevice = m.device.clone();
    higherDevice[15]++;
    refuse(cases, "rollback: the same generation, a floor of a greater device number", a, heads(incremental),
        List.of(), null, new BackupManifest.Rank(0, higherDevice, 1), null, ErrorCode.REPLAY);
    refuse(cases, "a wrong passphrase: the check fails before any chunk is read", a, heads(withPassphrase), List.of(),
        null, null, "correct horse", ErrorCode.AUTH_FAILED);
    List<String> missing = new ArrayList<>(chunks(large));
    missing.remove(1);
    refuse(cases, "a missing chunk (the second)", a, heads(large), missing, null, null, null, ErrorCode.TRUNCATED);
    refuse(cases, "no chunk at all given for a backup of one", a, heads(small), List.of(), null, null, null,
        ErrorCode.TRUNCATED);
    List<String> tampered = new ArrayList<>(chunks(large));
    tampered.set(1, Bytes.hex(Texts.flip(Bytes.unhex(tampered.get(1)), 30_000)));
    refuse(cases, "a tampered chunk: one bit of its body flipped", a, heads(large), tampered, null, null, null,
        ErrorCode.AUTH_FAILED);
    List<String> swapped = new ArrayList<>(chunks(large));
    byte[] second = Bytes.unhex(swapped.get(2));
    System.arraycopy(Bytes.unhex(swapped.get(1)), 1, second, 1, 16);
    swapped.set(1, Bytes.hex(second));
    refuse(cases, "a chunk envelope given another chunk's tag: the AEAD fails", a, heads(large), swapped, null,
        null, null, ErrorCode.AUTH_FAILED);
    List<String> cut = new ArrayList<>(chunks(small));
    cut.set(0, cut.get(0).substring(0, 2000));
    refuse(cases, "a chunk envelope of 1,000 bytes: no bucket size", a, heads(small), cut, null, null, null,
        ErrorCode.INVALID_ENCODING);
    List<String> version = new ArrayList<>(chunks(small));
    version.set(0, "01" + version.get(0).substring(2));
    refuse(cases, "a chunk envelope of version 0x01", a, heads(small), version, null, null, null,
        ErrorCode.UNSUPPORTED_VERSION);
  }

  private void invalidChunks(Cases cases, Material m) {
    SeedKeys k = m.aliceKeys;
    ContentKeys c = m.aliceContent;
    byte[] data = record(0x03, new Writer().u8(1).bytes("a".getBytes(StandardCharsets.US_ASCII)).toByteArray());
    byte[] id = c.chunkId(data);
    record Plain(String comment, byte[] plaintext, ErrorCode error) {}
    byte[] good = Arrays.copyOf(Bytes.concat(new Writer().u32(data.length).toByteArray(), data), 1024 - 33);
    byte[] other = record(0x03, new Writer().u8(1).bytes("b".getBytes(StandardCharsets.US_ASCII)).toByteArray());
    for (Plain p : List.of(
        new Plain("a chunk whose length is 0", Arrays.copyOf(new byte[0], 1024 - 33), ErrorCode.INVALID_ENCODING),
        new Plain("a chunk whose length is more than the plaintext holds",
            Texts.replace(good, 0, new Writer().u32(1024).toByteArray()), ErrorCode.TRUNCATED),
        new Plain("a chunk with a non-zero padding byte", Texts.with(good, good.length - 1, 0x01),
            ErrorCode.INVALID_ENCODING),
        new Plain("a chunk sealed under its id's key whose data is not that id's", Arrays.copyOf(Bytes.concat(
            new Writer().u32(other.length).toByteArray(), other), 1024 - 33), ErrorCode.AUTH_FAILED))) {
      byte[] keyAndNonce = c.chunkKeyAndNonce(id);
      byte[] envelope = Bytes.concat(new byte[] {Envelope.VERSION}, k.chunkTag(id), Aead.sealWith(keyAndNonce,
          new byte[0], p.plaintext()));
      byte[] head = manifest(m.device, 0, Manifest.PART_SETTINGS, null, List.of(id)).seal(k);
      refuse(cases, p.comment(), m.aliceSeed, List.of(Bytes.hex(head)), List.of(Bytes.hex(envelope)), null, null, null,
          p.error());
    }
  }

  private void invalidRecords(Cases cases, Material m) {
    SeedKeys k = m.aliceKeys;
    ContentKeys c = m.aliceContent;
    int all = Manifest.PART_CONTACTS | Manifest.PART_SETTINGS | Manifest.PART_HISTORY;
    Card peer = m.contactCards.get(0);
    Card peer2 = m.contactCards.get(1);
    byte[] peerId = peer.identity().encoded();
    byte[] name = "Bob".getBytes(StandardCharsets.UTF_8);
    record Contact(long id, byte[] identity, int status, int flags, long added, byte[] name, byte[] card, byte[] tail) {
      byte[] body() {
        return new Writer().u32(id).bytes(identity).u8(status).u8(flags).u64(added).u8(name.length).bytes(name)
            .u16(card.length).bytes(card).u64(4).u64(5).bytes(tail).toByteArray();
      }

      Contact with(int f) {
        return new Contact(id, identity, status, f, added, name, card, tail);
      }
    }
    Contact ok = new Contact(100, peerId, 1, 0, NOW, name, peer.encoded(), new byte[0]);
    byte[] okRecord = record(0x02, ok.body());
    byte[] setting = record(0x03, new Writer().u8(1).bytes(new byte[] {'a'}).toByteArray());
    byte[] message = record(0x04, new Writer().u32(100).u8(0).u8(2).u64(1).u64(NOW).u64(NOW)
        .bytes("hi".getBytes(StandardCharsets.UTF_8)).toByteArray());
    byte[] own = record(0x01, m.ownCard.encoded());
    record Records(String comment, int parts, List<byte[]> records, ErrorCode error) {}
    byte[] badSignature = Texts.flip(peer.encoded(), peer.encoded().length - 5);
    byte[] smallOrder = Texts.replace(peerId, 36, Crafted.SMALL_ORDER_X25519);
    List<Records> list = new ArrayList<>(List.of(
        new Records("an undefined record type 0x05", all, List.of(record(0x05, new byte[0])), ErrorCode.INVALID_ENCODING),
        new Records("an undefined record type 0x00", all, List.of(record(0x00, new byte[0])), ErrorCode.INVALID_ENCODING),
        new Records("records out of order: a setting before a contact", all, List.of(setting, okRecord),
            ErrorCode.INVALID_ENCODING),
        new Records("a setting in a backup whose manifest lists no settings part", Manifest.PART_CONTACTS,
            List.of(okRecord, setting), ErrorCode.INVALID_ENCODING),
        new Records("a record whose length runs past the records", all,
            List.of(Arrays.copyOf(setting, setting.length - 1)), ErrorCode.TRUNCATED),
        new Records("records that end inside a record's length field", all, List.of(setting, new byte[] {0x03, 0}),
            ErrorCode.TRUNCATED),
        new Records("a contact record with a byte after next_out (no reset flag)", all,
            List.of(record(0x02, new Contact(100, peerId, 1, 0, NOW, name, peer.encoded(), new byte[] {0}).body())),
            ErrorCode.TRAILING_DATA),
        new Records("a contact whose flags say reset_in but whose body ends after next_out", all,
            List.of(record(0x02, ok.with(0x04).body())), ErrorCode.TRUNCATED),
        new Records("two contacts with the same id", all, List.of(okRecord, record(0x02, new Contact(100,
            peer2.identity().encoded(), 1, 0, NOW, name, peer2.encoded(), new byte[0]).body())),
            ErrorCode.INVALID_ENCODING),
        new Records("two contacts with one identity", all, List.of(okRecord, record(0x02, new Contact(101, peerId, 1, 0,
            NOW, name, new byte[0], new byte[0]).body())), ErrorCode.INVALID_ENCODING),
        new Records("a contact that is the restoring identity", all, List.of(record(0x02, new Contact(100,
            m.ownCard.identity().encoded(), 1, 0, NOW, name, new byte[0], new byte[0]).body())),
            ErrorCode.INVALID_ENCODING),
        new Records("a contact's identity of suite 0x0002", all, List.of(record(0x02, new Contact(100,
            Texts.with(peerId, 1, 2), 1, 0, NOW, name, new byte[0], new byte[0]).body())), ErrorCode.UNSUPPORTED_SUITE),
        new Records("a contact's identity DH key of small order", all, List.of(record(0x02, new Contact(100,
            smallOrder, 1, 0, NOW, name, new byte[0], new byte[0]).body())), ErrorCode.INVALID_KEY),
        new Records("a contact status 0x04", all, List.of(record(0x02, new Contact(100, peerId, 4, 0, NOW, name,
            new byte[0], new byte[0]).body())), ErrorCode.INVALID_ENCODING),
        new Records("a contact with the undefined flag bit 4", all, List.of(record(0x02, ok.with(0x10).body())),
            ErrorCode.INVALID_ENCODING),
        new Records("a contact added after 9999-12-31T23:59:59Z", all, List.of(record(0x02, new Contact(100, peerId, 1,
            0, 253_402_300_800L, name, new byte[0], new byte[0]).body())), ErrorCode.INVALID_ENCODING),
        new Records("a contact name of 0 bytes", all, List.of(record(0x02, new Contact(100, peerId, 1, 0, NOW,
            new byte[0], new byte[0], new byte[0]).body())), ErrorCode.INVALID_ENCODING),
        new Records("a contact name that is not UTF-8", all, List.of(record(0x02, new Contact(100, peerId, 1, 0, NOW,
            new byte[] {'B', (byte) 0xc3}, new byte[0], new byte[0]).body())), ErrorCode.INVALID_ENCODING),
        new Records("a contact's card of another identity", all, List.of(record(0x02, new Contact(100, peerId, 1, 0,
            NOW, name, peer2.encoded(), new byte[0]).body())), ErrorCode.IDENTITY_MISMATCH),
        new Records("a contact's card whose signature fails", all, List.of(record(0x02, new Contact(100, peerId, 1, 0,
            NOW, name, badSignature, new byte[0]).body())), ErrorCode.BAD_SIGNATURE),
        new Records("a contact's card of version 0x01", all, List.of(record(0x02, new Contact(100, peerId, 1, 0, NOW,
            name, Texts.with(peer.encoded(), 0, 0x01), new byte[0]).body())), ErrorCode.UNSUPPORTED_VERSION),
        new Records("a contact's card followed by a byte inside card_length", all, List.of(record(0x02, new Contact(100,
            peerId, 1, 0, NOW, name, Bytes.concat(peer.encoded(), new byte[1]), new byte[0]).body())),
            ErrorCode.TRAILING_DATA),
        new Records("an own card of another identity", all, List.of(record(0x01, peer.encoded())),
            ErrorCode.IDENTITY_MISMATCH),
        new Records("a setting key of 0 bytes", all, List.of(record(0x03, new byte[] {0})), ErrorCode.INVALID_ENCODING),
        new Records("a setting key with an uppercase letter", all, List.of(record(0x03, new byte[] {1, 'A'})),
            ErrorCode.INVALID_ENCODING),
        new Records("two settings with one key", all, List.of(setting, setting), ErrorCode.INVALID_ENCODING),
        new Records("settings out of key order", all, List.of(record(0x03, new byte[] {1, 'b'}), setting),
            ErrorCode.INVALID_ENCODING),
        new Records("a setting value of 65,537 bytes", all, List.of(record(0x03, Bytes.concat(new byte[] {1, 'a'},
            new byte[65_537]))), ErrorCode.INVALID_ENCODING),
        new Records("a message of a contact the backup does not hold", all, List.of(okRecord, record(0x04,
            Texts.replace(Arrays.copyOfRange(message, 5, message.length), 0, new byte[] {0, 0, 0, 101}))),
            ErrorCode.INVALID_ENCODING),
        new Records("a message with the undefined flag bit 2", all, List.of(okRecord, record(0x04,
            Texts.with(Arrays.copyOfRange(message, 5, message.length), 4, 0x04))), ErrorCode.INVALID_ENCODING),
        new Records("a message of kind 0x03 (a RESET)", all, List.of(okRecord, record(0x04,
            Texts.with(Arrays.copyOfRange(message, 5, message.length), 5, 0x03))), ErrorCode.INVALID_ENCODING),
        new Records("a message whose seq is 2^63", all, List.of(okRecord, record(0x04,
            Texts.with(Arrays.copyOfRange(message, 5, message.length), 6, 0x80))), ErrorCode.INVALID_ENCODING),
        new Records("a message whose text is not UTF-8 (an encoded surrogate)", all, List.of(okRecord, record(0x04,
            Bytes.concat(Arrays.copyOfRange(message, 5, message.length - 2), Bytes.unhex("eda080")))),
            ErrorCode.INVALID_ENCODING),
        new Records("a message record shorter than its fixed fields", all, List.of(okRecord, record(0x04,
            Arrays.copyOfRange(message, 5, 20))), ErrorCode.TRUNCATED),
        new Records("a message of 65,537 bytes of text", all, List.of(okRecord, record(0x04, Bytes.concat(
            Arrays.copyOfRange(message, 5, message.length - 2), "y".repeat(65_537).getBytes(StandardCharsets.UTF_8)))),
            ErrorCode.INVALID_ENCODING)));
    List<byte[]> seventeen = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      seventeen.add(own);
    }
    list.add(new Records("17 own cards", all, seventeen, ErrorCode.INVALID_ENCODING));
    for (Records r : list) {
      List<List<String>> backup = crafted(k, c, m.device, r.parts(), r.records());
      refuse(cases, r.comment(), m.aliceSeed, backup.get(0), backup.get(1), null, null, null, r.error());
    }
    // The records of a backup without a history part hold no message, and one with every part reads.
    List<List<String>> fine = crafted(k, c, m.device, all, List.of(own, okRecord, setting, message));
    restore(cases, "crafted records of every type, in order, as the rules allow", m, fine.get(0), fine.get(1), null,
        null, null);
  }

  private void invalidFiles(Cases cases, Material m, ObjectNode small) {
    byte[] file = Bytes.unhex(hex(small, "file"));
    byte[] a = m.aliceSeed;
    refuse(cases, "a file of version 0x01", a, null, null, Bytes.hex(Texts.with(file, 0, 0x01)), null, null,
        ErrorCode.UNSUPPORTED_VERSION);
    refuse(cases, "an empty file", a, null, null, "", null, null, ErrorCode.TRUNCATED);
    refuse(cases, "a file whose count is 0", a, null, null, Bytes.hex(Texts.replace(file, 1, new byte[2])), null,
        null, ErrorCode.INVALID_ENCODING);
    refuse(cases, "a file whose count is 2,002", a, null, null, Bytes.hex(Texts.replace(file, 1,
        new byte[] {0x07, (byte) 0xd2})), null, null, ErrorCode.INVALID_ENCODING);
    refuse(cases, "a file whose first length is no bucket size", a, null, null, Bytes.hex(Texts.replace(file, 3,
        new Writer().u32(1000).toByteArray())), null, null, ErrorCode.INVALID_ENCODING);
    refuse(cases, "a file cut in its last envelope", a, null, null, Bytes.hex(Arrays.copyOf(file, file.length - 1)),
        null, null, ErrorCode.TRUNCATED);
    refuse(cases, "a file with a byte after its last envelope", a, null, null,
        Bytes.hex(Arrays.copyOf(file, file.length + 1)), null, null, ErrorCode.TRAILING_DATA);
    refuse(cases, "a file whose head envelope has version 0x01", a, null, null, Bytes.hex(Texts.with(file, 7, 0x01)),
        null, null, ErrorCode.UNSUPPORTED_VERSION);
    refuse(cases, "a file that holds only the head of a backup of one chunk", a, null, null,
        Bytes.hex(Texts.replace(Arrays.copyOf(file, 7 + hex(small, "head").length() / 2), 1, new byte[] {0, 1})), null,
        null, ErrorCode.TRUNCATED);
  }

  // ------------------------------------------------------------------ verification

  @Override
  public void verify(JsonNode testCase, CaseCheck check) {
    JsonNode in = check.input();
    try {
      switch (testCase.path("operation").asText()) {
        case "derive_keys" -> verifyKeys(in, check);
        case "backup" -> {
          BackupKeys keys = BackupKeys.of(IdentitySeed.fromBytes(Json.hex(in, "seed")));
          List<byte[]> previous = new ArrayList<>();
          in.path("previous_chunk_ids").forEach(id -> previous.add(Bytes.unhex(id.asText())));
          Backup backup = BackupWriter.continuing(keys, protection(in.get("protection")),
              BackupJson.rank(in.path("lineage")), previous)
              .write(BackupJson.contents(in.path("contents")), Instant.ofEpochSecond(in.path("now").asLong()));
          if (check.accepted()) {
            ObjectNode actual = backupOutput(backup, keys);
            actual.fieldNames().forEachRemaining(f -> compare(check, f, actual.get(f)));
          }
        }
        case "restore" -> {
          BackupRestore.Restored r = run(in);
          if (check.accepted()) {
            ObjectNode actual = restoreOutput(r);
            actual.fieldNames().forEachRemaining(f -> compare(check, f, actual.get(f)));
          }
        }
        default -> check.fail("unknown operation '" + testCase.path("operation").asText() + "'");
      }
    } catch (SottoException e) {
      check.rejected(e);
    }
  }

  /** Compares a JSON value of the output with the actual one, naming the first differing path. */
  private static void compare(CaseCheck check, String path, JsonNode actual) {
    JsonNode expected = at(check.output(), path);
    if (actual.isObject()) {
      actual.fieldNames().forEachRemaining(f -> compare(check, path + "." + f, actual.get(f)));
      if (expected.size() != actual.size()) {
        check.fail(path + ": expected " + expected.size() + " fields, actual " + actual.size());
      }
    } else if (actual.isArray()) {
      if (!expected.isArray() || expected.size() != actual.size()) {
        check.fail(path + ": expected " + (expected.isArray() ? expected.size() + " entries" : expected.toString())
            + ", actual " + actual.size() + " entries");
        return;
      }
      for (int i = 0; i < actual.size(); i++) {
        compare(check, path + "[" + i + "]", actual.get(i));
      }
    } else if (expected.isNumber() && actual.isNumber()) {
      if (!expected.bigIntegerValue().equals(actual.bigIntegerValue())) {
        check.fail(path + ": expected " + expected + ", actual " + actual);
      }
    } else if (!expected.equals(actual)) {
      check.fail(path + ": " + (expected.isTextual() && actual.isTextual()
          ? CaseCheck.describe(expected.asText(), actual.asText()) : "expected " + expected + ", actual " + actual));
    }
  }

  private static JsonNode at(JsonNode root, String path) {
    JsonNode node = root;
    for (String part : path.split("\\.")) {
      int bracket = part.indexOf('[');
      if (bracket >= 0) {
        node = node.path(part.substring(0, bracket));
        for (String index : part.substring(bracket + 1, part.length() - 1).split("\\]\\[")) {
          node = node.path(Integer.parseInt(index));
        }
      } else {
        node = node.path(part);
      }
    }
    return node;
  }

  private static void verifyKeys(JsonNode in, CaseCheck check) {
    byte[] seed = Json.hex(in, "seed");
    byte[] linkKey = Json.hex(in, "link_key");
    BackupKeys keys = BackupKeys.of(IdentitySeed.fromBytes(seed));
    BackupKeys.Derived derived = keys.derived(InsecureSecretAccess.get());
    if (!check.accepted()) {
      return;
    }
    check.bytes("signing_private", derived.signingPrivate());
    check.bytes("signing_key", keys.signingKey());
    check.bytes("manifest_key", derived.manifestKey());
    check.bytes("head_tag", keys.headTag());
    check.bytes("tag_key", derived.tagKey());
    check.bytes("argon2_salt", derived.argon2Salt());
    check.bytes("credential", keys.credential(linkKey));
    SeedKeys seedKeys = new SeedKeys(seed);
    ContentKeys content;
    JsonNode passphrase = in.get("passphrase");
    if (passphrase == null || passphrase.isNull()) {
      check.isNull("argon2_output");
      check.isNull("check");
      content = seedKeys.content(null);
    } else {
      JsonNode argon2 = in.path("argon2");
      byte[] p = nfc(passphrase.asText());
      check.bytes("passphrase_bytes", p);
      byte[] output = Argon2id.derive(p, derived.argon2Salt(), argon2.path("memory").asInt(),
          argon2.path("iterations").asInt(), argon2.path("parallelism").asInt(), 32);
      check.bytes("argon2_output", output);
      content = seedKeys.content(output);
      check.bytes("check", content.check());
    }
    check.bytes("content_key", content.contentKey());
    check.bytes("id_key", content.idKey());
    check.bytes("cut_key", content.cutKey());
  }
}
