package org.sparkdpo.model.sft;

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
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.LogProbGraph;
import org.sparkdpo.model.logprob.SequenceBatch;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.lora.LoraDropout;
import org.sparkdpo.model.nn.GradFunctions;
import org.sparkdpo.model.nn.WorkspaceSessions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the SFT loss (mean token NLL, see {@link SftGraph}) of a model on a batch of prompt/completion
 * examples, with TRL's {@code mean_token_accuracy}, and for training the gradient of the loss with respect to the
 * trainable arrays. Two kinds of trainables, through the same model graph ({@link ModelGraph}):
 * <ul>
 *   <li>{@link #full}: every base weight is a variable named by its canonical checkpoint name;</li>
 *   <li>{@link #lora}: frozen base plus LoRA matrices named by {@link LoraBindings#varName}.</li>
 * </ul>
 * The trainable arrays are passed per call (they may be views into a trainer's flat parameter vector); graphs are
 * built once per batch shape. Not thread-safe: one instance per thread.
 */
public final class SftObjective {
    /** What one evaluation yields: mean loss, scored and correctly predicted tokens, gradients (training only). */
    public record Result(double loss, long tokens, long correct, Map<String, INDArray> gradients) {
        public double meanTokenAccuracy() {
            return tokens == 0 ? Double.NaN : (double) correct / tokens;
        }
    }

    private static final int MAX_GRAPHS = 16;

    private final BaseWeights base;
    private final LoraConfig lora;           // null: full-parameter
    private final List<LinearModule> modules;
    private final boolean completionOnly;
    private final List<String> trainable;
    private final Map<List<Integer>, SameDiff> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Integer>, SameDiff> e) {
            return size() > MAX_GRAPHS;
        }
    };

    private SftObjective(BaseWeights base, LoraConfig lora, List<LinearModule> modules, boolean completionOnly) {
        this.base = base;
        this.lora = lora;
        this.modules = List.copyOf(modules);
        this.completionOnly = completionOnly;
        this.trainable = lora == null ? fullNames(base) : loraNames(modules);
    }

    /** Full-parameter SFT: every weight of the checkpoint is trainable. */
    public static SftObjective full(BaseWeights base, boolean completionOnly) {
        return new SftObjective(base, null, List.of(), completionOnly);
    }

    /** LoRA SFT on {@code modules}: only the LoRA matrices are trainable. */
    public static SftObjective lora(BaseWeights base, LoraConfig lora, List<LinearModule> modules, boolean completionOnly) {
        return new SftObjective(base, lora, modules, completionOnly);
    }

    /** The trainable variable names, in model order (canonical weight names, or LoRA variable names). */
    public List<String> trainableNames() {
        return trainable;
    }

    /** Canonical names of every weight the model has in this checkpoint, in model order. */
    public static List<String> fullNames(BaseWeights base) {
        List<String> out = new ArrayList<>();
        for (String n : base.model().weightShapes().keySet()) if (base.has(n)) out.add(n);
        return List.copyOf(out);
    }

    private static List<String> loraNames(List<LinearModule> modules) {
        List<String> out = new ArrayList<>();
        for (LinearModule m : modules) {
            out.add(LoraBindings.varName(m.path(), 'A'));
            out.add(LoraBindings.varName(m.path(), 'B'));
        }
        return List.copyOf(out);
    }

    /** The checkpoint's weights (copies), keyed as {@link #trainableNames()} for the full-parameter objective. */
    public Map<String, INDArray> initialFullWeights() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (String n : fullNames(base)) m.put(n, base.get(n).dup());
        return m;
    }

    /**
     * Runs the objective.
     *
     * @param examples    prompt/completion token ids
     * @param params      every trainable array keyed by {@link #trainableNames()}, in the base model's dtype
     * @param gradients   compute gradients (training) or not (evaluation)
     * @param dropoutSeed seed of this step's LoRA dropout masks (ignored without dropout or gradients)
     * @param padTo       minimum padded length (0 = longest sequence)
     */
    public Result run(List<Completion> examples, Map<String, INDArray> params, boolean gradients, long dropoutSeed, int padTo) {
        int maxPositions = base.model().config().maxPositions();
        for (Completion c : examples) {
            if (c.length() > maxPositions) {
                throw new IllegalArgumentException("an example has " + c.length() + " tokens, more than the model's "
                        + maxPositions + " positions");
            }
        }
        SequenceBatch batch = SequenceBatch.of(SftGraph.scored(examples, completionOnly), padTo);
        int s = batch.numSequences();
        int t = batch.paddedLength();
        int rows = batch.paddedRows();
        DataType dt = base.dtype();
        SameDiff sd = graphs.computeIfAbsent(List.of(s, t, rows), k -> build(s, t, rows));
        for (String name : trainable) {
            INDArray a = params.get(name);
            if (a == null) throw new IllegalArgumentException("no array for trainable " + name);
            sd.associateArrayWithVariable(a, sd.getVariable(name));
        }
        Map<String, INDArray> ph = SftGraph.placeholders(batch, dt);
        if (lora != null && lora.loraDropout() > 0) {
            ph.putAll(LoraDropout.masks(modules, gradients ? lora.loraDropout() : 0.0, s * t, dropoutSeed, dt));
        }
        List<String> outs = List.of(SftGraph.LOSS, LogProbGraph.ROW_ARGMAX);
        Map<String, INDArray> values;
        Map<String, INDArray> grads = Map.of();
        if (gradients) {
            GradFunctions.ensure(sd);
            OutAndGrad og = WorkspaceSessions.run(sd.getFunction("grad"), () -> detach(
                    sd.calculateGradientsAndOutputs(ph, outs, trainable)));
            values = og.getOutputs();
            grads = og.getGradients();
        } else {
            values = WorkspaceSessions.run(sd, () -> detach(sd.output(ph, outs)));
        }
        long n = java.util.Arrays.stream(batch.counts()).sum();
        long[] argmax = values.get(LogProbGraph.ROW_ARGMAX).toLongVector();
        long[] targets = ph.get(LogProbGraph.TARGETS).toLongVector();
        long correct = 0;
        for (int k = 0; k < n; k++) if (argmax[k] == targets[k]) correct++;
        return new Result(values.get(SftGraph.LOSS).getDouble(0), n, correct, new HashMap<>(grads));
    }

    private SameDiff build(int s, int t, int rows) {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        ModelGraph g;
        if (lora == null) {
            g = ModelGraph.fullTraining(sd, base);
        } else {
            DataType dt = base.dtype();
            List<LoraAdapter.Pair> zeros = new ArrayList<>();
            for (LinearModule m : modules) {
                zeros.add(new LoraAdapter.Pair(m, Nd4j.zeros(dt, lora.r(), m.in()), Nd4j.zeros(dt, m.out(), lora.r())));
            }
            g = ModelGraph.withLora(sd, base, LoraBindings.of(sd, new LoraAdapter(lora, zeros), true,
                    lora.loraDropout() > 0), lora.scaling());
        }
        SftGraph.build(g, s, t, rows);
        return sd;
    }

    private static Map<String, INDArray> detach(Map<String, INDArray> m) {
        Map<String, INDArray> o = new HashMap<>();
        m.forEach((k, v) -> o.put(k, v.isAttached() ? v.detach() : v));
        return o;
    }

    private static OutAndGrad detach(OutAndGrad og) {
        return new OutAndGrad(detach(og.getOutputs()), detach(og.getGradients()));
    }
}
