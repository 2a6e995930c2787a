package org.sparkdpo.jobs.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The order in which one epoch visits the pairs, as batches of row indices, derived only from (seed, epoch) so a
 * resumed run sees exactly the batches an uninterrupted one would. With length grouping (like HF's
 * {@code group_by_length}), pairs are shuffled, cut into mega-batches of 50 batches, sorted by length inside
 * each, cut into batches, and the batch order is shuffled again: batches pad little, order stays random.
 * The last batch of an epoch may be smaller than the others and is always placed last.
 */
public final class BatchPlan {
    private static final int MEGA_BATCHES = 50;

    private final List<int[]> batches;

    private BatchPlan(List<int[]> batches) {
        this.batches = batches;
    }

    /** @param lengths sequence length (longer of chosen/rejected, prompt included) of each row, by row index */
    public static BatchPlan of(int[] lengths, int batchSize, long seed, int epoch, boolean groupByLength) {
        int n = lengths.length;
        Random rng = new Random(seed * 1_000_003L + epoch);
        Integer[] perm = new Integer[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Collections.shuffle(Arrays.asList(perm), rng);
        if (groupByLength) {
            int mega = batchSize * MEGA_BATCHES;
            for (int from = 0; from < n; from += mega) {
                Arrays.sort(perm, from, Math.min(n, from + mega), Comparator.comparingInt((Integer i) -> -lengths[i]));
            }
        }
        List<int[]> full = new ArrayList<>();
        int[] partial = null;
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            int[] b = new int[to - from];
            for (int i = from; i < to; i++) b[i - from] = perm[i];
            if (b.length == batchSize) full.add(b);
            else partial = b;
        }
        if (groupByLength) Collections.shuffle(full, rng);
        if (partial != null) full.add(partial);
        return new BatchPlan(List.copyOf(full));
    }

    public int numBatches() {
        return batches.size();
    }

    public int[] batch(int i) {
        return batches.get(i);
    }

    /** Batch number of every row (index = row index). */
    public int[] batchOfRow(int rows) {
        int[] out = new int[rows];
        Arrays.fill(out, -1);
        for (int b = 0; b < batches.size(); b++) for (int r : batches.get(b)) out[r] = b;
        return out;
    }

    /** Position of every row inside its batch (index = row index). */
    public int[] positionOfRow(int rows) {
        int[] out = new int[rows];
        for (int[] b : batches) for (int i = 0; i < b.length; i++) out[b[i]] = i;
        return out;
    }
}
