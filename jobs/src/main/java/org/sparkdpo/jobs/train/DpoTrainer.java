package org.sparkdpo.jobs.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
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
import org.sparkdpo.jobs.cli.CommandException;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.dpo.DpoStats;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * DPO training of a LoRA adapter with DL4J's {@link ParameterAveragingTrainingMaster}: the driver runs one
 * averaging round at a time (so it can log, evaluate and checkpoint between rounds), DL4J broadcasts the LoRA
 * parameters and updater state, each worker fits its batches, and DL4J averages the results.
 */
public final class DpoTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DpoTrainer.class);

    /** What a run produced. */
    public record Result(Path adapterDir, Path metricsFile, Path summaryFile, Path curvesFile, int steps,
                         Map<String, Double> finalEval, long bytesPerRound) {}

    private DpoTrainer() {}

    public static Result train(SparkSession spark, TrainOptions o) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Files.createDirectories(o.out());
        CheckpointStore checkpoints = new CheckpointStore(o.out(), o.keepCheckpoints());
        Optional<CheckpointStore.Loaded> ckpt = o.resume() ? checkpoints.latest() : Optional.empty();
        if (o.resume() && ckpt.isEmpty()) LOG.warn("--resume: no complete checkpoint in {}, starting from scratch", checkpoints.root());
        if (!o.resume() && Files.exists(o.out().resolve("metrics.jsonl"))) {
            throw new CommandException(ExitCodes.REFUSED, o.out() + " already holds a run (metrics.jsonl); use --resume to "
                    + "continue it or choose another --out");
        }

        PairDataset.Holdout trainSide = o.evalData() == null && o.evalFraction() > 0
                ? new PairDataset.Holdout(o.evalFraction(), o.dataSeed(), false) : null;
        PairDataset train = PairDataset.read(spark, o.data(), trainSide);
        JavaRDD<PreferencePair> eval = evalPairs(spark, o);

        LoraConfig lora = loraConfig(o);
        TrainerState state = ckpt.map(CheckpointStore.Loaded::state)
                .orElse(new TrainerState(0, 0, 0, 0, o.dataSeed(), o.loraSeed(), o.dropoutSeed()));
        String init = ckpt.map(c -> c.adapterDir().toString()).orElse(o.adapterInit());
        TrainingModel.Spec spec = TrainingModel.Spec.of(o.model(), o.dtype(), lora, o.dpo(), init, state.loraSeed(), state.dropoutSeed(),
                o.gradientAccumulation());

        int stepsPerEpoch = new RoundLayout(o.workers(), o.averagingFrequency(),
                (train.size() + o.batchSize() - 1) / o.batchSize()).stepsPerEpoch();
        int totalSteps = o.maxSteps() > 0 ? o.maxSteps() : o.epochs() * stepsPerEpoch;
        MultiLayerNetwork net = DpoNetworks.build(spec, o.optimizer(), totalSteps);
        if (ckpt.isPresent() && ckpt.get().updaterState() != null) {
            net.getUpdater().setStateViewArray(net, ckpt.get().updaterState(), false);
        }
        long bytesPerRound = bytesPerRound(net);
        LOG.info("training {} LoRA parameters on {} pairs ({} steps/epoch, {} steps); each averaging round "
                        + "broadcasts {} bytes (LoRA parameters + updater state) and gathers as much from each of {} workers",
                net.numParams(), train.size(), stepsPerEpoch, totalSteps, bytesPerRound, o.workers());

        CollectionAccumulator<StepRecord> records = sc.sc().collectionAccumulator("dpo-steps");
        ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(o.batchSize())
                .batchSizePerWorker(o.batchSize())
                .averagingFrequency(o.averagingFrequency())
                .workerPrefetchNumBatches(0)
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(Repartition.Never)
                .storageLevel(null)
                .build();
        tm.addHook(new StepMetricsHook(records));
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, tm);

        ProgressLine progress = new ProgressLine(totalSteps);
        WarmupDecaySchedule schedule = new WarmupDecaySchedule(o.optimizer().lr(), o.optimizer().warmupSteps(), totalSteps,
                o.optimizer().decay());
        int step = state.step();
        long pairsSeen = state.pairsSeen();
        Map<String, Double> lastEval = Map.of();
        try (MetricsLog metrics = MetricsLog.open(o.out().resolve("metrics.jsonl"), ckpt.isPresent() ? step : -1)) {
            Window window = new Window();
            for (int epoch = state.epoch(); step < totalSteps; epoch++) {
                BatchPlan plan = BatchPlan.of(train.lengths(), o.batchSize(), state.dataSeed(), epoch, o.groupByLength());
                RoundLayout layout = new RoundLayout(o.workers(), o.averagingFrequency(), plan.numBatches());
                try (RoundFeeder feeder = RoundFeeder.of(sc, train, plan, layout, o.dtype())) {
                    int firstRound = epoch == state.epoch() ? state.roundInEpoch() : 0;
                    for (int r = firstRound; r < layout.rounds() && step < totalSteps; r++) {
                        int stepsThisRound = Math.min(layout.stepsIn(r), totalSteps - step);
                        net.getLayerWiseConfigurations().setIterationCount(step);
                        net.getLayerWiseConfigurations().setEpochCount(epoch);
                        long t0 = System.nanoTime();
                        fitRound(sparkNet, feeder.round(r), stepsThisRound, step, checkpoints);
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        List<StepRecord> recs = new ArrayList<>(records.value());
                        records.reset();
                        TreeMap<Integer, List<StepRecord>> byStep = new TreeMap<>();
                        for (StepRecord rec : recs) byStep.computeIfAbsent(rec.localStep(), k -> new ArrayList<>()).add(rec);
                        for (List<StepRecord> stepRecs : byStep.values()) {
                            double lr = schedule.valueAt(step, epoch);
                            step++;
                            DpoStats merged = DpoStats.EMPTY;
                            double gradNorm = 0;
                            long tokens = 0;
                            for (StepRecord rec : stepRecs) {
                                merged = merged.merge(rec.stats());
                                gradNorm += rec.gradNorm() / stepRecs.size();
                                tokens += rec.tokens();
                            }
                            pairsSeen += merged.pairs();
                            window.add(merged, gradNorm, lr, tokens, seconds / byStep.size());
                            if (step % o.logEvery() == 0 || step == totalSteps) {
                                Map<String, Object> line = window.drain((double) step / stepsPerEpoch, step);
                                metrics.write(line);
                                progress.show(step, line);
                            }
                        }
                        boolean epochDone = r + 1 == layout.rounds();
                        TrainerState next = new TrainerState(step, epochDone ? epoch + 1 : epoch, epochDone ? 0 : r + 1,
                                pairsSeen, state.dataSeed(), state.loraSeed(), state.dropoutSeed());
                        int before = step - byStep.size();
                        if (eval != null && o.evalEvery() > 0 && crossed(before, step, o.evalEvery()) && step < totalSteps) {
                            lastEval = evaluate(sc, eval, spec, net, o, metrics, step, (double) step / stepsPerEpoch);
                        }
                        if (o.checkpointEvery() > 0 && crossed(before, step, o.checkpointEvery())) {
                            Path c = checkpoints.save(next, LoraWeights.adapterOf(net), updaterState(net));
                            LOG.info("checkpoint {} written", c);
                        }
                    }
                }
            }
            progress.finish();
            if (eval != null) lastEval = evaluate(sc, eval, spec, net, o, metrics, step, (double) step / stepsPerEpoch);
        }

        LoraAdapter adapter = LoraWeights.adapterOf(net);
        Path adapterDir = o.out().resolve("adapter");
        adapter.save(adapterDir);
        Path metricsFile = o.out().resolve("metrics.jsonl");
        Path curves = TrainingCurves.write(metricsFile, o.out().resolve("training_curves.html"));
        Path summary = writeSummary(o, net, step, pairsSeen, totalSteps, lastEval, bytesPerRound, metricsFile);
        train.release();
        return new Result(adapterDir, metricsFile, summary, curves, step, lastEval, bytesPerRound);
    }

    private static void fitRound(SparkDl4jMultiLayer sparkNet, JavaRDD<DataSet> round, int maxLocalSteps, int step,
                                 CheckpointStore checkpoints) {
        JavaRDD<DataSet> limited = round.mapPartitions(it -> {
            List<DataSet> out = new ArrayList<>();
            while (it.hasNext() && out.size() < maxLocalSteps) out.add(it.next());
            return out.iterator();
        }, true);
        try {
            sparkNet.fit(limited);
        } catch (Exception e) {     // Spark rethrows task failures as the checked SparkException
            String nonFinite = findNonFinite(e);
            if (nonFinite != null) {
                throw new CommandException(ExitCodes.FAILURE, "training stopped: " + nonFinite
                        + "; the last good checkpoint (if any) is in " + checkpoints.root() + " and is intact", e);
            }
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException("training round failed before step " + (step + 1) + ": " + e.getMessage(), e);
        }
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

    static boolean crossed(int before, int after, int every) {
        return after / every > before / every;
    }

    private static LoraConfig loraConfig(TrainOptions o) throws IOException {
        if (o.adapterInit() == null) {
            LoraConfig l = o.lora();
            boolean conv1d = ModelStore.get(TrainingModel.local(o.model()), o.dtype()).model().linearModules().get(0).layout()
                    == org.sparkdpo.model.arch.LinearLayout.CONV1D;
            return new LoraConfig(l.r(), l.loraAlpha(), l.loraDropout(), l.targetModules(), l.useRslora(), conv1d,
                    l.baseModelNameOrPath());
        }
        LoraAdapter a = LoraAdapter.load(TrainingModel.local(o.adapterInit()),
                ModelStore.get(TrainingModel.local(o.model()), o.dtype()).model(), o.dtype());
        LoraConfig c = a.config();
        double dropout = o.lora() != null ? o.lora().loraDropout() : c.loraDropout();
        return new LoraConfig(c.r(), c.loraAlpha(), dropout, c.targetModules(), c.useRslora(), c.fanInFanOut(), c.baseModelNameOrPath());
    }

    private static JavaRDD<PreferencePair> evalPairs(SparkSession spark, TrainOptions o) {
        if (o.evalData() != null) return PairDataset.read(spark, o.evalData()).pairs().values();
        if (o.evalFraction() > 0) {
            return PairDataset.read(spark, o.data(), new PairDataset.Holdout(o.evalFraction(), o.dataSeed(), true)).pairs().values();
        }
        return null;
    }

    private static Map<String, Double> evaluate(JavaSparkContext sc, JavaRDD<PreferencePair> eval, TrainingModel.Spec spec,
                                                MultiLayerNetwork net, TrainOptions o, MetricsLog metrics, int step,
                                                double epoch) throws IOException {
        Broadcast<LoraWeights> w = sc.broadcast(LoraWeights.of(net));
        long vocab = TrainingModel.of(spec).base().model().config().vocabSize();
        DpoStats stats = Evaluator.stats(Evaluator.score(eval, spec, w, o.evalBatchSize()), o.dpo(), vocab);
        w.destroy();
        Map<String, Double> m = stats.metrics("eval_");
        Map<String, Object> line = new LinkedHashMap<>(m);
        line.put("epoch", epoch);
        line.put("step", step);
        metrics.write(line);
        LOG.info("eval at step {}: {}", step, m);
        return m;
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

    private static Path writeSummary(TrainOptions o, MultiLayerNetwork net, int step, long pairsSeen, int totalSteps,
                                     Map<String, Double> eval, long bytesPerRound, Path metricsFile) throws IOException {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("steps", step);
        s.put("total_steps", totalSteps);
        s.put("pairs_seen", pairsSeen);
        s.put("lora_parameters", net.numParams());
        s.put("bytes_per_averaging_round", bytesPerRound);
        s.put("workers", o.workers());
        s.put("averaging_frequency", o.averagingFrequency());
        s.put("batch_size", o.batchSize());
        s.put("loss_types", o.dpo().terms().stream().map(t -> t.type().trlName()).toList());
        s.put("beta", o.dpo().beta());
        s.put("model", o.model());
        s.put("data", o.data());
        List<Map<String, Object>> lines = MetricsLog.read(metricsFile);
        Map<String, Object> lastTrain = null;
        for (Map<String, Object> l : lines) if (l.containsKey("loss")) lastTrain = l;
        if (lastTrain != null) s.put("final_train", lastTrain);
        s.put("final_eval", eval);
        Path f = o.out().resolve("summary.json");
        Path tmp = o.out().resolve("summary.json.tmp");
        Files.writeString(tmp, PythonJson.write(s) + "\n");
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return f;
    }

    /** Metrics accumulated between two log lines, averaged the way TRL averages its logged values. */
    static final class Window {
        private DpoStats stats = DpoStats.EMPTY;
        private double gradNormSum;
        private double lr;
        private int steps;
        private long tokens;
        private double seconds;

        void add(DpoStats s, double gradNorm, double lr, long tokens, double seconds) {
            stats = stats.merge(s);
            gradNormSum += gradNorm;
            this.lr = lr;
            steps++;
            this.tokens += tokens;
            this.seconds += seconds;
        }

        Map<String, Object> drain(double epoch, int step) {
            Map<String, Object> m = new LinkedHashMap<>(stats.metrics(""));
            m.put("grad_norm", gradNormSum / Math.max(1, steps));
            m.put("learning_rate", lr);
            m.put("epoch", epoch);
            m.put("step", step);
            m.put("pairs_per_second", seconds > 0 ? stats.pairs() / seconds : 0.0);
            m.put("tokens_per_second", seconds > 0 ? tokens / seconds : 0.0);
            stats = DpoStats.EMPTY;
            gradNormSum = 0;
            steps = 0;
            tokens = 0;
            seconds = 0;
            return m;
        }
    }
}
