package org.sparkdpo.jobs.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training metrics accumulated between two log lines, averaged the way TRL averages its logged values: the
 * objective's statistics pooled over every example of the window, the gradient norm averaged over steps, the learning rate of the
 * last step, and throughput over the window's wall time.
 */
final class MetricsWindow {
    private final String throughputKey;
    private StepStats stats;
    private double gradNormSum;
    private double lr;
    private int steps;
    private long tokens;
    private double seconds;

    /** @param throughputKey name of the examples-per-second metric ({@code pairs_per_second}, {@code samples_per_second}) */
    MetricsWindow(String throughputKey) {
        this.throughputKey = throughputKey;
    }

    void add(StepStats s, double gradNorm, double lr, long tokens, double seconds) {
        stats = stats == null ? s : s == null ? stats : stats.merge(s);
        gradNormSum += gradNorm;
        this.lr = lr;
        steps++;
        this.tokens += tokens;
        this.seconds += seconds;
    }

    /** The window as one metrics line (TRL names plus throughput), and a fresh window. */
    Map<String, Object> drain(double epoch, int step) {
        Map<String, Object> m = stats == null ? new LinkedHashMap<>() : new LinkedHashMap<>(stats.metrics(""));
        m.put("grad_norm", gradNormSum / Math.max(1, steps));
        m.put("learning_rate", lr);
        m.put("epoch", epoch);
        m.put("step", step);
        m.put(throughputKey, seconds > 0 && stats != null ? stats.examples() / seconds : 0.0);
        m.put("tokens_per_second", seconds > 0 ? tokens / seconds : 0.0);
        stats = null;
        gradNormSum = 0;
        steps = 0;
        tokens = 0;
        seconds = 0;
        return m;
    }
}
