package org.sparkdpo.jobs.train;

import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.common.spark.HadoopPaths;
import org.sparkdpo.data.PairColumns;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.data.PairShards;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoStats;
import org.sparkdpo.model.io.PathTrees;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.lora.LoraAdapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@code eval}: scores a prepared, reference-scored dataset with a policy (base + adapter, or the base alone) using
 * the trainer's own objective code, and writes per-pair results (Parquet) plus TRL-named summary metrics.
 */
public final class EvalJob {
    /** @param adapter null evaluates the base model as the policy (rewards 0, loss log 2 for sigmoid) */
    public record Settings(String data, String model, String adapter, Path out, DpoConfig dpo, int batchSize, DataType dtype) {
        /** These settings with the Hadoop paths qualified on the driver ({@link HadoopPaths#qualify}), as tasks need them. */
        public Settings qualified(org.apache.hadoop.conf.Configuration conf) throws IOException {
            return new Settings(HadoopPaths.qualify(data, conf), HadoopPaths.qualify(model, conf),
                    HadoopPaths.qualify(adapter, conf), out, dpo, batchSize, dtype);
        }
    }

    public record Result(Path pairsDir, Path summaryFile, Map<String, Double> metrics, long pairs) {}

    public static final StructType SCHEMA = new StructType()
            .add(PairColumns.ID, DataTypes.StringType)
            .add("policy_chosen_logps", DataTypes.DoubleType)
            .add("policy_rejected_logps", DataTypes.DoubleType)
            .add(PairColumns.REF_CHOSEN_LOGPS, DataTypes.DoubleType)
            .add(PairColumns.REF_REJECTED_LOGPS, DataTypes.DoubleType)
            .add("chosen_tokens", DataTypes.IntegerType)
            .add("rejected_tokens", DataTypes.IntegerType)
            .add("chosen_rewards", DataTypes.DoubleType)
            .add("rejected_rewards", DataTypes.DoubleType)
            .add("reward_margin", DataTypes.DoubleType)
            .add("loss", DataTypes.DoubleType);

    private EvalJob() {}

    public static Result run(SparkSession spark, Settings settings) throws IOException {
        Settings o = settings.qualified(spark.sparkContext().hadoopConfiguration());
        if (Files.exists(o.out())) throw new org.sparkdpo.common.JobRefusedException(
                "output folder " + o.out() + " already exists");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        var base = ExecutorContext.weights(TrainingModel.local(o.model()), o.dtype());
        LoraAdapter adapter = o.adapter() == null ? LoraWeights.identity(base.model(), o.dtype())
                : LoraAdapter.load(TrainingModel.local(o.adapter()), base.model(), o.dtype());
        TrainingModel.Spec spec = TrainingModel.Spec.of(o.model(), o.dtype(), adapter.config(), o.dpo(), null, 0, 0, 1);
        PairShards data = PairShards.read(spark, o.data());
        Broadcast<LoraWeights> w = sc.broadcast(LoraWeights.of(adapter));
        JavaRDD<PairScore> scores = Evaluator.score(data.pairs().values(), spec, w, o.batchSize()).cache();
        DpoStats stats = Evaluator.stats(scores, o.dpo(), base.model().config().vocabSize());

        Path parent = o.out().toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + o.out().getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            double beta = o.dpo().beta();
            boolean mean = o.dpo().logps() == DpoConfig.LogpsMode.MEAN;
            JavaRDD<Row> rows = scores.map(p -> {
                double nc = mean ? p.chosenTokens() : 1, nr = mean ? p.rejectedTokens() : 1;
                double cr = beta * (p.policyChosen() - p.refChosen()) / nc, rr = beta * (p.policyRejected() - p.refRejected()) / nr;
                return RowFactory.create(p.id(), p.policyChosen(), p.policyRejected(), p.refChosen(), p.refRejected(),
                        p.chosenTokens(), p.rejectedTokens(), cr, rr, cr - rr, p.loss());
            });
            Dataset<Row> df = spark.createDataFrame(rows, SCHEMA).orderBy(PairColumns.ID);
            df.write().mode(SaveMode.ErrorIfExists).parquet(tmp.resolve("pairs").toUri().toString());
            Map<String, Object> summary = new LinkedHashMap<>(stats.metrics("eval_"));
            summary.put("eval_pairs", stats.pairs());
            summary.put("model", o.model());
            summary.put("adapter", o.adapter());
            summary.put("data", o.data());
            summary.put("loss_types", o.dpo().terms().stream().map(t -> t.type().trlName()).toList());
            summary.put("beta", beta);
            Files.writeString(tmp.resolve("summary.json"), PythonJson.write(summary) + "\n");
            Files.move(tmp, o.out(), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            PathTrees.deleteTree(tmp);
            scores.unpersist(false);
            w.destroy();
            data.release();
        }
        return new Result(o.out().resolve("pairs"), o.out().resolve("summary.json"), stats.metrics("eval_"), stats.pairs());
    }
}
