package org.sparkdpo.jobs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.demo.DemoJob;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the whole pipeline on a synthetic task ({@link DemoJob}). Each stage's settings are built by that
 * stage's own command from an argument list, so the demo uses exactly the commands' defaults plus the few
 * choices written here.
 */
@CommandLine.Command(name = "demo",
        description = "Run prepare -> precompute-ref -> train -> eval end to end on a synthetic task with the bundled tiny GPT-2.")
public final class DemoCommand implements Command {
    @Option(names = "--out", paramLabel = "PATH", description = "Folder for every stage's output (must not exist).")
    @Check.Required String out;

    @Option(names = "--model", paramLabel = "PATH", description = "Model folder (default: the bundled tiny GPT-2, written to OUT/model).")
    String model;

    @Option(names = "--pairs", defaultValue = "192", description = "Synthetic training pairs.")
    @Check.Positive int pairs;

    @Option(names = "--max-steps", defaultValue = "24", description = "Training steps.")
    @Check.Positive int maxSteps;

    @Option(names = "--workers", defaultValue = "2", description = "Data-parallel workers.")
    @Check.Positive int workers;

    @Option(names = "--lr", defaultValue = "5e-3", description = "Peak learning rate (AdamW).")
    @Check.Positive double lr;

    @Override
    public String example() {
        return "--out runs/demo";
    }

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo demo");
        DemoJob.Result r = run(spark, Path.of(out), model, pairs, maxSteps, workers, lr, System.err);
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
                Cli.parse(new PrepareCommand(), "--input", l.trainJsonl(), "--tokenizer", m, "--out", l.prepared("train")).settings(),
                Cli.parse(new PrepareCommand(), "--input", l.testJsonl(), "--tokenizer", m, "--out", l.prepared("test")).settings(),
                Cli.parse(new PrecomputeRefCommand(), "--data", l.prepared("train"), "--model", m, "--out", l.ref("train")).settings(),
                Cli.parse(new PrecomputeRefCommand(), "--data", l.prepared("test"), "--model", m, "--out", l.ref("test")).settings(),
                Cli.parse(new EvalCommand(), "--data", l.ref("test"), "--model", m, "--out", l.evalBefore()).settings(),
                Cli.parse(new TrainCommand(), "--data", l.ref("train"), "--model", m, "--out", l.run(), "--eval-data", l.ref("test"),
                        "--workers", workers, "--max-steps", maxSteps, "--lr", lr, "--warmup-steps", 2, "--log-every", 2,
                        "--eval-every", half, "--checkpoint-every", half, "--keep-checkpoints", 2).settings(workers),
                Cli.parse(new EvalCommand(), "--data", l.ref("test"), "--model", m, "--adapter", adapter, "--out", l.evalAfter())
                        .settings());
        return DemoJob.run(spark, stages, log);
    }
}
