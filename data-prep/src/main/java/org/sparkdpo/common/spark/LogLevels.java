package org.sparkdpo.common.spark;

import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Keeps the console readable: Spark, Hadoop, Parquet, netty, DL4J and ND4J log at WARN unless {@code --verbose}
 * raises them to INFO; the project's own loggers stay at INFO. Set programmatically (Spark 3.5 uses log4j2) so it
 * holds on clusters whose log4j2 configuration we do not own; a no-op when log4j-core is not the backend.
 */
public final class LogLevels {
    /** Loggers that flood the console at INFO. */
    public static final List<String> NOISY = List.of("org.apache.spark", "org.sparkproject", "org.apache.hadoop",
            "org.apache.parquet", "io.netty", "org.eclipse.jetty", "org.deeplearning4j", "org.nd4j", "org.bytedeco",
            "org.apache.zookeeper", "org.apache.orc");

    private static volatile boolean verbose;

    private LogLevels() {}

    /** Chooses verbose (INFO everywhere) or quiet (WARN for {@link #NOISY}) and applies it now. */
    public static void setVerbose(boolean on) {
        verbose = on;
        apply();
    }

    public static boolean verbose() {
        return verbose;
    }

    /** Re-applies the current choice (Spark may reconfigure logging when its context starts). */
    public static void apply() {
        if (!(LogManager.getContext(false) instanceof LoggerContext)) return;
        Level noisy = verbose ? Level.INFO : Level.WARN;
        for (String name : NOISY) Configurator.setLevel(name, noisy);
        Configurator.setLevel("org.apache.hadoop.util.NativeCodeLoader", verbose ? Level.WARN : Level.ERROR);
        // DJL's tokenizer runtime warns on every start that no GPU was found; irrelevant for tokenizing
        Configurator.setLevel("ai.djl.util.cuda.CudaUtils", verbose ? Level.WARN : Level.ERROR);
        Configurator.setLevel("org.sparkdpo", verbose ? Level.DEBUG : Level.INFO);
    }
}
