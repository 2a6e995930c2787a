/** Small helpers shared by the jobs: Hadoop configuration in closures, local copies of remote folders, hashing. */
package org.sparkdpo.jobs.common;
