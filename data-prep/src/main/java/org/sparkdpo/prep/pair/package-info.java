/**
 * Row-level rules of the prepare job, free of Spark: reading pairs per format, prompt templates, implicit prompts,
 * TRL-style tokenization and truncation, length buckets, ids and reject reasons.
 */
package org.sparkdpo.prep.pair;
