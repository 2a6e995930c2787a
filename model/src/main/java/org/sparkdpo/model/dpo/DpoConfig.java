package org.sparkdpo.model.dpo;

import java.util.ArrayList;
import java.util.List;

/**
 * What the DPO objective is: one or more TRL loss types with weights ({@code loss_weights}; MPO is
 * sigmoid + bco_pair + sft), beta, label smoothing, and whether sequence log-probs are summed over completion
 * tokens (TRL) or averaged (rasbt's from-scratch notebook).
 */
public record DpoConfig(List<Term> terms, double beta, double labelSmoothing, LogpsMode logps, double discopopTau)
        implements java.io.Serializable {
    /** One weighted loss term. */
    public record Term(DpoLossType type, double weight) implements java.io.Serializable {}

    /** How per-token log-probs become a sequence log-prob. */
    public enum LogpsMode { SUM, MEAN }

    public static final double DEFAULT_BETA = 0.1;
    public static final double DEFAULT_DISCOPOP_TAU = 0.05;

    public DpoConfig {
        if (terms == null || terms.isEmpty()) throw new IllegalArgumentException("at least one loss type is needed");
        terms = List.copyOf(terms);
        if (!(beta > 0)) throw new IllegalArgumentException("beta must be positive, got " + beta);
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (!(discopopTau > 0)) throw new IllegalArgumentException("discopop tau must be positive, got " + discopopTau);
    }

    /** A single loss type with weight 1 and TRL's defaults otherwise. */
    public static DpoConfig of(DpoLossType type, double beta, double labelSmoothing) {
        return new DpoConfig(List.of(new Term(type, 1.0)), beta, labelSmoothing, LogpsMode.SUM, DEFAULT_DISCOPOP_TAU);
    }

    /**
     * Loss types and weights as TRL takes them: {@code types} like ["sigmoid", "bco_pair", "sft"], {@code weights}
     * null (all 1) or of the same length.
     */
    public static List<Term> terms(List<String> types, List<Double> weights) {
        if (weights != null && !weights.isEmpty() && weights.size() != types.size()) {
            throw new IllegalArgumentException("loss_weights has " + weights.size() + " entries for " + types.size() + " loss types");
        }
        List<Term> out = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            double w = weights == null || weights.isEmpty() ? 1.0 : weights.get(i);
            out.add(new Term(DpoLossType.parse(types.get(i)), w));
        }
        return out;
    }
}
