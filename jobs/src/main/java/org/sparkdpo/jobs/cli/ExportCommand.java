package org.sparkdpo.jobs.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.sparkdpo.jobs.export.ExportJob;
import org.sparkdpo.model.io.DType;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code export}: a merged Hugging Face checkpoint of base model + LoRA adapter. */
@CommandLine.Command(name = "export",
        description = "Merge a LoRA adapter into its base model: a Hugging Face checkpoint (config, safetensors, tokenizer files).")
public final class ExportCommand implements Command {
    @Option(names = "--model", paramLabel = "PATH", description = "Base model folder.")
    @Check.Required String model;

    @Option(names = "--adapter", paramLabel = "PATH", description = "PEFT adapter folder to merge.")
    @Check.Required String adapter;

    @Option(names = "--out", paramLabel = "PATH", description = "Output folder (local); must not exist.")
    @Check.Required String out;

    @Option(names = "--store-dtype", defaultValue = "float32", description = "dtype of the written weights.")
    @Check.OneOf({"float32", "float64", "bfloat16", "float16"}) String storeDtype;

    @Override
    public String example() {
        return "--model models/tiny-gpt2 --adapter runs/dpo/adapter --out models/tiny-gpt2-dpo";
    }

    ExportJob.Settings settings() {
        DType d = switch (storeDtype.toLowerCase(Locale.ROOT)) {
            case "float64" -> DType.F64;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
        return new ExportJob.Settings(model, adapter, Path.of(out), d);
    }

    @Override
    public Integer call() throws Exception {
        ExportJob.Result r = ExportJob.run(settings());
        System.err.printf("merged %d adapted modules into %s (%d weights)%n", r.mergedModules(), r.out(), r.weights());
        return ExitCodes.OK;
    }
}
