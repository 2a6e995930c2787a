package org.sparkdpo.data;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.model.logprob.Completion;
import scala.Tuple2;

/**
 * A prepared SFT dataset (columns {@link PairColumns#SFT_TOKENS}: {@code id}, {@code prompt_ids},
 * {@code completion_ids}) as examples indexed 0..N-1 in a deterministic order, cached for the run. Read like
 * {@link PairShards}: a prepared folder (its manifest's shard list), Parquet files or a glob; the same id-hash
 * {@link PairShards.Holdout} split.
 */
public final class SftShards {
    private final JavaPairRDD<Long, Completion> examples;
    private final int[] lengths;

    private SftShards(JavaPairRDD<Long, Completion> examples, int[] lengths) {
        this.examples = examples;
        this.lengths = lengths;
    }

    /** Reads {@code path}, keeping one side of {@code holdout} when given (null: all rows). */
    public static SftShards read(SparkSession spark, String path, PairShards.Holdout holdout) {
        Dataset<Row> df;
        try {
            df = spark.read().parquet(DatasetManifest.parquetFiles(path, spark.sparkContext().hadoopConfiguration()));
        } catch (Exception e) {
            throw new JobFailedException("cannot read prepared SFT data at " + path + ": " + e.getMessage(), e);
        }
        List<String> cols = Arrays.asList(df.columns());
        for (String c : PairColumns.SFT_TOKENS) {
            if (!cols.contains(c)) {
                throw new JobFailedException(path + " has no column '" + c + "' (found " + cols + "); run `submit/local.sh "
                        + "prepare` on prompt/completion or messages data first");
            }
        }
        JavaPairRDD<Long, Completion> indexed = df.select(PairColumns.ID, PairColumns.PROMPT_IDS, PairColumns.COMPLETION_IDS)
                .javaRDD()
                .filter(r -> holdout == null || holdout.keeps(r.getString(0)))
                .map(r -> new Completion(ints(r.getList(1)), ints(r.getList(2))))
                .zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        List<Tuple2<Long, Integer>> lens = indexed.mapValues(Completion::length).collect();
        int[] lengths = new int[lens.size()];
        for (Tuple2<Long, Integer> t : lens) lengths[Math.toIntExact(t._1())] = t._2();
        if (lengths.length == 0) {
            throw new JobFailedException(path + " holds no SFT examples" + (holdout == null ? "" : " on the "
                    + (holdout.heldOutSide() ? "held-out" : "training") + " side of a " + holdout.fraction() + " split"));
        }
        return new SftShards(indexed, lengths);
    }

    private static int[] ints(List<Object> l) {
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).intValue();
        return out;
    }

    public JavaPairRDD<Long, Completion> examples() {
        return examples;
    }

    /** Sequence length (prompt + completion) of every example, by index. */
    public int[] lengths() {
        return lengths;
    }

    public int size() {
        return lengths.length;
    }

    public void release() {
        examples.unpersist(false);
    }
}
