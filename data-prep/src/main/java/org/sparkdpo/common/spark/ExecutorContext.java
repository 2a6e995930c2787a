package org.sparkdpo.common.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorContext.class);
    /** Logged (INFO) by every load of base weights, so executor logs show that each JVM loads a model once. */
    public static final String WEIGHTS_LOADED = "base weights loaded";
    private static final ThreadLocal<Long> GPU_LOGGED_FOR_TASK = new ThreadLocal<>();
    private static volatile boolean cpuLogged;
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
            long t0 = System.nanoTime();
            BaseWeights w;
            try {
                w = ModelStore.load(d, dtype);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load model from " + d + ": " + e.getMessage(), e);
            }
            LOG.info("{}: {} ({} tensors, {} bytes as {}) in JVM {}{} in {} ms", WEIGHTS_LOADED, d, w.tensors().size(),
                    w.numWeights() * dtype.width(), dtype, jvmName(), executorLabel(), (System.nanoTime() - t0) / 1_000_000);
            return w;
        });
    }

    /** This JVM as {@code pid@host}. */
    public static String jvmName() {
        return ManagementFactory.getRuntimeMXBean().getName();
    }

    /** Where this code runs, e.g. {@code executor 1 (1234@host)} or {@code driver (1234@host)}, for logs and reports. */
    public static String where() {
        SparkEnv env = SparkEnv.get();
        String id = env == null ? "driver" : env.executorId();
        return (id.equals("driver") ? "driver" : "executor " + id) + " (" + jvmName() + ")";
    }

    private static String executorLabel() {
        SparkEnv env = SparkEnv.get();
        if (env == null) return "";
        return env.executorId().equals("driver") ? " (driver)" : " (executor " + env.executorId() + ")";
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
     * the CUDA backend ({@code -Pcuda} build), logging backend, device and free memory once per task attempt. Fails
     * with a message saying what to change when the task was given a GPU but the job jar is a CPU build, when the
     * CUDA backend cannot load (no driver, no device) or when the device Spark assigned does not exist. Without a GPU
     * resource on the CPU backend nothing is bound and the same code runs on the CPU. Returns the device bound.
     */
    public static OptionalInt bindGpu(TaskContext ctx) {
        ResourceInformation gpu = ctx == null ? null : ctx.resourcesJMap().get("gpu");
        boolean gpuAssigned = gpu != null && gpu.addresses().length > 0;
        boolean cpu;
        try {
            cpu = Nd4j.getEnvironment().isCPU();
        } catch (Throwable t) {   // ND4J's backend failed to initialise: with the CUDA build, no usable driver/device
            throw new IllegalStateException("the ND4J backend did not load on " + jvmName() + " (" + describe(t)
                    + "); a -Pcuda job jar needs an NVIDIA GPU with a driver for CUDA 11.6 on every executor", t);
        }
        if (cpu) {
            if (gpuAssigned) {
                throw new IllegalStateException("task was assigned GPU " + String.join(",", gpu.addresses())
                        + " (spark.task.resource.gpu.amount) but this job jar runs ND4J's CPU backend: build it with "
                        + "`mvn -Pcuda -DskipTests package`, or drop the spark.*.resource.gpu.* settings to run on CPUs");
            }
            if (!cpuLogged) {
                cpuLogged = true;
                LOG.info("ND4J backend {} (CPU) in JVM {}{}", Nd4j.getBackend().getClass().getSimpleName(), jvmName(),
                        executorLabel());
            }
            return OptionalInt.empty();
        }
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        int devices = ops.getAvailableDevices();
        if (devices < 1) {
            throw new IllegalStateException("ND4J's CUDA backend is loaded but sees no GPU on " + jvmName()
                    + " (check nvidia-smi, CUDA_VISIBLE_DEVICES and the executor's GPU resources)");
        }
        int device = gpuAssigned ? Integer.parseInt(gpu.addresses()[0].trim()) : Nd4j.getAffinityManager().getDeviceForCurrentThread();
        if (device < 0 || device >= devices) {
            throw new IllegalStateException("Spark assigned GPU " + device + " but ND4J sees " + devices + " device(s) on "
                    + jvmName() + " (a discovery script and CUDA_VISIBLE_DEVICES that disagree?)");
        }
        if (gpuAssigned) Nd4j.getAffinityManager().unsafeSetDevice(device);
        long attempt = ctx == null ? -1 : ctx.taskAttemptId();
        Long logged = GPU_LOGGED_FOR_TASK.get();
        if (logged == null || logged != attempt) {
            GPU_LOGGED_FOR_TASK.set(attempt);
            LOG.info("ND4J backend {} (CUDA), device {} {} ({} of {} MiB free){} in JVM {}{}",
                    Nd4j.getBackend().getClass().getSimpleName(), device, ops.getDeviceName(device),
                    ops.getDeviceFreeMemory(device) >> 20, ops.getDeviceTotalMemory(device) >> 20,
                    gpuAssigned ? "" : " - no Spark GPU resource: every task of this JVM shares this device",
                    jvmName(), executorLabel());
        }
        return OptionalInt.of(device);
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return root == t ? String.valueOf(t) : t + ", caused by " + root;
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
