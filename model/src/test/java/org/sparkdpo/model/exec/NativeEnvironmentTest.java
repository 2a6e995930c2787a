package org.sparkdpo.model.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class NativeEnvironmentTest {
    /** Flags of the AMD EPYC (family 0x1A) this project measured on, where ND4J's OpenBLAS chose Barcelona. */
    private static final String ZEN5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512vbmi\n"
            + "processor\t: 1\nflags\t\t: fpu\n";
    private static final Set<String> AVX2_ONLY = Set.of("sse2", "avx", "avx2", "fma");

    @Test
    void parsesTheFirstProcessorsFlags() {
        Set<String> flags = NativeEnvironment.parseFlags(ZEN5);
        assertTrue(flags.containsAll(NativeEnvironment.AVX512), flags.toString());
        assertFalse(flags.contains("processor"));
        assertEquals(Set.of(), NativeEnvironment.parseFlags("model name: none\n"));
    }

    @Test
    void avx512CpusGetSkylakeXKernelsUnlessTheEnvironmentOrThePropertySaysOtherwise() {
        Set<String> zen5 = NativeEnvironment.parseFlags(ZEN5);
        NativeEnvironment.Setting auto = NativeEnvironment.decideKernel(null, null, zen5, false);
        assertEquals("SkylakeX", auto.value());
        assertTrue(auto.set());

        NativeEnvironment.Setting env = NativeEnvironment.decideKernel("auto", "Haswell", zen5, false);
        assertEquals("Haswell", env.value());
        assertFalse(env.set(), "a kernel the user exported is kept");

        NativeEnvironment.Setting forced = NativeEnvironment.decideKernel("Zen", "Haswell", zen5, false);
        assertEquals("Zen", forced.value());
        assertTrue(forced.set(), "the property overrides the environment");

        NativeEnvironment.Setting off = NativeEnvironment.decideKernel("off", null, zen5, false);
        assertNull(off.value());
        assertFalse(off.set());
    }

    @Test
    void otherCpusAndLoadedLibrariesAreLeftAlone() {
        Set<String> oneMissing = new HashSet<>(NativeEnvironment.AVX512);
        oneMissing.remove("avx512vl");
        assertFalse(NativeEnvironment.decideKernel(null, null, oneMissing, false).set());
        assertNull(NativeEnvironment.decideKernel(null, null, AVX2_ONLY, false).value());
        assertNull(NativeEnvironment.decideKernel(null, null, Set.of(), false).value());
        NativeEnvironment.Setting loaded = NativeEnvironment.decideKernel("SkylakeX", null, NativeEnvironment.AVX512, true);
        assertFalse(loaded.set(), "OpenBLAS reads the variable only when it is loaded");
        assertTrue(loaded.reason().contains("already loaded"), loaded.reason());
    }

    @Test
    void openMpWaitsPassivelyUnlessTold() {
        NativeEnvironment.Setting auto = NativeEnvironment.decideWaitPolicy(null, null, false);
        assertEquals("PASSIVE", auto.value());
        assertTrue(auto.set());
        assertEquals("ACTIVE", NativeEnvironment.decideWaitPolicy(null, "ACTIVE", false).value(), "the environment's is kept");
        assertFalse(NativeEnvironment.decideWaitPolicy(null, "ACTIVE", false).set());
        assertEquals("ACTIVE", NativeEnvironment.decideWaitPolicy("active", "PASSIVE", false).value(), "the property wins");
        assertNull(NativeEnvironment.decideWaitPolicy("off", null, false).value());
        assertFalse(NativeEnvironment.decideWaitPolicy(null, null, true).set(), "libgomp already loaded");
    }

    @Test
    void refusesPropertyValuesTheLibrariesCouldNotMean() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeEnvironment.decideKernel("Skylake X; rm", null, Set.of(), false));
        assertTrue(e.getMessage().contains(NativeEnvironment.KERNEL_PROPERTY), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativeEnvironment.decideWaitPolicy("sometimes", null, false));
        assertTrue(e.getMessage().contains(NativeEnvironment.WAIT_PROPERTY), e.getMessage());
    }

    /**
     * The test JVM's launcher listener applied the rules before ND4J loaded: without the variables in the
     * environment, OMP_WAIT_POLICY now says PASSIVE (and OPENBLAS_CORETYPE SkylakeX on an AVX-512 machine), and
     * apply() is idempotent.
     */
    @Test
    void theTestJvmRunsWithTheAppliedSettings() {
        Nd4j.create(1);                                          // the libraries are loaded by now, whatever the order
        assertTrue(NativeEnvironment.loaded("openblas") || !Files.exists(Path.of("/proc/self/maps")));
        List<NativeEnvironment.Setting> first = NativeEnvironment.apply();
        assertEquals(first, NativeEnvironment.apply());
        assertEquals(first.get(0).value(), NativeEnvironment.kernel(), first.get(0).describe());
        assertEquals(first.get(1).value(), NativeEnvironment.waitPolicy(), first.get(1).describe());
        if (System.getenv(NativeEnvironment.WAIT_VARIABLE) == null && System.getProperty(NativeEnvironment.WAIT_PROPERTY) == null) {
            assertEquals("PASSIVE", NativeEnvironment.waitPolicy(), first.get(1).describe());
        }
        if (System.getenv(NativeEnvironment.KERNEL_VARIABLE) == null && System.getProperty(NativeEnvironment.KERNEL_PROPERTY) == null
                && NativeEnvironment.cpuFlags().containsAll(NativeEnvironment.AVX512)) {
            assertEquals("SkylakeX", NativeEnvironment.kernel(), first.get(0).describe());
        }
    }
}
