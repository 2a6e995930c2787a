package org.sparkdpo.jobs.cli;

import java.util.List;
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.ParsedOptions;

/**
 * One subcommand of {@link Main}. Options are declared as data so that parsing, config files, validation and
 * {@code --help} come for free; register the command in {@link Commands#all()}.
 */
public interface Command {
    /** The word after the program name, kebab-case ("precompute-ref"). */
    String name();

    /** One line for the command list and the top of {@code --help}. */
    String summary();

    /** The command's options; {@link Main} adds the common ones ({@code --verbose}, {@code --config}, {@code --help}). */
    List<OptionSpec> options();

    /**
     * Runs the job with validated options and returns an {@link ExitCodes exit code}. Throw
     * {@link org.sparkdpo.jobs.cli.options.OptionsException} for option problems found late (exit 2),
     * {@link CommandException} for a chosen code, anything else for a failure (exit 1).
     */
    int run(ParsedOptions opts) throws Exception;

    /** Arguments of one example invocation for {@code --help} ("out/pairs --limit 5"); null derives one. */
    default String example() {
        return null;
    }
}
