package org.sparkdpo.jobs.train;

import java.io.PrintStream;
import java.util.Map;

/**
 * The one-line console progress of a training run: rewritten in place on a terminal, one line per logged step
 * otherwise (logs, CI), always on stderr so stdout stays clean.
 */
final class ProgressLine {
    private final int total;
    private final PrintStream err = System.err;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();

    ProgressLine(int total) {
        this.total = total;
    }

    void show(int step, Map<String, Object> m) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = step > 0 ? elapsed / step * (total - step) : 0;
        String line = String.format("step %d/%d  loss %.4f  acc %.2f  margin %+.4f  %.1f pairs/s  %.0f tok/s  eta %s",
                step, total, num(m.get("loss")), num(m.get("rewards/accuracies")), num(m.get("rewards/margins")),
                num(m.get("pairs_per_second")), num(m.get("tokens_per_second")), clock(eta));
        if (terminal) err.print("\r" + line + "   ");
        else err.println(line);
        err.flush();
    }

    void finish() {
        if (terminal) err.println();
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
