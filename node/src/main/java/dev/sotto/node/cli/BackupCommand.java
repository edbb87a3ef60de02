package dev.sotto.node.cli;

import dev.sotto.node.Backups;
import dev.sotto.node.Node;
import java.io.PrintStream;
import java.nio.file.Path;
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
        "'sotto config --backup daily' makes the running node back up once a day."})
final class BackupCommand extends Cmd {
  @Option(names = "--out", paramLabel = "FILE", description = "Also write the whole backup to this file.")
  Path out;

  @Option(names = "--no-mailboxes", description = "Do not upload to the mailboxes (with --out: the file only).")
  boolean noMailboxes;

  @Override
  int execute() throws Exception {
    if (noMailboxes && out == null) {
      throw Failure.input("--no-mailboxes without --out writes the backup nowhere");
    }
    Io io = io();
    try (Node node = openNode()) {
      ProgressBar bar = new ProgressBar(io);
      Backups.Written w;
      try {
        w = node.backups().backup(!noMailboxes, out, bar);
      } catch (Backups.Failed e) {
        throw Failure.store(e.getMessage());
      } finally {
        bar.end();
      }
      PrintStream o = io.out();
      o.println("Made " + Backups.name(w.manifest()) + ": " + w.chunks() + (w.chunks() == 1 ? " chunk" : " chunks")
          + " (" + ProgressBar.size(w.recordsBytes()) + "), " + w.chunksUploaded() + " uploaded ("
          + ProgressBar.size(w.bytesUploaded()) + " sent in all).");
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
}
