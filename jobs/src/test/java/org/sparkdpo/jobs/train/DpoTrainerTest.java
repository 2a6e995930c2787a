package org.sparkdpo.jobs.train;

import org.sparkdpo.model.TestWeights;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DPO training through DL4J's ParameterAveragingTrainingMaster on a local[2] Spark session. */
class DpoTrainerTest {
    static SparkSession spark;
    static final Path MODEL = TestFixtures.tinyGpt2();

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    static TrainSettings options(Path data, Path out, String adapterInit, OptimizerSettings opt, int batch, int workers,
                                 int avgFreq, int maxSteps, int checkpointEvery, boolean resume, double evalFraction) {
        LoraConfig lora = new LoraConfig(4, 8, 0.0, List.of("c_attn", "c_proj", "c_fc"), false, true, "tiny-gpt2");
        return new TrainSettings(new TrainSettings.Paths(data.toString(), MODEL.toString(), out, adapterInit),
                new TrainSettings.Batching(batch, 1, workers, avgFreq, false), DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0),
                lora, opt, new TrainSettings.Schedule(1, maxSteps, 1), new TrainSettings.Evaluation(null, evalFraction, 8, 0),
                new TrainSettings.Checkpoints(checkpointEvery, 0, resume), new TrainSettings.Seeds(7, 11, 13), DataType.FLOAT);
    }

    /** One worker, SGD lr 0.5, the oracle batch, the oracle adapter: loss and the stepped adapter match the oracle. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"oracle-gpt2/tiny-gpt2", "oracle-llama/llama", "oracle-llama/qwen2"})
    void oneSgdStepOnTheOracleBatchMatchesTheOracle(String oracle, @TempDir Path tmp) throws Exception {
        Path model = TestFixtures.repoRoot().resolve("model/src/test/resources").resolve(oracle);
        var cases = OracleCases.read(model);
        List<org.sparkdpo.model.dpo.PreferencePair> pairs = OracleCases.pairs(cases);
        Path data = PrecomputedPairs.write(spark, pairs, tmp.resolve("data"), 2);
        TrainSettings base = options(data, tmp.resolve("run"), model.resolve("adapter").toString(), OptimizerSettings.sgd(0.5),
                pairs.size(), 1, 1, 1, 0, false, 0);
        TrainSettings o = new TrainSettings(new TrainSettings.Paths(base.paths().data(), model.toString(), base.paths().out(),
                base.paths().adapterInit()), base.batching(), base.dpo(), null, base.optimizer(), base.schedule(),
                base.evaluation(), base.checkpoints(), base.seeds(), DataType.FLOAT);
        DpoTrainer.Result r = DpoTrainer.train(spark, o);
        assertEquals(1, r.steps());
        List<Map<String, Object>> lines = MetricsLog.read(r.metricsFile());
        assertEquals(1, lines.size());
        assertEquals(cases.at("/grad_check/loss_value").asDouble(), ((Number) lines.get(0).get("loss")).doubleValue(), 1e-5);
        assertEquals(cases.at("/grad_check/grad_global_norm").asDouble(), ((Number) lines.get(0).get("grad_norm")).doubleValue(),
                1e-4 * Math.max(1, cases.at("/grad_check/grad_global_norm").asDouble()));
        BaseWeights bw = TestWeights.get(model, DataType.FLOAT);
        LoraAdapter after = LoraAdapter.load(r.adapterDir(), bw.model(), DataType.FLOAT);
        DpoObjective obj = new DpoObjective(bw, after.config(), after.pairs().stream().map(LoraAdapter.Pair::module).toList(),
                DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0));
        double loss = obj.run(pairs, LoraWeights.of(after).arrays(DataType.FLOAT), false, 0, 0).loss();
        assertEquals(cases.at("/grad_check/loss_after_sgd").asDouble(), loss, 1e-4);
        for (String key : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected", "grad_norm", "learning_rate", "epoch", "step")) {
            assertTrue(lines.get(0).containsKey(key), "metrics carry TRL's " + key);
        }
        assertEquals(cases.at("/batch_metrics/rewards~1margins").asDouble(), ((Number) lines.get(0).get("rewards/margins")).doubleValue(), 1e-5);
    }

    /** Through the command line, as a user runs it: train on 2 workers, then eval the written adapter. */
    @Test
    void twoWorkersLearnLeaveTheBaseAloneAndTheAdapterReproducesTheEval(@TempDir Path tmp) throws Exception {
        List<org.sparkdpo.model.dpo.PreferencePair> all = PrecomputedPairs.learnable(80, 3);
        Path data = PrecomputedPairs.write(spark, all.subList(0, 64), tmp.resolve("train"), 3);
        Path evalData = PrecomputedPairs.write(spark, all.subList(64, 80), tmp.resolve("eval"), 1);
        BaseWeights base = TestWeights.get(MODEL, DataType.FLOAT);
        double baseSum = checksum(base);
        Path out = tmp.resolve("run");
        int rc = org.sparkdpo.jobs.cli.Main.run(new String[]{"train", "--data", data.toString(), "--model", MODEL.toString(),
                "--out", out.toString(), "--eval-data", evalData.toString(), "--workers", "2", "--batch-size", "8",
                "--averaging-frequency", "2", "--max-steps", "12", "--lr", "2e-2", "--lr-scheduler", "constant",
                "--lora-r", "4", "--lora-alpha", "8", "--lora-targets", "c_attn,c_proj,c_fc", "--log-every", "1",
                "--eval-every", "6", "--eval-batch-size", "8", "--lora-seed", "11"});
        assertEquals(0, rc);
        List<Map<String, Object>> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        List<Map<String, Object>> train = lines.stream().filter(l -> l.containsKey("loss")).toList();
        assertEquals(12, train.size());
        double firstLoss = num(train.get(0), "loss"), lastLoss = num(train.get(train.size() - 1), "loss");
        assertTrue(lastLoss < firstLoss - 0.1, "loss falls: " + firstLoss + " -> " + lastLoss);
        assertTrue(num(train.get(train.size() - 1), "rewards/accuracies") > num(train.get(0), "rewards/accuracies"), "accuracy rises");
        assertEquals(Math.log(2), firstLoss, 1e-3, "a fresh adapter (B = 0) starts at log 2");
        assertEquals(2, lines.stream().filter(l -> l.containsKey("eval_loss")).count(), "eval at step 6 and at the end");
        assertEquals(baseSum, checksum(base), 0.0, "base weights unchanged");
        LoraAdapter trained = LoraAdapter.load(out.resolve("adapter"), base.model(), DataType.FLOAT);
        LoraConfig cfg = trained.config();
        assertTrue(cfg.fanInFanOut(), "GPT-2 adapters are written with fan_in_fan_out");
        LoraAdapter initial = LoraAdapter.init(cfg, base.model(), 11, DataType.FLOAT);
        for (LoraAdapter.Pair p : trained.pairs()) {
            assertNotEquals(initial.pair(p.module().path()).b(), p.b(), "LoRA B of " + p.module().path() + " trained");
        }
        assertTrue(Files.exists(out.resolve("training_curves.html")) && Files.readString(out.resolve("training_curves.html")).contains("<svg"));
        var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertTrue(summary.get("bytes_per_averaging_round").asLong() > 0);
        double trainerEvalAcc = summary.at("/final_eval/eval_rewards~1accuracies").asDouble();
        assertTrue(trainerEvalAcc > 0.5, "held-out accuracy " + trainerEvalAcc);

        Path evalOut = tmp.resolve("eval-out");
        rc = org.sparkdpo.jobs.cli.Main.run(new String[]{"eval", "--data", evalData.toString(), "--model", MODEL.toString(),
                "--adapter", out.resolve("adapter").toString(), "--out", evalOut.toString(), "--batch-size", "8"});
        assertEquals(0, rc);
        var evalSummary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(evalOut.resolve("summary.json").toFile());
        for (String k : List.of("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_rewards/chosen", "eval_logps/rejected")) {
            double a = summary.get("final_eval").get(k).asDouble(), b = evalSummary.get(k).asDouble();
            assertEquals(a, b, 1e-5 * Math.max(1, Math.abs(a)), k + ": trainer " + a + " vs eval command " + b);
        }
        assertEquals(16, spark.read().parquet(evalOut.resolve("pairs").toString()).count());
    }

    static double num(Map<String, Object> m, String k) {
        return ((Number) m.get(k)).doubleValue();
    }

    static double checksum(BaseWeights base) {
        double s = 0;
        for (INDArray a : base.tensors().values()) s += a.castTo(DataType.DOUBLE).mul(a.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        return s;
    }
}
