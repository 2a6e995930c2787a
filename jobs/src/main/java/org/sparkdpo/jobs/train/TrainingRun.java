package org.sparkdpo.jobs.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.model.json.PythonJson;

/**
 * One training run's state between averaging rounds, with a method for each thing a trainer's loop
 * ({@link DpoTrainer}, the SFT trainer) does: fit a round, log it, maybe evaluate, maybe checkpoint, finish. What
 * differs between objectives comes from its {@link TrainingTask}. Everything that survives a restart is in
 * {@link TrainerState} and the checkpoint's weights; the rest is rebuilt by {@link #start}.
 */
public final class TrainingRun implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

    /** What one round did: the step it started after, each step's pooled worker records, its wall time. */
    public record Round(int firstStep, List<StepTotals> steps, double seconds) {}

    /** Where the last round's workers ran: worker index to {@code executor N (pid@host)}. */
    private final Map<Integer, String> workersOfRound = new TreeMap<>();

    /** One optimiser step summed over the workers that ran it. */
    record StepTotals(StepStats stats, double gradNorm, long tokens) {}

    /** What a run produced: the trained weights' folder, metrics, summary, curves, steps, last eval metrics. */
    public record Outcome(Path output, Path metricsFile, Path summaryFile, Path curvesFile, int steps,
                          Map<String, Double> finalEval, long bytesPerRound) {}

    private final RunSettings s;
    private final TrainingTask task;
    private final JavaSparkContext sc;
    private final CheckpointStore checkpoints;
    private final MultiLayerNetwork net;
    private final SparkDl4jMultiLayer sparkNet;
    private final CollectionAccumulator<StepRecord> records;
    private final MetricsLog metrics;
    private final MetricsWindow window;
    private final ProgressLine progress;
    private final WarmupDecaySchedule lr;
    private final TrainerState initial;
    private final int stepsPerEpoch;
    private final int totalSteps;
    private final long bytesPerRound;

    private int step;
    private long examplesSeen;
    private int epoch;
    private int round;
    private RoundLayout layout;
    private RoundFeeder feeder;
    private Map<String, Double> lastEval = Map.of();

    private TrainingRun(RunSettings s, TrainingTask task, JavaSparkContext sc, CheckpointStore checkpoints,
                        MultiLayerNetwork net, MetricsLog metrics, TrainerState initial, int stepsPerEpoch, int totalSteps) {
        this.s = s;
        this.task = task;
        this.sc = sc;
        this.checkpoints = checkpoints;
        this.net = net;
        this.metrics = metrics;
        this.initial = initial;
        this.stepsPerEpoch = stepsPerEpoch;
        this.totalSteps = totalSteps;
        this.step = initial.step();
        this.examplesSeen = initial.pairsSeen();
        this.epoch = initial.epoch();
        this.round = initial.roundInEpoch();
        this.bytesPerRound = bytesPerRound(net);
        this.records = sc.sc().collectionAccumulator("training-steps");
        this.sparkNet = new SparkDl4jMultiLayer(sc, net, trainingMaster(s.batching(), records));
        this.window = new MetricsWindow(task.examplesName() + "_per_second");
        this.progress = new ProgressLine(totalSteps, task.progressFields());
        OptimizerSettings o = s.optimizer();
        this.lr = new WarmupDecaySchedule(o.lr(), o.warmupSteps(), totalSteps, o.decay());
    }

    /** Builds the task (from the latest checkpoint with --resume) and the network; refuses to overwrite a run. */
    public static TrainingRun start(SparkSession spark, RunSettings s, TrainingTask.Factory factory) throws IOException {
        Path out = s.out();
        Files.createDirectories(out);
        CheckpointStore checkpoints = new CheckpointStore(out, s.checkpoints().keep());
        boolean resume = s.checkpoints().resume();
        Optional<CheckpointStore.Loaded> ckpt = resume ? checkpoints.latest() : Optional.empty();
        if (resume && ckpt.isEmpty()) LOG.warn("--resume: no complete checkpoint in {}, starting from scratch", checkpoints.root());
        if (!resume && Files.exists(out.resolve("metrics.jsonl"))) {
            throw new JobRefusedException(out + " already holds a run (metrics.jsonl); use --resume to continue it or choose another --out");
        }
        TrainSettings.Seeds seeds = s.seeds();
        TrainerState state = ckpt.map(CheckpointStore.Loaded::state)
                .orElse(new TrainerState(0, 0, 0, 0, seeds.data(), seeds.lora(), seeds.dropout()));
        TrainingTask task = factory.create(state, ckpt);
        TrainSettings.Batching b = s.batching();
        int stepsPerEpoch = new RoundLayout(b.workers(), b.averagingFrequency(),
                (task.size() + b.batchSize() - 1) / b.batchSize()).stepsPerEpoch();
        int totalSteps = s.schedule().maxSteps() > 0 ? s.schedule().maxSteps() : s.schedule().epochs() * stepsPerEpoch;
        MultiLayerNetwork net = task.network(totalSteps);
        if (ckpt.isPresent() && ckpt.get().updaterState() != null) {
            net.getUpdater().setStateViewArray(net, ckpt.get().updaterState(), false);
        }
        MetricsLog metrics = MetricsLog.open(out.resolve("metrics.jsonl"), ckpt.isPresent() ? state.step() : -1);
        TrainingRun run = new TrainingRun(s, task, JavaSparkContext.fromSparkContext(spark.sparkContext()), checkpoints,
                net, metrics, state, stepsPerEpoch, totalSteps);
        LOG.info("training {} on {} {} ({} steps/epoch, {} steps); each averaging round broadcasts {} bytes "
                        + "(parameters + updater state) and gathers as much from each of {} workers",
                task.describe(net), task.size(), task.examplesName(), stepsPerEpoch, totalSteps, run.bytesPerRound, b.workers());
        return run;
    }

    /** True while steps remain; moves to the next epoch's batch plan when this epoch's rounds are done. */
    public boolean hasNextRound() {
        if (step >= totalSteps) return false;
        if (feeder != null && round >= layout.rounds()) {
            feeder.close();
            feeder = null;
            epoch++;
            round = 0;
        }
        if (feeder == null) {
            TrainSettings.Batching b = s.batching();
            BatchPlan plan = BatchPlan.of(task.lengths(), b.batchSize(), initial.dataSeed(), epoch, b.groupByLength());
            layout = new RoundLayout(b.workers(), b.averagingFrequency(), plan.numBatches());
            feeder = task.feeder(sc, plan, layout);
        }
        return true;
    }

    /** Runs the next averaging round on the cluster (at most the steps that remain) and collects its step records. */
    public Round fitRound() {
        int steps = Math.min(layout.stepsIn(round), totalSteps - step);
        net.getLayerWiseConfigurations().setIterationCount(step);
        net.getLayerWiseConfigurations().setEpochCount(epoch);
        long t0 = System.nanoTime();
        sc.setJobDescription("train round " + (round + 1) + " of epoch " + (epoch + 1) + " (steps " + (step + 1) + "-"
                + (step + steps) + ")");
        try {
            fit(feeder.round(round), steps);
        } finally {
            sc.setJobDescription(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Round r = new Round(step, stepTotals(), seconds);
        LOG.info("round {} (steps {}-{}): {} worker(s): {}", round + 1, step + 1, step + r.steps().size(),
                workersOfRound.size(), workersOfRound);
        for (StepTotals t : r.steps()) examplesSeen += t.stats() == null ? 0 : t.stats().examples();
        step += r.steps().size();
        round++;
        return r;
    }

    /** Adds the round's steps to the metrics window and writes a line every {@code logEvery} steps. */
    public void log(Round r) throws IOException {
        for (int i = 0; i < r.steps().size(); i++) {
            StepTotals t = r.steps().get(i);
            int done = r.firstStep() + i + 1;
            window.add(t.stats(), t.gradNorm(), lr.valueAt(done - 1, epoch), t.tokens(), r.seconds() / r.steps().size());
            if (done % s.schedule().logEvery() == 0 || done == totalSteps) {
                Map<String, Object> line = window.drain((double) done / stepsPerEpoch, done);
                metrics.write(line);
                progress.show(done, line);
            }
        }
    }

    /** Evaluates on the held-out data when the round crossed a multiple of {@code --eval-every} (the last step evaluates in {@link #finish}). */
    public void maybeEvaluate(Round r) throws IOException {
        int every = s.evalEvery();
        if (task.hasEval() && every > 0 && crossed(r.firstStep(), step, every) && step < totalSteps) evaluate();
    }

    /** Writes a checkpoint when the round crossed a multiple of {@code --checkpoint-every}. */
    public void maybeCheckpoint(Round r) throws IOException {
        int every = s.checkpoints().every();
        if (every > 0 && crossed(r.firstStep(), step, every)) {
            boolean epochDone = round >= layout.rounds();
            TrainerState next = new TrainerState(step, epochDone ? epoch + 1 : epoch, epochDone ? 0 : round, examplesSeen,
                    initial.dataSeed(), initial.loraSeed(), initial.dropoutSeed());
            Path c = checkpoints.save(next, task.checkpointWeights(net), updaterState(net));
            LOG.info("checkpoint {} written", c);
        }
    }

    /** The final evaluation, the trained weights, the curves and summary.json. */
    public Outcome finish() throws IOException {
        progress.finish();
        if (task.hasEval()) evaluate();
        metrics.close();
        Path out = s.out();
        Path output = task.writeResult(net, out);
        Path metricsFile = metrics.file();
        Path curves = TrainingCurves.write(metricsFile, out.resolve("training_curves.html"), task.curveKeys());
        Path summary = writeSummary(metricsFile);
        return new Outcome(output, metricsFile, summary, curves, step, lastEval, bytesPerRound);
    }

    @Override
    public void close() throws IOException {
        if (feeder != null) feeder.close();
        metrics.close();
        task.close();
    }

    static boolean crossed(int before, int after, int every) {
        return after / every > before / every;
    }

    private static ParameterAveragingTrainingMaster trainingMaster(TrainSettings.Batching b,
                                                                   CollectionAccumulator<StepRecord> records) {
        ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(b.batchSize())
                .batchSizePerWorker(b.batchSize())
                .averagingFrequency(b.averagingFrequency())
                .workerPrefetchNumBatches(0)
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(Repartition.Never)
                .storageLevel(null)
                .build();
        tm.addHook(new StepMetricsHook(records));
        return tm;
    }

    private void fit(JavaRDD<DataSet> roundData, int maxLocalSteps) {
        JavaRDD<DataSet> limited = roundData.mapPartitions(it -> {
            List<DataSet> out = new ArrayList<>();
            while (it.hasNext() && out.size() < maxLocalSteps) out.add(it.next());
            return out.iterator();
        }, true);
        try {
            sparkNet.fit(limited);
        } catch (Exception e) {     // Spark rethrows task failures as the checked SparkException
            String nonFinite = findNonFinite(e);
            if (nonFinite != null) {
                throw new JobFailedException("training stopped: " + nonFinite
                        + "; the last good checkpoint (if any) is in " + checkpoints.root() + " and is intact", e);
            }
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException("training round failed before step " + (step + 1) + ": " + e.getMessage(), e);
        }
    }

    /** The accumulated worker records of the last round, pooled per local step, in step order. */
    private List<StepTotals> stepTotals() {
        List<StepRecord> recs = new ArrayList<>(records.value());
        records.reset();
        workersOfRound.clear();
        for (StepRecord rec : recs) workersOfRound.put(rec.worker(), rec.where());
        TreeMap<Integer, List<StepRecord>> byStep = new TreeMap<>();
        for (StepRecord rec : recs) byStep.computeIfAbsent(rec.localStep(), k -> new ArrayList<>()).add(rec);
        List<StepTotals> steps = new ArrayList<>();
        for (List<StepRecord> stepRecs : byStep.values()) {
            StepStats merged = null;
            double gradNorm = 0;
            long tokens = 0;
            for (StepRecord rec : stepRecs) {
                merged = merged == null ? rec.stats() : rec.stats() == null ? merged : merged.merge(rec.stats());
                gradNorm += rec.gradNorm() / stepRecs.size();
                tokens += rec.tokens();
            }
            steps.add(new StepTotals(merged, gradNorm, tokens));
        }
        return steps;
    }

    /** The non-finite-loss message anywhere in a (Spark-wrapped) failure, or null. */
    static String findNonFinite(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NonFiniteLossException) return t.getMessage();
            String m = t.getMessage();
            if (m != null) {
                int i = m.indexOf("non-finite ");
                if (i >= 0) {
                    int end = m.indexOf('\n', i);
                    return m.substring(i, end < 0 ? m.length() : end);
                }
            }
        }
        return null;
    }

    private void evaluate() throws IOException {
        Map<String, Double> m = task.evaluate(sc, net);
        Map<String, Object> line = new LinkedHashMap<>(m);
        line.put("epoch", (double) step / stepsPerEpoch);
        line.put("step", step);
        metrics.write(line);
        LOG.info("eval at step {}: {}", step, m);
        lastEval = m;
    }

    private static INDArray updaterState(MultiLayerNetwork net) {
        return net.getUpdater() == null || net.getUpdater().getStateViewArray() == null ? null
                : net.getUpdater().getStateViewArray().dup();
    }

    static long bytesPerRound(MultiLayerNetwork net) {
        long n = net.numParams();
        INDArray u = updaterState(net);
        if (u != null) n += u.length();
        return n * net.params().dataType().width();
    }

    private Path writeSummary(Path metricsFile) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", step);
        m.put("total_steps", totalSteps);
        m.put(task.examplesName() + "_seen", examplesSeen);
        m.putAll(task.summary(net));
        m.put("bytes_per_averaging_round", bytesPerRound);
        m.put("workers", s.batching().workers());
        m.put("averaging_frequency", s.batching().averagingFrequency());
        m.put("batch_size", s.batching().batchSize());
        Map<String, Object> lastTrain = null;
        for (Map<String, Object> l : MetricsLog.read(metricsFile)) if (l.containsKey("loss")) lastTrain = l;
        if (lastTrain != null) m.put("final_train", lastTrain);
        m.put("final_eval", lastEval);
        Path f = s.out().resolve("summary.json");
        Path tmp = s.out().resolve("summary.json.tmp");
        Files.writeString(tmp, PythonJson.write(m) + "\n");
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return f;
    }
}
