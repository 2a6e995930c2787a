package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShownOrderTest {
    @Test
    void orderIsStablePerPairAndAnnotatorAndBothOrdersOccur() {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            String o = ShownOrder.of("p" + i, "ann");
            assertEquals(o, ShownOrder.of("p" + i, "ann"));
            counts.merge(o, 1, Integer::sum);
        }
        assertEquals(2, counts.size(), "both orders must occur: " + counts);
        assertTrue(counts.get("ab") > 60 && counts.get("ba") > 60, "orders roughly balanced: " + counts);
    }

    @Test
    void keysMapToContentChoicesThroughTheShownOrder() {
        assertEquals(Choice.CHOSEN_A, ShownOrder.fromKey("1", "ab"));
        assertEquals(Choice.CHOSEN_B, ShownOrder.fromKey("2", "ab"));
        assertEquals(Choice.CHOSEN_B, ShownOrder.fromKey("1", "ba"));
        assertEquals(Choice.CHOSEN_A, ShownOrder.fromKey("2", "ba"));
        assertEquals(Choice.TIE, ShownOrder.fromKey("t", "ba"));
        assertEquals(Choice.BOTH_BAD, ShownOrder.fromKey("b", "ab"));
        assertEquals(Choice.SKIP, ShownOrder.fromKey("s", "ab"));
        assertThrows(IllegalArgumentException.class, () -> ShownOrder.fromKey("3", "ab"));
        assertThrows(IllegalArgumentException.class, () -> ShownOrder.fromKey("1", "xx"));
    }
}
