package org.sparkdpo.jobs.pipeline;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sparkdpo.jobs.compare.AnswerJudge;

/**
 * The rule judge of the {@link SyntheticTask} ({@code --judge synthetic-task}): half a point for a correct answer
 * (it repeats the prompt's fact and names no other value of its kind), half for a polite one (it opens with
 * "happy to help !" and uses no rude word). Chosen answers score 1; every rejected style scores 0.5 or 0.
 */
public final class SyntheticTaskJudge implements AnswerJudge {
    public static final String NAME = "synthetic-task";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public double score(String prompt, String answer) {
        return (correct(prompt, answer) ? 0.5 : 0) + (polite(answer) ? 0.5 : 0);
    }

    static boolean polite(String answer) {
        List<String> words = words(answer);
        return String.join(" ", words).startsWith(SyntheticTask.POLITE_OPEN) && words.stream().noneMatch(SyntheticTask.RUDE_WORDS::contains);
    }

    /** The fact is the prompt's first sentence; the answer must state it and name no other value of the same kind. */
    static boolean correct(String prompt, String answer) {
        List<String> p = words(prompt);
        int dot = p.indexOf(".");
        if (dot < 1) return false;
        String fact = String.join(" ", p.subList(0, dot + 1));
        String value = p.get(dot - 1);
        List<String> a = words(answer);
        if (!(" " + String.join(" ", a) + " ").contains(" " + fact + " ")) return false;
        for (String[] kind : new String[][]{SyntheticTask.COLORS, SyntheticTask.CITIES}) {
            Set<String> values = new HashSet<>(Arrays.asList(kind));
            if (!values.contains(value)) continue;
            for (String w : a) if (values.contains(w) && !w.equals(value)) return false;
        }
        return true;
    }

    private static List<String> words(String text) {
        String t = text.trim();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }
}
