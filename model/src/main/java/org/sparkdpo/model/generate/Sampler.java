package org.sparkdpo.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits, in float64, with transformers' order of logits processing:
 * temperature, top-k, top-p, then a draw from the renormalised probabilities.
 */
public final class Sampler {
    private Sampler() {}

    /** The random stream of prompt {@code index} of a request: independent of batching, fixed by (seed, index). */
    public static SplittableRandom streamFor(long seed, int index) {
        return new SplittableRandom(mix(seed) ^ mix(0x9E3779B97F4A7C15L * (index + 1L)));
    }

    private static long mix(long z) {                           // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next token for {@code logits} [V] under {@code c}; {@code rng} is used only when sampling. */
    public static int next(double[] logits, GenerationConfig c, SplittableRandom rng) {
        if (c.greedy()) return argmax(logits);
        int v = logits.length;
        double[] scaled = new double[v];
        for (int i = 0; i < v; i++) scaled[i] = logits[i] / c.temperature();
        if (c.topK() > 0 && c.topK() < v) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - c.topK()];
            for (int i = 0; i < v; i++) if (scaled[i] < kth) scaled[i] = Double.NEGATIVE_INFINITY;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double x : scaled) max = Math.max(max, x);
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp(scaled[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < v; i++) p[i] /= sum;
        if (c.topP() < 1) keepNucleus(p, c.topP());
        double total = 0;
        for (double x : p) total += x;
        double u = rng.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < v; i++) {
            if (p[i] <= 0) continue;
            last = i;
            u -= p[i];
            if (u < 0) return i;
        }
        return last;                                            // rounding left u >= 0: the last kept token
    }

    /**
     * Zeroes every token outside the nucleus: tokens taken by decreasing probability (lower id first on ties) until
     * their mass reaches {@code topP}; the token that crosses it is kept, and always at least one token.
     */
    static void keepNucleus(double[] p, double topP) {
        int v = p.length;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double mass = 0;
        int k = 0;
        while (k < v && (k == 0 || mass < topP)) mass += p[order[k++]];
        for (int j = k; j < v; j++) p[order[j]] = 0;
    }

    /** Index of the largest value, the lowest index among equal maxima (as torch.argmax); NaN is refused. */
    public static int argmax(double[] x) {
        int best = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i])) throw new IllegalStateException("logit " + i + " is NaN");
            if (x[i] > x[best]) best = i;
        }
        return best;
    }
}
