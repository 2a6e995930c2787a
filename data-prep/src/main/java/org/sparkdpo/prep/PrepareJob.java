package org.sparkdpo.prep;

import org.sparkdpo.data.DatasetManifest;
import org.sparkdpo.data.PairColumns;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.common.spark.HadoopPaths;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.io.InputFiles;
import org.sparkdpo.prep.io.InputRecords;
import org.sparkdpo.prep.io.OutputFolder;
import org.sparkdpo.prep.io.ShardWriter;
import org.sparkdpo.prep.io.SourceColumns;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PairReader;
import org.sparkdpo.prep.pair.PromptTemplate;
import org.sparkdpo.prep.pair.RejectReason;
import org.sparkdpo.prep.spark.PairRows;
import org.sparkdpo.prep.spark.TokenizerCache;

/**
 * The {@code prepare} job: preference or SFT data (Parquet, JSON Lines, JSON arrays) in, tokenized and length-sorted
 * Parquet shards out, every input row accounted for as kept or rejected with a reason.
 *
 * <p>Output folder, a Spark dataset of the kept rows: {@code part-NNNNN.parquet} shards (see {@link ShardWriter}),
 * and metadata Spark skips when reading the folder: {@code _rejects/} (Parquet, its own dataset) and
 * {@code _manifest.json} ({@link PreparedManifest}). Counts are taken from what was written (shard and reject files
 * read back), never from accumulators, and the job fails unless read = kept + rejected. Everything is written to a
 * temporary folder that is renamed to the output only at the end ({@link OutputFolder}).
 */
public final class PrepareJob {
    private static final String RANK = "_prep_rank";

    private PrepareJob() {}

    /** Runs with progress lines on stderr. */
    public static PrepareResult run(SparkSession spark, PrepareSettings options) throws IOException {
        return run(spark, options, PrepareProgress.printingTo(System.err));
    }

    /**
     * Runs the job.
     *
     * @throws PrepareException for problems with inputs or settings (one-line message naming the file)
     */
    public static PrepareResult run(SparkSession spark, PrepareSettings options, PrepareProgress progress) throws IOException {
        Configuration hconf = spark.sparkContext().hadoopConfiguration();
        OutputFolder out = OutputFolder.open(options.out(), options.overwrite(), hconf);
        Run run = new Run(spark, options, progress, new HadoopConf(hconf), out);
        try {
            return run.execute();
        } catch (Throwable t) {
            out.abort();
            PrepareException p = findPrepareException(t);
            if (p != null && p != t) throw new PrepareException(p.getMessage(), t);
            throw t;
        } finally {
            run.release();
        }
    }

