package org.sparkdpo.jobs.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.data.PairShards;
import org.sparkdpo.data.SftShards;
import org.sparkdpo.jobs.train.BatchPlan;
import org.sparkdpo.jobs.train.CheckpointStore;
import org.sparkdpo.jobs.train.LoraWeights;
import org.sparkdpo.jobs.train.Networks;
import org.sparkdpo.jobs.train.ProgressLine;
import org.sparkdpo.jobs.train.RoundFeeder;
import org.sparkdpo.jobs.train.RoundLayout;
import org.sparkdpo.jobs.train.TrainerState;
import org.sparkdpo.jobs.train.TrainingModel;
import org.sparkdpo.jobs.train.TrainingTask;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.LengthBuckets;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.sft.SftObjective;

/**
 * Supervised fine-tuning as a {@link TrainingTask}: prompt/completion examples, the {@link SftLayerConf} network
 * (every weight, or only LoRA matrices, as DL4J parameters), a Hugging Face model folder ({@code model/}) or a PEFT
 * adapter ({@code adapter/}) as checkpoint and result, TRL's SFT metrics ({@code loss}, {@code mean_token_accuracy}).
 */
final class SftTask implements TrainingTask {
    private final SftSettings s;
    private final SftShards train;
    private final JavaRDD<Completion> eval;
    private final SftModel.Spec spec;

    private SftTask(SftSettings s, SftShards train, JavaRDD<Completion> eval, SftModel.Spec spec) {
        this.s = s;
        this.train = train;
        this.eval = eval;
        this.spec = spec;
    }

    static TrainingTask.Factory factory(SparkSession spark, SftSettings s) {
        return (state, ckpt) -> create(spark, s, state, ckpt);
    }

    private static SftTask create(SparkSession spark, SftSettings s, TrainerState state,
                                  Optional<CheckpointStore.Loaded> ckpt) throws IOException {
        var ev = s.evaluation();
        PairShards.Holdout trainSide = ev.data() == null && ev.fraction() > 0
                ? new PairShards.Holdout(ev.fraction(), s.seeds().data(), false) : null;
        SftShards train = SftShards.read(spark, s.data(), trainSide);
        JavaRDD<Completion> eval = null;
        if (ev.data() != null) eval = SftShards.read(spark, ev.data(), null).examples().values();
        else if (ev.fraction() > 0) {
            eval = SftShards.read(spark, s.data(), new PairShards.Holdout(ev.fraction(), s.seeds().data(), true)).examples().values();
        }
        String init = s.full() ? ckpt.map(c -> c.modelDir().toAbsolutePath().toUri().toString()).orElse(null)
                : ckpt.map(c -> c.adapterDir().toAbsolutePath().toUri().toString()).orElse(s.adapterInit());
        var lora = s.full() ? null : TrainingModel.resolveLora(s.model(), s.dtype(), s.lora(), s.adapterInit());
        SftModel.Spec spec = SftModel.Spec.of(s.model(), s.dtype(), s.full(), lora, init, state.loraSeed(),
                state.dropoutSeed(), s.batching().gradientAccumulation(), s.completionOnly());
        return new SftTask(s, train, eval, spec);
    }

    @Override
    public String examplesName() {
        return "samples";
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
        var dtype = s.dtype();
        return RoundFeeder.of(sc, train.examples(), train.size(), plan, layout,
                (RoundFeeder.BatchEncoder<Completion>) rows -> SftBatchCodec.encode(rows, dtype));
    }

    @Override
    public MultiLayerNetwork network(int totalSteps) {
        return Networks.build(new SftLayerConf(spec), spec.dtype(), s.optimizer(), totalSteps);
    }

    @Override
    public String describe(MultiLayerNetwork net) {
        return net.numParams() + (s.full() ? " parameters (full-parameter SFT)" : " LoRA parameters (SFT)");
    }

    @Override
    public List<ProgressLine.Field> progressFields() {
        return List.of(new ProgressLine.Field("loss", "loss", "%.4f"), new ProgressLine.Field("acc", "mean_token_accuracy", "%.3f"),
                new ProgressLine.Field("samples/s", "samples_per_second", "%.1f"));
    }

