package dev.sotto;

import dev.sotto.internal.backup.Manifest;
import dev.sotto.internal.encoding.Reader;
import dev.sotto.internal.encoding.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/** The records of a backup's contents, written and read (spec: backup.adoc#backup-records). */
final class BackupRecords {
  static final int OWN_CARD = 0x01;
  static final int CONTACT = 0x02;
  static final int SETTING = 0x03;
  static final int MESSAGE = 0x04;

  private static final int VERIFIED = 0x01;
  private static final int BLOCKED = 0x02;
  private static final int RESET_IN = 0x04;
  private static final int RESET_OUT = 0x08;
  private static final int INCOMING = 0x01;
  private static final int READ = 0x02;

  private BackupRecords() {}

  /** Each record whole (type, length, body), in the order of the format. */
  static List<byte[]> encode(BackupContents contents) {
    List<byte[]> records = new ArrayList<>();
    if (contents.hasContacts()) {
      for (Card card : contents.ownCards()) {
        records.add(record(OWN_CARD, card.encoded()));
      }
      for (BackupContents.Contact c : contents.contacts()) {
        records.add(record(CONTACT, contact(c)));
      }
    }
    if (contents.hasSettings()) {
      contents.settingsView().forEach((key, value) -> {
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        records.add(record(SETTING, new Writer().u8(k.length).bytes(k).bytes(value).toByteArray()));
      });
    }
    if (contents.hasHistory()) {
      for (BackupContents.Message m : contents.history()) {
        int flags = (m.incoming() ? INCOMING : 0) | (m.read() ? READ : 0);
        records.add(record(MESSAGE, new Writer().u32(m.contact()).u8(flags).u8(m.kind()).u64(m.seq()).u64(m.sentAt())
            .u64(m.storedAt()).bytes(m.text().getBytes(StandardCharsets.UTF_8)).toByteArray()));
      }
    }
    return records;
  }

  private static byte[] contact(BackupContents.Contact c) {
    int flags = (c.verified() ? VERIFIED : 0) | (c.blocked() ? BLOCKED : 0) | (c.resetIn().isPresent() ? RESET_IN : 0)
        | (c.resetOut().isPresent() ? RESET_OUT : 0);
    byte[] name = c.name().getBytes(StandardCharsets.UTF_8);
    byte[] card = c.card() == null ? new byte[0] : c.card().encoded();
    Writer w = new Writer().u32(c.id()).bytes(c.identity().encoded()).u8(c.status().code()).u8(flags).u64(c.added())
        .u8(name.length).bytes(name).u16(card.length).bytes(card).u64(c.nextIn()).u64(c.nextOut());
    c.resetIn().ifPresent(w::u64);
    c.resetOut().ifPresent(w::u64);
    return w.toByteArray();
  }

  private static byte[] record(int type, byte[] body) {
    return new Writer().u8(type).u32(body.length).bytes(body).toByteArray();
  }

  /**
   * Reads the records of a backup whose manifest lists {@code parts}, for the restoring identity
   * {@code owner}, in the order of spec: backup.adoc#backup-records.
   */
  static BackupContents decode(byte[] records, int parts, PublicIdentity owner) throws SottoException {
    Reader in = Reader.decrypted(records, "backup records");
    List<Card> ownCards = new ArrayList<>();
    List<BackupContents.Contact> contacts = new ArrayList<>();
    TreeMap<String, byte[]> settings = new TreeMap<>();
    List<BackupContents.Message> history = new ArrayList<>();
    Set<PublicIdentity> identities = new HashSet<>();
    Set<Long> ids = new HashSet<>();
    int previousType = 0;
    long previousId = -1;
    byte[] previousKey = null;
    while (in.remaining() > 0) {
      int at = in.position();
      int type = in.u8("type");
      if (type < OWN_CARD || type > MESSAGE || type < previousType || (partOf(type) & parts) == 0) {
        throw in.invalid("type", at, "an undefined type, out of order, or of a part the manifest does not list");
      }
      previousType = type;
      long length = in.u32("length");
      byte[] body = in.bytes(length, "body");
      Reader b = Reader.decrypted(body, "backup record");
      switch (type) {
        case OWN_CARD -> {
          if (ownCards.size() == BackupContents.MAX_OWN_CARDS) {
            throw in.invalid("type", at, "more than 16 own cards");
          }
          ownCards.add(storedCard(b.bytes(b.remaining(), "card"), owner));
        }
        case CONTACT -> {
          BackupContents.Contact c = readContact(b, previousId, identities, owner);
          previousId = c.id();
          ids.add(c.id());
          contacts.add(c);
        }
        case SETTING -> {
          int keyLength = b.u8("key_length");
          if (keyLength < 1 || keyLength > 64) {
            throw b.invalid("key_length", 0, "1 to 64");
          }
          byte[] key = b.bytes(keyLength, "key");
          String text = new String(key, StandardCharsets.US_ASCII);
          if (!BackupContents.validKey(text) || (previousKey != null && Arrays.compareUnsigned(key, previousKey) <= 0)) {
            throw b.invalid("key", 1, "not of a-z 0-9 . _ -, or not after the previous key");
          }
          previousKey = key;
          if (b.remaining() > BackupContents.MAX_VALUE_BYTES) {
            throw b.invalid("value", 1 + keyLength, "more than 65,536 bytes");
          }
          settings.put(text, b.bytes(b.remaining(), "value"));
        }
        default -> {
          long contact = b.u32("contact");
          if (!ids.contains(contact)) {
            throw b.invalid("contact", 0, "no contact of this backup");
          }
          int flags = b.u8("flags");
          if ((flags & ~(INCOMING | READ)) != 0) {
            throw b.invalid("flags", 4, "undefined bits");
          }
          int kind = b.u8("kind");
          if (kind != BackupContents.HELLO && kind != BackupContents.TEXT) {
            throw b.invalid("kind", 5, "neither HELLO nor TEXT");
          }
          long seq = b.u64("seq");
          long sentAt = b.u64("sent_at");
          long storedAt = b.u64("stored_at");
          if (b.remaining() > BackupContents.MAX_VALUE_BYTES) {
            throw b.invalid("text", 30, "more than 65,536 bytes");
          }
          String text = utf8(b.bytes(b.remaining(), "text"), b, "text");
          history.add(new BackupContents.Message(contact, (flags & INCOMING) != 0, (flags & READ) != 0, kind, seq,
              sentAt, storedAt, text));
        }
      }
      b.end();
    }
    BackupContents.Builder builder = BackupContents.builder();
    if ((parts & Manifest.PART_CONTACTS) != 0) {
      builder.contacts(ownCards, contacts);
    }
    if ((parts & Manifest.PART_SETTINGS) != 0) {
      builder.settings(settings);
    }
    if ((parts & Manifest.PART_HISTORY) != 0) {
      builder.history(history);
    }
    return builder.build();
  }

