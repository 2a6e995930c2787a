package org.sparkdpo.jobs.precompute;

import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.arch.BaseWeights;
import org.nd4j.linalg.api.buffer.DataType;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Arrays;
import org.sparkdpo.data.DatasetManifest;
import org.sparkdpo.data.StableParquet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.util.LongAccumulator;
import org.sparkdpo.common.spark.LocalCopies;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.model.logprob.CompletionScorer;

/**
 * One Spark task = one shard, with the commit protocol that makes retries, speculative attempts and killed runs
 * safe: the attempt writes {@code OUT/_tmp/<file>-<attempt>}, renames it to {@code OUT/<file>} (an attempt that
 * finds the file already there drops its own: contents are deterministic), then writes the marker. A shard whose
 * marker exists is returned from the marker without computing.
 */
final class ShardTask implements Function<DatasetManifest.Shard, ShardStats> {
    /**
     * Test seam (local mode only, where tasks share the test's JVM): the shard file whose first task attempt fails
     * after writing part of its output, to prove that a retry or rerun leaves no trace of it. Null in real runs.
     */
    static volatile String failFirstAttemptOf;
    /** Test seam: the injected failure is an {@link OutOfMemoryError} (as ND4J's allocator throws) instead. */
    static volatile boolean failWithOutOfMemory;

    private static final long serialVersionUID = 1L;

    private final TaskSettings s;
    private final LongAccumulator rowsDone;
    private final LongAccumulator tokensDone;

    ShardTask(TaskSettings settings, LongAccumulator rowsDone, LongAccumulator tokensDone) {
        this.s = settings;
        this.rowsDone = rowsDone;
        this.tokensDone = tokensDone;
    }

    @Override
    public ShardStats call(DatasetManifest.Shard shard) throws Exception {
        try {
            return run(shard);
        } catch (OutOfMemoryError e) {   // fatal to the executor JVM if left as an Error: fail the task with the fix instead
            throw org.sparkdpo.common.TaskOutOfMemoryException.of(e, "the precompute-ref task of " + shard.file()
                    + " (" + ExecutorContext.where() + ")", "--batch-tokens (or --max-batch)");
        }
    }

