package org.sparkdpo.common;

/**
 * An {@link OutOfMemoryError} inside a task, caught where it happened and turned into an ordinary task failure that
 * says what ran out and which option to lower. Left as an Error it is fatal: Spark's executor exits its JVM on it (in
 * local mode that is the driver too), and the user saw only "Cannot call methods on a stopped SparkContext".
 */
public class TaskOutOfMemoryException extends RuntimeException {
    /** Every message starts with this, so the CLI can find it in a cause chain that Spark serialized. */
    public static final String PREFIX = "out of memory";

    /**
     * The error is kept as a suppressed exception, not as the cause: Spark's executor treats a task failure whose
     * cause chain holds an OutOfMemoryError as fatal ({@code spark.executor.killOnFatalError.depth}) and exits.
     */
    public TaskOutOfMemoryException(String message, OutOfMemoryError error) {
        super(message);
        addSuppressed(error);
    }

    /**
     * The exception for {@code e} thrown by {@code what} (e.g. "a precompute-ref task (part-00001.parquet)"), telling
     * the user to lower {@code lower} (e.g. "--batch-tokens or --max-batch").
     */
    public static TaskOutOfMemoryException of(OutOfMemoryError e, String what, String lower) {
        String m = String.valueOf(e.getMessage());
        String ran, raise;
        if (m.contains("Java heap space") || m.contains("GC overhead")) {
            ran = "the Java heap";
            raise = "spark.executor.memory (local mode: spark.driver.memory / SPARK_DPO_HEAP)";
        } else if (m.contains("Direct buffer")) {
            ran = "direct buffer memory";
            raise = "-XX:MaxDirectMemorySize";
        } else if (m.contains("Pointer") || m.contains("physicalBytes") || m.contains("totalBytes")
                || m.contains("orkspace") || m.contains("allocate")) {
            ran = "ND4J off-heap memory (" + firstLine(m) + ")";
            raise = "spark.executor.memoryOverhead and -Dorg.bytedeco.javacpp.maxbytes/maxphysicalbytes";
        } else {
            ran = "memory (" + firstLine(m) + ")";
            raise = "the executors' memory";
        }
        return new TaskOutOfMemoryException(PREFIX + " in " + what + ": " + ran + " ran out; lower " + lower
                + ", or raise " + raise, e);   // e: suppressed, see the constructor
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        String s = nl < 0 ? m : m.substring(0, nl);
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }
}
