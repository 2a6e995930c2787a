package org.sparkdpo.jobs.compare;

/**
 * A judge of answers for {@code compare --judge NAME}: scores one answer to one prompt. Implementations are found
 * by {@link #name()} through {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/org.sparkdpo.jobs.compare.AnswerJudge} of a jar on the class path); they need a public
 * no-argument constructor and must be thread-safe.
 */
public interface AnswerJudge {
    /** The name {@code --judge} selects, kebab-case. */
    String name();

    /** A score in [0, 1]: 1 when the answer has everything the task prefers ("chosen-like"), lower otherwise. */
    double score(String prompt, String answer);

    /** Whether the answer counts as chosen-like: by default a score of 1. */
    default boolean chosenLike(String prompt, String answer) {
        return score(prompt, answer) >= 1.0;
    }
}
