package org.sparkdpo.model.logprob;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Forward-only completion scoring with the base model, or base + a LoRA adapter. One graph is built per
 * batch shape (S, T) and reused; keep batch shapes few (bucketed lengths) to keep graph building rare.
 * Not thread-safe: use one scorer per thread (they share the per-JVM base weights).
 */
public final class CompletionScorer {
    private static final int MAX_GRAPHS = 48;

    private final BaseWeights base;
    private final LoraAdapter adapter;
    private final Map<List<Integer>, SameDiff> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Integer>, SameDiff> e) {
            return size() > MAX_GRAPHS;
        }
    };

    /** @param adapter null for the reference (base) model */
    public CompletionScorer(BaseWeights base, LoraAdapter adapter) {
        this.base = base;
        this.adapter = adapter == null ? null : adapter.castTo(base.dtype());
    }

    public BaseWeights base() {
        return base;
    }

    /** Scores every completion; padding to {@code padTo} (or the longest) does not change any value. */
    public CompletionScores score(List<Completion> seqs, int padTo) {
        SequenceBatch batch = SequenceBatch.of(seqs, padTo);
        int maxPositions = base.model().config().maxPositions();
        if (batch.paddedLength() > maxPositions) {
            throw new IllegalArgumentException("a sequence of " + batch.paddedLength() + " tokens exceeds the model's "
                    + maxPositions + " positions");
        }
        SameDiff sd = graph(batch.numSequences(), batch.paddedLength(), batch.paddedRows());
        Map<String, INDArray> ph = batch.placeholders(base.dtype());
        Map<String, double[]> out = org.sparkdpo.model.nn.WorkspaceSessions.run(sd, () -> {
            Map<String, double[]> v = new java.util.HashMap<>();
            sd.output(ph, LogProbGraph.TOKEN_LOGPS, LogProbGraph.SEQ_LOGPS, LogProbGraph.SEQ_LOGIT_SUMS)
                    .forEach((k, a) -> v.put(k, a.toDoubleVector()));
            return v;
        });
        double[] sums = out.get(LogProbGraph.SEQ_LOGPS);
        double[] logitSums = out.get(LogProbGraph.SEQ_LOGIT_SUMS);
        double[] tokens = out.get(LogProbGraph.TOKEN_LOGPS);
        int[] counts = batch.counts();
        double[][] perToken = new double[counts.length][];
        int k = 0;
        for (int i = 0; i < counts.length; i++) {
            perToken[i] = java.util.Arrays.copyOfRange(tokens, k, k + counts[i]);
            k += counts[i];
        }
        return new CompletionScores(sums, counts, logitSums, perToken);
    }

    public CompletionScores score(List<Completion> seqs) {
        return score(seqs, 0);
    }

    private SameDiff graph(int s, int t, int rows) {
        return graphs.computeIfAbsent(List.of(s, t, rows), k -> build(s, t, rows));
    }

    private SameDiff build(int s, int t, int rows) {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        ModelGraph g = adapter == null ? ModelGraph.frozen(sd, base)
                : ModelGraph.withLora(sd, base, LoraBindings.of(sd, adapter, false, false), adapter.config().scaling());
        LogProbGraph.build(g, s, t, rows);
        return sd;
    }
}
