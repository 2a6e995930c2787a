package org.sparkdpo.model.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The {@code config.json} of the Llama family, {@code model_type} {@code llama}, {@code mistral} or {@code qwen2}:
 * one layout (RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP) whose variants differ only in the
 * settings kept here. Defaults are those of Hugging Face's config class of each model_type, so a config.json
 * means here what it means in transformers; options the forward pass does not implement are refused at load
 * time rather than silently ignored.
 *
 * @param modelType        "llama", "mistral" or "qwen2"
 * @param numKeyValueHeads kv heads of grouped-query attention (divides {@code numHeads})
 * @param headDim          size of one head: config.json's {@code head_dim}, else hidden_size / num_attention_heads
 * @param ropeScaling      null for plain RoPE (no scaling, or {@code rope_type "default"})
 * @param maxPositions     {@code max_position_embeddings}
 * @param qkvBias          q/k/v projections have biases (llama: attention_bias; qwen2: always; mistral: never)
 * @param oBias            o_proj has a bias (llama: attention_bias; otherwise never)
 * @param mlpBias          gate/up/down have biases (llama: mlp_bias; otherwise never)
 * @param attentionWindows per layer, the sliding-window size, or 0 for full causal attention
 * @param bosTokenId       empty when config.json has none
 * @param eosTokenId       empty when config.json has none (a list there gives its first element)
 */
