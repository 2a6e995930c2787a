/**
 * The command line, on <a href="https://picocli.info">picocli</a>. {@link org.sparkdpo.jobs.cli.Main} dispatches to
 * the {@link org.sparkdpo.jobs.cli.Command}s listed in {@link org.sparkdpo.jobs.cli.Commands#all()} and maps what they
 * throw to {@link org.sparkdpo.jobs.cli.ExitCodes}.
 *
 * <p><b>Annotated classes, not programmatic {@code CommandSpec}s.</b> Each command is a class whose {@code @Option}
 * fields are its options: the name, type, default and help text are written once, next to the typed field the job's
 * settings are built from, so there are no string-keyed getters and no second list of defaults. The pipeline builds every
 * stage's settings by parsing an argument list into a fresh command object ({@link org.sparkdpo.jobs.cli.Cli#parse(
 * org.sparkdpo.jobs.cli.Command, Object...)}), so the annotations stay the one source of defaults. Checks picocli does
 * not have (ranges, choices, required-from-any-source) are annotations too ({@link org.sparkdpo.jobs.cli.Check}), read
 * from the same fields by the checker and by {@code --help}.
 *
 * <p><b>What picocli does</b>: tokenising, {@code --name value}/{@code --name=value}, negatable {@code --no-flag}s,
 * type conversion (with our converters' messages), list splitting, the default-value provider that layers
 * {@code --config} files ({@link org.sparkdpo.jobs.cli.ConfigFiles}) between the annotated defaults and the command
 * line, collecting every error of a run, and the help-section machinery. <b>What stays ours</b>, each for a reason:
 * the config-file reader (picocli has none for YAML/JSON), the final-value checks, one "did you mean" by edit
 * distance (picocli suggests options sharing the first two letters), a pre-scan that finds {@code --config} files
 * and drops an unknown option's value with it, and the help layout users already know.
 */
package org.sparkdpo.jobs.cli;
