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
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.OptionsException;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.common.spark.SparkSessions;

/**
 * {@code show PATH}: prints rows of any Parquet output as JSON lines, one row per line, on stdout (and nothing
 * else there), so every intermediate dataset can be inspected or piped into {@code jq} without writing code.
 */
public final class ShowCommand implements Command {
    private final PrintStream out;

    public ShowCommand() {
        this(System.out);
    }

    /** Writes rows to {@code out} instead of stdout (tests). */
    public ShowCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public String name() {
        return "show";
    }

    @Override
    public String summary() {
        return "Print rows of a Parquet file or folder as JSON lines on stdout.";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofPath("path", "Parquet file, folder or glob: local, file://, hdfs://, s3a://.")
                        .asPositional().asRequired(),
                OptionSpec.ofInt("limit", "Rows to print; 0 prints every row.")
                        .withDefault(20).withValidator(Validator.nonNegative()),
                OptionSpec.ofList("columns", "Columns to print, in this order; all when not given."));
    }

    @Override
    public String example() {
        return "data/prepared/train --limit 5 --columns prompt,chosen";
    }

    @Override
    public int run(ParsedOptions opts) throws IOException {
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo show");
        List<String> columns = opts.has("columns") ? opts.getList("columns") : List.of();
        show(spark, opts.getPath("path"), opts.getInt("limit"), columns, out);
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

        Dataset<Row> df = spark.read().parquet(path);
        if (!columns.isEmpty()) {
            List<String> known = Arrays.asList(df.columns());
            List<String> missing = columns.stream().filter(c -> !known.contains(c)).toList();
            if (!missing.isEmpty()) {
                throw new OptionsException("--columns: no column " + String.join(", ", missing) + " in " + path
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
