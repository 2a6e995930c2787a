package org.sparkdpo.model.generate;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.Llama;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.nn.Rope;
import org.sparkdpo.model.nn.WorkspaceSessions;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Incremental decoding with a key/value cache: one prefill over the prompts, then one position per sequence per
 * step, attending to the keys and values that earlier calls computed and stored per layer. No position is ever
 * computed twice.
 *
 * <p><b>Why SameDiff graphs rather than eager ND4J ops.</b> The graphs ({@link StepGraph}) are built from the
 * same {@code ModelGraph}, linear-module list and {@code Ops} pieces as training and scoring, so an unmerged LoRA
 * adapter applies exactly as in training and the numerics are those of the scoring path (tested to 1e-5 against
 * it), with no second implementation of layer norm, RoPE or LoRA to keep in step. Each graph has a fixed shape
 * and is built once per (batch size, prompt length, capacity) and then reused for every step: the step graph
 * attends over the whole cache capacity (positions not yet written are masked out), so its shape does not grow.
 * That costs attention over up to max-new-tokens masked slots per step, which is small next to the linear maps for
 * the lengths this project generates. Eager ND4J ops (llama3.java's function-per-layer style) would avoid
 * SameDiff's per-op dispatch, which matters only for very small models.
 *
 * <p><b>Batches are left-padded</b>: every prompt ends in the last prefill slot, so every sequence's next token
 * goes to the same cache slot and one fixed-shape step graph serves the whole batch. Positions count only real
 * tokens (sequence i's slot j has position j - pad_i, as transformers derives position ids from the attention
 * mask), and the masks hide padding slots from every query, so a prompt's logits do not depend on its batch.
 *
 * <p>The cache is [S, Hkv, capacity, D] per layer and per keys/values, in the model's dtype, capacity = longest
 * prompt + max-new-tokens - 1. Not thread-safe; keeps at most {@value #MAX_GRAPHS} graphs.
 */
public final class KvCacheDecoder implements Decoder {
    private static final int MAX_GRAPHS = 8;

    private final BaseWeights base;
    private final LoraAdapter adapter;
    private final CausalLm model;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int[] windows;
    private final float[] invFreq;
    private final int maxPositions;
    private final Map<List<Integer>, SameDiff> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Integer>, SameDiff> e) {
            return size() > MAX_GRAPHS;
        }
    };

    private int s;
    private int capacity;
    private int filled;
    private int[] pad;
    private INDArray[] cacheK;
    private INDArray[] cacheV;

    /** @param adapter null for the base model alone; otherwise applied unmerged (cast to the base's dtype) */
    public KvCacheDecoder(BaseWeights base, LoraAdapter adapter) {
        this.base = base;
        this.adapter = adapter == null ? null : adapter.castTo(base.dtype());
        this.model = base.model();
        this.layers = model.config().numLayers();
        this.kvHeads = StepGraph.kvHeads(model);
        this.headDim = StepGraph.headDim(model);
        this.windows = StepGraph.windows(model);
        this.invFreq = model instanceof Llama l ? l.inverseFrequencies() : null;
        this.maxPositions = model.config().maxPositions();
    }

    @Override
    public double[][] prefill(int[][] prompts, int maxNewTokens) {
        if (prompts.length == 0) throw new IllegalArgumentException("no prompts");
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        s = prompts.length;
        int p = 0;
        for (int[] pr : prompts) {
            if (pr.length == 0) throw new IllegalArgumentException("empty prompt");
            p = Math.max(p, pr.length);
        }
        capacity = p + maxNewTokens - 1;
        pad = new int[s];
        long[] ids = new long[s * p];
        long[] positions = new long[s * p];
        for (int i = 0; i < s; i++) {
            pad[i] = p - prompts[i].length;
            for (int j = pad[i]; j < p; j++) {
                ids[i * p + j] = prompts[i][j - pad[i]];
                positions[i * p + j] = j - pad[i];
            }
        }
        Map<String, INDArray> ph = inputs(ids, positions);
        for (int w : windows) ph.put(StepGraph.mask(w), prefillMask(p, w));
        cacheK = new INDArray[layers];
        cacheV = new INDArray[layers];
        for (int l = 0; l < layers; l++) {
            cacheK[l] = Nd4j.zeros(base.dtype(), s, kvHeads, capacity, headDim);
            cacheV[l] = Nd4j.zeros(base.dtype(), s, kvHeads, capacity, headDim);
        }
        double[][] logits = run(s, p, 0, ph, 0, p);
        filled = p;
        return logits;
    }

    @Override
    public double[][] step(int[] tokens) {
        if (cacheK == null) throw new IllegalStateException("step before prefill");
        if (tokens.length != s) throw new IllegalArgumentException("expected " + s + " tokens, got " + tokens.length);
        if (filled >= capacity) {
            throw new IllegalStateException("the cache holds " + capacity + " positions, all written: prefill was told "
                    + "to allow fewer new tokens");
        }
        long[] ids = new long[s];
        long[] positions = new long[s];
        for (int i = 0; i < s; i++) {
            ids[i] = tokens[i];
            // a sequence that stopped at the context's end may still be fed; its outputs are not used
            positions[i] = Math.min(filled - pad[i], maxPositions - 1);
        }
        Map<String, INDArray> ph = inputs(ids, positions);
        for (int w : windows) ph.put(StepGraph.mask(w), stepMask(w));
        for (int l = 0; l < layers; l++) {
            ph.put(StepGraph.pastK(l), cacheK[l]);
            ph.put(StepGraph.pastV(l), cacheV[l]);
        }
        double[][] logits = run(s, 1, capacity, ph, filled, filled + 1);
        filled++;
        return logits;
    }

    /** Positions written so far in the cache (the longest prompt, then one per step). */
    public int cachedPositions() {
        return filled;
    }

    private void store(int layer, Map<String, INDArray> out, int from, int to) {
        cacheK[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all())
                .assign(out.get(StepGraph.newK(layer)));
        cacheV[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all())
                .assign(out.get(StepGraph.newV(layer)));
    }

    private Map<String, INDArray> inputs(long[] ids, long[] positions) {
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(StepGraph.IDS, Nd4j.createFromArray(ids));
        ph.put(StepGraph.POSITIONS, Nd4j.createFromArray(positions));
        if (invFreq != null) {
            INDArray[] cs = ropeRows(positions);
            ph.put(StepGraph.ROPE_COS, cs[0]);
            ph.put(StepGraph.ROPE_SIN, cs[1]);
        }
        return ph;
    }

    /** The rows of {@link Rope#tables} at these positions, computed the same way (float32 angle, float64 cos/sin). */
    private INDArray[] ropeRows(long[] positions) {
        int half = invFreq.length;
        int d = 2 * half;
        double[] cos = new double[positions.length * d];
        double[] sin = new double[positions.length * d];
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < half; i++) {
                double a = Rope.angle(invFreq, i, (int) positions[r]);
                double c = Math.cos(a), sn = Math.sin(a);
                cos[r * d + i] = c;
                cos[r * d + half + i] = c;
                sin[r * d + i] = sn;
                sin[r * d + half + i] = sn;
            }
        }
        long[] shape = {positions.length, d};
        return new INDArray[]{Nd4j.create(cos, shape, DataType.DOUBLE).castTo(base.dtype()),
                Nd4j.create(sin, shape, DataType.DOUBLE).castTo(base.dtype())};
    }

    private double neg() {
        return base.dtype() == DataType.DOUBLE ? -1e300 : -1e30;       // as Ops.causalMask
    }

    /** [S, P, P]: query slot q of sequence i sees key slot k iff both are real, k <= q, and q - k < window (if any). */
    private INDArray prefillMask(int p, int window) {
        double neg = neg();
        double[] m = new double[s * p * p];
        for (int i = 0; i < s; i++) {
            for (int q = 0; q < p; q++) {
                for (int k = 0; k < p; k++) {
                    boolean visible = q >= pad[i] && k >= pad[i] && k <= q && (window <= 0 || q - k < window);
                    if (!visible) m[(i * p + q) * p + k] = neg;
                }
            }
        }
        return Nd4j.create(m, new long[]{s, p, p}, DataType.DOUBLE).castTo(base.dtype());
    }

    /** [S, 1, capacity + 1]: written real cache slots within the window, and the new position itself (last column). */
    private INDArray stepMask(int window) {
        double neg = neg();
        int keys = capacity + 1;
        double[] m = new double[s * keys];
        for (int i = 0; i < s; i++) {
            for (int k = 0; k < capacity; k++) {
                boolean visible = k >= pad[i] && k < filled && (window <= 0 || filled - k < window);
                if (!visible) m[i * keys + k] = neg;
            }
        }
        return Nd4j.create(m, new long[]{s, 1, keys}, DataType.DOUBLE).castTo(base.dtype());
    }

    /**
     * Runs a graph, writes its new keys and values into cache slots [from, to) and returns its logits. Both happen
     * inside the workspace session: outputs of views (the new keys are permuted projections) may live in the
     * workspace, so they are copied out before it closes.
     */
    private double[][] run(int s, int tq, int past, Map<String, INDArray> ph, int from, int to) {
        SameDiff sd = graphs.computeIfAbsent(List.of(s, tq, past), k -> StepGraph.build(base, adapter, s, tq, past));
        String[] names = new String[1 + 2 * layers];
        names[0] = StepGraph.LOGITS;
        for (int l = 0; l < layers; l++) {
            names[1 + 2 * l] = StepGraph.newK(l);
            names[2 + 2 * l] = StepGraph.newV(l);
        }
        return WorkspaceSessions.run(sd, () -> {
            Map<String, INDArray> out = sd.output(ph, names);
            for (int l = 0; l < layers; l++) store(l, out, from, to);
            return rows(out.get(StepGraph.LOGITS));
        });
    }

    static double[][] rows(INDArray logits) {
        return logits.castTo(DataType.DOUBLE).toDoubleMatrix();
    }
}
