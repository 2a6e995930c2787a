package org.sparkdpo.model.config;

import java.util.OptionalInt;
import java.util.Set;

/**
 * Hugging Face {@code GPT2Config} as far as {@code GPT2LMHeadModel} inference and LoRA training need it.
 * Options our forward pass does not implement are rejected at load time rather than silently ignored.
 *
 * @param nInner MLP width; {@code 4 * nEmbd} when config.json has {@code n_inner: null}
 * @param activationFunction "gelu_new" or "gelu_pytorch_tanh" (the same tanh approximation, fused in torch)
 * @param reorderAndUpcastAttn accepted: HF then computes q·kᵀ in fp32 with the 1/√d scale folded into the matmul,
 *     which is the same function as the default path; in an fp32/fp64 forward only rounding differs
 * @param bosTokenId empty when config.json has no bos_token_id (HF's class default 50256 is not assumed); an
 *     {@code OptionalInt} rather than {@code Integer} so the record accessor is {@link ModelConfig#bosTokenId()}
 * @param eosTokenId empty when config.json has no eos_token_id (a list there gives its first element)
 */
public record Gpt2Config(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, int nInner,
                         String activationFunction, double layerNormEpsilon, boolean tieWordEmbeddings,
                         boolean scaleAttnWeights, boolean scaleAttnByInverseLayerIdx, boolean reorderAndUpcastAttn,
                         OptionalInt bosTokenId, OptionalInt eosTokenId) implements ModelConfig {

    public static final String MODEL_TYPE = "gpt2";

    /** Activations accepted; both are 0.5x(1+tanh(√(2/π)(x+0.044715x³))). */
    public static final Set<String> SUPPORTED_ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh");

    /** Validates the invariants also when the record is built in code rather than loaded. */
    public Gpt2Config {
        positive("vocab_size", vocabSize);
        positive("n_positions", nPositions);
        positive("n_embd", nEmbd);
        positive("n_layer", nLayer);
        positive("n_head", nHead);
        positive("n_inner", nInner);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("n_embd (" + nEmbd + ") must be divisible by n_head (" + nHead + ")");
        }
        if (!SUPPORTED_ACTIVATIONS.contains(activationFunction)) {
            throw new IllegalArgumentException("activation_function '" + activationFunction + "' is not supported; supported: "
                    + SUPPORTED_ACTIVATIONS);
        }
        if (!(layerNormEpsilon > 0)) throw new IllegalArgumentException("layer_norm_epsilon must be positive, got " + layerNormEpsilon);
        if (scaleAttnByInverseLayerIdx) {
            throw new IllegalArgumentException("scale_attn_by_inverse_layer_idx=true is not implemented");
        }
        java.util.Objects.requireNonNull(bosTokenId, "bosTokenId (use OptionalInt.empty())");
        java.util.Objects.requireNonNull(eosTokenId, "eosTokenId (use OptionalInt.empty())");
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be positive, got " + v);
    }

    /** Reads the GPT-2 fields of a config.json whose model_type is "gpt2". */
    static Gpt2Config parse(JsonFields json) throws InvalidConfigException {
        int vocab = json.requiredPositiveInt("vocab_size");
        // n_ctx is the legacy name of n_positions; old configs carry both with the same value.
        int nPositions = json.has("n_positions") ? json.requiredPositiveInt("n_positions") : json.requiredPositiveInt("n_ctx");
        int nEmbd = json.requiredPositiveInt("n_embd");
        int nLayer = json.requiredPositiveInt("n_layer");
        int nHead = json.requiredPositiveInt("n_head");
        if (nEmbd % nHead != 0) {
            throw json.error("n_embd", "must be divisible by n_head, got n_embd=" + nEmbd + ", n_head=" + nHead);
        }
        Integer inner = json.optionalInt("n_inner");
        if (inner != null && inner <= 0) throw json.error("n_inner", "must be positive or null, got " + inner);
        String act = json.stringOr("activation_function", "gelu_new");
        if (!SUPPORTED_ACTIVATIONS.contains(act)) {
            throw json.error("activation_function", "'" + act + "' is not supported; supported: " + SUPPORTED_ACTIVATIONS);
        }
        double eps = json.doubleOr("layer_norm_epsilon", 1e-5);
        if (!(eps > 0) || Double.isInfinite(eps)) throw json.error("layer_norm_epsilon", "must be a positive number, got " + eps);
        if (json.booleanOr("scale_attn_by_inverse_layer_idx", false)) {
            throw json.error("scale_attn_by_inverse_layer_idx", "true is not implemented (attention scores divided by layer_idx+1)");
        }
        if (json.booleanOr("add_cross_attention", false)) {
            throw json.error("add_cross_attention", "true is not implemented (encoder-decoder GPT-2)");
        }
        boolean reorder = json.booleanOr("reorder_and_upcast_attn", false);
        OptionalInt bos = json.intOrFirstOfList("bos_token_id");
        OptionalInt eos = json.intOrFirstOfList("eos_token_id");
        return new Gpt2Config(vocab, nPositions, nEmbd, nLayer, nHead, inner == null ? 4 * nEmbd : inner, act, eps,
                json.booleanOr("tie_word_embeddings", true), json.booleanOr("scale_attn_weights", true), false, reorder,
                bos, eos);
    }

    @Override
    public String modelType() {
        return MODEL_TYPE;
    }

    @Override
    public int hiddenSize() {
        return nEmbd;
    }

    @Override
    public int numLayers() {
        return nLayer;
    }

    @Override
    public int numHeads() {
        return nHead;
    }

    @Override
    public int maxPositions() {
        return nPositions;
    }
}
