package dev.sotto;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a backup holds (spec: backup.adoc#backup-contents): up to three parts, each optional: the
 * contacts (the owner's own cards and its contacts), the settings, and the message history. Never
 * a session, a key or a ratchet chain.
 *
 * <p>Built with {@link #builder()}; every value is checked when it is built, and a value the format
 * cannot hold is an {@link IllegalArgumentException}. Two contents are equal when they encode to
 * the same records.
 */
public final class BackupContents {
  /** The most own cards a backup holds (as a responder holds). */
  public static final int MAX_OWN_CARDS = 16;
  /** The most bytes of a setting's value, and of a message's text. */
  public static final int MAX_VALUE_BYTES = 65_536;

  /** Whether a contact is one, or a request in either direction. */
  public enum Status {
    /** A contact. */
    CONTACT(1),
    /** A request the owner received and has not answered. */
    REQUEST_RECEIVED(2),
    /** A request the owner sent that the peer has not answered. */
    REQUEST_SENT(3);

    private final int code;

    Status(int code) {
      this.code = code;
    }

    /** The byte of the record's {@code status} field. */
    public int code() {
      return code;
    }

    static Status of(int code) {
      for (Status s : values()) {
        if (s.code == code) {
          return s;
        }
      }
      return null;
    }
  }

  /**
   * A contact (spec: backup.adoc#backup-records).
   *
   * @param id the application's number for the contact (0 to 2^32 - 1), which messages name
   * @param card the contact's latest card, or null; it must be {@code identity}'s
   * @param added when it was added, seconds since the epoch (a time)
   * @param nextIn the next seq expected from the contact; {@code nextOut} the next seq to it
   * @param resetIn the sent_at of the last RESET accepted from the contact, if any;
   *     {@code resetOut} of the last one sent to it
   */
  public record Contact(long id, PublicIdentity identity, String name, Card card, Status status, boolean verified,
      boolean blocked, long added, long nextIn, long nextOut, OptionalLong resetIn, OptionalLong resetOut) {
    public Contact {
      Objects.requireNonNull(identity, "identity");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(resetIn, "resetIn");
      Objects.requireNonNull(resetOut, "resetOut");
      if (id < 0 || id > 0xffffffffL) {
        throw new IllegalArgumentException("a contact id is a u32");
      }
      int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
      if (nameBytes < 1 || nameBytes > 64 || !wellFormed(name)) {
        throw new IllegalArgumentException("a contact's name is 1 to 64 bytes of UTF-8");
      }
      if (card != null && !card.identity().equals(identity)) {
        throw new IllegalArgumentException("a contact's card must be the contact's");
      }
      if (added < 0 || added > Card.MAX_TIME) {
        throw new IllegalArgumentException("added is a time");
      }
      if (nextIn < 0 || nextOut < 0 || resetIn.orElse(0) < 0 || resetOut.orElse(0) < 0) {
        throw new IllegalArgumentException("marks are below 2^63");
      }
    }

    @Override
    public String toString() {
      return "Contact[id=" + id + ", " + identity.fingerprint().text() + ", " + status + "]";
    }
  }

  /** A message kind: the node message kind it travelled as (spec: transport.adoc#node-messages). */
  public static final int HELLO = 0x01;
  public static final int TEXT = 0x02;

  /**
   * A message of the history.
   *
   * @param contact the id of the contact it was exchanged with
   * @param incoming from the contact (true) or sent by the owner
   * @param kind {@link #HELLO} or {@link #TEXT}
   * @param storedAt the owner's clock when its device stored it
   */
  public record Message(long contact, boolean incoming, boolean read, int kind, long seq, long sentAt, long storedAt,
      String text) {
    public Message {
      Objects.requireNonNull(text, "text");
      if (contact < 0 || contact > 0xffffffffL) {
        throw new IllegalArgumentException("a contact id is a u32");
      }
      if (kind != HELLO && kind != TEXT) {
        throw new IllegalArgumentException("a message's kind is HELLO (1) or TEXT (2)");
      }
      if (seq < 0 || sentAt < 0 || storedAt < 0) {
        throw new IllegalArgumentException("seq and times are below 2^63");
      }
      if (text.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES || !wellFormed(text)) {
        throw new IllegalArgumentException("a message's text is at most 65,536 bytes of UTF-8");
      }
    }

    @Override
    public String toString() {
      return "Message[contact=" + contact + ", incoming=" + incoming + ", kind=" + kind + ", seq=" + seq + ", text="
          + text.length() + " chars]";
    }
  }

  private final List<Card> ownCards;
  private final List<Contact> contacts;
  private final SortedMap<String, byte[]> settings;
  private final List<Message> history;

  private BackupContents(List<Card> ownCards, List<Contact> contacts, SortedMap<String, byte[]> settings,
      List<Message> history) {
    this.ownCards = ownCards;
    this.contacts = contacts;
    this.settings = settings;
    this.history = history;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds contents; each part is absent until it is set. */
  public static final class Builder {
    private List<Card> ownCards;
    private List<Contact> contacts;
    private SortedMap<String, byte[]> settings;
    private List<Message> history;

    /** The contacts part: the owner's own cards (at most 16) and the contacts (distinct ids and identities). */
    public Builder contacts(List<Card> ownCards, List<Contact> contacts) {
      if (ownCards.size() > MAX_OWN_CARDS) {
        throw new IllegalArgumentException("at most " + MAX_OWN_CARDS + " own cards");
      }
      List<Contact> sorted = new ArrayList<>(contacts);
      sorted.sort((a, b) -> Long.compare(a.id(), b.id()));
      Set<PublicIdentity> identities = new HashSet<>();
      for (int i = 0; i < sorted.size(); i++) {
        if (i > 0 && sorted.get(i).id() == sorted.get(i - 1).id()) {
          throw new IllegalArgumentException("two contacts with id " + sorted.get(i).id());
        }
        if (!identities.add(sorted.get(i).identity())) {
          throw new IllegalArgumentException("two contacts with one identity");
        }
      }
      this.ownCards = List.copyOf(ownCards);
      this.contacts = List.copyOf(sorted);
      return this;
    }

    /** The settings part: keys of 1 to 64 characters of a-z, 0-9, '.', '_', '-'; values of at most 65,536 bytes. */
    public Builder settings(Map<String, byte[]> settings) {
      SortedMap<String, byte[]> copy = new TreeMap<>();
      settings.forEach((k, v) -> {
        if (!validKey(k)) {
          throw new IllegalArgumentException("a setting's key is 1 to 64 of a-z 0-9 . _ -");
        }
        if (v.length > MAX_VALUE_BYTES) {
          throw new IllegalArgumentException("a setting's value is at most " + MAX_VALUE_BYTES + " bytes");
        }
        copy.put(k, v.clone());
      });
      this.settings = copy;
      return this;
    }

    /** The history part, in the order the application keeps it (it needs the contacts part). */
    public Builder history(List<Message> history) {
      this.history = List.copyOf(history);
      return this;
    }

    public BackupContents build() {
      if (history != null) {
        if (contacts == null) {
          throw new IllegalArgumentException("a history needs the contacts part");
        }
        Set<Long> ids = new HashSet<>();
        contacts.forEach(c -> ids.add(c.id()));
        for (Message m : history) {
          if (!ids.contains(m.contact())) {
            throw new IllegalArgumentException("a message names contact " + m.contact() + ", which is not in the backup");
          }
        }
      }
      return new BackupContents(ownCards, contacts, settings, history);
    }
  }

  static boolean validKey(String key) {
    if (key.isEmpty() || key.length() > 64) {
      return false;
    }
    for (char c : key.toCharArray()) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  public boolean hasContacts() {
    return contacts != null;
  }

  public boolean hasSettings() {
    return settings != null;
  }

  public boolean hasHistory() {
    return history != null;
  }

  /** The owner's own cards (empty when the contacts part is absent). */
  public List<Card> ownCards() {
    return ownCards == null ? List.of() : ownCards;
  }

  /** The contacts, by increasing id (empty when the part is absent). */
  public List<Contact> contacts() {
    return contacts == null ? List.of() : contacts;
  }

  /** The settings, by key (copies of the values; empty when the part is absent). */
  public SortedMap<String, byte[]> settings() {
    SortedMap<String, byte[]> copy = new TreeMap<>();
    if (settings != null) {
      settings.forEach((k, v) -> copy.put(k, v.clone()));
    }
    return Collections.unmodifiableSortedMap(copy);
  }

  /** The messages, in the order they were given (empty when the part is absent). */
  public List<Message> history() {
    return history == null ? List.of() : history;
  }

  SortedMap<String, byte[]> settingsView() {
    return settings;
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof BackupContents that)) {
      return false;
    }
    List<byte[]> a = BackupRecords.encode(this);
    List<byte[]> b = BackupRecords.encode(that);
    if (a.size() != b.size() || parts() != that.parts()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return parts() * 31 + contacts().size();
  }

  /** The manifest's {@code parts} byte. */
  int parts() {
    return (contacts != null ? 0x01 : 0) | (settings != null ? 0x02 : 0) | (history != null ? 0x04 : 0);
  }

  @Override
  public String toString() {
    return "BackupContents[" + (contacts == null ? "no contacts" : ownCards.size() + " own cards, " + contacts.size()
        + " contacts") + ", " + (settings == null ? "no settings" : settings.size() + " settings") + ", "
        + (history == null ? "no history" : history.size() + " messages") + "]";
  }
}
