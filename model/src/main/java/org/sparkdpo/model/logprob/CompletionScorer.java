package org.sparkdpo.model.logprob;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.exec.BlockwiseLm;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Forward-only completion scoring with the base model, or base + a LoRA adapter, block by block with the
 * output head on chunks of scored rows ({@link BlockwiseLm}): memory of one block and one logits chunk, whatever
 * the batch. Graphs are built per batch shape (S, T) and reused; keep batch shapes few (bucketed lengths).
 * Not thread-safe: use one scorer per thread (they share the per-JVM base weights).
 */
public final class CompletionScorer {
    private final BaseWeights base;
    private final BlockwiseLm lm;
    private final Map<String, INDArray> loraArrays = new HashMap<>();

    /** @param adapter null for the reference (base) model */
    public CompletionScorer(BaseWeights base, LoraAdapter adapter) {
        this(base, adapter, 0);
    }

    /**
     * @param adapter       null for the reference (base) model
     * @param headChunkRows scored rows per output-head chunk (0: automatic, about 2^23 logits per chunk)
     */
    public CompletionScorer(BaseWeights base, LoraAdapter adapter, int headChunkRows) {
        this.base = base;
        List<LinearModule> modules = List.of();
        int rank = 0;
        double scaling = 0;
        if (adapter != null) {
            LoraAdapter cast = adapter.castTo(base.dtype());
            modules = cast.pairs().stream().map(LoraAdapter.Pair::module).toList();
            rank = cast.config().r();
            scaling = cast.config().scaling();
            for (LoraAdapter.Pair p : cast.pairs()) {
                loraArrays.put(LoraBindings.varName(p.module().path(), 'A'), p.a());
                loraArrays.put(LoraBindings.varName(p.module().path(), 'B'), p.b());
            }
        }
        this.lm = new BlockwiseLm(base, modules, rank, scaling, false, headChunkRows);
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
        BlockwiseLm.RowScores r = lm.score(batch, loraArrays, Map.of());
        double[] tokens = r.tokenLogps();
        int[] counts = batch.counts();
        double[][] perToken = new double[counts.length][];
        int k = 0;
        for (int i = 0; i < counts.length; i++) {
            perToken[i] = Arrays.copyOfRange(tokens, k, k + counts[i]);
            k += counts[i];
        }
        return new CompletionScores(r.perSequence(tokens, batch), counts, r.perSequence(r.logitSums(), batch), perToken);
    }

    public CompletionScores score(List<Completion> seqs) {
        return score(seqs, 0);
    }
}
