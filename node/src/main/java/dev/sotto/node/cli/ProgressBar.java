package dev.sotto.node.cli;

import dev.sotto.node.Backups;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on standard error for long work (a backup's upload, a restore's fetch): the part
 * done, the sizes and an estimate of the time left, redrawn in place at most 10 times a second. Shown
 * only on a console: elsewhere (a pipe, a test) it writes nothing. me.tongfei:progressbar, which the
 * issue names, is not among the packages this build may use: this is the little it needs.
 */
final class ProgressBar implements Backups.Progress {
  private static final int WIDTH = 24;
  private final PrintStream err;
  private final boolean shown;
  private String what;
  private long started;
  private long lastDraw;
  private boolean drawn;

  ProgressBar(Io io) {
    this.err = io.err();
    this.shown = io.console();
  }

  @Override
  public void step(String task, long done, long total) {
    if (!shown) {
      return;
    }
    long now = System.nanoTime();
    if (!task.equals(what)) {
      end();
      what = task;
      started = now;
    } else if (now - lastDraw < 100_000_000L && done < total) {
      return;
    }
    lastDraw = now;
    double part = total <= 0 ? 1 : Math.min(1, (double) done / total);
    int filled = (int) Math.round(part * WIDTH);
    StringBuilder line = new StringBuilder("\r").append(task).append(" [").append("=".repeat(filled))
        .append(" ".repeat(WIDTH - filled)).append("] ").append(size(done)).append(" / ").append(size(total));
    double elapsed = (now - started) / 1e9;
    if (part > 0 && part < 1 && elapsed > 1) {
      line.append(String.format(Locale.ROOT, ", %.0f s left", elapsed / part - elapsed));
    }
    err.print(line.append("   "));
    err.flush();
    drawn = true;
  }

  /** Ends the line of the bar, if one was drawn. */
  void end() {
    if (drawn) {
      err.println();
      drawn = false;
    }
  }

  /** 1,234 B, 12.3 KiB, 4.5 MiB. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
