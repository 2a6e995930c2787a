package org.sparkdpo.jobs.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.io.DType;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraMerge;

/**
 * {@code export}: folds a LoRA adapter into its base model and writes a plain Hugging Face checkpoint
 * ({@code config.json}, {@code model.safetensors}, the tokenizer and generation files of the base folder) that
 * scores like base + adapter without PEFT. The merge runs in float64 and is stored in {@code storeAs}; the folder
 * is written under a temporary name and renamed into place.
 */
public final class ExportJob {
    public record Settings(String model, String adapter, Path out, DType storeAs) {}

    public record Result(Path out, int mergedModules, long weights) {}

    private ExportJob() {}

    public static Result run(Settings s) throws IOException {
        if (Files.exists(s.out())) throw new JobRefusedException("output folder " + s.out() + " already exists");
        Path dir = ExecutorContext.localCopy(s.model());
        BaseWeights base = ModelStore.load(dir, DataType.DOUBLE);
        LoraAdapter adapter = LoraAdapter.load(ExecutorContext.localCopy(s.adapter()), base.model(), DataType.DOUBLE);
        LoraMerge.save(base, adapter, s.out(), s.storeAs());
        return new Result(s.out(), adapter.pairs().size(), base.numWeights());
    }
}
