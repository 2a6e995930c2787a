package org.sparkdpo.jobs.sft;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.jobs.train.TrainingModel;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.lora.LoraTargets;
import org.sparkdpo.model.sft.SftObjective;

/**
 * Everything a JVM needs to evaluate the SFT objective of one run, built from a small serialisable {@link Spec}:
 * the base weights (loaded once per JVM), the trainable tensors (every weight, or the LoRA matrices) with their
 * DL4J parameter keys, and one {@link SftObjective} per thread (graphs kept across averaging rounds).
 */
public final class SftModel {
    /**
     * The run's model settings as they travel inside DL4J's layer configuration.
     *
     * @param initDir where the trainable weights start from: a Hugging Face model folder (full) or a PEFT adapter
     *                (LoRA); null: the base model's weights (full) or a fresh adapter (LoRA)
     */
    public record Spec(String modelDir, String dtypeName, boolean full, String loraJson, String initDir, long loraSeed,
                       long dropoutSeed, int microBatches, boolean completionOnly) implements Serializable {
        public DataType dtype() {
            return dtypeName.equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
        }

        public static Spec of(String modelDir, DataType dtype, boolean full, LoraConfig lora, String initDir,
                              long loraSeed, long dropoutSeed, int microBatches, boolean completionOnly) {
            try {
                return new Spec(modelDir, dtype == DataType.DOUBLE ? "float64" : "float32", full,
                        full ? null : JSON.writeValueAsString(lora), initDir, loraSeed, dropoutSeed, microBatches, completionOnly);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** One trainable tensor: objective variable name, DL4J parameter key, shape. */
    public record Trainable(String varName, String paramKey, long[] shape) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Spec spec;
    private final BaseWeights base;
    private final LoraConfig lora;
    private final List<LinearModule> modules;
    private final List<Trainable> trainables;
    private final ThreadLocal<SftObjective> objectives;

    private SftModel(Spec spec) {
        this.spec = spec;
        this.base = ExecutorContext.weights(TrainingModel.local(spec.modelDir()), spec.dtype());
        List<Trainable> t = new ArrayList<>();
        if (spec.full()) {
            this.lora = null;
            this.modules = List.of();
            for (String n : SftObjective.fullNames(base)) t.add(new Trainable(n, paramKey(n), base.get(n).shape()));
            this.objectives = ThreadLocal.withInitial(() -> SftObjective.full(base, spec.completionOnly()));
        } else {
            try {
                this.lora = JSON.readValue(spec.loraJson(), LoraConfig.class);
            } catch (IOException e) {
                throw new UncheckedIOException("bad LoRA settings in the layer configuration", e);
            }
            this.modules = LoraTargets.resolve(lora, base.model());
            for (LinearModule m : modules) {
                t.add(new Trainable(LoraBindings.varName(m.path(), 'A'), paramKey(m.path() + ".A"), new long[]{lora.r(), m.in()}));
                t.add(new Trainable(LoraBindings.varName(m.path(), 'B'), paramKey(m.path() + ".B"), new long[]{m.out(), lora.r()}));
            }
            this.objectives = ThreadLocal.withInitial(() -> SftObjective.lora(base, lora, modules, spec.completionOnly()));
        }
        this.trainables = List.copyOf(t);
    }

    /** DL4J parameter key of a tensor; DL4J splits keys at '_' so underscores become dashes. */
    public static String paramKey(String name) {
        return name.replace('_', '-');
    }

    public static SftModel of(Spec spec) {
        return ExecutorContext.shared(List.of("sft-model", spec), () -> new SftModel(spec));
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

    public List<LinearModule> modules() {
        return modules;
    }

    public List<Trainable> trainables() {
        return trainables;
    }

    public SftObjective objective() {
        return objectives.get();
    }

    /** The starting values of every trainable, keyed by variable name. */
    public Map<String, INDArray> initialValues() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        if (spec.full()) {
            BaseWeights from = spec.initDir() == null ? base
                    : ExecutorContext.weights(TrainingModel.local(spec.initDir()), spec.dtype());
            for (Trainable t : trainables) m.put(t.varName(), from.get(t.varName()));
            return m;
        }
        LoraAdapter a;
        try {
            a = spec.initDir() == null ? LoraAdapter.init(lora, base.model(), spec.loraSeed(), spec.dtype())
                    : LoraAdapter.load(TrainingModel.local(spec.initDir()), base.model(), spec.dtype());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load adapter " + spec.initDir() + ": " + e.getMessage(), e);
        }
        for (LoraAdapter.Pair p : a.pairs()) {
            m.put(LoraBindings.varName(p.module().path(), 'A'), p.a());
            m.put(LoraBindings.varName(p.module().path(), 'B'), p.b());
        }
        return m;
    }
}
