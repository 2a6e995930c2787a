package org.sparkdpo.jobs.cli;

import java.nio.file.Path;
import org.sparkdpo.jobs.generate.GenerateJob;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: answers of a model (and optional adapter) to a prompts file, on the driver. */
@CommandLine.Command(name = "generate",
        description = "Generate answers to a JSON-lines prompts file with a model (+ adapter): KV-cache decoding on the driver.")
public final class GenerateCommand implements Command {
    @Option(names = "--model", paramLabel = "PATH", description = "Model folder (config.json, model.safetensors, tokenizer.json).")
    @Check.Required String model;

    @Option(names = "--adapter", paramLabel = "PATH", description = "PEFT adapter folder; without it the base model answers.")
    String adapter;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "JSON lines: 'prompt' text, or 'messages' (or 'prompt') as a list of {role, content}; optional 'id'.")
    @Check.Required String prompts;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Output JSON lines: id, prompt, completion, prompt_tokens, completion_tokens, finish_reason; must not exist.")
    @Check.Required String out;

    @Option(names = "--dtype", defaultValue = "float32", description = "Compute dtype.")
    @Check.OneOf({"float32", "float64"}) String dtype;

    @Mixin SamplingOptions sampling;

    @Override
    public String example() {
        return "--model models/tiny-gpt2 --adapter runs/dpo/adapter --prompts prompts.jsonl --out answers.jsonl";
    }

    GenerateJob.Settings settings() {
        return new GenerateJob.Settings(model, adapter, Path.of(prompts), Path.of(out), sampling.config(), sampling.batchSize,
                TrainCommand.dtype(dtype));
    }

    @Override
    public Integer call() throws Exception {
        GenerateJob.Result r = GenerateJob.run(settings());
        System.err.printf("generated %d answers (%d tokens, %.1f tokens/s) into %s%n", r.prompts(), r.completionTokens(),
                r.tokensPerSecond(), r.out());
        return ExitCodes.OK;
    }
}
