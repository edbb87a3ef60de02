package dev.sotto.node.cli;

import dev.sotto.BackupRestore;
import dev.sotto.SottoException;
import dev.sotto.node.Backups;
import dev.sotto.node.Node;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "restore",
    header = "Restores a backup into this node: from a file, or the newest one at its mailboxes.",
    description = {
        "Restores the contacts, settings and history of a backup ('sotto backup') into this node, which must hold "
            + "none yet (a home made by 'sotto init --recover'). Without FILE, asks every mailbox of this node for "
            + "its backup and restores the newest. It commits once or not at all: a wrong identity, a damaged or "
            + "missing chunk, an older backup than this device's own, a full disk leave the store as it was.",
        "",
        "Afterwards every session is reset: the node publishes fresh prekeys, then sends each contact a reset "
            + "saying which of their messages it has, so that they send again what it lost."})
final class RestoreCommand extends Cmd {
  @Parameters(arity = "0..1", paramLabel = "FILE", description = "A backup file written by 'sotto backup --out'.")
  Path file;

  @Override
  int execute() throws Exception {
    try (Node node = openNode()) {
      run(io(), node, file);
    }
    return 0;
  }

  /** Restores into {@code node} from {@code file}, or from its mailboxes when null, and finishes the restore. */
  static void run(Io io, Node node, Path file) throws Exception {
    ProgressBar bar = new ProgressBar(io);
    Backups.Restored r;
    try {
      Backups.PassphraseSource ask = manifest -> Home.secret(io, Main.BACKUP_PASSPHRASE_ENV,
          "Passphrase of this backup: ");
      r = file == null ? node.backups().restoreFromMailboxes(bar, ask) : node.backups().restoreFile(file, ask);
    } catch (Backups.Failed e) {
      throw Failure.input(e.getMessage());
    } catch (BackupRestore.Rollback e) {
      throw Failure.input("refused " + Backups.name(e.refused()) + ": it is older than this device's own last backup ("
          + Backups.name(e.floor()) + "); nothing was restored");
    } catch (SottoException e) {
      throw Failure.input(restoreError(e) + "; nothing was restored");
    } catch (dev.sotto.node.store.StoreException e) {
      // a full disk, a busy or damaged store: the restore's one transaction did not commit
      Failure f = Errors.store(e);
      throw new Failure(f.status(), f.getMessage() + "; nothing was restored");
    } finally {
      bar.end();
    }
    PrintStream out = io.out();
    out.println("Restored " + Backups.name(r.manifest()) + ": " + r.contacts() + (r.contacts() == 1 ? " contact, "
        : " contacts, ") + r.requests() + (r.requests() == 1 ? " request, " : " requests, ") + r.blocked() + " blocked, "
        + r.messages() + (r.messages() == 1 ? " message." : " messages."));
    if (r.ownCards() > 0) {
      out.println("Your " + (r.ownCards() == 1 ? "earlier card is" : r.ownCards() + " earlier cards are")
          + " held again, with fresh prekeys: contacts who hold only " + (r.ownCards() == 1 ? "it" : "one of them")
          + " can still write first.");
    }
    for (String line : r.heads()) {
      out.println("  " + line);
    }
    Node.RestoreFinished f = node.finishRestore(bar);
    bar.end();
    out.println(f.unpublished() == 0
        ? "Fresh prekeys published; " + f.resets() + (f.resets() == 1 ? " session reset" : " session resets")
            + " queued: 'sotto run' sends them, and your contacts send again what this device lost."
        : "Fresh prekeys not all published yet (a mailbox did not answer): 'sotto run' publishes them, then resets"
            + " every session.");
    if (f.claim() != null) {
      out.println("This device's backups go on from " + Backups.name(f.claim().manifest()) + " (only a new head was"
          + " uploaded): a device restored from an older backup stops sending.");
    } else if (f.claimFailure() != null) {
      io.err().println("warning: no backup made after the restore: " + f.claimFailure());
    }
  }

  /** A restore's refusal, in one line for the user. */
  static String restoreError(SottoException e) {
    return switch (e.code()) {
      case UNKNOWN_TAG -> "this backup was made by another identity (or under another recovery code)";
      case AUTH_FAILED -> "the backup does not open: a wrong passphrase, or a head or chunk was altered (AUTH_FAILED)";
      case BAD_SIGNATURE -> "the backup's head was altered: its signature does not verify (BAD_SIGNATURE)";
      case TRUNCATED -> "the backup is incomplete: a chunk is missing or cut short (TRUNCATED)";
      case TRAILING_DATA -> "the backup file has bytes after its end (TRAILING_DATA)";
      case UNSUPPORTED_VERSION -> "this backup's version is not one this node reads (UNSUPPORTED_VERSION)";
      case LIMIT_EXCEEDED -> "this backup is of the last restore generation and cannot be restored (LIMIT_EXCEEDED)";
      default -> "the backup is damaged (" + e.code() + ")";
    };
  }
}
