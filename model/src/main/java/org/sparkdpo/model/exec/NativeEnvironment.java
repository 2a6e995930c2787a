package org.sparkdpo.model.exec;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the two environment variables that ND4J's native libraries read once, when they are loaded, before
 * anything loads them: OpenBLAS's kernel ({@code OPENBLAS_CORETYPE}) and OpenMP's wait policy
 * ({@code OMP_WAIT_POLICY}). The jobs' {@code main}, the Spark executor plugin, the test JVMs and the benchmarks
 * call {@link #apply()} first.
 *
 * <p>The kernel: ND4J 1.0.0-M2.1 bundles OpenBLAS 0.3.19, whose CPU detection predates recent processors. On an
 * AMD EPYC of family 0x1A (Zen 5, with AVX-512) it picks its 2007 {@code Barcelona} kernels: float32 GEMM at 85-93
 * GFLOP/s on 2 cores, against 375-450 GFLOP/s with the {@code SkylakeX} kernels on the same cores (Debian's
 * OpenBLAS 0.3.21, which PyTorch uses, picks {@code Cooperlake}). Rule, in order: {@value #KERNEL_PROPERTY}
 * {@code =off} leaves OpenBLAS alone; {@code =<name>} forces that kernel; an {@code OPENBLAS_CORETYPE} already in
 * the environment is kept; a CPU with the AVX-512 subsets the SkylakeX kernels use gets {@code SkylakeX}; any
 * other CPU is left to OpenBLAS's own detection.
 *
 * <p>The wait policy: libnd4j runs elementwise ops on OpenMP threads and OpenBLAS runs GEMMs on its own threads.
 * With OpenMP's default policy its threads keep spinning after each op and take the cores from the GEMM that
 * follows: a GPT-2 124M training step took 8.8-9.2 s, and 6.8 s with {@code PASSIVE} (13.3 instead of 17-18 CPU
 * seconds). Rule: {@value #WAIT_PROPERTY}{@code =off} leaves it alone, {@code =ACTIVE|PASSIVE} forces it, a value
 * already in the environment is kept, otherwise {@code PASSIVE}.
 *
 * <p>A process that has already loaded the libraries keeps what they read (said in the returned settings).
 */
public final class NativeEnvironment {
    /** System property: {@code auto} (default), {@code off}, or an OpenBLAS core name. */
    public static final String KERNEL_PROPERTY = "sparkdpo.openblas.coretype";
    /** System property: {@code auto} (default, PASSIVE), {@code off}, {@code ACTIVE} or {@code PASSIVE}. */
    public static final String WAIT_PROPERTY = "sparkdpo.omp.waitpolicy";
    /** The environment variable OpenBLAS reads at load time. */
    public static final String KERNEL_VARIABLE = "OPENBLAS_CORETYPE";
    /** The environment variable OpenMP (libgomp) reads at load time. */
    public static final String WAIT_VARIABLE = "OMP_WAIT_POLICY";
    /** The AVX-512 subsets OpenBLAS's SkylakeX kernels need. */
    static final Set<String> AVX512 = Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd");
    private static final Pattern CORE_NAME = Pattern.compile("[A-Za-z0-9]{2,32}");
    private static final Logger LOG = LoggerFactory.getLogger(NativeEnvironment.class);
    private static List<Setting> applied;

    private NativeEnvironment() {}

    /**
     * One variable as this process runs with it.
     *
     * @param variable the environment variable
     * @param value    its value for the native library, or null where the library decides itself
     * @param reason   why, in words for a log line
     * @param set      whether {@link #apply()} set it
     */
    public record Setting(String variable, String value, String reason, boolean set) {
        /** One line for the logs. */
        public String describe() {
            return variable + "=" + (value == null ? "(unset: the library decides)" : value) + " (" + reason + ")";
        }
    }

    /**
     * The kernel decision, without side effects.
     *
     * @param requested     the value of {@value #KERNEL_PROPERTY} (null or blank: {@code auto})
     * @param inEnvironment {@code OPENBLAS_CORETYPE} as the process has it, or null
     * @param cpuFlags      the CPU's feature flags as /proc/cpuinfo names them (empty where unknown)
     * @param loaded        whether OpenBLAS is already loaded in this process
     */
    static Setting decideKernel(String requested, String inEnvironment, Set<String> cpuFlags, boolean loaded) {
        String r = requested == null || requested.isBlank() ? "auto" : requested.trim();
        if (!r.equalsIgnoreCase("auto") && !r.equalsIgnoreCase("off") && !CORE_NAME.matcher(r).matches()) {
            throw new IllegalArgumentException(KERNEL_PROPERTY + "=" + r + " is not an OpenBLAS core name (for example "
                    + "Haswell, SkylakeX, Zen); use auto or off");
        }
        Setting kept = keep(KERNEL_VARIABLE, KERNEL_PROPERTY, r, inEnvironment, loaded);
        if (kept != null) return kept;
        if (cpuFlags.containsAll(AVX512)) {
            return new Setting(KERNEL_VARIABLE, "SkylakeX", "the CPU has AVX-512; ND4J's OpenBLAS 0.3.19 does not "
                    + "recognise every such CPU and can fall back to far slower kernels; " + KERNEL_PROPERTY
                    + "=off lets it detect", true);
        }
        return new Setting(KERNEL_VARIABLE, null, "no AVX-512 on this CPU", false);
    }

    /** The wait-policy decision, without side effects (arguments as {@link #decideKernel}). */
    static Setting decideWaitPolicy(String requested, String inEnvironment, boolean loaded) {
        String r = requested == null || requested.isBlank() ? "auto" : requested.trim();
        if (!Set.of("auto", "off", "active", "passive").contains(r.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(WAIT_PROPERTY + "=" + r + " must be auto, off, ACTIVE or PASSIVE");
        }
        Setting kept = keep(WAIT_VARIABLE, WAIT_PROPERTY, r.toUpperCase(Locale.ROOT), inEnvironment, loaded);
        if (kept != null) return kept;
        return new Setting(WAIT_VARIABLE, "PASSIVE", "OpenMP threads that spin after each ND4J op take the cores "
                + "from OpenBLAS's GEMMs; " + WAIT_PROPERTY + "=off leaves OpenMP's default", true);
    }

    /** The cases both rules share: off, already loaded, forced by the property, kept from the environment. */
    private static Setting keep(String variable, String property, String requested, String inEnvironment, boolean loaded) {
        boolean inEnv = inEnvironment != null && !inEnvironment.isBlank();
        String current = inEnv ? inEnvironment : null;
        if (requested.equalsIgnoreCase("off")) return new Setting(variable, current, property + "=off", false);
        if (loaded) {
            return new Setting(variable, current, "its library was already loaded in this process, which keeps what "
                    + "it read; set " + variable + " in the environment of this JVM to choose it", false);
        }
        if (!requested.equalsIgnoreCase("auto")) return new Setting(variable, requested, property + "=" + requested, true);
        if (inEnv) return new Setting(variable, inEnvironment, "set in the environment", false);
        return null;
    }

    /**
     * Sets both variables for this process as the rules say, once per process; later calls return the first
     * call's settings. Never throws (a bad property value, a platform without /proc or libc's setenv): the
     * libraries then decide themselves, and the log line says why.
     */
    public static synchronized List<Setting> apply() {
        if (applied != null) return applied;
        Setting kernel;
        Setting wait;
        try {
            kernel = decideKernel(System.getProperty(KERNEL_PROPERTY), getenv(KERNEL_VARIABLE), cpuFlags(), loaded("openblas"));
        } catch (IllegalArgumentException e) {
            kernel = new Setting(KERNEL_VARIABLE, getenv(KERNEL_VARIABLE), e.getMessage() + "; ignored", false);
        }
        try {
            wait = decideWaitPolicy(System.getProperty(WAIT_PROPERTY), getenv(WAIT_VARIABLE), loaded("libgomp"));
        } catch (IllegalArgumentException e) {
            wait = new Setting(WAIT_VARIABLE, getenv(WAIT_VARIABLE), e.getMessage() + "; ignored", false);
        }
        applied = List.of(set(kernel), set(wait));
        for (Setting s : applied) {
            if (s.reason().endsWith("ignored")) LOG.warn("native environment: " + s.describe());
            else LOG.info("native environment: " + s.describe());
        }
        return applied;
    }

    /** The OpenBLAS kernel this process was told to use ({@code OPENBLAS_CORETYPE}; null: its own detection). */
    public static String kernel() {
        return getenv(KERNEL_VARIABLE);
    }

    /** {@code OMP_WAIT_POLICY} as this process has it (null: OpenMP's default). */
    public static String waitPolicy() {
        return getenv(WAIT_VARIABLE);
    }

    private static Setting set(Setting s) {
        if (!s.set()) return s;
        try {
            if (LibC.INSTANCE.setenv(s.variable(), s.value(), 1) == 0) return s;
            return new Setting(s.variable(), null, "setenv failed; ignored", false);
        } catch (RuntimeException | LinkageError e) {
            return new Setting(s.variable(), null, "cannot set it here: " + e + "; ignored", false);
        }
    }

    /** The C environment (which setenv changes), not Java's snapshot of it; Java's where libc cannot be reached. */
    private static String getenv(String name) {
        try {
            return LibC.INSTANCE.getenv(name);
        } catch (RuntimeException | LinkageError e) {
            return System.getenv(name);
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

    /** Whether a library whose file name contains {@code name} is mapped into this process (Linux; else false). */
    static boolean loaded(String name) {
        try {
            return Files.readString(Path.of("/proc/self/maps"), StandardCharsets.UTF_8).contains(name);
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
