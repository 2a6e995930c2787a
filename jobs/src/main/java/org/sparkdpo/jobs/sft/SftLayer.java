package org.sparkdpo.jobs.sft;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.jobs.train.NonFiniteLossException;
import org.sparkdpo.jobs.train.ObjectiveLayer;
import org.sparkdpo.jobs.train.StepStats;
import org.sparkdpo.jobs.train.WorkerIdentity;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.LengthBuckets;
import org.sparkdpo.model.sft.SftObjective;

/**
 * The SFT output layer at run time: decodes a batch of examples, evaluates the SFT objective with the trainable
 * tensors held in this layer's parameter views, and hands DL4J the gradient of the mean token loss (the network is
 * configured with {@code miniBatch(false)}). With gradient accumulation the batch runs as micro-batches whose
 * gradients are combined weighted by their scored tokens, which equals one pass over the whole batch.
 */
public final class SftLayer extends ObjectiveLayer<SftLayerConf> {
    private INDArray scoredInput;
    private double lastLoss = Double.NaN;
    private SftStats lastStats;
    private double lastGradNorm = Double.NaN;
    private long lastTokens;

    public SftLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private SftModel model() {
        return SftModel.of(layerConf().spec());
    }

    /** The trainable arrays keyed by the objective's variable names, pointing into this layer's parameter views. */
    private Map<String, INDArray> arrays() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (SftModel.Trainable t : model().trainables()) m.put(t.varName(), paramTable.get(t.paramKey()).reshape(t.shape()));
        return m;
    }

    private int padTo(List<Completion> examples) {
        int t = examples.stream().mapToInt(Completion::length).max().orElse(1);
        return LengthBuckets.of(t, model().base().model().config().maxPositions());
    }

    @Override
    public StepStats lastStepStats() {
        return lastStats;
    }

    @Override
    public double lastGradNorm() {
        return lastGradNorm;
    }

    @Override
    public long lastTokens() {
        return lastTokens;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        int step = conf().getIterationCount();
        ExecutorContext.bindGpu(org.apache.spark.TaskContext.get());
        List<Completion> examples = SftBatchCodec.decode(input);
        int micro = Math.max(1, Math.min(layerConf().getMicroBatches(), examples.size()));
        int chunk = (examples.size() + micro - 1) / micro;
        Map<String, INDArray> sum = new LinkedHashMap<>();
        SftStats stats = new SftStats(0, 0, 0, 0);
        SftObjective objective = model().objective();
        Map<String, INDArray> arrays = arrays();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (int from = 0, k = 0; from < examples.size(); from += chunk, k++) {
                List<Completion> part = examples.subList(from, Math.min(examples.size(), from + chunk));
                long seed = layerConf().getDropoutSeed() * 1_000_003L + step * 7919L + WorkerIdentity.current() * 104_729L + k;
                SftObjective.Result r = objective.run(part, arrays, true, seed, padTo(part));
                for (Map.Entry<String, INDArray> e : r.gradients().entrySet()) {
                    sum.merge(e.getKey(), e.getValue().mul(r.tokens()), INDArray::addi);
                }
                stats = (SftStats) stats.merge(new SftStats(part.size(), r.tokens(), r.loss() * r.tokens(), r.correct()));
            }
        }
        double sq = 0;
        Gradient g = new DefaultGradient(gradientsView);
        for (SftModel.Trainable t : model().trainables()) {
            INDArray grad = sum.get(t.varName()).divi(stats.tokens());
            double n = grad.norm2Number().doubleValue();
            sq += n * n;
            gradTable.get(t.paramKey()).assign(grad.reshape(SftLayerConf.paramShape(t.shape())));
            g.gradientForVariable().put(t.paramKey(), gradTable.get(t.paramKey()));
        }
        double loss = stats.nllSum() / stats.tokens();
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) throw new NonFiniteLossException(step, loss, norm);
        scoredInput = input;
        lastLoss = loss;
        lastStats = stats;
        lastGradNorm = norm;
        lastTokens = examples.stream().mapToLong(Completion::length).sum();
        return new Pair<>(g, null);
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (scoredInput != input || Double.isNaN(lastLoss)) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                List<Completion> examples = SftBatchCodec.decode(input);
                lastLoss = model().objective().run(examples, arrays(), false, 0, padTo(examples)).loss();
                scoredInput = input;
            }
        }
        return lastLoss + fullNetRegTerm;
    }

    /** Forward pass for {@code output()}: each example's mean token NLL, [B, 1]. */
    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return computeScoreForExamples(0, workspaceMgr);
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            List<Completion> examples = SftBatchCodec.decode(input);
            double[] out = new double[examples.size()];
            for (int i = 0; i < out.length; i++) {
                List<Completion> one = List.of(examples.get(i));
                out[i] = model().objective().run(one, arrays(), false, 0, padTo(one)).loss();
            }
            return Nd4j.create(out, new long[]{out.length, 1}, DataType.DOUBLE).castTo(dataType);
        }
    }

    @Override
    public int numLabels() {
        return 1;
    }
}
