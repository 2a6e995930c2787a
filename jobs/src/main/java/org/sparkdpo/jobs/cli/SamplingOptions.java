package org.sparkdpo.jobs.cli;

import java.util.Set;
import org.sparkdpo.model.generate.GenerationConfig;
import picocli.CommandLine.Option;

/** Generation options shared by {@code generate} and {@code compare} (Hugging Face {@code generate} semantics). */
final class SamplingOptions {
    @Option(names = "--temperature", defaultValue = "0.0", description = "Sampling temperature; 0 = greedy (argmax).")
    @Check.Min(0) double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens; 0 = off.")
    @Check.Min(0) int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling: smallest set with this probability mass; 1 = off.")
    @Check.Range(min = 0, max = 1) double topP;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "At most this many generated tokens per prompt.")
    @Check.Positive int maxNewTokens;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (prompt i draws from its own stream of (seed, i)).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "8", description = "Prompts decoded together.")
    @Check.Positive int batchSize;

    /** The sampling settings; the job adds the model's stop ids. */
    GenerationConfig config() {
        if (topP <= 0) throw new UsageException("--top-p: must be in (0, 1], got " + topP);
        return new GenerationConfig(temperature, topK, topP, maxNewTokens, seed, Set.of());
    }
}
