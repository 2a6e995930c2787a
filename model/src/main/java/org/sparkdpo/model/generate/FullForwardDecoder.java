package org.sparkdpo.model.generate;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.nn.WorkspaceSessions;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoding without a cache: every call runs the architecture's full forward pass ({@link CausalLm#hiddenStates},
 * the code training and scoring run) over each whole sequence and reads the logits of its last position. It is
 * the reference {@link KvCacheDecoder} is tested against, and the "without cache" figure of the benchmark.
 *
 * <p>Sequences are right-padded to a fixed length T (longest prompt + max-new-tokens - 1, at most the context), so
 * one graph serves every step; under causal attention the padding after a position cannot change it.
 */
public final class FullForwardDecoder implements Decoder {
    private static final String IDS = "ff_ids";
    private static final String POSITIONS = "ff_positions";
    private static final String ROWS = "ff_rows";
    private static final String LOGITS = "ff_logits";

    private final BaseWeights base;
    private final LoraAdapter adapter;
    private final Map<List<Integer>, SameDiff> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Integer>, SameDiff> e) {
            return size() > 4;
        }
    };
    private int s;
    private int t;
    private int[] lengths;
    private long[] ids;

    /** @param adapter null for the base model alone; otherwise applied unmerged (cast to the base's dtype) */
    public FullForwardDecoder(BaseWeights base, LoraAdapter adapter) {
        this.base = base;
        this.adapter = adapter == null ? null : adapter.castTo(base.dtype());
    }

    @Override
    public double[][] prefill(int[][] prompts, int maxNewTokens) {
        if (prompts.length == 0) throw new IllegalArgumentException("no prompts");
        s = prompts.length;
        int p = 0;
        for (int[] pr : prompts) p = Math.max(p, pr.length);
        t = Math.min(p + maxNewTokens - 1, base.model().config().maxPositions());
        if (p > t) throw new IllegalArgumentException("a prompt of " + p + " tokens exceeds the model's context of " + t);
        lengths = new int[s];
        ids = new long[s * t];
        for (int i = 0; i < s; i++) {
            if (prompts[i].length == 0) throw new IllegalArgumentException("empty prompt");
            lengths[i] = prompts[i].length;
            for (int j = 0; j < lengths[i]; j++) ids[i * t + j] = prompts[i][j];
        }
        return forward();
    }

    @Override
    public double[][] step(int[] tokens) {
        if (tokens.length != s) throw new IllegalArgumentException("expected " + s + " tokens, got " + tokens.length);
        for (int i = 0; i < s; i++) {
            if (lengths[i] < t) ids[i * t + lengths[i]++] = tokens[i];     // a full sequence has stopped already
        }
        return forward();
    }

    private double[][] forward() {
        SameDiff sd = graphs.computeIfAbsent(List.of(s, t), k -> build(s, t));
        long[] positions = new long[s * t];
        long[] rows = new long[s];
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < t; j++) positions[i * t + j] = j;
            rows[i] = (long) i * t + lengths[i] - 1;
        }
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(IDS, Nd4j.createFromArray(ids.clone()));
        ph.put(POSITIONS, Nd4j.createFromArray(positions));
        ph.put(ROWS, Nd4j.createFromArray(rows));
        return WorkspaceSessions.run(sd, () -> KvCacheDecoder.rows(sd.output(ph, LOGITS).get(LOGITS)));
    }

    private SameDiff build(int s, int t) {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        ModelGraph g = adapter == null ? ModelGraph.frozen(sd, base)
                : ModelGraph.withLora(sd, base, LoraBindings.of(sd, adapter, false, false), adapter.config().scaling());
        CausalLm model = base.model();
        long n = (long) s * t;
        SDVariable ids = sd.placeHolder(IDS, DataType.INT64, n);
        SDVariable positions = sd.placeHolder(POSITIONS, DataType.INT64, n);
        SDVariable rows = sd.placeHolder(ROWS, DataType.INT64, s);
        SDVariable hidden = model.hiddenStates(g, ids, positions, s, t);
        SDVariable last = sd.gather(hidden, rows, 0);
        sd.mmul(last, model.lmHead(g), false, true, false).rename(LOGITS);
        return sd;
    }
}
