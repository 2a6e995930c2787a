/**
 * One configuration mechanism for every job: a command declares its options as data ({@link
 * org.sparkdpo.common.options.OptionSpec}); {@link org.sparkdpo.common.options.OptionParser} merges defaults,
 * {@code --config} files (YAML or JSON) and the command line into typed {@link
 * org.sparkdpo.common.options.ParsedOptions}, reporting every user error at once as an {@link
 * org.sparkdpo.common.options.OptionsException}.
 *
 * <p>Lives in data-prep (not model, which stays Spark-free and has no CLI; not jobs, which data-prep cannot see).
 */
package org.sparkdpo.common.options;
