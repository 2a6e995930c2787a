package org.sparkdpo.jobs.train;

import org.sparkdpo.common.spark.ExecutorContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.DpoStats;
import org.sparkdpo.model.dpo.PreferencePair;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Scores pairs with a policy (frozen base + LoRA weights) on the executors, with the same objective code the
 * trainer differentiates: used for the held-out evaluation during training and by the {@code eval} command.
 */
public final class Evaluator {
    private Evaluator() {}

    /** Per-pair scores; each partition is sorted by length and cut into batches of {@code batchSize}. */
    public static JavaRDD<PairScore> score(JavaRDD<PreferencePair> pairs, TrainingModel.Spec spec,
                                           Broadcast<LoraWeights> weights, int batchSize) {
        return pairs.mapPartitions(it -> scorePartition(it, spec, weights.value(), batchSize));
    }

    static Iterator<PairScore> scorePartition(Iterator<PreferencePair> it, TrainingModel.Spec spec, LoraWeights w, int batchSize) {
        try {
            return scoreAll(it, spec, w, batchSize);
        } catch (OutOfMemoryError e) {
            throw org.sparkdpo.common.TaskOutOfMemoryException.of(e, "an evaluation task ("
                    + ExecutorContext.where() + ")", "--batch-size (eval) or --eval-batch-size (train)");
        }
    }

    private static Iterator<PairScore> scoreAll(Iterator<PreferencePair> it, TrainingModel.Spec spec, LoraWeights w, int batchSize) {
        List<PreferencePair> all = new ArrayList<>();
        it.forEachRemaining(all::add);
        if (all.isEmpty()) return java.util.Collections.emptyIterator();
        all.sort(Comparator.comparingInt(PreferencePair::maxLength).thenComparing(PreferencePair::id));
        ExecutorContext.bindGpu(org.apache.spark.TaskContext.get());
        TrainingModel model = TrainingModel.of(spec);
        DataType dt = spec.dtype();
        Map<String, INDArray> arrays = w.arrays(dt);
        DpoObjective objective = model.objective();
        List<PairScore> out = new ArrayList<>(all.size());
        for (int from = 0; from < all.size(); from += batchSize) {
            List<PreferencePair> batch = all.subList(from, Math.min(all.size(), from + batchSize));
            DpoObjective.Result r = objective.run(batch, arrays, false, 0,
                    DpoLoraLayer.padTo(batch, model.base().model().config().maxPositions()));
            for (int i = 0; i < batch.size(); i++) {
                PreferencePair p = batch.get(i);
                out.add(new PairScore(p.id(), r.policyLogps()[0][i], r.policyLogps()[1][i], p.refChosen(), p.refRejected(),
                        r.counts()[0][i], r.counts()[1][i], r.logitSums()[0][i], r.logitSums()[1][i], r.pairLosses()[i]));
            }
        }
        return out.iterator();
    }

    /** TRL's metrics over scored pairs (in the objective's log-prob convention). */
    public static DpoStats stats(JavaRDD<PairScore> scores, DpoConfig cfg, long vocab) {
        return scores.mapPartitions(it -> {
            DpoStats s = DpoStats.EMPTY;
            while (it.hasNext()) s = s.merge(stats(it.next(), cfg, vocab));
            return List.of(s).iterator();
        }).reduce(DpoStats::merge);
    }

    /** Statistics of one scored pair. */
    public static DpoStats stats(PairScore p, DpoConfig cfg, long vocab) {
        boolean mean = cfg.logps() == DpoConfig.LogpsMode.MEAN;
        double nc = mean ? p.chosenTokens() : 1, nr = mean ? p.rejectedTokens() : 1;
        return DpoStats.of(p.loss(), cfg.beta(), new double[][]{{p.policyChosen() / nc}, {p.policyRejected() / nr}},
                new double[][]{{p.refChosen() / nc}, {p.refRejected() / nr}},
                new double[][]{{p.chosenLogitSum()}, {p.rejectedLogitSum()}},
                new int[][]{{p.chosenTokens()}, {p.rejectedTokens()}}, vocab);
    }
}
