package org.sparkdpo.jobs.compare;

import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.Map;
import java.util.Set;

/** The judges on the class path, by name. */
public final class AnswerJudges {
    private AnswerJudges() {}

    public static Map<String, AnswerJudge> all() {
        Map<String, AnswerJudge> m = new TreeMap<>();
        for (AnswerJudge j : ServiceLoader.load(AnswerJudge.class, AnswerJudges.class.getClassLoader())) m.put(j.name(), j);
        return m;
    }

    public static Set<String> names() {
        return all().keySet();
    }

    /** The judge called {@code name}; {@link IllegalArgumentException} naming the known ones otherwise. */
    public static AnswerJudge byName(String name) {
        AnswerJudge j = all().get(name);
        if (j == null) throw new IllegalArgumentException("no answer judge called '" + name + "'; known: " + names());
        return j;
    }
}
