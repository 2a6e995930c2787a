package org.sparkdpo.jobs.precompute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BatchPlannerTest {
    @Test
    void padsToBucketsCappedAtPositions() {
        BatchPlanner p = new BatchPlanner(8192, 64, 100);
        assertEquals(8, p.paddedLength(1));
        assertEquals(16, p.paddedLength(16));
        assertEquals(24, p.paddedLength(17));
        assertEquals(100, p.paddedLength(97));
    }

    @Test
    void closesBatchOnTokenBudgetOrSequenceCount() {
        BatchPlanner p = new BatchPlanner(256, 64, 1024);
        assertTrue(p.fits(0, 0, 1000), "an empty batch takes any pair");
        assertTrue(p.fits(3, 30, 32));        // 8 sequences x 32 = 256
        assertFalse(p.fits(4, 30, 32));       // 10 x 32 = 320 > 256
        assertFalse(p.fits(1, 16, 129));      // 4 x 192 > 256
        BatchPlanner few = new BatchPlanner(1 << 20, 4, 1024);
        assertTrue(few.fits(1, 10, 10));
        assertFalse(few.fits(2, 10, 10), "at most 4 sequences");
    }
}
