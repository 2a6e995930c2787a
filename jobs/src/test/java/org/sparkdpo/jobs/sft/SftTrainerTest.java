package org.sparkdpo.jobs.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.train.MetricsLog;
import org.sparkdpo.jobs.train.OptimizerSettings;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.jobs.train.TrainingRun;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.sft.SftObjective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SFT through DL4J's ParameterAveragingTrainingMaster on a local[2] Spark session: one SGD step of the whole model
 * (every weight in DL4J's parameter vector) and of a LoRA adapter against the float64 reference of
 * dev-tools/golden/sft_reference.py; a 2-worker run with checkpoints, resume, eval and the Hugging Face output.
 */
class SftTrainerTest {
    static SparkSession spark;
    static final Path GPT2 = TestFixtures.tinyGpt2();

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    static JsonNode reference() throws Exception {
        return new ObjectMapper().readTree(TestFixtures.repoRoot().resolve("model/src/test/resources/oracle-sft/sft_reference.json")
                .toFile()).get("gpt2");
    }

    static List<Completion> examples(JsonNode r) {
        List<Completion> out = new ArrayList<>();
        for (JsonNode e : r.get("examples")) out.add(new Completion(OracleCases.ints(e.get("prompt")), OracleCases.ints(e.get("completion"))));
        return out;
    }

    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType)
            .add("prompt_ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("completion_ids", DataTypes.createArrayType(DataTypes.IntegerType));

    static Path write(List<Completion> examples, Path dir, int parts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            Completion c = examples.get(i);
            rows.add(RowFactory.create("ex-" + i, Arrays.stream(c.promptIds()).boxed().toList(),
                    Arrays.stream(c.completionIds()).boxed().toList()));
        }
        spark.createDataFrame(rows, SCHEMA).repartition(parts).write().parquet(dir.toString());
        return dir;
    }

    static SftSettings settings(Path data, Path out, boolean full, String adapterInit, LoraConfig lora, OptimizerSettings opt,
                                int batch, int workers, int maxSteps, int checkpointEvery, boolean resume, double evalFraction,
                                DataType dt) {
        return new SftSettings(data.toString(), GPT2.toString(), out, full, lora, adapterInit, true,
                new TrainSettings.Batching(batch, 1, workers, 1, false), opt, new TrainSettings.Schedule(1, maxSteps, 1),
                new TrainSettings.Evaluation(null, evalFraction, 4, 0), new TrainSettings.Checkpoints(checkpointEvery, 0, resume),
                new TrainSettings.Seeds(7, 11, 13), dt);
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    static double num(Map<String, Object> m, String k) {
        return ((Number) m.get(k)).doubleValue();
    }

    /** One worker, SGD 0.5, float64: DL4J's step of the whole model equals the reference's step. */
    @Test
    void oneFullParameterSgdStepThroughDl4jMatchesTheReference(@TempDir Path tmp) throws Exception {
        JsonNode r = reference();
        List<Completion> exs = examples(r);
        Path data = write(exs, tmp.resolve("data"), 1);
        TrainingRun.Outcome o = SftTrainer.train(spark, settings(data, tmp.resolve("run"), true, null, null,
                OptimizerSettings.sgd(r.get("lr").asDouble()), exs.size(), 1, 1, 0, false, 0, DataType.DOUBLE));
        assertEquals(1, o.steps());
        Map<String, Object> line = MetricsLog.read(o.metricsFile()).get(0);
        assertEquals(r.at("/full/loss").asDouble(), num(line, "loss"), 1e-9);
        assertEquals(r.at("/full/correct").asDouble() / r.at("/full/tokens").asDouble(), num(line, "mean_token_accuracy"), 1e-12);
        assertEquals(r.at("/full/grad_global_norm").asDouble(), num(line, "grad_norm"), 1e-7 * r.at("/full/grad_global_norm").asDouble());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.exists(o.output().resolve(f)), f + " in " + o.output());
        }
        BaseWeights after = ModelStore.load(o.output(), DataType.DOUBLE);
        SftObjective obj = SftObjective.full(after, true);
        double loss = obj.run(exs, obj.initialFullWeights(), false, 0, 0).loss();
        assertEquals(r.at("/full/loss_after_sgd").asDouble(), loss, 1e-8);
    }

    /** LoRA SFT: the stepped adapter equals the reference's adapter minus lr times the reference gradients. */
    @Test
    void oneLoraSgdStepThroughDl4jMatchesTheReference(@TempDir Path tmp) throws Exception {
        JsonNode r = reference();
        List<Completion> exs = examples(r);
        Path data = write(exs, tmp.resolve("data"), 1);
        double lr = r.get("lr").asDouble();
        Path init = GPT2.resolve("adapter");
        TrainingRun.Outcome o = SftTrainer.train(spark, settings(data, tmp.resolve("run"), false, init.toString(), null,
                OptimizerSettings.sgd(lr), exs.size(), 1, 1, 0, false, 0, DataType.DOUBLE));
        BaseWeights base = ModelStore.load(GPT2, DataType.DOUBLE);
        LoraAdapter before = LoraAdapter.load(init, base.model(), DataType.DOUBLE);
        LoraAdapter after = LoraAdapter.load(o.output(), base.model(), DataType.DOUBLE);
        Map<String, INDArray> stepped = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : after.pairs()) {
            stepped.put(LoraAdapter.peftKey(p.module().path(), 'A'), p.a());
            stepped.put(LoraAdapter.peftKey(p.module().path(), 'B'), p.b());
        }
        int checked = 0;
        for (LoraAdapter.Pair p : before.pairs()) {
            for (char w : new char[]{'A', 'B'}) {
                String key = LoraAdapter.peftKey(p.module().path(), w);
                JsonNode g = r.at("/lora/grads").get(key);
                INDArray want = (w == 'A' ? p.a() : p.b()).dup();
                for (int i = 0; i < g.size(); i++) {
                    for (int j = 0; j < g.get(i).size(); j++) want.putScalar(i, j, want.getDouble(i, j) - lr * g.get(i).get(j).asDouble());
                }
                INDArray got = stepped.get(key);
                assertTrue(want.equalsWithEps(got, 1e-9), key + " after one step");
                checked++;
            }
        }
        assertEquals(2 * before.pairs().size(), checked);
        assertTrue(LoraBindings.varName("x", 'A').startsWith("lora."));
    }

    /** Two workers, AdamW, checkpoints every 2 steps; a resumed run ends where an uninterrupted one does. */
    @Test
    void twoWorkersFullParameterRunCheckpointsResumesAndLearns(@TempDir Path tmp) throws Exception {
        List<Completion> exs = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            int a = 100 + (i % 8);
            exs.add(new Completion(new int[]{11, 12, a}, new int[]{a + 1000, a + 2000, 50256}));
        }
        Path data = write(exs, tmp.resolve("data"), 2);
        OptimizerSettings adam = new OptimizerSettings("adamw", 1e-2, 0, org.sparkdpo.jobs.train.WarmupDecaySchedule.Decay.CONSTANT,
                0, 1.0, 0.9, 0.999, 1e-8);
        Path out = tmp.resolve("run");
        TrainingRun.Outcome o = SftTrainer.train(spark, settings(data, out, true, null, null, adam, 4, 2, 6, 2, false, 0.2,
                DataType.FLOAT));
        assertEquals(6, o.steps());
        List<Map<String, Object>> lines = MetricsLog.read(o.metricsFile());
        List<Map<String, Object>> train = lines.stream().filter(l -> l.containsKey("loss")).toList();
        assertEquals(6, train.size());
        assertTrue(num(train.get(5), "loss") < num(train.get(0), "loss") - 0.5, "loss falls: " + train);
        assertTrue(lines.stream().anyMatch(l -> l.containsKey("eval_loss") && l.containsKey("eval_mean_token_accuracy")));
        assertTrue(Files.exists(out.resolve("training_curves.html")));
        assertTrue(Files.readString(out.resolve("summary.json")).contains("\"mode\": \"full\""));
        assertTrue(Files.exists(out.resolve("checkpoints/step-00000004/model/model.safetensors")));
        assertTrue(Files.exists(out.resolve("checkpoints/step-00000004/updater_state.safetensors")));
        // resume from step 4: rerun the last 2 steps in a copy of the run folder without step 6
        Path resumed = tmp.resolve("resumed");
        copyTree(out, resumed);
        org.sparkdpo.model.io.PathTrees.deleteTree(resumed.resolve("checkpoints/step-00000006"));
        TrainingRun.Outcome o2 = SftTrainer.train(spark, settings(data, resumed, true, null, null, adam, 4, 2, 6, 2, true, 0.2,
                DataType.FLOAT));
        assertEquals(6, o2.steps());
        BaseWeights a = ModelStore.load(o.output(), DataType.FLOAT);
        BaseWeights b = ModelStore.load(o2.output(), DataType.FLOAT);
        for (String n : SftObjective.fullNames(a)) {
            assertTrue(a.get(n).equalsWithEps(b.get(n), 1e-5), n + " equal after resume");
        }
    }
}
