package dev.sotto.node.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timing adversary of issue 18 against RUNNING nodes (spec: security.adoc#security-timing):
 * a mailbox process M and groups of 6 node processes in 3 pairs, each node writing to its partner
 * through M (none listens) on a Poisson schedule (a message every 5 s on average), each node's links
 * leaving from a loopback address of its own (127.0.G.11 to .16 for group G: what a mailbox sees
 * of IP addresses over TCP). M logs every deposit and every item it hands out, with the time and the link's source
 * address ({@code ProcessHooks.recordMailbox}).
 *
 * <p>Two adversaries read the log, both knowing every defence's parameters, each ranking for each
 * receiver the likely senders; accuracy is the share of receivers whose first guess is the true
 * partner:
 *
 * <ul>
 *   <li><b>Over TCP, the mailbox alone.</b> It sees the address that deposits each item and the
 *       address that fetches it; a loop is deposited and fetched by one address, so it drops those.
 *       Its guess is the address that left the receiver the most items.
 *   <li><b>Through Tor, the mailbox and a global observer.</b> The mailbox knows who fetches each
 *       item (the fetch sets chain a receiver's fetches, security.adoc#fetch-linkability) but not
 *       who deposits; the observer sees when each node uploads an envelope, and the deposit reaches
 *       M Tor's latency later, modelled here as uniform in [0.3 s, 1.5 s] (the running nodes are on
 *       loopback): each upload time is the deposit's time at M less a latency drawn for it. The
 *       observer is told which uploads are envelopes (a bound in its favour: a FETCH of more than
 *       66 tags is the same frame class as a 1 KiB deposit). It ranks senders by statistical
 *       disclosure, as ObserverModelTest's adversary: uploads in the window before each of the
 *       receiver's items, less what the sender's rate of uploads predicts. Mean over 20 draws of
 *       the latencies.
 * </ul>
 *
 * <p>In CI: no defence and all four defences together, at once in two groups (13 JVMs), 20 s of
 * traffic (about 80 s in all on a loaded 2-core machine). With {@code -Dsotto.timing.table=true},
 * README's table: every defence on its own too, one setting a round, 60 s each (about 10 minutes):
 * {@code ./mvnw -B -o test -pl node -Dtest=TimingAdversaryTest -Dsotto.timing.table=true}; with
 * {@code -Dsotto.timing.only=TEXT} as well, only the settings whose name holds TEXT, beside the
 * baseline and all four (prefix fetching: about 6 minutes). Fetching by prefix hands an item to
 * every link that names its prefix (log lines {@code P}): both adversaries spread such an item
 * evenly over every address it went to, which is all the mailbox's log can tell of its receiver
 * when the fetch sets are padded (they never change).
 */
class TimingAdversaryTest extends ClusterTest {
  static final int NODES = 6;
  static final double MEAN_GAP = 5.0; // seconds between a node's messages
  static final double TOR_MIN = 0.3;
  static final double TOR_MAX = 1.5;
  static final int LATENCY_DRAWS = 20;

  record Setting(String name, List<String> flags) {}

  record Measured(double tcp, double tor, int messages, int loops, double loopBytesPerHour, int sent, int shown) {}

  /**
   * One deposit at M: when, from where, and who fetched it (null: nobody), or, fetched by prefix,
   * every address it was handed to (the mailbox cannot tell which of them kept it).
   */
  record Deposit(long nanos, String from, int size, String takenBy, java.util.Set<String> handedTo) {
    /** Who may have taken it, by the mailbox's log: the one that fetched it by tag, or all it was handed to. */
    java.util.Set<String> takers() {
      return takenBy != null ? java.util.Set.of(takenBy) : handedTo;
    }
  }

  private static String node(int g, int i) {
    return "g" + g + "n" + i;
  }

  private static String source(int g, int i) {
    return "127.0." + (1 + g) + "." + (11 + i);
  }

  private static int partner(int i) {
    return i ^ 1;
  }

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void theAdversaryLinksPairsOfRunningNodesAndEachDefenceIsMeasured() throws Exception {
    boolean table = Boolean.getBoolean("sotto.timing.table");
    double seconds = table ? 60 : 20;
    List<Setting> settings = new ArrayList<>(List.of(new Setting("no defence", List.of())));
    if (table) {
      settings.add(new Setting("steady fetching, 1 s +- 500 ms", List.of("--steady-fetch-jitter-ms", "500")));
      settings.add(new Setting("sender delay, uniform 0-3 s", List.of("--send-delay-ms", "3000")));
      settings.add(new Setting("cover loops, 3,600 an hour", List.of("--cover-per-hour", "3600")));
      settings.add(new Setting("padded fetch sets", List.of("--pad-fetch")));
      settings.add(new Setting("prefix fetch, 4 bits, padded", List.of("--prefix-fetch", "4", "--pad-fetch")));
      String only = System.getProperty("sotto.timing.only");
      if (only != null) { // the undefended baseline and the settings whose name holds this text
        settings.removeIf(s -> !s.name().equals("no defence") && !s.name().contains(only));
      }
    }
    settings.add(new Setting("all four", List.of("--steady-fetch-jitter-ms", "500", "--send-delay-ms", "3000",
        "--cover-per-hour", "3600", "--pad-fetch")));

    // In CI both settings run at once, each in a group of its own; the table runs one a round.
    List<List<Setting>> rounds = new ArrayList<>();
    if (table) {
      settings.forEach(s -> rounds.add(List.of(s)));
    } else {
      rounds.add(settings);
    }
    int groups = rounds.stream().mapToInt(List::size).max().orElseThrow();
    cluster.init("m", List.of());
    Address mailbox = cluster.node("m").mailboxAddress();
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < NODES; i++) {
        cluster.init(node(g, i), List.of(mailbox));
      }
      for (int i = 0; i < NODES; i += 2) {
        cluster.introduce(node(g, i), node(g, i + 1));
      }
    }
    Map<String, Measured> results = new LinkedHashMap<>();
    for (int round = 0; round < rounds.size(); round++) {
      results.putAll(run(rounds.get(round), seconds, round));
    }
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-32s %10s %12s %14s %7s %14s%n", "defence",
        "TCP mbox", "Tor+observer", "items (shown)", "loops", "loop B/h/node"));
    results.forEach((name, m) -> out.append(String.format(Locale.ROOT, "%-32s %9.0f%% %11.0f%% %7d (%d/%d) %7d %,14.0f%n",
        name, 100 * m.tcp(), 100 * m.tor(), m.messages(), m.shown(), m.sent(), m.loops(), m.loopBytesPerHour())));
    System.out.print("timing adversary against running nodes (" + (int) seconds + " s each):\n" + out);
    Measured none = results.get("no defence");
    Measured all = results.get("all four");
    results.values().forEach(m -> assertTrue(m.shown() == m.sent(), "every message arrives:\n" + out));
    assertTrue(none.tcp() >= 0.9 && none.tor() >= 0.9, "the adversary must link at least 90 % undefended:\n" + out);
    // All four together: the observer's first guess is right for at most half the receivers
    // (chance is one in five); the margin is for a loaded machine, where fewer loops are sent.
    assertTrue(all.tor() <= 0.6, "all defences:\n" + out);
  }

  /** One round: the settings at once, one group of nodes each, through M; what the adversaries made of each. */
  private Map<String, Measured> run(List<Setting> settings, double seconds, int round) throws Exception {
    Path log = cluster.home("m").resolveSibling("mailbox-" + round + ".log");
    cluster.spawn("m", "--mailbox-log", log.toString());
    int groups = settings.size();
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < NODES; i++) {
        List<String> args = new ArrayList<>(List.of("--no-listen", "--source", source(g, i)));
        args.addAll(settings.get(g).flags());
        cluster.spawn(node(g, i), args.toArray(String[]::new));
      }
    }
    cluster.running("m").port();
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < NODES; i++) {
        cluster.running(node(g, i)).port();
      }
    }
    cluster.log("round " + round + ": all ready");
    // The schedule: each node writes to its partner at Poisson times (the test's own random, seeded).
    Random r = new Random(1000 + round);
    List<double[]> sends = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < NODES; i++) {
        for (double t = exp(r, MEAN_GAP); t < seconds; t += exp(r, MEAN_GAP)) {
          sends.add(new double[] {t, g, i});
        }
      }
    }
    sends.sort((a, b) -> Double.compare(a[0], b[0]));
    long start = System.nanoTime();
    Map<String, Integer> sentBy = new HashMap<>();
    int[] sent = new int[groups];
    int k = 0;
    for (double[] send : sends) {
      long wait = start + (long) (send[0] * 1e9) - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      int g = (int) send[1];
      int from = (int) send[2];
      String text = "r" + round + "m" + (k++);
      cluster.node(node(g, from)).send(node(g, partner(from)), text);
      sentBy.put(text, g);
      sent[g]++;
    }
    cluster.await(Duration.ofSeconds(60), "round " + round + ": every outbox empties", () -> {
      for (int g = 0; g < groups; g++) {
        for (int i = 0; i < NODES; i++) {
          if (cluster.node(node(g, i)).outboxSize() > 0) {
            return false;
          }
        }
      }
      return true;
    });
    Thread.sleep(3_000); // the last items fetched (every second, and a round of loops)
    int[] shown = new int[groups];
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < NODES; i++) {
        cluster.stop(node(g, i));
        for (dev.sotto.node.Node.Shown m : cluster.node(node(g, i)).read()) {
          if (m.incoming() && sentBy.containsKey(m.text())) {
            shown[sentBy.get(m.text())]++;
          }
        }
      }
    }
    cluster.stop("m");
    List<String> lines = Files.readAllLines(log);
    Map<String, Measured> out = new LinkedHashMap<>();
    for (int g = 0; g < groups; g++) {
      out.put(settings.get(g).name(), analyse(lines, g, sent[g], seconds, shown[g]));
    }
    return out;
  }

  /** What the two adversaries make of group g's part of M's log. */
  private static Measured analyse(List<String> lines, int g, int sent, double seconds, int shown) {
    Map<String, Deposit> byTag = new LinkedHashMap<>();
    // Deposits first: a FETCH on another link may hand an item out (and log it) before its deposit is logged.
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f[0].equals("D")) {
        byTag.putIfAbsent(f[3], new Deposit(Long.parseLong(f[1]), f[2], Integer.parseInt(f[4]), null,
            new java.util.TreeSet<>()));
      }
    }
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f[0].equals("I")) {
        Deposit d = byTag.get(f[3]);
        if (d != null && d.takenBy() == null) {
          byTag.put(f[3], new Deposit(d.nanos(), d.from(), d.size(), f[2], d.handedTo()));
        }
      }
      if (f[0].equals("P")) {
        Deposit d = byTag.get(f[3]);
        if (d != null) {
          d.handedTo().add(f[2]);
        }
      }
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < NODES; i++) {
      index.put(source(g, i), i);
    }
    List<Deposit> deposits = byTag.values().stream().filter(d -> index.containsKey(d.from()) && !d.takers().isEmpty()
        && d.takers().stream().allMatch(index::containsKey)).toList();
    // Over TCP, the mailbox alone: drop loops (one address both ways), count items per (receiver,
    // sender); an item handed out by prefix counts for each address it went to, shared among them.
    double[][] count = new double[NODES][NODES];
    int loops = 0;
    long loopBytes = 0;
    for (Deposit d : deposits) {
      int from = index.get(d.from());
      if (d.takenBy() != null && index.get(d.takenBy()) == from) {
        loops++;
        loopBytes += d.size();
        continue;
      }
      for (String taker : d.takers()) {
        if (index.get(taker) != from) {
          count[index.get(taker)][from] += 1.0 / d.takers().size();
        }
      }
    }
    int tcpRight = 0;
    for (int rcv = 0; rcv < NODES; rcv++) {
      tcpRight += argmax(count[rcv], rcv) == partner(rcv) ? 1 : 0;
    }
    // Through Tor: uploads at the deposit's time less a modelled latency; statistical disclosure.
    long t0 = deposits.stream().mapToLong(Deposit::nanos).min().orElse(0);
    double duration = (deposits.stream().mapToLong(Deposit::nanos).max().orElse(t0) - t0) / 1e9 + TOR_MAX;
    double torRight = 0;
    for (int draw = 0; draw < LATENCY_DRAWS; draw++) {
      Random r = new Random(draw);
      List<List<Double>> uploads = new ArrayList<>();
      for (int i = 0; i < NODES; i++) {
        uploads.add(new ArrayList<>());
      }
      double[] arrival = new double[deposits.size()];
      for (int j = 0; j < deposits.size(); j++) {
        Deposit d = deposits.get(j);
        arrival[j] = (d.nanos() - t0) / 1e9 + TOR_MAX;
        uploads.get(index.get(d.from())).add(arrival[j] - TOR_MIN - (TOR_MAX - TOR_MIN) * r.nextDouble());
      }
      double[][] times = new double[NODES][];
      for (int i = 0; i < NODES; i++) {
        times[i] = uploads.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
      }
      double[][] observed = new double[NODES][NODES];
      double[] received = new double[NODES];
      for (int j = 0; j < deposits.size(); j++) {
        java.util.Set<String> takers = deposits.get(j).takers();
        for (String taker : takers) {
          int rcv = index.get(taker);
          double w = 1.0 / takers.size();
          received[rcv] += w;
          for (int snd = 0; snd < NODES; snd++) {
            if (snd != rcv && any(times[snd], arrival[j] - TOR_MAX, arrival[j] - TOR_MIN)) {
              observed[rcv][snd] += w;
            }
          }
        }
      }
      for (int rcv = 0; rcv < NODES; rcv++) {
        double[] score = new double[NODES];
        for (int snd = 0; snd < NODES; snd++) {
          // The chance that a sender of this many uploads, at random times, has one in a window.
          double busy = 1 - Math.exp(-times[snd].length * (TOR_MAX - TOR_MIN) / duration);
          score[snd] = observed[rcv][snd] - received[rcv] * busy;
        }
        torRight += argmax(score, rcv) == partner(rcv) ? 1 : 0;
      }
    }
    return new Measured((double) tcpRight / NODES, torRight / LATENCY_DRAWS / NODES, deposits.size() - loops, loops,
        loopBytes * 2 * 3600.0 / NODES / seconds, sent, shown);
  }

  private static int argmax(double[] xs, int skip) {
    int best = -1;
    for (int i = 0; i < xs.length; i++) {
      if (i != skip && (best < 0 || xs[i] > xs[best])) {
        best = i;
      }
    }
    return best;
  }

  private static boolean any(double[] sorted, double from, double to) {
    int i = Arrays.binarySearch(sorted, from);
    i = i >= 0 ? i : -i - 1;
    return i < sorted.length && sorted[i] <= to;
  }

  private static double exp(Random r, double mean) {
    return -mean * Math.log(1 - r.nextDouble());
  }
}
