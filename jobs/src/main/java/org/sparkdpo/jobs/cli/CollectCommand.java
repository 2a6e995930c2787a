package org.sparkdpo.jobs.cli;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import org.sparkdpo.jobs.collect.CollectJob;
import org.sparkdpo.jobs.collect.KeyReader;
import org.sparkdpo.jobs.collect.Progress;
import org.sparkdpo.jobs.collect.RawTerminal;
import org.sparkdpo.jobs.collect.TerminalCollector;
import org.sparkdpo.jobs.collect.web.CollectServer;
import org.sparkdpo.jobs.collect.web.WebMode;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code collect}: people label preferences between two answers; the result is a dataset {@code prepare} reads. */
@CommandLine.Command(name = "collect",
        description = "Label preferences: two answers per prompt (sampled from a model + adapter, or from --pairs), a person"
                + " picks the better one; writes a TRL preference dataset prepare reads. Crash-safe; a rerun continues."
                + " Exit code 5: stopped (q) with pairs left.")
public final class CollectCommand implements Command {
    @Option(names = "--model", paramLabel = "PATH", description = "Model folder that answers each prompt twice (with --prompts).")
    String model;

    @Option(names = "--adapter", paramLabel = "PATH", description = "PEFT adapter folder on top of --model; without it the base model answers.")
    String adapter;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "JSON lines: 'prompt' text, or 'messages' (or 'prompt') as a list of {role, content}; optional 'id' (the pair id).")
    String prompts;

    @Option(names = "--pairs", paramLabel = "FILE",
            description = "Label existing pairs instead of sampling: JSON lines with prompt (or messages), answer_a, answer_b,"
                    + " optional pair_id (or id), model, adapter.")
    String pairs;

    @Option(names = "--out", paramLabel = "FILE",
            description = "The dataset PREFS.jsonl (id, prompt, chosen, rejected + annotator, decided_at, model, adapter,"
                    + " shown_order, choice, agreement); beside it FILE.decisions (the journal) and FILE.answers (the pairs)."
                    + " An existing one is continued.")
    @Check.Required String out;

    @Option(names = "--annotator", paramLabel = "NAME",
            description = "Who is labelling (recorded with every decision); without it, the login name. With --web each person"
                    + " enters a name in the page instead.")
    String annotator;

    @Option(names = "--overlap", paramLabel = "K", defaultValue = "1",
            description = "Annotators each pair goes to (never twice to one annotator); 2 gives an agreement figure.")
    @Check.Positive int overlap;

    @Option(names = "--keys-from-stdin", negatable = true, arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "Read keys from standard input (each non-space character is a key; the end of input quits), for"
                    + " scripts and tests. Automatic when standard input is not a terminal.")
    boolean keysFromStdin;

    @Option(names = "--web", negatable = true, arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "Serve the queue as a web page instead of the terminal: several annotators at once,"
            + " each enters a name in the browser. Runs until Ctrl-C or SIGTERM.")
    boolean web;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address the --web server binds; any other than a loopback address requires a token on every request"
                    + " (made at start, printed once in the URL).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port of the --web server; 0 picks a free one (the URL is printed).")
    @Check.Range(min = 0, max = 65535) int port;

    @Option(names = "--temperature-b", defaultValue = "1.0",
            description = "Sampling temperature of the second answer (the first uses --temperature); resampled with a new seed while equal.")
    @Check.Min(0) double temperatureB;

    @Option(names = "--max-tries", defaultValue = "4",
            description = "Samples of the second answer at most, until it differs from the first; a prompt whose answers stay equal is skipped.")
    @Check.Positive int maxTries;

    @Option(names = "--dtype", defaultValue = "float32", description = "Compute dtype.")
    @Check.OneOf({"float32", "float64"}) String dtype;

    @Mixin SamplingOptions sampling;

    @Override
    public String example() {
        return "--model models/tiny-gpt2 --adapter runs/round1/adapter --prompts prompts.jsonl --out prefs.jsonl --annotator alice";
    }

    CollectJob.Settings settings() {
        if (pairs != null && (model != null || prompts != null || adapter != null)) {
            throw new UsageException("--pairs: labels existing pairs; leave out --model, --adapter and --prompts");
        }
        if (web && keysFromStdin) throw new UsageException("--keys-from-stdin: the terminal's; leave it out with --web");
        if (pairs == null && (model == null || prompts == null)) {
            throw new UsageException("give --model PATH and --prompts FILE (sample pairs), or --pairs FILE (label existing pairs)");
        }
        return new CollectJob.Settings(model, adapter, prompts == null ? null : Path.of(prompts), pairs == null ? null : Path.of(pairs),
                Path.of(out), overlap, sampling.config(), temperatureB, maxTries, TrainCommand.dtype(dtype));
    }

    String annotator() {
        return annotator != null ? annotator : System.getProperty("user.name", "annotator");
    }

    @Override
    public Integer call() throws Exception {
        CollectJob.Settings s = settings();
        try (CollectJob.Session session = CollectJob.open(s)) {
            return web ? web(session) : terminal(session);
        }
    }

    /** The web front end: serves until Ctrl-C / SIGTERM, then closes the server and the journal. */
    private int web(CollectJob.Session session) throws Exception {
        WebMode.serve(session.queue(), session::next, new CollectServer.Settings(host, port, false), System.out,
                new CountDownLatch(1));
        return ExitCodes.OK;
    }

    /** The terminal front end: raw single keys on a terminal, else keys from standard input. */
    private int terminal(CollectJob.Session session) throws Exception {
        boolean interactive = !keysFromStdin && System.console() != null;
        RawTerminal raw = interactive ? RawTerminal.enter() : null;
        try {
            OptionalInt cols = interactive ? RawTerminal.columns() : OptionalInt.empty();
            int width = cols.orElse(envColumns());
            TerminalCollector.Result r = new TerminalCollector(session, annotator(), KeyReader.stdin(), System.out, width).run();
            report(session, r);
            return r.quit() ? ExitCodes.COLLECT_STOPPED : ExitCodes.OK;
        } finally {
            if (raw != null) raw.close();
        }
    }

    private void report(CollectJob.Session session, TerminalCollector.Result r) {
        Progress p = r.progress();
        for (String e : session.equalSamples()) System.err.println("warning: prompt " + e + ": the two answers stayed equal; skipped (raise --temperature-b)");
        System.err.printf("collect: %d decisions this run (%d undone); %s; overall %d/%d; dataset %s%n", r.decided(), r.undone(),
                p.line(), p.overallDone(), p.overallNeeded(), out);
    }

    private static int envColumns() {
        try {
            String c = System.getenv("COLUMNS");
            return c == null ? 100 : Math.max(20, Integer.parseInt(c.trim()));
        } catch (NumberFormatException e) {
            return 100;
        }
    }
}
