package dev.sotto.node.timing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The timing-correlation adversary of issue 18, written first, against a MODEL of the reference
 * node's schedule (not against running nodes, and the defences it measures are not in the node):
 * 60 nodes in 30 pairs, each writing to its partner through one shared mailbox on a Poisson
 * schedule (a message every 10 minutes on average, 70 % answered after about a minute), for 3
 * hours; every node fetches every 1.01 s, as the node does. Links go through Tor: the mailbox does
 * not see who deposits, but it knows who fetched each item (a receiver's fetch set links its
 * fetches, security.adoc#fetch-linkability), and a global observer sees when each node's Tor link
 * carries an upload of an envelope's size. The adversary (mailbox and global observer together)
 * knows the defence's parameters and ranks, for each receiver, the senders whose uploads fall in
 * the window before its items arrived more often than chance predicts (a statistical disclosure
 * attack); its accuracy is the share of receivers whose first guess is their true partner.
 *
 * <p>It must be strong on the undefended baseline (at least 90 %), or it would flatter every
 * defence. The table it prints (README, "Timing correlation, a model") is of this model: 8
 * settings, 5 seeds each; costs about 7 s.
 */
class ObserverModelTest {
  static final int NODES = 60;
  static final double HOURS = 3;
  static final double MEAN_GAP = 600; // seconds between a node's own messages
  static final double ANSWERED = 0.7;
  static final double ANSWER_DELAY = 60;
  static final double TOR_MIN = 0.3; // a deposit's latency through Tor, seconds
  static final double TOR_MAX = 1.5;
  static final int ENVELOPE = 4160; // a frame of the 4 KiB class: what one upload costs

  /** The defences, each switchable, with the parameters the adversary is told. */
  record Defence(String name, double maxDelay, double coverPerMinute, boolean hiddenFetchSets) {}

  record Result(double accuracy, double bytesPerHour, double addedLatency) {}

  record Upload(int node, double time) {}

  record Item(int sender, int receiver, double arrival) {}

  static Result run(Defence d, long seed) {
    Random r = new Random(seed);
    int[] partner = new int[NODES];
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, r);
    for (int i = 0; i < NODES; i += 2) {
      partner[order.get(i)] = order.get(i + 1);
      partner[order.get(i + 1)] = order.get(i);
    }
    double end = HOURS * 3600;
    List<Upload> uploads = new ArrayList<>();
    List<Item> items = new ArrayList<>();
    double delaySum = 0;
    int real = 0;
    for (int s = 0; s < NODES; s++) {
      for (double t = exp(r, MEAN_GAP); t < end; t += exp(r, MEAN_GAP)) {
        List<double[]> sends = new ArrayList<>();
        sends.add(new double[] {s, t});
        if (r.nextDouble() < ANSWERED) {
          sends.add(new double[] {partner[s], t + TOR_MAX + exp(r, ANSWER_DELAY)});
        }
        for (double[] send : sends) {
          int from = (int) send[0];
          double delay = d.maxDelay() * r.nextDouble();
          delaySum += delay;
          real++;
          double at = send[1] + delay;
          uploads.add(new Upload(from, at));
          items.add(new Item(from, partner[from], at + TOR_MIN + (TOR_MAX - TOR_MIN) * r.nextDouble()));
        }
      }
      // Cover: loops to oneself, deposited and fetched like real envelopes (the mailbox cannot tell them apart).
      if (d.coverPerMinute() > 0) {
        for (double t = exp(r, 60 / d.coverPerMinute()); t < end; t += exp(r, 60 / d.coverPerMinute())) {
          uploads.add(new Upload(s, t));
          items.add(new Item(s, s, t + TOR_MIN + (TOR_MAX - TOR_MIN) * r.nextDouble()));
        }
      }
    }
    // The global observer sees the upload itself, after the sender's delay: the delay widens nothing.
    double window = TOR_MAX;
    // For each node, its upload times, sorted, to count uploads in a window.
    double[][] times = new double[NODES][];
    for (int n = 0; n < NODES; n++) {
      final int node = n;
      times[n] = uploads.stream().filter(u -> u.node() == node).mapToDouble(Upload::time).sorted().toArray();
    }
    double[][] observed = new double[NODES][NODES];
    int[] received = new int[NODES];
    for (Item item : items) {
      // With hidden fetch sets the mailbox cannot tell who took an item: it guesses a receiver uniformly.
      int receiver = d.hiddenFetchSets() ? r.nextInt(NODES) : item.receiver();
      received[receiver]++;
      for (int s = 0; s < NODES; s++) {
        if (s != receiver && any(times[s], item.arrival() - window - (TOR_MAX - TOR_MIN), item.arrival() - TOR_MIN)) {
          observed[receiver][s]++;
        }
      }
    }
    int right = 0;
    for (int receiver = 0; receiver < NODES; receiver++) {
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int s = 0; s < NODES; s++) {
        if (s == receiver) {
          continue;
        }
        // What chance predicts: the share of the time that s has an upload in such a window.
        double busy = Math.min(1, times[s].length * (window + TOR_MAX - TOR_MIN) / end);
        double score = observed[receiver][s] - received[receiver] * busy;
        if (score > bestScore) {
          bestScore = score;
          best = s;
        }
      }
      right += best == partner[receiver] ? 1 : 0;
    }
    double bytesPerHour = (double) uploads.size() * ENVELOPE * (d.hiddenFetchSets() ? NODES : 2) / NODES / HOURS;
    return new Result((double) right / NODES, bytesPerHour, delaySum / Math.max(1, real));
  }

  private static boolean any(double[] sorted, double from, double to) {
    int i = Arrays.binarySearch(sorted, from);
    i = i >= 0 ? i : -i - 1;
    return i < sorted.length && sorted[i] <= to;
  }

  private static double exp(Random r, double mean) {
    return -mean * Math.log(1 - r.nextDouble());
  }

  @Test
  void theAdversaryIsStrongOnTheBaselineAndEachDefenceIsMeasured() {
    Defence[] defences = {
      new Defence("no defence", 0, 0, false),
      new Defence("sender delay, uniform 0-60 s", 60, 0, false),
      new Defence("sender delay, uniform 0-600 s", 600, 0, false),
      new Defence("cover loops, 1 a minute", 0, 1, false),
      new Defence("cover loops, 6 a minute", 0, 6, false),
      new Defence("hidden fetch sets", 0, 0, true),
      new Defence("delay 0-600 s and cover 6/min", 600, 6, false),
      new Defence("all three", 600, 6, true),
    };
    StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-32s %9s %14s %12s%n", "defence (model)",
        "accuracy", "bytes/h/node", "added delay"));
    double[] accuracy = new double[defences.length];
    for (int i = 0; i < defences.length; i++) {
      double sum = 0;
      Result last = null;
      for (long seed = 1; seed <= 5; seed++) {
        last = run(defences[i], seed);
        sum += last.accuracy();
      }
      accuracy[i] = sum / 5;
      table.append(String.format(Locale.ROOT, "%-32s %8.0f%% %,14.0f %10.0f s%n", defences[i].name(), 100 * accuracy[i],
          last.bytesPerHour(), last.addedLatency()));
    }
    System.out.print(table);
    assertTrue(accuracy[0] >= 0.9, "the adversary must link at least 90 % of pairs undefended:\n" + table);
    assertTrue(accuracy[7] < accuracy[0], table.toString());
  }
}
