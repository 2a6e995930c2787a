package org.sparkdpo.model.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Sampling settings with Hugging Face {@code generate} semantics, applied in its order: logits divided by the
 * temperature, then top-k, then top-p (nucleus), then one draw from the renormalised distribution.
 *
 * @param temperature   0 for greedy decoding (argmax, the lowest id on ties, as {@code torch.argmax}); else > 0
 * @param topK          keep the k most likely tokens (ties with the k-th kept too, as transformers' warper); 0 = off
 * @param topP          keep the most likely tokens until their probability mass reaches top-p; 1 = off
 * @param maxNewTokens  at most this many generated tokens per prompt (fewer when the model's context ends first)
 * @param seed          the sampling seed: prompt i of a request draws from its own generator seeded by (seed, i), so
 *                      results are reproducible and do not depend on how the request is cut into batches
 * @param eosTokenIds   generation of a prompt stops after it produces any of these ids (may be empty)
 */
public record GenerationConfig(double temperature, int topK, double topP, int maxNewTokens, long seed,
                               Set<Integer> eosTokenIds) {
    public GenerationConfig {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must lie in (0, 1] (1 = off), got " + topP);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max-new-tokens must be >= 1, got " + maxNewTokens);
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens, stopping at any of {@code eosTokenIds}. */
    public static GenerationConfig greedy(int maxNewTokens, Set<Integer> eosTokenIds) {
        return new GenerationConfig(0, 0, 1, maxNewTokens, 0, eosTokenIds);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    public GenerationConfig withSeed(long newSeed) {
        return new GenerationConfig(temperature, topK, topP, maxNewTokens, newSeed, eosTokenIds);
    }

    public GenerationConfig withEosTokenIds(Set<Integer> ids) {
        return new GenerationConfig(temperature, topK, topP, maxNewTokens, seed, ids);
    }

    /**
     * Every stop id a model folder declares: {@code eos_token_id} of config.json and of generation_config.json (when
     * present), each an integer or a list (Llama 3 lists several, e.g. end_of_text, eom and eot), united. The model
     * reader keeps only the first id of a list, which is not enough to stop generation.
     */
    public static Set<Integer> eosTokenIds(Path modelDir) throws IOException {
        Set<Integer> ids = new TreeSet<>();
        for (String f : new String[]{"config.json", "generation_config.json"}) {
            Path p = modelDir.resolve(f);
            if (!Files.exists(p)) continue;
            JsonNode eos = new ObjectMapper().readTree(p.toFile()).get("eos_token_id");
            if (eos == null || eos.isNull()) continue;
            if (eos.isArray()) {
                for (JsonNode n : eos) ids.add(intOf(n, p));
            } else {
                ids.add(intOf(eos, p));
            }
        }
        return ids;
    }

    private static int intOf(JsonNode n, Path file) throws IOException {
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
            throw new IOException(file + ": eos_token_id must be a non-negative integer or a list of them, got " + n);
        }
        return n.asInt();
    }
}
