package org.sparkdpo.jobs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.options.OptionParser;
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.jobs.demo.DemoJob;

/**
 * {@code demo}: the whole pipeline on a synthetic task ({@link DemoJob}). Each stage's settings are built by that
 * stage's own command from an argument list, so the demo uses exactly the commands' defaults plus the few
 * choices written here.
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
                OptionSpec.ofPath("model", "Model folder (default: the bundled tiny GPT-2, written to OUT/model)."),
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
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo demo");
        DemoJob.Result r = run(spark, Path.of(o.getPath("out")), o.has("model") ? o.getPath("model") : null,
                o.getInt("pairs"), o.getInt("max-steps"), o.getInt("workers"), o.getDouble("lr"), System.err);
        r.print(System.out);
        return ExitCodes.OK;
    }

    /** Runs the demo into {@code out} on {@code model} (null: the bundled tiny GPT-2). */
    public static DemoJob.Result run(SparkSession spark, Path out, String model, int pairs, int maxSteps, int workers,
                                     double lr, PrintStream log) throws Exception {
        DemoJob.Layout l = DemoJob.layout(out);
        String m = model != null ? model : DemoJob.extractBundledModel(l).toString();
        String half = String.valueOf(Math.max(1, maxSteps / 2));
        String adapter = l.run().resolve("adapter").toString();
        DemoJob.Stages stages = new DemoJob.Stages(l, pairs,
                PrepareCommand.settings(parse(PrepareCommand.specs(), "--input", l.trainJsonl(), "--tokenizer", m, "--out", l.prepared("train"))),
                PrepareCommand.settings(parse(PrepareCommand.specs(), "--input", l.testJsonl(), "--tokenizer", m, "--out", l.prepared("test"))),
                PrecomputeRefCommand.settings(parse(new PrecomputeRefCommand().options(), "--data", l.prepared("train"), "--model", m,
                        "--out", l.ref("train"))),
                PrecomputeRefCommand.settings(parse(new PrecomputeRefCommand().options(), "--data", l.prepared("test"), "--model", m,
                        "--out", l.ref("test"))),
                EvalCommand.settings(parse(new EvalCommand().options(), "--data", l.ref("test"), "--model", m, "--out", l.evalBefore())),
                TrainCommand.settings(parse(new TrainCommand().options(), "--data", l.ref("train"), "--model", m, "--out", l.run(),
                        "--eval-data", l.ref("test"), "--workers", workers, "--max-steps", maxSteps, "--lr", lr, "--warmup-steps", 2,
                        "--log-every", 2, "--eval-every", half, "--checkpoint-every", half, "--keep-checkpoints", 2), workers),
                EvalCommand.settings(parse(new EvalCommand().options(), "--data", l.ref("test"), "--model", m, "--adapter", adapter,
                        "--out", l.evalAfter())));
        return DemoJob.run(spark, stages, log);
    }

    private static ParsedOptions parse(List<OptionSpec> specs, Object... args) {
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) a[i] = String.valueOf(args[i]);
        return OptionParser.parse(specs, a);
    }
}
