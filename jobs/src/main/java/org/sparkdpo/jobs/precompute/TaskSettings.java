package org.sparkdpo.jobs.precompute;

import java.io.Serializable;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.common.spark.HadoopPaths;

/**
 * Everything a shard task needs, shipped in its closure: paths (never the weights), batching, the expected
 * fingerprints and the Hadoop configuration.
 *
 * @param inputDir          qualified input folder
 * @param outDir            qualified output folder
 * @param model             model folder, qualified on the driver; each executor localizes it
 * @param adapter           adapter folder, qualified on the driver, or null
 * @param dtype             compute dtype
 * @param batchTokens       token budget per forward pass
 * @param maxBatch          sequences per forward pass at most
 * @param modelFingerprint  the weights the driver fingerprinted (checked on every executor)
 * @param fingerprint       the run fingerprint written into markers
 * @param runId             identifies this run in markers and temporary names
 * @param conf              Hadoop configuration
 */
record TaskSettings(String inputDir, String outDir, String model, String adapter, PrecomputeSettings.Dtype dtype,
                    int batchTokens, int maxBatch, String modelFingerprint, String fingerprint, String runId,
                    HadoopConf conf) implements Serializable {
    /** Executors run elsewhere: a path that is not qualified would mean another file there. */
    TaskSettings {
        HadoopPaths.requireQualified(inputDir, "input folder");
        HadoopPaths.requireQualified(outDir, "output folder");
        HadoopPaths.requireQualified(model, "model folder");
        HadoopPaths.requireQualified(adapter, "adapter folder");
    }
}
