package org.sparkdpo.jobs.collect;

import java.util.ArrayList;
import java.util.List;

/** Small pair sets and key helpers for the collect tests. */
final class CollectFixtures {
    private CollectFixtures() {}

    static List<LabelPair> pairs(int n) {
        List<LabelPair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new LabelPair("p" + i, "prompt " + i, "answer A" + i, "answer B" + i, null, null));
        return out;
    }

    /** The key an annotator presses to make a content choice, given the order the pair is shown in. */
    static String keyFor(Choice c, String pairId, String annotator) {
        String order = ShownOrder.of(pairId, annotator);
        return switch (c) {
            case CHOSEN_A -> ShownOrder.AB.equals(order) ? "1" : "2";
            case CHOSEN_B -> ShownOrder.AB.equals(order) ? "2" : "1";
            case TIE -> "t";
            case BOTH_BAD -> "b";
            case SKIP -> "s";
        };
    }
}
