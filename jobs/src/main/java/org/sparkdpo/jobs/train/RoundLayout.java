package org.sparkdpo.jobs.train;

/**
 * How an epoch's batches map onto averaging rounds: a round gives each of W workers up to k batches (k = the
 * averaging frequency); batch q of the round goes to worker q mod W as its local step q / W. One "step" is one
 * local step on every worker, i.e. W batches of pairs, like one optimiser step of W data-parallel devices.
 */
public record RoundLayout(int workers, int averagingFrequency, int numBatches) implements java.io.Serializable {
    public int batchesPerRound() {
        return workers * averagingFrequency;
    }

    public int rounds() {
        return (numBatches + batchesPerRound() - 1) / batchesPerRound();
    }

    public int roundOf(int batch) {
        return batch / batchesPerRound();
    }

    public int workerOf(int batch) {
        return (batch % batchesPerRound()) % workers;
    }


    /** Steps (local steps of the busiest worker) in round r. */
    public int stepsIn(int round) {
        int first = round * batchesPerRound();
        int inRound = Math.min(batchesPerRound(), numBatches - first);
        return (inRound + workers - 1) / workers;
    }

    /** Steps in a whole epoch. */
    public int stepsPerEpoch() {
        int s = 0;
        for (int r = 0; r < rounds(); r++) s += stepsIn(r);
        return s;
    }

    /** The Spark partition holding a batch: one partition per (round, worker). */
    public int partitionOf(int batch) {
        return roundOf(batch) * workers + workerOf(batch);
    }
}
