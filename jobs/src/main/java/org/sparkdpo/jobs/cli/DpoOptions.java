package org.sparkdpo.jobs.cli;

import java.util.ArrayList;
import java.util.List;
import org.sparkdpo.model.dpo.DpoConfig;
import picocli.CommandLine.Option;

/**
 * The DPO objective's options, a picocli mixin shared by {@code train} and {@code eval} so both score pairs the
 * same way.
 */
final class DpoOptions {
    @Option(names = "--loss", split = ",", defaultValue = "sigmoid", description = "TRL loss type(s): [sigmoid, hinge,"
            + " ipo, robust, exo_pair, nca_pair, bco_pair, sppo_hard, apo_zero, apo_down, discopop, sigmoid_norm, sft];"
            + " several (with --loss-weights) are summed, e.g. sigmoid,bco_pair,sft for MPO.")
    List<String> loss;

    @Option(names = "--loss-weights", split = ",", description = "Weight per --loss entry (TRL's loss_weights); all 1 when not given.")
    List<String> lossWeights;

    @Option(names = "--beta", defaultValue = "0.1", description = "DPO beta (the KL penalty's inverse temperature).")
    @Check.Positive double beta;

    @Option(names = "--label-smoothing", defaultValue = "0.0", description = "Label smoothing for sigmoid (cDPO), robust and exo_pair.")
    @Check.Range(min = 0, max = 0.4999) double labelSmoothing;

    @Option(names = "--logps", defaultValue = "sum", description = "Sequence log-prob: sum over completion tokens (TRL) or mean (rasbt).")
    @Check.OneOf({"sum", "mean"}) String logps;

    @Option(names = "--discopop-tau", defaultValue = "" + DpoConfig.DEFAULT_DISCOPOP_TAU, description = "Temperature of the discopop loss.")
    @Check.Positive double discopopTau;

    /** The objective; bad loss names or weights raise {@link UsageException}. */
    DpoConfig config() {
        List<Double> weights = new ArrayList<>();
        if (lossWeights != null) {
            for (String w : lossWeights) {
                try {
                    weights.add(Double.parseDouble(w.trim()));
                } catch (NumberFormatException e) {
                    throw new UsageException("--loss-weights: expected numbers, got '" + w + "'");
                }
            }
        }
        try {
            return new DpoConfig(DpoConfig.terms(loss, weights), beta, labelSmoothing,
                    logps.equals("mean") ? DpoConfig.LogpsMode.MEAN : DpoConfig.LogpsMode.SUM, discopopTau);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--loss: " + e.getMessage());
        }
    }
}
