package dev.sotto.node;

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
import dev.sotto.Frame;
import dev.sotto.IdentitySeed;
import dev.sotto.PublicIdentity;
import dev.sotto.RandomSource;
import dev.sotto.SottoException;
import dev.sotto.node.store.Store;
import dev.sotto.node.store.StoreException;
import dev.sotto.node.store.Tx;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The node's encrypted backups (spec: backup.adoc): what its store gives a backup (contacts and
 * requests, blocked identities, settings, history), writing one incrementally to its mailboxes'
 * backup class (chunks first, the head last, obsolete chunks deleted after) and/or to a file,
 * finding the newest at the mailboxes, restoring it into the sealed store in one transaction, the
 * resets that follow (spec: backup.adoc#backup-after-restore) and the check that another device has
 * not restored the identity since (#backup-generations).
 *
 * <p>The lineage (the library's {@link BackupWriter} state, holding the content key) is kept sealed in
 * the store and advanced only once a backup's head is stored somewhere: a crash during a backup
 * leaves the previous head and lineage, and the next backup writes the same counter again.
 */
public final class Backups {
  /** The lineage: {@link BackupWriter#serialize()}. */
  static final String KV_WRITER = "backup.writer";
  /** "daily" or absent (off). */
  static final String KV_SCHEDULE = "backup.schedule";
  /** When the last backup's head was stored (ms, ASCII). */
  static final String KV_LAST = "backup.last";
  /** The created time (s, ASCII) of a head that superseded this device's lineage: the device stops. */
  static final String KV_SUPERSEDED = "backup.superseded";
  /** Set by a restore until its resets are asked for (after the prekeys are published). */
  static final String KV_RESTORED = "backup.restored";

  /** Chunk tags per BACKUP_GET (at most 64 items come back; 16 keep one answer near 1 MiB). */
  static final int GET_BATCH = 16;
  /** How often a running node reads its heads to see whether it was superseded (the default of Node.Options). */
  static final Duration CHECK_EVERY = Duration.ofMinutes(10);
  /** A daily schedule's period. */
  static final Duration DAY = Duration.ofDays(1);

  /** Told how far long work is: what, how much done (bytes or items), of how much. */
  public interface Progress {
    Progress NONE = (what, done, total) -> { };

    void step(String what, long done, long total);
  }

  /** Asks for a backup's passphrase, when its manifest has one (null: none given). */
  public interface PassphraseSource {
    char[] passphrase(BackupManifest manifest);
  }

  /** What a backup did: the manifest, its chunks, what went up, where it is, what failed. */
  public record Written(BackupManifest manifest, int chunks, int chunksUploaded, long bytesUploaded, long recordsBytes,
      List<String> stored, List<String> failed, Path file, int chunksSealed) {}

  /** What a restore brought back. */
  public record Restored(BackupManifest manifest, int contacts, int requests, int blocked, long messages,
      List<String> heads, int ownCards) {}

  /** A backup or restore that cannot go on, with a one-line reason for the user. */
  public static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;

    Failed(String message) {
      super(message);
    }
  }

  private final Store store;
  private final NodeCore core;
  private final BackupKeys keys;
  private final Clock clock;
  private final RandomSource random;
  private final LinkPool links;
  private final Supplier<List<Address>> mailboxes;
  /** The node's link key (public), for its prekey maintenance in a restore's transaction. */
  private final byte[] linkKey;

  Backups(Store store, NodeCore core, IdentitySeed seed, Clock clock, RandomSource random, LinkPool links,
      Supplier<List<Address>> mailboxes, byte[] linkKey) {
    this.linkKey = linkKey.clone();
    this.store = store;
    this.core = core;
    this.keys = BackupKeys.of(seed);
    this.clock = clock;
    this.random = random;
    this.links = links;
    this.mailboxes = mailboxes;
  }

  // ---------------------------------------------------------------- the store as backup contents

  /** The contents of a backup of this store: own cards, contacts (requests, blocked), settings, history. */
  static BackupContents contents(Tx tx, List<Card> ownCards) throws StoreException, SottoException {
    List<Card> own = new ArrayList<>(ownCards);
    if (own.size() > BackupContents.MAX_OWN_CARDS) {
      own = own.subList(own.size() - BackupContents.MAX_OWN_CARDS, own.size());
    }
    Requests.Held requests = Requests.read(tx);
    List<BackupContents.Contact> contacts = new ArrayList<>();
    List<Tx.Message> stored = new ArrayList<>();
    long nextId = 0;
    for (Tx.Contact c : tx.contacts()) {
      PublicIdentity identity = PublicIdentity.parse(c.identity());
      Card card = c.card() == null ? null : Card.parse(c.card(), Instant.EPOCH, identity);
      Tx.Resets r = tx.resets(c.id());
      Requests.Request request = requests.of(c.id());
      String name = request != null ? safeName(request.name(), c.name()) : c.name();
      contacts.add(new BackupContents.Contact(c.id(), identity, name, card,
          request != null ? BackupContents.Status.REQUEST_RECEIVED : BackupContents.Status.CONTACT,
          ContactBook.verified(tx, c.id()), false,
          c.created() / 1000, c.nextInSeq(), c.nextOutSeq(), mark(r.resetIn()), mark(r.resetOut())));
      nextId = Math.max(nextId, c.id() + 1);
      for (Tx.Message m : tx.messages(c.id())) {
        if (m.kind() == BackupContents.HELLO || m.kind() == BackupContents.TEXT) {
          stored.add(m);
        }
      }
    }
    // The history in the order this node stored it, every contact's together (spec:
    // backup.adoc#backup-records): a day's new messages are then records at the end, and the next
    // backup keeps every chunk before them (#backup-incremental).
    stored.sort(java.util.Comparator.comparingLong(Tx.Message::storedAt).thenComparingLong(Tx.Message::id));
    List<BackupContents.Message> history = new ArrayList<>(stored.size());
    for (Tx.Message m : stored) {
      history.add(new BackupContents.Message(m.contactId(), m.incoming(), m.read(), m.kind(), m.seq(), m.sentAt(),
          m.storedAt() / 1000, m.text()));
    }
    // Blocked identities are not contacts of the node: they travel as blocked requests, with ids after the contacts'.
    for (Requests.Blocked b : Requests.blocked(tx)) {
      contacts.add(new BackupContents.Contact(nextId++, PublicIdentity.parse(b.identity()), safeName(b.name(), "blocked"),
          null, BackupContents.Status.REQUEST_RECEIVED, false, true, b.at() / 1000, 0, 0, OptionalLong.empty(),
          OptionalLong.empty()));
    }
    Map<String, byte[]> settings = new LinkedHashMap<>();
    tx.get(Node.KV_KEEP).ifPresent(v -> settings.put("node.keep", v));
    tx.get(KV_SCHEDULE).ifPresent(v -> settings.put(KV_SCHEDULE, v));
    return BackupContents.builder().contacts(own, contacts).settings(settings).history(history).build();
  }

  private static OptionalLong mark(long value) {
    return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
  }

  private static String safeName(String name, String fallback) {
    int bytes = name == null ? 0 : name.getBytes(StandardCharsets.UTF_8).length;
    return bytes >= 1 && bytes <= 64 ? name : fallback;
  }

  // ---------------------------------------------------------------- lineage and schedule

  /** This device's lineage, or empty before its first backup. */
  public Optional<BackupWriter> writer() throws StoreException, SottoException {
    Optional<byte[]> state = store.read(tx -> tx.get(KV_WRITER));
    if (state.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(BackupWriter.deserialize(keys, state.get()));
  }

  /** The rank of this device's last backup (the floor of a restore), or null. */
  BackupManifest.Rank floor() throws StoreException, SottoException {
    Optional<BackupWriter> w = writer();
    if (w.isEmpty() || w.get().next().counter() <= 1) {
      return null;
    }
    BackupManifest.Rank next = w.get().next();
    return new BackupManifest.Rank(next.generation(), next.device(), next.counter() - 1);
  }

  /** Whether this device's backups are sealed under a passphrase (false before its first backup). */
  public boolean passphrase() throws StoreException, SottoException {
    Optional<BackupWriter> w = writer();
    return w.isPresent() && w.get().hasPassphrase();
  }

  /** Whether automatic backups are on (daily). */
  public boolean daily() throws StoreException, SottoException {
    return store.read(tx -> tx.get(KV_SCHEDULE)).isPresent();
  }

  /** Turns daily automatic backups on or off (the running node reads it at its next turn). */
  public void daily(boolean on) throws StoreException, SottoException {
    store.write(tx -> {
      if (on) {
        tx.put(KV_SCHEDULE, "daily".getBytes(StandardCharsets.US_ASCII));
      } else {
        tx.delete(KV_SCHEDULE);
      }
      return null;
    });
  }

  /** When the last backup was stored, or empty. */
  public Optional<Instant> last() throws StoreException, SottoException {
    return store.read(tx -> tx.get(KV_LAST)).map(b -> Instant.ofEpochMilli(Long.parseLong(ascii(b))));
  }

  private volatile Boolean stopped;

  /** Whether this device was superseded and stops sending (cached; read from the store once). */
  boolean stopped() throws StoreException, SottoException {
    Boolean s = stopped;
    if (s == null) {
      s = stopped = superseded().isPresent();
    }
    return s;
  }

  /** When the identity was restored on another device, if this device's lineage was superseded. */
  public Optional<Instant> superseded() throws StoreException, SottoException {
    return store.read(tx -> tx.get(KV_SUPERSEDED)).map(b -> Instant.ofEpochSecond(Long.parseLong(ascii(b))));
  }

  /** Whether a daily backup is due now. */
  boolean due() throws StoreException, SottoException {
    if (!daily() || superseded().isPresent() || mailboxes.get().isEmpty()) {
      return false;
    }
    Optional<Instant> last = last();
    return last.isEmpty() || !clock.instant().isBefore(last.get().plus(DAY));
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes a backup: reads the heads first (a device superseded stops, spec:
   * backup.adoc#backup-generations), then, at each mailbox, keeps the chunks it holds, uploads those
   * it lacks, then the head, then deletes the chunks no longer named; and/or writes the whole backup
   * to {@code file} (a new file, moved into place once complete). The lineage advances once the head
   * is stored somewhere.
   *
   * @throws Failed when the device was superseded, or the head was stored nowhere
   */
  public Written backup(boolean toMailboxes, Path file, Progress progress)
      throws Failed, StoreException, SottoException {
    return backup(toMailboxes, file, null, progress);
  }

  /**
   * Writes a backup (see {@link #backup(boolean, Path, Progress)}) under {@code protection}: a
   * passphrase chosen or changed, or none ({@link BackupProtection#none()}) to drop one; null keeps
   * the lineage's (spec: backup.adoc#backup-passphrase). The lineage keeps the content key derived
   * from the passphrase, sealed in the store, never the passphrase: later backups, the daily ones
   * too, stay under it without asking. The new protection is kept only once the head is stored.
   */
  public Written backup(boolean toMailboxes, Path file, BackupProtection protection, Progress progress)
      throws Failed, StoreException, SottoException {
    List<Address> targets = toMailboxes ? mailboxes.get() : List.of();
    if (toMailboxes && targets.isEmpty() && file == null) {
      throw new Failed("this node has no mailbox to back up to: give --out FILE, or add a mailbox ('sotto config"
          + " --mailbox')");
    }
    if (superseded().isPresent()) {
      throw supersededFailure(superseded().get());
    }
    if (!targets.isEmpty()) {
      checkSuperseded(targets);
      if (superseded().isPresent()) {
        throw supersededFailure(superseded().get());
      }
    }
    BackupContents contents = store.read(tx -> contents(tx, core.heldCards(tx)));
    Optional<BackupWriter> lineage = writer();
    BackupWriter writer;
    if (lineage.isEmpty()) {
      writer = BackupWriter.start(keys, protection == null ? BackupProtection.none() : protection, random);
    } else {
      writer = protection == null ? lineage.get() : lineage.get().protectedBy(protection);
    }
    Backup backup = writer.write(contents, clock.instant());
    long recordsBytes = backup.chunkLengths().stream().mapToLong(Integer::longValue).sum();
    List<String> stored = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    int uploaded = 0;
    long bytes = 0;
    for (Address mailbox : targets) {
      String name = Node.addressText(mailbox);
      try {
        long[] sent = upload(mailbox, backup, progress);
        uploaded += (int) sent[0];
        bytes += sent[1];
        stored.add(name);
      } catch (IOException | SottoException | RuntimeException e) {
        failed.add(name + ": " + LinkPool.reason(e));
      }
    }
    if (file != null) {
      try {
        writeFile(file, backup.file(), sink);
        stored.add(file.toString());
      } catch (IOException e) {
        failed.add(file + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      }
    }
    if (stored.isEmpty()) {
      throw new Failed("the backup was stored nowhere: " + String.join("; ", failed));
    }
    long now = clock.millis();
    store.write(tx -> {
      tx.put(KV_WRITER, backup.next().serialize());
      tx.put(KV_LAST, Long.toString(now).getBytes(StandardCharsets.US_ASCII));
      return null;
    });
    return new Written(backup.manifest(), backup.chunkCount(), uploaded, bytes, recordsBytes, stored, failed, file,
        backup.sealedCount());
  }

  /** Uploads to one mailbox what it lacks, then the head, then deletes the obsolete chunks: {chunks, bytes} sent. */
  private long[] upload(Address mailbox, Backup backup, Progress progress)
      throws IOException, SottoException, StoreException {
    byte[] credential = keys.credential(mailbox.linkKey());
    // Only the chunks a mailbox lacks are sealed (Backup#chunk): the others are named by their tags.
    List<byte[]> allTags = backup.chunkTags();
    List<Integer> lengths = backup.chunkLengths();
    // Which chunks the mailbox holds already (kept for another 400 days by the same request).
    List<Boolean> held = new ArrayList<>();
    for (int from = 0; from < allTags.size(); from += Frame.MAX_COUNT) {
      List<byte[]> tags = allTags.subList(from, Math.min(allTags.size(), from + Frame.MAX_COUNT));
      Frame answer = links.exchange(mailbox, link -> link.call(
          Frame.backupTags(Frame.BACKUP_KEEP, link.nextRequestId(), credential, tags)).get(0));
      held.addAll(answer.type() == Frame.HELD ? answer.heldBody() : java.util.Collections.nCopies(tags.size(), false));
    }
    long total = 0;
    for (int i = 0; i < allTags.size(); i++) {
      if (!held.get(i)) {
        total += lengths.get(i);
      }
    }
    total += backup.head().length();
    long sent = 0;
    int count = 0;
    String what = "uploading to " + mailbox.host() + ":" + mailbox.port();
    progress.step(what, 0, total);
    for (int i = 0; i < allTags.size(); i++) {
      if (held.get(i)) {
        continue;
      }
      Envelope chunk = backup.chunk(i);
      put(mailbox, credential, chunk);
      sent += chunk.length();
      count++;
      progress.step(what, sent, total);
    }
    put(mailbox, credential, backup.head()); // last: a crash before leaves the previous head, whose chunks are kept
    sent += backup.head().length();
    progress.step(what, sent, total);
    List<byte[]> obsolete = backup.obsoleteTags();
    for (int from = 0; from < obsolete.size(); from += Frame.MAX_COUNT) {
      List<byte[]> tags = obsolete.subList(from, Math.min(obsolete.size(), from + Frame.MAX_COUNT));
      links.exchange(mailbox, link -> link.call(
          Frame.backupTags(Frame.BACKUP_DELETE, link.nextRequestId(), credential, tags)));
    }
    return new long[] {count, sent};
  }

  private void put(Address mailbox, byte[] credential, Envelope envelope)
      throws IOException, SottoException, StoreException {
    Frame answer = links.exchange(mailbox, link -> link.call(
        Frame.backupPut(link.nextRequestId(), credential, envelope)).get(0));
    if (answer.type() != Frame.OK) {
      throw new IOException("the mailbox answered " + Deliveries.errorName(answer));
    }
  }

  /** Writes the bytes of a backup file to a new file and forces them to disk (a seam: tests give a full disk). */
  interface FileSink {
    FileSink DISK = (temp, bytes) -> {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = java.nio.channels.Channels.newOutputStream(channel)) {
        out.write(bytes);
        out.flush();
        channel.force(true);
      }
    };

    void write(Path temp, byte[] bytes) throws IOException;
  }

  private volatile FileSink sink = FileSink.DISK;

  /** For tests: where backup files are written (a full disk, say). */
  void writeFilesWith(FileSink s) {
    sink = s;
  }

  /** Writes a new file beside {@code file}, forces it to disk, and moves it into place. */
  static void writeFile(Path file, byte[] bytes) throws IOException {
    writeFile(file, bytes, FileSink.DISK);
  }

  /**
   * Writes a new file beside {@code file} through {@code sink}, and moves it into place: a failure
   * (a full disk) deletes the new file and leaves {@code file} as it was.
   */
  static void writeFile(Path file, byte[] bytes, FileSink sink) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path temp = dir.resolve("." + file.getFileName() + ".part");
    try {
      sink.write(temp, bytes);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  // ---------------------------------------------------------------- superseded devices

  /**
   * Reads the heads at the mailboxes; when one supersedes this device's lineage, remembers it: the
   * device then stops (spec: backup.adoc#backup-generations). A mailbox that fails is skipped.
   *
   * @return whether this device is superseded
   */
  boolean checkSuperseded(List<Address> at) throws StoreException, SottoException {
    Optional<BackupWriter> own = writer();
    if (own.isEmpty()) {
      return false;
    }
    BackupManifest.Rank rank = own.get().next();
    for (Address mailbox : at) {
      List<byte[]> heads;
      try {
        heads = heads(mailbox);
      } catch (IOException | SottoException | RuntimeException e) {
        continue;
      }
      Optional<BackupManifest> newest = BackupRestore.newest(keys, heads).newest();
      if (newest.isPresent() && newest.get().supersedes(rank)) {
        long created = newest.get().created().getEpochSecond();
        store.write(tx -> {
          tx.put(KV_SUPERSEDED, Long.toString(created).getBytes(StandardCharsets.US_ASCII));
          return null;
        });
        stopped = true;
        return true;
      }
    }
    return false;
  }

  /** Every mailbox's heads, read now. */
  boolean checkSuperseded() throws StoreException, SottoException {
    return checkSuperseded(mailboxes.get());
  }

  static Failed supersededFailure(Instant when) {
    return new Failed("this identity was restored on another device (its backup of " + when + " is newer than this"
        + " device's): this device stops sending and backing up; use the other device, or 'sotto init --recover'"
        + " here to take the identity back");
  }

  /** The head a mailbox holds for this identity (none, or one). */
  private List<byte[]> heads(Address mailbox) throws IOException, SottoException, StoreException {
    byte[] credential = keys.credential(mailbox.linkKey());
    List<Frame> answer = links.exchange(mailbox, link -> link.call(
        Frame.backupTags(Frame.BACKUP_GET, link.nextRequestId(), credential, List.of(keys.headTag()))));
    List<byte[]> heads = new ArrayList<>();
    for (Frame f : answer) {
      if (f.type() == Frame.ITEM) {
        heads.add(f.itemEnvelope().encoded());
      } else if (f.type() == Frame.ERROR) {
        throw new IOException("the mailbox answered " + Deliveries.errorName(f));
      }
    }
    return heads;
  }

  // ---------------------------------------------------------------- restoring

  /** What a restore reads: heads (by where they came from) and chunk envelopes. */
  record Found(List<byte[]> heads, List<String> from, List<byte[]> chunks, List<String> failed) {}

  /**
   * Asks every mailbox for its head, picks the newest, and fetches its chunks (from the mailboxes
   * that hold that head, then from the others for what is missing).
   *
   * @throws Failed when no mailbox answered with a head
   */
  Found fetch(List<Address> at, Progress progress) throws Failed, StoreException, SottoException {
    List<byte[]> heads = new ArrayList<>();
    List<String> from = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    Map<Address, byte[]> headOf = new HashMap<>();
    for (Address mailbox : at) {
      String name = Node.addressText(mailbox);
      try {
        for (byte[] head : heads(mailbox)) {
          heads.add(head);
          from.add(name);
          headOf.put(mailbox, head);
        }
      } catch (IOException | SottoException | RuntimeException e) {
        failed.add(name + ": " + LinkPool.reason(e));
      }
    }
    if (heads.isEmpty()) {
      throw new Failed(failed.isEmpty() ? "no backup of this identity at the " + at.size()
          + (at.size() == 1 ? " mailbox" : " mailboxes") + " asked" : "no backup found: " + String.join("; ", failed));
    }
    Optional<BackupManifest> newest = BackupRestore.newest(keys, heads).newest();
    if (newest.isEmpty()) {
      return new Found(heads, from, List.of(), failed); // the restore reports the heads' error
    }
    byte[] chosen = newest.get().head();
    List<Address> order = new ArrayList<>();
    at.stream().filter(a -> headOf.containsKey(a) && java.util.Arrays.equals(headOf.get(a), chosen)).forEach(order::add);
    at.stream().filter(a -> !order.contains(a)).forEach(order::add);
    Map<String, byte[]> chunks = new LinkedHashMap<>();
    List<byte[]> wanted = newest.get().chunkTags();
    long total = newest.get().chunkCount();
    for (Address mailbox : order) {
      List<byte[]> missing = wanted.stream().filter(t -> !chunks.containsKey(HexFormat.of().formatHex(t))).toList();
      if (missing.isEmpty()) {
        break;
      }
      byte[] credential = keys.credential(mailbox.linkKey());
      try {
        Pace pace = new Pace();
        for (int i = 0; i < missing.size(); ) {
          List<byte[]> batch = distinct(missing.subList(i, Math.min(missing.size(), i + GET_BATCH)));
          List<Frame> answer = links.exchange(mailbox, link -> link.call(
              Frame.backupTags(Frame.BACKUP_GET, link.nextRequestId(), credential, batch)));
          if (answer.size() == 1 && refusedForBudget(answer.get(0))) {
            pace.await(); // the mailbox's FETCH budget is in debt: ask again once it has refilled
            continue;
          }
          pace.reset();
          i += GET_BATCH;
          for (Frame f : answer) {
            if (f.type() == Frame.ITEM) {
              byte[] envelope = f.itemEnvelope().encoded();
              chunks.putIfAbsent(HexFormat.of().formatHex(envelope, 1, 17), envelope);
            } else if (f.type() == Frame.ERROR) {
              throw new IOException("the mailbox answered " + Deliveries.errorName(f));
            }
          }
          progress.step("fetching from " + mailbox.host() + ":" + mailbox.port(), chunks.size(), total);
        }
      } catch (IOException | SottoException | RuntimeException e) {
        failed.add(Node.addressText(mailbox) + ": " + LinkPool.reason(e));
      }
    }
    return new Found(heads, from, new ArrayList<>(chunks.values()), failed);
  }

  /** How long a restore waits, in all, for one mailbox's FETCH budget to let it go on (spec: backup.adoc#backup-restore). */
  static final Duration PACE_LIMIT = Duration.ofMinutes(2);

  /** Whether an answer is the mailbox's refusal for its FETCH budget (ERROR LIMIT_EXCEEDED). */
  private static boolean refusedForBudget(Frame f) throws SottoException {
    return f.type() == Frame.ERROR && f.errorNumber() == dev.sotto.ErrorCode.LIMIT_EXCEEDED.number();
  }

  /**
   * The restore's pace at one mailbox: a budget's refusal is waited out, from 100 ms doubling to 2 s
   * between tries, and given up (an IOException: the mailbox's failure) once {@link #PACE_LIMIT} of
   * waiting is spent; an admitted request starts the pauses over.
   */
  private static final class Pace {
    private static final Backoff PAUSE = new Backoff(100, 2_000);
    /** Refusals since the last admitted request. */
    private long refusals;
    private long waitedMillis;

    void await() throws IOException {
      if (waitedMillis >= PACE_LIMIT.toMillis()) {
        throw new IOException("the mailbox kept refusing for its budget (LIMIT_EXCEEDED) for "
            + PACE_LIMIT.toSeconds() + " s");
      }
      long pauseMillis = PAUSE.afterMillis(refusals + 1);
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the mailbox's budget");
      }
      waitedMillis += pauseMillis;
      refusals++;
    }

    void reset() {
      refusals = 0;
    }
  }

  private static List<byte[]> distinct(List<byte[]> tags) {
    Map<String, byte[]> seen = new LinkedHashMap<>();
    tags.forEach(t -> seen.putIfAbsent(HexFormat.of().formatHex(t), t));
    return new ArrayList<>(seen.values());
  }

  /** Reads a backup file into what a restore reads. */
  static Found read(Path file) throws Failed, SottoException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new Failed("cannot read " + file + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getMessage()));
    }
    BackupFile parsed = BackupFile.parse(bytes);
    return new Found(List.of(parsed.head()), List.of(file.toString()), parsed.chunks(), List.of());
  }

  /**
   * Restores the newest backup among {@code found} into this store, in one transaction, if the
   * store holds no contact and no message yet; starts the new lineage; marks the resets to make once
   * the prekeys are published ({@link #finishRestore}). Refuses a backup older than this device's own
   * last one (REPLAY, as {@link BackupRestore.Rollback}).
   *
   * @throws SottoException the restore's error (nothing is written)
   * @throws Failed when the store holds contacts or messages already
   */
  Restored restore(Found found, PassphraseSource passphrases) throws Failed, StoreException, SottoException {
    BackupManifest.Rank floor = floor();
    Optional<BackupManifest> newest = BackupRestore.newest(keys, found.heads()).newest();
    char[] passphrase = null;
    if (newest.isPresent() && newest.get().passphrase().isPresent()) {
      passphrase = passphrases.passphrase(newest.get());
      if (passphrase == null) {
        throw new Failed("this backup is sealed under a passphrase, and none was given (at the terminal, or in"
            + " $SOTTO_BACKUP_PASSPHRASE)");
      }
    }
    BackupRestore.Restored restored;
    try {
      restored = BackupRestore.restore(keys, found.heads(), found.chunks(), floor, passphrase, random);
    } catch (SottoException e) {
      if (e.code() == dev.sotto.ErrorCode.TRUNCATED && !found.failed().isEmpty()) {
        // a chunk is missing because a mailbox failed: say which, not only that a chunk is missing
        throw new Failed("the backup is incomplete (" + e.getMessage() + "); nothing was restored; mailboxes that"
            + " failed: " + String.join("; ", found.failed()));
      }
      throw e;
    } finally {
      if (passphrase != null) {
        java.util.Arrays.fill(passphrase, '\0');
      }
    }
    BackupContents contents = restored.contents();
    long now = clock.millis();
    int[] counts = new int[4];
    // One transaction: the contacts, history and settings, the lineage, and the own cards held again
    // with fresh bundles (spec: backup.adoc#backup-after-restore), or nothing.
    long messages = core.withPrekeys(linkKey, (tx, responder, maintenance) -> {
      if (!tx.contacts().isEmpty() || tx.countMessages() > 0) {
        return -1L;
      }
      Map<Long, Long> ids = new HashMap<>();
      Requests.Held requests = Requests.read(tx);
      for (BackupContents.Contact c : contents.contacts()) {
        if (c.blocked()) {
          Requests.block(tx, c.identity().encoded(), c.name(), c.added() * 1000);
          counts[2]++;
          continue;
        }
        boolean request = c.status() == BackupContents.Status.REQUEST_RECEIVED;
        String name = request ? Requests.placeholder(c.identity().encoded()) : uniqueName(tx, c.name());
        long id = tx.insertContact(name, c.identity().encoded(), c.card() == null ? null : c.card().encoded(),
            c.added() * 1000);
        tx.setSeqs(id, c.nextOut(), c.nextIn());
        tx.setResets(new Tx.Resets(id, 0, 0, c.resetIn().orElse(-1), c.resetOut().orElse(-1), false));
        ContactBook.verified(tx, id, c.verified());
        if (request) {
          requests.add(new Requests.Request(id, "restored", c.name(), c.added() * 1000, 0, 0, true));
          counts[1]++;
        } else {
          counts[0]++;
        }
        ids.put(c.id(), id);
      }
      Requests.write(tx, requests);
      long inserted = 0;
      Map<Long, List<BackupContents.Message>> read = new HashMap<>();
      for (BackupContents.Message m : contents.history()) {
        Long id = ids.get(m.contact());
        if (id == null) {
          continue;
        }
        if (tx.insertMessage(id, m.incoming(), m.seq(), m.sentAt(), m.storedAt() * 1000, m.text(), m.kind())) {
          inserted++;
          if (m.incoming() && m.read()) {
            read.computeIfAbsent(id, k -> new ArrayList<>()).add(m);
          }
        }
      }
      for (Map.Entry<Long, List<BackupContents.Message>> e : read.entrySet()) {
        java.util.Set<Long> seqs = new java.util.HashSet<>();
        e.getValue().forEach(m -> seqs.add(m.seq()));
        for (Tx.Message m : tx.messages(e.getKey())) {
          if (m.incoming() && !m.read() && seqs.contains(m.seq())) {
            tx.markRead(m.id());
          }
        }
      }
      byte[] keep = contents.settings().get("node.keep");
      if (keep != null) {
        tx.put(Node.KV_KEEP, keep);
      }
      if (contents.settings().containsKey(KV_SCHEDULE)) {
        tx.put(KV_SCHEDULE, contents.settings().get(KV_SCHEDULE));
      }
      tx.put(KV_WRITER, restored.writer().serialize());
      tx.delete(KV_SUPERSEDED);
      tx.put(KV_RESTORED, new byte[] {1});
      // The backup's own cards still valid are held again; the maintenance issues a fresh bundle for
      // each (and none of the lost device's prekeys, which no backup holds), published before the resets.
      counts[3] = OwnPrekeys.restoreCards(tx, responder, contents.ownCards(), clock.instant()).size();
      maintenance.run(Node.Config.decode(tx.get(NodeCore.KV_CONFIG).orElseThrow(
          () -> new StoreException(StoreException.Kind.MISSING, "no configuration"))), false);
      return inserted;
    });
    stopped = false;
    if (messages < 0) {
      throw new Failed("this node holds contacts or messages already: a backup is restored into a new home"
          + " ('sotto init --recover' in an empty directory)");
    }
    return new Restored(restored.manifest(), counts[0], counts[1], counts[2], messages, describe(found), counts[3]);
  }

  /** One line per head found: where, which backup, and whether it was the one restored, older, or refused. */
  List<String> describe(Found found) {
    Optional<BackupManifest> newest = BackupRestore.newest(keys, found.heads()).newest();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < found.heads().size(); i++) {
      String where = found.from().get(i);
      try {
        BackupManifest m = BackupManifest.open(keys, found.heads().get(i));
        boolean chosen = newest.isPresent() && m.rank().compareTo(newest.get().rank()) == 0;
        lines.add(where + ": " + name(m) + (chosen ? ": the newest, restored" : ": older, not used"));
      } catch (SottoException e) {
        lines.add(where + ": refused (" + e.code() + ")");
      }
    }
    found.failed().forEach(f -> lines.add(f + " (not asked further)"));
    return lines;
  }

  /** "backup 5 of generation 1, made 2026-12-05T18:00:00Z". */
  public static String name(BackupManifest m) {
    return "backup " + m.counter() + " of generation " + m.generation() + ", made " + m.created();
  }

  /** "backup 4 of generation 1" for a rank. */
  public static String name(BackupManifest.Rank r) {
    return "backup " + r.counter() + " of generation " + r.generation();
  }

  /** Restores the newest backup at this node's mailboxes (see {@link #restore}). */
  public Restored restoreFromMailboxes(Progress progress, PassphraseSource passphrases)
      throws Failed, StoreException, SottoException {
    return restore(fetch(mailboxes.get(), progress), passphrases);
  }

  /** Restores the backup in a file (see {@link #restore}). */
  public Restored restoreFile(Path file, PassphraseSource passphrases) throws Failed, StoreException, SottoException {
    return restore(read(file), passphrases);
  }

  private static String uniqueName(Tx tx, String name) throws StoreException {
    String candidate = name;
    for (int i = 2; tx.contactByName(candidate).isPresent(); i++) {
      candidate = name + "-" + i;
    }
    return candidate;
  }

  /** Whether a restore's resets are still to be asked for. */
  boolean restorePending() throws StoreException, SottoException {
    return store.read(tx -> tx.get(KV_RESTORED)).isPresent();
  }

  /**
   * After a restore, once the fresh prekeys are published: asks for a session reset with every
   * contact (not the requests), carrying the restored next_in (spec: backup.adoc#backup-after-restore).
   *
   * @return how many resets were asked for
   */
  int askResets() throws StoreException, SottoException {
    return store.write(tx -> {
      if (tx.get(KV_RESTORED).isEmpty()) {
        return 0;
      }
      Requests.Held requests = Requests.read(tx);
      int n = 0;
      for (Tx.Contact c : tx.contacts()) {
        if (requests.has(c.id()) || c.card() == null) {
          continue;
        }
        Tx.Resets r = tx.resets(c.id());
        tx.setResets(new Tx.Resets(c.id(), r.resets(), r.missing(), r.resetIn(), r.resetOut(), true));
        n++;
      }
      tx.delete(KV_RESTORED);
      return n;
    });
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }
}
