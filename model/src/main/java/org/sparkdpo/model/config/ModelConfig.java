package org.sparkdpo.model.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * The {@code config.json} of a model architecture we can run. Sealed so that every consumer can switch over the
 * supported architectures exhaustively; a new architecture is added by listing it in {@code permits}, in
 * {@link #SUPPORTED_MODEL_TYPES} and in the switch of {@link #parse}.
 */
public sealed interface ModelConfig permits Gpt2Config, LlamaConfig {

    /** The {@code model_type} values {@link #load} accepts. */
    List<String> SUPPORTED_MODEL_TYPES = List.of(Gpt2Config.MODEL_TYPE, LlamaConfig.LLAMA, LlamaConfig.MISTRAL,
            LlamaConfig.QWEN2);

    /** The Hugging Face {@code model_type}, e.g. "gpt2". */
    String modelType();

    int vocabSize();

    int hiddenSize();

    int numLayers();

    int numHeads();

    /** Longest sequence the position embeddings (or rotary setup) support. */
    int maxPositions();

    boolean tieWordEmbeddings();

    OptionalInt eosTokenId();

    OptionalInt bosTokenId();

    /** Size of one attention head. */
    default int headDim() {
        return hiddenSize() / numHeads();
    }

    /**
     * Reads and validates {@code modelDir/config.json}. Unknown extra keys are ignored (HF configs carry many).
     *
     * @throws java.nio.file.NoSuchFileException if the folder or its config.json is missing
     * @throws InvalidConfigException if the file is not usable; the message names the file and the field
     */
    static ModelConfig load(Path modelDir) throws IOException {
        return parse(JsonFields.read(modelDir.resolve("config.json")));
    }

    /** Validates an already-read config.json. */
    static ModelConfig parse(JsonFields json) throws InvalidConfigException {
        String type = json.stringOr("model_type", null);
        if (type == null) {
            throw json.error("model_type", "required field is missing; supported model types: " + SUPPORTED_MODEL_TYPES);
        }
        switch (type) {
            case Gpt2Config.MODEL_TYPE:
                return Gpt2Config.parse(json);
            case LlamaConfig.LLAMA:
            case LlamaConfig.MISTRAL:
            case LlamaConfig.QWEN2:
                return LlamaConfig.parse(json);
            default:
                throw json.error("model_type", "unsupported model type '" + type + "'; supported model types: "
                        + SUPPORTED_MODEL_TYPES);
        }
    }
}
