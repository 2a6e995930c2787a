package org.sparkdpo.common.spark;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.sparkdpo.model.exec.NativeEnvironment;

/**
 * Sets OpenBLAS's kernel and OpenMP's wait policy on each executor as it starts, before a task can load ND4J
 * ({@link NativeEnvironment}: ND4J's bundled OpenBLAS runs recent AVX-512 CPUs on 4x slower kernels, and spinning
 * OpenMP threads slow every GEMM). Each executor decides from its own CPU, so a cluster of mixed machines is fine.
 * {@link SparkSessions} adds it to {@code spark.plugins}; {@code spark.executorEnv.OPENBLAS_CORETYPE} /
 * {@code OMP_WAIT_POLICY} (kept) or {@code spark.executor.extraJavaOptions=-Dsparkdpo.openblas.coretype=off|NAME
 * -Dsparkdpo.omp.waitpolicy=off|ACTIVE|PASSIVE} override it.
 */
public final class NativeEnvironmentPlugin implements SparkPlugin {
    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                NativeEnvironment.apply();
            }
        };
    }
}
