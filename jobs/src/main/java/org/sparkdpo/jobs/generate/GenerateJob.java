package org.sparkdpo.jobs.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/**
 * {@code generate}: answers a prompts file with a model (and optional adapter) on the driver, by incremental decoding
 * with a KV cache, and writes one JSON line per prompt: {@code id, prompt, completion, prompt_tokens,
 * completion_tokens, finish_reason}. The output file is written beside its final name and renamed into place.
 */
public final class GenerateJob {
    /**
     * @param model      model folder (any Hadoop path; copied to local disk when remote)
     * @param adapter    PEFT adapter folder, or null for the base model
     * @param sampling   sampling settings; its EOS ids are replaced by every stop id of the model folder
     */
    public record Settings(String model, String adapter, Path prompts, Path out, GenerationConfig sampling, int batchSize,
                           DataType dtype) {}

    /** @param completionTokens generated tokens, stop tokens included */
    public record Result(Path out, int prompts, long completionTokens, double seconds) {
        public double tokensPerSecond() {
            return completionTokens / Math.max(seconds, 1e-9);
        }
    }

    /** A loaded model, ready to answer. */
    public record Model(Path dir, BaseWeights base, LoraAdapter adapter, HfTokenizer tokenizer) implements AutoCloseable {
        public static Model load(String model, String adapter, DataType dtype) throws IOException {
            Path dir = ExecutorContext.localCopy(model);
            BaseWeights base = ExecutorContext.weights(dir, dtype);
            LoraAdapter a = adapter == null ? null : LoraAdapter.load(ExecutorContext.localCopy(adapter), base.model(), dtype);
            return new Model(dir, base, a, HfTokenizer.load(dir));
        }

        public GenerationConfig stopAtEos(GenerationConfig c) {
            return c.withEosTokenIds(Answerer.eosTokenIds(dir, tokenizer));
        }

        /** Frees the tokenizer (the weights stay cached for this JVM). */
        @Override
        public void close() {
            tokenizer.close();
        }
    }

    private GenerateJob() {}

    public static Result run(Settings s) throws IOException {
        if (Files.exists(s.out())) throw new JobRefusedException("output file " + s.out() + " already exists");
        List<PromptFile.Prompt> prompts = PromptFile.read(s.prompts());
        List<Answer> answers;
        double seconds;
        try (Model m = Model.load(s.model(), s.adapter(), s.dtype())) {
            long t0 = System.nanoTime();
            answers = new Answerer(m.base(), m.adapter(), m.tokenizer()).answer(prompts, m.stopAtEos(s.sampling()), s.batchSize());
            seconds = (System.nanoTime() - t0) / 1e9;
        }
        writeAtomically(s.out(), answers);
        long tokens = answers.stream().mapToLong(a -> a.completionIds().length).sum();
        return new Result(s.out(), answers.size(), tokens, seconds);
    }

    /** The output line of one answer. */
    public static ObjectNode line(ObjectMapper json, Answer a) {
        ObjectNode o = json.createObjectNode();
        o.put("id", a.prompt().id());
        o.set("prompt", a.prompt().original());
        o.put("completion", a.completion());
        o.put("prompt_tokens", a.promptIds().length);
        o.put("completion_tokens", a.completionIds().length);
        o.put("finish_reason", a.finishReasonName());
        return o;
    }

    static void writeAtomically(Path out, List<Answer> answers) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
        ObjectMapper json = new ObjectMapper();
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Answer a : answers) {
                    w.write(json.writeValueAsString(line(json, a)));
                    w.write('\n');
                }
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
