package org.sparkdpo.jobs.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.data.DatasetManifest;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code show PATH}: prints rows of any Parquet output as JSON lines, one row per line, on stdout (and nothing
 * else there), so every intermediate dataset can be inspected or piped into {@code jq} without writing code. A
 * dataset folder ({@code prepare}/{@code precompute-ref} output) shows its shards, as {@code spark.read.parquet}
 * does; its metadata ({@code _manifest.json}, {@code _rejects/}) is skipped, and {@code show OUT/_rejects} shows the
 * rejects. Folders in the layout before {@code _manifest.json} are read through their manifest's shard list.
 */
@CommandLine.Command(name = "show", description = "Print rows of a Parquet file or folder as JSON lines on stdout.")
public final class ShowCommand implements Command {
    private final PrintStream stdout;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH",
            description = "Parquet file, folder or glob: local, file://, hdfs://, s3a://. A prepare or precompute-ref "
                    + "output folder shows its shards; OUT/_rejects shows prepare's rejected rows.")
    @Check.Required String pathArgument;

    @Option(names = "--path", paramLabel = "PATH", hidden = true, description = "The PATH argument, as an option or config key.")
    String pathOption;

    @Option(names = "--limit", defaultValue = "20", description = "Rows to print; 0 prints every row.")
    @Check.Min(0) int limit;

    @Option(names = "--columns", split = ",", description = "Columns to print, in this order; all when not given.")
    List<String> columns;

    public ShowCommand() {
        this(System.out);
    }

    /** Writes rows to {@code stdout} instead of the process's stdout (tests). */
    public ShowCommand(PrintStream stdout) {
        this.stdout = stdout;
    }

    @Override
    public String example() {
        return "data/prepared/train --limit 5 --columns prompt,chosen";
    }

    @Override
    public Integer call() throws IOException {
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo show");
        show(spark, pathArgument != null ? pathArgument : pathOption, limit, columns != null ? columns : List.of(), stdout);
        return ExitCodes.OK;
    }

    /**
     * Prints up to {@code limit} rows (all when 0) of the Parquet data at {@code path}, restricted to
     * {@code columns} when not empty; returns the number of rows printed. Stops early when {@code out} fails
     * (e.g. piped into {@code head}).
     */
    public static long show(SparkSession spark, String path, int limit, List<String> columns, PrintStream out)
            throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        FileStatus[] found = fs.globStatus(p);
        if (found == null || found.length == 0) throw new FileNotFoundException("no such file or folder: " + path);

        Dataset<Row> df = spark.read().parquet(DatasetManifest.parquetFiles(path, spark.sparkContext().hadoopConfiguration()));
        if (!columns.isEmpty()) {
            List<String> known = Arrays.asList(df.columns());
            List<String> missing = columns.stream().filter(c -> !known.contains(c)).toList();
            if (!missing.isEmpty()) {
                throw new UsageException("--columns: no column " + String.join(", ", missing) + " in " + path
                        + " (columns: " + String.join(", ", known) + ")");
            }
            df = df.select(columns.stream().map(c -> functions.col("`" + c.replace("`", "``") + "`")).toArray(Column[]::new));
        }
        if (limit > 0) df = df.limit(limit);
        long n = 0;
        for (Iterator<Row> it = df.toLocalIterator(); it.hasNext(); ) {
            out.println(RowJson.toJson(it.next()));
            n++;
            if (out.checkError()) break;
        }
        out.flush();
        return n;
    }
}
