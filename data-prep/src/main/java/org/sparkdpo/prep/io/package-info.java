/**
 * Input discovery and reading (Parquet, JSON Lines, JSON arrays) with source positions, and the atomic output
 * folder with its shards.
 */
package org.sparkdpo.prep.io;
