package org.sparkdpo.model.dpo;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.sparkdpo.model.nn.Ops;

/**
 * TRL's DPO loss family as a SameDiff graph over per-pair sequence log-probs, so the same code gives the loss,
 * its gradient (training) and per-pair values (evaluation).
 *
 * <p>Formulas follow TRL's {@code DPOTrainer}: label smoothing applies to {@code sigmoid} (cDPO, TRL up to
 * 0.28), {@code robust} and {@code exo_pair} (epsilon 1e-3 when 0); {@code ipo} and {@code sigmoid_norm} use
 * per-token averages of the log-ratios; {@code bco_pair} has no running-mean shift; {@code sft} is the token
 * NLL of the chosen completions. The batch loss is sum over terms of weight * mean over pairs.
 */
public final class DpoLoss {
    /** Per-pair inputs [B]: summed completion log-probs of policy and reference, and completion token counts. */
    public record Inputs(SDVariable policyChosen, SDVariable policyRejected, SDVariable refChosen,
                         SDVariable refRejected, SDVariable chosenCount, SDVariable rejectedCount) {}

    /** The per-pair loss [B] (weighted over terms) and the batch loss (scalar). */
    public record Outputs(SDVariable pairLosses, SDVariable loss) {}

    public static final String PAIR_LOSSES = "pair_losses";
    public static final String LOSS = "loss";

    private DpoLoss() {}

    public static Outputs build(SameDiff sd, DpoConfig cfg, Inputs in) {
        boolean mean = cfg.logps() == DpoConfig.LogpsMode.MEAN;
        SDVariable pc = mean ? in.policyChosen().div(in.chosenCount()) : in.policyChosen();
        SDVariable pr = mean ? in.policyRejected().div(in.rejectedCount()) : in.policyRejected();
        SDVariable rc = mean ? in.refChosen().div(in.chosenCount()) : in.refChosen();
        SDVariable rr = mean ? in.refRejected().div(in.rejectedCount()) : in.refRejected();
        SDVariable chosenRatio = pc.sub(rc);
        SDVariable rejectedRatio = pr.sub(rr);
        SDVariable delta = chosenRatio.sub(rejectedRatio);
        SDVariable avgDelta = mean ? delta
                : chosenRatio.div(in.chosenCount()).sub(rejectedRatio.div(in.rejectedCount()));

        double beta = cfg.beta();
        double ls = cfg.labelSmoothing();
        SDVariable total = null;
        SDVariable perPair = null;
        for (DpoConfig.Term term : cfg.terms()) {
            SDVariable l = switch (term.type()) {
                case SIGMOID -> smoothedSigmoid(sd, delta.mul(beta), ls);
                case HINGE -> sd.nn.relu(delta.mul(-beta).add(1.0), 0.0);
                case IPO -> square(avgDelta.sub(1.0 / (2 * beta)));
                case ROBUST -> Ops.logSigmoid(sd, delta.mul(beta)).mul(-(1 - ls))
                        .add(Ops.logSigmoid(sd, delta.mul(-beta)).mul(ls)).div(1 - 2 * ls);
                case EXO_PAIR -> exoPair(sd, delta.mul(beta), ls == 0 ? 1e-3 : ls);
                case NCA_PAIR -> Ops.logSigmoid(sd, chosenRatio.mul(beta)).neg()
                        .sub(Ops.logSigmoid(sd, chosenRatio.mul(-beta)).mul(0.5))
                        .sub(Ops.logSigmoid(sd, rejectedRatio.mul(-beta)).mul(0.5));
                case BCO_PAIR -> Ops.logSigmoid(sd, chosenRatio.mul(beta)).neg()
                        .sub(Ops.logSigmoid(sd, rejectedRatio.mul(-beta)));
                case SPPO_HARD -> square(chosenRatio.sub(0.5 / beta)).add(square(rejectedRatio.add(0.5 / beta)));
                case APO_ZERO -> sd.nn.sigmoid(chosenRatio.mul(beta)).rsub(1.0).add(sd.nn.sigmoid(rejectedRatio.mul(beta)));
                case APO_DOWN -> sd.nn.sigmoid(chosenRatio.mul(beta)).add(sd.nn.sigmoid(delta.mul(beta)).rsub(1.0));
                case DISCOPOP -> discopop(sd, delta.mul(beta), cfg.discopopTau());
                case SIGMOID_NORM -> Ops.logSigmoid(sd, avgDelta.mul(beta)).neg();
                case SFT -> in.policyChosen().sum().div(in.chosenCount().sum()).neg().add(delta.mul(0.0));
            };
            SDVariable weighted = l.mul(term.weight());
            perPair = perPair == null ? weighted : perPair.add(weighted);
            SDVariable termLoss = weighted.mean();
            total = total == null ? termLoss : total.add(termLoss);
        }
        return new Outputs(sd.identity(PAIR_LOSSES, perPair), sd.identity(LOSS, total));
    }

    private static SDVariable smoothedSigmoid(SameDiff sd, SDVariable z, double ls) {
        SDVariable l = Ops.logSigmoid(sd, z).mul(-(1 - ls));
        return ls == 0 ? l : l.sub(Ops.logSigmoid(sd, z.neg()).mul(ls));
    }

    private static SDVariable exoPair(SameDiff sd, SDVariable z, double eps) {
        SDVariable qw = sd.nn.sigmoid(z);
        SDVariable ql = sd.nn.sigmoid(z.neg());
        return qw.mul(Ops.logSigmoid(sd, z).sub(Math.log1p(-eps)))
                .add(ql.mul(Ops.logSigmoid(sd, z.neg()).sub(Math.log(eps))));
    }

    private static SDVariable discopop(SameDiff sd, SDVariable z, double tau) {
        SDVariable modulation = sd.nn.sigmoid(z.div(tau));
        SDVariable logistic = Ops.logSigmoid(sd, z).neg();
        SDVariable exponential = sd.math.exp(z.neg());
        return logistic.mul(modulation.rsub(1.0)).add(exponential.mul(modulation));
    }

    private static SDVariable square(SDVariable x) {
        return x.mul(x);
    }
}
