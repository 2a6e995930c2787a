package org.sparkdpo.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The arena's views do not overlap, a repeated step reuses its blocks, and a larger one adds to them. */
class ActivationArenaTest {
    private static final long[][] STEP = {{3, 5}, {1000, 700}, {7}, {2, 3, 4}, {1500, 1500}, {9, 1}};

    @Test
    void viewsAreDisjointAndARepeatedStepReusesTheBlocks() {
        ActivationArena arena = new ActivationArena(DataType.FLOAT);
        arena.reset();
        fillAndCheck(arena);
        long held = arena.capacityBytes();
        assertTrue(held >= 4L * (15 + 700_000 + 7 + 24 + 2_250_000 + 9), "holds the step: " + held);
        for (int step = 0; step < 3; step++) {
            arena.reset();
            fillAndCheck(arena);
            assertEquals(held, arena.capacityBytes(), "the same step needs no new block");
        }
        arena.reset();
        arena.allocate(DataType.FLOAT, 3000, 3000);
        assertTrue(arena.capacityBytes() > held, "a larger step adds a block");
    }

    @Test
    void otherDataTypesAreOrdinaryArrays() {
        ActivationArena arena = new ActivationArena(DataType.FLOAT);
        arena.reset();
        INDArray ints = arena.allocate(DataType.INT64, 4);
        assertEquals(0, arena.capacityBytes());
        assertTrue(ints.closeable(), "not a view of the arena");
        INDArray f = arena.allocate(DataType.FLOAT, 4);
        assertFalse(f.closeable(), "views of the arena must not be closed");
    }

    /** Allocates {@link #STEP}, writes a distinct value into each view, then checks none was overwritten. */
    private static void fillAndCheck(ActivationArena arena) {
        List<INDArray> views = new ArrayList<>();
        for (int i = 0; i < STEP.length; i++) {
            INDArray v = arena.allocate(DataType.FLOAT, STEP[i]);
            assertTrue(java.util.Arrays.equals(STEP[i], v.shape()), "shape " + java.util.Arrays.toString(v.shape()));
            v.assign(i + 1);
            views.add(v);
        }
        for (int i = 0; i < views.size(); i++) {
            assertEquals(i + 1.0, views.get(i).minNumber().doubleValue(), "view " + i + " min");
            assertEquals(i + 1.0, views.get(i).maxNumber().doubleValue(), "view " + i + " max");
        }
    }
}
