package org.sparkdpo.jobs.compare;

import java.util.ArrayList;
import java.util.List;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.lora.LoraAdapter;

/**
 * DPO's implicit reward of a completion, beta * (log pi(y|x) - log pi_ref(y|x)), with log-probs summed over the
 * completion's tokens (stop token included, prompt masked): the convention of {@code precompute-ref}, {@code train}
 * and {@code eval} with {@code --logps sum}, through the same scorer as precompute-ref.
 */
public final class ImplicitRewards {
    private final CompletionScorer policy;
    private final CompletionScorer reference;
    private final double beta;

    /**
     * @param adapter          the policy's adapter
     * @param referenceAdapter the reference's adapter, or null when the base model is the reference
     */
    public ImplicitRewards(BaseWeights base, LoraAdapter adapter, LoraAdapter referenceAdapter, double beta) {
        this.policy = new CompletionScorer(base, adapter);
        this.reference = new CompletionScorer(base, referenceAdapter);
        this.beta = beta;
    }

    /** One reward per completion, scored {@code batchSize} at a time. */
    public double[] rewards(List<Completion> completions, int batchSize) {
        double[] pol = logps(policy, completions, batchSize), ref = logps(reference, completions, batchSize);
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) out[i] = beta * (pol[i] - ref[i]);
        return out;
    }

    private static double[] logps(CompletionScorer scorer, List<Completion> all, int batchSize) {
        double[] out = new double[all.size()];
        for (int from = 0; from < all.size(); from += batchSize) {
            List<Completion> batch = new ArrayList<>(all.subList(from, Math.min(all.size(), from + batchSize)));
            double[] sums = scorer.score(batch).sums();
            System.arraycopy(sums, 0, out, from, sums.length);
        }
        return out;
    }
}
