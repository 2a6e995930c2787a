package org.sparkdpo.jobs.collect;

import java.util.Arrays;
import java.util.Optional;

/**
 * A person's decision on a pair, at the content level: {@code CHOSEN_A} means {@code answer_a} is better, whichever
 * side it was shown on. Only {@code CHOSEN_A}/{@code CHOSEN_B} become dataset rows; the rest stay in the journal.
 */
public enum Choice {
    CHOSEN_A("chosen_a"), CHOSEN_B("chosen_b"), TIE("tie"), BOTH_BAD("both_bad"), SKIP("skip");

    private final String wire;

    Choice(String wire) {
        this.wire = wire;
    }

    /** The name in the journal and the {@code choice} column. */
    public String wire() {
        return wire;
    }

    /** Whether this choice yields a (chosen, rejected) row. */
    public boolean preference() {
        return this == CHOSEN_A || this == CHOSEN_B;
    }

    public static Optional<Choice> fromWire(String s) {
        return Arrays.stream(values()).filter(c -> c.wire.equals(s)).findFirst();
    }
}
