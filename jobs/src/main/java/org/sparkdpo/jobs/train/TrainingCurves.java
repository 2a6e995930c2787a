package org.sparkdpo.jobs.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws the training curves (for DPO: loss, reward margins, reward accuracies; training and eval) from metrics.jsonl as a
 * self-contained HTML page with inline SVG: no scripts, no network, opens anywhere.
 */
public final class TrainingCurves {
    private static final int W = 560;
    private static final int H = 260;
    private static final int PAD = 48;

    private TrainingCurves() {}

    /** DPO's panels: loss, reward margins, reward accuracies. */
    public static final List<String> DPO_KEYS = List.of("loss", "rewards/margins", "rewards/accuracies");

    public static Path write(Path metricsFile, Path html) throws IOException {
        return write(metricsFile, html, DPO_KEYS);
    }

    /** One panel per metric key (training values and their {@code eval_} counterparts). */
    public static Path write(Path metricsFile, Path html, List<String> keys) throws IOException {
        List<Map<String, Object>> lines = MetricsLog.read(metricsFile);
        StringBuilder sb = new StringBuilder();
        sb.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>spark-dpo training curves</title>")
                .append("<style>body{font-family:sans-serif;margin:24px}figure{display:inline-block;margin:8px}")
                .append("figcaption{font-weight:bold}.train{stroke:#1f77b4}.eval{stroke:#d62728}</style></head><body>")
                .append("<h1>Training curves</h1><p>").append(escape(metricsFile.toString())).append(" &mdash; ")
                .append("<span style=\"color:#1f77b4\">train</span>, <span style=\"color:#d62728\">eval</span></p>");
        for (String key : keys) {
            sb.append(panel(key, series(lines, key), series(lines, "eval_" + key)));
        }
        sb.append("</body></html>\n");
        Path tmp = html.resolveSibling(html.getFileName() + ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, html, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return html;
    }

    static List<double[]> series(List<Map<String, Object>> lines, String key) {
        List<double[]> out = new ArrayList<>();
        for (Map<String, Object> l : lines) {
            if (l.get(key) instanceof Number v && l.get("step") instanceof Number s && Double.isFinite(v.doubleValue())) {
                out.add(new double[]{s.doubleValue(), v.doubleValue()});
            }
        }
        return out;
    }

    private static String panel(String title, List<double[]> train, List<double[]> eval) {
        List<double[]> all = new ArrayList<>(train);
        all.addAll(eval);
        StringBuilder sb = new StringBuilder("<figure><figcaption>" + escape(title) + "</figcaption>");
        sb.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", W, H, W, H));
        if (all.isEmpty()) {
            sb.append("<text x=\"20\" y=\"40\">no data</text></svg></figure>");
            return sb.toString();
        }
        double x0 = all.stream().mapToDouble(p -> p[0]).min().orElse(0), x1 = all.stream().mapToDouble(p -> p[0]).max().orElse(1);
        double y0 = all.stream().mapToDouble(p -> p[1]).min().orElse(0), y1 = all.stream().mapToDouble(p -> p[1]).max().orElse(1);
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) {
            y1 += 0.5;
            y0 -= 0.5;
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
                PAD, 10, W - PAD - 10, H - PAD - 10));
        for (int i = 0; i <= 4; i++) {
            double v = y0 + (y1 - y0) * i / 4;
            double y = sy(v, y0, y1);
            sb.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%.1f\" font-size=\"10\">%.3g</text>", y + 3, v));
            double xv = x0 + (x1 - x0) * i / 4;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.0f</text>", sx(xv, x0, x1) - 8, H - PAD + 16, xv));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">step</text>", W / 2, H - 8));
        sb.append(line(train, "train", x0, x1, y0, y1)).append(line(eval, "eval", x0, x1, y0, y1));
        sb.append("</svg></figure>");
        return sb.toString();
    }

    private static String line(List<double[]> pts, String cls, double x0, double x1, double y0, double y1) {
        if (pts.isEmpty()) return "";
        StringBuilder p = new StringBuilder();
        for (double[] xy : pts) p.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx(xy[0], x0, x1), sy(xy[1], y0, y1)));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "<polyline class=\"%s\" fill=\"none\" stroke-width=\"2\" points=\"%s\"/>", cls, p.toString().trim()));
        for (double[] xy : pts) {
            sb.append(String.format(Locale.ROOT, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"none\"/>",
                    cls, sx(xy[0], x0, x1), sy(xy[1], y0, y1)));
        }
        return sb.toString();
    }

    private static double sx(double x, double x0, double x1) {
        return PAD + (x - x0) / (x1 - x0) * (W - PAD - 10);
    }

    private static double sy(double y, double y0, double y1) {
        return 10 + (1 - (y - y0) / (y1 - y0)) * (H - PAD - 10);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
