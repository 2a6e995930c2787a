package org.sparkdpo.jobs.train;

/**
 * Where a run stands at a checkpoint: the next round to run (epoch, round within the epoch), optimiser steps
 * done, pairs seen, and the seeds that fix data order, LoRA initialisation and dropout. Together with the
 * adapter and the updater state this is all a resumed run needs to continue exactly.
 */
public record TrainerState(int step, int epoch, int roundInEpoch, long pairsSeen, long dataSeed, long loraSeed,
                           long dropoutSeed) {}
