package org.sparkdpo.jobs.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.sparkdpo.data.PairShards;
import org.sparkdpo.model.dpo.DpoStats;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraConfig;

/**
 * DPO of a LoRA adapter as a {@link TrainingTask}: reference-scored pairs, the {@link DpoLoraLayerConf} network
 * (only LoRA matrices are parameters), the adapter as checkpoint and result, TRL's DPO eval metrics.
 */
final class DpoTask implements TrainingTask {
    private final TrainSettings s;
    private final PairShards train;
    private final JavaRDD<PreferencePair> eval;
    private final TrainingModel.Spec spec;

    private DpoTask(TrainSettings s, PairShards train, JavaRDD<PreferencePair> eval, TrainingModel.Spec spec) {
        this.s = s;
        this.train = train;
        this.eval = eval;
        this.spec = spec;
    }

    /** Reads the data; the adapter starts from the checkpoint's, else --adapter-init, else a fresh one. */
    static TrainingTask.Factory factory(SparkSession spark, TrainSettings s) {
        return (state, ckpt) -> create(spark, s, state, ckpt);
    }

    private static DpoTask create(SparkSession spark, TrainSettings s, TrainerState state,
                                  Optional<CheckpointStore.Loaded> ckpt) throws IOException {
        TrainSettings.Evaluation ev = s.evaluation();
        PairShards.Holdout trainSide = ev.data() == null && ev.fraction() > 0
                ? new PairShards.Holdout(ev.fraction(), s.seeds().data(), false) : null;
        PairShards train = PairShards.read(spark, s.paths().data(), trainSide);
        String init = ckpt.map(c -> c.adapterDir().toAbsolutePath().toUri().toString()).orElse(s.paths().adapterInit());
        TrainingModel.Spec spec = TrainingModel.Spec.of(s.paths().model(), s.dtype(), loraConfig(s), s.dpo(), init,
                state.loraSeed(), state.dropoutSeed(), s.batching().gradientAccumulation())
                .withGradientCheckpointing(s.batching().gradientCheckpointing());
        return new DpoTask(s, train, evalPairs(spark, s), spec);
    }

    @Override
    public String examplesName() {
        return "pairs";
    }

    @Override
    public int size() {
        return train.size();
    }

    @Override
    public int[] lengths() {
        return train.lengths();
    }

    @Override
    public RoundFeeder feeder(JavaSparkContext sc, BatchPlan plan, RoundLayout layout) {
        return RoundFeeder.of(sc, train, plan, layout, s.dtype());
    }

    @Override
    public MultiLayerNetwork network(int totalSteps) {
        return DpoNetworks.build(spec, s.optimizer(), totalSteps);
    }

    @Override
    public String describe(MultiLayerNetwork net) {
        return net.numParams() + " LoRA parameters (DPO)";
    }

    @Override
    public List<ProgressLine.Field> progressFields() {
        return ProgressLine.DPO;
    }

    @Override
    public List<String> curveKeys() {
        return TrainingCurves.DPO_KEYS;
    }

    @Override
    public CheckpointStore.Weights checkpointWeights(MultiLayerNetwork net) {
        LoraAdapter adapter = LoraWeights.adapterOf(net);
        return dir -> adapter.save(dir.resolve("adapter"));
    }

    @Override
    public Path writeResult(MultiLayerNetwork net, Path out) throws IOException {
        Path adapterDir = out.resolve("adapter");
        LoraWeights.adapterOf(net).save(adapterDir);
        return adapterDir;
    }

    @Override
    public boolean hasEval() {
        return eval != null;
    }

    @Override
    public Map<String, Double> evaluate(JavaSparkContext sc, MultiLayerNetwork net) {
        Broadcast<LoraWeights> w = sc.broadcast(LoraWeights.of(net));
        long vocab = TrainingModel.of(spec).base().model().config().vocabSize();
        DpoStats stats = Evaluator.stats(Evaluator.score(eval, spec, w, s.evaluation().batchSize()), s.dpo(), vocab);
        w.destroy();
        return stats.metrics("eval_");
    }

    @Override
    public Map<String, Object> summary(MultiLayerNetwork net) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lora_parameters", net.numParams());
        m.put("loss_types", s.dpo().terms().stream().map(t -> t.type().trlName()).toList());
        m.put("beta", s.dpo().beta());
        m.put("model", s.paths().model());
        m.put("data", s.paths().data());
        return m;
    }

    @Override
    public void close() {
        train.release();
    }

    private static LoraConfig loraConfig(TrainSettings s) throws IOException {
        return TrainingModel.resolveLora(s.paths().model(), s.dtype(), s.lora(), s.paths().adapterInit());
    }

    private static JavaRDD<PreferencePair> evalPairs(SparkSession spark, TrainSettings s) {
        TrainSettings.Evaluation ev = s.evaluation();
        if (ev.data() != null) return PairShards.read(spark, ev.data()).pairs().values();
        if (ev.fraction() > 0) {
            return PairShards.read(spark, s.paths().data(), new PairShards.Holdout(ev.fraction(), s.seeds().data(), true))
                    .pairs().values();
        }
        return null;
    }
}
