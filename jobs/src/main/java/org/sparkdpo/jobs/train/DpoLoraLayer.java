package org.sparkdpo.jobs.train;

import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.model.logprob.LengthBuckets;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.DpoStats;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraBindings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DPO output layer at run time: decodes a batch of pairs, evaluates the objective of the frozen base + the
 * LoRA matrices held in this layer's parameter views, and hands DL4J the gradient of the mean loss (the network
 * is configured with {@code miniBatch(false)}, so DL4J does not divide it again). Its last step's statistics
 * stay readable for the metrics hook.
 */
public final class DpoLoraLayer extends ObjectiveLayer<DpoLoraLayerConf> {

    private INDArray scoredInput;
    private double lastLoss = Double.NaN;
    private DpoStats lastStats;
    private double lastGradNorm = Double.NaN;
    private long lastTokens;

    public DpoLoraLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private TrainingModel model() {
        return TrainingModel.of(layerConf().spec());
    }

    /** LoRA arrays keyed by the objective's variable names, pointing into this layer's parameter views. */
    private Map<String, INDArray> loraArrays() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (LinearModule mod : model().modules()) {
            for (char w : new char[]{'A', 'B'}) {
                m.put(LoraBindings.varName(mod.path(), w), paramTable.get(DpoLoraLayerConf.paramKey(mod.path(), w)));
            }
        }
        return m;
    }

    /** Statistics of the last training step (null before the first). */
    public DpoStats lastStats() {
        return lastStats;
    }

    @Override
    public StepStats lastStepStats() {
        return lastStats == null ? null : new DpoStepStats(lastStats);
    }

    /** Real tokens (prompt counted for both sequences) of the last training step. */
    @Override
    public long lastTokens() {
        return lastTokens;
    }

    /** Pads a batch to the {@link LengthBuckets} bucket of its longest sequence (within the model's positions). */
    static int padTo(List<PreferencePair> pairs, int maxPositions) {
        int t = pairs.stream().mapToInt(PreferencePair::maxLength).max().orElse(1);
        return LengthBuckets.of(t, maxPositions);
    }

    private int padTo(List<PreferencePair> pairs) {
        return padTo(pairs, model().base().model().config().maxPositions());
    }

    /** Global norm of the last step's gradient of the mean loss, before clipping. */
    @Override
    public double lastGradNorm() {
        return lastGradNorm;
    }

    /**
     * The gradient of the mean loss over the batch. With gradient accumulation the batch is run as consecutive
     * micro-batches (less memory) whose gradients, losses and statistics are combined weighted by their pairs,
     * which equals one pass over the whole batch for every per-pair loss type.
     */
    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        try {
            return backprop();
        } catch (OutOfMemoryError e) {   // fatal to the executor JVM if left as an Error: fail the task with the fix instead
            throw org.sparkdpo.common.TaskOutOfMemoryException.of(e, "a training step (worker "
                    + WorkerIdentity.current() + ", " + ExecutorContext.where() + ")",
                    "--batch-size (or raise --gradient-accumulation: the same batch in smaller micro-batches)"
                    + (layerConf().spec().gradientCheckpointing() ? ""
                            : ", or add --gradient-checkpointing (keeps one block's activations instead of every block's)"));
        }
    }

    private Pair<Gradient, INDArray> backprop() {
        assertInputSet(true);
        if (labels == null) throw new IllegalStateException("labels (reference log-probs) are not set");
        int step = conf().getIterationCount();
        ExecutorContext.bindGpu(org.apache.spark.TaskContext.get());
        TrainingFaults.check();
        List<PreferencePair> pairs = PairBatchCodec.decode(input, labels);
        int micro = Math.max(1, Math.min(layerConf().getMicroBatches(), pairs.size()));
        int chunk = (pairs.size() + micro - 1) / micro;
        Map<String, INDArray> sum = new LinkedHashMap<>();
        double loss = 0;
        DpoStats stats = DpoStats.EMPTY;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (int from = 0, k = 0; from < pairs.size(); from += chunk, k++) {
                List<PreferencePair> part = pairs.subList(from, Math.min(pairs.size(), from + chunk));
                double weight = (double) part.size() / pairs.size();
                long seed = layerConf().getDropoutSeed() * 1_000_003L + step * 7919L + WorkerIdentity.current() * 104_729L + k;
                DpoObjective.Result r = model().objective().run(part, loraArrays(), true, seed, padTo(part));
                for (Map.Entry<String, INDArray> e : r.gradients().entrySet()) {
                    INDArray g = e.getValue().mul(weight);
                    sum.merge(e.getKey(), g, INDArray::addi);
                }
                loss += weight * r.loss();
                stats = stats.merge(r.stats());
            }
        }
        double sq = 0;
        Gradient g = new DefaultGradient(gradientsView);
        for (LinearModule mod : model().modules()) {
            for (char w : new char[]{'A', 'B'}) {
                String key = DpoLoraLayerConf.paramKey(mod.path(), w);
                INDArray grad = sum.get(LoraBindings.varName(mod.path(), w));
                double n = grad.norm2Number().doubleValue();
                sq += n * n;
                gradTable.get(key).assign(grad);
                g.gradientForVariable().put(key, gradTable.get(key));
            }
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw new NonFiniteLossException(step, loss, norm);
        }
        scoredInput = input;
        lastLoss = loss;
        lastStats = stats;
        lastGradNorm = norm;
        lastTokens = pairs.stream().mapToLong(PreferencePair::tokens).sum();
        return new Pair<>(g, null);
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (scoredInput != input || Double.isNaN(lastLoss)) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                List<PreferencePair> pairs = PairBatchCodec.decode(input, labels);
                lastLoss = model().objective().run(pairs, loraArrays(), false, 0, padTo(pairs)).loss();
                scoredInput = input;
            }
        }
        return lastLoss + fullNetRegTerm;
    }

    /** Forward pass for {@code output()}: per pair [policy chosen, policy rejected] summed log-probs. */
    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            List<PreferencePair> pairs = PairBatchCodec.decode(input, labels != null ? labels
                    : Nd4j.zeros(DataType.DOUBLE, input.size(0), 2));
            double[][] p = model().objective().run(pairs, loraArrays(), false, 0, padTo(pairs)).policyLogps();
            double[] out = new double[2 * pairs.size()];
            for (int i = 0; i < pairs.size(); i++) {
                out[2 * i] = p[0][i];
                out[2 * i + 1] = p[1][i];
            }
            return Nd4j.create(out, new long[]{pairs.size(), 2}, DataType.DOUBLE).castTo(dataType);
        }
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            List<PreferencePair> pairs = PairBatchCodec.decode(input, labels);
            double[] losses = model().objective().run(pairs, loraArrays(), false, 0, padTo(pairs)).pairLosses();
            return Nd4j.create(losses, new long[]{losses.length, 1}, DataType.DOUBLE).castTo(dataType);
        }
    }
}
