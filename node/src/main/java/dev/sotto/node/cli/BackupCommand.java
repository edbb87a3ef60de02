package dev.sotto.node.cli;

import dev.sotto.BackupProtection;
import dev.sotto.node.Backups;
import dev.sotto.node.Node;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "backup",
    header = "Backs up the contacts, settings and history, encrypted, to the mailboxes and/or a file.",
    description = {
        "Writes an encrypted backup (spec: backup.adoc) of this node's contacts, requests, blocked identities, "
            + "settings and messages (never a session or a key), under keys derived from the recovery code: the "
            + "code alone finds and opens it ('sotto init --recover'). By default it goes to each of this node's "
            + "mailboxes, which keep it 400 days after the last backup; only what changed since the last backup is "
            + "uploaded. --out FILE writes the whole backup to a file as well ('sotto restore FILE').",
        "",
        "--passphrase adds a second factor: the contents are then sealed under a key of the recovery code and a "
            + "passphrase (Argon2id), asked twice at the terminal without echo, or read from $SOTTO_BACKUP_PASSPHRASE; "
            + "'sotto restore' and 'sotto init --recover' ask for it. Whoever learns the recovery code alone still finds "
            + "the backups and sees when and how large they were, but reads their contents only by guessing the "
            + "passphrase. Forgotten, it loses the contacts and history: the code still recovers the identity.",
        "",
        "The passphrase is never written anywhere. The key derived from it is kept in this node's sealed store (which "
            + "holds the contacts and history themselves), so that later backups, with or without --passphrase and the "
            + "daily ones too, stay under the same passphrase without asking for it; --passphrase again changes it, "
            + "--no-passphrase drops it. A new passphrase changes every chunk: that backup uploads whole.",
        "",
        "'sotto config --backup daily' makes the running node back up once a day."})
final class BackupCommand extends Cmd {
  @Option(names = "--out", paramLabel = "FILE", description = "Also write the whole backup to this file.")
  Path out;

  @Option(names = "--no-mailboxes", description = "Do not upload to the mailboxes (with --out: the file only).")
  boolean noMailboxes;

  @Option(names = "--passphrase", description = "Seal this backup and the next ones under a passphrase as well"
      + " (asked twice, or $SOTTO_BACKUP_PASSPHRASE); again to change it.")
  boolean passphrase;

  @Option(names = "--no-passphrase", description = "Drop the passphrase: this backup and the next ones open with the"
      + " recovery code alone.")
  boolean noPassphrase;

  @Override
  int execute() throws Exception {
    if (noMailboxes && out == null) {
      throw Failure.input("--no-mailboxes without --out writes the backup nowhere");
    }
    if (passphrase && noPassphrase) {
      throw Failure.input("--passphrase and --no-passphrase together: give one");
    }
    Io io = io();
    try (Node node = openNode()) {
      BackupProtection protection = noPassphrase ? BackupProtection.none() : null;
      if (passphrase) {
        char[] typed = newPassphrase(io);
        try {
          String warning = Passphrases.weakness(typed);
          if (warning != null) {
            io.err().println("warning: a weak passphrase (" + warning + "): whoever learns the recovery code can try"
                + " guesses at it; several unrelated words are far harder to guess");
          }
          protection = BackupProtection.passphrase(typed);
        } catch (IllegalArgumentException e) {
          throw Failure.input("a backup passphrase is 1 to " + BackupProtection.MAX_PASSPHRASE_BYTES
              + " bytes of UTF-8");
        } finally {
          Arrays.fill(typed, '\0');
        }
      }
      ProgressBar bar = new ProgressBar(io);
      Backups.Written w;
      try {
        w = node.backups().backup(!noMailboxes, out, protection, bar);
      } catch (Backups.Failed e) {
        throw Failure.store(e.getMessage());
      } finally {
        bar.end();
      }
      PrintStream o = io.out();
      o.println("Made " + Backups.name(w.manifest()) + ": " + w.chunks() + (w.chunks() == 1 ? " chunk" : " chunks")
          + " (" + ProgressBar.size(w.recordsBytes()) + "), " + w.chunksUploaded() + " uploaded ("
          + ProgressBar.size(w.bytesUploaded()) + " sent in all).");
      o.println(w.manifest().passphrase().isPresent()
          ? "  sealed under the recovery code and a passphrase: 'sotto restore' asks for both"
              + (passphrase ? "; the next backups keep it ('--no-passphrase' drops it)" : "")
          : "  sealed under the recovery code alone" + (noPassphrase ? " (the passphrase is dropped)" : ""));
      for (String where : w.stored()) {
        o.println("  stored: " + where);
      }
      for (String failed : w.failed()) {
        io.err().println("warning: not stored: " + failed);
      }
      int atMailboxes = w.stored().size() - (w.file() != null && w.stored().contains(w.file().toString()) ? 1 : 0);
      if (!noMailboxes && atMailboxes < 2) {
        io.err().println("warning: " + atMailboxes + (atMailboxes == 1 ? " mailbox holds" : " mailboxes hold")
            + " this backup: with fewer than 2, one mailbox that loses or withholds it loses or rolls it back");
      }
    }
    return 0;
  }

  /** A new backup passphrase: $SOTTO_BACKUP_PASSPHRASE, else typed twice at the terminal. The caller clears it. */
  static char[] newPassphrase(Io io) throws Failure {
    return Home.newSecret(io, Main.BACKUP_PASSPHRASE_ENV, "Passphrase of the backups: ");
  }

}
