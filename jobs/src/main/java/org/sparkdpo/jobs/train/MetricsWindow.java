package org.sparkdpo.jobs.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkdpo.model.dpo.DpoStats;

/**
 * Training metrics accumulated between two log lines, averaged the way TRL averages its logged values: DPO
 * statistics pooled over every pair of the window, the gradient norm averaged over steps, the learning rate of the
 * last step, and throughput over the window's wall time.
 */
final class MetricsWindow {
    private DpoStats stats = DpoStats.EMPTY;
    private double gradNormSum;
    private double lr;
    private int steps;
    private long tokens;
    private double seconds;

    void add(DpoStats s, double gradNorm, double lr, long tokens, double seconds) {
        stats = stats.merge(s);
        gradNormSum += gradNorm;
        this.lr = lr;
        steps++;
        this.tokens += tokens;
        this.seconds += seconds;
    }

    /** The window as one metrics line (TRL names plus throughput), and a fresh window. */
    Map<String, Object> drain(double epoch, int step) {
        Map<String, Object> m = new LinkedHashMap<>(stats.metrics(""));
        m.put("grad_norm", gradNormSum / Math.max(1, steps));
        m.put("learning_rate", lr);
        m.put("epoch", epoch);
        m.put("step", step);
        m.put("pairs_per_second", seconds > 0 ? stats.pairs() / seconds : 0.0);
        m.put("tokens_per_second", seconds > 0 ? tokens / seconds : 0.0);
        stats = DpoStats.EMPTY;
        gradNormSum = 0;
        steps = 0;
        tokens = 0;
        seconds = 0;
        return m;
    }
}
