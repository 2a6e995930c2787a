/** Spark plumbing shared by data-prep and jobs: one way to get a correctly configured session, and log levels. */
package org.sparkdpo.common.spark;
