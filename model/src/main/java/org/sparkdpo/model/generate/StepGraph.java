package org.sparkdpo.model.generate;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.Gpt2;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.arch.Llama;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.config.Gpt2Config;
import org.sparkdpo.model.config.LlamaConfig;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.nn.Ops;
import org.sparkdpo.model.nn.Rope;

import java.util.List;
import java.util.TreeSet;

/**
 * The forward pass of {@code tq} new tokens per sequence that attend to {@code past} cached positions, as one
 * SameDiff graph: the prefill graph ({@code past = 0}, the prompts) and the step graph ({@code tq = 1}, past = the
 * cache's capacity) of {@link KvCacheDecoder}.
 *
 * <p>It is built from the same parts as training and scoring: {@link ModelGraph} binds the frozen weights as
 * constants that reference the per-JVM {@link BaseWeights} and applies an unmerged LoRA adapter inside
 * {@link ModelGraph#linear} exactly as training does; the linear maps are the architecture's own
 * {@link CausalLm#linearModules()} (so weight names and LoRA paths are PEFT's); norms, activations and the rotary
 * embedding are {@link Ops}' pieces. Only the block wiring is restated here, with the one difference that matters:
 * attention reads keys and values of earlier positions from the cache (placeholders) and returns this call's new
 * keys and values as outputs. When the architectures expose one method per block, this wiring should become a call
 * of those methods with an attention hook.
 *
 * <p>Placeholders: {@value #IDS} and {@value #POSITIONS} [S*Tq] int64 (real positions: left padding is not counted);
 * one additive mask [S, Tq, past+Tq] per distinct attention window of the model ({@link #mask}); for rotary models
 * {@value #ROPE_COS} and {@value #ROPE_SIN} [S*Tq, D] (the rows of {@link Rope#tables} at each position, computed
 * on the host because a table of all positions of a long-context model would be large); with {@code past > 0},
 * {@link #pastK}/{@link #pastV} [S, Hkv, past, D] per layer. Outputs: {@value #LOGITS} [S, V] of each sequence's last
 * new position, and {@link #newK}/{@link #newV} [S, Hkv, Tq, D] per layer (keys after the rotary embedding).
 */
final class StepGraph {
    static final String IDS = "gen_ids";
    static final String POSITIONS = "gen_positions";
    static final String ROPE_COS = "gen_rope_cos";
    static final String ROPE_SIN = "gen_rope_sin";
    static final String LOGITS = "gen_logits";

    private StepGraph() {}

    static String mask(int window) {
        return "gen_mask_w" + window;
    }

    static String pastK(int layer) {
        return "gen_past_k_" + layer;
    }

    static String pastV(int layer) {
        return "gen_past_v_" + layer;
    }

    static String newK(int layer) {
        return "gen_new_k_" + layer;
    }

    static String newV(int layer) {
        return "gen_new_v_" + layer;
    }

    /** The sliding window of a layer (0: attends to every earlier position). */
    static int window(CausalLm model, int layer) {
        return model.config() instanceof LlamaConfig lc ? lc.attentionWindow(layer) : 0;
    }

