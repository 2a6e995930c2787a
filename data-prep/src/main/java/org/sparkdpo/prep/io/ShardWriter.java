package org.sparkdpo.prep.io;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.data.PairColumns;
import org.sparkdpo.data.StableParquet;
import scala.Tuple2;

/**
 * Writes kept rows as N Parquet shards {@code part-NNNNN.parquet} with contents that depend only on the rows, not on
 * how Spark partitioned them: rows are ranked by (length_bucket, seq_len, id) (ids are unique, so the order is
 * total), row of rank r goes to shard r mod N, and each shard holds its rows in rank order. Every shard thus has the
 * same length mix, and consecutive rows of a shard have nearly equal lengths (little padding per batch); Parquet
 * writer settings are fixed and footers made stable ({@link StableParquet}) so equal rows give equal bytes, in any
 * JVM.
 */
public final class ShardWriter {
    private static final Pattern SPARK_PART = Pattern.compile("part-(\\d{5})-.*\\.parquet");

    private ShardWriter() {}

    /** A written shard: file name, size and SHA-256 (hex). */
    public record Shard(String file, long bytes, String sha256) implements java.io.Serializable {}

    /** Fixed writer settings, so cluster defaults cannot change the bytes. */
    public static <T> DataFrameWriter<T> fixedParquet(DataFrameWriter<T> w) {
        return w.option("compression", "snappy")
                .option("parquet.block.size", Integer.toString(128 << 20))
                .option("parquet.page.size", Integer.toString(1 << 20))
                .option("parquet.enable.dictionary", "true")
                .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false");
    }

    /**
     * Writes {@code rows} as {@code shards} files into {@code dir} (which must exist); returns them in order. Spark
     * writes them into {@code dir/_staging}; one task per file then copies it to its final name with a stable footer
     * ({@link StableParquet}), hashing what it writes, so the bytes (and the hashes) are equal on every run.
     */
    public static List<Shard> write(SparkSession spark, Dataset<Row> rows, int shards, Path dir, FileSystem fs,
                                    HadoopConf conf) throws IOException {
        Dataset<Row> sorted = rows.sort(col(PairColumns.LENGTH_BUCKET), col(PairColumns.SEQ_LEN), col(PairColumns.ID));
        JavaPairRDD<Long, Row> ranked = sorted.javaRDD().zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
        JavaRDD<Row> sharded = ranked.repartitionAndSortWithinPartitions(new ByRank(shards)).values();
        Path staging = new Path(dir, "_staging");
        fixedParquet(spark.createDataFrame(sharded, rows.schema()).write()).parquet(staging.toString());

        List<Tuple2<String, String>> moves = new ArrayList<>();
        for (FileStatus f : fs.listStatus(staging)) {
            Matcher m = SPARK_PART.matcher(f.getPath().getName());
            if (!m.matches()) continue;
            moves.add(new Tuple2<>(f.getPath().toString(), String.format("part-%05d.parquet", Integer.parseInt(m.group(1)))));
        }
        if (moves.size() != shards) {
            throw new IllegalStateException("wrote " + moves.size() + " shard files, expected " + shards);
        }
        String target = dir.toString();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Shard> out = new ArrayList<>(jsc.parallelize(moves, moves.size()).map(mv -> {
            Path src = new Path(mv._1());
            Path dst = new Path(new Path(target), mv._2());
            FileSystem srcFs = src.getFileSystem(conf.get());
            FileSystem dstFs = dst.getFileSystem(conf.get());
            if (dstFs.exists(dst)) dstFs.delete(dst, false);      // left by an earlier attempt of this task
            StableParquet.Written w = StableParquet.copy(srcFs, src, dstFs, dst);
            return new Shard(mv._2(), w.bytes(), w.sha256());
        }).collect());
        fs.delete(staging, true);
        out.sort((a, b) -> a.file().compareTo(b.file()));
        return out;
    }

    /** Rank r goes to partition r mod n. */
    static final class ByRank extends Partitioner {
        private final int n;

        ByRank(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((Long) key % n);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByRank b && b.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
