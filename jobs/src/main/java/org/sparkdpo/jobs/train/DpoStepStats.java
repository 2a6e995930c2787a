package org.sparkdpo.jobs.train;

import java.util.Map;
import org.sparkdpo.model.dpo.DpoStats;

/** DPO's per-step statistics as {@link StepStats}. */
public record DpoStepStats(DpoStats stats) implements StepStats {
    @Override
    public StepStats merge(StepStats other) {
        return new DpoStepStats(stats.merge(((DpoStepStats) other).stats));
    }

    @Override
    public long examples() {
        return stats.pairs();
    }

    @Override
    public Map<String, Double> metrics(String prefix) {
        return stats.metrics(prefix);
    }
}