    /** The distinct windows of a model's layers, ascending. */
    static int[] windows(CausalLm model) {
        TreeSet<Integer> w = new TreeSet<>();
        for (int i = 0; i < model.config().numLayers(); i++) w.add(window(model, i));
        return w.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Key/value heads and head size of the cache. */
    static int kvHeads(CausalLm model) {
        return model.config() instanceof LlamaConfig lc ? lc.numKeyValueHeads() : model.config().numHeads();
    }

    static int headDim(CausalLm model) {
        return model.config() instanceof LlamaConfig lc ? lc.headDim() : model.config().headDim();
    }

    static SameDiff build(BaseWeights base, LoraAdapter adapter, int s, int tq, int past) {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        ModelGraph g = adapter == null ? ModelGraph.frozen(sd, base)
                : ModelGraph.withLora(sd, base, LoraBindings.of(sd, adapter, false, false), adapter.config().scaling());
        CausalLm model = base.model();
        DataType dt = base.dtype();
        long n = (long) s * tq;
        SDVariable ids = sd.placeHolder(IDS, DataType.INT64, n);
        SDVariable positions = sd.placeHolder(POSITIONS, DataType.INT64, n);
        Attention attn = new Attention(sd, dt, s, tq, past, kvHeads(model), headDim(model));
        for (int w : windows(model)) attn.masks.put(w, sd.placeHolder(mask(w), dt, s, tq, past + tq).reshape(s, 1, tq, past + tq));
        SDVariable hidden;
        if (model instanceof Gpt2 gpt) {
            hidden = gpt2(g, gpt, ids, positions, n, attn);
        } else if (model instanceof Llama llama) {
            SDVariable cos = sd.placeHolder(ROPE_COS, dt, n, headDim(model));
            SDVariable sin = sd.placeHolder(ROPE_SIN, dt, n, headDim(model));
            hidden = llama(g, llama, ids, cos, sin, n, attn);
        } else {
            throw new UnsupportedOperationException("incremental decoding is not implemented for " + model.getClass().getSimpleName());
        }
        long e = model.config().hiddenSize();
        SDVariable last = tq == 1 ? hidden : hidden.reshape(s, tq * e).get(SDIndex.all(), SDIndex.interval((tq - 1) * e, tq * e));
        sd.mmul(last, model.lmHead(g), false, true, false).rename(LOGITS);
        return sd;
    }

    /** GPT-2's blocks (see {@link Gpt2#hiddenStates}) with cached attention. */
    private static SDVariable gpt2(ModelGraph g, Gpt2 model, SDVariable ids, SDVariable positions, long n, Attention attn) {
        SameDiff sd = g.sd();
        Gpt2Config c = model.config();
        List<LinearModule> lin = model.linearModules();
        int e = c.nEmbd();
        int heads = c.nHead();
        double scale = c.scaleAttnWeights() ? 1.0 / Math.sqrt(e / heads) : 1.0;
        String p = "transformer.";
        SDVariable x = g.rowsOf(g.weight(p + "wte.weight"), ids).add(g.rowsOf(g.weight(p + "wpe.weight"), positions));
        for (int i = 0; i < c.nLayer(); i++) {
            String h = p + "h." + i + ".";
            SDVariable a = layerNorm(g, h + "ln_1", x, c.layerNormEpsilon());
            SDVariable qkv = g.linear(lin.get(4 * i), a);
            SDVariable q = qkv.get(SDIndex.all(), SDIndex.interval(0, e));
            SDVariable k = qkv.get(SDIndex.all(), SDIndex.interval(e, 2 * e));
            SDVariable v = qkv.get(SDIndex.all(), SDIndex.interval(2 * e, 3 * e));
            SDVariable o = attn.apply(i, q, k, v, heads, scale, 0);
            x = x.add(g.linear(lin.get(4 * i + 1), o));
            SDVariable m = Ops.geluNew(sd, g.linear(lin.get(4 * i + 2), layerNorm(g, h + "ln_2", x, c.layerNormEpsilon())));
            x = x.add(g.linear(lin.get(4 * i + 3), m));
        }
        return layerNorm(g, p + "ln_f", x, c.layerNormEpsilon());
    }

    private static SDVariable layerNorm(ModelGraph g, String name, SDVariable x, double eps) {
        return Ops.layerNorm(g.sd(), x, g.weight(name + ".weight"), g.weight(name + ".bias"), eps);
    }

    /** The Llama family's blocks (see {@link Llama#hiddenStates}) with cached attention. */
    private static SDVariable llama(ModelGraph g, Llama model, SDVariable ids, SDVariable cos, SDVariable sin, long n,
                                    Attention attn) {
        SameDiff sd = g.sd();
        LlamaConfig c = model.config();
        List<LinearModule> lin = model.linearModules();
        int heads = c.numHeads();
        int kvHeads = c.numKeyValueHeads();
        int d = c.headDim();
        double scale = Math.pow(d, -0.5);
        SDVariable rot = g.constant("rope_rotate_half_" + d, () -> Rope.rotateHalfMatrix(d, g.dtype()));
        SDVariable x = g.rowsOf(g.weight("model.embed_tokens.weight"), ids);
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            int b = 7 * i;
            SDVariable h = Ops.rmsNorm(sd, x, g.weight(p + "input_layernorm.weight"), c.rmsNormEps());
            SDVariable q = Ops.rotary(sd, g.linear(lin.get(b), h), cos, sin, rot, n, heads, d);
            SDVariable k = Ops.rotary(sd, g.linear(lin.get(b + 1), h), cos, sin, rot, n, kvHeads, d);
            SDVariable v = g.linear(lin.get(b + 2), h);
            SDVariable o = attn.apply(i, q, k, v, heads, scale, c.attentionWindow(i));
            x = x.add(g.linear(lin.get(b + 3), o));
            SDVariable h2 = Ops.rmsNorm(sd, x, g.weight(p + "post_attention_layernorm.weight"), c.rmsNormEps());
            SDVariable act = Ops.swiGlu(sd, g.linear(lin.get(b + 4), h2), g.linear(lin.get(b + 5), h2));
            x = x.add(g.linear(lin.get(b + 6), act));
        }
        return Ops.rmsNorm(sd, x, g.weight("model.norm.weight"), c.rmsNormEps());
    }

