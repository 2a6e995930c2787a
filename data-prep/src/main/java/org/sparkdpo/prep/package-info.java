/**
 * The data-preparation job: preference datasets to tokenized, length-sorted Parquet shards with a manifest and
 * rejects ({@link org.sparkdpo.prep.PrepareJob}); {@link org.sparkdpo.prep.PairColumns} is the output contract.
 */
package org.sparkdpo.prep;
