package org.sparkdpo.jobs.cli;

import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.options.OptionSpec;
import org.sparkdpo.common.options.ParsedOptions;
import org.sparkdpo.common.spark.LogLevels;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.prep.PrepareException;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareOptions;
import org.sparkdpo.prep.PrepareProgress;

/**
 * {@code prepare}: preference data to tokenized, length-sorted shards; a thin wrapper over {@link PrepareJob}, which
 * owns the options ({@link PrepareOptions#specs()}) so tests and other jobs can call it without the CLI. Progress and
 * the final counts go to stderr; stdout stays empty.
 */
public final class PrepareCommand implements Command {
    @Override
    public String name() {
        return "prepare";
    }

    @Override
    public String summary() {
        return "Tokenize preference data (Parquet/JSON) into length-sorted Parquet shards with a manifest and rejects.";
    }

    @Override
    public List<OptionSpec> options() {
        return PrepareOptions.specs();
    }

    @Override
    public String example() {
        return "--input data/pairs.jsonl --tokenizer models/gpt2 --out data/prepared/train --max-length 512";
    }

    @Override
    public int run(ParsedOptions opts) throws Exception {
        PrepareOptions options = PrepareOptions.from(opts);
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo prepare");
        try {
            PrepareJob.run(spark, options, PrepareProgress.printingTo(System.err));
        } catch (PrepareException e) {
            // the message names file and line; the cause chain (Spark's task failure) only adds noise
            throw LogLevels.verbose() ? new CommandException(ExitCodes.FAILURE, e.getMessage(), e)
                    : new CommandException(ExitCodes.FAILURE, e.getMessage());
        }
        return ExitCodes.OK;
    }
}
