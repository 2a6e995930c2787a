package org.sparkdpo.jobs.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The readable forms of a comparison: a terminal table and a small self-contained HTML page. */
public final class CompareReport {
    private CompareReport() {}

    /** Prompt, before and after side by side, wrapped in columns of {@code width} characters. */
    public static String table(List<CompareJob.Row> rows, int width) {
        StringBuilder sb = new StringBuilder();
        String sep = "-".repeat(3 * width + 6) + "\n";
        sb.append(cells(List.of("prompt", "before (reference)", "after (adapted)"), width)).append(sep);
        for (CompareJob.Row r : rows) {
            sb.append(cells(List.of(r.prompt().text(), r.before().completion(), r.after().completion()), width));
            sb.append(cells(List.of("[" + r.prompt().id() + "]", note(r.beforeReward(), r.beforeJudge()),
                    note(r.afterReward(), r.afterJudge())), width));
            sb.append(sep);
        }
        return sb.toString();
    }

    private static String note(double reward, double judge) {
        return String.format(Locale.ROOT, "reward %+.3f", reward) + (Double.isNaN(judge) ? "" : String.format(Locale.ROOT, ", judge %.2f", judge));
    }

    private static String cells(List<String> texts, int width) {
        List<List<String>> cols = new ArrayList<>();
        int lines = 0;
        for (String t : texts) {
            List<String> w = wrap(t, width);
            cols.add(w);
            lines = Math.max(lines, w.size());
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols.size(); c++) {
                String s = i < cols.get(c).size() ? cols.get(c).get(i) : "";
                line.append(c == 0 ? "" : " | ").append(s).append(" ".repeat(width - s.length()));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** Words wrapped to {@code width}; newlines kept as breaks, over-long words cut. */
    static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        for (String para : text.replace("\r", "").replace("\t", " ").split("\n", -1)) {
            StringBuilder line = new StringBuilder();
            for (String word : para.split(" +")) {
                while (word.length() > width) {
                    if (line.length() > 0) out.add(line.toString());
                    line.setLength(0);
                    out.add(word.substring(0, width));
                    word = word.substring(width);
                }
                if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                    out.add(line.toString());
                    line.setLength(0);
                }
                if (line.length() > 0) line.append(' ');
                line.append(word);
            }
            out.add(line.toString());
        }
        return out;
    }

    /** A page with the summary and one table row per prompt; every answer is escaped text. */
    public static String html(List<CompareJob.Row> rows, Map<String, Object> summary) {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>spark-dpo compare</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                + "padding:.4em;vertical-align:top}td.t{white-space:pre-wrap;font-family:monospace;max-width:32em}"
                + ".n{color:#555;font-size:.85em}</style></head><body>\n<h1>Answers before and after</h1>\n<table>\n");
        for (Map.Entry<String, Object> e : summary.entrySet()) {
            sb.append("<tr><th>").append(escape(e.getKey())).append("</th><td>").append(escape(String.valueOf(e.getValue())))
                    .append("</td></tr>\n");
        }
        sb.append("</table>\n<h2>Answers</h2>\n<table>\n<tr><th>id</th><th>prompt</th><th>before (reference)</th>"
                + "<th>after (adapted)</th></tr>\n");
        for (CompareJob.Row r : rows) {
            sb.append("<tr><td>").append(escape(r.prompt().id())).append("</td><td class=\"t\">").append(escape(r.prompt().text()))
                    .append("</td><td class=\"t\">").append(escape(r.before().completion()))
                    .append("<div class=\"n\">").append(escape(note(r.beforeReward(), r.beforeJudge()))).append("</div></td>")
                    .append("<td class=\"t\">").append(escape(r.after().completion()))
                    .append("<div class=\"n\">").append(escape(note(r.afterReward(), r.afterJudge()))).append("</div></td></tr>\n");
        }
        return sb.append("</table>\n</body></html>\n").toString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
