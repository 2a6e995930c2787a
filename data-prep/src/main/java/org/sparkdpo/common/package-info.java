/**
 * What every job shares without knowing about the command line: the exceptions a job throws to say it failed or
 * refused ({@link org.sparkdpo.common.JobFailedException}, {@link org.sparkdpo.common.JobRefusedException}), and in
 * {@code common.spark} the Spark/Hadoop runtime (sessions, local copies of model folders, the per-executor context).
 */
package org.sparkdpo.common;
