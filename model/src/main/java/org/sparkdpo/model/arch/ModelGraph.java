package org.sparkdpo.model.arch;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.nn.AddBias;
import org.sparkdpo.model.nn.MatMul;
import org.sparkdpo.model.nn.Ops;

import java.util.HashMap;
import java.util.Map;

/**
 * Binds a model's weights into one SameDiff graph and applies LoRA where an adapter targets a linear map.
 *
 * <p>Frozen base weights become SameDiff constants that reference the per-JVM {@link BaseWeights} arrays
 * (never copied, never part of any trainable parameter vector); with {@code trainBase} they become variables
 * instead, for full-parameter training. LoRA matrices are whatever variables the caller binds.
 */
public final class ModelGraph {
    /** The LoRA variables of one module; {@code dropoutMask} is a placeholder [rows, in] or null. */
    public record LoraBinding(SDVariable a, SDVariable b, SDVariable dropoutMask) {}

    private final SameDiff sd;
    private final BaseWeights base;
    private final boolean trainBase;
    private final java.util.function.Function<String, LoraBinding> lora;
    private final double loraScaling;
    private final Map<String, SDVariable> bound = new HashMap<>();

    private ModelGraph(SameDiff sd, BaseWeights base, boolean trainBase,
                       java.util.function.Function<String, LoraBinding> lora, double loraScaling) {
        this.sd = sd;
        this.base = base;
        this.trainBase = trainBase;
        this.lora = lora;
        this.loraScaling = loraScaling;
    }

    /** Frozen base, no adapter: the reference model. */
    public static ModelGraph frozen(SameDiff sd, BaseWeights base) {
        return new ModelGraph(sd, base, false, p -> null, 0);
    }

    /** Frozen base plus LoRA on the bound modules (module path to variables). */
    public static ModelGraph withLora(SameDiff sd, BaseWeights base, Map<String, LoraBinding> lora, double scaling) {
        return new ModelGraph(sd, base, false, Map.copyOf(lora)::get, scaling);
    }

    /**
     * Frozen base plus LoRA whose variables {@code lora} creates when a linear map is first applied (null: no
     * LoRA on that path), so a graph holding one transformer block gets exactly that block's LoRA variables.
     */
    public static ModelGraph withLazyLora(SameDiff sd, BaseWeights base,
                                          java.util.function.Function<String, LoraBinding> lora, double scaling) {
        return new ModelGraph(sd, base, false, lora, scaling);
    }

    /**
     * Every base weight a trainable SameDiff variable named by its canonical name, initialised from the checkpoint
     * (full-parameter training; callers usually associate their own arrays with the variables before each run).
     */
    public static ModelGraph fullTraining(SameDiff sd, BaseWeights base) {
        return new ModelGraph(sd, base, true, p -> null, 0);
    }

    public SameDiff sd() {
        return sd;
    }

    public DataType dtype() {
        return base.dtype();
    }

    public BaseWeights base() {
        return base;
    }

    /** The weight with this canonical name, bound once per graph. */
    public SDVariable weight(String name) {
        return bound.computeIfAbsent(name, n -> trainBase ? sd.var(n, base.get(n).dup()) : sd.constant(n, base.get(n)));
    }

    /**
     * Rows {@code ids} of a weight matrix (an embedding lookup). Frozen weights: a plain gather. Trainable weights
     * (full-parameter training): ND4J M2.1 cannot differentiate gathers reliably, so the lookup is a one-hot
     * matrix [N, rows] times the weight, whose backward pass is the scatter-add a gather's gradient is
     * (onehot^T . dY), computed by one matmul.
     */
    public SDVariable rowsOf(SDVariable weight, SDVariable ids) {
        if (!trainBase) return sd.gather(weight, ids, 0);
        int rows = Math.toIntExact(weight.getShape()[0]);
        return sd.mmul(sd.oneHot(ids, rows, -1, 1.0, 0.0, base.dtype()), weight);
    }

    /** True when the base weights are trainable variables (full-parameter training). */
    public boolean trainsBase() {
        return trainBase;
    }

    /** The [T, T] causal mask as a graph constant, one per sequence length. */
    public SDVariable causalMask(int t) {
        return causalMask(t, 0);
    }

    /** The [T, T] causal mask limited to a sliding window (0 or a window >= T: plain causal), bound once per graph. */
    public SDVariable causalMask(int t, int window) {
        int w = window >= t ? 0 : window;
        String name = w == 0 ? "causal_mask_" + t : "causal_mask_" + t + "_window_" + w;
        return bound.computeIfAbsent(name, n -> sd.constant(n, Ops.causalMask(t, w, base.dtype())));
    }

    /**
     * A constant that is not a checkpoint weight (e.g. rotary tables), created by {@code value} on first use and
     * bound once per graph under {@code name}.
     */
    public SDVariable constant(String name, java.util.function.Supplier<INDArray> value) {
        return bound.computeIfAbsent(name, n -> sd.constant(n, value.get()));
    }

    /**
     * A graph value derived from other variables (e.g. rotary rows gathered by position) that several blocks
     * share: built by {@code value} on first use and bound once per graph under {@code name}.
     */
    public SDVariable derived(String name, java.util.function.Supplier<SDVariable> value) {
        SDVariable v = bound.get(name);
        if (v == null) {
            v = value.get();
            bound.put(name, v);
        }
        return v;
    }

    /** x [N, in] through the linear map {@code m} (bias if it has one), plus its LoRA delta if bound. */
    public SDVariable linear(LinearModule m, SDVariable x) {
        SDVariable w = weight(m.weightName());
        SDVariable y = MatMul.of(sd, x, w, m.layout() != LinearLayout.CONV1D);
        if (m.biasName() != null) y = AddBias.of(sd, y, weight(m.biasName()));   // not add: see AddBias
        LoraBinding l = lora.apply(m.path());
        if (l != null) {
            SDVariable in = l.dropoutMask() == null ? x : x.mul(l.dropoutMask());
            // the scaling goes on B [out, r], not on the [N, out] product: one pass over N x out less each way
            SDVariable delta = MatMul.of(sd, MatMul.of(sd, in, l.a(), true), l.b().mul(loraScaling), true);
            y = y.add(delta);
        }
        return y;
    }
}
