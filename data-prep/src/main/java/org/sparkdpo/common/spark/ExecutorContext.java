package org.sparkdpo.common.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;

/**
 * What an executor JVM keeps between tasks, in one place. Spark reuses executor JVMs and their task threads, so
 * everything expensive is made once and found again by key: base weights once per JVM and dtype (memory-mapped,
 * never shipped from the driver), adapters, tokenizers and training models once per JVM ({@link #shared}), objects
 * that hold built graphs and are not thread-safe once per task thread ({@link #perThread}). Remote model folders
 * are copied to local disk once per machine by {@link LocalCopies}. {@link #bindGpu} ties a task's thread to the
 * GPU Spark assigned it.
 */
public final class ExecutorContext {
    private static final Map<List<Object>, Once> SHARED = new ConcurrentHashMap<>();
    private static final ThreadLocal<Map<List<Object>, Object>> PER_THREAD = ThreadLocal.withInitial(HashMap::new);

    private ExecutorContext() {}

    /** The value under {@code key}, made by {@code make} on first use in this JVM and shared by all its threads. */
    @SuppressWarnings("unchecked")
    public static <V> V shared(List<Object> key, Supplier<V> make) {
        return (V) SHARED.computeIfAbsent(key, k -> new Once()).get(make);
    }

    /** The value under {@code key} for this thread, made by {@code make} on first use (for objects that are not thread-safe). */
    @SuppressWarnings("unchecked")
    public static <V> V perThread(List<Object> key, Supplier<V> make) {
        Map<List<Object>, Object> m = PER_THREAD.get();
        Object v = m.get(key);
        if (v == null) {
            v = make.get();
            m.put(key, v);
        }
        return (V) v;
    }

    /** The frozen weights of the checkpoint in the local folder {@code dir}, loaded once per JVM and dtype. */
    public static BaseWeights weights(Path dir, DataType dtype) {
        Path d = dir.toAbsolutePath().normalize();
        return shared(List.of("weights", d, dtype), () -> {
            try {
                return ModelStore.load(d, dtype);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load model from " + d + ": " + e.getMessage(), e);
            }
        });
    }

    /** A model or adapter folder given as any Hadoop path, as a local folder (copied once per machine if remote). */
    public static Path localCopy(String hadoopPath) {
        try {
            return LocalCopies.localizeHere(hadoopPath);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch " + hadoopPath + ": " + e.getMessage(), e);
        }
    }

    /**
     * Binds this task's thread to the GPU Spark assigned it ({@code spark.task.resource.gpu.amount}) when ND4J runs
     * the CUDA backend ({@code -Pcuda} build); on the CPU backend, or without a GPU resource, nothing happens and the
     * same code runs on the CPU. Returns the device bound.
     */
    public static OptionalInt bindGpu(TaskContext ctx) {
        if (ctx == null) return OptionalInt.empty();
        ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
        if (gpu == null || gpu.addresses().length == 0) return OptionalInt.empty();
        if (Nd4j.getEnvironment().isCPU()) return OptionalInt.empty();   // a GPU was assigned but this build is CPU-only
        int device = Integer.parseInt(gpu.addresses()[0].trim());
        Nd4j.getAffinityManager().unsafeSetDevice(device);
        return OptionalInt.of(device);
    }

    /**
     * One value made at most once; other threads asking meanwhile wait. (Making values inside the map's own
     * {@code computeIfAbsent} would fail when one value needs another, e.g. a training model needs the weights.)
     */
    private static final class Once {
        private Object value;

        synchronized Object get(Supplier<?> make) {
            if (value == null) value = make.get();
            return value;
        }
    }
}
