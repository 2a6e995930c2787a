package org.sparkdpo.model.arch;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.config.LlamaConfig;
import org.sparkdpo.model.nn.Ops;
import org.sparkdpo.model.nn.Rope;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Llama family (Hugging Face {@code LlamaForCausalLM}, {@code MistralForCausalLM}, {@code Qwen2ForCausalLM}),
 * one class because the three share a layout and differ only in config: pre-RMSNorm blocks, rotary positions
 * (non-interleaved {@code rotate_half}, float32 angles as transformers computes them, see {@link Rope}),
 * grouped-query causal attention with optional sliding windows, a SwiGLU MLP, nn.Linear weights [out, in] with
 * optional biases, and an untied or tied output head. Checkpoint names are transformers' names
 * ({@code model.layers.0.self_attn.q_proj.weight}), so LoRA modules get PEFT's paths.
 *
 * <p>Positions passed to {@link #hiddenStates} must lie in [0, t): the rotary tables of a graph cover its length.
 */
public final class Llama implements CausalLm {
    private static final String M = "model.";
    private static final int PER_LAYER = 7;
    private final LlamaConfig c;
    private final List<LinearModule> linears;
    private final Map<String, long[]> shapes;
    private final float[] invFreq;

    public Llama(LlamaConfig config) {
        this.c = config;
        int e = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKeyValueHeads() * c.headDim();
        int inter = c.intermediateSize();
        List<LinearModule> l = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String a = layer(i) + "self_attn.";
            String m = layer(i) + "mlp.";
            l.add(linear(a + "q_proj", e, qOut, c.qkvBias()));
            l.add(linear(a + "k_proj", e, kvOut, c.qkvBias()));
            l.add(linear(a + "v_proj", e, kvOut, c.qkvBias()));
            l.add(linear(a + "o_proj", qOut, e, c.oBias()));
            l.add(linear(m + "gate_proj", e, inter, c.mlpBias()));
            l.add(linear(m + "up_proj", e, inter, c.mlpBias()));
            l.add(linear(m + "down_proj", inter, e, c.mlpBias()));
        }
        this.linears = Collections.unmodifiableList(l);
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put(M + "embed_tokens.weight", new long[]{c.vocabSize(), e});
        for (int i = 0; i < c.numLayers(); i++) {
            s.put(layer(i) + "input_layernorm.weight", new long[]{e});
            for (LinearModule lm : l.subList(PER_LAYER * i, PER_LAYER * i + 4)) putLinear(s, lm);
            s.put(layer(i) + "post_attention_layernorm.weight", new long[]{e});
            for (LinearModule lm : l.subList(PER_LAYER * i + 4, PER_LAYER * (i + 1))) putLinear(s, lm);
        }
        s.put(M + "norm.weight", new long[]{e});
        if (!c.tieWordEmbeddings()) s.put("lm_head.weight", new long[]{c.vocabSize(), e});
        this.shapes = Collections.unmodifiableMap(s);
        this.invFreq = Rope.inverseFrequencies(c);
    }

    private static String layer(int i) {
        return M + "layers." + i + ".";
    }

    private static LinearModule linear(String path, int in, int out, boolean bias) {
        return new LinearModule(path, in, out, LinearLayout.LINEAR, path + ".weight", bias ? path + ".bias" : null);
    }

    private static void putLinear(Map<String, long[]> s, LinearModule m) {
        s.put(m.weightName(), new long[]{m.out(), m.in()});
        if (m.biasName() != null) s.put(m.biasName(), new long[]{m.out()});
    }

    @Override
    public LlamaConfig config() {
        return c;
    }

    /** The float32 inverse frequencies of the rotary embedding, as transformers computes them. */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    @Override
    public String canonicalName(String key) {
        if (key.endsWith(".rotary_emb.inv_freq")) return null;                 // buffers of older checkpoints
        if (key.equals("lm_head.weight")) return c.tieWordEmbeddings() ? null : key;
        String name = key.startsWith(M) ? key : M + key;                       // a bare LlamaModel's keys
        if (!shapes.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + key + "' is not a weight of this " + c.modelType()
                    + " model (expected names like " + M + "layers.0.self_attn.q_proj.weight"
                    + (key.endsWith(".bias") ? "; this config has no such bias" : "") + ")");
        }
        return name;
    }

    @Override
    public Map<String, long[]> weightShapes() {
        return shapes;
    }

    @Override
    public List<LinearModule> linearModules() {
        return linears;
    }

    @Override
    public SDVariable embed(ModelGraph g, SDVariable ids, SDVariable positions) {
        return g.rowsOf(g.weight(M + "embed_tokens.weight"), ids);
    }

    @Override
    public SDVariable block(ModelGraph g, int layer, SDVariable x, SDVariable positions, int s, int t) {
        SameDiff sd = g.sd();
        DataType dt = g.dtype();
        long n = (long) s * t;
        int heads = c.numHeads();
        int kvHeads = c.numKeyValueHeads();
        int d = c.headDim();
        double scale = Math.pow(d, -0.5);                                      // head_dim ** -0.5, as transformers
        // constant tables: gathering rows of a constant needs no gradient, so a plain gather is right here; the
        // gathered [N, D] rows are derived once per graph and shared by its blocks
        SDVariable cos = g.derived("rope_cos_rows_" + t, () -> sd.gather(
                g.constant("rope_cos_" + t, () -> Rope.tables(invFreq, t, dt)[0]), positions, 0));
        SDVariable sin = g.derived("rope_sin_rows_" + t, () -> sd.gather(
                g.constant("rope_sin_" + t, () -> Rope.tables(invFreq, t, dt)[1]), positions, 0));
        SDVariable rot = g.constant("rope_rotate_half_" + d, () -> Rope.rotateHalfMatrix(d, dt));
        String p = layer(layer);
        int base = PER_LAYER * layer;
        SDVariable h = rmsNorm(g, p + "input_layernorm.weight", x);
        SDVariable q = Ops.rotary(sd, g.linear(linears.get(base), h), cos, sin, rot, n, heads, d);
        SDVariable k = Ops.rotary(sd, g.linear(linears.get(base + 1), h), cos, sin, rot, n, kvHeads, d);
        SDVariable v = g.linear(linears.get(base + 2), h);
        SDVariable mask = g.causalMask(t, c.attentionWindow(layer));
        SDVariable attn = Ops.causalAttention(sd, q, k, v, s, t, heads, kvHeads, d, scale, mask);
        SDVariable x1 = x.add(g.linear(linears.get(base + 3), attn));
        SDVariable h2 = rmsNorm(g, p + "post_attention_layernorm.weight", x1);
        SDVariable act = Ops.swiGlu(sd, g.linear(linears.get(base + 4), h2), g.linear(linears.get(base + 5), h2));
        return x1.add(g.linear(linears.get(base + 6), act));
    }

    @Override
    public SDVariable finalNorm(ModelGraph g, SDVariable x) {
        return rmsNorm(g, M + "norm.weight", x);
    }

    private SDVariable rmsNorm(ModelGraph g, String weight, SDVariable x) {
        return Ops.rmsNorm(g.sd(), x, g.weight(weight), c.rmsNormEps());
    }

    @Override
    public String lmHeadWeight() {
        return c.tieWordEmbeddings() ? M + "embed_tokens.weight" : "lm_head.weight";
    }
}
