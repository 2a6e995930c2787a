package org.sparkdpo.model.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class OpenBlasKernelTest {
    /** Flags of the AMD EPYC (family 0x1A) this project measured on, where ND4J's OpenBLAS chose Barcelona. */
    private static final String ZEN5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512vbmi\n"
            + "processor\t: 1\nflags\t\t: fpu\n";
    private static final Set<String> AVX2_ONLY = Set.of("sse2", "avx", "avx2", "fma");

    @Test
    void parsesTheFirstProcessorsFlags() {
        Set<String> flags = OpenBlasKernel.parseFlags(ZEN5);
        assertTrue(flags.containsAll(OpenBlasKernel.AVX512), flags.toString());
        assertFalse(flags.contains("processor"));
        assertEquals(Set.of(), OpenBlasKernel.parseFlags("model name: none\n"));
    }

    @Test
    void avx512CpusGetSkylakeXKernelsUnlessTheEnvironmentOrThePropertySaysOtherwise() {
        Set<String> zen5 = OpenBlasKernel.parseFlags(ZEN5);
        OpenBlasKernel.Choice auto = OpenBlasKernel.decide(null, null, zen5, false);
        assertEquals("SkylakeX", auto.coreType());
        assertTrue(auto.set());

        OpenBlasKernel.Choice env = OpenBlasKernel.decide("auto", "Haswell", zen5, false);
        assertEquals("Haswell", env.coreType());
        assertFalse(env.set(), "a kernel the user exported is kept");

        OpenBlasKernel.Choice forced = OpenBlasKernel.decide("Zen", "Haswell", zen5, false);
        assertEquals("Zen", forced.coreType());
        assertTrue(forced.set(), "the property overrides the environment");

        OpenBlasKernel.Choice off = OpenBlasKernel.decide("off", null, zen5, false);
        assertNull(off.coreType());
        assertFalse(off.set());
    }

    @Test
    void otherCpusAndLoadedLibrariesAreLeftAlone() {
        Set<String> oneMissing = new HashSet<>(OpenBlasKernel.AVX512);
        oneMissing.remove("avx512vl");
        assertFalse(OpenBlasKernel.decide(null, null, oneMissing, false).set());
        assertNull(OpenBlasKernel.decide(null, null, AVX2_ONLY, false).coreType());
        assertNull(OpenBlasKernel.decide(null, null, Set.of(), false).coreType());
        OpenBlasKernel.Choice loaded = OpenBlasKernel.decide("SkylakeX", null, OpenBlasKernel.AVX512, true);
        assertFalse(loaded.set(), "OpenBLAS reads the variable only when it is loaded");
        assertTrue(loaded.reason().contains("already loaded"), loaded.reason());
    }

    @Test
    void refusesANameOpenBlasCouldNotMeanWithTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenBlasKernel.decide("Skylake X; rm", null, Set.of(), false));
        assertTrue(e.getMessage().contains(OpenBlasKernel.PROPERTY), e.getMessage());
    }

    /**
     * The test JVM's launcher listener applied the rule before ND4J loaded: on an AVX-512 machine without a
     * kernel in the environment the variable now says SkylakeX, and apply() is idempotent.
     */
    @Test
    void theTestJvmRunsWithTheAppliedChoice() {
        Nd4j.create(1);                                          // OpenBLAS is loaded by now, whatever the order
        assertTrue(OpenBlasKernel.openBlasLoaded() || !java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/maps")));
        OpenBlasKernel.Choice first = OpenBlasKernel.apply();
        assertEquals(first, OpenBlasKernel.apply());
        if (first.coreType() != null) assertEquals(first.coreType(), OpenBlasKernel.current());
        if (System.getenv(OpenBlasKernel.VARIABLE) == null && System.getProperty(OpenBlasKernel.PROPERTY) == null
                && OpenBlasKernel.cpuFlags().containsAll(OpenBlasKernel.AVX512)) {
            assertEquals("SkylakeX", OpenBlasKernel.current(), first.describe());
            assertTrue(first.set(), first.describe());
        }
    }
}