public record LlamaConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
                          RopeScaling ropeScaling, int maxPositions, boolean tieWordEmbeddings, boolean qkvBias,
                          boolean oBias, boolean mlpBias, List<Integer> attentionWindows, OptionalInt bosTokenId,
                          OptionalInt eosTokenId) implements ModelConfig {

    public static final String LLAMA = "llama";
    public static final String MISTRAL = "mistral";
    public static final String QWEN2 = "qwen2";
    public static final List<String> MODEL_TYPES = List.of(LLAMA, MISTRAL, QWEN2);

    /** Both names transformers' ACT2FN maps to SiLU. */
    public static final Set<String> SUPPORTED_ACTIVATIONS = Set.of("silu", "swish");

    /**
     * Rotary-embedding frequency scaling as transformers' {@code rope_scaling} describes it. Only the two kinds
     * whose inverse frequencies are fixed (independent of the sequence) are implemented.
     *
     * @param type                 LINEAR (inv_freq / factor) or LLAMA3 (Llama 3.1's frequency-band rescaling)
     * @param factor               the scaling factor
     * @param lowFreqFactor        llama3 only
     * @param highFreqFactor       llama3 only
     * @param originalMaxPositions llama3 only: {@code original_max_position_embeddings}
     */
    public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositions) {
        public enum Type { LINEAR, LLAMA3 }

        public RopeScaling {
            Objects.requireNonNull(type, "type");
            if (!(factor > 0) || Double.isInfinite(factor)) throw new IllegalArgumentException("rope factor must be positive, got " + factor);
            if (type == Type.LLAMA3) {
                if (!(highFreqFactor > lowFreqFactor) || !(lowFreqFactor > 0)) {
                    throw new IllegalArgumentException("llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor, got "
                            + lowFreqFactor + " and " + highFreqFactor);
                }
                if (originalMaxPositions <= 0) {
                    throw new IllegalArgumentException("original_max_position_embeddings must be positive, got " + originalMaxPositions);
                }
            }
        }

        public static RopeScaling linear(double factor) {
            return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
        }

        public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
            return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
        }
    }

    /** Validates the invariants also when the record is built in code rather than loaded. */
    public LlamaConfig {
        if (!MODEL_TYPES.contains(modelType)) throw new IllegalArgumentException("model_type must be one of " + MODEL_TYPES + ", got " + modelType);
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_key_value_heads (" + numKeyValueHeads + ") must divide num_attention_heads ("
                    + numHeads + ")");
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) throw new IllegalArgumentException("rope_theta must be positive, got " + ropeTheta);
        attentionWindows = List.copyOf(attentionWindows);
        if (attentionWindows.size() != numLayers) {
            throw new IllegalArgumentException("attentionWindows needs one entry per layer (" + numLayers + "), got " + attentionWindows.size());
        }
        for (int w : attentionWindows) if (w < 0) throw new IllegalArgumentException("sliding window must be positive, got " + w);
        Objects.requireNonNull(bosTokenId, "bosTokenId (use OptionalInt.empty())");
        Objects.requireNonNull(eosTokenId, "eosTokenId (use OptionalInt.empty())");
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be positive, got " + v);
    }

    /** The sliding window of layer {@code i}, or 0 when it attends to every earlier position. */
    public int attentionWindow(int layer) {
        return attentionWindows.get(layer);
    }

    /** Reads a config.json whose model_type is llama, mistral or qwen2. */
    static LlamaConfig parse(JsonFields json) throws InvalidConfigException {
        String type = json.stringOr("model_type", null);
        int vocab = json.requiredPositiveInt("vocab_size");
        int hidden = json.requiredPositiveInt("hidden_size");
        int inter = json.requiredPositiveInt("intermediate_size");
        int layers = json.requiredPositiveInt("num_hidden_layers");
        int heads = json.requiredPositiveInt("num_attention_heads");
        int kv = keyValueHeads(json, type, heads);
        int headDim = headDim(json, hidden, heads);
        String act = json.stringOr("hidden_act", "silu");
        if (!SUPPORTED_ACTIVATIONS.contains(act)) {
            throw json.error("hidden_act", "'" + act + "' is not supported; the " + type + " forward implements silu");
        }
        double eps = json.doubleOr("rms_norm_eps", 1e-6);
        if (!(eps > 0) || Double.isInfinite(eps)) throw json.error("rms_norm_eps", "must be a positive number, got " + eps);
        if (json.has("partial_rotary_factor") && json.doubleOr("partial_rotary_factor", 1.0) != 1.0) {
            throw json.error("partial_rotary_factor", "only 1.0 (rotary embedding over the whole head) is implemented");
        }
        int maxPos = json.has("max_position_embeddings") ? json.requiredPositiveInt("max_position_embeddings")
                : switch (type) { case MISTRAL -> 4096 * 32; case QWEN2 -> 32768; default -> 2048; };

        Rotary rotary = rotary(json, maxPos);

        boolean qkvBias, oBias, mlpBias;
        switch (type) {
            case QWEN2 -> { qkvBias = true; oBias = false; mlpBias = false; }       // Qwen2Attention: bias=True on q/k/v
            case MISTRAL -> { qkvBias = false; oBias = false; mlpBias = false; }
            default -> {
                qkvBias = json.booleanOr("attention_bias", false);
                oBias = qkvBias;
                mlpBias = json.booleanOr("mlp_bias", false);
            }
        }
        List<Integer> windows = windows(json, type, layers);
        return new LlamaConfig(type, vocab, hidden, inter, layers, heads, kv, headDim, eps, rotary.theta(), rotary.scaling(), maxPos,
                json.booleanOr("tie_word_embeddings", false), qkvBias, oBias, mlpBias, windows,
                json.intOrFirstOfList("bos_token_id"), json.intOrFirstOfList("eos_token_id"));
    }

    /** num_key_value_heads, or transformers' class default when absent; must divide the attention heads. */
    private static int keyValueHeads(JsonFields json, String type, int heads) throws InvalidConfigException {
        int kv;
        if (json.has("num_key_value_heads")) {
            kv = json.requiredPositiveInt("num_key_value_heads");
        } else if (json.root().has("num_key_value_heads") || type.equals(LLAMA)) {
            kv = heads;                                   // explicit null, or LlamaConfig's default (None -> heads)
        } else {
            kv = type.equals(MISTRAL) ? 8 : 32;           // MistralConfig / Qwen2Config class defaults
        }
        if (heads % kv != 0) {
            throw json.error("num_key_value_heads", "must divide num_attention_heads, got " + kv + " and " + heads
                    + (json.has("num_key_value_heads") ? "" : " (absent: transformers' default for " + type + ")"));
        }
        return kv;
    }

    /** head_dim, or hidden_size / num_attention_heads when absent; even, for rotary embeddings. */
    private static int headDim(JsonFields json, int hidden, int heads) throws InvalidConfigException {
        int headDim;
        if (json.has("head_dim")) {
            headDim = json.requiredPositiveInt("head_dim");
        } else {
            if (hidden % heads != 0) {
                throw json.error("head_dim", "is absent and hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) throw json.error("head_dim", "must be even for rotary embeddings, got " + headDim);
        return headDim;
    }

    private record Rotary(double theta, RopeScaling scaling) {}

    /** Rotary settings: transformers v5 writes them as rope_parameters {rope_type, rope_theta, ...}, v4 as rope_theta + rope_scaling. */
    private static Rotary rotary(JsonFields json, int maxPos) throws InvalidConfigException {
        JsonNode ropeNode;
        String ropeField;
        double theta;
        if (json.has("rope_parameters")) {
            ropeField = "rope_parameters";
            ropeNode = json.root().get(ropeField);
            if (!ropeNode.isObject()) throw json.error(ropeField, "expected an object, got " + ropeNode);
            JsonNode t = ropeNode.get("rope_theta");
            if (t == null || !t.isNumber()) throw json.error(ropeField + ".rope_theta", "required number is missing");
            theta = t.doubleValue();
        } else {
            ropeField = "rope_scaling";
            ropeNode = json.has(ropeField) ? json.root().get(ropeField) : null;
            if (ropeNode != null && !ropeNode.isObject()) throw json.error(ropeField, "expected an object or null, got " + ropeNode);
            theta = json.doubleOr("rope_theta", 10000.0);
        }
        if (!(theta > 0) || Double.isInfinite(theta)) throw json.error("rope_theta", "must be a positive number, got " + theta);
        return new Rotary(theta, ropeNode == null ? null : ropeScaling(json, ropeField, ropeNode, maxPos));
    }

    private static RopeScaling ropeScaling(JsonFields json, String field, JsonNode n, int maxPos) throws InvalidConfigException {
        JsonNode typeNode = n.has("rope_type") ? n.get("rope_type") : n.get("type");
        String kind = typeNode == null || typeNode.isNull() ? "default" : typeNode.asText();
        switch (kind) {
            case "default":
                return null;
            case "linear":
                return RopeScaling.linear(number(json, field, n, "factor"));
            case "llama3": {
                double factor = number(json, field, n, "factor");
                double low = number(json, field, n, "low_freq_factor");
                double high = number(json, field, n, "high_freq_factor");
                double orig = number(json, field, n, "original_max_position_embeddings");
                if (orig != Math.rint(orig) || orig <= 0 || orig > Integer.MAX_VALUE) {
                    throw json.error(field + ".original_max_position_embeddings", "must be a positive integer, got " + orig);
                }
                if (!(low > 0) || !(high > low)) {
                    throw json.error(field + ".high_freq_factor", "needs 0 < low_freq_factor < high_freq_factor, got "
                            + low + " and " + high);
                }
                return RopeScaling.llama3(factor, low, high, (int) orig);
            }
            default:
                throw json.error(field + ".rope_type", "'" + kind + "' is not supported; supported: default, linear, llama3"
                        + " (sequence-dependent or attention-scaled kinds such as dynamic, yarn and longrope are not implemented)");
        }
    }

    private static double number(JsonFields json, String field, JsonNode n, String key) throws InvalidConfigException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) throw json.error(field + "." + key, "required field is missing");
        if (!v.isNumber()) throw json.error(field + "." + key, "expected a number, got " + v);
        double d = v.doubleValue();
        if (!(d > 0) || Double.isInfinite(d)) throw json.error(field + "." + key, "must be a positive number, got " + d);
        return d;
    }

    /** Per-layer sliding windows with the semantics of MistralConfig / Qwen2Config (Llama has none). */
    private static List<Integer> windows(JsonFields json, String type, int layers) throws InvalidConfigException {
        List<Integer> out = new ArrayList<>(Collections.nCopies(layers, 0));
        if (type.equals(MISTRAL)) {
            Integer w = json.optionalInt("sliding_window");
            if (w != null) {
                if (w <= 0) throw json.error("sliding_window", "must be positive or null, got " + w);
                Collections.fill(out, w);
            }
        } else if (type.equals(QWEN2) && json.booleanOr("use_sliding_window", false)) {
            Integer w = json.has("sliding_window") ? json.optionalInt("sliding_window") : Integer.valueOf(4096);
            if (w == null || w <= 0) throw json.error("sliding_window", "must be a positive integer when use_sliding_window is true");
            if (json.has("layer_types")) {
                JsonNode lt = json.root().get("layer_types");
                if (!lt.isArray() || lt.size() != layers) {
                    throw json.error("layer_types", "expected a list of " + layers + " entries, got " + lt);
                }
                for (int i = 0; i < layers; i++) {
                    String s = lt.get(i).asText();
                    if (s.equals("sliding_attention")) out.set(i, w);
                    else if (!s.equals("full_attention")) throw json.error("layer_types", "entry " + i + " '" + s + "' is not full_attention or sliding_attention");
                }
            } else {
                Integer first = json.optionalInt("max_window_layers");
                int from = first == null ? 28 : first;
                for (int i = from; i < layers; i++) out.set(i, w);
            }
        }
        return out;
    }
}
