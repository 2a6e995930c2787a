package org.sparkdpo.jobs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * One subcommand of {@link Main}: a picocli command class whose {@code @Option} fields are its options (with their
 * defaults, help text and {@link Check} rules) and whose {@link #call()} runs the job with the parsed fields.
 * {@link Cli} adds {@code --config}, {@code --verbose} and {@code --help}; register the command in
 * {@link Commands#all()}. A command object is parsed once: use a new one for each run (option fields start unset).
 */
public interface Command extends Callable<Integer> {
    /** The word after the program name, kebab-case ("precompute-ref"): the {@code @Command} name. */
    default String name() {
        return getClass().getAnnotation(CommandLine.Command.class).name();
    }

    /** Other words that run this command (the {@code @Command} aliases), e.g. {@code demo} for {@code pipeline}. */
    default java.util.List<String> aliases() {
        return java.util.List.of(getClass().getAnnotation(CommandLine.Command.class).aliases());
    }

    /** One line for the command list and the top of {@code --help}: the {@code @Command} description. */
    default String summary() {
        return String.join(" ", getClass().getAnnotation(CommandLine.Command.class).description());
    }

    /**
     * Runs the job with the parsed options and returns an {@link ExitCodes exit code}. Throw {@link UsageException}
     * for option problems found late (exit 2), {@link CommandException} for a chosen code,
     * {@code JobRefusedException} (3), anything else for a failure (1).
     */
    @Override
    Integer call() throws Exception;

    /** Arguments of one example invocation for {@code --help} ("out/pairs --limit 5"); null derives one. */
    default String example() {
        return null;
    }
}
