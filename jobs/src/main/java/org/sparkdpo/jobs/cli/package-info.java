/**
 * The command line: {@link org.sparkdpo.jobs.cli.Main} dispatches to the {@link org.sparkdpo.jobs.cli.Command}s
 * listed in {@link org.sparkdpo.jobs.cli.Commands#all()}, with options from {@code org.sparkdpo.jobs.cli.options}.
 */
package org.sparkdpo.jobs.cli;
