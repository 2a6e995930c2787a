package org.sparkdpo.data;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.model.dpo.PreferencePair;
import scala.Tuple2;

import java.util.Arrays;
import java.util.List;

/**
 * A prepared and reference-scored dataset (the output of {@code precompute-ref}) as pairs indexed 0..N-1 in a
 * deterministic order, cached for the run.
 */
public final class PairShards {
    private final JavaPairRDD<Long, PreferencePair> pairs;
    private final int[] lengths;

    private PairShards(JavaPairRDD<Long, PreferencePair> pairs, int[] lengths) {
        this.pairs = pairs;
        this.lengths = lengths;
    }

    /** A deterministic split by id: pairs whose id hashes below {@code fraction} are held out. */
    public record Holdout(double fraction, long seed, boolean heldOutSide) implements java.io.Serializable {
        public boolean keeps(String id) {
            long h = (id.hashCode() * 0x9E3779B97F4A7C15L) ^ (seed * 0xC2B2AE3D27D4EB4FL);
            h ^= h >>> 31;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
            double u = (h >>> 11) * 0x1.0p-53;
            return (u < fraction) == heldOutSide;
        }
    }

    /** Reads {@code path}; refuses data without reference log-probs, saying how to produce them. */
    public static PairShards read(SparkSession spark, String path) {
        return read(spark, path, null);
    }

    /** Reads {@code path}, keeping one side of {@code holdout} when given. */
    public static PairShards read(SparkSession spark, String path, Holdout holdout) {
        Dataset<Row> df;
        try {
            df = spark.read().parquet(DatasetManifest.parquetFiles(path, spark.sparkContext().hadoopConfiguration()));
        } catch (Exception e) {
            throw new JobFailedException("cannot read prepared data at " + path + ": " + e.getMessage(), e);
        }
        List<String> cols = Arrays.asList(df.columns());
        for (String c : PairColumns.TOKENS) {
            if (!cols.contains(c)) {
                throw new JobFailedException(path + " has no column '" + c + "' (found " + cols
                        + "); run `submit/local.sh prepare` first");
            }
        }
        for (String c : List.of(PairColumns.REF_CHOSEN_LOGPS, PairColumns.REF_REJECTED_LOGPS)) {
            if (!cols.contains(c)) {
                throw new JobFailedException(path + " has no reference log-probs (column '" + c
                        + "'); run `submit/local.sh precompute-ref --data " + path + " --model <model dir> --out <dir>` "
                        + "and train on its output");
            }
        }
        JavaPairRDD<Long, PreferencePair> indexed = df.select(PairColumns.ID, PairColumns.PROMPT_IDS, PairColumns.CHOSEN_IDS, PairColumns.REJECTED_IDS,
                        PairColumns.REF_CHOSEN_LOGPS, PairColumns.REF_REJECTED_LOGPS).javaRDD()
                .map(PairShards::toPair)
                .filter(p -> holdout == null || holdout.keeps(p.id()))
                .zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        List<Tuple2<Long, Integer>> lens = indexed.mapValues(PreferencePair::maxLength).collect();
        int[] lengths = new int[lens.size()];
        for (Tuple2<Long, Integer> t : lens) lengths[Math.toIntExact(t._1())] = t._2();
        if (lengths.length == 0) {
            throw new JobFailedException(path + " holds no pairs" + (holdout == null ? "" : " on the "
                    + (holdout.heldOutSide() ? "held-out" : "training") + " side of a " + holdout.fraction() + " split"));
        }
        return new PairShards(indexed, lengths);
    }

    static PreferencePair toPair(Row r) {
        String id = r.getString(0);
        if (r.isNullAt(4) || r.isNullAt(5)) {
            throw new IllegalArgumentException("pair '" + id + "' has null reference log-probs");
        }
        return new PreferencePair(id, ints(r.getList(1)), ints(r.getList(2)), ints(r.getList(3)), r.getDouble(4), r.getDouble(5));
    }

    private static int[] ints(List<Object> l) {
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).intValue();
        return out;
    }

    public JavaPairRDD<Long, PreferencePair> pairs() {
        return pairs;
    }

    /** Sequence length of every pair, by index. */
    public int[] lengths() {
        return lengths;
    }

    public int size() {
        return lengths.length;
    }

    public void release() {
        pairs.unpersist(false);
    }
}
