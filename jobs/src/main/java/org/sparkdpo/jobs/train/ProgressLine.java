package org.sparkdpo.jobs.train;

import java.io.PrintStream;
import java.util.Map;

/**
 * The one-line console progress of a training run: rewritten in place on a terminal, one line per logged step
 * otherwise (logs, CI), always on stderr so stdout stays clean.
 */
public final class ProgressLine {
    /** A metric shown on the line: its label, its key in the metrics line, and its format. */
    public record Field(String label, String key, String format) {}

    /** DPO's line: loss, reward accuracy and margin, pairs/s. */
    public static final java.util.List<Field> DPO = java.util.List.of(new Field("loss", "loss", "%.4f"),
            new Field("acc", "rewards/accuracies", "%.2f"), new Field("margin", "rewards/margins", "%+.4f"),
            new Field("pairs/s", "pairs_per_second", "%.1f"));

    private final int total;
    private final java.util.List<Field> fields;
    private final PrintStream err = System.err;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();

    ProgressLine(int total) {
        this(total, DPO);
    }

    ProgressLine(int total, java.util.List<Field> fields) {
        this.total = total;
        this.fields = fields;
    }

    void show(int step, Map<String, Object> m) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = step > 0 ? elapsed / step * (total - step) : 0;
        StringBuilder sb = new StringBuilder(String.format("step %d/%d", step, total));
        for (Field f : fields) {
            String v = String.format(f.format(), num(m.get(f.key())));
            sb.append("  ").append(f.label().endsWith("/s") ? v + " " + f.label() : f.label() + " " + v);
        }
        String line = sb.append(String.format("  %.0f tok/s  eta %s", num(m.get("tokens_per_second")), clock(eta))).toString();
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
