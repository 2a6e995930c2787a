package org.sparkdpo.model.exec;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;
import org.sparkdpo.model.logprob.SequenceBatch;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared assertions of the GPT-2 and Llama-family tests: the block-wise paths (checkpointed training, chunked
 * head) give the values and LoRA gradients of the one-graph path, in float64, to 1e-10 relative.
 */
public final class PlainPathComparison {
    public static final double REL = 1e-10;

    private PlainPathComparison() {}

    public static Map<String, INDArray> arrays(LoraAdapter a) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : a.pairs()) {
            m.put(LoraBindings.varName(p.module().path(), 'A'), p.a().dup());
            m.put(LoraBindings.varName(p.module().path(), 'B'), p.b().dup());
        }
        return m;
    }

    /** The adapter's config with another LoRA dropout probability. */
    public static LoraConfig withDropout(LoraConfig c, double p) {
        return new LoraConfig(c.r(), c.loraAlpha(), p, c.targetModules(), c.useRslora(), c.fanInFanOut(), c.baseModelNameOrPath());
    }

    /**
     * One training step on the one-graph path, and on the block-wise paths (recomputed and kept activations) with
     * {@code chunkRows} head rows per chunk: loss, per-pair losses, sequence log-probs, logit sums and every LoRA
     * gradient agree to {@link #REL}.
     */
    public static void assertCheckpointedStepMatches(String what, BaseWeights base, LoraAdapter adapter, LoraConfig lora,
                                                     List<PreferencePair> pairs, DpoConfig cfg, int chunkRows) {
        assertEquals(DataType.DOUBLE, base.dtype());
        List<LinearModule> modules = adapter.pairs().stream().map(LoraAdapter.Pair::module).toList();
        DpoObjective plain = new DpoObjective(base, lora, modules, cfg, DpoObjective.Activations.ONE_GRAPH, 0);
        DpoObjective.Result want = plain.run(pairs, arrays(adapter), true, 42, 0);
        for (DpoObjective.Activations mode : new DpoObjective.Activations[]{
                DpoObjective.Activations.RECOMPUTED, DpoObjective.Activations.KEPT}) {
            String w = what + " " + mode;
            DpoObjective.Result got = new DpoObjective(base, lora, modules, cfg, mode, chunkRows)
                    .run(pairs, arrays(adapter), true, 42, 0);
            close(w + " loss", got.loss(), want.loss());
            for (int i = 0; i < pairs.size(); i++) {
                close(w + " pair loss " + i, got.pairLosses()[i], want.pairLosses()[i]);
                for (int k = 0; k < 2; k++) {
                    close(w + " logp " + k + "/" + i, got.policyLogps()[k][i], want.policyLogps()[k][i]);
                    close(w + " logit sum " + k + "/" + i, got.logitSums()[k][i], want.logitSums()[k][i]);
                }
            }
            assertEquals(want.gradients().keySet(), got.gradients().keySet(), w + " gradient names");
            for (Map.Entry<String, INDArray> e : want.gradients().entrySet()) {
                INDArray g = got.gradients().get(e.getKey());
                double norm = e.getValue().norm2Number().doubleValue();
                double diff = g.sub(e.getValue()).norm2Number().doubleValue();
                assertTrue(norm > 0, w + " " + e.getKey() + " has a non-zero gradient");
                assertTrue(diff <= REL * norm, w + " " + e.getKey() + ": |diff| " + diff + " vs |grad| " + norm);
            }
        }
    }

    /**
     * A block-wise training step run one sequence per block execution gives the row scores and LoRA gradients of the
     * step that runs each block on the whole batch (with and without dropout masks, which are sliced per group).
     */
    public static void assertGroupedStepMatches(String what, BaseWeights base, LoraAdapter adapter, List<Completion> seqs) {
        SequenceBatch batch = SequenceBatch.of(seqs, 0);
        int s = batch.numSequences();
        assertTrue(s >= 3, what + ": several sequences");
        LoraConfig c = adapter.config();
        List<LinearModule> modules = adapter.pairs().stream().map(LoraAdapter.Pair::module).toList();
        for (boolean dropout : new boolean[]{false, true}) {
            BlockwiseLm whole = new BlockwiseLm(base, modules, c.r(), c.scaling(), dropout, 0, 0);
            BlockwiseLm single = new BlockwiseLm(base, modules, c.r(), c.scaling(), dropout, 0, 1);
            assertEquals(s, whole.blockSequences(s, batch.paddedLength()), what + ": tiny batches run whole");
            assertEquals(1, single.blockSequences(s, batch.paddedLength()));
            assertSameStep(what + (dropout ? " dropout" : ""), base, adapter, batch, dropout, whole, single);
        }
    }

    /**
     * A training step that keeps every block's activations and runs only the backward halves gives the row scores
     * and LoRA gradients of the checkpointed step (which recomputes each block), whole-batch and one sequence per
     * block execution, with and without dropout masks.
     */
    public static void assertKeptActivationsStepMatches(String what, BaseWeights base, LoraAdapter adapter,
                                                        List<Completion> seqs) {
        SequenceBatch batch = SequenceBatch.of(seqs, 0);
        LoraConfig c = adapter.config();
        List<LinearModule> modules = adapter.pairs().stream().map(LoraAdapter.Pair::module).toList();
        for (boolean dropout : new boolean[]{false, true}) {
            for (int group : new int[]{0, 1}) {
                BlockwiseLm recompute = new BlockwiseLm(base, modules, c.r(), c.scaling(), dropout, 0, group, false);
                BlockwiseLm kept = new BlockwiseLm(base, modules, c.r(), c.scaling(), dropout, 0, group, true);
                assertSameStep(what + (dropout ? " dropout" : "") + " group " + group, base, adapter, batch, dropout,
                        recompute, kept);
                assertSameStep(what + " second step", base, adapter, batch, dropout, recompute, kept);
            }
        }
    }

    private static void assertSameStep(String w, BaseWeights base, LoraAdapter adapter, SequenceBatch batch,
                                       boolean dropout, BlockwiseLm reference, BlockwiseLm other) {
        assertEquals(DataType.DOUBLE, base.dtype());
        List<LinearModule> modules = adapter.pairs().stream().map(LoraAdapter.Pair::module).toList();
        int s = batch.numSequences();
        java.util.function.UnaryOperator<double[]> lossGradient = sums -> {
            double[] g = new double[sums.length];
            for (int i = 0; i < g.length; i++) g[i] = (i % 2 == 0 ? 1.0 : -0.7) * (i + 1) / g.length;
            return g;
        };
        Map<String, INDArray> masks = dropout
                ? org.sparkdpo.model.lora.LoraDropout.masks(modules, 0.3, s * batch.paddedLength(), 9, DataType.DOUBLE)
                : Map.of();
        BlockwiseLm.Step want = reference.step(batch, arrays(adapter), masks, lossGradient);
        BlockwiseLm.Step got = other.step(batch, arrays(adapter), masks, lossGradient);
        for (int k = 0; k < want.scores().tokenLogps().length; k++) {
            close(w + " row logp " + k, got.scores().tokenLogps()[k], want.scores().tokenLogps()[k]);
            close(w + " row logit sum " + k, got.scores().logitSums()[k], want.scores().logitSums()[k]);
        }
        assertEquals(want.gradients().keySet(), got.gradients().keySet(), w + " gradient names");
        assertEquals(2 * modules.size(), want.gradients().size(), w + " every LoRA matrix has a gradient");
        for (Map.Entry<String, INDArray> e : want.gradients().entrySet()) {
            double norm = e.getValue().norm2Number().doubleValue();
            double diff = got.gradients().get(e.getKey()).sub(e.getValue()).norm2Number().doubleValue();
            assertTrue(norm > 0, w + " " + e.getKey() + " has a non-zero gradient");
            assertTrue(diff <= REL * norm, w + " " + e.getKey() + ": |diff| " + diff + " vs |grad| " + norm);
        }
    }

    /** Scoring with a head chunk of {@code chunkRows} rows gives every token's log-prob of the unchunked head. */
    public static void assertChunkedScoresMatch(String what, BaseWeights base, LoraAdapter adapter, List<Completion> seqs,
                                                int chunkRows) {
        CompletionScores want = new CompletionScorer(base, adapter, 1 << 20).score(seqs);
        CompletionScores got = new CompletionScorer(base, adapter, chunkRows).score(seqs);
        int tokens = 0;
        for (int i = 0; i < seqs.size(); i++) {
            close(what + " sum " + i, got.sums()[i], want.sums()[i]);
            close(what + " logit sum " + i, got.logitSums()[i], want.logitSums()[i]);
            for (int j = 0; j < want.tokenLogps()[i].length; j++) {
                close(what + " token " + i + "/" + j, got.tokenLogps()[i][j], want.tokenLogps()[i][j]);
                tokens++;
            }
        }
        assertTrue(tokens > 2 * chunkRows, what + ": the batch spans several chunks");
    }

    private static void close(String what, double got, double want) {
        assertTrue(OracleCases.closeRel(got, want, REL), what + ": " + got + " vs " + want);
    }
}