    private static PrepareException findPrepareException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof PrepareException p) return p;
        }
        return null;
    }

    /** State of one run. */
    private static final class Run {
        final SparkSession spark;
        final PrepareSettings o;
        final PrepareProgress progress;
        final HadoopConf conf;
        final OutputFolder out;
        InputRecords input;
        Dataset<Row> processed;
        Dataset<Row> flagged;

        Run(SparkSession spark, PrepareSettings o, PrepareProgress progress, HadoopConf conf, OutputFolder out) {
            this.spark = spark;
            this.o = o;
            this.progress = progress;
            this.conf = conf;
            this.out = out;
        }

        void release() {
            if (flagged != null) flagged.unpersist();
            if (processed != null) processed.unpersist();
            if (input != null) input.release();
        }

        PrepareResult execute() throws IOException {
            InputFiles files = InputFiles.discover(o.inputs(), conf.get());
            HfTokenizer tok = null;
            TokenizerCache.Ref ref = null;
            if (o.tokenizer() != null) {
                String folder = qualify(o.tokenizer());
                tok = TokenizerCache.load(folder, conf);
                ref = new TokenizerCache.Ref(folder, tok.fingerprint(), conf);
                progress.stage("inputs", "tokenizer " + folder + " (vocab " + tok.vocabSize() + ", sha256 "
                        + tok.fingerprint().substring(0, 12) + ")");
            }
            input = InputRecords.read(spark, files, conf);
            long read = input.count();
            progress.stage("inputs", read + " records in " + files.fileCount() + " " + files.kind() + " file(s)");
            if (read == 0) throw new PrepareException("empty input: no records in " + String.join(", ", o.inputs()));

            PromptTemplate template = o.template();
            InputFormat format = FormatDetector.choose(input.userSchema(), o.columnMap(), o.format(), template,
                    files.isParquet());
            checkTokenizer(format, tok);
            progress.stage("format", format.code() + (o.format() == null ? " (detected from the columns)" : " (forced)")
                    + (o.columnMap().mapping().isEmpty() ? "" : ", columns " + o.columnMap()));

            Dataset<Row> rows = spread(input.rows(FormatDetector.textColumns(format, o.columnMap(), template)));
            PairRows.Spec spec = new PairRows.Spec(new PairReader(format, o.columnMap(), template, o.implicitMarker()), ref,
                    o.columnMap().column(PairColumns.ID), o.maxLength(), o.maxPromptLength(), o.truncationMode(), !files.isParquet());
            PairRows fn = new PairRows(spec, rows.schema(), input.userSchema());
            processed = rows.mapPartitions(fn, Encoders.row(fn.outputSchema())).persist(StorageLevel.MEMORY_AND_DISK());
            refuseMixed(format);
            flagged = processed;
            long duplicated = processed.filter(col(PairRows.REASON).isNull()).groupBy(PairColumns.ID).count()
                    .filter(col("count").gt(1)).count();
            if (duplicated > 0) flagged = flagDuplicates(processed).persist(StorageLevel.MEMORY_AND_DISK());

            Dataset<Row> kept = flagged.filter(col(PairRows.REASON).isNull()).select(keptColumns(format));
            long keptRows = kept.count();
            progress.stage("tokenize", keptRows + " of " + read + " rows usable");
            if (keptRows == 0) throw nothingKept(read);
            int shards = (int) (o.shards() > 0 ? Math.min(o.shards(), keptRows)
                    : (keptRows + o.targetShardRows() - 1) / o.targetShardRows());

            List<ShardWriter.Shard> written = ShardWriter.write(spark, kept, shards, out.tmp(), out.fs(), conf);
            progress.stage("shards", written.size() + " shard(s) written");
            Path rejectsDir = new Path(out.tmp(), PairColumns.REJECTS_DIR);
            ShardWriter.fixedParquet(rejects(files.isParquet(), format).repartition(1)
                    .sortWithinPartitions(PairColumns.SOURCE_FILE, PairColumns.SOURCE_LINE, PairColumns.SOURCE_ROW)
                    .write()).parquet(rejectsDir.toString());
            progress.stage("rejects", "rejected rows written to " + PairColumns.REJECTS_DIR + "/");

            List<PrepareResult.ShardInfo> shardInfo = new ArrayList<>();
            PrepareResult.Counts counts = verify(read, written, rejectsDir, shardInfo);
            progress.stage("verify", "read " + counts.read() + " = kept " + counts.kept() + " + rejected " + counts.rejected());

            String fingerprint = PreparedManifest.fingerprint(shardInfo);
            List<String> inputs = new ArrayList<>();
            for (String i : o.inputs()) inputs.add(qualify(i));
            Map<String, Object> manifest = PreparedManifest.build(inputs, files, format, counts,
                    tok == null ? null : PreparedManifest.tokenizer(tok, ref.folder()), o.settings(format, shards), shardInfo,
                    fingerprint, kept.schema(), spark.version());
            PreparedManifest.write(out.fs(), new Path(out.tmp(), DatasetManifest.FILE), manifest);
            progress.stage("manifest", DatasetManifest.FILE + " written, fingerprint " + fingerprint.substring(0, 12));
            out.commit();
            progress.stage("commit", "output in " + out.out());
            for (String line : PreparedManifest.table(counts)) progress.stage("counts", line);
            return new PrepareResult(counts, out.out().toString(), new Path(out.out(), DatasetManifest.FILE).toString(),
                    format, shardInfo, fingerprint);
        }

        /**
         * Tokenizing is the costly step: when the input has fewer partitions than twice the parallelism (one big
         * file is one split), hash-partition the rows by source position so every core gets work.
         */
        private Dataset<Row> spread(Dataset<Row> rows) {
            int want = 2 * spark.sparkContext().defaultParallelism();
            if (rows.rdd().getNumPartitions() >= want) return rows;
            return rows.repartition(want, col(SourceColumns.FILE), col(SourceColumns.LINE), col(SourceColumns.ROW));
        }

        private String qualify(String path) throws IOException {
            return HadoopPaths.qualify(path, conf.get());
        }

        private void checkTokenizer(InputFormat format, HfTokenizer tok) {
            if (tok == null) {
                if (format != InputFormat.PRETOKENIZED) {
                    throw new PrepareException("format " + format.code() + " needs --tokenizer (a folder with tokenizer.json)");
                }
                return;
            }
            if (format == InputFormat.CONVERSATIONAL && !tok.hasChatTemplate()) {
                throw new PrepareException("format conversational needs a chat template, but the tokenizer in " + o.tokenizer()
                        + " has none (no chat_template in tokenizer_config.json, no chat_template.jinja)");
            }
            if (!format.conversational() && format != InputFormat.PRETOKENIZED && tok.eosTokenId().isEmpty()) {
                throw new PrepareException("the tokenizer in " + o.tokenizer() + " has no EOS token to end completions with"
                        + " (set eos_token in tokenizer_config.json)");
            }
        }

        /**
         * Kept rows sharing an id with an earlier row (input order) become duplicate_id rejects. Only run when
         * duplicates exist: it shuffles and sorts whole rows.
         */
        private Dataset<Row> flagDuplicates(Dataset<Row> processed) {
            WindowSpec w = Window.partitionBy(col(PairColumns.ID), col(PairRows.REASON).isNull())
                    .orderBy(col(SourceColumns.FILE), col(SourceColumns.LINE), col(SourceColumns.ROW));
            Column dup = col(PairRows.REASON).isNull().and(col(RANK).gt(1));
            Column firstAt = concat(first(col(SourceColumns.FILE)).over(w), lit(" "),
                    coalesce(concat(lit("line "), first(col(SourceColumns.LINE)).over(w)),
                            concat(lit("row "), first(col(SourceColumns.ROW)).over(w))));
            return processed.withColumn(RANK, row_number().over(w))
                    .withColumn(PairRows.DETAIL, when(dup, concat(lit("id "), col(PairColumns.ID),
                            lit(" is already used by "), firstAt)).otherwise(col(PairRows.DETAIL)))
                    .withColumn(PairRows.REASON, when(dup, lit(RejectReason.DUPLICATE_ID.code())).otherwise(col(PairRows.REASON)))
                    .drop(RANK);
        }

        /**
         * Stops at the first row (in input order) written in another format than the input's: a file holds one
         * format, and such rows would otherwise be rejected one by one for missing columns.
         */
        private void refuseMixed(InputFormat format) {
            List<Row> mixed = processed.filter(col(PairRows.REASON).equalTo(PairRows.MIXED))
                    .orderBy(SourceColumns.FILE, SourceColumns.LINE, SourceColumns.ROW).limit(1).collectAsList();
            if (mixed.isEmpty()) return;
            Row r = mixed.get(0);
            throw new PrepareException(where(r) + " is " + r.getAs(PairRows.DETAIL) + " data, but the input's format is "
                    + format.code() + (o.format() == null ? " (detected from the columns)" : " (--format)")
                    + "; one input must hold one format: move such rows to a file of their own");
        }

        private static String where(Row r) {
            return r.getAs(SourceColumns.FILE) + (r.getAs(SourceColumns.LINE) != null
                    ? " line " + r.getAs(SourceColumns.LINE) : " row " + r.getAs(SourceColumns.ROW));
        }

        /** Output columns, then every input column whose name is not an output column. */
        private Column[] keptColumns(InputFormat format) {
            List<Column> cols = new ArrayList<>();
            for (String c : format.outputColumns()) cols.add(col(c));
            for (StructField f : input.userSchema().fields()) {
                if (PairRows.internalName(f.name(), format).equals(f.name())) cols.add(quoted(f.name()));
            }
            return cols.toArray(Column[]::new);
        }

        private Dataset<Row> rejects(boolean parquet, InputFormat format) {
            Column json = col(SourceColumns.JSON);
            if (parquet) {
                List<Column> fields = new ArrayList<>();
                for (StructField f : input.userSchema().fields()) fields.add(quoted(PairRows.internalName(f.name(), format)).as(f.name()));
                json = to_json(struct(fields.toArray(Column[]::new)), Map.of("ignoreNullFields", "false"));
            }
            return flagged.filter(col(PairRows.REASON).isNotNull()).select(
                    json.as(PairColumns.ROW_JSON),
                    col(SourceColumns.FILE).as(PairColumns.SOURCE_FILE),
                    col(SourceColumns.LINE).as(PairColumns.SOURCE_LINE),
                    col(SourceColumns.ROW).as(PairColumns.SOURCE_ROW),
                    col(PairRows.REASON).as(PairColumns.REASON),
                    col(PairRows.DETAIL).as(PairColumns.DETAIL),
                    col(PairColumns.ID));
        }

        private PrepareException nothingKept(long read) {
            List<String> parts = new ArrayList<>();
            for (Row r : flagged.groupBy(PairRows.REASON).count().orderBy(col("count").desc()).collectAsList()) {
                parts.add(r.getString(0) + " " + r.getLong(1));
            }
            Row first = flagged.orderBy(SourceColumns.FILE, SourceColumns.LINE, SourceColumns.ROW).first();
            return new PrepareException("no usable rows: all " + read + " rows were rejected (" + String.join(", ", parts)
                    + "); first: " + where(first) + ": " + first.getAs(PairRows.REASON) + ": " + first.getAs(PairRows.DETAIL));
        }

        /** Counts from the written files; fails unless read = kept + rejected. */
        private PrepareResult.Counts verify(long read, List<ShardWriter.Shard> written, Path rejectsDir,
                                            List<PrepareResult.ShardInfo> into) {
            Dataset<Row> shards = spark.read().parquet(written.stream().map(s -> new Path(out.tmp(), s.file()).toString())
                    .toArray(String[]::new));
            Map<String, Row> stats = new TreeMap<>();
            for (Row r : shards.groupBy(col("_metadata.file_name").as("file"))
                    .agg(count(lit(1)), min(PairColumns.SEQ_LEN), max(PairColumns.SEQ_LEN),
                            sum(when(col(PairColumns.TRUNCATED), 1).otherwise(0)))
                    .collectAsList()) {
                stats.put(r.getString(0), r);
            }
            long kept = 0;
            long truncated = 0;
            for (int i = 0; i < written.size(); i++) {
                ShardWriter.Shard s = written.get(i);
                Row r = stats.get(s.file());
                if (r == null) throw new IllegalStateException("shard " + s.file() + " has no rows");
                kept += r.getLong(1);
                truncated += r.getLong(4);
                into.add(new PrepareResult.ShardInfo(s.file(), r.getLong(1), r.getInt(2), r.getInt(3), s.bytes(), s.sha256()));
            }
            Map<String, Long> byReason = new LinkedHashMap<>();
            for (RejectReason reason : RejectReason.values()) byReason.put(reason.code(), 0L);
            long rejected = 0;
            for (Row r : spark.read().parquet(rejectsDir.toString()).groupBy(PairColumns.REASON).count().collectAsList()) {
                byReason.merge(r.getString(0), r.getLong(1), Long::sum);
                rejected += r.getLong(1);
            }
            if (read != kept + rejected) {
                throw new IllegalStateException("row accounting failed: read " + read + " but kept " + kept + " + rejected "
                        + rejected + " = " + (kept + rejected) + "; nothing was written to " + o.out());
            }
            return new PrepareResult.Counts(read, kept, rejected, byReason, truncated);
        }
    }

    private static Column quoted(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }
}
