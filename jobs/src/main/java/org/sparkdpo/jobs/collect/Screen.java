package org.sparkdpo.jobs.collect;

import java.util.ArrayList;
import java.util.List;

/**
 * The terminal picture of a pair: the prompt, then the two answers side by side (or one under the other when the
 * terminal is narrower than {@link #SIDE_BY_SIDE_MIN} columns), labelled [1] and [2] in the shown order, and the
 * progress line. Control characters in model text are made visible ({@code ?}) so an answer cannot move the cursor
 * or recolour the terminal.
 */
public final class Screen {
    public static final int SIDE_BY_SIDE_MIN = 80;
    public static final String KEYS = "1/2 = better answer, t = tie, b = both bad, s = skip, u = undo, q = quit, ? = help";

    private Screen() {}

    public static String render(Shown s, int width) {
        StringBuilder b = new StringBuilder();
        String rule = "=".repeat(Math.max(20, width));
        b.append(rule).append('\n');
        b.append("progress ").append(s.progress().line()).append("   pair ").append(clean(s.pair().pairId())).append('\n');
        b.append("PROMPT\n");
        for (String l : wrap(clean(s.pair().promptText()), width)) b.append(l).append('\n');
        if (width >= SIDE_BY_SIDE_MIN) sideBySide(b, s, width);
        else stacked(b, s, width);
        b.append(rule).append('\n');
        b.append("[1/2/t/b/s/u/q/?] ");
        return b.toString();
    }

    private static void sideBySide(StringBuilder b, Shown s, int width) {
        int col = (width - 3) / 2;
        List<String> left = wrap(clean(s.first()), col), right = wrap(clean(s.second()), col);
        b.append(pad("[1]", col)).append(" | ").append("[2]").append('\n');
        b.append("-".repeat(col)).append("-+-").append("-".repeat(col)).append('\n');
        for (int i = 0; i < Math.max(left.size(), right.size()); i++) {
            String l = i < left.size() ? left.get(i) : "", r = i < right.size() ? right.get(i) : "";
            b.append(pad(l, col)).append(" | ").append(r).append('\n');
        }
    }

    private static void stacked(StringBuilder b, Shown s, int width) {
        b.append("[1] ").append("-".repeat(Math.max(0, width - 4))).append('\n');
        for (String l : wrap(clean(s.first()), width)) b.append(l).append('\n');
        b.append("[2] ").append("-".repeat(Math.max(0, width - 4))).append('\n');
        for (String l : wrap(clean(s.second()), width)) b.append(l).append('\n');
    }

    public static String help() {
        return "Pick the better answer: " + KEYS + ".\n"
                + "Every choice is saved before the next pair appears; rerun the same command to continue.\n";
    }

    /** Control characters (escape sequences included) shown as '?', tabs as spaces; newlines kept. */
    static String clean(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\n') b.append('\n');
            else if (c == '\t') b.append("    ");
            else if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) b.append('?');
            else b.appendCodePoint(c);
        });
        return b.toString();
    }

    /** Lines of at most {@code width} characters, broken at spaces where possible; an empty text gives one empty line. */
    static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        for (String para : text.split("\n", -1)) {
            String rest = para;
            while (rest.length() > width) {
                int cut = rest.lastIndexOf(' ', width);
                if (cut <= 0) cut = width;
                out.add(rest.substring(0, cut));
                rest = rest.substring(cut).stripLeading();
            }
            out.add(rest);
        }
        return out;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
