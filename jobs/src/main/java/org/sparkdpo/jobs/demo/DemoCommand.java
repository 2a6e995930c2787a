package org.sparkdpo.jobs.demo;

import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.options.OptionSpec;
import org.sparkdpo.common.options.ParsedOptions;
import org.sparkdpo.common.options.Validator;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.Command;
import org.sparkdpo.jobs.cli.CommandException;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.precompute.PrecomputeOptions;
import org.sparkdpo.jobs.precompute.PrecomputeRefJob;
import org.sparkdpo.jobs.train.DpoTrainer;
import org.sparkdpo.jobs.train.EvalJob;
import org.sparkdpo.jobs.train.OptimizerSettings;
import org.sparkdpo.jobs.train.TrainOptions;
import org.sparkdpo.jobs.train.WarmupDecaySchedule;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareOptions;
import org.sparkdpo.prep.PrepareResult;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code demo}: the whole pipeline on a small synthetic preference task and a bundled model, in one command:
 * prepare, precompute-ref, eval of the base model, train, eval of the adapter, and a before/after table.
 */
public final class DemoCommand implements Command {
    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "Run prepare -> precompute-ref -> train -> eval end to end on a synthetic task with the bundled tiny GPT-2.";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofPath("out", "Folder for every stage's output (must not exist).").asRequired(),
                OptionSpec.ofPath("model", "Model folder (default: the bundled tiny GPT-2 of the test fixtures)."),
                OptionSpec.ofInt("pairs", "Synthetic training pairs.").withDefault(192).withValidator(Validator.positive()),
                OptionSpec.ofInt("max-steps", "Training steps.").withDefault(24).withValidator(Validator.positive()),
                OptionSpec.ofInt("workers", "Data-parallel workers.").withDefault(2).withValidator(Validator.positive()),
                OptionSpec.ofDouble("lr", "Peak learning rate (AdamW).").withDefault(5e-3).withValidator(Validator.positive()));
    }

    @Override
    public String example() {
        return "--out runs/demo";
    }

    @Override
    public int run(ParsedOptions o) throws Exception {
        Path out = Path.of(o.getPath("out"));
        if (Files.exists(out)) throw new CommandException(ExitCodes.REFUSED, "output folder " + out + " already exists");
        String model = o.has("model") ? o.getPath("model") : bundledModel().toString();
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo demo");
        Result r = run(spark, out, model, o.getInt("pairs"), o.getInt("max-steps"), o.getInt("workers"), o.getDouble("lr"), System.err);
        r.print(System.out);
        return ExitCodes.OK;
    }

    /** Where the bundled tiny GPT-2 lives: under SPARK_DPO_HOME (set by submit/local.sh) or the current folder. */
    static Path bundledModel() {
        String home = System.getenv().getOrDefault("SPARK_DPO_HOME", ".");
        Path p = Path.of(home, "model/src/test/resources/oracle-gpt2/tiny-gpt2");
        if (!Files.isDirectory(p)) {
            throw new CommandException(ExitCodes.FAILURE, "bundled model not found at " + p + "; pass --model or run from the repository root");
        }
        return p;
    }

    /** What the demo produced. */
    public record Result(Path out, PrepareResult prepared, Map<String, Double> before, Map<String, Double> after, DpoTrainer.Result train) {
        void print(PrintStream ps) {
            ps.printf("%-26s %12s %12s%n", "held-out metric", "base model", "DPO adapter");
            for (String k : before.keySet()) ps.printf("%-26s %12.4f %12.4f%n", k, before.get(k), after.get(k));
        }
    }

    public static Result run(SparkSession spark, Path out, String model, int pairs, int maxSteps, int workers, double lr,
                             PrintStream log) throws Exception {
        Files.createDirectories(out.resolve("data"));
        Path train = SyntheticPreferences.write(out.resolve("data/train.jsonl"), pairs, 1, true);
        Path test = SyntheticPreferences.write(out.resolve("data/test.jsonl"), Math.max(16, pairs / 4), 2, false);
        log.println("[demo] 1/5 prepare");
        PrepareResult prepared = PrepareJob.run(spark, PrepareOptions.of(List.of(train.toString()), model, out.resolve("prepared/train").toString()));
        PrepareJob.run(spark, PrepareOptions.of(List.of(test.toString()), model, out.resolve("prepared/test").toString()));
        log.println("[demo] 2/5 precompute-ref");
        PrecomputeRefJob.run(spark, PrecomputeOptions.of(out.resolve("prepared/train").toString(), model, out.resolve("ref/train").toString()));
        PrecomputeRefJob.run(spark, PrecomputeOptions.of(out.resolve("prepared/test").toString(), model, out.resolve("ref/test").toString()));
        DpoConfig dpo = DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0);
        log.println("[demo] 3/5 eval of the base model");
        var before = EvalJob.run(spark, new EvalJob.Options(out.resolve("ref/test").toString(), model, null, out.resolve("eval-before"), dpo, 16, DataType.FLOAT));
        log.println("[demo] 4/5 train");
        LoraConfig lora = new LoraConfig(8, 16, 0.0, List.of("all-linear"), false, true, model);
        OptimizerSettings adamw = new OptimizerSettings("adamw", lr, 2, WarmupDecaySchedule.Decay.LINEAR, 0.0, 1.0, 0.9, 0.999, 1e-8);
        TrainOptions t = new TrainOptions(out.resolve("ref/train").toString(), model, out.resolve("dpo"), null,
                out.resolve("ref/test").toString(), 0, 8, 1, 16, workers, 1, dpo, lora, adamw, 1, maxSteps, 42, 42, 42, 2,
                Math.max(1, maxSteps / 2), Math.max(1, maxSteps / 2), 2, false, DataType.FLOAT, true);
        DpoTrainer.Result trained = DpoTrainer.train(spark, t);
        log.println("[demo] 5/5 eval of the trained adapter");
        var after = EvalJob.run(spark, new EvalJob.Options(out.resolve("ref/test").toString(), model, trained.adapterDir().toString(),
                out.resolve("eval-after"), dpo, 16, DataType.FLOAT));
        log.printf("[demo] outputs in %s: data/, prepared/, ref/, eval-before/, dpo/ (adapter, metrics.jsonl, "
                + "training_curves.html), eval-after/%n", out);
        return new Result(out, prepared, before.metrics(), after.metrics(), trained);
    }
}
