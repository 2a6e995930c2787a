package org.sparkdpo.jobs.train;

import org.sparkdpo.model.TestWeights;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.dpo.DpoGraph;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Training inputs in the precompute-ref output layout, written straight from pairs whose reference log-probs
 * are computed here with the model module's scorer (the training tests need data, not the precompute job).
 */
final class PrecomputedPairs {
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("prompt_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("chosen_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("rejected_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("ref_chosen_logps", DataTypes.DoubleType)
            .add("ref_rejected_logps", DataTypes.DoubleType);

    private PrecomputedPairs() {}

    /** Writes pairs (with their reference log-probs as given) as Parquet in {@code parts} files. */
    static Path write(SparkSession spark, List<PreferencePair> pairs, Path dir, int parts) {
        List<Row> rows = new ArrayList<>();
        for (PreferencePair p : pairs) {
            rows.add(RowFactory.create(p.id(), boxed(p.promptIds()), boxed(p.chosenIds()), boxed(p.rejectedIds()),
                    p.refChosen(), p.refRejected()));
        }
        Dataset<Row> df = spark.createDataFrame(rows, SCHEMA).repartition(parts);
        df.write().parquet(dir.toString());
        return dir;
    }

    private static List<Integer> boxed(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    /**
     * A small learnable task for the tiny GPT-2: random short prompts; chosen completions drawn from one small
     * token set, rejected ones from another. Reference log-probs from the base model in float32.
     */
    static List<PreferencePair> learnable(int n, long seed) {
        int[] good = {262, 290, 286, 257};
        int[] bad = {11, 13, 30, 0};
        Random rng = new Random(seed);
        List<PreferencePair> raw = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] prompt = new int[2 + rng.nextInt(5)];
            for (int j = 0; j < prompt.length; j++) prompt[j] = 1000 + rng.nextInt(2000);
            int[] chosen = new int[2 + rng.nextInt(3)];
            int[] rejected = new int[2 + rng.nextInt(3)];
            for (int j = 0; j < chosen.length; j++) chosen[j] = good[rng.nextInt(good.length)];
            for (int j = 0; j < rejected.length; j++) rejected[j] = bad[rng.nextInt(bad.length)];
            raw.add(new PreferencePair(String.format("pair-%03d", i), prompt, chosen, rejected, Double.NaN, Double.NaN));
        }
        return withReference(raw);
    }

    /** The pairs with reference log-probs from the base tiny GPT-2 (float32). */
    static List<PreferencePair> withReference(List<PreferencePair> pairs) {
        BaseWeights base = TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT);
        CompletionScores s = new CompletionScorer(base, null).score(DpoGraph.sequences(pairs));
        List<PreferencePair> out = new ArrayList<>();
        int b = pairs.size();
        for (int i = 0; i < b; i++) {
            PreferencePair p = pairs.get(i);
            out.add(new PreferencePair(p.id(), p.promptIds(), p.chosenIds(), p.rejectedIds(), s.sums()[i], s.sums()[b + i]));
        }
        return out;
    }
}
