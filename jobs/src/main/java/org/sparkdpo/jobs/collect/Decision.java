package org.sparkdpo.jobs.collect;

import java.time.Instant;

/**
 * One journaled decision.
 *
 * @param seq        the journal event number (1-based, increasing; undo events take numbers too)
 * @param key        the key pressed ("1", "2", "t", "b", "s"), relative to {@code shownOrder}
 * @param shownOrder "ab" when answer_a was shown first, "ba" otherwise
 */
public record Decision(long seq, String pairId, String annotator, Choice choice, String key, String shownOrder,
                       Instant decidedAt) {}
