package org.sparkdpo.jobs.sft;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkdpo.jobs.train.StepStats;

/**
 * SFT statistics of one or more steps, pooled over scored tokens: {@code loss} = summed token NLL / tokens (the
 * mean over every scored token, as one batch would give), {@code mean_token_accuracy} = correct / tokens (TRL's
 * names), {@code num_tokens} = scored tokens.
 */
public record SftStats(long examples, long tokens, double nllSum, long correct) implements StepStats {
    @Override
    public StepStats merge(StepStats other) {
        SftStats o = (SftStats) other;
        return new SftStats(examples + o.examples, tokens + o.tokens, nllSum + o.nllSum, correct + o.correct);
    }

    @Override
    public Map<String, Double> metrics(String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(prefix + "loss", tokens == 0 ? Double.NaN : nllSum / tokens);
        m.put(prefix + "mean_token_accuracy", tokens == 0 ? Double.NaN : (double) correct / tokens);
        m.put(prefix + "num_tokens", (double) tokens);
        return m;
    }
}
