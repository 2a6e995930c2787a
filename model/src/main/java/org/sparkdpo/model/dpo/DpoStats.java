package org.sparkdpo.model.dpo;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Additive batch statistics behind TRL's DPO metrics. Workers produce one per step; merging sums them, so the
 * metrics of several workers or batches are exactly those of the union of their pairs (TRL gathers across
 * devices the same way). Rewards are beta * (policy - reference) log-probs.
 */
public record DpoStats(long pairs, double lossSum, double chosenRewardSum, double rejectedRewardSum, long correct,
                       double chosenLogpSum, double rejectedLogpSum, double chosenLogitSum, double rejectedLogitSum,
                       long chosenTokens, long rejectedTokens, long vocab) implements Serializable {

    public static final DpoStats EMPTY = new DpoStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * Statistics of one batch.
     *
     * @param loss      the batch loss (mean over its pairs)
     * @param policy    policy chosen/rejected log-probs in the loss's convention (sum or mean), [2][B]
     * @param ref       reference chosen/rejected log-probs, same convention, [2][B]
     * @param logitSums sums of vocabulary logits over chosen/rejected completion tokens, [2][B]
     * @param counts    completion token counts, [2][B]
     */
    public static DpoStats of(double loss, double beta, double[][] policy, double[][] ref, double[][] logitSums,
                              int[][] counts, long vocab) {
        int b = policy[0].length;
        double cr = 0, rr = 0, cl = 0, rl = 0, clog = 0, rlog = 0;
        long correct = 0, ct = 0, rt = 0;
        for (int i = 0; i < b; i++) {
            double c = beta * (policy[0][i] - ref[0][i]);
            double r = beta * (policy[1][i] - ref[1][i]);
            cr += c;
            rr += r;
            if (c > r) correct++;
            cl += policy[0][i];
            rl += policy[1][i];
            clog += logitSums[0][i];
            rlog += logitSums[1][i];
            ct += counts[0][i];
            rt += counts[1][i];
        }
        return new DpoStats(b, loss * b, cr, rr, correct, cl, rl, clog, rlog, ct, rt, vocab);
    }

    public DpoStats merge(DpoStats o) {
        return new DpoStats(pairs + o.pairs, lossSum + o.lossSum, chosenRewardSum + o.chosenRewardSum,
                rejectedRewardSum + o.rejectedRewardSum, correct + o.correct, chosenLogpSum + o.chosenLogpSum,
                rejectedLogpSum + o.rejectedLogpSum, chosenLogitSum + o.chosenLogitSum, rejectedLogitSum + o.rejectedLogitSum,
                chosenTokens + o.chosenTokens, rejectedTokens + o.rejectedTokens, Math.max(vocab, o.vocab));
    }

    /** TRL's metric names with {@code prefix} ("" for training, "eval_" for evaluation). */
    public Map<String, Double> metrics(String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(prefix + "loss", lossSum / pairs);
        m.put(prefix + "rewards/chosen", chosenRewardSum / pairs);
        m.put(prefix + "rewards/rejected", rejectedRewardSum / pairs);
        m.put(prefix + "rewards/accuracies", (double) correct / pairs);
        m.put(prefix + "rewards/margins", (chosenRewardSum - rejectedRewardSum) / pairs);
        m.put(prefix + "logps/chosen", chosenLogpSum / pairs);
        m.put(prefix + "logps/rejected", rejectedLogpSum / pairs);
        m.put(prefix + "logits/chosen", chosenTokens == 0 ? 0.0 : chosenLogitSum / ((double) chosenTokens * vocab));
        m.put(prefix + "logits/rejected", rejectedTokens == 0 ? 0.0 : rejectedLogitSum / ((double) rejectedTokens * vocab));
        return m;
    }
}
