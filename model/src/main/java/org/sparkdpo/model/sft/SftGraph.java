package org.sparkdpo.model.sft;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.LogProbGraph;
import org.sparkdpo.model.logprob.SequenceBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The supervised fine-tuning loss as one graph: the mean negative log-likelihood over the scored tokens of a batch
 * (TRL's SFT loss: token-level mean over the whole batch, not a mean of per-sequence means). Which tokens are scored
 * is decided by the batch: with TRL's default {@code completion_only_loss} only completion tokens are (prompt rows
 * never reach the output head); {@link #allTokens} turns a prompt/completion into "every token after the first".
 * Padding rows of the scored-row buffer carry weight 0.
 */
public final class SftGraph {
    public static final String TOKEN_WEIGHTS = "sft_token_weights";
    public static final String LOSS = "sft_loss";

    private SftGraph() {}

    /** Adds the loss for S sequences of padded length T with {@code rows} (padded) scored rows; returns the loss. */
    public static SDVariable build(ModelGraph g, int s, int t, int rows) {
        SameDiff sd = g.sd();
        LogProbGraph.Outputs lp = LogProbGraph.build(g, s, t, rows);
        SDVariable weights = sd.placeHolder(TOKEN_WEIGHTS, g.dtype(), rows);
        SDVariable loss = lp.tokenLogps().mul(weights).sum().neg().rename(LOSS);
        sd.setLossVariables(loss);
        return loss;
    }

    /** The sequence with every token after the first scored ({@code --completion-only false}). */
    public static Completion allTokens(Completion c) {
        int[] ids = new int[c.length()];
        System.arraycopy(c.promptIds(), 0, ids, 0, c.promptIds().length);
        System.arraycopy(c.completionIds(), 0, ids, c.promptIds().length, c.completionIds().length);
        return new Completion(new int[]{ids[0]}, Arrays.copyOfRange(ids, 1, ids.length));
    }

    /** The batch's scored sequences under the chosen loss mask. */
    public static List<Completion> scored(List<Completion> examples, boolean completionOnly) {
        if (completionOnly) return examples;
        List<Completion> out = new ArrayList<>(examples.size());
        for (Completion c : examples) out.add(allTokens(c));
        return out;
    }

    /** Placeholder values: the log-prob graph's, plus weight 1/N on each of the N real scored rows. */
    public static Map<String, INDArray> placeholders(SequenceBatch batch, DataType dt) {
        Map<String, INDArray> m = batch.placeholders(dt);
        int n = Arrays.stream(batch.counts()).sum();
        double[] w = new double[batch.paddedRows()];
        Arrays.fill(w, 0, n, 1.0 / n);
        m.put(TOKEN_WEIGHTS, Nd4j.create(w, new long[]{w.length}, DataType.DOUBLE).castTo(dt));
        return m;
    }
}
