package org.sparkdpo.jobs.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.Architectures;
import org.sparkdpo.model.config.Gpt2Config;
import org.sparkdpo.model.io.SafeTensorsWriter;

/**
 * A GPT-2 created from scratch: config.json and model.safetensors with GPT-2's initialisation (normal(0, 0.02)
 * weights, residual projections scaled by 1/sqrt(2 n_layer), zero biases, unit layer norms), reproducible for a seed,
 * plus the task's word-level tokenizer ({@link TaskTokenizer}), so the folder is a complete Hugging Face model.
 */
public final class ScratchModel {
    /** The shape of the model; vocabulary and EOS come from the tokenizer. */
    public record Shape(int nPositions, int nEmbd, int nLayer, int nHead) {
        public static final Shape SMALL = new Shape(48, 64, 2, 4);
    }

    private ScratchModel() {}

    /** Writes a complete model folder for the synthetic task into {@code dir}. */
    public static Path create(Path dir, Shape shape, long seed) throws IOException {
        if (Files.exists(dir)) throw new IOException("model folder " + dir + " already exists");
        Files.createDirectories(dir);
        int vocab = TaskTokenizer.write(dir, SyntheticTask.words(), shape.nPositions());
        int eos = TaskTokenizer.SPECIALS.indexOf(TaskTokenizer.EOS);
        Gpt2Config c = new Gpt2Config(vocab, shape.nPositions(), shape.nEmbd(), shape.nLayer(), shape.nHead(), 4 * shape.nEmbd(),
                "gelu_new", 1e-5, true, true, false, false, OptionalInt.of(eos), OptionalInt.of(eos));
        writeConfig(dir, c, TaskTokenizer.SPECIALS.indexOf(TaskTokenizer.PAD));
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), weights(c, seed), Map.of("format", "pt"));
        return dir;
    }

    static Map<String, INDArray> weights(Gpt2Config c, long seed) {
        Random rng = new Random(seed);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : Architectures.of(c).weightShapes().entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            float[] v = new float[n];
            if (name.contains(".ln_")) {
                if (name.endsWith(".weight")) java.util.Arrays.fill(v, 1f);
            } else if (name.endsWith(".weight")) {
                double std = name.endsWith("c_proj.weight") ? 0.02 / Math.sqrt(2.0 * c.nLayer()) : 0.02;
                for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * std);
            }
            out.put(name, Nd4j.create(v, shape, DataType.FLOAT));
        }
        return out;
    }

    private static void writeConfig(Path dir, Gpt2Config c, int pad) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        o.put("model_type", "gpt2");
        o.putArray("architectures").add("GPT2LMHeadModel");
        o.put("vocab_size", c.vocabSize());
        o.put("n_positions", c.nPositions());
        o.put("n_ctx", c.nPositions());
        o.put("n_embd", c.nEmbd());
        o.put("n_layer", c.nLayer());
        o.put("n_head", c.nHead());
        o.putNull("n_inner");
        o.put("activation_function", c.activationFunction());
        o.put("layer_norm_epsilon", c.layerNormEpsilon());
        o.put("initializer_range", 0.02);
        o.put("attn_pdrop", 0.0);
        o.put("embd_pdrop", 0.0);
        o.put("resid_pdrop", 0.0);
        o.put("scale_attn_weights", true);
        o.put("scale_attn_by_inverse_layer_idx", false);
        o.put("reorder_and_upcast_attn", false);
        o.put("tie_word_embeddings", true);
        o.put("bos_token_id", c.eosTokenId().getAsInt());
        o.put("eos_token_id", c.eosTokenId().getAsInt());
        o.put("pad_token_id", pad);
        o.put("torch_dtype", "float32");
        o.put("use_cache", true);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), o);
    }
}
