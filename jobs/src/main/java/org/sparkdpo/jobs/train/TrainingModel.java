package org.sparkdpo.jobs.train;

import org.sparkdpo.common.spark.ExecutorContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.lora.LoraTargets;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a JVM needs to evaluate the DPO objective for one training run, built from a small serialisable
 * {@link Spec}: the frozen base (loaded once per JVM by {@link ModelStore}), the LoRA and DPO settings, and one
 * {@link DpoObjective} per thread, kept across averaging rounds so graphs are not rebuilt every round.
 */
public final class TrainingModel {
    /** The run's model settings as plain strings, as they travel inside DL4J's layer configuration. */
    public record Spec(String modelDir, String dtypeName, String loraJson, String dpoJson, String initAdapterDir,
                       long loraSeed, long dropoutSeed, int microBatches, boolean gradientCheckpointing)
            implements Serializable {
        public DataType dtype() {
            return switch (dtypeName) {
                case "float32" -> DataType.FLOAT;
                case "float64" -> DataType.DOUBLE;
                default -> throw new IllegalArgumentException("dtype must be float32 or float64, got " + dtypeName);
            };
        }

        /**
         * This spec with activation checkpointing per transformer block on or off (TRL's
         * {@code gradient_checkpointing}): training steps recompute each block's forward pass during backward, so a
         * step's memory is one block's activations instead of every block's, for one more forward. Off, each block's
         * activations are kept from the forward sweep ({@link DpoObjective.Activations#KEPT}).
         */
        public Spec withGradientCheckpointing(boolean on) {
            return new Spec(modelDir, dtypeName, loraJson, dpoJson, initAdapterDir, loraSeed, dropoutSeed, microBatches, on);
        }

        public static Spec of(String modelDir, DataType dtype, LoraConfig lora, DpoConfig dpo, String initAdapterDir,
                              long loraSeed, long dropoutSeed, int microBatches) {
            try {
                return new Spec(modelDir, dtype == DataType.DOUBLE ? "float64" : "float32", JSON.writeValueAsString(lora),
                        JSON.writeValueAsString(dpo), initAdapterDir, loraSeed, dropoutSeed, microBatches, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Spec spec;
    private final BaseWeights base;
    private final LoraConfig lora;
    private final DpoConfig dpo;
    private final List<LinearModule> modules;
    private final ThreadLocal<DpoObjective> objectives;

    private TrainingModel(Spec spec) {
        this.spec = spec;
        this.base = ExecutorContext.weights(local(spec.modelDir()), spec.dtype());
        try {
            this.lora = JSON.readValue(spec.loraJson(), LoraConfig.class);
            this.dpo = JSON.readValue(spec.dpoJson(), DpoConfig.class);
        } catch (IOException e) {
            throw new UncheckedIOException("bad LoRA/DPO settings in the layer configuration", e);
        }
        this.modules = LoraTargets.resolve(lora, base.model());
        this.objectives = ThreadLocal.withInitial(() -> new DpoObjective(base, lora, modules, dpo,
                spec.gradientCheckpointing(), 0));
    }

    /**
     * The LoRA settings of a run: those given for a fresh adapter (with the model's Conv1D layout), or those of
     * {@code adapterInit} (its r, alpha and targets; dropout from {@code given} when given).
     */
    public static LoraConfig resolveLora(String modelDir, DataType dtype, LoraConfig given, String adapterInit) throws IOException {
        var base = ExecutorContext.weights(local(modelDir), dtype).model();
        if (adapterInit == null) {
            boolean conv1d = base.linearModules().get(0).layout() == org.sparkdpo.model.arch.LinearLayout.CONV1D;
            return new LoraConfig(given.r(), given.loraAlpha(), given.loraDropout(), given.targetModules(), given.useRslora(),
                    conv1d, given.baseModelNameOrPath());
        }
        LoraConfig c = LoraAdapter.load(local(adapterInit), base, dtype).config();
        double dropout = given != null ? given.loraDropout() : c.loraDropout();
        return new LoraConfig(c.r(), c.loraAlpha(), dropout, c.targetModules(), c.useRslora(), c.fanInFanOut(), c.baseModelNameOrPath());
    }

    /** A model or adapter folder given as any Hadoop path, as a local folder of this JVM (copied once if remote). */
    public static Path local(String hadoopPath) {
        return ExecutorContext.localCopy(hadoopPath);
    }

    /** The model of {@code spec} on this JVM, built on first use. */
    public static TrainingModel of(Spec spec) {
        return ExecutorContext.shared(List.of("training-model", spec), () -> new TrainingModel(spec));
    }

    public Spec spec() {
        return spec;
    }

    public BaseWeights base() {
        return base;
    }

    public LoraConfig lora() {
        return lora;
    }

    public DpoConfig dpo() {
        return dpo;
    }

    public List<LinearModule> modules() {
        return modules;
    }

    /** This thread's objective (graphs are cached inside it per batch shape). */
    public DpoObjective objective() {
        return objectives.get();
    }

    /** The adapter training starts from: --adapter-init, or a fresh PEFT initialisation from the LoRA seed. */
    public LoraAdapter initialAdapter() {
        if (spec.initAdapterDir() == null || spec.initAdapterDir().isEmpty()) {
            return LoraAdapter.init(lora, base.model(), spec.loraSeed(), spec.dtype());
        }
        try {
            LoraAdapter a = LoraAdapter.load(local(spec.initAdapterDir()), base.model(), spec.dtype());
            Map<String, Object> mismatch = new HashMap<>();
            if (a.config().r() != lora.r()) mismatch.put("r", a.config().r());
            if (!a.config().targetModules().equals(lora.targetModules())) mismatch.put("target_modules", a.config().targetModules());
            if (!mismatch.isEmpty()) {
                throw new IllegalArgumentException("--adapter-init " + spec.initAdapterDir() + " has " + mismatch
                        + " but the run is configured with r=" + lora.r() + ", target_modules=" + lora.targetModules());
            }
            return a;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load --adapter-init " + spec.initAdapterDir() + ": " + e.getMessage(), e);
        }
    }
}