    private ShardStats run(DatasetManifest.Shard shard) throws Exception {
        Configuration conf = s.conf().get();
        OutputLayout out = new OutputLayout(new org.apache.hadoop.fs.Path(s.outDir()));
        FileSystem fs = out.root().getFileSystem(conf);
        String file = shard.file();
        ShardMarker done = committed(fs, out, file);
        if (done != null) return done.stats();

        TaskContext ctx = TaskContext.get();
        ExecutorContext.bindGpu(ctx);
        Path model = LocalCopies.localize(s.model(), conf);
        Path adapter = s.adapter() == null ? null : LocalCopies.localize(s.adapter(), conf);
        CompletionScorer scorer = scorer(model, adapter, s.dtype().nd4j(), s.modelFingerprint());
        BatchPlanner planner = new BatchPlanner(s.batchTokens(), s.maxBatch(), scorer.base().model().config().maxPositions());

        String attempt = ctx == null ? "driver" : s.runId() + "-s" + ctx.stageAttemptNumber() + "-a" + ctx.attemptNumber()
                + "-t" + ctx.taskAttemptId();
        boolean failThisAttempt = file.equals(failFirstAttemptOf) && (ctx == null || ctx.attemptNumber() == 0);
        org.apache.hadoop.fs.Path tmp = out.tmp(file, attempt);
        org.apache.hadoop.fs.Path input = new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(s.inputDir()), file);
        ShardStats stats;
        try {
            stats = compute(conf, input, tmp, new ShardProcessor(scorer, planner, file), batches -> {
                if (ctx != null && ctx.isInterrupted()) throw new TaskKilledException("precompute-ref job cancelled");
                if (failThisAttempt && failWithOutOfMemory) {
                    throw new OutOfMemoryError("Cannot allocate new FloatPointer(1073741824): totalBytes = 3G, "
                            + "physicalBytes = 5G (injected by a test)");
                }
                if (failThisAttempt) {
                    throw new IllegalStateException("injected failure in the first attempt of " + file + " (test hook)");
                }
            });
            StableParquet.stabilize(fs, tmp);          // same bytes whichever JVM wrote the shard
        } catch (Exception | Error e) {
            fs.delete(tmp, false);
            throw e;
        }
        commit(fs, out, file, tmp, stats, attempt);
        rowsDone.add(stats.rows());
        tokensDone.add(stats.tokens());
        return stats;
    }

    private ShardMarker committed(FileSystem fs, OutputLayout out, String file) throws IOException {
        ShardMarker m = ShardMarker.read(fs, out.marker(file));
        if (m == null) return null;
        if (!m.fingerprint().equals(s.fingerprint())) {
            throw new IOException(out.marker(file) + " was committed under fingerprint " + m.fingerprint()
                    + ", this run has " + s.fingerprint() + ": another run with different inputs writes the same output");
        }
        return fs.exists(out.data(file)) ? m : null;
    }

    /** Reads {@code input}, writes {@code tmp} with fixed writer settings (byte-identical output for equal values). */
    static ShardStats compute(Configuration conf, org.apache.hadoop.fs.Path input, org.apache.hadoop.fs.Path tmp,
                              ShardProcessor processor, ShardProcessor.AfterBatch afterBatch) throws Exception {
        MessageType inSchema;
        Map<String, String> meta;
        try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(input, conf))) {
            inSchema = footer.getFileMetaData().getSchema();
            meta = footer.getFileMetaData().getKeyValueMetaData();
        }
        MessageType outSchema;
        try {
            outSchema = ParquetRows.outputSchema(inSchema);
        } catch (IOException e) {
            throw new IOException(input + ": " + e.getMessage(), e);
        }
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), input).withConf(conf).build();
             ParquetWriter<Group> writer = writer(conf, tmp, outSchema, ParquetRows.outputMetadata(meta))) {
            return processor.run(reader, writer, outSchema, afterBatch);
        }
    }

    static ParquetWriter<Group> writer(Configuration conf, org.apache.hadoop.fs.Path file, MessageType schema,
                                       Map<String, String> meta) throws IOException {
        return ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, conf))
                .withConf(conf)
                .withType(schema)
                .withExtraMetaData(meta)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withDictionaryEncoding(true)
                .withPageSize(1 << 20)
                .withDictionaryPageSize(1 << 20)
                .withRowGroupSize(128L << 20)
                .withValidation(false)
                .withPageWriteChecksumEnabled(false)
                .withBloomFilterEnabled(false)
                .build();
    }

    /** Rename into place unless another attempt got there first, then the marker (the commit point). */
    private void commit(FileSystem fs, OutputLayout out, String file, org.apache.hadoop.fs.Path tmp, ShardStats stats,
                        String attempt) throws IOException {
        org.apache.hadoop.fs.Path dest = out.data(file);
        if (fs.exists(dest)) {
            fs.delete(tmp, false);                      // a racing attempt committed identical contents
        } else if (!fs.rename(tmp, dest)) {
            if (!fs.exists(dest)) throw new IOException("cannot rename " + tmp + " to " + dest);
            fs.delete(tmp, false);
        }
        long bytes = fs.getFileStatus(dest).getLen();
        ShardMarker marker = ShardMarker.of(stats, s.fingerprint(), bytes, s.runId(), attempt);
        OutputLayout.writeAtomically(s.conf().get(), out.marker(file), marker.toJson(), false);
    }

    /**
     * This thread's scorer (it holds built graphs and is not thread-safe) for the model in {@code model} (+ the
     * adapter in {@code adapter}, may be null), checking that the weights are those the driver fingerprinted: a model
     * folder replaced during a run fails loudly. Weights and adapter are loaded once per executor JVM.
     */
    private static CompletionScorer scorer(Path model, Path adapter, DataType dtype, String expectedModelFingerprint) {
        Path m = model.toAbsolutePath().normalize();
        Path a = adapter == null ? null : adapter.toAbsolutePath().normalize();
        return ExecutorContext.perThread(Arrays.asList("scorer", m, a, dtype), () -> {
            BaseWeights base = ExecutorContext.weights(m, dtype);
            if (!base.fingerprint().equals(expectedModelFingerprint)) {
                throw new IllegalStateException("the model in " + m + " has fingerprint " + base.fingerprint()
                        + " but the run started with " + expectedModelFingerprint + ": it changed during the run");
            }
            LoraAdapter lora = a == null ? null : ExecutorContext.shared(List.of("adapter", a, dtype), () -> {
                try {
                    return LoraAdapter.load(a, base.model(), dtype);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return new CompletionScorer(base, lora);
        });
    }
}
