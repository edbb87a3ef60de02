package dev.sotto.node.timing;

import java.util.List;

/**
 * The reply-timing adversary's score (spec: security.adoc#security-timing), shared by the model
 * (ReplyTimingModelTest) and the run through a real Tor network (it.TimingTorTest): for each pair
 * (X, Y), the log-likelihood ratio of "Y's events include answers to X's, at the answer's lag"
 * against "independent", both directions added; a node's first guess is the highest-scoring other
 * node.
 */
public final class ReplyScore {
  private ReplyScore() {}

  /**
   * The share of nodes whose highest-scoring other node is their partner. {@code events} are each
   * node's event times in bins of the lag density's grid, those from {@code end} on ignored;
   * {@code active} is the schedule's span (for the rates), {@code loops} each node's number of
   * loops (never answered), {@code answered} the share of messages answered.
   */
  public static double accuracy(List<List<Double>> events, int[] partner, double[] lag, double end, double active,
      double loops, double answered) {
    int nodes = events.size();
    int bins = (int) Math.ceil(end) + 1;
    int size = Integer.highestOneBit(bins + lag.length) * 2;
    double[] lagRe = null;
    double[] lagIm = null;
    double[][] expected = new double[nodes][]; // c_X on the grid
    double[] rho = new double[nodes];
    double[] rate = new double[nodes];
    int[] count = new int[nodes];
    for (int x = 0; x < nodes; x++) {
      int[] own = events.get(x).stream().filter(t -> t < end).mapToInt(Double::intValue).toArray();
      double[] c = new double[size];
      if ((double) own.length * lag.length < 20.0 * size * Integer.numberOfTrailingZeros(size)) {
        for (int t : own) { // few events: add the density after each
          for (int k = 0; k < lag.length; k++) {
            c[t + k] += lag[k];
          }
        }
      } else { // many (loops): convolve by FFT
        if (lagRe == null) {
          lagRe = new double[size];
          lagIm = new double[size];
          System.arraycopy(lag, 0, lagRe, 0, lag.length);
          fft(lagRe, lagIm, false);
        }
        double[] im = new double[size];
        for (int t : own) {
          c[t]++;
        }
        fft(c, im, false);
        for (int k = 0; k < size; k++) {
          double a = c[k] * lagRe[k] - im[k] * lagIm[k];
          im[k] = c[k] * lagIm[k] + im[k] * lagRe[k];
          c[k] = a;
        }
        fft(c, im, true);
      }
      expected[x] = c;
      count[x] = events.get(x).size();
      rate[x] = Math.max(1, count[x]) / active; // the schedule's span, not its tails
      // A share of a node's messages are answered; loops are never answered.
      double real = Math.max(0, count[x] - loops);
      rho[x] = count[x] == 0 ? 0 : answered * real / count[x];
    }
    double[][] directed = new double[nodes][nodes]; // directed[x][y]: y's events as answers to x's
    int[][] at = new int[nodes][];
    for (int y = 0; y < nodes; y++) {
      at[y] = events.get(y).stream().filter(t -> t < end).mapToInt(Double::intValue).toArray();
    }
    for (int x = 0; x < nodes; x++) {
      double[] c = expected[x];
      for (int y = 0; y < nodes; y++) {
        if (x == y) {
          continue;
        }
        double s = -rho[x] * count[x];
        double k = rho[x] / rate[y];
        for (int t : at[y]) {
          s += Math.log(1 + k * Math.max(0, c[t]));
        }
        directed[x][y] = s;
      }
    }
    int right = 0;
    for (int x = 0; x < nodes; x++) {
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int y = 0; y < nodes; y++) {
        if (y != x && directed[x][y] + directed[y][x] > bestScore) {
          bestScore = directed[x][y] + directed[y][x];
          best = y;
        }
      }
      right += best == partner[x] ? 1 : 0;
    }
    return (double) right / nodes;
  }

  /** In-place radix-2 FFT; the inverse divides by the size. */
  public static void fft(double[] re, double[] im, boolean inverse) {
    int n = re.length;
    for (int i = 1, j = 0; i < n; i++) {
      int bit = n >> 1;
      for (; (j & bit) != 0; bit >>= 1) {
        j ^= bit;
      }
      j ^= bit;
      if (i < j) {
        double t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (int len = 2; len <= n; len <<= 1) {
      double angle = 2 * Math.PI / len * (inverse ? 1 : -1);
      double wr = Math.cos(angle);
      double wi = Math.sin(angle);
      for (int i = 0; i < n; i += len) {
        double cr = 1;
        double ci = 0;
        for (int k = 0; k < len / 2; k++) {
          int a = i + k;
          int b = a + len / 2;
          double br = re[b] * cr - im[b] * ci;
          double bi = re[b] * ci + im[b] * cr;
          re[b] = re[a] - br;
          im[b] = im[a] - bi;
          re[a] += br;
          im[a] += bi;
          double ncr = cr * wr - ci * wi;
          ci = cr * wi + ci * wr;
          cr = ncr;
        }
      }
    }
    if (inverse) {
      for (int i = 0; i < n; i++) {
        re[i] /= n;
        im[i] /= n;
      }
    }
  }

}
