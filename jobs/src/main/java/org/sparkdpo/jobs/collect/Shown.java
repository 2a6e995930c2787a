package org.sparkdpo.jobs.collect;

/**
 * A pair as one annotator sees it: {@code first}/{@code second} are the answers in {@code shownOrder}; key "1"
 * prefers {@code first}.
 */
public record Shown(LabelPair pair, String shownOrder, String first, String second, Progress progress) {
    static Shown of(LabelPair p, String annotator, Progress progress) {
        String order = ShownOrder.of(p.pairId(), annotator);
        boolean ab = ShownOrder.AB.equals(order);
        return new Shown(p, order, ab ? p.answerA() : p.answerB(), ab ? p.answerB() : p.answerA(), progress);
    }
}
