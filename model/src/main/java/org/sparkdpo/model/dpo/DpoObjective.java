package org.sparkdpo.model.dpo;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.exec.BlockwiseLm;
import org.sparkdpo.model.logprob.LogProbGraph;
import org.sparkdpo.model.logprob.SequenceBatch;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.lora.LoraDropout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the DPO objective of a LoRA policy on a batch of pairs: loss, per-pair values, metrics and, for
 * training, the gradient of the mean loss with respect to every LoRA matrix. The LoRA arrays are passed per call
 * (they may be views into a trainer's flat parameter vector); graphs are built once per batch shape.
 * Not thread-safe: one instance per thread.
 */
public final class DpoObjective {
    /** Everything one evaluation yields. Gradients are keyed by {@link LoraBindings#varName}. */
    public record Result(double loss, double[] pairLosses, double[][] policyLogps, double[][] logitSums,
                         int[][] counts, DpoStats stats, Map<String, INDArray> gradients) {}

    /** How a training step holds the activations its backward pass needs. */
    public enum Activations {
        /**
         * One SameDiff graph for the whole model and the loss, differentiated by SameDiff: the simplest path and
         * the reference the block-wise ones are compared against; it holds every intermediate of every block.
         */
        ONE_GRAPH,
        /**
         * Block by block ({@link BlockwiseLm}), keeping each block's saved activations from the forward sweep and
         * running only the backward half of its gradient: one forward pass per step.
         */
        KEPT,
        /**
         * Block by block, keeping only block inputs and recomputing each block's forward in the backward sweep
         * (HF/TRL's {@code gradient_checkpointing}): memory of one block's activations, for one more forward pass.
         */
        RECOMPUTED
    }

    private static final int MAX_GRAPHS = 48;

    private final BaseWeights base;
    private final LoraConfig lora;
    private final List<LinearModule> modules;
    private final DpoConfig cfg;
    private final Activations activations;
    private final BlockwiseLm blockwise;
    private final Map<Integer, SameDiff> lossGraphs = new HashMap<>();
    private BlockwiseLm.Step lastBlockwise;
    private final Map<List<Integer>, SameDiff> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Integer>, SameDiff> e) {
            return size() > MAX_GRAPHS;
        }
    };

    /** Kept activations, automatic head chunks: what {@code train} runs without {@code --gradient-checkpointing}. */
    public DpoObjective(BaseWeights base, LoraConfig lora, List<LinearModule> modules, DpoConfig cfg) {
        this(base, lora, modules, cfg, Activations.KEPT, 0);
    }

    /**
     * @param gradientCheckpointing recompute each block's forward in the backward sweep ({@link Activations#RECOMPUTED})
     *                              instead of keeping its activations ({@link Activations#KEPT})
     * @param headChunkRows         scored rows per output-head chunk of the block-wise path (0: automatic)
     */
    public DpoObjective(BaseWeights base, LoraConfig lora, List<LinearModule> modules, DpoConfig cfg,
                        boolean gradientCheckpointing, int headChunkRows) {
        this(base, lora, modules, cfg, gradientCheckpointing ? Activations.RECOMPUTED : Activations.KEPT, headChunkRows);
    }

    /** @param headChunkRows scored rows per output-head chunk of the block-wise paths (0: automatic) */
    public DpoObjective(BaseWeights base, LoraConfig lora, List<LinearModule> modules, DpoConfig cfg,
                        Activations activations, int headChunkRows) {
        this.base = base;
        this.lora = lora;
        this.modules = List.copyOf(modules);
        this.cfg = cfg;
        this.activations = activations;
        this.blockwise = new BlockwiseLm(base, this.modules, lora.r(), lora.scaling(), lora.loraDropout() > 0,
                headChunkRows, 0, activations == Activations.KEPT);
    }

    public DpoConfig config() {
        return cfg;
    }

    /**
     * Where the last block-wise evaluation's time went, in seconds ({@code forward_s}, {@code head_s},
     * {@code backward_s}), and the memory kept activations hold between steps ({@code kept_activations_mb});
     * empty when the last call ran the one-graph path.
     */
    public Map<String, Double> lastProfile() {
        if (lastBlockwise == null) return Map.of();
        return Map.of("forward_s", lastBlockwise.forwardS(), "head_s", lastBlockwise.headS(),
                "backward_s", lastBlockwise.backwardS(),
                "kept_activations_mb", Math.rint(blockwise.keptActivationBytes() / 1048576.0));
    }

    /**
     * Runs the objective.
     *
     * @param loraArrays  A and B arrays keyed by {@link LoraBindings#varName}, in the base model's dtype
     * @param gradients   compute gradients (training) or not (evaluation)
     * @param dropoutSeed seed of this step's LoRA dropout masks (ignored when dropout is off or not training)
     * @param padTo       minimum padded length (0 = longest sequence)
     */
    public Result run(List<PreferencePair> pairs, Map<String, INDArray> loraArrays, boolean gradients,
                      long dropoutSeed, int padTo) {
        List<org.sparkdpo.model.logprob.Completion> seqList = DpoGraph.sequences(pairs);
        SequenceBatch seqs = SequenceBatch.of(seqList, padTo);
        int maxPositions = base.model().config().maxPositions();
        for (PreferencePair p : pairs) {
            if (p.maxLength() > maxPositions) {
                throw new IllegalArgumentException("pair '" + p.id() + "' has " + p.maxLength()
                        + " tokens, more than the model's " + maxPositions + " positions");
            }
        }
        int b = pairs.size();
        int t = seqs.paddedLength();
        DataType dt = base.dtype();
        int rows = seqs.paddedRows();
        Map<String, INDArray> masks = Map.of();
        if (lora.loraDropout() > 0) {
            double p = gradients ? lora.loraDropout() : 0.0;
            masks = LoraDropout.masks(modules, p, 2 * b * t, dropoutSeed, dt);
        }
        List<String> outs = List.of(DpoLoss.LOSS, DpoLoss.PAIR_LOSSES, LogProbGraph.SEQ_LOGPS, LogProbGraph.SEQ_LOGIT_SUMS);
        Map<String, INDArray> values;
        Map<String, INDArray> grads = Map.of();
        lastBlockwise = null;
        if (gradients && activations == Activations.ONE_GRAPH) {
            SameDiff sd = graphs.computeIfAbsent(List.of(b, t, rows), k -> build(b, t, rows));
            for (Map.Entry<String, INDArray> e : loraArrays.entrySet()) {
                SDVariable v = sd.getVariable(e.getKey());
                if (v == null) throw new IllegalArgumentException("no LoRA variable " + e.getKey() + " in the objective");
                sd.associateArrayWithVariable(e.getValue(), v);
            }
            Map<String, INDArray> ph = DpoGraph.placeholders(pairs, seqs, dt);
            ph.putAll(masks);
            List<String> vars = new ArrayList<>();
            for (LinearModule m : modules) {
                vars.add(LoraBindings.varName(m.path(), 'A'));
                vars.add(LoraBindings.varName(m.path(), 'B'));
            }
            org.sparkdpo.model.nn.GradFunctions.ensure(sd);
            OutAndGrad og = org.sparkdpo.model.nn.WorkspaceSessions.run(sd.getFunction("grad"), () -> detach(
                    sd.calculateGradientsAndOutputs(ph, outs, vars)));
            values = og.getOutputs();
            grads = og.getGradients();
        } else {
            values = new HashMap<>();
            grads = blockwise(pairs, seqs, loraArrays, masks, gradients, values);
        }
        double loss = values.get(DpoLoss.LOSS).getDouble(0);
        double[] pairLosses = values.get(DpoLoss.PAIR_LOSSES).toDoubleVector();
        double[] seqLogps = values.get(LogProbGraph.SEQ_LOGPS).toDoubleVector();
        double[] logits = values.get(LogProbGraph.SEQ_LOGIT_SUMS).toDoubleVector();
        int[] allCounts = seqs.counts();
        double[][] policy = split(seqLogps, b);
        double[][] logitSums = split(logits, b);
        int[][] counts = {java.util.Arrays.copyOfRange(allCounts, 0, b), java.util.Arrays.copyOfRange(allCounts, b, 2 * b)};
        double[][] ref = new double[2][b];
        for (int i = 0; i < b; i++) {
            ref[0][i] = pairs.get(i).refChosen();
            ref[1][i] = pairs.get(i).refRejected();
        }
        double[][] policyConv = policy;
        if (cfg.logps() == DpoConfig.LogpsMode.MEAN) {
            policyConv = perToken(policy, counts);
            ref = perToken(ref, counts);
        }
        DpoStats stats = DpoStats.of(loss, cfg.beta(), policyConv, ref, logitSums, counts, base.model().config().vocabSize());
        return new Result(loss, pairLosses, policy, logitSums, counts, stats, new HashMap<>(grads));
    }

    /**
     * Log-probs through {@link BlockwiseLm} (chunked head; with gradients, kept or recomputed blocks) and the loss in
     * its own small graph, whose gradient with respect to the sequence log-probs seeds the backward sweep.
     * Puts the loss graph's outputs and the sequence sums into {@code values}; returns the LoRA gradients.
     */
    private Map<String, INDArray> blockwise(List<PreferencePair> pairs, SequenceBatch seqs, Map<String, INDArray> loraArrays,
                                            Map<String, INDArray> masks, boolean gradients, Map<String, INDArray> values) {
        int b = pairs.size();
        DataType dt = base.dtype();
        SameDiff loss = lossGraphs.computeIfAbsent(b, k -> {
            SameDiff sd = SameDiff.create();
            sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
            DpoGraph.buildLoss(sd, b, dt, cfg);
            org.sparkdpo.model.nn.GradFunctions.ensure(sd);
            return sd;
        });
        Map<String, INDArray> ph = DpoGraph.lossPlaceholders(pairs, seqs, dt);
        List<String> outs = List.of(DpoLoss.LOSS, DpoLoss.PAIR_LOSSES);
        java.util.function.UnaryOperator<double[]> lossGradient = seqLogps -> {
            ph.put(DpoGraph.POLICY_LOGPS, Nd4j.create(seqLogps, new long[]{seqLogps.length}, DataType.DOUBLE).castTo(dt));
            OutAndGrad og = loss.calculateGradientsAndOutputs(BlockwiseLm.bindInputs(loss, ph), outs,
                    List.of(DpoGraph.POLICY_LOGPS));
            values.putAll(detach(og.getOutputs()));
            return og.getGradients().get(DpoGraph.POLICY_LOGPS).toDoubleVector();
        };
        BlockwiseLm.Step step;
        if (gradients) {
            step = blockwise.step(seqs, loraArrays, masks, lossGradient);
        } else {
            step = new BlockwiseLm.Step(blockwise.score(seqs, loraArrays, masks), Map.of(), 0, 0, 0);
            double[] seqLogps = step.scores().perSequence(step.scores().tokenLogps(), seqs);
            ph.put(DpoGraph.POLICY_LOGPS, Nd4j.create(seqLogps, new long[]{seqLogps.length}, DataType.DOUBLE).castTo(dt));
            values.putAll(detach(loss.output(BlockwiseLm.bindInputs(loss, ph), outs)));
        }
        lastBlockwise = step;
        BlockwiseLm.RowScores r = step.scores();
        double[] seqLogps = r.perSequence(r.tokenLogps(), seqs);
        double[] logitSums = r.perSequence(r.logitSums(), seqs);
        values.put(LogProbGraph.SEQ_LOGPS, Nd4j.createFromArray(seqLogps));
        values.put(LogProbGraph.SEQ_LOGIT_SUMS, Nd4j.createFromArray(logitSums));
        return step.gradients();
    }

    private static Map<String, INDArray> detach(Map<String, INDArray> m) {
        Map<String, INDArray> o = new HashMap<>();
        m.forEach((k, v) -> o.put(k, v.isAttached() ? v.detach() : v));
        return o;
    }

    private static OutAndGrad detach(OutAndGrad og) {
        return new OutAndGrad(detach(og.getOutputs()), detach(og.getGradients()));
    }

    private static double[][] split(double[] v, int b) {
        return new double[][]{java.util.Arrays.copyOfRange(v, 0, b), java.util.Arrays.copyOfRange(v, b, 2 * b)};
    }

    private static double[][] perToken(double[][] v, int[][] counts) {
        double[][] out = new double[2][v[0].length];
        for (int k = 0; k < 2; k++) for (int i = 0; i < v[k].length; i++) out[k][i] = v[k][i] / counts[k][i];
        return out;
    }

    private SameDiff build(int b, int t, int rows) {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        Map<String, ModelGraph.LoraBinding> bindings = new LinkedHashMap<>();
        DataType dt = base.dtype();
        for (LinearModule m : modules) {
            SDVariable a = sd.var(LoraBindings.varName(m.path(), 'A'), Nd4j.zeros(dt, lora.r(), m.in()));
            SDVariable bv = sd.var(LoraBindings.varName(m.path(), 'B'), Nd4j.zeros(dt, m.out(), lora.r()));
            SDVariable mask = lora.loraDropout() > 0
                    ? sd.placeHolder(LoraBindings.dropoutMaskName(m.path()), dt, -1, m.in()) : null;
            bindings.put(m.path(), new ModelGraph.LoraBinding(a, bv, mask));
        }
        DpoGraph.build(ModelGraph.withLora(sd, base, bindings, lora.scaling()), b, t, rows, cfg);
        return sd;
    }
}
