package org.sparkdpo.jobs.cli;

import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.jobs.cli.options.OptionsException;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The DPO objective's options, shared by {@code train} and {@code eval} so both score pairs the same way. */
final class DpoOptions {
    private DpoOptions() {}

    static List<OptionSpec> specs() {
        return List.of(
                OptionSpec.ofList("loss", "TRL loss type(s): " + Arrays.stream(DpoLossType.values()).map(DpoLossType::trlName).toList()
                        + "; several (with --loss-weights) are summed, e.g. sigmoid,bco_pair,sft for MPO.").withDefault("sigmoid"),
                OptionSpec.ofList("loss-weights", "Weight per --loss entry (TRL's loss_weights); all 1 when not given."),
                OptionSpec.ofDouble("beta", "DPO beta (the KL penalty's inverse temperature).").withDefault(0.1)
                        .withValidator(Validator.positive()),
                OptionSpec.ofDouble("label-smoothing", "Label smoothing for sigmoid (cDPO), robust and exo_pair.")
                        .withDefault(0.0).withValidator(Validator.range(0, 0.4999)),
                OptionSpec.ofEnum("logps", "Sequence log-prob: sum over completion tokens (TRL) or mean (rasbt).", "sum", "mean")
                        .withDefault("sum"),
                OptionSpec.ofDouble("discopop-tau", "Temperature of the discopop loss.").withDefault(DpoConfig.DEFAULT_DISCOPOP_TAU)
                        .withValidator(Validator.positive()));
    }

    static DpoConfig parse(ParsedOptions o) {
        List<Double> weights = new ArrayList<>();
        if (o.has("loss-weights")) {
            for (String w : o.getList("loss-weights")) {
                try {
                    weights.add(Double.parseDouble(w.trim()));
                } catch (NumberFormatException e) {
                    throw new OptionsException(List.of("--loss-weights: expected numbers, got '" + w + "'"));
                }
            }
        }
        try {
            return new DpoConfig(DpoConfig.terms(o.getList("loss"), weights), o.getDouble("beta"), o.getDouble("label-smoothing"),
                    o.getEnum("logps").equals("mean") ? DpoConfig.LogpsMode.MEAN : DpoConfig.LogpsMode.SUM, o.getDouble("discopop-tau"));
        } catch (IllegalArgumentException e) {
            throw new OptionsException(List.of("--loss: " + e.getMessage()));
        }
    }
}
