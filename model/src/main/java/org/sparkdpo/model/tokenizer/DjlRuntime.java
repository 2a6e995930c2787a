package org.sparkdpo.model.tokenizer;

/**
 * Makes DJL's tokenizer runtime behave on offline cluster nodes. Must run before DJL's classes initialise.
 *
 * <ul>
 *   <li>DJL extracts its bundled {@code libtokenizers.so} from the jar into {@code ~/.djl.ai/tokenizers/<version>-cpu-linux-x86_64/}
 *       (or {@code java.io.tmpdir/.djl.ai} if the home folder is not writable). Move it with env var or system property
 *       {@code DJL_CACHE_DIR} (or {@code ENGINE_CACHE_DIR}, which wins), e.g. {@code -DDJL_CACHE_DIR=/local/disk/djl}
 *       in {@code spark.executor.extraJavaOptions} or {@code spark.executorEnv.DJL_CACHE_DIR}.</li>
 *   <li>On a machine with a CUDA GPU, DJL would pick a CUDA build of the native tokenizer that is <em>not</em> in the jar
 *       and download it from publish.djl.ai; in offline mode it uses the bundled CPU build.</li>
 *   <li>Every {@code HuggingFaceTokenizer.newInstance} "calls home" (EC2 metadata + telemetry URL) unless offline
 *       mode or {@code OPT_OUT_TRACKING=true}.</li>
 * </ul>
 * So unless the user already set them (env or system property), we set system properties {@code ai.djl.offline=true}
 * and {@code OPT_OUT_TRACKING=true}. Env vars {@code DJL_OFFLINE} / {@code OPT_OUT_TRACKING} override ours.
 */
final class DjlRuntime {
    private DjlRuntime() {}

    private static volatile boolean done;

    static void configure() {
        if (done) return;
        synchronized (DjlRuntime.class) {
            if (done) return;
            setIfAbsent("DJL_OFFLINE", "ai.djl.offline", "true");
            setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
            done = true;
        }
    }

    private static void setIfAbsent(String env, String property, String value) {
        if (System.getenv(env) == null && System.getProperty(property) == null) System.setProperty(property, value);
    }
}
