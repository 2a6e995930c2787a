package org.sparkdpo.jobs.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every command takes; {@link Cli} mixes them into each command as "common". */
public final class CommonOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "Read option values from a YAML or JSON file whose"
            + " top-level keys are option names; repeatable, later files win, the command line wins over files.")
    List<String> config = new ArrayList<>();

    @Option(names = "--verbose", negatable = true, arity = "0..1", fallbackValue = "true",
            description = "Log Spark, Hadoop and DL4J at INFO and print full stack traces on failure.")
    boolean verbose;

    @Option(names = {"--help", "-h"}, usageHelp = true, description = "Print this help.")
    boolean help;

    /** True with --verbose (or --verbose=true). */
    public boolean verbose() {
        return verbose;
    }
}
