package org.sparkdpo.jobs.cli;

import java.nio.file.Path;
import java.util.Map;
import org.sparkdpo.jobs.compare.AnswerJudges;
import org.sparkdpo.jobs.compare.CompareJob;
import org.sparkdpo.jobs.compare.CompareReport;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code compare}: answers before and after an adapter, side by side, with DPO implicit rewards. */
@CommandLine.Command(name = "compare",
        description = "Answers of the base (or reference) model and of the adapted model side by side, with DPO implicit rewards and an optional judge.")
public final class CompareCommand implements Command {
    @Option(names = "--model", paramLabel = "PATH", description = "Base model folder.")
    @Check.Required String model;

    @Option(names = "--adapter", paramLabel = "PATH", description = "PEFT adapter folder of the adapted (policy) model.")
    @Check.Required String adapter;

    @Option(names = "--reference-adapter", paramLabel = "PATH",
            description = "Adapter of the reference model (e.g. an SFT adapter); without it the base model is the reference.")
    String referenceAdapter;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "JSON lines: 'prompt' text, or 'messages' (or 'prompt') as a list of {role, content}; optional 'id'.")
    @Check.Required String prompts;

    @Option(names = "--out", paramLabel = "PATH", description = "Output folder: answers.jsonl, compare.html, summary.json; must not exist.")
    @Check.Required String out;

    @Option(names = "--beta", defaultValue = "0.1", description = "DPO beta of the implicit reward beta * (log pi - log pi_ref).")
    @Check.Positive double beta;

    @Option(names = "--judge", paramLabel = "NAME", description = "An AnswerJudge to score answers (built in: synthetic-task).")
    String judge;

    @Option(names = "--show", defaultValue = "10", description = "Prompts shown in the terminal table (0 = none).")
    @Check.Min(0) int show;

    @Option(names = "--dtype", defaultValue = "float32", description = "Compute dtype.")
    @Check.OneOf({"float32", "float64"}) String dtype;

    @Mixin SamplingOptions sampling;

    @Override
    public String example() {
        return "--model models/tiny-gpt2 --adapter runs/dpo/adapter --prompts prompts.jsonl --out runs/compare";
    }

    CompareJob.Settings settings() {
        if (judge != null && !AnswerJudges.names().contains(judge)) {
            throw new UsageException("--judge: no judge called '" + judge + "'; known: " + AnswerJudges.names());
        }
        return new CompareJob.Settings(model, adapter, referenceAdapter, Path.of(prompts), Path.of(out), sampling.config(),
                sampling.batchSize, beta, judge, TrainCommand.dtype(dtype));
    }

    @Override
    public Integer call() throws Exception {
        CompareJob.Result r = CompareJob.run(settings());
        if (show > 0) System.out.print(CompareReport.table(r.rows().subList(0, Math.min(show, r.rows().size())), 34));
        for (Map.Entry<String, Object> e : r.summary().entrySet()) {
            if (e.getValue() instanceof Double d) System.out.printf("%s\t%.4f%n", e.getKey(), d);
        }
        System.err.printf("compared %d prompts: %s/answers.jsonl, compare.html, summary.json%n", r.rows().size(), r.out());
        return ExitCodes.OK;
    }
}