    @Override
    public List<String> curveKeys() {
        return List.of("loss", "mean_token_accuracy");
    }

    /** The trained tensors (copies) keyed by variable name: checkpoint names (full) or LoRA variable names. */
    private static Map<String, INDArray> values(MultiLayerNetwork net) {
        SftLayer layer = (SftLayer) net.getLayer(0);
        SftModel m = SftModel.of(layer.layerConf().spec());
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (SftModel.Trainable t : m.trainables()) out.put(t.varName(), layer.getParam(t.paramKey()).dup().reshape(t.shape()));
        return out;
    }

    private LoraAdapter adapter(MultiLayerNetwork net) {
        SftModel m = SftModel.of(spec);
        Map<String, INDArray> v = values(net);
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (LinearModule mod : m.modules()) {
            pairs.add(new LoraAdapter.Pair(mod, v.get(LoraBindings.varName(mod.path(), 'A')), v.get(LoraBindings.varName(mod.path(), 'B'))));
        }
        return new LoraAdapter(m.lora(), pairs);
    }

    private Path write(MultiLayerNetwork net, Path dir) throws IOException {
        if (s.full()) return FullModelWriter.write(dir.resolve("model"), values(net), TrainingModel.local(s.model()));
        Path a = dir.resolve("adapter");
        adapter(net).save(a);
        return a;
    }

    @Override
    public CheckpointStore.Weights checkpointWeights(MultiLayerNetwork net) {
        return dir -> write(net, dir);
    }

    @Override
    public Path writeResult(MultiLayerNetwork net, Path out) throws IOException {
        return write(net, out);
    }

    @Override
    public boolean hasEval() {
        return eval != null;
    }

    @Override
    public Map<String, Double> evaluate(JavaSparkContext sc, MultiLayerNetwork net) {
        Map<String, double[]> v = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        values(net).forEach((k, a) -> {
            v.put(k, a.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble());
            shapes.put(k, a.shape());
        });
        Broadcast<LoraWeights> w = sc.broadcast(new LoraWeights(v, shapes));
        SftModel.Spec sp = spec;
        int batch = s.evaluation().batchSize();
        SftStats total = eval.mapPartitions(it -> List.of(score(it, sp, w.value(), batch)).iterator())
                .reduce((a, b) -> (SftStats) a.merge(b));
        w.destroy();
        return total.metrics("eval_");
    }

    /** Scores one partition's examples with the broadcast weights (sorted by length, in batches). */
    static SftStats score(Iterator<Completion> it, SftModel.Spec spec, LoraWeights w, int batchSize) {
        List<Completion> all = new ArrayList<>();
        it.forEachRemaining(all::add);
        SftStats total = new SftStats(0, 0, 0, 0);
        if (all.isEmpty()) return total;
        all.sort(Comparator.comparingInt(Completion::length));
        ExecutorContext.bindGpu(org.apache.spark.TaskContext.get());
        SftModel m = SftModel.of(spec);
        SftObjective objective = m.objective();
        Map<String, INDArray> arrays = w.arrays(spec.dtype());
        int maxPositions = m.base().model().config().maxPositions();
        for (int from = 0; from < all.size(); from += batchSize) {
            List<Completion> b = all.subList(from, Math.min(all.size(), from + batchSize));
            int padTo = LengthBuckets.of(b.get(b.size() - 1).length(), maxPositions);
            SftObjective.Result r = objective.run(b, arrays, false, 0, padTo);
            total = (SftStats) total.merge(new SftStats(b.size(), r.tokens(), r.loss() * r.tokens(), r.correct()));
        }
        return total;
    }

    @Override
    public Map<String, Object> summary(MultiLayerNetwork net) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", s.full() ? "full" : "lora");
        m.put(s.full() ? "parameters" : "lora_parameters", net.numParams());
        m.put("completion_only_loss", s.completionOnly());
        m.put("model", s.model());
        m.put("data", s.data());
        return m;
    }

    @Override
    public void close() {
        train.release();
    }
}
