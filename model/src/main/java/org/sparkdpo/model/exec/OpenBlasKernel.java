package org.sparkdpo.model.exec;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the OpenBLAS kernel before ND4J loads OpenBLAS, by setting {@code OPENBLAS_CORETYPE} in this process's
 * environment.
 *
 * <p>Why: ND4J 1.0.0-M2.1 bundles OpenBLAS 0.3.19, whose CPU detection predates recent processors. On an AMD EPYC
 * of family 0x1A (Zen 5, with AVX-512) it picks its 2007 {@code Barcelona} kernels: float32 GEMM at 85-93 GFLOP/s
 * on 2 cores, against 375-400 GFLOP/s with the {@code SkylakeX} kernels on the same cores, and every matmul of
 * training and scoring ran 4x slower than the hardware allows (Debian's OpenBLAS 0.3.21, which PyTorch uses,
 * picks {@code Cooperlake}: 262 GFLOP/s). OpenBLAS reads {@code OPENBLAS_CORETYPE} once, when it is loaded, so
 * this must run before the first ND4J call of the process: the jobs' {@code main}, the Spark executor plugin
 * and the benchmarks call {@link #apply()} first.
 *
 * <p>The rule, in order: the system property {@value #PROPERTY} {@code =off} leaves OpenBLAS alone; {@code
 * =<name>} forces that kernel (OpenBLAS's names: {@code Haswell}, {@code SkylakeX}, {@code Zen}, ...); an {@code
 * OPENBLAS_CORETYPE} already in the environment is kept; otherwise a CPU with the AVX-512 subsets that the
 * SkylakeX kernels use gets {@code SkylakeX}, and any other CPU is left to OpenBLAS's own detection. A process
 * that has already loaded OpenBLAS keeps its kernel (said in the returned choice).
 */
public final class OpenBlasKernel {
    /** System property: {@code auto} (default), {@code off}, or an OpenBLAS core name. */
    public static final String PROPERTY = "sparkdpo.openblas.coretype";
    /** The environment variable OpenBLAS reads at load time. */
    public static final String VARIABLE = "OPENBLAS_CORETYPE";
    /** The AVX-512 subsets OpenBLAS's SkylakeX kernels need. */
    static final Set<String> AVX512 = Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd");
    private static final Pattern CORE_NAME = Pattern.compile("[A-Za-z0-9]{2,32}");
    private static final Logger LOG = LoggerFactory.getLogger(OpenBlasKernel.class);
    private static Choice applied;

    private OpenBlasKernel() {}

    /**
     * What this process runs with.
     *
     * @param coreType the kernel named to OpenBLAS, or null where OpenBLAS detects it itself
     * @param reason   why, in words for a log line
     * @param set      whether this call set {@code OPENBLAS_CORETYPE}
     */
    public record Choice(String coreType, String reason, boolean set) {
        /** One line for the logs. */
        public String describe() {
            return "OpenBLAS kernel: " + (coreType == null ? "OpenBLAS's own detection" : coreType) + " (" + reason + ")";
        }
    }

    /**
     * The decision, without side effects.
     *
     * @param requested     the value of {@value #PROPERTY} (null or blank: {@code auto})
     * @param inEnvironment {@code OPENBLAS_CORETYPE} as the process has it, or null
     * @param cpuFlags      the CPU's feature flags as /proc/cpuinfo names them (empty where unknown)
     * @param loaded        whether OpenBLAS is already loaded in this process
     */
    static Choice decide(String requested, String inEnvironment, Set<String> cpuFlags, boolean loaded) {
        String r = requested == null || requested.isBlank() ? "auto" : requested.trim();
        boolean inEnv = inEnvironment != null && !inEnvironment.isBlank();
        if (r.equalsIgnoreCase("off")) {
            return new Choice(inEnv ? inEnvironment : null, PROPERTY + "=off", false);
        }
        if (!r.equalsIgnoreCase("auto") && !CORE_NAME.matcher(r).matches()) {
            throw new IllegalArgumentException(PROPERTY + "=" + r + " is not an OpenBLAS core name (for example "
                    + "Haswell, SkylakeX, Zen); use auto or off");
        }
        if (loaded) {
            return new Choice(inEnv ? inEnvironment : null, "OpenBLAS was already loaded in this process, which keeps "
                    + "its kernel; set " + VARIABLE + " in the environment of this JVM to choose it", false);
        }
        if (!r.equalsIgnoreCase("auto")) return new Choice(r, PROPERTY + "=" + r, true);
        if (inEnv) return new Choice(inEnvironment, VARIABLE + " set in the environment", false);
        if (cpuFlags.containsAll(AVX512)) {
            return new Choice("SkylakeX", "the CPU has AVX-512; ND4J's OpenBLAS 0.3.19 does not recognise every "
                    + "such CPU and can fall back to far slower kernels (" + PROPERTY + "=off to let it detect)", true);
        }
        return new Choice(null, "no AVX-512 on this CPU", false);
    }

    /**
     * Sets {@code OPENBLAS_CORETYPE} for this process as {@link #decide} says, once per process; later calls
     * return the first call's choice. Never throws (a bad {@value #PROPERTY}, a platform without /proc or libc's
     * setenv): OpenBLAS then detects the kernel itself, and the log line says why.
     */
    public static synchronized Choice apply() {
        if (applied != null) return applied;
        Choice c;
        try {
            c = decide(System.getProperty(PROPERTY), LibC.INSTANCE.getenv(VARIABLE), cpuFlags(), openBlasLoaded());
            if (c.set() && LibC.INSTANCE.setenv(VARIABLE, c.coreType(), 1) != 0) {
                c = new Choice(null, "setenv failed", false);
            }
        } catch (IllegalArgumentException e) {
            c = new Choice(null, e.getMessage() + "; ignored", false);
        } catch (RuntimeException | LinkageError e) {
            c = new Choice(null, "could not set " + VARIABLE + " here: " + e, false);
        }
        applied = c;
        if (c.reason().endsWith("; ignored")) LOG.warn(c.describe());
        else LOG.info(c.describe());
        return c;
    }

    /** The kernel this process's OpenBLAS was told to use, as {@link #apply()} left it (null: its own detection). */
    public static String current() {
        try {
            return LibC.INSTANCE.getenv(VARIABLE);
        } catch (RuntimeException | LinkageError e) {
            return System.getenv(VARIABLE);
        }
    }

    /** The flags of the first processor in /proc/cpuinfo; empty where there is none. */
    static Set<String> cpuFlags() {
        try {
            return parseFlags(Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    static Set<String> parseFlags(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                return Set.of(line.substring(colon + 1).trim().toLowerCase(Locale.ROOT).split("\\s+"));
            }
        }
        return Set.of();
    }

    /** Whether an OpenBLAS library is mapped into this process (Linux; false where that cannot be told). */
    static boolean openBlasLoaded() {
        try {
            return Files.readString(Path.of("/proc/self/maps"), StandardCharsets.UTF_8).contains("openblas");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The two libc calls this needs (JNA, already on the class path through the DJL tokenizer). */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        String getenv(String name);

        int setenv(String name, String value, int overwrite);
    }
}
