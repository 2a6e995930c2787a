package org.sparkdpo.prep.pair;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TruncationTest {
    static final int[] P = {10, 11, 12, 13};
    static final int[] C = {20, 21, 22};
    static final int[] R = {30, 31, 32, 33, 34};

    static TokenizedPair cut(int maxLength, int maxPrompt, TruncationMode mode, int bos, int[] p, int[] c, int[] r) throws Rejected {
        return new Truncation(maxLength, maxPrompt, mode, bos).apply(new TokenizedPair(p, c, r));
    }

    @Test
    void fittingPairsAreUntouched() throws Rejected {
        TokenizedPair t = cut(9, 0, TruncationMode.KEEP_START, -1, P, C, R);
        assertArrayEquals(P, t.prompt());
        assertArrayEquals(R, t.rejected());
        assertFalse(t.truncated());
        assertEquals(9, t.seqLen());
    }

    @Test
    void keepStartCutsTheEndOfEachCompletion() throws Rejected {
        TokenizedPair t = cut(6, 0, TruncationMode.KEEP_START, -1, P, C, R);
        assertArrayEquals(P, t.prompt());
        assertArrayEquals(new int[] {20, 21}, t.chosen());
        assertArrayEquals(new int[] {30, 31}, t.rejected());
        assertTrue(t.truncated());
        Rejected r = assertThrows(Rejected.class, () -> cut(4, 0, TruncationMode.KEEP_START, -1, P, C, R));
        assertEquals(RejectReason.TOO_LONG, r.reason());
    }

    @Test
    void keepEndDropsTheStartOfThePromptForTheLongerCompletion() throws Rejected {
        TokenizedPair t = cut(7, 0, TruncationMode.KEEP_END, -1, P, C, R);
        assertArrayEquals(new int[] {12, 13}, t.prompt());
        assertArrayEquals(C, t.chosen());
        assertArrayEquals(R, t.rejected());
        assertEquals(7, t.seqLen());
        // With a BOS at the start, it stays in front of the kept tail.
        t = cut(7, 0, TruncationMode.KEEP_END, 10, P, C, R);
        assertArrayEquals(new int[] {10, 13}, t.prompt());
        Rejected r = assertThrows(Rejected.class, () -> cut(5, 0, TruncationMode.KEEP_END, -1, P, C, R));
        assertEquals(RejectReason.TOO_LONG, r.reason());
    }

    @Test
    void maxPromptLengthKeepsTheLastPromptTokens() throws Rejected {
        TokenizedPair t = cut(0, 2, TruncationMode.KEEP_START, -1, P, C, R);
        assertArrayEquals(new int[] {12, 13}, t.prompt());
        assertTrue(t.truncated());
        t = cut(0, 3, TruncationMode.KEEP_START, 10, P, C, R);
        assertArrayEquals(new int[] {10, 12, 13}, t.prompt());
    }

    @Test
    void completionsThatBecomeIdenticalAreRejected() {
        Rejected r = assertThrows(Rejected.class, () -> cut(5, 0, TruncationMode.KEEP_START, -1, P, new int[] {1, 2}, new int[] {1, 3}));
        assertEquals(RejectReason.CHOSEN_EQUALS_REJECTED, r.reason());
    }

    @Test
    void emptyPiecesAreRejected() {
        assertEquals(RejectReason.EMPTY_COMPLETION, assertThrows(Rejected.class,
                () -> cut(0, 0, TruncationMode.KEEP_START, -1, P, new int[0], R)).reason());
        assertEquals(RejectReason.EMPTY_FIELD, assertThrows(Rejected.class,
                () -> cut(0, 0, TruncationMode.KEEP_START, -1, new int[0], C, R)).reason());
        assertThrows(IllegalArgumentException.class, () -> new Truncation(8, 8, TruncationMode.KEEP_START, -1));
    }
}
