package org.sparkdpo.model.logprob;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LengthBucketsTest {
    @Test
    void bucketsArePowersOfTwoAndMidpointsCappedAtMaxLength() {
        int[][] cases = {{1, 8}, {8, 8}, {9, 12}, {12, 12}, {13, 16}, {17, 24}, {25, 32}, {33, 48}, {100, 128}, {129, 192},
                {700, 768}, {769, 1024}};
        for (int[] c : cases) assertEquals(c[1], LengthBuckets.of(c[0], 0), "length " + c[0]);
        assertEquals(1000, LengthBuckets.of(900, 1000));
        assertEquals(768, LengthBuckets.of(700, 1000));
        for (int len = 1; len < 5000; len++) {
            int b = LengthBuckets.of(len, 0);
            assertEquals(true, b >= len && b < 1.5 * len + 8, "length " + len + " bucket " + b);
        }
    }
}
