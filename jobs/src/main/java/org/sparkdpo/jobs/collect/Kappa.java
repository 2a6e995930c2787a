package org.sparkdpo.jobs.collect;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Cohen's kappa of two raters over categorical ratings. */
final class Kappa {
    private Kappa() {}

    /** @param ratings one {rater 1, rater 2} per item */
    static Agreement of(List<Choice[]> ratings) {
        int n = ratings.size();
        if (n == 0) return new Agreement(null, null, 0);
        Map<Choice, Integer> first = new EnumMap<>(Choice.class), second = new EnumMap<>(Choice.class);
        int same = 0;
        for (Choice[] r : ratings) {
            if (r[0] == r[1]) same++;
            first.merge(r[0], 1, Integer::sum);
            second.merge(r[1], 1, Integer::sum);
        }
        double po = (double) same / n;
        double pe = 0;
        for (Choice c : Choice.values()) pe += (first.getOrDefault(c, 0) / (double) n) * (second.getOrDefault(c, 0) / (double) n);
        Double kappa = n < 2 || pe >= 1 ? null : (po - pe) / (1 - pe);
        return new Agreement(kappa, po, n);
    }
}
