/**
 * The per-partition tokenization step and the per-JVM tokenizer cache.
 */
package org.sparkdpo.prep.spark;
