package dev.sotto.node.cli;

import dev.sotto.node.Node;
import dev.sotto.node.NodeLog;
import dev.sotto.node.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "status",
    header = "Says whether the node runs, and what works and what fails.",
    description = {
        "Says whether a node runs for this home and where it listens, the addresses its card gives, how many contacts "
            + "and waiting messages it has, each mailbox (reachable, or failing since when and why; the last fetch), "
            + "the contacts it fails to deliver to, what else fails (the store, a full disk), what it refused, and "
            + "where its log is. What the running node does is as it last wrote it (at most a minute old)."})
final class StatusCommand extends Cmd {
  private static final String INDENT = "            ";

  @Override
  int execute() throws Exception {
    Io io = io();
    Path home = home();
    try (Node node = openNode()) {
      long now = io.clock().millis();
      boolean running = NodeLock.isHeld(home);
      Report.NodeState state = node.nodeState();
      io.out().println(line("node:", nodeLine(io, home, running, state, now)));
      io.out().println(line("card:", String.join("\n" + INDENT, node.card().addresses().stream()
          .map(Node::addressText).toList())));
      int contacts = node.contacts().size();
      int requests = node.contactBook().requests().size();
      io.out().println(line("contacts:", contacts + (requests == 0 ? ""
          : "; " + requests + (requests == 1 ? " request waits" : " requests wait") + " ('sotto contact requests')")));
      List<Report.Waiting> waiting = node.outbox();
      long failing = waiting.stream().filter(w -> w.state() == Report.State.FAILING).count();
      io.out().println(line("outbox:", waiting.isEmpty() ? "empty"
          : waiting.size() + (waiting.size() == 1 ? " message waits" : " messages wait")
              + (failing > 0 ? ", " + failing + " failing" : "") + " ('sotto outbox' lists them)"));
      io.out().println(line("mailboxes:", mailboxes(io, node, state)));
      if (state != null && !state.failingContacts().isEmpty()) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Report.Trouble> e : state.failingContacts().entrySet()) {
          out.append(out.length() == 0 ? "" : "\n" + INDENT).append(e.getKey()).append(": ")
              .append(trouble(io, e.getValue()));
        }
        io.out().println(line("failing:", out.toString()));
      }
      if (state != null && !state.problems().isEmpty()) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Report.Trouble> e : state.problems().entrySet()) {
          out.append(out.length() == 0 ? "" : "\n" + INDENT).append(e.getKey()).append(": ")
              .append(trouble(io, e.getValue()));
        }
        io.out().println(line("problems:", out.toString()));
      }
      if (state != null && state.refused() > 0) {
        io.out().println(line("refused:", state.refused() + " in all; the last at "
            + Show.time(io, state.lastRefusedMillis() / 1000) + ": " + state.lastRefused()));
      }
      long free = Files.getFileStore(home).getUsableSpace();
      io.out().println(line("disk:", bytes(free) + " free" + (free < 64L << 20 ? " (low: the store needs room to"
          + " write)" : "")));
      io.out().println(line("log:", NodeLog.directory(home).resolve(NodeLog.CURRENT).toString()));
    }
    return 0;
  }

  private static String line(String label, String value) {
    return String.format("%-12s%s", label, value);
  }

  private static String nodeLine(Io io, Path home, boolean running, Report.NodeState s, long now) {
    if (running) {
      String line = "running (process " + NodeLock.holder(home) + ")";
      if (s == null || s.stoppedMillis() != 0 && s.startedMillis() < s.stoppedMillis()) {
        return line + "; it has not written its status yet";
      }
      line += s.listening().isEmpty() ? ", not listening" : ", listening on " + s.listening();
      line += ", since " + Show.time(io, s.startedMillis() / 1000);
      if (now - s.writtenMillis() > Delivery.STALE_MILLIS) {
        line += "\n" + INDENT + "but it has not written its status since " + Show.time(io, s.writtenMillis() / 1000)
            + ": its store may fail (a full disk?): see its log";
      }
      return line;
    }
    String line = "not running ('sotto run' starts it)";
    if (s != null) {
      line += s.stoppedMillis() != 0 ? "; it last ran until " + Show.time(io, s.stoppedMillis() / 1000)
          : "; it last wrote its status at " + Show.time(io, s.writtenMillis() / 1000) + " and did not stop cleanly";
    }
    return line;
  }

  private static String mailboxes(Io io, Node node, Report.NodeState s) {
    List<String> configured = node.config().mailboxes().stream().map(a -> shown(a.host(), a.port())).toList();
    if (configured.isEmpty()) {
      return "none (contacts reach this node directly only)";
    }
    StringBuilder out = new StringBuilder();
    for (String m : configured) {
      Report.Mailbox seen = s == null ? null
          : s.mailboxes().stream().filter(x -> x.address().equals(m)).findFirst().orElse(null);
      out.append(out.length() == 0 ? "" : "\n" + INDENT).append(m).append("  ");
      if (seen == null || seen.lastFetchMillis() == 0 && seen.fetch() == null) {
        out.append("not tried yet");
      } else if (seen.fetch() == null) {
        out.append("reachable; last fetch ").append(Show.time(io, seen.lastFetchMillis() / 1000));
      } else {
        out.append("fetching ").append(trouble(io, seen.fetch()));
        if (seen.lastOkMillis() > 0) {
          out.append("; last fetch that worked ").append(Show.time(io, seen.lastOkMillis() / 1000));
        }
      }
      if (seen != null && seen.publish() != null) {
        out.append("\n" + INDENT + "  publishing prekeys ").append(trouble(io, seen.publish()));
      }
    }
    return out.toString();
  }

  private static String shown(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  private static String trouble(Io io, Report.Trouble t) {
    return "failing since " + Show.time(io, t.sinceMillis() / 1000) + " (" + t.failures()
        + (t.failures() == 1 ? " time" : " times") + "): " + t.error();
  }

  private static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format("%.1f GB", n / (double) (1L << 30));
    }
    return n >= 1L << 20 ? String.format("%.1f MB", n / (double) (1L << 20)) : n + " bytes";
  }
}
