package org.sparkdpo.common.spark;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.sparkdpo.model.exec.OpenBlasKernel;

/**
 * Chooses OpenBLAS's kernel on each executor as it starts, before a task can load ND4J
 * ({@link OpenBlasKernel}: ND4J's bundled OpenBLAS runs recent AVX-512 CPUs on 4x slower kernels). Each executor
 * decides from its own CPU, so a cluster of mixed machines is fine. {@link SparkSessions} adds it to
 * {@code spark.plugins}; {@code spark.executorEnv.OPENBLAS_CORETYPE} (kept) or
 * {@code spark.executor.extraJavaOptions=-Dsparkdpo.openblas.coretype=off|NAME} override it.
 */
public final class OpenBlasPlugin implements SparkPlugin {
    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                OpenBlasKernel.apply();
            }
        };
    }
}
