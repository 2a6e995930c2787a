/**
 * One configuration mechanism for every job: a command declares its options as data ({@link
 * org.sparkdpo.jobs.cli.options.OptionSpec}); {@link org.sparkdpo.jobs.cli.options.OptionParser} merges defaults,
 * {@code --config} files (YAML or JSON) and the command line into typed {@link
 * org.sparkdpo.jobs.cli.options.ParsedOptions}, reporting every user error at once as an {@link
 * org.sparkdpo.jobs.cli.options.OptionsException}.
 *
 * <p>Lives in data-prep (not model, which stays Spark-free and has no CLI; not jobs, which data-prep cannot see).
 */
package org.sparkdpo.jobs.cli.options;
