package org.sparkdpo.model.arch;

import org.sparkdpo.model.config.Gpt2Config;
import org.sparkdpo.model.config.LlamaConfig;
import org.sparkdpo.model.config.ModelConfig;

/** Maps a parsed config.json to its architecture: the one place that knows which architectures exist. */
public final class Architectures {
    private Architectures() {}

    public static CausalLm of(ModelConfig config) {
        if (config instanceof Gpt2Config g) return new Gpt2(g);
        if (config instanceof LlamaConfig l) return new Llama(l);
        throw new IllegalArgumentException("model_type '" + config.modelType() + "' has no architecture implementation");
    }
}