    /**
     * Scaled dot-product attention of the new positions over [cached keys, new keys], with the same operations in
     * the same order as {@link Ops#causalAttention} (queries times scale, their scores plus the additive mask,
     * ND4J's softmax); grouped-query heads repeat each key/value head H/Hkv times, as transformers' repeat_kv.
     */
    private static final class Attention {
        final SameDiff sd;
        final DataType dt;
        final int s, tq, past, kvHeads, d;
        final java.util.Map<Integer, SDVariable> masks = new java.util.HashMap<>();

        Attention(SameDiff sd, DataType dt, int s, int tq, int past, int kvHeads, int d) {
            this.sd = sd;
            this.dt = dt;
            this.s = s;
            this.tq = tq;
            this.past = past;
            this.kvHeads = kvHeads;
            this.d = d;
        }

        /** q [S*Tq, H*D], k and v [S*Tq, Hkv*D] -> [S*Tq, H*D]; records this layer's new keys and values as outputs. */
        SDVariable apply(int layer, SDVariable q, SDVariable k, SDVariable v, int heads, double scale, int window) {
            SDVariable qh = q.reshape(s, tq, heads, d).permute(0, 2, 1, 3);
            SDVariable kh = sd.identity(newK(layer), k.reshape(s, tq, kvHeads, d).permute(0, 2, 1, 3));
            SDVariable vh = sd.identity(newV(layer), v.reshape(s, tq, kvHeads, d).permute(0, 2, 1, 3));
            int keys = past + tq;
            if (past > 0) {
                kh = sd.concat(2, sd.placeHolder(pastK(layer), dt, s, kvHeads, past, d), kh);
                vh = sd.concat(2, sd.placeHolder(pastV(layer), dt, s, kvHeads, past, d), vh);
            }
            if (heads != kvHeads) {
                int groups = heads / kvHeads;
                kh = sd.tile(kh.reshape(s, kvHeads, 1, keys, d), 1, 1, groups, 1, 1).reshape(s, heads, keys, d);
                vh = sd.tile(vh.reshape(s, kvHeads, 1, keys, d), 1, 1, groups, 1, 1).reshape(s, heads, keys, d);
            }
            SDVariable scores = sd.mmul(scale == 1.0 ? qh : qh.mul(scale), kh, false, true, false).add(masks.get(window));
            SDVariable probs = Ops.softmaxLastAxis(sd, scores, 3);
            return sd.mmul(probs, vh).permute(0, 2, 1, 3).reshape((long) s * tq, (long) heads * d);
        }
    }
}
