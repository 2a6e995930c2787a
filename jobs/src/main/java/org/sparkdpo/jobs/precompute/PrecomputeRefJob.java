package org.sparkdpo.jobs.precompute;

import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.data.DatasetManifest;
import org.sparkdpo.data.PairColumns;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.common.spark.LocalCopies;
import org.sparkdpo.model.arch.Architectures;
import org.sparkdpo.model.config.ModelConfig;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.model.json.PythonJson;

/**
 * The distributed reference log-prob precompute: runs the frozen reference model (base, or base + adapter) over
 * every prepared shard once and writes the shards back with {@link PairColumns#ADDED}, so training never holds a
 * reference model. Versioned by a fingerprint of its inputs, resumable shard by shard, safe to re-run from a
 * scheduler. The driver only checks inputs, plans and commits the manifest; the weights are loaded by the executors.
 */
public final class PrecomputeRefJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrecomputeRefJob.class);
    /** How long a failed run waits for its cancelled task attempts to stop before returning. */
    private static final long DRAIN_MILLIS = 120_000;

    private PrecomputeRefJob() {}

    /**
     * Runs the job. Returns DONE or UP_TO_DATE; throws {@link JobRefusedException} (nothing computed, output
     * untouched) for a missing input manifest, a tokenizer mismatch or an output with another fingerprint (without
     * overwrite), and any other exception when the computation failed (committed shards are kept for a rerun).
     */
    public static PrecomputeResult run(SparkSession spark, PrecomputeSettings settings) throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        PrecomputeSettings opts = settings.qualified(conf);
        try (OutputLock lock = OutputLock.acquire(new Path(opts.out()), conf)) {   // one run per output at a time
            return runLocked(spark, opts);
        }
    }

    private static PrecomputeResult runLocked(SparkSession spark, PrecomputeSettings opts) throws Exception {
        long started = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        DatasetManifest input = DatasetManifest.read(opts.data(), DatasetManifest.PREPARED, conf);
        Path outRoot = new Path(opts.out());
        if (outRoot.equals(input.dir())) throw new JobRefusedException("--out must differ from --data (" + outRoot + ")");
        FingerprintInputs inputs = fingerprintInputs(opts, input, conf);
        String fingerprint = inputs.fingerprint();
        checkFirstShard(input, conf);

        OutputLayout out = new OutputLayout(outRoot);
        FileSystem fs = outRoot.getFileSystem(conf);
        OutputState state = inspectOrRefuse(fs, out, opts, fingerprint, input);
        if (state.kind() == OutputState.Kind.COMPLETE) {
            LOG.info("precompute-ref: up to date: skipping ({} already holds fingerprint {} for all {} shards)",
                    outRoot, fingerprint, input.shards().size());
            ManifestTotals t = ManifestTotals.of(fs, out, input.shards());
            return new PrecomputeResult(PrecomputeResult.Status.UP_TO_DATE, outRoot.toString(), fingerprint,
                    input.shards().size(), List.of(), t.rows, t.tokens, t.paddingFraction(), seconds(started), 0);
        }
        if (state.kind() == OutputState.Kind.EMPTY) {
            Map<String, Object> fp = new LinkedHashMap<>();
            fp.put("kind", OutputManifest.KIND + "_fingerprint");
            fp.put("fingerprint", fingerprint);
            fp.put("fingerprint_inputs", inputs.toMap());
            OutputLayout.writeAtomically(conf, out.fingerprintFile(), PythonJson.write(fp) + "\n", false);
        }
        List<String> missing = state.missing();
        int reused = input.shards().size() - missing.size();
        LOG.info("precompute-ref: fingerprint {}: {} shard(s) to compute, {} already committed", fingerprint,
                missing.size(), reused);
        for (String f : missing) {
            if (fs.exists(out.data(f))) fs.delete(out.data(f), false);    // left by an attempt that died before its marker
        }

        double computeSeconds = 0;
        long computedTokens = 0;
        if (!missing.isEmpty()) {
            long t0 = System.nanoTime();
            List<ShardStats> computed = compute(spark, opts, input, outRoot, inputs, missing);
            computeSeconds = seconds(t0);
            computedTokens = computed.stream().mapToLong(ShardStats::tokens).sum();
        }
        List<ShardStats> all = commit(conf, fs, out, input, inputs, opts);
        long rows = all.stream().mapToLong(ShardStats::rows).sum();
        long tokens = all.stream().mapToLong(ShardStats::tokens).sum();
        long padded = all.stream().mapToLong(ShardStats::paddedTokens).sum();
        double padding = padded == 0 ? 0 : 1.0 - (double) tokens / padded;
        double tps = computeSeconds > 0 ? computedTokens / computeSeconds : 0;
        LOG.info(String.format("precompute-ref: done: %d shards (%d computed, %d reused), %,d rows, %,d tokens, padding %.1f%%, "
                        + "%,.0f tokens/s, %s; output %s", all.size(), missing.size(), reused, rows, tokens, 100 * padding, tps,
                ProgressListener.duration(seconds(started)), outRoot));
        return new PrecomputeResult(PrecomputeResult.Status.DONE, outRoot.toString(), fingerprint, all.size(),
                List.copyOf(missing), rows, tokens, padding, seconds(started), tps);
    }

    /**
     * What the output folder holds for this fingerprint; refuses a folder that is not a precompute-ref output, and one
     * with another fingerprint unless {@code --overwrite} (which deletes it).
     */
    private static OutputState inspectOrRefuse(FileSystem fs, OutputLayout out, PrecomputeSettings opts, String fingerprint,
                                               DatasetManifest input) throws IOException {
        Path outRoot = out.root();
        OutputState state = OutputState.inspect(fs, out, fingerprint, input.shards());
        switch (state.kind()) {
            case FOREIGN -> throw new JobRefusedException("output " + outRoot + " is not empty and is not a "
                    + "precompute-ref output (no " + DatasetManifest.FILE + " or _fingerprint.json); choose a new or empty folder");
            case DIFFERENT -> {
                if (!opts.overwrite()) {
                    throw new JobRefusedException("output " + outRoot + " holds reference log-probs with fingerprint "
                            + state.fingerprint() + ", these inputs have " + fingerprint
                            + " (model, adapter, tokenizer, data or dtype differ); use --overwrite to replace it or choose another --out");
                }
                LOG.info("precompute-ref: --overwrite: deleting {} (fingerprint {})", outRoot, state.fingerprint());
                fs.delete(outRoot, true);
                state = OutputState.inspect(fs, out, fingerprint, input.shards());
            }
            default -> { }
        }
        return state;
    }

    /** Checks every shard's commit marker and writes the output's manifest (upgrading an old-layout folder). */
    private static List<ShardStats> commit(Configuration conf, FileSystem fs, OutputLayout out, DatasetManifest input,
                                           FingerprintInputs inputs, PrecomputeSettings opts) throws IOException {
        List<ShardStats> all = new ArrayList<>();
        for (DatasetManifest.Shard s : input.shards()) {
            ShardMarker m = ShardMarker.read(fs, out.marker(s.file()));
            if (m == null || !fs.exists(out.data(s.file()))) throw new IOException("shard " + s.file() + " has no commit marker after the run");
            all.add(m.stats());
        }
        String manifest = OutputManifest.json(input, inputs, opts.model(), opts.adapter(), opts, all);
        OutputLayout.writeAtomically(conf, out.manifest(), manifest, true);
        if (fs.exists(out.legacyManifest())) fs.delete(out.legacyManifest(), false);   // upgraded to the _ layout
        fs.delete(out.tmpDir(), true);
        return all;
    }

    /** Checks the tokenizer and adapter, and hashes every input of the output's identity. No weights are loaded. */
    static FingerprintInputs fingerprintInputs(PrecomputeSettings opts, DatasetManifest input, Configuration conf)
            throws IOException, JobRefusedException {
        java.nio.file.Path model = LocalCopies.localize(opts.model(), conf);
        String tokenizer;
        try (HfTokenizer tok = HfTokenizer.load(model)) {
            tokenizer = tok.fingerprint();
        } catch (NoSuchFileException e) {
            throw new JobRefusedException("model folder " + opts.model() + " has no tokenizer.json, so the input's "
                    + "tokenizer cannot be checked against it", e);
        }
        if (!tokenizer.equals(input.tokenizerFingerprint())) {
            throw new JobRefusedException("tokenizer mismatch: " + opts.data() + " was tokenized with a tokenizer.json "
                    + "of fingerprint " + input.tokenizerFingerprint() + " but the model folder " + opts.model()
                    + " has " + tokenizer + "; re-run prepare with --tokenizer " + opts.model());
        }
        String adapter = null;
        if (opts.adapter() != null) {
            java.nio.file.Path dir = LocalCopies.localize(opts.adapter(), conf);
            LoraAdapter.load(dir, Architectures.of(ModelConfig.load(model)), DataType.FLOAT);   // fails early if it does not fit
            adapter = FingerprintInputs.adapterFingerprint(dir);
        }
        return new FingerprintInputs(FingerprintInputs.modelFingerprint(model), adapter, tokenizer, input.fingerprint(),
                opts.dtype().label(), FingerprintInputs.LOGPROB_CONVENTION_VERSION);
    }

    /** Refuses inputs whose columns cannot work before any task starts (tasks check their own shard again). */
    private static void checkFirstShard(DatasetManifest input, Configuration conf) throws IOException, JobRefusedException {
        Path first = new Path(input.dir(), input.shards().get(0).file());
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(first, conf))) {
            ParquetRows.outputSchema(r.getFileMetaData().getSchema());
        } catch (IOException e) {
            throw new JobRefusedException(first + ": " + e.getMessage(), e);
        }
    }

    private static List<ShardStats> compute(SparkSession spark, PrecomputeSettings opts, DatasetManifest input, Path outRoot,
                                            FingerprintInputs inputs, List<String> missing) throws Exception {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String runId = UUID.randomUUID().toString().substring(0, 8);
        TaskSettings settings = new TaskSettings(input.dir().toString(), outRoot.toString(), opts.model(), opts.adapter(),
                opts.dtype(), opts.batchTokens(), opts.maxBatch(), inputs.model(), inputs.fingerprint(), runId,
                new HadoopConf(spark.sparkContext().hadoopConfiguration()));
        List<DatasetManifest.Shard> work = input.shards().stream().filter(s -> missing.contains(s.file())).toList();
        long rows = work.stream().mapToLong(DatasetManifest.Shard::rows).sum();
        LongAccumulator rowsAcc = jsc.sc().longAccumulator("precompute-ref rows");
        LongAccumulator tokensAcc = jsc.sc().longAccumulator("precompute-ref tokens");
        String group = "precompute-ref-" + runId;
        ProgressListener progress = new ProgressListener(group, work.size(), rows, rowsAcc.id(), tokensAcc.id(), LOG);
        spark.sparkContext().addSparkListener(progress);
        jsc.setJobGroup(group, "precompute-ref: " + work.size() + " shard(s) -> " + outRoot, false);
        try {
            return jsc.parallelize(work, work.size()).map(new ShardTask(settings, rowsAcc, tokensAcc)).collect();
        } catch (Exception e) {
            jsc.cancelJobGroup(group);
            if (!progress.awaitIdle(DRAIN_MILLIS)) LOG.warn("precompute-ref: task attempts still running after the failure");
            throw e;
        } finally {
            jsc.clearJobGroup();
            spark.sparkContext().removeSparkListener(progress);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Totals of an existing complete output, from its markers (for the up-to-date result). */
    private record ManifestTotals(long rows, long tokens, long padded) {
        double paddingFraction() {
            return padded == 0 ? 0 : 1.0 - (double) tokens / padded;
        }

        static ManifestTotals of(FileSystem fs, OutputLayout out, List<DatasetManifest.Shard> shards) throws IOException {
            long rows = 0, tokens = 0, padded = 0;
            for (DatasetManifest.Shard s : shards) {
                ShardStats st = ShardMarker.read(fs, out.marker(s.file())).stats();
                rows += st.rows();
                tokens += st.tokens();
                padded += st.paddedTokens();
            }
            return new ManifestTotals(rows, tokens, padded);
        }
    }
}