  private static int partOf(int type) {
    return switch (type) {
      case OWN_CARD, CONTACT -> Manifest.PART_CONTACTS;
      case SETTING -> Manifest.PART_SETTINGS;
      default -> Manifest.PART_HISTORY;
    };
  }

  private static BackupContents.Contact readContact(Reader b, long previousId, Set<PublicIdentity> identities,
      PublicIdentity owner) throws SottoException {
    long id = b.u32("id");
    if (id <= previousId) {
      throw b.invalid("id", 0, "not greater than the previous contact's");
    }
    PublicIdentity identity = PublicIdentity.read(b);
    if (identity.equals(owner) || !identities.add(identity)) {
      throw b.invalid("identity", 4, "the owner's, or an earlier contact's");
    }
    int status = b.u8("status");
    BackupContents.Status s = BackupContents.Status.of(status);
    if (s == null) {
      throw b.invalid("status", 72, "undefined");
    }
    int flags = b.u8("flags");
    if ((flags & ~(VERIFIED | BLOCKED | RESET_IN | RESET_OUT)) != 0) {
      throw b.invalid("flags", 73, "undefined bits");
    }
    long added = b.u64("added");
    if (added > Card.MAX_TIME) {
      throw b.invalid("added", 74, "a time is at most 253402300799");
    }
    int nameLength = b.u8("name_length");
    if (nameLength < 1 || nameLength > 64) {
      throw b.invalid("name_length", 82, "1 to 64");
    }
    String name = utf8(b.bytes(nameLength, "name"), b, "name");
    int cardLength = b.u16("card_length");
    Card card = null;
    if (cardLength > 0) {
      card = storedCard(b.bytes(cardLength, "card"), identity);
    }
    long nextIn = b.u64("next_in");
    long nextOut = b.u64("next_out");
    OptionalLong resetIn = (flags & RESET_IN) != 0 ? OptionalLong.of(b.u64("reset_in")) : OptionalLong.empty();
    OptionalLong resetOut = (flags & RESET_OUT) != 0 ? OptionalLong.of(b.u64("reset_out")) : OptionalLong.empty();
    return new BackupContents.Contact(id, identity, name, card, s, (flags & VERIFIED) != 0, (flags & BLOCKED) != 0,
        added, nextIn, nextOut, resetIn, resetOut);
  }

  /** A card read whole from exactly these bytes, without its time check, as {@code expected}'s. */
  private static Card storedCard(byte[] encoded, PublicIdentity expected) throws SottoException {
    Card card;
    try {
      card = Card.parseStored(encoded);
    } catch (SottoException e) {
      throw new SottoException(e.code(), "backup record: a card is refused");
    }
    if (!card.identity().equals(expected)) {
      throw new SottoException(ErrorCode.IDENTITY_MISMATCH, "backup record: a card of another identity");
    }
    return card;
  }

  private static String utf8(byte[] bytes, Reader in, String field) throws SottoException {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw in.invalid(field, 0, "not UTF-8");
    }
  }
}
