package org.sparkdpo.prep.io;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
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
import org.sparkdpo.data.PairColumns;
import scala.Tuple2;

/**
 * Writes kept rows as N Parquet shards {@code part-NNNNN.parquet} with contents that depend only on the rows, not on
 * how Spark partitioned them: rows are ranked by (length_bucket, seq_len, id) (ids are unique, so the order is
 * total), row of rank r goes to shard r mod N, and each shard holds its rows in rank order. Every shard thus has the
 * same length mix, and consecutive rows of a shard have nearly equal lengths (little padding per batch); Parquet
 * writer settings are fixed so equal rows give equal bytes.
 */
public final class ShardWriter {
    private static final Pattern SPARK_PART = Pattern.compile("part-(\\d{5})-.*\\.parquet");

    private ShardWriter() {}

    /** A written shard. */
    public record Shard(String file, long bytes) {}

    /** Fixed writer settings, so cluster defaults cannot change the bytes. */
    public static <T> DataFrameWriter<T> fixedParquet(DataFrameWriter<T> w) {
        return w.option("compression", "snappy")
                .option("parquet.block.size", Integer.toString(128 << 20))
                .option("parquet.page.size", Integer.toString(1 << 20))
                .option("parquet.enable.dictionary", "true")
                .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false");
    }

    /** Writes {@code rows} as {@code shards} files into {@code dir} (which must exist); returns them in order. */
    public static List<Shard> write(SparkSession spark, Dataset<Row> rows, int shards, Path dir, FileSystem fs) throws IOException {
        Dataset<Row> sorted = rows.sort(col(PairColumns.LENGTH_BUCKET), col(PairColumns.SEQ_LEN), col(PairColumns.ID));
        JavaPairRDD<Long, Row> ranked = sorted.javaRDD().zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
        JavaRDD<Row> sharded = ranked.repartitionAndSortWithinPartitions(new ByRank(shards)).values();
        Path staging = new Path(dir, "_staging");
        fixedParquet(spark.createDataFrame(sharded, rows.schema()).write()).parquet(staging.toString());

        List<Shard> out = new ArrayList<>();
        for (FileStatus f : fs.listStatus(staging)) {
            Matcher m = SPARK_PART.matcher(f.getPath().getName());
            if (!m.matches()) continue;
            String name = String.format("part-%05d.parquet", Integer.parseInt(m.group(1)));
            if (!fs.rename(f.getPath(), new Path(dir, name))) throw new IOException("cannot rename " + f.getPath());
            out.add(new Shard(name, f.getLen()));
        }
        fs.delete(staging, true);
        out.sort((a, b) -> a.file().compareTo(b.file()));
        if (out.size() != shards) {
            throw new IllegalStateException("wrote " + out.size() + " shard files, expected " + shards);
        }
        return out;
    }

    /** SHA-256 (hex) of each file, computed in parallel by Spark; same order as {@code files}. */
    public static List<String> sha256(SparkSession spark, Path dir, List<Shard> files) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> paths = files.stream().map(s -> new Path(dir, s.file()).toString()).toList();
        List<Tuple2<String, String>> hashes = jsc.binaryFiles(String.join(",", paths)).mapToPair(f -> {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = f._2().open()) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            }
            return new Tuple2<>(new Path(f._1()).getName(), HexFormat.of().formatHex(md.digest()));
        }).collect();
        List<String> out = new ArrayList<>();
        for (Shard s : files) {
            out.add(hashes.stream().filter(h -> h._1().equals(s.file())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no hash for " + s.file()))._2());
        }
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
