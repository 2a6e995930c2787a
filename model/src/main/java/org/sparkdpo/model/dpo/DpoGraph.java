package org.sparkdpo.model.dpo;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.LogProbGraph;
import org.sparkdpo.model.logprob.SequenceBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The DPO objective for B pairs as one graph: chosen and rejected sequences run as one batch of 2B (TRL's
 * concatenated forward), reference log-probs come in as placeholders (precomputed, never recomputed here).
 */
public final class DpoGraph {
    public static final String REF_LOGPS = "ref_logps";
    public static final String COUNTS = "completion_counts";

    private DpoGraph() {}

    public static final String POLICY_LOGPS = "policy_logps";

    public static DpoLoss.Outputs build(ModelGraph g, int pairs, int t, int rows, DpoConfig cfg) {
        LogProbGraph.Outputs lp = LogProbGraph.build(g, 2 * pairs, t, rows);
        return loss(g.sd(), lp.seqLogps(), pairs, g.dtype(), cfg);
    }

    /**
     * The loss alone, on an input variable {@value #POLICY_LOGPS} [2B] of policy sequence log-probs (chosen first),
     * for executors that compute the log-probs outside the graph; its gradient with respect to that placeholder
     * is what they chain back.
     */
    public static DpoLoss.Outputs buildLoss(SameDiff sd, int pairs, DataType dt, DpoConfig cfg) {
        return loss(sd, org.sparkdpo.model.exec.BlockwiseLm.input(sd, POLICY_LOGPS, dt, true, 2L * pairs), pairs, dt, cfg);
    }

    private static DpoLoss.Outputs loss(SameDiff sd, SDVariable seqLogps, int pairs, DataType dt, DpoConfig cfg) {
        SDVariable ref = sd.placeHolder(REF_LOGPS, dt, pairs, 2);
        SDVariable counts = sd.placeHolder(COUNTS, dt, 2L * pairs);
        SDVariable chosen = seqLogps.get(SDIndex.interval(0, pairs));
        SDVariable rejected = seqLogps.get(SDIndex.interval(pairs, 2 * pairs));
        DpoLoss.Inputs in = new DpoLoss.Inputs(chosen, rejected,
                ref.get(SDIndex.all(), SDIndex.point(0)), ref.get(SDIndex.all(), SDIndex.point(1)),
                counts.get(SDIndex.interval(0, pairs)), counts.get(SDIndex.interval(pairs, 2 * pairs)));
        DpoLoss.Outputs out = DpoLoss.build(sd, cfg, in);
        sd.setLossVariables(out.loss());
        return out;
    }

    /** The 2B completions of a pair batch: all chosen first, then all rejected. */
    public static List<Completion> sequences(List<PreferencePair> pairs) {
        List<Completion> seqs = new ArrayList<>(2 * pairs.size());
        for (PreferencePair p : pairs) seqs.add(p.chosen());
        for (PreferencePair p : pairs) seqs.add(p.rejected());
        return seqs;
    }

    /** Placeholder values for a pair batch padded to T. */
    public static Map<String, INDArray> placeholders(List<PreferencePair> pairs, SequenceBatch seqs, DataType dt) {
        Map<String, INDArray> m = seqs.placeholders(dt);
        m.putAll(lossPlaceholders(pairs, seqs, dt));
        return m;
    }

    /** The reference log-probs and completion counts of a pair batch (the loss graph's own placeholders). */
    public static Map<String, INDArray> lossPlaceholders(List<PreferencePair> pairs, SequenceBatch seqs, DataType dt) {
        Map<String, INDArray> m = new java.util.HashMap<>();
        int b = pairs.size();
        double[] ref = new double[2 * b];
        for (int i = 0; i < b; i++) {
            PreferencePair p = pairs.get(i);
            if (Double.isNaN(p.refChosen()) || Double.isNaN(p.refRejected())) {
                throw new IllegalArgumentException("pair '" + p.id() + "' has no reference log-probs (run precompute-ref first)");
            }
            ref[2 * i] = p.refChosen();
            ref[2 * i + 1] = p.refRejected();
        }
        int[] counts = seqs.counts();
        double[] c = new double[counts.length];
        for (int i = 0; i < c.length; i++) c[i] = counts[i];
        m.put(REF_LOGPS, Nd4j.create(ref, new long[]{b, 2}, DataType.DOUBLE).castTo(dt));
        m.put(COUNTS, Nd4j.create(c, new long[]{c.length}, DataType.DOUBLE).castTo(dt));
        return m;
    }
}
