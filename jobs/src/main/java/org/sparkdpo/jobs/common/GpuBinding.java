package org.sparkdpo.jobs.common;

import java.util.OptionalInt;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The GPU path, kept to one obvious step: when Spark assigned this task a GPU ({@code spark.task.resource.gpu.amount})
 * and ND4J runs the CUDA backend ({@code -Pcuda} build), bind the task's thread to that device before any ND4J work.
 * On the CPU backend, or without a GPU resource, nothing happens and the same code runs on the CPU. Used by every
 * task that runs a model: precompute-ref shards, training workers and evaluation. The frozen weights are loaded
 * once per executor JVM, so give each executor one GPU.
 */
public final class GpuBinding {
    private GpuBinding() {}

    /** The device bound, or empty on the CPU path. */
    public static OptionalInt bind(TaskContext ctx) {
        if (ctx == null) return OptionalInt.empty();
        ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
        if (gpu == null || gpu.addresses().length == 0) return OptionalInt.empty();
        if (Nd4j.getEnvironment().isCPU()) return OptionalInt.empty();   // a GPU was assigned but this build is CPU-only
        int device = Integer.parseInt(gpu.addresses()[0].trim());
        Nd4j.getAffinityManager().unsafeSetDevice(device);
        return OptionalInt.of(device);
    }
}
