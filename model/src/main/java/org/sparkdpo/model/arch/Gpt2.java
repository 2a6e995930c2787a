package org.sparkdpo.model.arch;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.sparkdpo.model.config.Gpt2Config;
import org.sparkdpo.model.nn.Ops;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 with Hugging Face's {@code GPT2LMHeadModel} semantics: Conv1D weights stored [in, out], learned
 * positions, pre-norm blocks, {@code gelu_new}, and an output head tied to the token embedding.
 */
public final class Gpt2 implements CausalLm {
    private static final String P = "transformer.";
    private final Gpt2Config c;
    private final List<LinearModule> linears;

    public Gpt2(Gpt2Config config) {
        this.c = config;
        List<LinearModule> l = new ArrayList<>();
        int e = c.nEmbd();
        for (int i = 0; i < c.nLayer(); i++) {
            String h = P + "h." + i + ".";
            l.add(conv1d(h + "attn.c_attn", e, 3 * e));
            l.add(conv1d(h + "attn.c_proj", e, e));
            l.add(conv1d(h + "mlp.c_fc", e, c.nInner()));
            l.add(conv1d(h + "mlp.c_proj", c.nInner(), e));
        }
        this.linears = Collections.unmodifiableList(l);
    }

    private static LinearModule conv1d(String path, int in, int out) {
        return new LinearModule(path, in, out, LinearLayout.CONV1D, path + ".weight", path + ".bias");
    }

    @Override
    public Gpt2Config config() {
        return c;
    }

    @Override
    public String canonicalName(String key) {
        if (key.endsWith(".attn.bias") || key.endsWith(".attn.masked_bias")) return null;   // causal-mask buffers
        if (key.equals("lm_head.weight")) return c.tieWordEmbeddings() ? null : key;
        String name = key.startsWith(P) ? key : P + key;
        if (!weightShapes().containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + key + "' is not a GPT-2 weight (expected names like "
                    + P + "h.0.attn.c_attn.weight)");
        }
        return name;
    }

    @Override
    public Map<String, long[]> weightShapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        long e = c.nEmbd();
        m.put(P + "wte.weight", new long[]{c.vocabSize(), e});
        m.put(P + "wpe.weight", new long[]{c.nPositions(), e});
        for (int i = 0; i < c.nLayer(); i++) {
            String h = P + "h." + i + ".";
            m.put(h + "ln_1.weight", new long[]{e});
            m.put(h + "ln_1.bias", new long[]{e});
            m.put(h + "ln_2.weight", new long[]{e});
            m.put(h + "ln_2.bias", new long[]{e});
        }
        for (LinearModule l : linears) {
            m.put(l.weightName(), new long[]{l.in(), l.out()});
            m.put(l.biasName(), new long[]{l.out()});
        }
        m.put(P + "ln_f.weight", new long[]{e});
        m.put(P + "ln_f.bias", new long[]{e});
        if (!c.tieWordEmbeddings()) m.put("lm_head.weight", new long[]{c.vocabSize(), e});
        return m;
    }

    @Override
    public List<LinearModule> linearModules() {
        return linears;
    }

    @Override
    public SDVariable embed(ModelGraph g, SDVariable ids, SDVariable positions) {
        return g.rowsOf(g.weight(P + "wte.weight"), ids).add(g.rowsOf(g.weight(P + "wpe.weight"), positions));
    }

    @Override
    public SDVariable block(ModelGraph g, int layer, SDVariable x, SDVariable positions, int s, int t) {
        int e = c.nEmbd();
        int heads = c.nHead();
        int headDim = e / heads;
        double scale = c.scaleAttnWeights() ? 1.0 / Math.sqrt(headDim) : 1.0;
        String h = P + "h." + layer + ".";
        int base = 4 * layer;
        SDVariable a = layerNorm(g, h + "ln_1", x);
        SDVariable qkv = g.linear(linears.get(base), a);
        SDVariable q = qkv.get(SDIndex.all(), SDIndex.interval(0, e));
        SDVariable k = qkv.get(SDIndex.all(), SDIndex.interval(e, 2 * e));
        SDVariable v = qkv.get(SDIndex.all(), SDIndex.interval(2 * e, 3 * e));
        SDVariable attn = Ops.causalAttention(g.sd(), q, k, v, s, t, heads, heads, headDim, scale, g.causalMask(t));
        SDVariable x1 = x.add(g.linear(linears.get(base + 1), attn));
        SDVariable m = Ops.geluNew(g.sd(), g.linear(linears.get(base + 2), layerNorm(g, h + "ln_2", x1)));
        return x1.add(g.linear(linears.get(base + 3), m));
    }

    @Override
    public SDVariable finalNorm(ModelGraph g, SDVariable x) {
        return layerNorm(g, P + "ln_f", x);
    }

    private SDVariable layerNorm(ModelGraph g, String name, SDVariable x) {
        return Ops.layerNorm(g.sd(), x, g.weight(name + ".weight"), g.weight(name + ".bias"), c.layerNormEpsilon());
    }

    @Override
    public String lmHeadWeight() {
        return c.tieWordEmbeddings() ? P + "wte.weight" : "lm_head.weight";
    }
}
